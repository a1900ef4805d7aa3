//! The ST grammar (GBNF) against llama.cpp's own grammar engine, through the
//! real engine worker: every valid fixture must be accepted, and text the
//! parser rejects for its structure must be refused where it goes wrong.

use std::path::PathBuf;

use millwright_engine::{
    Engine, FinishReason, GenerateRequest, LoadParams, Sampling, WorkerCommand,
};
use millwright_models::{fetch::model_path, Home, Manifest};

fn engine() -> Engine {
    engine_with_context(512)
}

fn engine_with_context(n_ctx: u32) -> Engine {
    let model = model_path(
        &Home::from_env().unwrap(),
        Manifest::builtin().default_model(),
    );
    assert!(
        model.exists(),
        "run `cargo xtask test`, which fetches {}",
        model.display()
    );
    let mut e = Engine::new(WorkerCommand {
        program: env!("CARGO_BIN_EXE_millwright").into(),
        args: vec!["__engine-worker".into()],
    });
    e.load(
        &model,
        LoadParams {
            n_ctx: Some(n_ctx),
            threads: Some(1),
            ..LoadParams::default()
        },
    )
    .unwrap();
    e
}

fn fixtures() -> Vec<(PathBuf, String)> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/iec61131/tests/fixtures/valid");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "st"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_valid_fixture_is_accepted_by_the_grammar() {
    let grammar = millwright_iec61131::gbnf::grammar();
    let mut e = engine();
    let fixtures = fixtures();
    assert!(fixtures.len() >= 5);
    for (path, text) in fixtures {
        assert!(
            millwright_iec61131::parse(&text).diagnostics.is_empty(),
            "{}",
            path.display()
        );
        let r = e.grammar_check(&grammar, &text).unwrap();
        assert!(
            r.accepted,
            "{}: refused {:?} at byte {:?}: …{}",
            path.display(),
            r.rejected_token,
            r.rejected_at,
            &text[r.rejected_at.unwrap_or(0).saturating_sub(60)..r.rejected_at.unwrap_or(0)]
        );
        assert!(
            r.complete,
            "{}: the grammar cannot end after the file",
            path.display()
        );
    }
}

#[test]
fn structurally_wrong_code_is_refused() {
    let grammar = millwright_iec61131::gbnf::grammar();
    let mut e = engine();
    for (bad, near) in [
        (
            "FUNCTION_BLOCK FB\nVAR x : INT; END_VAR\nx := ;\nEND_FUNCTION_BLOCK\n",
            ";\nEND",
        ),
        (
            // Keywords also match as names: END_WHILE is refused one token later.
            "PROGRAM P\nIF x THEN y := 1; END_WHILE\nEND_PROGRAM\n",
            "END_WHILE\nEND_PROGRAM",
        ),
        ("x := 1;\n", "x"),
    ] {
        let r = e.grammar_check(&grammar, bad).unwrap();
        assert!(!r.accepted, "{bad:?} was accepted");
        let at = r.rejected_at.unwrap();
        let pos = bad.find(near).unwrap();
        assert!(
            at <= pos + near.len(),
            "{bad:?}: refused at {at}, expected near {pos}"
        );
    }
    // A prefix is accepted but not complete.
    let r = e.grammar_check(&grammar, "PROGRAM P\nx := 1;\n").unwrap();
    assert!(r.accepted && !r.complete);
}

/// What `plc gen` decodes under: the rest of a function block after its
/// header line. Every block of the verified library must be expressible.
#[test]
fn the_generation_grammar_accepts_every_library_block() {
    let grammar = millwright_copilot::plc::continuation_grammar();
    let mut e = engine();
    for s in millwright_copilot::library::all() {
        let Some(at) = s.code.find("FUNCTION_BLOCK ") else {
            continue; // a FUNCTION: generated blocks are function blocks
        };
        let rest = &s.code[at..];
        let body = &rest[rest.find('\n').unwrap() + 1..];
        let r = e.grammar_check(&grammar, body).unwrap();
        assert!(
            r.accepted,
            "{}: refused at byte {:?}: …{}",
            s.name,
            r.rejected_at,
            &body[r.rejected_at.unwrap_or(0).saturating_sub(60)..r.rejected_at.unwrap_or(0)]
        );
    }
}

