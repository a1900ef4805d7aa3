//! A recursive-descent parser that recovers from errors: it reports every
//! problem in a file, not just the first, and always returns a tree.
//!
//! Recovery is by synchronisation: a bad statement is skipped to its `;` or to
//! the next keyword that can start or end a block; a bad declaration to its `;`
//! or `END_VAR`; a bad top-level item to the next POU keyword. Nesting is
//! bounded ([`MAX_DEPTH`]) so hostile input cannot overflow the stack.

mod decl;
mod expr;
mod stmt;

use crate::ast::{Ident, SourceFile};
use crate::diagnostics::{Code, Diagnostic};
use crate::lexer::lex;
use crate::token::{Kw, Span, Token, TokenKind, Trivia};

/// Deepest nesting of statements and expressions the parser follows.
pub const MAX_DEPTH: u32 = 400;

pub struct Parsed {
    pub file: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
    pub trivia: Vec<Trivia>,
}

impl Parsed {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::diagnostics::Severity::Error)
    }
}

pub fn parse(text: &str) -> Parsed {
    let lexed = lex(text);
    let mut p = Parser {
        text,
        tokens: lexed.tokens,
        pos: 0,
        diags: lexed.diagnostics,
        depth: 0,
        too_deep_reported: false,
        queued: Vec::new(),
    };
    let file = p.source_file();
    let mut diagnostics = p.diags;
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Parsed {
        file,
        diagnostics,
        trivia: lexed.trivia,
    }
}

pub(crate) struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    diags: Vec<Diagnostic>,
    depth: u32,
    too_deep_reported: bool,
    /// Statements a chained assignment (`a := b := v;`) stands for before
    /// its own, handed to the statement list after it is parsed.
    queued: Vec<crate::ast::Stmt>,
}

/// Contextual words: names in most places, keywords in POU headers.
pub(crate) const MODIFIERS: [&str; 6] = [
    "PUBLIC",
    "PRIVATE",
    "PROTECTED",
    "INTERNAL",
    "ABSTRACT",
    "FINAL",
];

impl<'a> Parser<'a> {
    // ---- token access -------------------------------------------------

