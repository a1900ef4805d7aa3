//! The checker and the simulator read the same program the same way: what
//! checks without errors compiles, and every expression is computed in the
//! type the checker gives it. Over the valid fixtures, the verified snippet
//! library and random well-typed programs.

use std::collections::HashMap;

use millwright_iec61131::check::{self, types::Ty};
use millwright_iec61131::diagnostics::{LineIndex, Severity};
use millwright_iec61131::sim::lower;
use millwright_iec61131::token::Span;
use proptest::prelude::*;

/// Every disagreement between the two, as text (empty when they agree).
fn disagreements(texts: &[&str]) -> Vec<String> {
    let parsed: Vec<_> = texts
        .iter()
        .map(|t| millwright_iec61131::parse(t))
        .collect();
    for (p, t) in parsed.iter().zip(texts) {
        assert!(!p.has_errors(), "{:?}\n{t}", p.diagnostics);
    }
    let files: Vec<_> = parsed.iter().map(|p| &p.file).collect();
    let diags = check::check(&files);
    let errors: Vec<_> = diags
        .iter()
        .flatten()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        return Vec::new(); // Not well-typed: nothing to agree on.
    }
    let checked = check::expression_types(&files);
    let (prog, computed) = lower::expression_types(&files);
    let mut out: Vec<String> = prog
        .errors
        .iter()
        .filter(|e| !UNSUPPORTED.iter().any(|u| e.message.contains(u)))
        .map(|e| {
            let (l, c) = LineIndex::new(texts[e.file]).line_col(e.span.start as usize);
            format!("checks clean but does not compile: {l}:{c}: {}", e.message)
        })
        .collect();
    for (f, text) in texts.iter().enumerate() {
        let by_span: HashMap<Span, &Ty> = checked[f].iter().map(|(s, t)| (*s, t)).collect();
        let index = LineIndex::new(text);
        for (span, sim_ty) in &computed[f] {
            let Some(&check_ty) = by_span.get(span) else {
                continue;
            };
            if concrete(check_ty) && check_ty != sim_ty {
                let (l, c) = index.line_col(span.start as usize);
                let src = &text[span.start as usize..span.end as usize];
                out.push(format!(
                    "{l}:{c}: `{src}` is {check_ty} to the checker, {sim_ty} to the simulator"
                ));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// What the simulator documents it cannot run (ARCHITECTURE.md): the POU is
/// refused with that reason, which is no disagreement about the program.
const UNSUPPORTED: &[&str] = &[
    "ARRAY[*] is not supported by the simulator",
    "UNION is not supported by the simulator",
    "functions returning a structure or array are not supported by the simulator",
    // CODESYS pointers are byte addresses; the simulator's memory is cells.
    "the simulator does not run pointer arithmetic",
    "the simulator does not convert a pointer to one type into a pointer to another",
    "the simulator does not convert between pointers and integers",
];

/// A type both sides can name: not a literal's, an unknown or a user type.
fn concrete(t: &Ty) -> bool {
    !matches!(
        t,
        Ty::IntLiteral
            | Ty::RealLiteral
            | Ty::Unknown
            | Ty::Void
            | Ty::User(_)
            | Ty::Array { .. }
            | Ty::Pointer(_)
            | Ty::Reference(_)
    )
}

fn read_dir(dir: &str, ext: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .map(|p| {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            (p.file_name().unwrap().to_string_lossy().into_owned(), text)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_valid_fixtures_agree() {
    let files = read_dir(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/valid"),
        "st",
    );
    assert!(files.len() >= 5);
    let texts: Vec<&str> = files.iter().map(|(_, t)| t.as_str()).collect();
    let d = disagreements(&texts);
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn the_snippet_library_agrees() {
    let files = read_dir(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/st-library"),
        "st",
    );
    assert!(files.len() >= 30, "{}", files.len());
    let mut all = Vec::new();
    for (name, text) in &files {
        all.extend(
            disagreements(&[text])
                .into_iter()
                .map(|d| format!("{name}: {d}")),
        );
    }
    assert!(all.is_empty(), "{all:#?}");
}

/// The three disagreements found by reading the two side by side.
#[test]
fn a_user_block_named_like_a_standard_one_is_the_users() {
    let src = "FUNCTION_BLOCK TON
VAR_INPUT IN : BOOL; END_VAR
VAR_OUTPUT Q : BOOL; COUNT : INT; END_VAR
IF IN THEN COUNT := COUNT + 1; END_IF
Q := COUNT > 2;
END_FUNCTION_BLOCK
FUNCTION_BLOCK User
VAR_INPUT go : BOOL; END_VAR
VAR_OUTPUT n : INT; END_VAR
VAR t : TON; END_VAR
t(IN := go);
n := t.COUNT;
END_FUNCTION_BLOCK";
    let parsed = millwright_iec61131::parse(src);
    let diags = check::check(&[&parsed.file]);
    assert!(diags[0].is_empty(), "{:?}", diags[0]);
    assert_eq!(disagreements(&[src]), Vec::<String>::new());
}

#[test]
fn mixed_signedness_arithmetic_has_one_type() {
    let src = "FUNCTION_BLOCK F
VAR_INPUT a : INT; b : UINT; c : SINT; d : UDINT; END_VAR
VAR_OUTPUT x : DINT; y : LINT; z : INT; END_VAR
x := a + b;
y := a * d;
z := c + a;
END_FUNCTION_BLOCK";
    assert_eq!(disagreements(&[src]), Vec::<String>::new());
    let parsed = millwright_iec61131::parse(src);
    let types = check::expression_types(&[&parsed.file]);
    let of = |text: &str| {
        let at = src.find(text).unwrap() as u32;
        types[0]
            .iter()
            .find(|(s, _)| s.start == at && s.end == at + text.len() as u32)
            .map(|(_, t)| t.to_string())
            .unwrap()
    };
    assert_eq!(of("a + b"), "DINT");
    assert_eq!(of("a * d"), "LINT");
    assert_eq!(of("c + a"), "INT");
}

#[test]
fn named_arguments_of_standard_functions_are_checked() {
    let good = "FUNCTION_BLOCK F
VAR_INPUT i : INT; END_VAR
VAR_OUTPUT o : INT; END_VAR
o := LIMIT(MN := 0, IN := i, MX := 10);
END_FUNCTION_BLOCK";
    let parsed = millwright_iec61131::parse(good);
    assert!(check::check(&[&parsed.file])[0].is_empty());
    assert_eq!(disagreements(&[good]), Vec::<String>::new());
    let bad = good.replace("MX :=", "MAX :=");
    let parsed = millwright_iec61131::parse(&bad);
    let d = &check::check(&[&parsed.file])[0];
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message.contains("LIMIT has no parameter `MAX`"),
        "{}",
        d[0].message
    );
    assert_eq!(d[0].help.as_deref(), Some("its parameters are MN, IN, MX"));
}

/// Variables of every elementary numeric type, for random expressions.
const VARS: &[(&str, &str)] = &[
    ("si", "SINT"),
    ("i", "INT"),
    ("di", "DINT"),
    ("li", "LINT"),
    ("us", "USINT"),
    ("ui", "UINT"),
    ("ud", "UDINT"),
    ("ul", "ULINT"),
    ("byt", "BYTE"),
    ("wo", "WORD"),
    ("dw", "DWORD"),
    ("r", "REAL"),
    ("lr", "LREAL"),
    ("t", "TIME"),
    ("b", "BOOL"),
];

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        prop::sample::select(VARS).prop_map(|(n, _)| n.to_string()),
        (0u32..300).prop_map(|n| n.to_string()),
        Just("1.5".to_string()),
        Just("T#2s".to_string()),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(
                    &["+", "-", "*", "/", "MOD", "**", "AND", "OR", "=", "<", ">="][..]
                ),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (
                prop::sample::select(&["ABS", "NEG", "SQRT", "TRUNC"][..]),
                inner.clone()
            )
                .prop_map(|(f, a)| format!("{f}({a})")),
            (
                prop::sample::select(&["MAX", "MIN", "SEL", "ADD", "MUL"][..]),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(f, a, b)| if f == "SEL" {
                    format!("SEL(b, {a}, {b})")
                } else {
                    format!("{f}({a}, {b})")
                }),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("LIMIT({a}, {b}, {c})")),
            // Named arguments in any order go where the standard puts them.
            (inner.clone(), inner.clone(), inner.clone(), 0usize..6).prop_map(|(a, b, c, k)| {
                let mut named = [
                    format!("MN := {a}"),
                    format!("IN := {b}"),
                    format!("MX := {c}"),
                ];
                named.rotate_left(k % 3);
                if k >= 3 {
                    named.swap(0, 1);
                }
                format!("LIMIT({})", named.join(", "))
            }),
            (inner.clone(), inner.clone())
                .prop_map(|(a, c)| format!("SEL(IN1 := {a}, G := b, IN0 := {c})")),
            (inner.clone(), inner.clone())
                .prop_map(|(a, c)| format!("SUB(IN2 := {a}, IN1 := {c})")),
            (
                prop::sample::select(
                    &[
                        "INT_TO_REAL",
                        "TO_DINT",
                        "TRUNC_INT",
                        "REAL_TO_LINT",
                        "TO_UINT"
                    ][..]
                ),
                inner
            )
                .prop_map(|(f, a)| format!("{f}({a})")),
        ]
    })
}

/// Integer expressions over the signed and small unsigned integers, with
/// standard functions called by position and by name.
fn int_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        prop::sample::select(&["si", "i", "us"][..]).prop_map(str::to_string),
        (0u32..300).prop_map(|n| n.to_string()),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(&["+", "-", "*", "MOD"][..]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("ABS({a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("MAX({a}, {b})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("LIMIT(MX := {a}, IN := {b}, MN := {c})")),
            (inner.clone(), inner.clone())
                .prop_map(|(a, c)| format!("SEL(IN1 := {a}, G := b, IN0 := {c})")),
            (inner.clone(), inner).prop_map(|(a, c)| format!("SUB(IN2 := {a}, IN1 := {c})")),
        ]
    })
}

