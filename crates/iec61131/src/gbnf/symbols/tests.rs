//! What the symbol grammars generate checks clean: random texts drawn from
//! each grammar (by a small GBNF sampler written here for the test; that
//! llama.cpp's engine reads the grammars the same way is tested against it in
//! the workspace's `tests/st_grammar.rs`) are judged by the real checker.

use std::collections::HashMap;

use super::*;
use crate::Severity;

#[derive(Debug, Clone)]
enum Node {
    Lit(String),
    Class {
        neg: bool,
        ranges: Vec<(char, char)>,
    },
    Ref(String),
    Seq(Vec<Node>),
    Alt(Vec<Node>),
    Rep(Box<Node>, usize, usize),
}

/// A small deterministic generator (xorshift), so a failing sample is the
/// same on every run.
struct TestRng(u64);

impl TestRng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

struct Grammar {
    rules: HashMap<String, Node>,
    /// The fewest rule expansions each rule needs to finish.
    depth: HashMap<String, usize>,
}

fn parse_grammar(text: &str) -> Grammar {
    let mut rules = HashMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (name, body) = line.split_once(" ::= ").expect("one rule per line");
        let chars: Vec<char> = body.chars().collect();
        let mut at = 0;
        let node = alt(&chars, &mut at);
        assert_eq!(at, chars.len(), "rule {name} parsed to the end: {body}");
        assert!(
            rules.insert(name.trim().to_string(), node).is_none(),
            "{name} defined twice"
        );
    }
    let mut depth: HashMap<String, usize> = HashMap::new();
    for _ in 0..200 {
        for (name, node) in &rules {
            if let Some(d) = min_depth(node, &depth) {
                let e = depth.entry(name.clone()).or_insert(usize::MAX);
                *e = (*e).min(d);
            }
        }
    }
    for name in rules.keys() {
        assert!(depth.contains_key(name), "rule {name} can never finish");
    }
    Grammar { rules, depth }
}

fn min_depth(n: &Node, known: &HashMap<String, usize>) -> Option<usize> {
    match n {
        Node::Lit(_) | Node::Class { .. } => Some(0),
        Node::Ref(r) => known.get(r).map(|d| d + 1),
        Node::Seq(items) => items
            .iter()
            .try_fold(0, |m, i| Some(m.max(min_depth(i, known)?))),
        Node::Alt(alts) => alts.iter().filter_map(|a| min_depth(a, known)).min(),
        Node::Rep(_, 0, _) => Some(0),
        Node::Rep(inner, _, _) => min_depth(inner, known),
    }
}

fn skip_ws(c: &[char], at: &mut usize) {
    while *at < c.len() && c[*at] == ' ' {
        *at += 1;
    }
}

fn alt(c: &[char], at: &mut usize) -> Node {
    let mut alts = vec![seq(c, at)];
    while *at < c.len() && c[*at] == '|' {
        *at += 1;
        alts.push(seq(c, at));
    }
    if alts.len() == 1 {
        alts.pop().unwrap()
    } else {
        Node::Alt(alts)
    }
}

fn seq(c: &[char], at: &mut usize) -> Node {
    let mut items = Vec::new();
    loop {
        skip_ws(c, at);
        if *at >= c.len() || c[*at] == '|' || c[*at] == ')' {
            break;
        }
        let item = atom(c, at);
        items.push(postfix(c, at, item));
    }
    Node::Seq(items)
}

fn escaped(c: &[char], at: &mut usize) -> char {
    let ch = c[*at];
    *at += 1;
    if ch != '\\' {
        return ch;
    }
    let e = c[*at];
    *at += 1;
    match e {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        other => other,
    }
}

fn atom(c: &[char], at: &mut usize) -> Node {
    match c[*at] {
        '"' => {
            *at += 1;
            let mut s = String::new();
            while c[*at] != '"' {
                s.push(escaped(c, at));
            }
            *at += 1;
            Node::Lit(s)
        }
        '[' => {
            *at += 1;
            let neg = c[*at] == '^';
            if neg {
                *at += 1;
            }
            let mut ranges = Vec::new();
            while c[*at] != ']' {
                let lo = escaped(c, at);
                let hi = if c[*at] == '-' && c[*at + 1] != ']' {
                    *at += 1;
                    escaped(c, at)
                } else {
                    lo
                };
                ranges.push((lo, hi));
            }
            *at += 1;
            Node::Class { neg, ranges }
        }
        '(' => {
            *at += 1;
            let inner = alt(c, at);
            assert_eq!(c[*at], ')');
            *at += 1;
            inner
        }
        _ => {
            let start = *at;
            while *at < c.len() && (c[*at].is_ascii_alphanumeric() || c[*at] == '-') {
                *at += 1;
            }
            assert!(*at > start, "unexpected {:?} in the grammar", c[start]);
            Node::Ref(c[start..*at].iter().collect())
        }
    }
}

