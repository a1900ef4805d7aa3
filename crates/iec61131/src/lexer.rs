//! Turns source text into tokens and trivia (comments, pragmas). Linear in the
//! input, never fails: what it cannot read becomes an `Error` token and a
//! diagnostic, and lexing goes on.

use crate::diagnostics::{Code, Diagnostic};
use crate::token::{Kw, Span, Token, TokenKind, Trivia, TriviaKind};

/// Sections a CODESYS 2.3 `.EXP` export carries besides the code; each ends
/// at `END_` and its name without the leading underscore.
const EXPORT_SECTIONS: &[&str] = &[
    "_ALARMCONFIG",
    "LIBRARY",
    "_WORKSPACE",
    "PLC_CONFIGURATION",
    "VISUALISATION",
];

pub struct Lexed {
    pub tokens: Vec<Token>,
    pub trivia: Vec<Trivia>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn lex(text: &str) -> Lexed {
    let mut l = Lexer {
        src: text.as_bytes(),
        text,
        pos: 0,
        out: Lexed {
            tokens: Vec::with_capacity(text.len() / 4),
            trivia: Vec::new(),
            diagnostics: Vec::new(),
        },
    };
    l.run();
    l.out
}

struct Lexer<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    out: Lexed,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl Lexer<'_> {
    fn peek(&self) -> u8 {
        self.src.get(self.pos).copied().unwrap_or(0)
    }
    fn peek_at(&self, n: usize) -> u8 {
        self.src.get(self.pos + n).copied().unwrap_or(0)
    }
    fn char_at(&self, pos: usize) -> Option<char> {
        self.text.get(pos..).and_then(|s| s.chars().next())
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.out.tokens.push(Token {
            kind,
            span: Span::new(start, self.pos),
        });
    }

    fn error(&mut self, code: Code, start: usize, message: impl Into<String>) {
        self.out.diagnostics.push(Diagnostic::error(
            code,
            Span::new(
                start,
                self.pos.max(start + 1).min(self.src.len().max(start)),
            ),
            message,
        ));
    }

    fn run(&mut self) {
        loop {
            self.skip_whitespace();
            let start = self.pos;
            if self.pos >= self.src.len() {
                self.push(TokenKind::Eof, start);
                return;
            }
            let b = self.peek();
            match b {
                b'(' if self.peek_at(1) == b'*' => self.block_comment(b"(*", b"*)"),
                b'/' if self.peek_at(1) == b'*' => self.block_comment(b"/*", b"*/"),
                b'/' if self.peek_at(1) == b'/' => {
                    while self.pos < self.src.len() && self.peek() != b'\n' {
                        self.pos += 1;
                    }
                    self.trivia(TriviaKind::LineComment, start);
                }
                b'{' => self.pragma(),
                b'\'' => self.string(b'\'', TokenKind::String),
                b'"' => self.string(b'"', TokenKind::WString),
                b'0'..=b'9' => self.number(),
                b'%' => self.address(),
                _ if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 => self.word(),
                _ => self.punct(),
            }
        }
    }

