//! `millwright docs …` and `millwright ask` end to end: the real binary, its
//! extraction worker, SQLite, tantivy, the OSCAT manual in `assets/corpora` and the default model.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

fn oscat() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/corpora/oscat");
    assert!(
        p.exists(),
        "the OSCAT manual is missing from the clone: {}",
        p.display()
    );
    p
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn add_search_list_and_status_speak_json() {
    let home = tempfile::tempdir().unwrap();
    let docs = tempfile::tempdir().unwrap();
    std::fs::write(
        docs.path().join("pumps.md"),
        "# Pumps\n\n## Dry running\n\nPump P-101 stops after 10 s without flow.\n",
    )
    .unwrap();
    std::fs::write(docs.path().join("说明.txt"), "变频器的加速时间为五秒。").unwrap();
    let (code, out, err) = run(in_home(home.path())
        .args(["docs", "add", "--json", "-c", "plant"])
        .arg(docs.path()));
    assert_eq!(code, 0, "{err}");
    let r = json(&out);
    assert_eq!(r["added"], 2);

    let (code, out, _) =
        run(in_home(home.path()).args(["docs", "search", "--json", "-k", "3", "dry running pump"]));
    assert_eq!(code, 0);
    let v = json(&out);
    let first = &v["results"][0];
    assert!(first["path"].as_str().unwrap().ends_with("pumps.md"));
    assert!(first["snippet"].as_str().unwrap().contains("P-101"));
    assert!(first["score"].as_f64().unwrap() > 0.0);
    assert!(first["chunk_id"].as_i64().is_some());
    assert!(first.get("page").is_some());
    assert_eq!(first["heading"], "Pumps › Dry running");

    let (_, out, _) = run(in_home(home.path()).args(["docs", "search", "--json", "加速时间"]));
    assert!(json(&out)["results"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("说明.txt"));

    let (code, out, _) = run(in_home(home.path()).args(["docs", "status", "--json"]));
    assert_eq!(code, 0);
    let s = json(&out);
    assert_eq!(
        (s["indexed"].as_u64(), s["consistent"].as_bool()),
        (Some(2), Some(true))
    );

    let (_, out, _) = run(in_home(home.path()).args(["docs", "list", "--json"]));
    assert_eq!(json(&out)["documents"].as_array().unwrap().len(), 2);

    let (code, _, err) = run(in_home(home.path()).args(["docs", "search", "x", "--kind", "exe"]));
    assert_eq!(code, 2);
    assert!(err.contains("\"exe\" is not a kind of file"), "{err}");
}

/// Kills `docs add` once its first batch is committed, then adds again: the
/// second run resumes and the knowledge base ends consistent and complete.
#[test]
fn killing_docs_add_midway_then_adding_again_ends_consistent() {
    const FILES: usize = 900;
    let home = tempfile::tempdir().unwrap();
    let docs = tempfile::tempdir().unwrap();
    for i in 0..FILES {
        std::fs::write(
            docs.path().join(format!("note{i:04}.txt")),
            format!("Maintenance note {i}: inspect valve tag{i}x and record the reading."),
        )
        .unwrap();
    }
    let mut child = in_home(home.path())
        .args(["docs", "add"])
        .arg(docs.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let db = home.path().join("knowledge/state.sqlite");
    let started = Instant::now();
    let indexed_at_kill = loop {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no commit seen"
        );
        if db.exists() {
            if let Ok(c) = rusqlite::Connection::open(&db) {
                let n: i64 = c
                    .query_row(
                        "SELECT COUNT(*) FROM documents WHERE status = 'indexed'",
                        [],
                        |r| r.get(0),
                    )
                    .unwrap_or(0);
                if n > 0 {
                    child.kill().unwrap();
                    break n;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    child.wait().unwrap();
    assert!(
        (indexed_at_kill as usize) < FILES,
        "killed after the end ({indexed_at_kill})"
    );

    let (code, out, err) = run(in_home(home.path()).args(["docs", "status", "--json"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["consistent"], true, "{out}");

    let (code, out, err) = run(in_home(home.path())
        .args(["docs", "add", "--json"])
        .arg(docs.path()));
    assert_eq!(code, 0, "{err}");
    let r = json(&out);
    assert_eq!(
        r["added"].as_u64().unwrap() + r["unchanged"].as_u64().unwrap(),
        FILES as u64,
        "{r}"
    );
    let (_, out, _) = run(in_home(home.path()).args(["docs", "status", "--json"]));
    let s = json(&out);
    assert_eq!(s["indexed"], FILES as u64, "{s}");
    assert_eq!(s["index_chunks"], FILES as u64, "{s}");
    assert_eq!(s["consistent"], true);
    for i in [0, FILES / 2, FILES - 1] {
        let (_, out, _) =
            run(in_home(home.path()).args(["docs", "search", "--json", &format!("tag{i}x")]));
        let v = json(&out);
        let results = v["results"].as_array().unwrap();
        assert_eq!(results.len(), 1, "tag{i}x: {v}");
        assert!(results[0]["path"]
            .as_str()
            .unwrap()
            .ends_with(&format!("note{i:04}.txt")));
    }
}

#[test]
fn ask_cites_the_manual_page_or_says_the_documents_do_not_answer() {
    let home = tempfile::tempdir().unwrap();
    let (code, _, err) = run(in_home(home.path())
        .args(["docs", "add", "-c", "oscat"])
        .arg(oscat()));
    assert_eq!(code, 0, "{err}");

    let (code, out, err) = run(in_home(home.path())
        .args(["ask", "--json", "--model"])
        .arg(default_model())
        .arg("Was berechnet die Funktion MINUTE_TO_TIME aus dem Eingangswert in Minuten?"));
    assert_eq!(code, 0, "{err}");
    let a = json(&out);
    assert_eq!(a["grounded"], true, "{a}");
    assert!(!a["answer"].as_str().unwrap().trim().is_empty());
    let c = &a["citations"][0];
    assert_eq!(c["n"], 1);
    assert_eq!(c["page"], 101, "MINUTE_TO_TIME is on page 101: {a}");
    assert!(c["path"]
        .as_str()
        .unwrap()
        .ends_with("oscat_basic_272_de.pdf"));
    assert!(c["snippet"].as_str().unwrap().contains("MINUTE_TO_TIME"));
    assert!(!a["retrieved"].as_array().unwrap().is_empty());

    let (code, out, err) = run(in_home(home.path())
        .args(["ask", "--json", "--model"])
        .arg(default_model())
        .arg("What is the torque constant of the Siemens 1FK7 servo motor?"));
    assert_eq!(code, 0, "{err}");
    let a = json(&out);
    assert_eq!(a["grounded"], false, "{a}");
    assert!(a["answer"].as_str().unwrap().contains("do not contain"));
    assert!(a["citations"].as_array().unwrap().is_empty());
}

#[test]
fn ask_hands_a_calculation_to_a_tool_and_reports_what_it_computed() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = run(in_home(home.path())
        .args(["ask", "--json", "--model"])
        .arg(default_model())
        .arg("What torque does a 22 kW motor deliver at 1470 rpm?"));
    assert_eq!(code, 0, "{err}");
    let a = json(&out);
    let tool = &a["tool"];
    assert!(
        tool.is_object(),
        "a quantity in the question offers the tools: {a}"
    );
    let call = &tool["call"];
    let t = millwright_tools::find(call["tool"].as_str().unwrap()).expect("a known tool");
    let pairs: Vec<(String, String)> = call["args"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    // Whatever the model chose, the answer reports what the tool makes of it.
    let answer = a["answer"].as_str().unwrap();
    match millwright_tools::call(t, &pairs) {
        Ok(c) => {
            assert!(answer.contains(&c.results()), "{answer}");
            assert!(answer.contains(c.formula), "{answer}");
            assert_eq!(tool["result"]["tool"], t.name);
        }
        Err(e) => {
            assert_eq!(tool["error"], e.to_string());
            // The call to correct, in no front end's syntax.
            assert!(answer.contains(&format!("{}(", t.name)), "{answer}");
        }
    }

    // Without a quantity the documents answer (here: there are none), and
    // no model is started for it.
    let (code, out, err) = run(in_home(home.path())
        .args(["ask", "--json", "--model", "/nonexistent.gguf"])
        .arg("Which pump is P-101?"));
    assert_eq!(code, 0, "{err}");
    let a = json(&out);
    assert!(a["tool"].is_null(), "{a}");
    assert!(a["answer"].as_str().unwrap().contains("do not contain"));
}

#[test]
fn plc_gen_cites_the_passage_from_the_documents_it_was_shown() {
    let home = tempfile::tempdir().unwrap();
    let docs = tempfile::tempdir().unwrap();
    std::fs::write(
        docs.path().join("pump-spec.md"),
        "# Feed pump P-101\n\nThe start button latches feed pump P-101; the stop button releases the latch. \
         The pump stops after 10 s of dry running.\n\n# Lighting\n\nHall lighting is switched by the building system.\n",
    )
    .unwrap();
    let (code, _, err) = run(in_home(home.path()).args(["docs", "add"]).arg(docs.path()));
    assert_eq!(code, 0, "{err}");
    let spec = "A start/stop latch for feed pump P-101 with its start button and stop button";
    let sources = |extra: &[&str]| -> Vec<String> {
        let (_, out, err) = run(in_home(home.path())
            .args([
                "plc",
                "gen",
                "--json",
                "--rounds",
                "0",
                "--max-tokens",
                "160",
            ])
            .args(extra)
            .arg("--model")
            .arg(default_model())
            .arg(spec));
        json(&out)["citations"]
            .as_array()
            .unwrap_or_else(|| panic!("{err}\n{out}"))
            .iter()
            .map(|c| {
                c["source"]
                    .as_str()
                    .expect("every citation has a source")
                    .to_owned()
            })
            .collect()
    };
    let cited = sources(&[]);
    assert!(
        cited.iter().any(|s| s.ends_with("pump-spec.md")),
        "{cited:?}"
    );

    // --no-docs keeps the documents out.
    let cited = sources(&["--no-docs"]);
    assert!(
        cited.iter().all(|s| s.starts_with("st-library/")),
        "{cited:?}"
    );
}

/// The question limits the app refuses, the command line refuses in the same
/// words (`ask::validate_question`), before a knowledge base is opened.
#[test]
fn ask_refuses_an_empty_or_overlong_question_before_anything_starts() {
    let home = tempfile::tempdir().unwrap();
    let long = "why ".repeat(1001);
    for (q, want) in [
        ("  ", "the question is empty"),
        (long.as_str(), "longer than 2000 characters"),
    ] {
        let (code, _, err) = run(in_home(home.path()).args(["ask", q]));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want), "{err}");
    }
    assert!(
        !home.path().join("knowledge").exists(),
        "nothing was created"
    );
}