fn postfix(c: &[char], at: &mut usize, item: Node) -> Node {
    if *at >= c.len() {
        return item;
    }
    match c[*at] {
        '?' => {
            *at += 1;
            Node::Rep(Box::new(item), 0, 1)
        }
        '*' => {
            *at += 1;
            Node::Rep(Box::new(item), 0, usize::MAX)
        }
        '+' => {
            *at += 1;
            Node::Rep(Box::new(item), 1, usize::MAX)
        }
        '{' => {
            *at += 1;
            let end = c[*at..].iter().position(|&x| x == '}').unwrap() + *at;
            let spec: String = c[*at..end].iter().collect();
            *at = end + 1;
            let (lo, hi) = match spec.split_once(',') {
                Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
                None => (spec.parse().unwrap(), spec.parse().unwrap()),
            };
            Node::Rep(Box::new(item), lo, hi)
        }
        _ => item,
    }
}

impl Grammar {
    fn sample(&self, rng: &mut TestRng, budget: usize) -> String {
        let mut out = String::new();
        self.gen(&Node::Ref("root".into()), rng, budget, &mut out);
        out
    }

    fn gen(&self, n: &Node, rng: &mut TestRng, budget: usize, out: &mut String) {
        match n {
            Node::Lit(s) => out.push_str(s),
            Node::Class { neg, ranges } => {
                let pick = if *neg {
                    let pool: Vec<char> = "abcXYZ019 _+-=;:.,#()".chars().collect();
                    let ok: Vec<char> = pool
                        .into_iter()
                        .filter(|ch| !ranges.iter().any(|(lo, hi)| (lo..=hi).contains(&ch)))
                        .collect();
                    ok[rng.below(ok.len())]
                } else {
                    let (lo, hi) = ranges[rng.below(ranges.len())];
                    char::from_u32(
                        lo as u32 + rng.below((hi as u32 - lo as u32 + 1) as usize) as u32,
                    )
                    .unwrap()
                };
                out.push(pick);
            }
            Node::Ref(r) => {
                let body = &self.rules[r];
                self.gen(body, rng, budget.saturating_sub(1), out);
            }
            Node::Seq(items) => items.iter().for_each(|i| self.gen(i, rng, budget, out)),
            Node::Alt(alts) => {
                let fits: Vec<&Node> = alts
                    .iter()
                    .filter(|a| min_depth(a, &self.depth).is_some_and(|d| d <= budget))
                    .collect();
                let choice = if fits.is_empty() {
                    alts.iter()
                        .min_by_key(|a| min_depth(a, &self.depth).unwrap_or(usize::MAX))
                        .unwrap()
                } else {
                    fits[rng.below(fits.len())]
                };
                self.gen(choice, rng, budget, out);
            }
            Node::Rep(inner, lo, hi) => {
                let extra = if budget > 2 { rng.below(3) } else { 0 };
                let times = (*lo + extra).min(*hi);
                for _ in 0..times {
                    self.gen(inner, rng, budget, out);
                }
            }
        }
    }
}

impl Grammar {
    /// Whether the grammar derives all of `text` (a test-side recognizer:
    /// every position each rule may end at from each start, memoised).
    fn accepts(&self, text: &str) -> Result<(), usize> {
        let chars: Vec<char> = text.chars().collect();
        let mut memo = HashMap::new();
        let ends = self.ends(&Node::Ref("root".into()), 0, &chars, &mut memo);
        if ends.contains(&chars.len()) {
            Ok(())
        } else {
            // The furthest any rule got: near where the text leaves the grammar.
            Err(memo
                .values()
                .flat_map(|e: &Vec<usize>| e.iter().copied())
                .max()
                .unwrap_or(0))
        }
    }

