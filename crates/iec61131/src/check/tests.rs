use crate::diagnostics::{Code, Severity};

fn diags(src: &str) -> Vec<(Code, Severity, String)> {
    let p = crate::check_text(src);
    p.diagnostics
        .into_iter()
        .map(|d| (d.code, d.severity, d.message))
        .collect()
}

fn codes(src: &str) -> Vec<Code> {
    diags(src).into_iter().map(|d| d.0).collect()
}

fn fb(decls: &str, body: &str) -> String {
    format!("FUNCTION_BLOCK FB_T\n{decls}\n{body}\nEND_FUNCTION_BLOCK\n")
}

#[test]
fn valid_fixtures_checked_as_one_project_have_no_errors() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/valid");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let texts: Vec<String> = paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    for (path, parsed) in paths.iter().zip(crate::check_project(&refs)) {
        let errors: Vec<_> = parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
}

#[test]
fn unknown_names_and_types_with_suggestions() {
    let d = diags(&fb(
        "VAR\n  nCount : INT;\n  x : T_Missing;\nEND_VAR",
        "nCuont := 1;\nnCount := nCount + 1;",
    ));
    assert!(
        d.iter()
            .any(|(c, _, m)| *c == Code::UnknownType && m.contains("T_Missing")),
        "{d:#?}"
    );
    assert!(
        d.iter()
            .any(|(c, _, m)| *c == Code::UnknownName && m.contains("nCuont")),
        "{d:#?}"
    );
    let p = crate::check_text(&fb(
        "VAR\n  nCount : INT;\nEND_VAR",
        "nCuont := 1;\nnCount := 2;",
    ));
    let help = p
        .diagnostics
        .iter()
        .find(|x| x.code == Code::UnknownName)
        .unwrap()
        .help
        .clone()
        .unwrap();
    assert!(help.contains("nCount"), "{help}");
}

#[test]
fn assignments_follow_the_conversion_rules() {
    let decls =
        "VAR\n  i : INT; d : DINT; r : REAL; b : BOOL; s : STRING; t : TIME; w : WORD;\nEND_VAR";
    assert!(codes(&fb(decls, "d := i; r := i; w := b; r := 1; i := 16#FF; t := T#1s; s := 'x'; i := d; w := i; b := b OR r > 1.0;"))
        .iter()
        .all(|c| *c == Code::LossyConversion || *c == Code::Unused));
    for bad in [
        "i := r;",
        "b := i;",
        "i := b;",
        "s := i;",
        "t := b;",
        "r := 'x';",
    ] {
        assert!(
            codes(&fb(decls, bad)).contains(&Code::TypeMismatch),
            "{bad}"
        );
    }
    let d = diags(&fb(decls, "i := d;"));
    assert!(
        d.iter()
            .any(|x| x.0 == Code::LossyConversion && x.1 == Severity::Warning),
        "{d:#?}"
    );
}

#[test]
fn conditions_must_be_bool() {
    let decls = "VAR\n  i : INT;\nEND_VAR";
    assert!(codes(&fb(decls, "IF i THEN i := 0; END_IF")).contains(&Code::NotBool));
    assert!(codes(&fb(decls, "WHILE i DO i := 0; END_WHILE")).contains(&Code::NotBool));
    assert!(!codes(&fb(decls, "IF i > 0 THEN i := 0; END_IF")).contains(&Code::NotBool));
}

#[test]
fn standard_fb_calls_are_checked() {
    let decls = "VAR\n  t1 : TON; x : BOOL; n : INT;\nEND_VAR";
    let ok = diags(&fb(decls, "t1(IN := x, PT := T#1s, Q => x);\nn := 1;"));
    assert!(ok.is_empty(), "{ok:#?}");
    let d = diags(&fb(decls, "t1(IN := x, PT := 5, Q => x);"));
    assert!(
        d.iter().any(|x| x.0 == Code::LossyConversion),
        "an integer literal for PT is accepted with a warning at most: {d:#?}"
    );
    assert!(codes(&fb(decls, "t1(IN := x, TIMEOUT := T#1s);")).contains(&Code::BadArgument));
    assert!(codes(&fb(decls, "t1(IN := n);")).contains(&Code::TypeMismatch));
    assert!(codes(&fb(decls, "t1(Q := x);")).contains(&Code::BadArgument));
    assert!(codes(&fb(decls, "t1.Q := TRUE;")).contains(&Code::WriteOutput));
    assert!(codes(&fb(decls, "x := t1.Missing;")).contains(&Code::UnknownName));
}