    /// A CODESYS 2.3 export section alone on its line, up to the line that
    /// ends it (`LIBRARY` … `END_LIBRARY`): skipped as trivia with a note.
    /// Both lines must stand alone, so Structured Text is never taken for one.
    fn export_section(&mut self) -> bool {
        let start = self.pos;
        // Cheap refusals first: this runs for every word.
        let first = self.src[start];
        let before = start.checked_sub(1).map(|i| self.src[i]);
        if !EXPORT_SECTIONS.iter().any(|n| n.as_bytes()[0] == first)
            || before.is_some_and(|b| b != b'\n' && b != b' ' && b != b'\t' && b != b'\r')
        {
            return false;
        }
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        if !self.text[line_start..start].trim().is_empty() {
            return false;
        }
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let word = self.text[start..line_end].trim_end();
        let Some(&name) = EXPORT_SECTIONS.iter().find(|&&n| n == word) else {
            return false;
        };
        let end = format!("END_{}", name.trim_start_matches('_'));
        let mut at = line_end;
        while at < self.text.len() {
            let next = self.text[at + 1..]
                .find('\n')
                .map_or(self.text.len(), |i| at + 1 + i);
            if self.text[(at + 1).min(next)..next].trim() == end {
                self.pos = next;
                self.trivia(TriviaKind::ExportSection, start);
                self.out.diagnostics.push(
                    Diagnostic::note(
                        Code::Dialect,
                        Span::new(start, line_end),
                        format!("`{name}` … `{end}` is a section of a CODESYS 2.3 export, not Structured Text; it is skipped"),
                    )
                    .with_help("only the POUs, types and globals of an .EXP file are checked"),
                );
                return true;
            }
            at = next;
        }
        false
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), b' ' | b'\t' | b'\r' | b'\n' | 0x0c)
            && self.pos < self.src.len()
        {
            self.pos += 1;
        }
    }

    fn trivia(&mut self, kind: TriviaKind, start: usize) {
        self.out.trivia.push(Trivia {
            kind,
            span: Span::new(start, self.pos),
        });
    }

    /// Comments nest, as CODESYS reads them with nested comments on (the usual export setting).
    fn block_comment(&mut self, open: &[u8; 2], close: &[u8; 2]) {
        let start = self.pos;
        self.pos += 2;
        let mut depth = 1usize;
        while self.pos < self.src.len() {
            if self.src[self.pos..].starts_with(close) {
                self.pos += 2;
                depth -= 1;
                if depth == 0 {
                    self.trivia(TriviaKind::BlockComment, start);
                    return;
                }
            } else if self.src[self.pos..].starts_with(open) {
                self.pos += 2;
                depth += 1;
            } else {
                self.pos += 1;
            }
        }
        self.trivia(TriviaKind::BlockComment, start);
        let (o, c) = (
            String::from_utf8_lossy(open),
            String::from_utf8_lossy(close),
        );
        let d = Diagnostic::error(
            Code::UnterminatedComment,
            Span::new(start, start + 2),
            format!("this comment is never closed: `{o}` has no matching `{c}` before the end of the file"),
        )
        .with_help(format!("add `{c}` where the comment ends (comments nest, so each `{o}` inside needs its own `{c}`)"));
        self.out.diagnostics.push(d);
    }

    fn pragma(&mut self) {
        let start = self.pos;
        while self.pos < self.src.len() && self.peek() != b'}' {
            self.pos += 1;
        }
        if self.pos < self.src.len() {
            self.pos += 1;
            self.trivia(TriviaKind::Pragma, start);
        } else {
            self.trivia(TriviaKind::Pragma, start);
            self.out.diagnostics.push(
                Diagnostic::error(
                    Code::UnterminatedComment,
                    Span::new(start, start + 1),
                    "this pragma `{` is never closed",
                )
                .with_help("add `}` where the pragma ends"),
            );
        }
    }

    fn string(&mut self, quote: u8, kind: TokenKind) {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.peek() {
                _ if self.pos >= self.src.len() => break,
                b'\n' => break,
                b'$' => {
                    let esc_start = self.pos;
                    self.pos += 1;
                    let e = self.peek();
                    let hex_len = if quote == b'\'' { 2 } else { 4 };
                    match e {
                        b'$' | b'L' | b'l' | b'N' | b'n' | b'P' | b'p' | b'R' | b'r' | b'T'
                        | b't' | b'\'' | b'"' => self.pos += 1,
                        _ if (0..hex_len).all(|i| self.peek_at(i).is_ascii_hexdigit()) => {
                            self.pos += hex_len
                        }
                        _ => {
                            self.pos += 1;
                            let d = Diagnostic::error(Code::BadEscape, Span::new(esc_start, self.pos.min(self.src.len())), "invalid escape in a string literal")
                                .with_help(format!("valid escapes are $$, $', $\", $L, $N, $P, $R, $T and ${} hex digits", hex_len));
                            self.out.diagnostics.push(d);
                        }
                    }
                }
                c if c == quote => {
                    self.pos += 1;
                    self.push(kind, start);
                    return;
                }
                _ => self.pos += 1,
            }
        }
        self.pos = self.pos.min(self.src.len());
        self.push(kind, start);
        let q = quote as char;
        self.out.diagnostics.push(
            Diagnostic::error(
                Code::UnterminatedString,
                Span::new(start, start + 1),
                format!("this string is not closed on its line: no matching {q}"),
            )
            .with_help(format!(
                "close it with {q}; a {q} inside the string is written ${q}"
            )),
        );
    }

    fn digits(&mut self, ok: fn(u8) -> bool) -> bool {
        let s = self.pos;
        while ok(self.peek()) || (self.peek() == b'_' && ok(self.peek_at(1))) {
            self.pos += 1;
        }
        self.pos > s
    }

    fn number(&mut self) {
        let start = self.pos;
        self.digits(|b| b.is_ascii_digit());
        if self.peek() == b'#' {
            let base_text = &self.text[start..self.pos].replace('_', "");
            self.pos += 1;
            let ok = match base_text.as_str() {
                "2" => self.digits(|b| matches!(b, b'0' | b'1')),
                "8" => self.digits(|b| matches!(b, b'0'..=b'7')),
                "16" => self.digits(|b| b.is_ascii_hexdigit()),
                _ => {
                    self.digits(|b| b.is_ascii_alphanumeric());
                    self.error(
                        Code::BadNumber,
                        start,
                        format!("`{base_text}#` is not a number base"),
                    );
                    self.push(TokenKind::Error, start);
                    return;
                }
            };
            // Digits beyond the base (`2#102`) would otherwise start a new token.
            let trailing = self.pos;
            while self.peek().is_ascii_alphanumeric() || self.peek() == b'_' {
                self.pos += 1;
            }
            if !ok || self.pos > trailing {
                self.error(
                    Code::BadNumber,
                    start,
                    format!(
                        "`{}` is not a valid base-{base_text} integer",
                        &self.text[start..self.pos]
                    ),
                );
                self.push(TokenKind::Error, start);
            } else {
                self.push(TokenKind::Integer, start);
            }
            return;
        }
        let mut kind = TokenKind::Integer;
        if self.peek() == b'.' && self.peek_at(1).is_ascii_digit() {
            self.pos += 1;
            self.digits(|b| b.is_ascii_digit());
            kind = TokenKind::Real;
        }
        if matches!(self.peek(), b'e' | b'E') {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.peek(), b'+' | b'-') {
                self.pos += 1;
            }
            if self.digits(|b| b.is_ascii_digit()) {
                kind = TokenKind::Real;
            } else {
                self.pos = save;
            }
        }
        if self.peek().is_ascii_alphabetic() || self.peek() == b'_' {
            while self.peek().is_ascii_alphanumeric() || self.peek() == b'_' {
                self.pos += 1;
            }
            self.error(
                Code::BadNumber,
                start,
                format!("`{}` is not a valid number", &self.text[start..self.pos]),
            );
            self.push(TokenKind::Error, start);
            return;
        }
        self.push(kind, start);
    }

    fn address(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let area = self.peek().to_ascii_uppercase();
        if !matches!(area, b'I' | b'Q' | b'M') {
            self.error(
                Code::BadAddress,
                start,
                "a direct address starts with %I, %Q or %M",
            );
            self.push(TokenKind::Error, start);
            return;
        }
        self.pos += 1;
        if matches!(
            self.peek().to_ascii_uppercase(),
            b'X' | b'B' | b'W' | b'D' | b'L'
        ) {
            self.pos += 1;
        }
        if self.peek() == b'*' {
            self.pos += 1;
            self.push(TokenKind::DirectAddress, start);
            return;
        }
        if !self.digits(|b| b.is_ascii_digit()) {
            self.error(
                Code::BadAddress,
                start,
                format!(
                    "`{}` is missing its number, as in %IX0.0 or %QW4",
                    &self.text[start..self.pos]
                ),
            );
            self.push(TokenKind::Error, start);
            return;
        }
        while self.peek() == b'.' && self.peek_at(1).is_ascii_digit() {
            self.pos += 1;
            self.digits(|b| b.is_ascii_digit());
        }
        self.push(TokenKind::DirectAddress, start);
    }

    fn word(&mut self) {
        let start = self.pos;
        if self.export_section() {
            return;
        }
        match self.char_at(self.pos) {
            Some(c) if is_ident_start(c) => self.pos += c.len_utf8(),
            Some(c) => {
                self.pos += c.len_utf8();
                self.error(
                    Code::UnexpectedChar,
                    start,
                    format!("unexpected character {c:?}"),
                );
                self.push(TokenKind::Error, start);
                return;
            }
            None => {
                self.pos += 1;
                self.error(Code::UnexpectedChar, start, "unexpected byte");
                self.push(TokenKind::Error, start);
                return;
            }
        }
        while let Some(c) = self.char_at(self.pos).filter(|&c| is_ident_continue(c)) {
            self.pos += c.len_utf8();
        }
        let word = &self.text[start..self.pos];
        if self.peek() == b'#' {
            self.pos += 1;
            self.prefixed_literal(start, word);
            return;
        }
        if word.eq_ignore_ascii_case("REF") && self.peek() == b'=' {
            self.pos += 1;
            self.push(TokenKind::RefAssign, start);
            return;
        }
        let kind = Kw::lookup(word).map_or(TokenKind::Ident, TokenKind::Keyword);
        self.push(kind, start);
    }

    /// After `WORD#`: a time or date literal for the time and date prefixes, else a
    /// typed-literal prefix that the parser completes (`INT#5`, `E_State#Idle`).
    fn prefixed_literal(&mut self, start: usize, word: &str) {
        let upper = word.to_ascii_uppercase();
        let kind = match upper.as_str() {
            "T" | "TIME" | "LT" | "LTIME" => TokenKind::Duration,
            "D" | "DATE" | "LD" | "LDATE" => TokenKind::Date,
            "TOD" | "TIME_OF_DAY" | "LTOD" | "LTIME_OF_DAY" => TokenKind::TimeOfDay,
            "DT" | "DATE_AND_TIME" | "LDT" | "LDATE_AND_TIME" => TokenKind::DateAndTime,
            _ => {
                self.push(TokenKind::TypedPrefix, start);
                return;
            }
        };
        let body_start = self.pos;
        if matches!(self.peek(), b'-' | b'+') {
            self.pos += 1;
        }
        while self.peek().is_ascii_alphanumeric()
            || matches!(self.peek(), b'_' | b'.' | b':' | b'-')
        {
            // A trailing `.` (member access after a literal) is not part of it.
            if self.peek() == b'.' && !self.peek_at(1).is_ascii_digit() {
                break;
            }
            self.pos += 1;
        }
        let body = &self.text[body_start..self.pos];
        let valid = match kind {
            TokenKind::Duration => crate::literals::parse_duration(body).is_some(),
            TokenKind::Date => crate::literals::parse_date(body).is_some(),
            TokenKind::TimeOfDay => crate::literals::parse_time_of_day(body).is_some(),
            _ => crate::literals::parse_date_and_time(body).is_some(),
        };
        if valid {
            self.push(kind, start);
        } else {
            let example = match kind {
                TokenKind::Duration => "T#1h2m3s4ms or T#1.5s",
                TokenKind::Date => "D#2024-03-31",
                TokenKind::TimeOfDay => "TOD#13:45:00.5",
                _ => "DT#2024-03-31-13:45:00",
            };
            self.error(
                Code::BadTimeLiteral,
                start,
                format!(
                    "`{}` is not a valid {word} literal",
                    &self.text[start..self.pos]
                ),
            );
            if let Some(d) = self.out.diagnostics.last_mut() {
                d.help = Some(format!("write it like {example}"));
            }
            self.push(TokenKind::Error, start);
        }
    }

    fn punct(&mut self) {
        let start = self.pos;
        let (kind, len) = match (self.peek(), self.peek_at(1)) {
            (b':', b'=') => (TokenKind::Assign, 2),
            (b'=', b'>') => (TokenKind::Arrow, 2),
            (b'.', b'.') => (TokenKind::DotDot, 2),
            (b'*', b'*') => (TokenKind::Power, 2),
            (b'<', b'>') => (TokenKind::Ne, 2),
            (b'<', b'=') => (TokenKind::Le, 2),
            (b'>', b'=') => (TokenKind::Ge, 2),
            (b':', _) => (TokenKind::Colon, 1),
            (b';', _) => (TokenKind::Semi, 1),
            (b',', _) => (TokenKind::Comma, 1),
            (b'.', _) => (TokenKind::Dot, 1),
            (b'(', _) => (TokenKind::LParen, 1),
            (b')', _) => (TokenKind::RParen, 1),
            (b'[', _) => (TokenKind::LBracket, 1),
            (b']', _) => (TokenKind::RBracket, 1),
            (b'^', _) => (TokenKind::Caret, 1),
            (b'+', _) => (TokenKind::Plus, 1),
            (b'-', _) => (TokenKind::Minus, 1),
            (b'*', _) => (TokenKind::Star, 1),
            (b'/', _) => (TokenKind::Slash, 1),
            (b'=', _) => (TokenKind::Eq, 1),
            (b'<', _) => (TokenKind::Lt, 1),
            (b'>', _) => (TokenKind::Gt, 1),
            (b'&', _) => (TokenKind::Amp, 1),
            (b, _) => {
                let c = self.char_at(self.pos).unwrap_or(b as char);
                self.pos += c.len_utf8().max(1);
                let help = match c {
                    '!' => Some("write NOT for negation and <> for 'not equal'"),
                    '|' => Some("write OR"),
                    '?' => Some("use SEL(condition, if_false, if_true) or an IF statement"),
                    _ => None,
                };
                let mut d = Diagnostic::error(
                    Code::UnexpectedChar,
                    Span::new(start, self.pos),
                    format!("unexpected character {c:?}"),
                );
                if let Some(h) = help {
                    d = d.with_help(h);
                }
                self.out.diagnostics.push(d);
                self.push(TokenKind::Error, start);
                return;
            }
        };
        self.pos += len;
        self.push(kind, start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        let l = lex(src);
        assert!(l.diagnostics.is_empty(), "{src:?}: {:?}", l.diagnostics);
        l.tokens
            .iter()
            .map(|t| t.kind)
            .filter(|k| *k != TokenKind::Eof)
            .collect()
    }

    fn texts(src: &str) -> Vec<&str> {
        lex(src)
            .tokens
            .iter()
            .filter(|t| t.kind != TokenKind::Eof)
            .map(|t| &src[t.span.range()])
            .collect()
    }

    #[test]
    fn literals_of_every_kind() {
        use TokenKind::*;
        assert_eq!(
            kinds("16#FF 8#17 2#1010_0101 1_000 3.14 1.0E-3 1e5 T#1h2m3s4ms time#-5s LTIME#1.5s D#2024-01-31 TOD#12:00:00.5 DT#2024-01-31-12:00:00"),
            vec![Integer, Integer, Integer, Integer, Real, Real, Real, Duration, Duration, Duration, Date, TimeOfDay, DateAndTime]
        );
        assert_eq!(
            kinds("INT#5 E_State#Idle"),
            vec![TypedPrefix, Integer, TypedPrefix, Ident]
        );
        assert_eq!(
            kinds("'it$'s $N $24' \"wide $0041\""),
            vec![String, WString]
        );
        assert_eq!(kinds("%IX0.0 %QW4 %MD10 %I*"), vec![DirectAddress; 4]);
    }

    #[test]
    fn ranges_and_bit_access_are_not_reals() {
        use TokenKind::*;
        assert_eq!(kinds("1..10"), vec![Integer, DotDot, Integer]);
        assert_eq!(kinds("x.3"), vec![Ident, Dot, Integer]);
        assert_eq!(
            texts("a[1..2] := T#1s.x"),
            vec!["a", "[", "1", "..", "2", "]", ":=", "T#1s", ".", "x"]
        );
    }

    #[test]
    fn keywords_ignore_case_and_contextual_words_are_names() {
        assert_eq!(
            kinds("end_if End_If"),
            vec![TokenKind::Keyword(Kw::EndIf); 2]
        );
        assert_eq!(kinds("SET Get public"), vec![TokenKind::Ident; 3]);
        assert_eq!(
            kinds("REF= :="),
            vec![TokenKind::RefAssign, TokenKind::Assign]
        );
    }

    #[test]
    fn comments_nest_and_are_trivia() {
        let l = lex("a (* x (* y *) z *) b // c\n{attribute 'hide'} /* d */ e");
        assert!(l.diagnostics.is_empty());
        assert_eq!(l.tokens.len(), 4);
        assert_eq!(l.trivia.len(), 4);
    }

    #[test]
    fn bad_input_is_reported_and_lexing_goes_on() {
        for (src, code) in [
            ("a (* never closed", Code::UnterminatedComment),
            ("x := 'open", Code::UnterminatedString),
            ("'$Q'", Code::BadEscape),
            ("2#102", Code::BadNumber),
            ("7#12", Code::BadNumber),
            ("12abc", Code::BadNumber),
            ("T#5parsecs", Code::BadTimeLiteral),
            ("D#2024-13-40", Code::BadTimeLiteral),
            ("%XW3", Code::BadAddress),
            ("a ! b", Code::UnexpectedChar),
            ("a \u{1} b", Code::UnexpectedChar),
        ] {
            let l = lex(src);
            assert!(
                l.diagnostics.iter().any(|d| d.code == code),
                "{src:?}: {:?}",
                l.diagnostics
            );
            assert_eq!(l.tokens.last().unwrap().kind, TokenKind::Eof);
        }
    }

    #[test]
    fn unicode_identifiers_and_junk_never_panic() {
        assert_eq!(kinds("Drehzahl_Größe"), vec![TokenKind::Ident]);
        let junk: String = (0u32..2000)
            .filter_map(|i| char::from_u32(i * 37 % 0x3000))
            .collect();
        let l = lex(&junk);
        assert_eq!(l.tokens.last().unwrap().kind, TokenKind::Eof);
    }
}