/// The generation grammar may end right after the block's end keyword, never
/// inside a comment; `plc gen` ends generation there (`end_with_grammar`)
/// instead of at a stop string, which also fires inside a comment.
#[test]
fn generation_ends_at_the_end_keyword_and_not_in_a_comment() {
    let grammar = millwright_copilot::plc::continuation_grammar();
    let mut e = engine();
    for done in [
        "x := 1;\nEND_FUNCTION_BLOCK",
        "x := 1;\nend_function_block;",
    ] {
        let r = e.grammar_check(&grammar, done).unwrap();
        assert!(r.accepted && r.complete, "{done:?}: {r:?}");
    }
    let in_comment = "x := 1; (* the motor stops.\nEND_FUNCTION_BLOCK";
    let r = e.grammar_check(&grammar, in_comment).unwrap();
    assert!(r.accepted && !r.complete, "{r:?}");

    // The real model, asked for a second block after a whole first one.
    let prompt = "FUNCTION_BLOCK FB_A\nVAR_INPUT\n    x : BOOL;\nEND_VAR\nVAR_OUTPUT\n    y : BOOL;\nEND_VAR\ny := x;\nEND_FUNCTION_BLOCK\n\nFUNCTION_BLOCK FB_B\nVAR_INPUT\n    x : BOOL;\nEND_VAR\nVAR_OUTPUT\n    y : BOOL;\nEND_VAR\n";
    let req = GenerateRequest {
        sampling: Sampling::greedy(),
        grammar: Some(grammar),
        end_with_grammar: true,
        ..GenerateRequest::prompt(prompt, 120)
    };
    let g = e.generate(&req, |_| {}).unwrap();
    assert_eq!(g.finish, FinishReason::GrammarComplete, "{:?}", g.text);
    let code = format!("{prompt}{}", g.text);
    let parsed = millwright_iec61131::parse(&code);
    assert!(!parsed.has_errors(), "{code}");
    assert!(
        g.text
            .trim_end()
            .to_ascii_uppercase()
            .ends_with("END_FUNCTION_BLOCK"),
        "{:?}",
        g.text
    );
}

#[test]
fn the_vectors_grammar_accepts_vectors_for_the_block_and_nothing_else() {
    let code = millwright_copilot::library::all()
        .into_iter()
        .find(|s| s.name == "debounce")
        .unwrap()
        .code;
    let grammar = millwright_copilot::plc::vectors_grammar("FB_Debounce", code).unwrap();
    let mut e = engine();
    let good = r#"{"pou": "FB_Debounce", "source": "model", "cases": [{"name": "stable input passes", "steps": [{"in": {"raw": true, "delay": "T#50ms"}, "cycles": 6, "expect": {"out": true}}]}]}"#;
    let r = e.grammar_check(&grammar, good).unwrap();
    assert!(r.accepted, "refused at {:?}", r.rejected_at);
    assert!(millwright_iec61131::sim::Vectors::from_json(good).is_ok());
    let unknown = good.replace("\"raw\"", "\"nope\"");
    assert!(!e.grammar_check(&grammar, &unknown).unwrap().accepted);
}

