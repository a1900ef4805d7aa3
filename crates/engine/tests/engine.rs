//! The engine end to end: the real default model in a real worker process.
//! `cargo xtask test` fetches the model first.

use std::path::PathBuf;

use millwright_engine::{
    ChatMessage, Engine, ErrorKind, FinishReason, GenerateRequest, Input, LoadParams, LoopGuard,
    OverflowPolicy, Sampling, WorkerCommand,
};
use millwright_models::{fetch::model_path, Home, Manifest};

fn default_model() -> PathBuf {
    let home = Home::from_env().expect("data directory");
    let path = model_path(&home, Manifest::builtin().default_model());
    assert!(
        path.exists(),
        "the default model is missing at {}; run `cargo xtask test` (it fetches it) or `millwright models fetch`",
        path.display()
    );
    path
}

fn worker() -> WorkerCommand {
    WorkerCommand {
        program: env!("CARGO_BIN_EXE_millwright-worker").into(),
        args: vec![],
    }
}

fn engine_with(n_ctx: u32) -> Engine {
    let mut engine = Engine::new(worker());
    let info = engine
        .load(
            &default_model(),
            LoadParams {
                n_ctx: Some(n_ctx),
                threads: Some(2),
                ..LoadParams::default()
            },
        )
        .expect("default model loads");
    assert_eq!(info.n_ctx, n_ctx);
    engine
}

fn engine() -> Engine {
    engine_with(2048)
}

fn sampled(prompt: &str, max_tokens: u32, seed: u32) -> GenerateRequest {
    GenerateRequest {
        sampling: Sampling {
            temperature: 0.9,
            seed,
            ..Sampling::default()
        },
        ..GenerateRequest::prompt(prompt, max_tokens)
    }
}

const PROMPT: &str = "A PLC scan cycle has three phases. First,";

#[test]
fn model_info_describes_the_default_base_model() {
    let mut e = engine();
    let info = e.model_info().unwrap().clone();
    assert_eq!(info.architecture, "gemma3");
    assert!(!info.is_chat, "the default model is a base model");
    assert_eq!(info.n_vocab, 262_144);
    assert_eq!(info.n_ctx_train, 32_768);
    assert!(info.n_params > 200_000_000 && info.n_params < 300_000_000);
    assert_eq!(e.count_tokens("Hello").unwrap(), 2, "BOS + one token");
}

#[test]
fn same_seed_and_input_give_the_same_output() {
    let mut a = engine();
    let first = a.generate(&sampled(PROMPT, 40, 7), |_| {}).unwrap();
    let again = a.generate(&sampled(PROMPT, 40, 7), |_| {}).unwrap();
    let mut b = engine();
    let fresh = b.generate(&sampled(PROMPT, 40, 7), |_| {}).unwrap();
    assert!(first.stats.generated_tokens > 5, "{first:?}");
    assert_eq!(first.text, again.text, "same engine, cached prefix");
    assert_eq!(first.text, fresh.text, "fresh worker");
    let other = b.generate(&sampled(PROMPT, 40, 8), |_| {}).unwrap();
    assert_ne!(first.text, other.text, "another seed samples differently");
}

#[test]
fn tokens_stream_in_order() {
    let mut e = engine();
    let mut pieces = Vec::new();
    let out = e
        .generate(&sampled(PROMPT, 30, 1), |p| pieces.push(p.to_owned()))
        .unwrap();
    assert!(pieces.len() > 5, "streamed in pieces: {pieces:?}");
    assert_eq!(pieces.concat(), out.text);
    assert!(pieces.iter().all(|p| !p.is_empty()));
}

#[test]
fn cancel_stops_a_generation_and_the_engine_goes_on() {
    let mut e = engine();
    let cancel = e.canceller();
    let mut n = 0;
    let mut req = sampled(PROMPT, 1500, 3);
    req.stop.clear();
    let out = e
        .generate(&req, |_| {
            n += 1;
            if n == 5 {
                cancel.cancel();
            }
        })
        .unwrap();
    assert_eq!(out.finish, FinishReason::Cancelled);
    assert!(out.stats.generated_tokens < 50, "{:?}", out.stats);
    let next = e.generate(&sampled(PROMPT, 5, 3), |_| {}).unwrap();
    assert_eq!(next.stats.generated_tokens, 5);
    assert_eq!(e.restarts(), 0);
}