/// String expressions with the string functions, by position and by name.
fn str_expr() -> impl Strategy<Value = String> {
    let leaf =
        prop_oneof![prop::sample::select(&["s", "s2", "'conveyor'"][..]).prop_map(str::to_string),];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("CONCAT({a}, {b})")),
            (inner.clone(), int_expr()).prop_map(|(a, n)| format!("RIGHT({a}, {n})")),
            (inner.clone(), int_expr())
                .prop_map(|(a, n)| format!("MID(P := 2, L := {n}, IN := {a})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("INSERT({a}, {b}, 1)")),
        ]
    })
}

/// Statements over the same variables: typed assignments, IF, CASE, FOR, a
/// timer called with named parameters in either order and its outputs read.
fn statements() -> impl Strategy<Value = String> {
    let assign = prop_oneof![
        int_expr().prop_map(|e| format!("i := {e};\n")),
        int_expr().prop_map(|e| format!("di := {e};\n")),
        int_expr().prop_map(|e| format!("lr := INT_TO_LREAL({e}) * 1.5;\n")),
        (int_expr(), int_expr()).prop_map(|(x, y)| format!("b := {x} >= {y};\n")),
        int_expr().prop_map(|e| format!("t := t + TIME#1ms * {e};\n")),
        str_expr().prop_map(|e| format!("s := {e};\n")),
        str_expr().prop_map(|e| format!("i := LEN({e}) + FIND({e}, 'ab');\n")),
        (str_expr(), int_expr()).prop_map(|(e, n)| format!("s2 := LEFT(IN := {e}, L := {n});\n")),
        Just("ws := CONCAT(ws, ws, ws);\n".to_string()),
        int_expr().prop_map(|n| format!(
            "wo := SHL(wo, 2) OR ROL(N := {n}, IN := wo);\ndw := WORD_TO_DWORD(wo) XOR dw;\n"
        )),
        expr().prop_map(|e| format!("lr := {e};\n")),
    ];
    let timer = (any::<bool>(), int_expr()).prop_map(|(swap, e)| {
        let args = if swap {
            format!("PT := T#1s, IN := {e} > 0")
        } else {
            format!("IN := {e} > 0, PT := T#1s")
        };
        format!("tmr({args});\nb := tmr.Q;\nt := tmr.ET;\n")
    });
    let simple = prop_oneof![4 => assign, 1 => timer];
    simple.prop_recursive(3, 16, 3, |inner| {
        let body = prop::collection::vec(inner, 1..3).prop_map(|v| v.concat());
        prop_oneof![
            (int_expr(), int_expr(), body.clone(), body.clone())
                .prop_map(|(a, c, x, y)| { format!("IF {a} > {c} THEN\n{x}ELSE\n{y}END_IF;\n") }),
            (body.clone(), body.clone())
                .prop_map(|(x, y)| format!("CASE i OF\n1, 2: {x}3..5: {y}ELSE\nEND_CASE;\n")),
            body.prop_map(|x| format!("FOR k := 0 TO 3 DO\n{x}END_FOR;\n")),
        ]
    })
}