    fn ends(
        &self,
        n: &Node,
        at: usize,
        c: &[char],
        memo: &mut HashMap<(String, usize), Vec<usize>>,
    ) -> Vec<usize> {
        match n {
            Node::Lit(s) => {
                let s: Vec<char> = s.chars().collect();
                if c.len() >= at + s.len() && c[at..at + s.len()] == s[..] {
                    vec![at + s.len()]
                } else {
                    vec![]
                }
            }
            Node::Class { neg, ranges } => match c.get(at) {
                Some(ch) if ranges.iter().any(|(lo, hi)| (lo..=hi).contains(&ch)) != *neg => {
                    vec![at + 1]
                }
                _ => vec![],
            },
            Node::Ref(r) => {
                let key = (r.clone(), at);
                if let Some(e) = memo.get(&key) {
                    return e.clone();
                }
                memo.insert(key.clone(), Vec::new());
                let e = self.ends(&self.rules[r], at, c, memo);
                memo.insert(key, e.clone());
                e
            }
            Node::Seq(items) => {
                let mut cur = vec![at];
                for i in items {
                    let mut next: Vec<usize> =
                        cur.iter().flat_map(|&p| self.ends(i, p, c, memo)).collect();
                    next.sort_unstable();
                    next.dedup();
                    cur = next;
                    if cur.is_empty() {
                        break;
                    }
                }
                cur
            }
            Node::Alt(alts) => {
                let mut out: Vec<usize> = alts
                    .iter()
                    .flat_map(|a| self.ends(a, at, c, memo))
                    .collect();
                out.sort_unstable();
                out.dedup();
                out
            }
            Node::Rep(inner, lo, hi) => {
                let mut out = Vec::new();
                let mut frontier = vec![at];
                let mut seen = std::collections::HashSet::new();
                for k in 0..=*hi {
                    if k >= *lo {
                        out.extend(frontier.iter().copied());
                    }
                    if k == *hi || frontier.is_empty() {
                        break;
                    }
                    let mut next: Vec<usize> = frontier
                        .iter()
                        .flat_map(|&p| self.ends(inner, p, c, memo))
                        .filter(|p| k < *lo || seen.insert(*p))
                        .collect();
                    next.sort_unstable();
                    next.dedup();
                    frontier = next;
                }
                out.sort_unstable();
                out.dedup();
                out
            }
        }
    }
}

const HEADER: &str = "\
TYPE E_Mode : (Idle, Filling, Draining); END_TYPE
TYPE S_Level : STRUCT high : BOOL; value : REAL; END_STRUCT END_TYPE
FUNCTION Scale : REAL
VAR_INPUT raw : INT; gain : REAL; END_VAR
Scale := INT_TO_REAL(raw) * gain;
END_FUNCTION
FUNCTION_BLOCK FB_Pump
VAR_INPUT run : BOOL; setpoint : INT; END_VAR
VAR_OUTPUT running : BOOL; speed : INT; END_VAR
running := run;
speed := setpoint;
END_FUNCTION_BLOCK
FUNCTION_BLOCK FB_Tank
VAR_INPUT
    start : BOOL;
    level_raw : INT;
    limit : REAL;
    delay : TIME;
    mask : WORD;
    label : STRING;
    big : ULINT;
END_VAR
VAR_OUTPUT
    alarm : BOOL;
    count : DINT;
    level : REAL;
    status : WORD;
    mode : E_Mode;
    message : STRING;
    elapsed : TIME;
END_VAR
VAR_IN_OUT
    total : UDINT;
END_VAR
VAR CONSTANT
    MAX_COUNT : INT := 100;
END_VAR
VAR
    tmr : TON;
    ctr : CTU;
    edge : R_TRIG;
    pump : FB_Pump;
    history : ARRAY[0..9] OF REAL;
    grid : ARRAY[1..3, 1..3] OF INT;
    info : S_Level;
    i : INT;
    n : UINT;
    wide : ULINT;
END_VAR
";

fn model_of(src: &str) -> (Model, crate::Parsed) {
    let p = crate::parse(src);
    assert!(!p.has_errors(), "{:?}", p.diagnostics);
    (Model::build(&[&p.file]), p)
}

fn errors_of(code: &str) -> Vec<String> {
    crate::check_text(code)
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{:?} {}", d.code, d.message))
        .collect()
}

#[test]
fn every_body_the_symbol_grammar_generates_checks_clean() {
    let (model, _) = model_of(&format!("{HEADER}END_FUNCTION_BLOCK\n"));
    let text = body_grammar(&model, "FB_Tank", "END_FUNCTION_BLOCK");
    let g = parse_grammar(&text);
    let rng = &mut TestRng(0x9e37_79b9_7f4a_7c15);
    let mut seen = 0;
    for round in 0..1500 {
        let body = g.sample(rng, 9 + round % 6);
        let code = format!("{HEADER}{body}\n");
        let errors = errors_of(&code);
        assert!(errors.is_empty(), "{errors:?} in\n{body}\n{body:?}");
        seen += body.len();
    }
    assert!(
        seen > 100_000,
        "the samples are not trivial ({seen} characters)"
    );
}

