use millwright_engine::{FinishReason, Input};
use millwright_iec61131::gbnf;
use millwright_iec61131::sim::Vectors;

use super::prompts::documents_text;
use super::*;
use crate::scripted::Scripted;

fn motor_vectors() -> Vectors {
    Vectors::from_json(
        r#"{"pou": "FB_Latch", "cases": [
            {"name": "start latches", "steps": [
                {"in": {"start": true, "stop": false}, "expect": {"running": true}},
                {"in": {"start": false}, "expect": {"running": true}}]},
            {"name": "stop wins", "steps": [
                {"in": {"start": true, "stop": true}, "expect": {"running": false}}]}]}"#,
    )
    .unwrap()
}

fn spec() -> GenSpec {
    GenSpec {
        vectors: Some(motor_vectors()),
        ..GenSpec::new("A start/stop latch: start sets running, stop resets it and wins.")
    }
}

/// [`spec`] under the symbol grammars, one attempt and no repair.
fn symbols_spec() -> GenSpec {
    GenSpec {
        symbols: true,
        rounds: 0,
        ..spec()
    }
}

const SYNTAX_ERROR: &str = "running := start OR running AND NOT stop\nEND_FUNCTION_BLOCK\n";
const WRONG: &str = "running := start OR running;\nEND_FUNCTION_BLOCK\n";
const RIGHT: &str = "IF stop THEN\n    running := FALSE;\nELSIF start THEN\n    running := TRUE;\nEND_IF\nEND_FUNCTION_BLOCK\n";

#[test]
fn the_interface_comes_from_the_vectors_and_the_io_list() {
    let it = Interface::infer(&spec()).unwrap();
    assert_eq!(it.name, "FB_Latch");
    assert_eq!(it.header(), "FUNCTION_BLOCK FB_Latch\nVAR_INPUT\n    start : BOOL;\n    stop : BOOL;\nEND_VAR\nVAR_OUTPUT\n    running : BOOL;\nEND_VAR\n");
    let io = crate::io_list::parse_rows(&[
        vec![
            "Tag".into(),
            "Address".into(),
            "Type".into(),
            "Description".into(),
        ],
        vec![
            "start".into(),
            "%IX0.0".into(),
            "BOOL".into(),
            "Start button".into(),
        ],
        vec!["speed".into(), "%QW2".into(), "INT".into(), "".into()],
    ])
    .unwrap();
    let it = Interface::infer(&GenSpec {
        io: Some(io),
        ..spec()
    })
    .unwrap();
    let start = it.section(Section::Input).next().unwrap();
    assert_eq!(
        (
            start.name.as_str(),
            start.ty.as_str(),
            start.comment.as_str()
        ),
        ("start", "BOOL", "Start button")
    );
    assert_eq!(it.section(Section::Output).next().unwrap().name, "speed");
    assert_eq!(it.vars.len(), 4, "{it:?}");
    assert_eq!(it.notes.len(), 2);
}

#[test]
fn repair_feeds_the_problems_back_until_the_tests_pass() {
    let mut m = Scripted::new(&[SYNTAX_ERROR, WRONG, RIGHT]);
    let r = generate(&mut m, &spec()).unwrap();
    assert!(r.verified_ok(), "{r:#?}");
    assert_eq!(r.verified.rounds, 3);
    assert_eq!(r.verified.tests_passed, 2);
    assert!(!r.history[0].verified.parsed);
    assert!(
        r.history[1].verified.parsed && r.history[1].verified.tests_passed == 1,
        "{:?}",
        r.history[1]
    );
    // Round 2 was told about the syntax error, round 3 about the failing test.
    let prompt = |i: usize| match &m.seen[i].input {
        Input::Prompt(p) => p.clone(),
        other => panic!("{other:?}"),
    };
    assert!(prompt(0).ends_with("END_VAR\n") && prompt(0).contains("(* Task: A start/stop latch"));
    assert!(prompt(1).contains("line 9: expected `;`"), "{}", prompt(1));
    assert!(
        prompt(2).contains("running should be FALSE but is TRUE"),
        "{}",
        prompt(2)
    );
    assert!(m.seen.iter().all(|r| r
        .grammar
        .as_deref()
        .is_some_and(|g| g.starts_with("#") && g.contains("root ::= ws var-block*"))));
    assert!(r.code.contains("ELSIF start THEN"), "{}", r.code);
    assert_eq!(r.vectors_source.as_deref(), Some("user"));
}

