//! Answers held to the sources: the copy grammar through llama.cpp's own
//! grammar engine (the real engine worker and default model), and `ask` end to
//! end over a document the test writes.

mod common;

use common::*;
use millwright_engine::{Engine, LoadParams, WorkerCommand};

const PASSAGE: &str = "Dry running\nThe feed pump P-101 stops after 10 s without flow. The block DEW_TEMP computes the dew point. 2 号泵的额定流量为 120 m³/h。";

#[test]
fn the_copy_grammar_accepts_the_passages_numbers_and_refuses_others() {
    let mut e = Engine::new(WorkerCommand {
        program: env!("CARGO_BIN_EXE_millwright").into(),
        args: vec!["__engine-worker".into()],
    });
    e.load(
        &default_model(),
        LoadParams {
            n_ctx: Some(512),
            threads: Some(1),
            ..LoadParams::default()
        },
    )
    .unwrap();
    let g = millwright_copilot::copy_grammar::grammar(&[PASSAGE], 2);
    for ok in [
        " the feed pump P-101 stops after 10 s [1].",
        " DEW_TEMP computes the dew point; the pump's flow is 120 m³/h [2].",
        " 2 号泵停止，流量 120 m³/h。",
    ] {
        let r = e.grammar_check(&g, ok).unwrap();
        assert!(
            r.accepted && r.complete,
            "{ok:?} refused at {:?}",
            r.rejected_at
        );
    }
    for (bad, at) in [
        (" the pump stops after 12 s.", "12 "),
        (" the pump P-102 stops.", "P-102"),
        (" use DEW_CON instead.", "DEW_CON"),
        (" the pump P101 stops.", "P101"),
        (" see [3].", "3]"),
    ] {
        let r = e.grammar_check(&g, bad).unwrap();
        assert!(!r.accepted, "{bad:?} was accepted");
        let pos = bad.find(at).unwrap();
        let refused = r.rejected_at.unwrap();
        assert!(
            (pos..pos + at.len()).contains(&refused),
            "{bad:?}: refused at byte {refused}, not inside {at:?}"
        );
    }
}

#[test]
fn ask_quotes_the_sentence_holding_the_value_and_states_no_other_number() {
    let home = tempfile::tempdir().unwrap();
    let docs = tempfile::tempdir().unwrap();
    std::fs::write(
        docs.path().join("pumps.md"),
        "# Pumps\n\n## Dry running\n\nPumps are started from the panel. The feed pump P-101 stops after 10 s without flow. Restart needs a reset at the panel.\n\n## Cooling\n\nThe cooling pump P-205 runs at 45 Hz. Its motor is rated 7.5 kW.\n",
    )
    .unwrap();
    let (code, _, err) = run(in_home(home.path()).args(["docs", "add"]).arg(docs.path()));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(in_home(home.path())
        .args(["ask", "--json", "--model"])
        .arg(default_model())
        .arg("After how long without flow does the feed pump stop?"));
    assert_eq!(code, 0, "{err}");
    let a: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(a["grounded"], true, "{a}");
    let quote = &a["quotes"][0];
    assert_eq!(
        quote["text"], "The feed pump P-101 stops after 10 s without flow.",
        "{a}"
    );
    let n = quote["n"].as_u64().unwrap() as usize;
    let answer = a["answer"].as_str().unwrap();
    assert!(
        answer.starts_with(&format!(
            "> The feed pump P-101 stops after 10 s without flow. [{n}]\n"
        )),
        "{answer}"
    );
    // Every number in the answer is in the passage it cites.
    let cited = &a["citations"][n - 1];
    assert!(
        cited["citation"].as_str().unwrap().ends_with("Dry running"),
        "{a}"
    );
    let passage = "Pumps are started from the panel. The feed pump P-101 stops after 10 s without flow. Restart needs a reset at the panel.";
    let body: String = answer
        .lines()
        .filter(|l| !l.starts_with("> "))
        .collect::<Vec<_>>()
        .join(" ");
    let no_markers = (1..=9).fold(body, |b, k| b.replace(&format!("[{k}]"), " "));
    for number in no_markers
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
    {
        assert!(
            passage.contains(number),
            "{number} is not in the passage: {answer}"
        );
    }
    for s in a["sentences"].as_array().unwrap() {
        assert!(s["supported"].is_boolean() && s["text"].is_string(), "{s}");
    }
}