#[test]
fn standard_and_user_functions_are_checked() {
    let src = "FUNCTION FC_Add : INT\nVAR_INPUT a, b : INT; END_VAR\nFC_Add := a + b;\nEND_FUNCTION\n\
               PROGRAM P\nVAR i : INT; r : REAL; END_VAR\ni := FC_Add(1, 2);\ni := FC_Add(a := 1, c := 2);\ni := LIMIT(0, i, 10);\nr := SQRT(r);\ni := NOSUCH(i);\ni := MAX(1);\nr := INT_TO_REAL(i);\ni := REAL_TO_INT(r);\nEND_PROGRAM\n";
    let d = diags(src);
    let errs: Vec<_> = d.iter().filter(|x| x.1 == Severity::Error).collect();
    assert_eq!(errs.len(), 3, "{d:#?}");
    assert!(errs
        .iter()
        .any(|x| x.0 == Code::BadArgument && x.2.contains("`c`")));
    assert!(errs
        .iter()
        .any(|x| x.0 == Code::UnknownFunction && x.2.contains("NOSUCH")));
    assert!(errs
        .iter()
        .any(|x| x.0 == Code::BadArgument && x.2.contains("MAX")));
}

#[test]
fn writes_to_constants_inputs_and_loop_variables() {
    let src = "VAR_GLOBAL CONSTANT\n  c_Max : INT := 10;\nEND_VAR\n".to_string()
        + &fb(
            "VAR_INPUT\n  xIn : BOOL;\nEND_VAR\nVAR\n  i : INT;\nEND_VAR",
            "c_Max := 5;\nxIn := FALSE;\nFOR i := 1 TO c_Max DO\n  i := 3;\nEND_FOR",
        );
    let d = diags(&src);
    assert!(
        d.iter()
            .any(|x| x.0 == Code::WriteConstant && x.1 == Severity::Error),
        "{d:#?}"
    );
    assert!(
        d.iter()
            .any(|x| x.0 == Code::WriteInput && x.1 == Severity::Warning),
        "{d:#?}"
    );
    assert!(d.iter().any(|x| x.0 == Code::ForVarAssigned), "{d:#?}");
}

#[test]
fn function_result_case_coverage_and_unused_variables() {
    let src = "TYPE E_Mode : (Off, Auto, Manual); END_TYPE\n\
               FUNCTION FC_None : INT\nVAR_INPUT a : INT; END_VAR\nVAR tmp : INT; END_VAR\ntmp := a;\nEND_FUNCTION\n\
               PROGRAM P\nVAR m : E_Mode; i : INT; unused : BOOL; END_VAR\nCASE m OF\n  Off: i := 0;\n  E_Mode.Auto: i := 1;\nEND_CASE\nEND_PROGRAM\n";
    let d = diags(src);
    assert!(
        d.iter()
            .any(|x| x.0 == Code::ResultNeverAssigned && x.2.contains("FC_None")),
        "{d:#?}"
    );
    assert!(
        d.iter()
            .any(|x| x.0 == Code::CaseNotExhaustive && x.2.contains("MANUAL")),
        "{d:#?}"
    );
    assert!(
        d.iter()
            .any(|x| x.0 == Code::Unused && x.2.contains("unused")),
        "{d:#?}"
    );
    assert!(d.iter().all(|x| x.1 == Severity::Warning), "{d:#?}");
}