    fn tok(&self) -> Token {
        // The token list always ends with Eof, and pos never passes it.
        self.tokens[self.pos]
    }
    fn peek(&self) -> TokenKind {
        self.tok().kind
    }
    fn peek_at(&self, n: usize) -> TokenKind {
        self.tokens
            .get(self.pos + n)
            .map_or(TokenKind::Eof, |t| t.kind)
    }
    fn text_of(&self, t: Token) -> &'a str {
        &self.text[t.span.range()]
    }
    fn at(&self, k: TokenKind) -> bool {
        self.peek() == k
    }
    fn at_kw(&self, kw: Kw) -> bool {
        self.peek() == TokenKind::Keyword(kw)
    }
    /// The current token is the contextual word `word` (an identifier, any case).
    fn at_word(&self, word: &str) -> bool {
        self.at(TokenKind::Ident) && self.text_of(self.tok()).eq_ignore_ascii_case(word)
    }
    fn bump(&mut self) -> Token {
        let t = self.tok();
        if t.kind != TokenKind::Eof {
            self.pos += 1;
        }
        t
    }
    fn eat(&mut self, k: TokenKind) -> bool {
        if self.at(k) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn eat_kw(&mut self, kw: Kw) -> bool {
        self.eat(TokenKind::Keyword(kw))
    }
    /// End of the previous token: the end of whatever was just parsed.
    fn prev_end(&self) -> u32 {
        if self.pos == 0 {
            0
        } else {
            self.tokens[self.pos - 1].span.end
        }
    }
    fn span_from(&self, start: Span) -> Span {
        Span {
            start: start.start,
            end: self.prev_end().max(start.start),
        }
    }

    // ---- errors ------------------------------------------------------------

    fn found(&self) -> String {
        let t = self.tok();
        match t.kind {
            TokenKind::Eof => "the end of the file".into(),
            TokenKind::Ident => format!("`{}`", self.text_of(t)),
            _ => {
                let s = self.text_of(t);
                if s.len() <= 40 {
                    format!("`{s}`")
                } else {
                    t.kind.to_string()
                }
            }
        }
    }

    /// Reports "expected X, found Y" at the current token (once per position).
    fn expected(&mut self, what: &str) {
        let mut span = self.tok().span;
        // A missing `;` belongs right after the previous token, often on an earlier line.
        if what.starts_with("`;`") && self.pos > 0 {
            let end = self.prev_end();
            span = Span { start: end, end };
        }
        if self
            .diags
            .last()
            .is_some_and(|d| d.span.start == span.start && d.code == Code::Expected)
        {
            return;
        }
        let found = self.found();
        let mut d = Diagnostic::error(
            Code::Expected,
            span,
            format!("expected {what}, found {found}"),
        );
        if let Some(help) = self.hint_for(what) {
            d = d.with_help(help);
        }
        self.diags.push(d);
    }

    fn hint_for(&self, what: &str) -> Option<String> {
        let found = self.text_of(self.tok());
        let prev = if self.pos > 0 {
            self.text_of(self.tokens[self.pos - 1])
        } else {
            ""
        };
        if what.contains("`;`") {
            return Some(format!("add `;` where marked, before {found}"));
        }
        if self.at(TokenKind::Eq) && what.contains(":=") {
            return Some("assignment is written `:=`; `=` compares".into());
        }
        if what.contains("THEN") && !prev.is_empty() {
            return Some("write IF condition THEN … END_IF".into());
        }
        None
    }

    fn expect(&mut self, k: TokenKind, what: &str) -> bool {
        if self.eat(k) {
            true
        } else {
            self.expected(what);
            false
        }
    }

    fn expect_kw(&mut self, kw: Kw) -> bool {
        self.expect(TokenKind::Keyword(kw), &format!("`{}`", kw.as_str()))
    }

    fn ident(&mut self, what: &str) -> Option<Ident> {
        if self.at(TokenKind::Ident) {
            let t = self.bump();
            Some(Ident {
                name: self.text_of(t).to_owned(),
                span: t.span,
            })
        } else {
            self.expected(what);
            None
        }
    }

    /// A possibly qualified name (`Lib.FB_Motor`), kept as one identifier.
    fn qualified_ident(&mut self, what: &str) -> Option<Ident> {
        let mut id = self.ident(what)?;
        while self.at(TokenKind::Dot) && self.peek_at(1) == TokenKind::Ident {
            self.bump();
            let t = self.bump();
            id.name.push('.');
            id.name.push_str(self.text_of(t));
            id.span = id.span.to(t.span);
        }
        Some(id)
    }

    /// Enters one level of nesting; false (after reporting once) when too deep.
    fn enter(&mut self) -> bool {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            if !self.too_deep_reported {
                self.too_deep_reported = true;
                self.diags.push(
                    Diagnostic::error(
                        Code::TooDeep,
                        self.tok().span,
                        format!("nesting is deeper than {MAX_DEPTH} levels here; the rest of the file is not checked"),
                    )
                    .with_help("split the expression or the nested blocks into smaller pieces"),
                );
            }
            // Nothing after this point is parsed: the input is not code a person wrote.
            self.pos = self.tokens.len() - 1;
            return false;
        }
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Skips tokens until one `stop` accepts (not consumed) or the end.
    fn skip_until(&mut self, stop: impl Fn(&Self) -> bool) {
        while !self.at(TokenKind::Eof) && !stop(self) {
            self.bump();
        }
    }

    // ---- top level -------------------------------------------------------

    fn at_pou_start(&self) -> bool {
        matches!(
            self.peek(),
            TokenKind::Keyword(
                Kw::Program
                    | Kw::FunctionBlock
                    | Kw::Function
                    | Kw::Interface
                    | Kw::Type
                    | Kw::VarGlobal
                    | Kw::Configuration
                    | Kw::Method
                    | Kw::Property
            )
        ) || (self.at_word("ACTION") && self.peek_at(1) == TokenKind::Ident)
    }

    fn source_file(&mut self) -> SourceFile {
        let mut file = SourceFile::default();
        loop {
            match self.peek() {
                TokenKind::Eof => break,
                TokenKind::Keyword(Kw::Type) => {
                    file.items.push(crate::ast::Item::Types(self.type_block()))
                }
                TokenKind::Keyword(Kw::VarGlobal) => {
                    if let Some(b) = self.var_block() {
                        file.items.push(crate::ast::Item::Globals(b));
                    }
                }
                TokenKind::Keyword(Kw::Configuration) => {
                    let start = self.bump().span;
                    let name = self.ident("a configuration name");
                    self.skip_until(|p| p.at_kw(Kw::EndConfiguration));
                    if !self.eat_kw(Kw::EndConfiguration) {
                        self.diags.push(Diagnostic::error(
                            Code::MissingEnd,
                            start,
                            "CONFIGURATION has no END_CONFIGURATION",
                        ));
                    }
                    if let Some(name) = name {
                        file.items.push(crate::ast::Item::Configuration {
                            name,
                            span: self.span_from(start),
                        });
                    }
                }
                _ if self.at_pou_start() => {
                    if let Some(pou) = self.pou() {
                        file.items.push(crate::ast::Item::Pou(Box::new(pou)));
                    }
                }
                _ => {
                    self.expected(
                        "PROGRAM, FUNCTION_BLOCK, FUNCTION, INTERFACE, TYPE or VAR_GLOBAL",
                    );
                    self.bump();
                    self.skip_until(|p| p.at_pou_start());
                }
            }
        }
        if file.items.is_empty() && self.diags.is_empty() {
            self.diags.push(
                Diagnostic::warning(Code::EmptyFile, Span::new(0, 0), "this file holds no PROGRAM, FUNCTION_BLOCK, FUNCTION or TYPE")
                    .with_help("a Structured Text file declares at least one POU, e.g. FUNCTION_BLOCK FB_Name … END_FUNCTION_BLOCK"),
            );
        }
        file
    }
}

#[cfg(test)]
mod tests;
