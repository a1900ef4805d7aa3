use super::*;
use crate::ast::*;
use crate::test_support::fixtures;
use crate::Severity;

fn clean(src: &str) -> SourceFile {
    let p = parse(src);
    assert!(p.diagnostics.is_empty(), "{src}\n{:#?}", p.diagnostics);
    p.file
}

fn pous(f: &SourceFile) -> Vec<&Pou> {
    f.items
        .iter()
        .filter_map(|i| {
            if let Item::Pou(p) = i {
                Some(&**p)
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn every_valid_fixture_parses_without_diagnostics() {
    for (path, text) in fixtures() {
        let p = parse(&text);
        assert!(p.diagnostics.is_empty(), "{path}: {:#?}", p.diagnostics);
        assert!(!p.file.items.is_empty(), "{path}");
    }
}

#[test]
fn function_block_structure() {
    let f = clean(
        &fixtures()
            .into_iter()
            .find(|(p, _)| p.ends_with("motor.st"))
            .unwrap()
            .1,
    );
    let fb = pous(&f)[0];
    assert_eq!(fb.kind, PouKind::FunctionBlock);
    assert!(fb.name.is("fb_motor"));
    let kinds: Vec<_> = fb.var_blocks.iter().map(|b| b.kind).collect();
    assert_eq!(kinds, vec![VarKind::Input, VarKind::Output, VarKind::Var]);
    assert_eq!(fb.var_blocks[0].vars.len(), 5);
    let body = fb.body.as_ref().unwrap();
    assert_eq!(body.len(), 4);
    assert!(matches!(body[0].kind, StmtKind::Call(_)));
    match &body[1].kind {
        StmtKind::If {
            branches,
            else_body,
        } => {
            assert_eq!(branches.len(), 2);
            assert!(else_body.is_none());
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn operator_precedence_follows_iec() {
    let f = clean("PROGRAM P\nx := a OR b AND NOT c = d + e * f ** -g;\nEND_PROGRAM");
    let StmtKind::Assign { value, .. } = &pous(&f)[0].body.as_ref().unwrap()[0].kind else {
        panic!()
    };
    // OR at the top, AND below it, then =, +, *, ** with unary minus innermost.
    let ExprKind::Binary(BinaryOp::Or, _, rhs) = &value.kind else {
        panic!("{value:?}")
    };
    let ExprKind::Binary(BinaryOp::And, b, eq) = &rhs.kind else {
        panic!()
    };
    assert!(matches!(&b.kind, ExprKind::Name(n) if n.is("b")));
    // NOT binds tighter than `=`: (NOT c) = (d + …).
    let ExprKind::Binary(BinaryOp::Eq, not_c, sum) = &eq.kind else {
        panic!()
    };
    assert!(matches!(not_c.kind, ExprKind::Unary(UnaryOp::Not, _)));
    let ExprKind::Binary(BinaryOp::Add, _, prod) = &sum.kind else {
        panic!()
    };
    let ExprKind::Binary(BinaryOp::Mul, _, pow) = &prod.kind else {
        panic!()
    };
    let ExprKind::Binary(BinaryOp::Pow, _, neg) = &pow.kind else {
        panic!()
    };
    assert!(matches!(neg.kind, ExprKind::Unary(UnaryOp::Neg, _)));
}

#[test]
fn subtraction_is_left_associative() {
    let f = clean("PROGRAM P\nx := a - b - c;\nEND_PROGRAM");
    let StmtKind::Assign { value, .. } = &pous(&f)[0].body.as_ref().unwrap()[0].kind else {
        panic!()
    };
    let ExprKind::Binary(BinaryOp::Sub, lhs, _) = &value.kind else {
        panic!()
    };
    assert!(matches!(lhs.kind, ExprKind::Binary(BinaryOp::Sub, _, _)));
}

#[test]
fn typed_literals_and_calls() {
    let f = clean("PROGRAM P\nx := INT#-5; y := E_State#Idle; z := BOOL#0; fb(IN := a, Q => b, NOT c => d, ET =>);\nEND_PROGRAM");
    let body = pous(&f)[0].body.clone().unwrap();
    let StmtKind::Assign { value, .. } = &body[0].kind else {
        panic!()
    };
    assert!(
        matches!(&value.kind, ExprKind::Unary(UnaryOp::Neg, inner) if matches!(inner.kind, ExprKind::Literal(Literal::Integer { value: 5, .. })))
    );
    let StmtKind::Assign { value, .. } = &body[1].kind else {
        panic!()
    };
    assert!(matches!(
        &value.kind,
        ExprKind::Literal(Literal::EnumValue { .. })
    ));
    let StmtKind::Assign { value, .. } = &body[2].kind else {
        panic!()
    };
    assert!(matches!(
        &value.kind,
        ExprKind::Literal(Literal::Bool { value: false, .. })
    ));
    let StmtKind::Call(call) = &body[3].kind else {
        panic!()
    };
    let ExprKind::Call(_, args) = &call.kind else {
        panic!()
    };
    assert_eq!(args.len(), 4);
    assert!(!args[0].output && args[1].output && args[2].negated);
}

#[test]
fn every_error_in_a_file_is_reported() {
    let src = "FUNCTION_BLOCK FB\nVAR\n  a : INT\n  b : ;\nEND_VAR\na = 1;\nIF a THEN b := 2\nEND_IF\nc := (1 + ;\nd := 3;\nEND_FUNCTION_BLOCK\n";
    let p = parse(src);
    assert!(p.diagnostics.len() >= 4, "{:#?}", p.diagnostics);
    // Recovery keeps the statement after the errors.
    let fb = pous(&p.file)[0];
    let body = fb.body.as_ref().unwrap();
    assert!(body.iter().any(|s| matches!(&s.kind, StmtKind::Assign { target, .. } if matches!(&target.kind, ExprKind::Name(n) if n.is("d")))), "{body:#?}");
    let eq = p
        .diagnostics
        .iter()
        .find(|d| d.message.contains("found `=`"))
        .unwrap();
    assert!(eq.help.as_deref().unwrap().contains(":="));
}

#[test]
fn missing_end_markers_name_the_block() {
    let p = parse("FUNCTION_BLOCK FB_A\nVAR x : INT; END_VAR\nIF x > 0 THEN x := 0;\nEND_FUNCTION_BLOCK\nFUNCTION_BLOCK FB_B\nx := 1;\n");
    let msgs: Vec<_> = p.diagnostics.iter().map(|d| d.message.clone()).collect();
    assert!(msgs.iter().any(|m| m.contains("END_IF")), "{msgs:#?}");
    assert!(
        msgs.iter()
            .any(|m| m.contains("FB_B has no END_FUNCTION_BLOCK")),
        "{msgs:#?}"
    );
    assert_eq!(pous(&p.file).len(), 2);
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_stack_overflow() {
    let deep = format!(
        "PROGRAM P\nx := {}1{};\nEND_PROGRAM",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let p = parse(&deep);
    assert!(p.diagnostics.iter().any(|d| d.code == Code::TooDeep));
    let ifs = format!(
        "PROGRAM P\n{}x := 1;{}\nEND_PROGRAM",
        "IF a THEN ".repeat(10_000),
        " END_IF".repeat(10_000)
    );
    assert!(parse(&ifs)
        .diagnostics
        .iter()
        .any(|d| d.code == Code::TooDeep));
    let nots = format!("PROGRAM P\nx := {}a;\nEND_PROGRAM", "NOT ".repeat(10_000));
    assert!(parse(&nots)
        .diagnostics
        .iter()
        .any(|d| d.code == Code::TooDeep));
}

#[test]
fn operator_chains_count_as_nesting() {
    let ok = format!("PROGRAM P\nx := a{};\nEND_PROGRAM", " OR a".repeat(300));
    assert!(parse(&ok).diagnostics.is_empty());
    // A left-nested tree as deep as the chain is long: bounded like any nesting.
    let chain = format!("PROGRAM P\nx := a{};\nEND_PROGRAM", " + a".repeat(200_000));
    assert!(parse(&chain)
        .diagnostics
        .iter()
        .any(|d| d.code == Code::TooDeep));
}

#[test]
fn junk_input_is_reported_never_panics() {
    for junk in [
        "\u{0}\u{1}\u{2}binary\u{ff}junk",
        "END_IF END_VAR ) ] ;;; := =>",
        "FUNCTION_BLOCK",
        "PROGRAM P VAR x : ARRAY[ OF ; END_PROGRAM",
        "TYPE T : (a, b",
        "(* unterminated",
        "PROGRAM P\nCASE x OF 1 2: ELSE END_CASE\nEND_PROGRAM",
        "PROGRAM P\nfb(a := , => , NOT);\nEND_PROGRAM",
    ] {
        let p = parse(junk);
        assert!(!p.diagnostics.is_empty(), "{junk:?}");
    }
    // Every prefix of a real file: truncated input of every length.
    let text = &fixtures()[0].1;
    for cut in (0..text.len()).step_by(7) {
        if text.is_char_boundary(cut) {
            let _ = parse(&text[..cut]);
        }
    }
}

#[test]
fn empty_file_is_a_warning() {
    let p = parse("  (* nothing *)\n");
    assert_eq!(p.diagnostics.len(), 1);
    assert_eq!(p.diagnostics[0].severity, Severity::Warning);
}