#[test]
fn enums_structs_and_methods_resolve() {
    let src = "TYPE E_State : (Idle, Run); ST_P : STRUCT a : INT; s : E_State; END_STRUCT END_TYPE\n\
               FUNCTION_BLOCK FB_A\nVAR_INPUT x : INT; END_VAR\nVAR_OUTPUT y : INT; END_VAR\nVAR st : ST_P; END_VAR\ny := x + st.a;\nst.s := E_State#Run;\nst.s := Idle;\nst.s := E_State.Run;\nMETHOD M : BOOL\nVAR_INPUT v : INT; END_VAR\nM := v > x;\nEND_METHOD\nEND_FUNCTION_BLOCK\n\
               PROGRAM P\nVAR a : FB_A; b : BOOL; i : INT; END_VAR\na(x := 1, y => i);\nb := a.M(2);\ni := a.y;\ni := a.st.nope;\nEND_PROGRAM\n";
    let d = diags(src);
    let errs: Vec<_> = d.iter().filter(|x| x.1 == Severity::Error).collect();
    assert_eq!(errs.len(), 1, "{d:#?}");
    assert!(errs[0].2.contains("nope"));
}

#[test]
fn variables_read_but_never_assigned_are_warned() {
    let d = diags(&fb(
        "VAR_OUTPUT\n  q : BOOL;\nEND_VAR\nVAR\n  xNever : BOOL;\n  xInit : BOOL := TRUE;\n  xSet : BOOL;\n  t : TON;\n  n : INT;\nEND_VAR",
        "xSet := NOT q;\nq := xNever AND xInit AND xSet;\nt(IN := q);\nn := n + 1;",
    ));
    let never: Vec<_> = d.iter().filter(|x| x.0 == Code::NeverAssigned).collect();
    assert_eq!(never.len(), 1, "{d:#?}");
    assert!(never[0].2.contains("xNever") && never[0].1 == Severity::Warning);
}

#[test]
fn outputs_nothing_writes_are_warned() {
    // Assigned in a branch, set, connected with `=>`, passed to a call (it
    // might be a VAR_IN_OUT): all written; only `never` is not. An empty body
    // warns of nothing.
    let d = diags(&fb(
        "VAR_INPUT\n  x : BOOL;\nEND_VAR\nVAR_OUTPUT\n  a : INT;\n  s : BOOL;\n  et : TIME;\n  p : INT;\n  never : BOOL;\nEND_VAR\nVAR\n  t : TON;\nEND_VAR",
        "IF x THEN a := MAX(p, 1); END_IF;\ns S= x;\nt(IN := x, PT := T#1s, ET => et);",
    ));
    let never: Vec<_> = d
        .iter()
        .filter(|x| x.0 == Code::OutputNeverAssigned)
        .collect();
    assert_eq!(never.len(), 1, "{d:#?}");
    assert!(never[0].1 == Severity::Warning && never[0].2.contains("`never`"));
    let empty = diags(&fb("VAR_OUTPUT\n  q : BOOL;\nEND_VAR", ""));
    assert!(!empty.iter().any(|x| x.0 == Code::OutputNeverAssigned));
}

#[test]
fn a_block_calls_its_own_methods_by_their_bare_names() {
    let src = "FUNCTION_BLOCK FB\nVAR_OUTPUT n : INT; END_VAR\nBump();\nn := Twice(3);\nMETHOD Bump\nn := n + 1;\nEND_METHOD\nMETHOD Twice : INT\nVAR_INPUT x : INT; END_VAR\nBump();\nTwice := 2 * x;\nEND_METHOD\nEND_FUNCTION_BLOCK\n";
    let p = crate::check_text(src);
    assert!(
        p.diagnostics
            .iter()
            .all(|d| d.severity != crate::Severity::Error),
        "{:?}",
        p.diagnostics
    );
    let bad = crate::check_text("FUNCTION_BLOCK FB\nNope();\nEND_FUNCTION_BLOCK\n");
    assert!(
        bad.diagnostics.iter().any(|d| d.message.contains("Nope")),
        "{:?}",
        bad.diagnostics
    );
}