#[test]
fn killed_worker_fails_the_request_and_the_next_one_succeeds() {
    let mut e = engine();
    let pid = e.worker_pid().unwrap();
    let mut n = 0;
    let err = e
        .generate(&sampled(PROMPT, 1500, 3), |_| {
            n += 1;
            if n == 3 {
                let status = std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status()
                    .unwrap();
                assert!(status.success());
            }
        })
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::WorkerDied, "{err}");
    assert!(err.message.contains("signal 9"), "{err}");
    let next = e.generate(&sampled(PROMPT, 8, 3), |_| {}).unwrap();
    assert_eq!(next.stats.generated_tokens, 8);
    assert_eq!(e.restarts(), 1);
    assert_ne!(e.worker_pid(), Some(pid));
}

#[test]
fn grammar_constrains_the_output() {
    let mut e = engine();
    let grammar = r#"
root ::= assign+
assign ::= "Motor" [1-9] ".Run := " ("TRUE" | "FALSE") ";\n"
"#;
    let mut req = sampled("Motor control outputs for line 2:\n", 60, 11);
    req.grammar = Some(grammar.into());
    let out = e.generate(&req, |_| {}).unwrap();
    let lines: Vec<&str> = out.text.lines().collect();
    assert!(!lines.is_empty(), "{out:?}");
    // The last line may be cut by max_tokens; every complete one must match.
    let complete = if out.text.ends_with('\n') {
        &lines[..]
    } else {
        &lines[..lines.len() - 1]
    };
    for line in complete {
        let rest = line
            .strip_prefix("Motor")
            .unwrap_or_else(|| panic!("{line:?}"));
        let (digit, rest) = rest.split_at(1);
        assert!(("1"..="9").contains(&digit), "{line:?}");
        assert!(
            rest == ".Run := TRUE;" || rest == ".Run := FALSE;",
            "{line:?}"
        );
    }
    assert!(matches!(
        out.finish,
        FinishReason::MaxTokens | FinishReason::EndOfText | FinishReason::GrammarComplete
    ));
}

#[test]
fn grammar_that_completes_ends_the_generation() {
    let mut e = engine();
    let mut req = sampled("Is the pump running? Answer:", 50, 2);
    req.grammar = Some("root ::= \" \" (\"yes\" | \"no\") \".\"\n".into());
    let out = e.generate(&req, |_| {}).unwrap();
    assert!(out.text == " yes." || out.text == " no.", "{out:?}");
    assert!(out.stats.generated_tokens < 10, "{:?}", out.stats);
}

#[test]
fn invalid_grammar_is_a_clear_error_not_an_abort() {
    let mut e = engine();
    for bad in [
        "root ::= undefined_rule",
        "root ::= \"unterminated",
        "",
        "root ::= [a-",
    ] {
        let mut req = sampled(PROMPT, 5, 1);
        req.grammar = Some(bad.into());
        let err = e.generate(&req, |_| {}).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidGrammar, "{bad:?}: {err}");
        assert!(err.message.contains("not valid GBNF"), "{err}");
    }
    let mut req = sampled(PROMPT, 5, 1);
    req.grammar = Some("root ::= \"a\" missing".into());
    let err = e.generate(&req, |_| {}).unwrap_err();
    assert!(
        err.message.contains("missing"),
        "llama.cpp's reason is quoted: {err}"
    );
    assert_eq!(e.restarts(), 0, "the worker survived every bad grammar");
    assert!(e.generate(&sampled(PROMPT, 3, 1), |_| {}).is_ok());
}

#[test]
fn over_long_prompt_follows_the_overflow_policy() {
    let mut e = engine_with(256);
    let long = "The valve V12 opens when the tank level is low. ".repeat(40);
    let err = e.generate(&sampled(&long, 20, 1), |_| {}).unwrap_err();
    assert_eq!(err.kind, ErrorKind::ContextOverflow);
    assert!(err.message.contains("context window is 256"), "{err}");

    let mut req = sampled(&long, 20, 1);
    req.overflow = OverflowPolicy::TruncateStart;
    let out = e.generate(&req, |_| {}).unwrap();
    assert!(out.stats.truncated_tokens > 0);
    assert!(out.stats.prompt_tokens + 20 <= 256, "{:?}", out.stats);

    let mut req = sampled("short", 300, 1);
    req.overflow = OverflowPolicy::TruncateStart;
    assert_eq!(
        e.generate(&req, |_| {}).unwrap_err().kind,
        ErrorKind::ContextOverflow
    );
}