#[test]
fn every_locals_section_the_grammar_generates_checks_clean() {
    let (model, _) = model_of(&format!("{HEADER}END_FUNCTION_BLOCK\n"));
    let text = locals_grammar(&model, "FB_Tank");
    let g = parse_grammar(&text);
    let rng = &mut TestRng(0x2545_f491_4f6c_dd1d);
    for _ in 0..1500 {
        let locals = drop_repeated_locals(&g.sample(rng, 12));
        let code = format!("{HEADER}{locals}\nEND_FUNCTION_BLOCK\n");
        let errors = errors_of(&code);
        assert!(errors.is_empty(), "{errors:?} in\n{locals}");
    }
}

#[test]
fn the_grammars_know_the_declarations() {
    let (model, _) = model_of(&format!("{HEADER}END_FUNCTION_BLOCK\n"));
    let body = body_grammar(&model, "FB_Tank", "END_FUNCTION_BLOCK");
    let rule = |name: &str| {
        body.lines()
            .find(|l| l.starts_with(&format!("{name} ::= ")))
            .unwrap_or_else(|| panic!("no rule {name}"))
            .to_string()
    };
    let w_bool = rule("w-bool");
    assert!(w_bool.contains(&keyword("alarm")));
    assert!(
        !w_bool.contains(&keyword("start")),
        "an input is not written"
    );
    assert!(
        !rule("w-int").contains(&keyword("MAX_COUNT")),
        "a constant is not written"
    );
    assert!(rule("r-int").contains(&keyword("MAX_COUNT")));
    // Members and indices as declared; another block's output is read, not written.
    assert!(rule("r-bool").contains(&format!("{} \".\" {}", keyword("tmr"), keyword("Q"))));
    assert!(!w_bool.contains(&keyword("tmr")));
    assert!(rule("r-real").contains(&format!("{} \"[\"", keyword("history"))));
    assert!(rule("w-real").contains(&format!("{} \".\" {}", keyword("info"), keyword("VALUE"))));
    // A FOR over i may not assign i.
    let for_i = body
        .lines()
        .find(|l| l.contains(&format!("{} sp {} ws \":=\"", keyword("FOR"), keyword("i"))))
        .unwrap();
    let ctx = for_i
        .split("stmts-f")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert!(!rule(&format!("w-int-f{ctx}")).contains(&format!("| {} |", keyword("i"))));

    let locals = locals_grammar(&model, "FB_Tank");
    assert!(
        locals.contains(&keyword("FB_PUMP")),
        "project blocks are types"
    );
    assert!(
        !locals.contains(&keyword("FB_TANK")),
        "not the block itself"
    );
}

#[test]
fn a_repeated_local_is_dropped_and_the_first_kept() {
    let s = "VAR\n    a : INT := 1;\n    b : BOOL;\n    A : REAL;\nEND_VAR";
    assert_eq!(
        drop_repeated_locals(s),
        "VAR\n    a : INT := 1;\n    b : BOOL;\n    \nEND_VAR"
    );
    assert_eq!(
        drop_repeated_locals("VAR x : ; END_VAR"),
        "VAR x : ; END_VAR"
    );
}

/// Every function block of the verified snippet library, given its own
/// declarations, has a body the symbol grammar accepts: the grammar leaves
/// out nothing that working PLC code needs.
#[test]
fn the_body_grammar_accepts_every_library_block() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/st-library");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "st"))
        .collect();
    files.sort();
    assert!(files.len() >= 20);
    let mut refused = Vec::new();
    for path in files {
        let code = std::fs::read_to_string(&path).unwrap();
        let parsed = crate::parse(&code);
        let model = Model::build(&[&parsed.file]);
        for item in &parsed.file.items {
            let crate::ast::Item::Pou(p) = item else {
                continue;
            };
            if p.kind != PouKind::FunctionBlock {
                continue;
            }
            let Some(first) = p.body.as_ref().and_then(|b| b.first()) else {
                continue;
            };
            let body = &code[first.span.start as usize..p.span.end as usize];
            let g = parse_grammar(&body_grammar(&model, &p.name.name, "END_FUNCTION_BLOCK"));
            if let Err(at) = g.accepts(body) {
                let at = body.char_indices().nth(at).map_or(body.len(), |(i, _)| i);
                refused.push(format!(
                    "{}: {}: refused near …{}⟨here⟩{}…",
                    path.file_name().unwrap().to_string_lossy(),
                    p.name.name,
                    &body[body[..at]
                        .char_indices()
                        .rev()
                        .nth(40)
                        .map_or(0, |(i, _)| i)..at],
                    &body[at..body[at..]
                        .char_indices()
                        .nth(20)
                        .map_or(body.len(), |(i, _)| at + i)]
                ));
            }
        }
    }
    assert!(
        refused.is_empty(),
        "{} refused:\n{}",
        refused.len(),
        refused.join("\n")
    );
}

