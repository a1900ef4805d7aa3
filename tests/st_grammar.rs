//! The ST grammar (GBNF) against llama.cpp's own grammar engine, through the
//! real engine worker: every valid fixture must be accepted, and text the
//! parser rejects for its structure must be refused where it goes wrong.

use std::path::PathBuf;

use millwright_engine::{Engine, LoadParams, WorkerCommand};
use millwright_models::{fetch::model_path, Home, Manifest};

fn engine() -> Engine {
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
            n_ctx: Some(512),
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