/// Under the symbol grammars an attempt is two requests: the new locals
/// under a grammar of names not yet taken, then the body, prefilled with
/// those locals, under the grammar of the declarations as they now are.
#[test]
fn the_symbol_grammars_decode_locals_then_the_body() {
    let locals = "VAR\n    seen : BOOL;\n    SEEN : INT;\nEND_VAR";
    let body = "IF stop THEN\n    running := FALSE;\nELSIF start THEN\n    running := TRUE;\nEND_IF\nseen := running;\nEND_FUNCTION_BLOCK";
    let mut m = Scripted::new(&[locals, body]);
    let r = generate(&mut m, &symbols_spec()).unwrap();
    assert_eq!(m.seen.len(), 2);
    let (p1, p2) = (&m.seen[0], &m.seen[1]);
    let g1 = p1.grammar.as_deref().unwrap();
    assert!(
        g1.contains("root ::= ws [Vv] [Aa] [Rr] sp (decl ws)*"),
        "{g1}"
    );
    assert!(p1.end_with_grammar && p1.prefill.is_empty());
    // The repeated `SEEN` was dropped; the body may write `seen`, not the input `start`.
    assert_eq!(p2.prefill, "VAR\n    seen : BOOL;\n    \nEND_VAR\n");
    let g2 = p2.grammar.as_deref().unwrap();
    let w_bool = g2.lines().find(|l| l.starts_with("w-bool ::= ")).unwrap();
    assert!(w_bool.contains(&gbnf::keyword("seen")) && !w_bool.contains(&gbnf::keyword("start")));
    assert!(r.verified_ok(), "{r:#?}");
    assert!(
        r.code.contains("seen : BOOL;") && !r.code.contains("start : INT"),
        "{}",
        r.code
    );
}

/// A body that reaches its end leaving an output unwritten goes on (a third
/// request) under a grammar that assigns that output first; the block is
/// the body without its end and the continuation.
#[test]
fn a_body_leaving_an_output_unwritten_goes_on_to_write_it() {
    let locals = "VAR\n    seen : BOOL;\nEND_VAR";
    let body = "seen := start;\nEND_FUNCTION_BLOCK";
    let rest = "running := seen AND NOT stop;\nEND_FUNCTION_BLOCK";
    let mut m = Scripted::new(&[locals, body, rest]);
    let r = generate(&mut m, &symbols_spec()).unwrap();
    assert_eq!(m.seen.len(), 3);
    // One attempt in three stages: a front end shows one draft going on.
    assert_eq!(
        m.stages,
        [
            Stage::Attempt { candidates: 1 },
            Stage::Continuation,
            Stage::Continuation
        ]
    );
    let p3 = &m.seen[2];
    assert_eq!(
        p3.prefill,
        "VAR\n    seen : BOOL;\nEND_VAR\nseen := start;\n"
    );
    let g3 = p3.grammar.as_deref().unwrap();
    let root = format!(
        "root ::= ws {} ws \":=\" ws bool-expr",
        gbnf::keyword("running")
    );
    assert!(g3.contains(&root), "{g3}");
    assert!(p3.end_with_grammar);
    assert!(
        r.code.contains("running := seen AND NOT stop;"),
        "{}",
        r.code
    );
    assert!(
        !r.diagnostics.iter().any(|d| d.code == "ST0119"),
        "{:?}",
        r.diagnostics
    );
    // A continuation that does not finish leaves the body as it was.
    let mut m = Scripted {
        finishes: vec![
            FinishReason::GrammarComplete,
            FinishReason::GrammarComplete,
            FinishReason::MaxTokens,
        ],
        ..Scripted::new(&[locals, body, "running := seen AND"])
    };
    let r = generate(&mut m, &symbols_spec()).unwrap();
    assert!(
        r.code.contains("seen := start;") && !r.code.contains("running :="),
        "{}",
        r.code
    );
    assert!(r.diagnostics.iter().any(|d| d.code == "ST0119"));
}

