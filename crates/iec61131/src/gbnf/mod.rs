//! A GBNF grammar (llama.cpp's grammar format) for Structured Text, used to
//! constrain a model while it writes code.
//!
//! It accepts a superset of what [`crate::parse`] accepts without errors — the
//! parser and checker still judge the result — and must accept every valid
//! fixture (a test runs them through llama.cpp's grammar engine). Keywords
//! match in any case; comments and pragmas may stand wherever whitespace may.
//!
//! Each token rule eats its own trailing whitespace (`ws`), so two optional
//! whitespace runs never meet: that keeps llama.cpp's parse stacks few.
//! Keyword rules (`k-end-if` …) are generated from their names.

mod symbols;

pub use symbols::{body_grammar, drop_repeated_locals, locals_grammar, outputs_grammar};

const RULES: &str = r##"
root ::= ws item+
item ::= program | function-block | function | interface | type-block | var-block

program ::= k-program qname semi? var-block* stmt* member* k-end-program semi?
function-block ::= k-function-block modifier* qname fb-clause* semi? var-block* stmt* member* k-end-function-block semi?
fb-clause ::= k-extends qname-list | k-implements qname-list
function ::= k-function modifier* qname (":" ws type-ref)? semi? var-block* stmt* k-end-function semi?
interface ::= k-interface modifier* qname (k-extends qname-list)? member* k-end-interface semi?
member ::= method | property | action
method ::= k-method modifier* qname (":" ws type-ref)? semi? var-block* stmt* k-end-method semi?
property ::= k-property modifier* qname ":" ws type-ref var-block* (accessor+ | stmt*) k-end-property semi?
accessor ::= k-get var-block* stmt* k-end-get semi? | k-set var-block* stmt* k-end-set semi?
action ::= k-action qname (":" ws)? stmt* k-end-action semi?
modifier ::= k-public | k-private | k-protected | k-internal | k-abstract | k-final

var-block ::= var-kind var-qualifier* var-decl* k-end-var semi?
var-kind ::= k-var | k-var-input | k-var-output | k-var-in-out | k-var-temp | k-var-external | k-var-global | k-var-stat | k-var-inst | k-var-config | k-var-access
var-qualifier ::= k-constant | k-retain | k-non-retain | k-persistent
var-decl ::= name ("," ws name)* (k-at address)? ":" ws type-ref (":=" ws init)? semi

type-block ::= k-type type-decl* k-end-type semi?
type-decl ::= name (k-extends qname-list)? ":" ws type-def (":=" ws init)? semi?
type-def ::= struct-def | k-union var-decl* k-end-union | type-ref
struct-def ::= k-struct (k-extends qname-list)? var-decl* k-end-struct
type-ref ::= k-array "[" ws dim ("," ws dim)* "]" ws k-of type-ref
  | k-pointer k-to type-ref
  | k-reference k-to type-ref
  | k-ref-to type-ref
  | (k-string | k-wstring) (("[" ws expr "]" ws) | ("(" ws expr ")" ws))?
  | "(" ws enum-value ("," ws enum-value)* ")" ws name?
  | struct-def
  | qname ("(" ws (expr ".." ws expr | enum-value ("," ws enum-value)*) ")" ws)?
dim ::= expr ".." ws expr | "*" ws
enum-value ::= name (":=" ws expr)?
init ::= "[" ws (array-item ("," ws array-item)*)? "]" ws
  | "(" ws name ":=" ws init ("," ws name ":=" ws init)* ")" ws
  | expr
array-item ::= number "(" ws init? ")" ws | init

stmt ::= simple-stmt | if-stmt | case-stmt | for-stmt | while-stmt | repeat-stmt
  | k-exit semi | k-continue semi | k-return semi | semi
simple-stmt ::= postfix (assign-op expr)? semi
assign-op ::= (":=" | [Rr] [Ee] [Ff] "=" | [SsRr] "=") ws
if-stmt ::= k-if expr k-then stmt* (k-elsif expr k-then stmt*)* (k-else stmt*)? k-end-if semi?
case-stmt ::= k-case expr k-of case-arm* (k-else stmt*)? k-end-case semi?
case-arm ::= case-label ("," ws case-label)* ":" ws stmt*
case-label ::= expr (".." ws expr)?
for-stmt ::= k-for name ":=" ws expr k-to expr (k-by expr)? k-do stmt* k-end-for semi?
while-stmt ::= k-while expr k-do stmt* k-end-while semi?
repeat-stmt ::= k-repeat stmt* k-until expr k-end-repeat semi?
semi ::= ";" ws

expr ::= unary (binary-op unary)*
binary-op ::= ("**" | "*" | "/" | "+" | "-" | "=" | "<>" | "<=" | ">=" | "<" | ">" | "&") ws
  | k-and | k-and-then | k-or | k-or-else | k-xor | k-mod
unary ::= ("-" ws | "+" ws | k-not)* postfix
postfix ::= primary postfix-op*
postfix-op ::= "." ws (name | [0-9]+ ws) | "[" ws expr ("," ws expr)* "]" ws | "^" ws | "(" ws (arg ("," ws arg)*)? ")" ws
arg ::= k-not? name "=>" ws expr? | name ":=" ws expr | expr
primary ::= number | string | wstring | typed-literal | address | k-true | k-false | k-this | k-super | name | "(" ws expr ")" ws