#[test]
fn a_name_declared_twice_in_one_block_is_an_error() {
    let d = diags(&fb(
        "VAR_INPUT feedback : BOOL; END_VAR\nVAR_OUTPUT Feedback : BOOL; running : BOOL; END_VAR",
        "running := feedback;",
    ));
    let dup: Vec<_> = d
        .iter()
        .filter(|(c, _, _)| *c == Code::DuplicateName)
        .collect();
    assert_eq!(dup.len(), 1, "{d:?}");
    assert_eq!(dup[0].1, Severity::Error);
    assert!(dup[0].2.contains("`Feedback` is already declared"), "{d:?}");
    // The same name in two different blocks is fine.
    let two = "FUNCTION_BLOCK A\nVAR_INPUT x : BOOL; END_VAR\nEND_FUNCTION_BLOCK\nFUNCTION_BLOCK B\nVAR_INPUT x : BOOL; END_VAR\nEND_FUNCTION_BLOCK\n";
    assert!(!codes(two).contains(&Code::DuplicateName));
}

/// What the simulator cannot compute, the checker refuses (one rule,
/// `types::common`, `time_arith`, `power`, serves both); the messages whole.
#[test]
fn operators_combine_only_what_a_compiler_combines() {
    let decls = "VAR_INPUT\n  i : INT; si : SINT; t : TIME; w : WORD; b : BOOL; r : REAL;\nEND_VAR\nVAR_OUTPUT\n  o : DINT; ot : TIME; orl : LREAL;\nEND_VAR";
    let errors = |body: &str| -> Vec<String> {
        diags(&fb(decls, body))
            .into_iter()
            .filter(|d| d.1 == Severity::Error)
            .map(|d| d.2)
            .collect()
    };
    for (body, want) in [
        (
            "ot := t + 1.5;",
            "`+` cannot combine TIME and a real literal",
        ),
        (
            "ot := ADD(t, 1.5);",
            "`+` cannot combine TIME and a real literal",
        ),
        ("ot := 5 / t;", "a number cannot be divided by a duration"),
        ("o := MAX(si, t);", "MAX mixes SINT and TIME"),
        (
            "orl := w ** 2;",
            "`**` needs numbers, not WORD and an integer literal",
        ),
        (
            "o := NEG(b);",
            "NEG takes a number or a duration, but this is BOOL",
        ),
        ("orl := SQRT(t);", "SQRT takes a number, but this is TIME"),
    ] {
        assert_eq!(errors(body), [want], "{body}");
    }
    for fine in [
        "ot := t + 5;",
        "ot := t * 1.5;",
        "ot := 2 * t;",
        "o := i + si;",
        "orl := i ** 2;",
        "o := NEG(i);",
        "ot := ABS(t);",
        "o := MAX(si, 3);",
    ] {
        assert_eq!(errors(fine), Vec::<String>::new(), "{fine}");
    }
}

/// CODESYS 2.3's spellings are accepted with a note each, check clean, and
/// run as CODESYS runs them.
#[test]
fn codesys_2_3_dialect_is_accepted_with_notes() {
    let src = include_str!("../../tests/fixtures/dialect/codesys23.st");
    let notes: Vec<(Code, Severity, String)> = diags(src);
    let want = [
        "FUNCTIONBLOCK is CODESYS 2.3's spelling of FUNCTION_BLOCK",
        "array initial values without brackets are CODESYS 2.3's",
        "array initial values without brackets are CODESYS 2.3's",
        "array initial values without brackets are CODESYS 2.3's",
        "a chained assignment is CODESYS's; IEC 61131-3 assigns one target per statement",
    ];
    assert_eq!(
        notes,
        want.map(|m| (Code::Dialect, Severity::Note, m.to_string())),
        "{notes:#?}"
    );
    let Ok(prog) = crate::sim::load(&[src]) else {
        panic!("does not check")
    };
    let mut s = crate::sim::Session::new(&prog, "FB_Boost").unwrap();
    s.set("boost_mode", &serde_json::json!(true)).unwrap();
    s.set("step", &serde_json::json!(4)).unwrap();
    s.cycle(10.0).unwrap();
    for (name, want) in [
        ("flag_0", serde_json::json!(true)),
        ("mask", serde_json::json!(15)),
        ("cell", serde_json::json!(6)),
    ] {
        assert_eq!(s.get(name).unwrap(), want, "{name}");
    }
    // `st fmt` writes it the IEC way.
    let formatted = crate::format::format(src).unwrap();
    assert!(formatted.contains("FUNCTION_BLOCK FB_Boost"), "{formatted}");
    assert!(
        formatted.contains("SX : ARRAY[1..7] OF BYTE := [1, 3, 7, 15, 31, 63, 127];"),
        "{formatted}"
    );
    assert!(
        formatted.contains("seen := boost_mode;\nflag_0 := seen;"),
        "{formatted}"
    );
}

