//! Property tests over hostile input: nothing panics, overflows the stack or
//! hangs, whatever the text; and the formatter keeps the tree and is idempotent
//! on whatever it accepts. Inputs that once broke something are kept in
//! `tests/fixtures/crashers/` and replayed.

use millwright_iec61131::{check_text, format::format, parse, read_source};
use proptest::prelude::*;

const PIECES: &[&str] = &[
    "PROGRAM P\n",
    "END_PROGRAM\n",
    "FUNCTION_BLOCK FB\n",
    "END_FUNCTION_BLOCK\n",
    "FUNCTION F : INT\n",
    "END_FUNCTION\n",
    "METHOD M : BOOL\n",
    "END_METHOD\n",
    "PROPERTY Pr : INT\n",
    "GET\n",
    "END_GET\n",
    "END_PROPERTY\n",
    "TYPE ",
    "END_TYPE\n",
    "STRUCT ",
    "END_STRUCT",
    "VAR\n",
    "VAR_INPUT\n",
    "VAR_OUTPUT\n",
    "VAR_IN_OUT\n",
    "VAR_GLOBAL CONSTANT\n",
    "END_VAR\n",
    "x",
    "y",
    "fb",
    "E",
    "Idle",
    "a.b",
    "arr[1]",
    "p^",
    "x.3",
    ":",
    " : INT",
    " : BOOL",
    " : TON",
    " : ARRAY[1..3] OF REAL",
    " : STRING(10)",
    " : POINTER TO INT",
    " : (A, B)",
    " AT %IX0.0",
    ":=",
    "=>",
    "REF=",
    " S= ",
    ";",
    ";\n",
    ",",
    "(",
    ")",
    "[",
    "]",
    "..",
    ".",
    "^",
    "+",
    "-",
    "*",
    "/",
    "**",
    " MOD ",
    " AND ",
    " OR ",
    " XOR ",
    "NOT ",
    "=",
    "<>",
    "<",
    ">=",
    "IF ",
    " THEN\n",
    "ELSIF ",
    "ELSE\n",
    "END_IF",
    "CASE ",
    " OF\n",
    "END_CASE",
    "FOR ",
    " TO ",
    " BY ",
    " DO\n",
    "END_FOR",
    "WHILE ",
    "END_WHILE",
    "REPEAT\n",
    "UNTIL ",
    "END_REPEAT",
    "EXIT;",
    "RETURN;",
    "1",
    "0",
    "16#FF",
    "2#1010",
    "3.5",
    "1.0E-3",
    "T#1s",
    "TIME#1h2m",
    "D#2024-01-31",
    "TOD#12:00:00",
    "DT#2024-01-31-12:00:00",
    "INT#5",
    "E#Idle",
    "TRUE",
    "'s$'t'",
    "\"w\"",
    "(* c *)",
    "(*",
    "*)",
    "// l\n",
    "{attr}",
    "{",
    "}",
    "%QW4",
    "THIS^",
    "SUPER^",
    "中",
    "Größe",
    "\u{0}",
    "\t",
    " ",
    "\n",
    "'",
    "\"",
    "#",
    "$",
    "@",
    "!",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..120).prop_map(|v| v.concat())
}

/// Everything the library does with a text; the tree must survive formatting.
fn exercise(text: &str) {
    let parsed = parse(text);
    let _ = check_text(text);
    if let Ok(formatted) = format(text) {
        assert!(!parsed.has_errors());
        let again = format(&formatted).expect("formatted text parses");
        assert_eq!(formatted, again, "not idempotent on {text:?}");
        assert_eq!(
            shape(text),
            shape(&formatted),
            "the tree changed for {text:?}"
        );
    }
}

fn shape(text: &str) -> String {
    let debug = format!("{:?}", parse(text).file);
    let mut out = String::new();
    let mut rest = debug.as_str();
    while let Some(i) = rest.find("Span { start: ") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('}').map_or(rest.len(), |j| i + j + 1);
        rest = &rest[end..];
    }
    out.push_str(rest);
    // IEC names and keywords are case-insensitive; the formatter may change their case.
    out.to_uppercase()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, max_shrink_iters: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(text in soup()) {
        exercise(&text);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let (text, _) = millwright_iec61131::source::decode(&bytes);
        exercise(&text);
        let _ = read_source("x.xml", &bytes);
        let _ = read_source("x.TcPOU", &bytes);
    }

    #[test]
    fn edited_fixtures_never_panic(which in 0usize..5, at in any::<prop::sample::Index>(), cut in 0usize..40, insert in prop::sample::select(PIECES)) {
        let fixtures = fixtures();
        let text = &fixtures[which % fixtures.len()];
        let mut pos = at.index(text.len() + 1);
        while !text.is_char_boundary(pos) { pos -= 1; }
        let mut end = (pos + cut).min(text.len());
        while !text.is_char_boundary(end) { end -= 1; }
        let edited = format!("{}{}{}", &text[..pos], insert, &text[end.max(pos)..]);
        exercise(&edited);
    }
}