#[test]
fn passages_from_the_documents_reach_the_prompt_and_the_citations() {
    let mut m = Scripted::new(&[RIGHT]);
    let spec = GenSpec {
        passages: vec![DocPassage {
            citation: "plant.pdf, p. 7".into(),
            path: "/docs/plant.pdf".into(),
            page: Some(7),
            text: "The latch (* resets *) when stop is pressed.".into(),
        }],
        ..spec()
    };
    let r = generate(&mut m, &spec).unwrap();
    let Input::Prompt(p) = &m.seen[0].input else {
        panic!("a base prompt")
    };
    assert!(
        p.contains("[1] plant.pdf, p. 7: The latch ( * resets * ) when stop is pressed."),
        "{p}"
    );
    // The passages stay one comment, whatever delimiters their text held.
    let block = documents_text(&spec.passages);
    let parsed = millwright_iec61131::parse(&format!("{block}PROGRAM P\nEND_PROGRAM\n"));
    assert!(!parsed.has_errors(), "{block}");
    let c = &r.citations[0];
    assert_eq!((c.source.as_str(), c.page), ("/docs/plant.pdf", Some(7)));
    assert_eq!(c.title, "plant.pdf, p. 7");
}

#[test]
fn the_best_candidate_is_kept_when_repair_makes_it_worse() {
    let mut m = Scripted::new(&[WRONG, SYNTAX_ERROR, SYNTAX_ERROR]);
    let r = generate(&mut m, &spec()).unwrap();
    assert_eq!(r.verified.rounds, 3);
    assert_eq!((r.verified.tests_passed, r.verified.tests_total), (1, 2));
    assert!(
        r.code.contains("running := start OR running;"),
        "{}",
        r.code
    );
    assert!(!r.verified_ok());
    assert!(
        r.test_failures[0].contains("stop wins"),
        "{:?}",
        r.test_failures
    );
}

/// Without the grammar the end keyword is a stop string, which llama.cpp
/// also matches inside a comment: the end is only added outside one.
#[test]
fn the_end_keyword_inside_an_open_comment_does_not_close_the_block() {
    let free = GenSpec {
        grammar: false,
        rounds: 0,
        ..spec()
    };
    // What the engine returns when the stop string fires (the string itself is not returned).
    let mut m = Scripted {
        finish: FinishReason::StopString,
        ..Scripted::new(&["running := start; (* latch\n"])
    };
    let r = generate(&mut m, &free).unwrap();
    assert_eq!(m.seen[0].stop, vec![END.to_string()]);
    assert!(m.seen[0].grammar.is_none());
    assert_eq!(r.history[0].ended, Ended::EndKeywordInComment);
    assert!(!r.verified.parsed);
    assert!(!r.code.contains(END), "{}", r.code);
    assert!(
        r.diagnostics.iter().any(|d| d.code == "ST0002"),
        "{:?}",
        r.diagnostics
    );

    let mut m = Scripted {
        finish: FinishReason::StopString,
        ..Scripted::new(&["running := NOT stop AND (start OR running); (* latch *)\n"])
    };
    let r = generate(&mut m, &free).unwrap();
    assert_eq!(r.history[0].ended, Ended::EndKeyword);
    assert!(r.verified_ok(), "{r:#?}");

    // Under the grammar there is no stop string: the grammar ends the block.
    let mut m = Scripted::new(&[RIGHT]);
    generate(&mut m, &spec()).unwrap();
    assert!(m
        .seen
        .iter()
        .all(|q| q.stop.is_empty() && q.grammar.is_some() && q.end_with_grammar));
}