/// A CODESYS 2.3 `.EXP` export carries sections after the code that are not
/// Structured Text: they are skipped with a note and kept by the formatter;
/// one that does not end is not skipped, so it is still an error.
#[test]
fn codesys_2_3_export_sections_are_skipped_with_notes() {
    let src = include_str!("../../tests/fixtures/dialect/codesys23_export.exp");
    let notes = diags(src);
    assert_eq!(notes.len(), 3, "{notes:#?}");
    for (code, severity, message) in &notes {
        assert_eq!((*code, *severity), (Code::Dialect, Severity::Note));
        assert!(message.contains("CODESYS 2.3 export"), "{message}");
    }
    assert!(notes[0].2.starts_with("`_ALARMCONFIG` … `END_ALARMCONFIG`"));
    let prog = crate::sim::load(&[src]).unwrap_or_else(|_| panic!("does not check"));
    let mut s = crate::sim::Session::new(&prog, "FB_Count").unwrap();
    for pulse in [true, false, true] {
        s.set("pulse", &serde_json::json!(pulse)).unwrap();
        s.cycle(10.0).unwrap();
    }
    assert_eq!(s.get("n").unwrap(), serde_json::json!(2));
    let formatted = crate::format::format(src).unwrap();
    assert!(
        formatted.contains("LIBRARY\n\\\\server\\plc\\lib\\oscat.lib 2.2.11 19:48:25\n"),
        "{formatted}"
    );
    assert!(formatted.contains("_ALARMCONFIGFORMATS : ''\nEND_ALARMCONFIG"));
    let cut = &src[..src.rfind("END_LIBRARY").unwrap()];
    let errors = crate::check_text(cut).diagnostics;
    assert!(
        errors.iter().any(|d| d.severity == Severity::Error),
        "an unterminated section is not skipped: {errors:#?}"
    );
}

/// CODESYS pointers are addresses: a pointer stored into a pointer to another
/// type, a pointer moved by bytes, a pointer kept in a DWORD, 0 as the null
/// pointer. Each is a warning where IEC 61131-3 is stricter, not an error; the
/// simulator, whose memory is cells, refuses to run them rather than compute
/// something else. A pointer into a REAL is still no BOOL.
#[test]
fn codesys_pointers_warn_and_the_simulator_refuses_to_guess() {
    let src = include_str!("../../tests/fixtures/dialect/codesys_pointers.st");
    let d = diags(src);
    let pointer: Vec<&String> = d
        .iter()
        .filter(|x| x.0 == Code::PointerDialect)
        .map(|x| &x.2)
        .collect();
    assert!(d.iter().all(|x| x.1 != Severity::Error), "{d:#?}");
    assert_eq!(pointer.len(), 4, "{d:#?}");
    assert!(pointer[0].contains("POINTER TO STRING into a POINTER TO BYTE"));
    assert!(pointer[1].contains("by bytes with `+`"));
    assert!(pointer[2].contains("converts to DWORD"));
    assert!(pointer[3].contains("integer literal converts to POINTER TO BYTE"));
    let Ok(prog) = crate::sim::load(&[src]) else {
        panic!("it checks")
    };
    let messages: Vec<&str> = prog.errors.iter().map(|e| e.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("pointer arithmetic")),
        "{messages:?}"
    );
    assert!(crate::sim::Session::new(&prog, "FB_Bytes").is_err());
    // The same pointer kept as what it points to runs.
    assert!(crate::sim::Session::new(&prog, "FB_Plain").is_ok());

    let wrong = fb(
        "VAR r : REAL; p : POINTER TO REAL; b : BOOL; END_VAR",
        "p := ADR(r);\nb := p^;",
    );
    assert!(codes(&wrong).contains(&Code::TypeMismatch));
}