#[test]
fn invalid_requests_are_refused_before_llama_cpp() {
    let mut e = engine();
    let cases: Vec<GenerateRequest> = vec![
        GenerateRequest::prompt("", 5),
        GenerateRequest::prompt("x", 0),
        GenerateRequest {
            sampling: Sampling {
                top_p: 0.0,
                ..Sampling::default()
            },
            ..GenerateRequest::prompt("x", 5)
        },
        GenerateRequest {
            sampling: Sampling {
                temperature: f32::NAN,
                ..Sampling::default()
            },
            ..GenerateRequest::prompt("x", 5)
        },
        GenerateRequest {
            input: Input::Chat(vec![]),
            ..GenerateRequest::prompt("x", 5)
        },
        GenerateRequest {
            sampling: Sampling {
                dry_multiplier: 0.8,
                dry_allowed_length: 0,
                ..Sampling::default()
            },
            ..GenerateRequest::prompt("x", 5)
        },
    ];
    for req in cases {
        let err = e.generate(&req, |_| {}).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidRequest, "{req:?}: {err}");
    }
    assert_eq!(e.restarts(), 0);
}

/// Greedy decoding of a small model continues a pattern forever; the DRY
/// penalty stops it repeating what it has itself generated.
#[test]
fn dry_stops_greedy_decoding_repeating_itself() {
    let mut e = engine();
    let run = |e: &mut millwright_engine::Engine, dry: f32| {
        let req = GenerateRequest {
            sampling: Sampling {
                dry_multiplier: dry,
                ..Sampling::greedy()
            },
            ..GenerateRequest::prompt(
                "motor on; motor off; motor on; motor off; motor on; motor off;",
                32,
            )
        };
        e.generate(&req, |_| {}).unwrap().text
    };
    let plain = run(&mut e, 0.0);
    assert!(
        plain.matches("motor on; motor off;").count() >= 3,
        "{plain:?}"
    );
    let dry = run(&mut e, 2.0);
    assert!(dry.matches("motor on; motor off;").count() < 2, "{dry:?}");
}

#[test]
fn prefix_reuse_skips_decoding_the_shared_prefix() {
    let mut e = engine();
    let prefix = "Plant documentation. Pump P1 feeds tank T1; level switch LS1 stops it at 90 %. "
        .repeat(10);
    let greedy = |q: &str| GenerateRequest {
        sampling: Sampling::greedy(),
        ..GenerateRequest::prompt(format!("{prefix}Q: {q}\nA:"), 4)
    };
    let cold = e.generate(&greedy("what stops P1?"), |_| {}).unwrap().stats;
    assert!(cold.reused_tokens <= 1, "{cold:?}");
    assert_eq!(cold.decoded_prompt_tokens, cold.prompt_tokens);
    let warm = e.generate(&greedy("what feeds T1?"), |_| {}).unwrap().stats;
    assert!(
        warm.reused_tokens as f64 > 0.8 * warm.prompt_tokens as f64,
        "{warm:?}"
    );
    assert_eq!(
        warm.decoded_prompt_tokens + warm.reused_tokens,
        warm.prompt_tokens
    );
    let same = e.generate(&greedy("what feeds T1?"), |_| {}).unwrap().stats;
    assert_eq!(
        same.decoded_prompt_tokens, 0,
        "an identical prompt decodes nothing: {same:?}"
    );
    let stats = e.stats().unwrap();
    assert_eq!(
        stats.prompt_tokens_reused,
        u64::from(warm.reused_tokens + same.reused_tokens + cold.reused_tokens)
    );
}

/// The prompt is decoded in other batches warm than cold, which moves the
/// logits by rounding (kernels differ by batch size and CPU); the answer is
/// asked where the model is sure, so only a wrong cache could change it.
#[test]
fn reused_prefix_gives_the_same_greedy_answer_as_a_cold_run() {
    let prefix = "Interlock list. Conveyor C1 runs only when guard door GD1 is closed. ".repeat(8);
    let req = |q: &str| GenerateRequest {
        sampling: Sampling::greedy(),
        ..GenerateRequest::prompt(format!("{prefix}Question: {q}\nAnswer: guard door"), 3)
    };
    let mut warm = engine();
    warm.generate(&req("when may C1 run?"), |_| {}).unwrap();
    let reused = warm
        .generate(&req("which door guards C1?"), |_| {})
        .unwrap();
    assert!(reused.stats.reused_tokens > 100);
    let mut cold = engine();
    let fresh = cold
        .generate(&req("which door guards C1?"), |_| {})
        .unwrap();
    assert_eq!(reused.text, fresh.text);
}