fn program(target: &str, e: &str) -> String {
    let decl: String = VARS
        .iter()
        .map(|(n, t)| format!("    {n} : {t};\n"))
        .collect();
    format!("FUNCTION_BLOCK FB\nVAR_INPUT\n{decl}END_VAR\n{target} := {e};\nEND_FUNCTION_BLOCK\n")
}

fn block(body: &str) -> String {
    let decl: String = VARS
        .iter()
        .map(|(n, t)| format!("    {n} : {t};\n"))
        .collect();
    format!(
        "FUNCTION_BLOCK FB\nVAR\n{decl}    k : INT;\n    tmr : TON;\n    s : STRING;\n    s2 : STRING(10);\n    ws : WSTRING;\nEND_VAR\n{body}END_FUNCTION_BLOCK\n"
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Whatever random block of statements the checker accepts, the
    /// simulator compiles, computing every expression in the checker's type,
    /// and runs.
    #[test]
    fn random_well_typed_blocks_agree(body in statements()) {
        let src = block(&body);
        let d = disagreements(&[&src]);
        prop_assert!(d.is_empty(), "{d:#?}\n{src}");
        // And it runs: a cycle ends, or stops at a fault it reports (MOD 0).
        if let Ok(prog) = millwright_iec61131::sim::load(&[&src]) {
            let mut s = millwright_iec61131::sim::Session::new(&prog, "FB").unwrap();
            for _ in 0..3 {
                if s.cycle(10.0).is_err() {
                    break;
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Whatever random expression the checker accepts, the simulator compiles
    /// and computes in the checker's types, subexpression by subexpression.
    #[test]
    fn random_well_typed_expressions_agree(
        e in expr(),
        target in prop::sample::select(VARS),
    ) {
        let src = program(target.0, &e);
        let d = disagreements(&[&src]);
        prop_assert!(d.is_empty(), "{d:#?}\n{src}");
    }
}

/// The checker's errors on one text.
fn check_errors(src: &str) -> Vec<String> {
    let parsed = millwright_iec61131::parse(src);
    check::check(&[&parsed.file])[0]
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn a_reference_in_arithmetic_is_what_it_refers_to() {
    let src = "FUNCTION_BLOCK F
VAR_INPUT ui : UINT; END_VAR
VAR_OUTPUT o : DINT; END_VAR
VAR n : INT := 3; ri : REFERENCE TO INT; END_VAR
ri REF= n;
o := ri + ui;
END_FUNCTION_BLOCK";
    assert_eq!(check_errors(src), Vec::<String>::new());
    assert_eq!(disagreements(&[src]), Vec::<String>::new());
}

/// A VAR_IN_OUT declared `REFERENCE TO INT` is the INT its argument refers
/// to, for the checker and the simulator alike (the simulator read it as a
/// pointer and refused `r + ui` as pointer arithmetic).
#[test]
fn an_in_out_reference_is_what_its_argument_refers_to() {
    let src = "FUNCTION_BLOCK F
VAR_IN_OUT r : REFERENCE TO INT; END_VAR
VAR_INPUT ui : UINT; END_VAR
VAR_OUTPUT o : DINT; END_VAR
o := r + ui;
r := r * 2;
END_FUNCTION_BLOCK
PROGRAM P
VAR n : INT := 3; m : INT := 10; rn : REFERENCE TO INT; f, g : F; END_VAR
rn REF= n;
f(r := rn, ui := 1);
g(r := m, ui := 2);
END_PROGRAM";
    assert_eq!(check_errors(src), Vec::<String>::new());
    assert_eq!(disagreements(&[src]), Vec::<String>::new());
    let Ok(prog) = millwright_iec61131::sim::load(&[src]) else {
        panic!("does not load")
    };
    assert!(prog.errors.is_empty(), "{:?}", prog.errors);
    let mut s = millwright_iec61131::sim::Session::new(&prog, "P").unwrap();
    s.cycle(10.0).unwrap();
    let get = |s: &millwright_iec61131::sim::Session, n: &str| s.get(n).unwrap();
    assert_eq!(get(&s, "f.o"), serde_json::json!(4));
    assert_eq!(get(&s, "n"), serde_json::json!(6));
    assert_eq!(get(&s, "g.o"), serde_json::json!(12));
    assert_eq!(get(&s, "m"), serde_json::json!(20));
}

/// The random tests above judge only what checks clean, so they are only as
/// strong as the share of well-typed programs their generators make (here
/// about 70 % of blocks and 25 % of expressions).
#[test]
fn the_random_programs_are_mostly_well_typed() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut blocks, mut exprs) = (0, 0);
    for _ in 0..300 {
        let body = statements().new_tree(&mut runner).unwrap().current();
        blocks += usize::from(check_errors(&block(&body)).is_empty());
        let e = expr().new_tree(&mut runner).unwrap().current();
        exprs += usize::from(check_errors(&program("lr", &e)).is_empty());
    }
    assert!(blocks >= 150, "{blocks} of 300 blocks check clean");
    assert!(exprs >= 30, "{exprs} of 300 expressions check clean");
}

/// CONCAT is typed as the strings it joins, by the checker as by the
/// simulator (the checker said STRING, refusing `wide := CONCAT(a, b)`).
#[test]
fn concat_of_wide_strings_is_a_wide_string() {
    let src = "FUNCTION_BLOCK F
VAR_INPUT a, b : WSTRING; END_VAR
VAR_OUTPUT o : WSTRING; n : INT; END_VAR
o := CONCAT(a, b);
n := LEN(CONCAT(a, b));
END_FUNCTION_BLOCK";
    assert_eq!(check_errors(src), Vec::<String>::new());
    assert_eq!(disagreements(&[src]), Vec::<String>::new());
}
