//! A bound on how deeply expressions nest in parentheses.
//!
//! Typed expressions are ambiguous at an opening parenthesis: in a BOOL
//! context `(` may open a BOOL operand or the left side of a comparison of
//! numbers, durations or bit strings, so llama.cpp's grammar engine keeps a
//! stack for each reading, and nested parentheses multiply them. Measured on
//! the default model's vocabulary: checking `q := ((((((value > 1.0))))));`
//! took 0.03 s at three levels and 1.2 s at seven, growing about 2.5× per
//! level; a model that wrote `((((…` spent minutes on single tokens. So the
//! expression rules are written once per level: what is inside a `(` (a
//! parenthesised operand or a call's arguments) is read by the next level's
//! copy, and the last level has no alternative that opens one.

/// How many parentheses an expression may open inside each other: more than
/// real code needs (`ABS(REAL_TO_INT((x - lo) * k))` opens three), and the
/// grammar engine's work stays small at that depth.
pub(super) const MAX_NESTING: usize = 4;

/// `rules` (one `name ::= body` each), with every rule that can reach a `(`
/// terminal written once per level `0..=MAX_NESTING`. Level 0 keeps the
/// rule's name, so references from outside are unchanged; level `l` is
/// `name-nl`.
pub(super) fn bound_nesting(rules: Vec<String>) -> Vec<String> {
    let parsed: Vec<(String, Vec<Tok>)> = rules
        .iter()
        .map(|r| {
            let (name, body) = r.split_once(" ::= ").expect("a rule is `name ::= body`");
            (name.to_string(), tokens(body))
        })
        .collect();
    let family = family(&parsed);
    let mut out = Vec::new();
    for (name, body) in &parsed {
        if !family.contains(name) {
            out.push(format!("{name} ::= {}", text(body)));
            continue;
        }
        for level in 0..=MAX_NESTING {
            out.push(format!(
                "{} ::= {}",
                at(name, level),
                leveled(body, &family, level)
            ));
        }
    }
    out
}

fn at(name: &str, level: usize) -> String {
    if level == 0 {
        name.to_string()
    } else {
        format!("{name}-n{level}")
    }
}

/// The rules that open a parenthesis or refer to one that does.
fn family(rules: &[(String, Vec<Tok>)]) -> Vec<String> {
    let mut family: Vec<String> = Vec::new();
    loop {
        let before = family.len();
        for (name, body) in rules {
            if family.contains(name) {
                continue;
            }
            let opens = body.iter().any(|t| matches!(t, Tok::Lit(l) if l == OPEN));
            let refers = body
                .iter()
                .any(|t| matches!(t, Tok::Name(n) if family.contains(n)));
            if opens || refers {
                family.push(name.clone());
            }
        }
        if family.len() == before {
            return family;
        }
    }
}