#[test]
fn an_attempt_cut_off_at_the_token_limit_is_reported_as_such() {
    let mut m = Scripted {
        finish: FinishReason::MaxTokens,
        ..Scripted::new(&["running := start;\nrunning := start;\nrunning := start;\n"])
    };
    let r = generate(
        &mut m,
        &GenSpec {
            rounds: 0,
            ..spec()
        },
    )
    .unwrap();
    assert_eq!(r.history[0].ended, Ended::TokenLimit);
    assert!(!r.verified.parsed);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["history"][0]["ended"], "token_limit");
    assert_eq!(json["history"][0]["parsed"], false);
}

#[test]
fn chat_models_get_messages_and_may_restate_the_block() {
    let whole = "```iecst\nFUNCTION_BLOCK FB_Latch\nVAR_INPUT start : BOOL; stop : BOOL; END_VAR\nVAR_OUTPUT running : BOOL; END_VAR\nrunning := NOT stop AND (start OR running);\nEND_FUNCTION_BLOCK\n```";
    let mut m = Scripted {
        chat: true,
        ..Scripted::new(&[whole])
    };
    let r = generate(
        &mut m,
        &GenSpec {
            rounds: 0,
            ..spec()
        },
    )
    .unwrap();
    assert!(r.verified_ok(), "{r:#?}");
    let Input::Chat(msgs) = &m.seen[0].input else {
        panic!()
    };
    assert_eq!(msgs[0].role, "system");
    assert!(msgs[1].content.contains("FUNCTION_BLOCK FB_Latch"));
}

#[test]
fn proposed_vectors_are_run_and_marked_as_the_models() {
    let proposed = r#"{"pou": "FB_Generated", "source": "model", "cases": [{"name": "doubles", "steps": [{"in": {"a": 2}, "expect": {"b": 4}}, {"in": {"a": -3}, "expect": {"b": -5}}]}]}"#;
    let mut m = Scripted::new(&[
            "VAR_INPUT a : INT; END_VAR\nVAR_OUTPUT b : INT; END_VAR\nb := a * 2;\nEND_FUNCTION_BLOCK\n",
            proposed,
        ]);
    let spec = GenSpec {
        propose_tests: true,
        ..GenSpec::new("Double the input.")
    };
    let r = generate(&mut m, &spec).unwrap();
    assert_eq!(r.vectors_source.as_deref(), Some("model"));
    assert_eq!(m.stages, [Stage::Attempt { candidates: 1 }, Stage::Vectors]);
    // The model's second step is wrong (-3 * 2 is -6): reported, not hidden.
    assert_eq!((r.verified.tests_passed, r.verified.tests_total), (0, 1));
    assert!(
        r.test_failures[0].contains("b should be -5 but is -6"),
        "{:?}",
        r.test_failures
    );
    let g = m.seen[1].grammar.as_deref().unwrap();
    assert!(
        g.contains(r#"inpair ::= "\"a\": ""#) && g.contains(r#"outpair ::= "\"b\": ""#),
        "{g}"
    );
}

#[test]
fn without_vectors_the_report_says_so_and_bad_specs_are_refused() {
    let mut m = Scripted::new(&["VAR_INPUT a : INT; END_VAR\nVAR_OUTPUT b : INT; END_VAR\nb := a * 2;\nEND_FUNCTION_BLOCK\n"]);
    let r = generate(&mut m, &GenSpec::new("Double the input.")).unwrap();
    assert_eq!((r.verified.tests_total, r.verified.rounds), (0, 1));
    assert!(r.verified_ok());
    assert!(r.vectors_source.is_none());
    assert!(
        r.code.starts_with("FUNCTION_BLOCK FB_Generated"),
        "{}",
        r.code
    );
    assert!(generate(&mut m, &GenSpec::new("  "))
        .unwrap_err()
        .is_input_with("empty"));
    let bad = GenSpec {
        name: Some("1 bad".into()),
        ..GenSpec::new("x")
    };
    assert!(generate(&mut m, &bad)
        .unwrap_err()
        .is_input_with("not a valid POU name"));
}

/// The first round samples its candidates side by side (one greedy, the
/// others at a temperature with seeds of their own); the best is kept and
/// every one is reported.
#[test]
fn the_best_of_the_candidates_is_kept_and_all_are_reported() {
    let mut m = Scripted::new(&[WRONG, RIGHT, SYNTAX_ERROR]);
    let r = generate(
        &mut m,
        &GenSpec {
            candidates: 3,
            rounds: 2,
            ..spec()
        },
    )
    .unwrap();
    assert!(r.verified_ok(), "{r:#?}");
    assert_eq!(m.seen.len(), 3, "the right one needs no repair");
    let s: Vec<(f32, u32)> = m
        .seen
        .iter()
        .map(|q| (q.sampling.temperature, q.sampling.seed))
        .collect();
    assert_eq!(
        s,
        vec![
            (0.0, 42),
            (CANDIDATE_TEMPERATURE, 1),
            (CANDIDATE_TEMPERATURE, 2)
        ]
    );
    assert!(m.seen.iter().all(|q| q.loop_guard == Some(LOOP_GUARD)));
    assert_eq!(r.candidates.len(), 3);
    let c = &r.candidates;
    assert!(!c[0].passed() && c[0].clean());
    assert!(c[1].passed() && c[1].code.contains("ELSIF start THEN"));
    assert!(!c[2].clean());
    assert_eq!(r.history.len(), 1);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["candidates"][1]["tests_passed"], 2);
    assert_eq!(json["candidates"][2]["parsed"], false);
    let too_many = GenSpec {
        candidates: MAX_CANDIDATES + 1,
        ..spec()
    };
    assert!(generate(&mut m, &too_many)
        .unwrap_err()
        .is_input_with("candidates is not possible"));
}