/// The grammars built from a block's declarations, read by llama.cpp's own
/// grammar engine: every library block's body is accepted given its
/// declarations, and what the checker refuses is refused.
#[test]
fn the_symbol_grammar_accepts_library_bodies_and_refuses_checker_errors() {
    use millwright_iec61131::ast::{Item, PouKind};
    use millwright_iec61131::{gbnf, Analysis};
    let mut e = engine();
    let mut blocks = 0;
    for s in millwright_copilot::library::all() {
        let a = Analysis::new(s.code);
        for item in &a.parsed().file.items {
            let Item::Pou(p) = item else { continue };
            let Some(first) = p.body.as_ref().and_then(|b| b.first()) else {
                continue;
            };
            if p.kind != PouKind::FunctionBlock {
                continue;
            }
            let grammar = gbnf::body_grammar(a.model(), &p.name.name, "END_FUNCTION_BLOCK");
            let body = &s.code[first.span.start as usize..p.span.end as usize];
            let r = e.grammar_check(&grammar, body).unwrap();
            assert!(
                r.accepted && r.complete,
                "{}: refused at {:?}: …{}",
                s.name,
                r.rejected_at,
                &body[..r.rejected_at.unwrap_or(0)]
            );
            blocks += 1;
        }
    }
    assert!(blocks >= 20, "{blocks}");

    let header = "FUNCTION_BLOCK FB_T\nVAR_INPUT start : BOOL; raw : INT; END_VAR\nVAR_OUTPUT q : BOOL; n : INT; END_VAR\nVAR t : TON; i : INT; END_VAR\n";
    let a = Analysis::new(&format!("{header}END_FUNCTION_BLOCK\n"));
    let grammar = gbnf::body_grammar(a.model(), "FB_T", "END_FUNCTION_BLOCK");
    let good = "t(IN := start, PT := T#2s);\nq := t.Q AND raw > 3;\nEND_FUNCTION_BLOCK";
    let r = e.grammar_check(&grammar, good).unwrap();
    assert!(r.accepted && r.complete, "{r:?}");
    for (bad, near) in [
        ("q := missing;", "missing"),
        ("start := TRUE;", "start"),
        ("IF raw THEN q := TRUE; END_IF;", " THEN"),
        ("t(IN := start, PRESET := T#1s);", "PRESET"),
        ("FOR i := 0 TO 3 DO i := 2; END_FOR;", "i := 2"),
    ] {
        let text = format!("{bad}\nEND_FUNCTION_BLOCK");
        let r = e.grammar_check(&grammar, &text).unwrap();
        assert!(!r.accepted, "{bad:?} was accepted");
        let at = r.rejected_at.unwrap();
        let pos = text.find(near).unwrap();
        assert!(
            at <= pos + near.len(),
            "{bad:?}: refused at {at}, expected near {pos}"
        );
    }
    // Bounded where a small model loops: a run of blank lines, a sum that
    // adds the same term again and again.
    let blank = format!("q := start;{}n := 1;\nEND_FUNCTION_BLOCK", "\n".repeat(41));
    assert!(!e.grammar_check(&grammar, &blank).unwrap().accepted);
    let long_sum = format!("n := raw{};\nEND_FUNCTION_BLOCK", " + 1".repeat(8));
    assert!(!e.grammar_check(&grammar, &long_sum).unwrap().accepted);
    let sum = format!(
        "n := raw{};\n\n    q := start;\nEND_FUNCTION_BLOCK",
        " + 1".repeat(7)
    );
    let r = e.grammar_check(&grammar, &sum).unwrap();
    assert!(r.accepted && r.complete, "{r:?}");
    // Parentheses four deep (a model that writes `((((…` multiplies the
    // engine's readings at each), not five.
    let nested = |d: usize| {
        format!(
            "q := {}raw > 3{};\nEND_FUNCTION_BLOCK",
            "(".repeat(d),
            ")".repeat(d)
        )
    };
    let r = e.grammar_check(&grammar, &nested(4)).unwrap();
    assert!(r.accepted && r.complete, "{r:?}");
    let r = e.grammar_check(&grammar, &nested(5)).unwrap();
    // Refused at the token holding the fifth `(` (tokens may hold two).
    let at = r.rejected_at.expect("refused");
    assert!(!r.accepted && at <= "q := ((((".len(), "{r:?}");
    let call = "n := ABS(REAL_TO_INT(INT_TO_REAL((raw - 1)) * 2.0));\nEND_FUNCTION_BLOCK";
    let r = e.grammar_check(&grammar, call).unwrap();
    assert!(r.accepted && r.complete, "{r:?}");
    // A body that ended leaving outputs unwritten goes on: each of them first.
    let outputs = gbnf::outputs_grammar(a.model(), "FB_T", "END_FUNCTION_BLOCK", &["q", "n"])
        .expect("two scalar outputs");
    let r = e
        .grammar_check(&outputs, "q := start;\nn := raw + 1;\nEND_FUNCTION_BLOCK")
        .unwrap();
    assert!(r.accepted && r.complete, "{r:?}");
    for bad in [
        "END_FUNCTION_BLOCK",
        "q := start;\nEND_FUNCTION_BLOCK",
        "n := 1;\n",
    ] {
        assert!(
            !e.grammar_check(&outputs, bad).unwrap().accepted,
            "{bad:?} was accepted"
        );
    }
    let locals = gbnf::locals_grammar(a.model(), "FB_T");
    let r = e
        .grammar_check(&locals, "VAR\n    spare : INT := 1;\nEND_VAR")
        .unwrap();
    assert!(r.accepted && r.complete, "{r:?}");
    let r = e
        .grammar_check(&locals, "VAR\n    q : BOOL;\nEND_VAR")
        .unwrap();
    assert!(!r.accepted, "a second `q` was accepted");
}

/// On the default model, an attempt under the symbol grammars that reaches
/// the block's end checks without an error, by construction.
#[test]
fn generation_under_the_symbol_grammar_checks_clean() {
    use millwright_copilot::plc::{self, EngineCompleter, GenSpec};
    let mut e = engine_with_context(2048);
    let vectors = millwright_iec61131::sim::Vectors::from_json(
        r#"{"pou": "FB_Latch", "cases": [{"name": "set then reset", "steps": [
            {"in": {"set": true, "reset": false}, "expect": {"q": true}},
            {"in": {"set": false, "reset": true}, "expect": {"q": false}}]}]}"#,
    )
    .unwrap();
    let spec = GenSpec {
        name: Some("FB_Latch".into()),
        vectors: Some(vectors),
        symbols: true,
        rounds: 1,
        max_tokens: 300,
        ..GenSpec::new(
            "A latch: output q turns on when set is TRUE and off when reset is TRUE; reset wins.",
        )
    };
    let mut model = EngineCompleter {
        engine: &mut e,
        is_chat: false,
    };
    let r = plc::generate(&mut model, &spec).unwrap();
    // Cut off at the token limit or ended as looping it does not parse;
    // every attempt that reached the end checks clean.
    for round in &r.history {
        assert!(
            matches!(
                round.ended,
                plc::Ended::Finished | plc::Ended::TokenLimit | plc::Ended::Looping
            ),
            "{:?}",
            round.ended
        );
        if round.ended == plc::Ended::Finished {
            assert!(
                round.verified.parsed && round.verified.errors == 0,
                "{round:?}\n{}",
                r.code
            );
        }
    }
}