#[test]
fn stop_strings_end_generation_before_the_string() {
    let mut e = engine();
    let mut req = GenerateRequest {
        sampling: Sampling::greedy(),
        ..GenerateRequest::prompt("1. Open valve V1.\n2. Start pump P1.\n3.", 80)
    };
    req.stop = vec!["\n".into()];
    let out = e.generate(&req, |_| {}).unwrap();
    assert_eq!(out.finish, FinishReason::StopString, "{out:?}");
    assert!(!out.text.contains('\n'), "{out:?}");
}

#[test]
fn chat_messages_work_on_a_base_model() {
    let mut e = engine();
    let req = GenerateRequest {
        input: Input::Chat(vec![
            ChatMessage {
                role: "system".into(),
                content: "You answer in one sentence.".into(),
            },
            ChatMessage {
                role: "user".into(),
                content: "What does a PLC do?".into(),
            },
        ]),
        sampling: Sampling::greedy(),
        max_tokens: 20,
        stop: vec!["\nUser:".into()],
        grammar: None,
        end_with_grammar: false,
        overflow: OverflowPolicy::Error,
        prefill: String::new(),
        loop_guard: None,
    };
    let out = e.generate(&req, |_| {}).unwrap();
    assert!(out.stats.prompt_tokens > 10);
    assert!(out.stats.generated_tokens > 0);
}

#[test]
fn embeddings_are_normalised_vectors() {
    let mut e = engine();
    let v = e
        .embed(&[
            "motor overload relay".into(),
            "Motorschutzschalter".into(),
            "电机过载".into(),
        ])
        .unwrap();
    assert_eq!(v.len(), 3);
    for x in &v {
        assert_eq!(x.len(), 640);
        let norm: f32 = x.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "{norm}");
    }
    assert_ne!(v[0], v[1]);
    assert_eq!(
        e.embed(&["".into()]).unwrap_err().kind,
        ErrorKind::InvalidRequest
    );
}

#[test]
fn bad_model_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = Engine::new(worker());

    let missing = dir.path().join("nope.gguf");
    let err = e.load(&missing, LoadParams::default()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::ModelLoad);
    assert!(
        err.message.contains("nope.gguf") && err.message.contains("does not exist"),
        "{err}"
    );

    let text = dir.path().join("notes.gguf");
    std::fs::write(&text, "these are not weights").unwrap();
    let err = e.load(&text, LoadParams::default()).unwrap_err();
    assert!(err.message.contains("not a GGUF file"), "{err}");

    let real = std::fs::read(default_model()).unwrap();
    let truncated = dir.path().join("half.gguf");
    std::fs::write(&truncated, &real[..real.len() / 2]).unwrap();
    let err = e.load(&truncated, LoadParams::default()).unwrap_err();
    assert!(
        err.message.contains("truncated") && err.message.contains("half.gguf"),
        "{err}"
    );

    let err = e
        .generate(&GenerateRequest::prompt("x", 1), |_| {})
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NoModelLoaded);

    let err = e
        .load(
            &default_model(),
            LoadParams {
                n_ctx: Some(1_000_000),
                ..LoadParams::default()
            },
        )
        .unwrap_err();
    assert!(err.message.contains("context size"), "{err}");
}

/// One greedy sequence and three sampled ones, as `plc gen --candidates 4` asks.
fn candidates(prompt: &str, max_tokens: u32) -> Vec<GenerateRequest> {
    (0..4)
        .map(|k| {
            if k == 0 {
                GenerateRequest {
                    sampling: Sampling::greedy(),
                    ..GenerateRequest::prompt(prompt, max_tokens)
                }
            } else {
                sampled(prompt, max_tokens, k)
            }
        })
        .collect()
}

#[test]
fn a_batch_decodes_the_same_candidates_run_after_run() {
    let mut e = engine();
    let reqs = candidates(PROMPT, 24);
    let mut streamed = vec![String::new(); reqs.len()];
    let first = e
        .generate_batch(&reqs, |k, t| streamed[k].push_str(t))
        .unwrap();
    assert_eq!(first.len(), 4);
    for (g, s) in first.iter().zip(&streamed) {
        assert_eq!(&g.text, s, "each sequence streams its own text");
        assert_eq!(g.finish, FinishReason::MaxTokens);
        assert_eq!(g.stats.generated_tokens, 24);
    }
    let distinct: std::collections::HashSet<&str> = first.iter().map(|g| g.text.as_str()).collect();
    assert!(
        distinct.len() >= 3,
        "seeds give different samples: {first:?}"
    );
    // The prompt was decoded once for all four.
    let prompt = first[0].stats.prompt_tokens;
    assert_eq!(first[0].stats.decoded_prompt_tokens, prompt);
    assert!(first[1..]
        .iter()
        .all(|g| g.stats.decoded_prompt_tokens == 0));

    let again = e.generate_batch(&reqs, |_, _| {}).unwrap();
    let texts =
        |v: &[millwright_engine::Generated]| v.iter().map(|g| g.text.clone()).collect::<Vec<_>>();
    assert_eq!(texts(&first), texts(&again));
    assert_eq!(
        again[0].stats.decoded_prompt_tokens, 0,
        "{:?}",
        again[0].stats
    );

    // The other sequences' cells are gone; sequence 0's prompt serves the next request.
    let single = e.generate(&reqs[0], |_| {}).unwrap();
    assert_eq!(single.stats.decoded_prompt_tokens, 0, "{:?}", single.stats);
}