#[test]
fn a_looping_attempt_is_reported_as_looping() {
    let mut m = Scripted {
        finish: FinishReason::Looping,
        ..Scripted::new(&["running := start;\nrunning := start;\nrunning := start;\n"])
    };
    let r = generate(
        &mut m,
        &GenSpec {
            rounds: 0,
            ..spec()
        },
    )
    .unwrap();
    assert_eq!(r.history[0].ended, Ended::Looping);
    assert_eq!(r.candidates[0].ended, Ended::Looping);
}

/// Under the symbol grammars a body that loops is kept to the first copy of
/// what it repeated and closed; with its outputs written it needs no third
/// request. It stays reported as looping, and as closed.
#[test]
fn a_looping_body_is_kept_to_its_last_sound_statement() {
    let locals = "VAR\n    seen : BOOL;\nEND_VAR";
    let body = "running := start;\nIF stop THEN\n    running := FALSE;\nEND_IF\n\
                IF stop THEN\n    running := FALSE;\nEND_IF\n\
                IF stop THEN\n    running := FALSE;\nEND_IF\nIF st";
    let mut m = Scripted {
        finishes: vec![FinishReason::GrammarComplete, FinishReason::Looping],
        ..Scripted::new(&[locals, body])
    };
    let r = generate(&mut m, &symbols_spec()).unwrap();
    assert_eq!(m.seen.len(), 2, "no third request: every output is written");
    let c = &r.candidates[0];
    assert_eq!(c.ended, Ended::Looping);
    assert!(c.closed && c.clean(), "{c:#?}");
    assert_eq!(c.code.matches("IF stop THEN").count(), 1, "{}", c.code);
    assert!(r.history[0].closed);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["candidates"][0]["closed"], true);
    // Nothing sound to keep: the attempt stays as the model left it.
    let mut m = Scripted {
        finishes: vec![FinishReason::GrammarComplete, FinishReason::MaxTokens],
        ..Scripted::new(&[locals, "IF stop THEN\n    running := FALSE;\n"])
    };
    let r = generate(&mut m, &symbols_spec()).unwrap();
    let c = &r.candidates[0];
    assert_eq!(c.ended, Ended::TokenLimit);
    assert!(!c.closed && !c.clean());
}

