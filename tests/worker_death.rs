//! A worker killed under a running command: the real binary, the real
//! default model and extraction worker. The command must not die with it (the
//! command line sets SIGPIPE to its default, so one write into the dead
//! worker's pipe used to end it silently with status 141): it says what
//! happened and exits, and the next command works.

mod common;

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::*;

const ENGINE_WORKER: &str = "__engine-worker";
const EXTRACT_WORKER: &str = "__extract-worker";

/// Waits for `child` and returns its exit status and stderr.
fn finish(mut child: Child) -> (std::process::ExitStatus, String) {
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap(), err)
}

/// Exit 2, with the signal and what to do, not a death by SIGPIPE.
fn assert_reported_death(status: std::process::ExitStatus, err: &str) {
    assert_eq!(status.signal(), None, "ended by a signal: {status}; {err}");
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("signal 9 (SIGKILL"), "{err}");
    assert!(err.contains("try again"), "{err}");
}

#[test]
fn generate_reports_a_killed_worker_and_the_next_generate_works() {
    let dir = tempfile::tempdir().unwrap();
    // A grammar that never ends: the generation runs until it is killed.
    let endless = dir.path().join("endless.gbnf");
    std::fs::write(&endless, "root ::= \"tick \" root\n").unwrap();
    let mut child = bin()
        .args(["generate", "--max-tokens", "4000", "--model"])
        .arg(default_model())
        .arg("--grammar")
        .arg(&endless)
        .arg("Count:")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first streamed text means the worker is generating.
    let mut first = [0u8; 4];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    let worker = worker_of(child.id(), ENGINE_WORKER, Duration::from_secs(5)).unwrap();
    kill9(worker);
    let (status, err) = finish(child);
    assert_reported_death(status, &err);

    let (code, out, err) = run(bin()
        .args(["generate", "--max-tokens", "4", "--json", "--model"])
        .arg(default_model())
        .arg("Hello"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"text\""), "{out}");
}

#[test]
fn plc_gen_reports_a_killed_worker() {
    let child = bin()
        .args([
            "plc",
            "gen",
            "--no-docs",
            "--rounds",
            "0",
            "--max-tokens",
            "2000",
            "--model",
        ])
        .arg(default_model())
        .arg("Motor start/stop latch: start sets running, stop resets it and wins.")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let worker = worker_of(child.id(), ENGINE_WORKER, Duration::from_secs(10)).unwrap();
    // Past loading the model, inside the first request (the prompt alone
    // takes seconds on two cores).
    std::thread::sleep(Duration::from_millis(1500));
    kill9(worker);
    let (status, err) = finish(child);
    assert_reported_death(status, &err);
}

#[test]
fn docs_add_reports_a_killed_extractor_and_the_next_add_indexes_the_file() {
    let home = tempfile::tempdir().unwrap();
    let manual =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/corpora/oscat/oscat_basic_272_de.pdf");
    let mut child = in_home(home.path())
        .args(["docs", "add", "--json"])
        .arg(&manual)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill every extractor it starts (the first, and the fallback's), so the
    // file fails for that reason and for no other.
    let parent = child.id();
    let mut killed = 0;
    while killed < 2 {
        match worker_of(parent, EXTRACT_WORKER, Duration::from_secs(30)) {
            Some(pid) => {
                kill9(pid);
                killed += 1;
                // Until it is reaped it still shows as a child.
                std::thread::sleep(Duration::from_millis(200));
            }
            None => break,
        }
    }
    assert_eq!(
        killed, 2,
        "the extractor was not restarted for the fallback"
    );
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let (status, err) = finish(child);
    // One file failed, for the reason given: exit 1 with the report, as any
    // failed file.
    assert_eq!(status.signal(), None, "{status}: {err}");
    assert_eq!(status.code(), Some(1), "{out}{err}");
    let report: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let why = report["failed"][0][1].as_str().unwrap_or_default();
    assert!(why.contains("killed by signal 9"), "{report}");

    let (code, out, err) = run(in_home(home.path())
        .args(["docs", "add", "--json"])
        .arg(&manual));
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) =
        run(in_home(home.path()).args(["docs", "search", "--json", "MINUTE_TO_TIME"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("oscat_basic_272_de.pdf"), "{out}");
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    // `millwright … | head` once head has gone: SIGPIPE, as a C tool, and no
    // panic message.
    let mut child = bin()
        .args(["st", "grammar"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let (status, err) = finish(child);
    assert_eq!(status.signal(), Some(13), "{status}: {err}");
    assert_eq!(err, "");
}