/// The checker's errors the grammar makes impossible, one by one (the same
/// cases run through llama.cpp's own grammar engine in `tests/st_grammar.rs`).
#[test]
fn the_grammars_refuse_what_the_checker_refuses() {
    let (model, _) = model_of(&format!("{HEADER}END_FUNCTION_BLOCK\n"));
    let body = parse_grammar(&body_grammar(&model, "FB_Tank", "END_FUNCTION_BLOCK"));
    let end = "\nEND_FUNCTION_BLOCK";
    let ok = |s: &str| body.accepts(&format!("{s}{end}")).is_ok();
    assert!(ok("alarm := start AND NOT tmr.Q;"));
    assert!(ok("tmr(IN := start, PT := delay);\ncount := count + 1;"));
    assert!(ok("FOR i := 0 TO 9 DO\n    history[i] := level;\nEND_FOR;"));
    for (bad, why) in [
        ("alarm := missing;", "an undeclared name"),
        ("start := TRUE;", "a write to an input"),
        ("MAX_COUNT := 3;", "a write to a constant"),
        ("tmr.Q := TRUE;", "a write to another block's output"),
        (
            "IF level_raw THEN alarm := TRUE; END_IF;",
            "an INT condition",
        ),
        ("alarm := level;", "a REAL into a BOOL"),
        ("count := level * 2.0;", "a REAL into a DINT"),
        (
            "tmr(IN := start, PRESET := delay);",
            "a parameter TON does not have",
        ),
        ("tmr(PT := 5);", "an INT for a TIME parameter"),
        (
            "FOR i := 0 TO 9 DO i := 1; END_FOR;",
            "the FOR variable written in its loop",
        ),
        ("info.high := level;", "a REAL into a BOOL field"),
        ("level := history;", "an array as a value"),
    ] {
        assert!(!ok(bad), "the grammar accepts {why}: {bad}");
        // The checker refuses or warns about each too: the grammar leaves out
        // no more than it must (writing an input is a warning).
        let judged = crate::check_text(&format!("{HEADER}{bad}{end}\n")).diagnostics;
        assert!(
            judged
                .iter()
                .any(|d| d.severity != Severity::Note && d.code != crate::Code::Unused),
            "{why}: the checker accepts {bad}"
        );
    }
    let locals = parse_grammar(&locals_grammar(&model, "FB_Tank"));
    assert!(locals
        .accepts(
            "VAR\n    spare : INT := 3;\n    t2 : TON;\n    buf : ARRAY[0..7] OF WORD;\nEND_VAR"
        )
        .is_ok());
    for bad in [
        "VAR\n    alarm : BOOL;\nEND_VAR",
        "VAR\n    ALARM : BOOL;\nEND_VAR",
        "VAR\n    tmr : TON;\nEND_VAR",
        "VAR\n    x : Valve;\nEND_VAR",
        "VAR\n    x : FB_Tank;\nEND_VAR",
        "VAR\n    then : INT;\nEND_VAR",
        "VAR\n    x : BOOL := 5;\nEND_VAR",
    ] {
        assert!(
            locals.accepts(bad).is_err(),
            "the locals grammar accepts {bad:?}"
        );
    }
}

#[test]
fn a_body_that_left_outputs_unwritten_goes_on_to_write_them() {
    let first = "count := 1;\n";
    let before = crate::Analysis::new(&format!("{HEADER}{first}END_FUNCTION_BLOCK\n"));
    let missing = before.unassigned_outputs();
    assert_eq!(
        missing,
        ["alarm", "level", "status", "mode", "message", "elapsed"]
    );
    let text = outputs_grammar(before.model(), "FB_Tank", "END_FUNCTION_BLOCK", &missing)
        .expect("every missing output is a scalar");
    let g = parse_grammar(&text);
    let rng = &mut TestRng(0x6a09_e667_f3bc_c908);
    for round in 0..300 {
        let rest = g.sample(rng, 9 + round % 4);
        let code = format!("{HEADER}{first}{rest}\n");
        let errors = errors_of(&code);
        assert!(errors.is_empty(), "{errors:?} in\n{rest}");
        let after = crate::Analysis::new(&code);
        assert!(after.unassigned_outputs().is_empty(), "{rest}");
    }
    // Nothing to assign that an expression could fill: no grammar.
    let (model, _) = model_of(&format!("{HEADER}END_FUNCTION_BLOCK\n"));
    assert!(outputs_grammar(&model, "FB_Tank", "END_FUNCTION_BLOCK", &["history"]).is_none());
}