/// The spec's own header wins over everything and is used as written; a
/// list of variables in the spec outranks what the vectors' values suggest
/// (`status` is a WORD, not the INT its test value would give).
#[test]
fn the_interface_the_spec_gives_is_used_exactly() {
    let header_spec = "Latch the motor.\nFUNCTION_BLOCK FB_Latch\nVAR_INPUT start, stop : BOOL; END_VAR\n\
        VAR_OUTPUT running : BOOL; status : WORD := 16#0001; END_VAR\nVAR_IN_OUT log : ARRAY[1..4] OF INT; END_VAR\n";
    let it = Interface::infer(&GenSpec::new(header_spec)).unwrap();
    assert_eq!(it.name, "FB_Latch");
    assert_eq!(
        it.header(),
        "FUNCTION_BLOCK FB_Latch\nVAR_INPUT start, stop : BOOL; END_VAR\nVAR_OUTPUT running : BOOL; status : WORD := 16#0001; END_VAR\nVAR_IN_OUT log : ARRAY[1..4] OF INT; END_VAR\n"
    );
    // The vectors agree with it: fine, and nothing is added.
    let with_vectors = Interface::infer(&GenSpec {
        vectors: Some(motor_vectors()),
        ..GenSpec::new(header_spec)
    })
    .unwrap();
    assert_eq!(with_vectors.vars.len(), 5);

    let list_spec = "Report the state.\nInputs:\n- start (BOOL)\n- stop (BOOL)\nOutputs:\n- running (BOOL)\n- status (WORD): 16#8001 when stopped\n";
    let vectors = Vectors::from_json(
        r#"{"pou": "FB_Latch", "cases": [{"name": "s", "steps": [{"in": {"start": true}, "expect": {"status": 32769}}]}]}"#,
    )
    .unwrap();
    let it = Interface::infer(&GenSpec {
        vectors: Some(vectors),
        ..GenSpec::new(list_spec)
    })
    .unwrap();
    let status = it.vars.iter().find(|v| v.name == "status").unwrap();
    assert_eq!(status.ty, "WORD");
    assert!(
        it.header()
            .contains("    status : WORD; (* 16#8001 when stopped *)"),
        "{}",
        it.header()
    );
}

#[test]
fn interfaces_that_disagree_are_refused_naming_both() {
    let io = crate::io_list::parse_rows(&[
        vec!["Tag".into(), "Address".into(), "Type".into()],
        vec!["start".into(), "%IW0".into(), "INT".into()],
    ])
    .unwrap();
    let spec = GenSpec {
        io: Some(io.clone()),
        ..GenSpec::new("Inputs:\n- start (BOOL)\n")
    };
    let Err(crate::Error::Input(e)) = Interface::infer(&spec) else {
        panic!("an input error")
    };
    assert!(
        e.contains("`start` is BOOL in the spec's variable list but INT in the IO list"),
        "{e}"
    );
    // An output the vectors set.
    let spec = GenSpec {
        vectors: Some(motor_vectors()),
        ..GenSpec::new("Outputs:\n- start (BOOL)\n")
    };
    let Err(crate::Error::Input(e)) = Interface::infer(&spec) else {
        panic!("an input error")
    };
    assert!(
        e.contains(
            "the test vectors set `start`, which the spec's variable list declares as an output"
        ),
        "{e}"
    );
    // A header is the interface exactly: the IO list may not add to it.
    let spec = GenSpec {
        io: Some(io),
        ..GenSpec::new("FUNCTION_BLOCK FB_A\nVAR_INPUT go : BOOL; END_VAR\n")
    };
    let Err(crate::Error::Input(e)) = Interface::infer(&spec) else {
        panic!("an input error")
    };
    assert!(
        e.contains("`start` is in the IO list but not in the spec's ST header"),
        "{e}"
    );
    // A header that does not parse stops the generation with its line.
    let mut m = Scripted::new(&[RIGHT]);
    let e = generate(
        &mut m,
        &GenSpec::new("FUNCTION_BLOCK FB_A\nVAR_INPUT go : BOOL\nEND_VAR\n"),
    )
    .unwrap_err();
    assert!(e.is_input_with("line 2: expected `;`"), "{e}");
    assert!(m.seen.is_empty(), "nothing reached the model");
}