fn fixtures() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/valid");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v.into_iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[test]
fn crashers_stay_fixed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/crashers");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        match read_source(&name, &bytes) {
            Ok(text) => exercise(&text),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        n += 1;
    }
    assert!(n > 0, "the crasher corpus is empty");
}

#[test]
fn hundred_megabyte_file_is_handled() {
    let unit = fixtures().join("\n");
    let big = unit.repeat((100 << 20) / unit.len() + 1);
    assert!(big.len() > 100 << 20);
    // Correctness only; the speed is measured by `millwright bench st`.
    let p = check_text(&big);
    assert!(!p.has_errors());
    assert!(p.file.items.len() > 100_000);
}

/// Variables of every scalar kind the random statements below use.
const SIM_VARS: &[(&str, &str)] = &[
    ("b", "BOOL"),
    ("s", "SINT"),
    ("i", "INT"),
    ("u", "UDINT"),
    ("l", "LINT"),
    ("ul", "ULINT"),
    ("w", "WORD"),
    ("r", "REAL"),
    ("lr", "LREAL"),
    ("t", "TIME"),
    ("st", "STRING(8)"),
];

/// Assignments that check: a target and an expression of a fitting type.
const SIM_STMTS: &[(&str, &str)] = &[
    ("i", "i + s"),
    ("i", "i * 300"),
    ("s", "s - 127"),
    ("u", "u / 3"),
    ("x", "x / i"),
    ("l", "l MOD i"),
    ("ul", "ul - 1"),
    ("i", "-i"),
    ("w", "w AND 16#F0F0"),
    ("w", "SHL(w, i)"),
    ("w", "ROR(w, s)"),
    ("w", "NOT w"),
    ("r", "r / 0.0"),
    ("lr", "lr * lr + 1.0E300"),
    ("r", "SQRT(r)"),
    ("lr", "LN(lr)"),
    ("i", "REAL_TO_INT(r)"),
    ("x", "TRUNC(lr)"),
    ("r", "INT_TO_REAL(i)"),
    ("t", "t + T#1s"),
    ("t", "t / i"),
    ("x", "TIME_TO_DINT(t)"),
    ("i", "LIMIT(0, i, 100)"),
    ("r", "MAX(r, 1.5)"),
    ("i", "SEL(b, i, s)"),
    ("i", "MUX(i, 1, 2, 3)"),
    ("st", "CONCAT(st, 'abc')"),
    ("st", "LEFT(st, i)"),
    ("st", "MID(st, i, s)"),
    ("i", "LEN(st)"),
    ("b", "i > s"),
    ("b", "b XOR (r < lr)"),
    ("i", "a[i]"),
    ("a[s]", "i"),
    ("b", "x.3"),
    ("x.31", "b"),
    ("lr", "i ** 2"),
    ("x", "x * x * x"),
];

fn sim_program(stmts: &[usize]) -> String {
    let mut decl: String = SIM_VARS
        .iter()
        .map(|(n, t)| format!("    {n} : {t};\n"))
        .collect();
    decl.push_str("    a : ARRAY[0..9] OF INT;\n    x : DINT;\n");
    let body: String = stmts
        .iter()
        .map(|&k| format!("{} := {};\n", SIM_STMTS[k].0, SIM_STMTS[k].1))
        .collect();
    format!("FUNCTION_BLOCK FB\nVAR_INPUT\n{decl}END_VAR\n{body}i := i + 1;\nEND_FUNCTION_BLOCK\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever random statements the checker accepts, the simulator compiles
    /// and runs without panicking: wrong values end in a reported fault.
    #[test]
    fn the_simulator_runs_whatever_checks(
        stmts in prop::collection::vec(0..SIM_STMTS.len(), 1..12),
        seed_i in any::<i16>(),
        seed_r in any::<f32>(),
    ) {
        use millwright_iec61131::sim::{self, Session};
        let src = sim_program(&stmts);
        let prog = match sim::load(&[&src]) {
            Ok(p) => p,
            Err(e) => panic!("the statements should check: {:?}\n{src}", e.0[0].diagnostics),
        };
        let mut s = Session::new(&prog, "FB").unwrap_or_else(|e| panic!("{e}\n{src}"));
        s.set("i", &serde_json::json!(seed_i)).unwrap();
        if seed_r.is_finite() {
            s.set("r", &serde_json::json!(seed_r)).unwrap();
        }
        for _ in 0..3 {
            if s.cycle(10.0).is_err() {
                break;
            }
        }
        for (n, _) in SIM_VARS {
            s.get(n).unwrap();
        }
    }
}