#[test]
fn each_sequence_of_a_batch_keeps_its_own_prefill_grammar_and_limits() {
    let mut e = engine();
    let base = |prefill: &str, grammar: &str, max: u32| GenerateRequest {
        sampling: Sampling::greedy(),
        prefill: prefill.into(),
        grammar: Some(grammar.into()),
        ..GenerateRequest::prompt("Valve V1 state:", max)
    };
    let reqs = vec![
        base(" the valve is", r#"root ::= " open" | " closed""#, 8),
        base(" V1 reads", r#"root ::= " " [0-9] [0-9] " %""#, 8),
        GenerateRequest {
            stop: vec!["\n".into()],
            ..GenerateRequest {
                sampling: Sampling::greedy(),
                ..GenerateRequest::prompt("Valve V1 state:", 3)
            }
        },
    ];
    let out = e.generate_batch(&reqs, |_, _| {}).unwrap();
    assert!(
        out[0].text == " open" || out[0].text == " closed",
        "{:?}",
        out[0]
    );
    let t = out[1].text.as_bytes();
    assert!(
        t.len() == 5
            && t[1].is_ascii_digit()
            && t[2].is_ascii_digit()
            && out[1].text.ends_with(" %"),
        "{:?}",
        out[1]
    );
    assert!(out[2].stats.generated_tokens <= 3);
    // Two prompts that share only their start are decoded apart after it.
    assert!(
        out[1].stats.decoded_prompt_tokens >= 2,
        "{:?}",
        out[1].stats
    );
}

#[test]
fn a_batch_larger_than_the_context_is_refused_with_the_largest_that_fits() {
    let mut e = engine_with(512);
    let prompt_tokens = e.count_tokens(PROMPT).unwrap();
    let reqs: Vec<GenerateRequest> = (0..8).map(|k| sampled(PROMPT, 100, k)).collect();
    let err = e.generate_batch(&reqs, |_, _| {}).unwrap_err();
    assert_eq!(err.kind, ErrorKind::ContextOverflow);
    let fit = (512 - prompt_tokens) / 100;
    assert!(
        err.message.contains(&format!("at most {fit} fit")),
        "{}",
        err.message
    );
    // Refused before anything was decoded: the engine goes on.
    let ok = e.generate_batch(&reqs[..fit as usize], |_, _| {}).unwrap();
    assert_eq!(ok.len(), fit as usize);
    let empty = e.generate_batch(&[], |_, _| {}).unwrap_err();
    assert_eq!(empty.kind, ErrorKind::InvalidRequest);
}

#[test]
fn the_loop_guard_ends_a_generation_that_repeats_itself() {
    let mut e = engine();
    let prompt = "counter := counter + 1;\n".repeat(8);
    let req = |guard| GenerateRequest {
        sampling: Sampling::greedy(),
        loop_guard: guard,
        ..GenerateRequest::prompt(prompt.clone(), 120)
    };
    let plain = e.generate(&req(None), |_| {}).unwrap();
    assert_eq!(plain.finish, FinishReason::MaxTokens, "{plain:?}");
    let guarded = e
        .generate(
            &req(Some(LoopGuard {
                repeats: 3,
                window_tokens: 0,
            })),
            |_| {},
        )
        .unwrap();
    assert_eq!(guarded.finish, FinishReason::Looping, "{guarded:?}");
    assert!(guarded.stats.generated_tokens < 40, "{guarded:?}");
    let bad = e
        .generate(
            &req(Some(LoopGuard {
                repeats: 1,
                window_tokens: 0,
            })),
            |_| {},
        )
        .unwrap_err();
    assert_eq!(bad.kind, ErrorKind::InvalidRequest);
}