/// `body` at `level`: a name of the family inside a `(` goes one level down;
/// at the last level the alternatives that open one are left out.
fn leveled(body: &[Tok], family: &[String], level: usize) -> String {
    let last = level == MAX_NESTING;
    let alts = alternatives(body);
    let kept: Vec<&[Tok]> = alts
        .iter()
        .copied()
        .filter(|alt| !(last && alt.iter().any(|t| matches!(t, Tok::Lit(l) if l == OPEN))))
        .collect();
    // Every rule the generator writes has an alternative without a
    // parenthesis (a literal, a variable); should one not, it stays
    // recursive at the last level rather than refer to a level not written.
    let (kept, last) = if kept.is_empty() {
        (alts, false)
    } else {
        (kept, last)
    };
    kept.iter()
        .map(|alt| {
            let mut depth = 0usize;
            let mut s = String::new();
            for t in alt.iter() {
                match t {
                    Tok::Lit(l) if l == OPEN => depth += 1,
                    Tok::Lit(l) if l == CLOSE => depth = depth.saturating_sub(1),
                    _ => {}
                }
                match t {
                    Tok::Name(n) if family.contains(n) => {
                        let down = depth > 0 && !last;
                        s.push_str(&at(n, level + usize::from(down)));
                    }
                    t => s.push_str(t.text()),
                }
            }
            s.trim().to_string()
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

const OPEN: &str = "\"(\"";
const CLOSE: &str = "\")\"";

/// A GBNF body's pieces, enough to rename rules and split alternatives.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A quoted terminal, quotes included.
    Lit(String),
    /// A character class, brackets included.
    Class(String),
    /// A rule name (or a repetition count's digits).
    Name(String),
    /// A grouping parenthesis.
    Group(char),
    Bar,
    /// Whitespace and the repetition operators.
    Other(String),
}

impl Tok {
    fn text(&self) -> &str {
        match self {
            Tok::Lit(s) | Tok::Class(s) | Tok::Name(s) | Tok::Other(s) => s,
            Tok::Group('(') => "(",
            Tok::Group(_) => ")",
            Tok::Bar => "|",
        }
    }
}

fn text(body: &[Tok]) -> String {
    body.iter().map(Tok::text).collect()
}

fn tokens(body: &str) -> Vec<Tok> {
    let chars: Vec<char> = body.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            '"' | '[' => {
                let close = if c == '"' { '"' } else { ']' };
                i += 1;
                while i < chars.len() && chars[i] != close {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i = (i + 1).min(chars.len());
                let s: String = chars[start..i].iter().collect();
                out.push(if c == '"' { Tok::Lit(s) } else { Tok::Class(s) });
            }
            '(' | ')' => {
                out.push(Tok::Group(c));
                i += 1;
            }
            '|' => {
                out.push(Tok::Bar);
                i += 1;
            }
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => {
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '-' || chars[i] == '_')
                {
                    i += 1;
                }
                out.push(Tok::Name(chars[start..i].iter().collect()));
            }
            _ => {
                out.push(Tok::Other(c.to_string()));
                i += 1;
            }
        }
    }
    out
}

/// The top-level alternatives of a body (split at `|` outside groups).
fn alternatives(body: &[Tok]) -> Vec<&[Tok]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut from = 0;
    for (i, t) in body.iter().enumerate() {
        match t {
            Tok::Group('(') => depth += 1,
            Tok::Group(_) => depth = depth.saturating_sub(1),
            Tok::Bar if depth == 0 => {
                out.push(&body[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    out.push(&body[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_go_down_inside_a_parenthesis_and_the_last_has_none() {
        let rules = vec![
            "e ::= a (ws \"+\" ws a){0,7}".to_string(),
            "a ::= r-x | [0-9] | \"(\" ws e ws \")\" | [Aa] [Bb] [Ss] ws \"(\" ws e ws \")\""
                .to_string(),
            "op ::= \"=\" | \"<>\"".to_string(),
        ];
        let out = bound_nesting(rules);
        assert_eq!(out.len(), 2 * (MAX_NESTING + 1) + 1, "{out:#?}");
        assert!(out.contains(&"op ::= \"=\" | \"<>\"".to_string()));
        assert!(out.contains(&"e ::= a (ws \"+\" ws a){0,7}".to_string()));
        assert!(out.contains(&"e-n2 ::= a-n2 (ws \"+\" ws a-n2){0,7}".to_string()));
        assert!(out.contains(
            &"a ::= r-x | [0-9] | \"(\" ws e-n1 ws \")\" | [Aa] [Bb] [Ss] ws \"(\" ws e-n1 ws \")\""
                .to_string()
        ));
        let last = format!("a-n{MAX_NESTING} ::= r-x | [0-9]");
        assert!(out.contains(&last), "{out:#?}");
    }

    #[test]
    fn terminals_holding_bars_and_parentheses_are_kept_whole() {
        let toks = tokens(r#""|" [(|)] "\"(" x-1"#);
        assert_eq!(
            toks.iter()
                .filter(|t| !matches!(t, Tok::Other(_)))
                .cloned()
                .collect::<Vec<_>>(),
            vec![
                Tok::Lit("\"|\"".into()),
                Tok::Class("[(|)]".into()),
                Tok::Lit("\"\\\"(\"".into()),
                Tok::Name("x-1".into()),
            ]
        );
        assert_eq!(alternatives(&toks).len(), 1);
    }
}