name ::= ident ws
qname ::= ident ("." ident)* ws
qname-list ::= qname ("," ws qname)*
ident ::= [A-Za-z_\x80-\U0010FFFF] [A-Za-z0-9_\x80-\U0010FFFF]*
number ::= [0-9] [0-9_]* ("#" [0-9A-Fa-f_]+)? ("." [0-9] [0-9_]*)? ([Ee] [+-]? [0-9]+)? ws
typed-literal ::= ident "#" [+-]? [0-9A-Za-z_.:]+ ("-" [0-9A-Za-z_.:]+)* ws
address ::= "%" [IiQqMm] [XxBbWwDdLl]? ("*" | [0-9]+ ("." [0-9]+)*) ws
string ::= "'" ([^'$\n] | "$" [^\n])* "'" ws
wstring ::= "\"" ([^"$\n] | "$" [^\n])* "\"" ws

ws ::= ([ \t\r\n] | comment)*
comment ::= "(*" cm-body | "/*" cs-body | "//" [^\n]* | "{" [^}]* "}"
cm-body ::= [^*(] cm-body | "*" cm-star | "(" cm-paren
cm-star ::= ")" | "*" cm-star | "(" cm-paren | [^*()] cm-body
cm-paren ::= "*" cm-body cm-body | "(" cm-paren | [^*(] cm-body
cs-body ::= [^*] cs-body | "*" cs-star
cs-star ::= "/" | "*" cs-star | [^*/] cs-body
"##;

/// The grammar with another start rule, written in its own rules' names:
/// `grammar_with_root("ws var-block* stmt* k-end-function-block semi?")`
/// accepts the rest of a function block whose header a prompt already holds.
pub fn grammar_with_root(root: &str) -> String {
    grammar().replacen("root ::= ws item+", &format!("root ::= {root}"), 1)
}

/// The comment rule of [`grammar`]: any comment, nested or long.
const COMMENT_RULE: &str =
    r#"comment ::= "(*" cm-body | "/*" cs-body | "//" [^\n]* | "{" [^}]* "}""#;

/// The comment rule for generation: a comment closes within about 160
/// characters and holds no `(*`, `*)` or `**`.
/// A small model that opens a comment (`(*)` is one) otherwise writes the
/// rest of the block inside it and loops there until the token limit.
const GENERATED_COMMENT_RULE: &str = r#"comment ::= "(*" gc-char{0,160} "*)" | "//" [^\n]{0,160} | "{" [^}\n]{0,160} "}"
gc-char ::= [^*()] | "(" [^*()] | "*" [^*()] | ")""#;

/// [`grammar_with_root`] with the comments a model may write kept short
/// and flat; the parser still reads any comment.
pub fn generation_grammar_with_root(root: &str) -> String {
    let g = grammar_with_root(root);
    debug_assert!(g.contains(COMMENT_RULE));
    g.replacen(COMMENT_RULE, GENERATED_COMMENT_RULE, 1)
}

/// The grammar text, ready for llama.cpp (`root` is the start rule).
pub fn grammar() -> String {
    let mut out = String::from(
        "# IEC 61131-3 Structured Text for constrained decoding. Generated by millwright-iec61131.\n",
    );
    // llama.cpp ends a rule at a newline outside parentheses, so continuation
    // lines (written indented for reading) are joined to their rule.
    for line in RULES.trim().lines() {
        if line.starts_with("  ") {
            out.pop();
            out.push(' ');
            out.push_str(line.trim());
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    for kw in keyword_rules() {
        out.push_str(&kw);
        out.push('\n');
    }
    out
}

/// `k-end-if ::= [Ee][Nn][Dd] "_" [Ii][Ff] _` for every `k-…` name the rules use.
fn keyword_rules() -> Vec<String> {
    let mut names: Vec<&str> = RULES
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("k-") && w.len() > 2)
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|rule| {
            let word = rule[2..].replace('-', "_").to_ascii_uppercase();
            format!("{rule} ::= {} ws", keyword(&word))
        })
        .collect()
}

/// `word` in any case, as GBNF, without the trailing whitespace the `k-…`
/// rules eat: `keyword("END_IF")` is `[Ee] [Nn] [Dd] "_" [Ii] [Ff]`.
pub fn keyword(word: &str) -> String {
    word.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
            } else {
                format!("\"{c}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_used_is_defined() {
        every_rule_used_is_defined_in(&grammar());
        let g = generation_grammar_with_root("ws item+");
        assert!(g.contains("gc-char{0,160}") && !g.contains(COMMENT_RULE));
        every_rule_used_is_defined_in(&g);
    }

    fn every_rule_used_is_defined_in(g: &str) {
        let defined: Vec<&str> = g
            .lines()
            .filter_map(|l| l.split_once(" ::= ").map(|(n, _)| n.trim()))
            .collect();
        // Names outside quotes and character classes.
        let mut used = Vec::new();
        for line in g.lines().filter(|l| !l.starts_with('#')) {
            let body = line.split_once(" ::= ").map_or(line, |(_, b)| b);
            let mut in_str = false;
            let mut in_class = false;
            let mut word = String::new();
            let mut prev = ' ';
            for c in body.chars() {
                match c {
                    '"' if !in_class && prev != '\\' => in_str = !in_str,
                    '[' if !in_str => in_class = true,
                    ']' if !in_str && prev != '\\' => in_class = false,
                    _ => {}
                }
                if !in_str && !in_class && (c.is_ascii_alphanumeric() || c == '-') {
                    word.push(c);
                } else if !word.is_empty() {
                    used.push(std::mem::take(&mut word));
                }
                prev = c;
            }
            if !word.is_empty() {
                used.push(word);
            }
        }
        for u in used
            .iter()
            .filter(|u| u.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        {
            assert!(
                defined.contains(&u.as_str()),
                "rule {u} is used but not defined"
            );
        }
        assert!(g.contains("k-end-function-block ::= [Ee] [Nn] [Dd] \"_\""));
    }
}
