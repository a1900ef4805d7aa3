//! Both front ends are adapters over one application layer (`millwright-app`):
//! the same input through the command line (the real binary) and through the
//! desktop app's commands (Tauri's mock runtime with the app's real
//! configuration and capabilities) reaches the same use case, so it is
//! refused with the same words and gives the same result.

mod common;
#[path = "../src-tauri/tests/mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};

use common::*;
use mock::CHANNEL;
use serde_json::{json, Value};
use tauri::test::MockRuntime;
use tauri::{App, WebviewWindow};

/// The desktop app on `home`, its workers run by the command line's binary
/// (it answers the same hidden arguments).
fn app(home: &Path) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    mock::app(mock::state(
        home,
        PathBuf::from(env!("CARGO_BIN_EXE_millwright")),
    ))
}

/// Invokes a command as the UI does; the error as the UI shows it.
fn invoke(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, String> {
    mock::invoke(w, cmd, args).map_err(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
}

/// The command line's error line for a refusal (exit 2).
fn cli_error(home: &Path, args: &[&str]) -> String {
    let (code, out, err) = run(in_home(home).args(args));
    assert_eq!(code, 2, "{args:?}: {out}{err}");
    err.trim()
        .strip_prefix("error: ")
        .unwrap_or_else(|| panic!("{args:?}: {err}"))
        .to_owned()
}

#[test]
fn questions_are_refused_with_the_same_words_before_anything_starts() {
    let home = tempfile::tempdir().unwrap();
    let (_app, w) = app(home.path());
    let long = "x".repeat(2001);
    for (question, want) in [
        ("   ", "the question is empty"),
        (long.as_str(), "longer than 2000 characters"),
    ] {
        let by_app = invoke(
            &w,
            "ask",
            json!({"question": question, "collection": null, "onEvent": CHANNEL}),
        )
        .unwrap_err();
        assert!(by_app.contains(want), "{by_app}");
        assert_eq!(cli_error(home.path(), &["ask", question]), by_app);
    }
    // A question no document can answer: the same refusal, and neither front
    // end created a knowledge base to find that out or started a model (there
    // is none in this home to start).
    let q = "What firmware does the ABB ACS880 drive run?";
    let by_app = invoke(
        &w,
        "ask",
        json!({"question": q, "collection": null, "onEvent": CHANNEL}),
    )
    .unwrap();
    let (code, out, err) = run(in_home(home.path()).args(["ask", q, "--json"]));
    assert_eq!(code, 0, "{err}");
    let by_cli: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(by_cli["answer"], by_app["answer"]);
    assert_eq!(by_app["grounded"], false);
    assert!(by_app["answer"]
        .as_str()
        .unwrap()
        .contains("do not contain the answer"));
    assert!(!home.path().join("knowledge").exists());
}

#[test]
fn generation_is_refused_with_the_same_words_before_the_model_starts() {
    let home = tempfile::tempdir().unwrap();
    let (_app, w) = app(home.path());
    let long = "x".repeat(20_001);
    let cases: [(&[&str], Value, &str); 5] = [
        (&["  "], json!({"spec": "  "}), "describe the block"),
        (
            &["a latch", "--rounds", "11"],
            json!({"spec": "a latch", "rounds": 11}),
            "use 0 to 10",
        ),
        (
            &[&long],
            json!({"spec": long}),
            "longer than 20000 characters",
        ),
        (
            &["a latch", "--candidates", "17"],
            json!({"spec": "a latch", "candidates": 17}),
            "use 1 to",
        ),
        (
            &["a latch", "--io-list", "/nonexistent/io.csv"],
            json!({"spec": "a latch", "io_list": "/nonexistent/io.csv"}),
            "IO list /nonexistent/io.csv: no such file",
        ),
    ];
    for (args, request, want) in cases {
        let by_app = invoke(
            &w,
            "plc_generate",
            json!({"request": request, "onEvent": CHANNEL}),
        )
        .unwrap_err();
        assert!(by_app.contains(want), "{request}: {by_app}");
        let mut cli = vec!["plc", "gen"];
        cli.extend_from_slice(args);
        assert_eq!(cli_error(home.path(), &cli), by_app);
    }

    // Vectors that are not the simulator's format: the same problem, named
    // by where each front end got them (the file, the form).
    let vectors = home.path().join("bad.json");
    std::fs::write(&vectors, r#"{"pou": 1}"#).unwrap();
    let by_app = invoke(
        &w,
        "plc_generate",
        json!({"request": {"spec": "a latch", "vectors_json": r#"{"pou": 1}"#}, "onEvent": CHANNEL}),
    )
    .unwrap_err();
    let by_cli = cli_error(
        home.path(),
        &[
            "plc",
            "gen",
            "a latch",
            "--tests",
            vectors.to_str().unwrap(),
        ],
    );
    let problem = by_app.strip_prefix("test vectors: ").unwrap();
    assert_eq!(
        by_cli,
        format!("{}: {problem}", vectors.display()),
        "{by_app}"
    );
    assert!(!home.path().join("knowledge").exists());
}

const IO_CSV: &str = "Tag,Address,Type,Comment\nstart,%IX0.0,BOOL,Start button\nstop,%IX0.1,BOOL,Stop button\nspeed,%IW2,INT,Speed\n";

#[test]
fn an_io_list_gives_the_same_declarations_and_the_same_bad_rows() {
    let home = tempfile::tempdir().unwrap();
    let (_app, w) = app(home.path());
    let io = home.path().join("io.csv");
    std::fs::write(&io, IO_CSV).unwrap();
    let by_app = invoke(&w, "plc_io", json!({"path": io, "gvl": "GVL_IO"})).unwrap();
    let (code, out, err) =
        run(in_home(home.path()).args(["plc", "io", io.to_str().unwrap(), "--gvl", "GVL_IO"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, by_app["text"].as_str().unwrap());
    assert!(out.contains("start AT %IX0.0 : BOOL;"), "{out}");
    assert_eq!(by_app["signals"], 3);
    assert!(err.contains("3 signal(s)"), "{err}");

    // Two rows on one address, one of an unknown type: each front end names both rows.
    let bad = home.path().join("bad.csv");
    std::fs::write(
        &bad,
        "Tag,Address,Type\nstart,%IX0.0,BOOL\nstop,%IX0.0,BOOL\nspeed,%IW2,FLOAT\n",
    )
    .unwrap();
    let by_app = invoke(&w, "plc_io", json!({"path": bad, "gvl": null})).unwrap_err();
    let (code, _, err) = run(in_home(home.path()).args(["plc", "io", bad.to_str().unwrap()]));
    assert_eq!(code, 1, "{err}");
    for row in ["row 3", "row 4"] {
        assert!(by_app.contains(row), "{by_app}");
        let line = err
            .lines()
            .find(|l| l.contains(row))
            .unwrap_or_else(|| panic!("{err}"));
        let message = line.split_once(&format!("{row}: ")).unwrap().1;
        assert!(by_app.contains(message), "{message} / {by_app}");
    }
}

#[test]
fn a_calculation_gives_the_same_result_and_the_same_refusals() {
    let home = tempfile::tempdir().unwrap();
    let (_app, w) = app(home.path());
    let args = [("power", "15 kW"), ("speed", "1460 rpm")];
    let by_app = invoke(
        &w,
        "calc_run",
        json!({"request": {"tool": "motor_torque", "args": args}}),
    )
    .unwrap();
    let (code, out, err) = run(in_home(home.path()).args([
        "calc",
        "motor_torque",
        "--power",
        "15 kW",
        "--speed",
        "1460 rpm",
        "--json",
    ]));
    assert_eq!(code, 0, "{err}");
    let by_cli: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(by_cli, by_app);
    assert!(
        (by_app["outputs"][0]["value"].as_f64().unwrap() - 98.11).abs() < 0.01,
        "{by_app}"
    );
    let tools = invoke(&w, "calc_tools", json!({})).unwrap();
    let (_, listed, _) = run(in_home(home.path()).args(["calc", "--list", "--json"]));
    assert_eq!(serde_json::from_str::<Value>(&listed).unwrap(), tools);

    for (tool, args, cli) in [
        ("warp_drive", json!([]), vec!["calc", "warp_drive"]),
        (
            "motor_torque",
            json!([["power", "15 parsecs"], ["speed", "1460 rpm"]]),
            vec![
                "calc",
                "motor_torque",
                "--power",
                "15 parsecs",
                "--speed",
                "1460 rpm",
            ],
        ),
        (
            "motor_torque",
            json!([["power", "15 kW"]]),
            vec!["calc", "motor_torque", "--power", "15 kW"],
        ),
    ] {
        let by_app = invoke(
            &w,
            "calc_run",
            json!({"request": {"tool": tool, "args": args}}),
        )
        .unwrap_err();
        assert_eq!(cli_error(home.path(), &cli), by_app, "{cli:?}");
    }
}

#[test]
fn code_files_read_check_format_and_export_the_same() {
    let home = tempfile::tempdir().unwrap();
    let (_app, w) = app(home.path());
    let code = "FUNCTION_BLOCK FB_Lamp\nVAR_INPUT on : BOOL; END_VAR\nVAR_OUTPUT lamp : BOOL; END_VAR\nlamp:=on;\nEND_FUNCTION_BLOCK\n";
    // Exported by the command line, opened by the app: the same program.
    let st = home.path().join("lamp.st");
    let xml = home.path().join("lamp.xml");
    std::fs::write(&st, code).unwrap();
    let (c, _, err) = run(in_home(home.path()).args([
        "st",
        "export",
        st.to_str().unwrap(),
        "--plcopen",
        xml.to_str().unwrap(),
    ]));
    assert_eq!(c, 0, "{err}");
    let opened = invoke(&w, "st_open", json!({"path": xml})).unwrap();
    let (c, imported, err) =
        run(in_home(home.path()).args(["st", "import", xml.to_str().unwrap()]));
    assert_eq!(c, 0, "{err}");
    assert_eq!(opened.as_str().unwrap(), imported);
    assert!(
        millwright_iec61131::same_program(code, &imported),
        "{imported}"
    );
    let by_app = invoke(&w, "st_plcopen", json!({"code": code})).unwrap();
    assert!(by_app["xml"].as_str().unwrap().contains("FB_Lamp"));

    // Formatted alike.
    let formatted = invoke(&w, "st_format", json!({"code": code})).unwrap();
    let (c, _, err) = run(in_home(home.path()).args(["st", "fmt", st.to_str().unwrap()]));
    assert_eq!(c, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&st).unwrap(),
        formatted.as_str().unwrap()
    );

    // The same diagnostics, at the same places.
    let bad = "PROGRAM P\nVAR x : INT; END_VAR\nx := y;\nEND_PROGRAM\n";
    let bad_st = home.path().join("bad.st");
    std::fs::write(&bad_st, bad).unwrap();
    let by_app = invoke(&w, "st_check", json!({"code": bad})).unwrap();
    let (c, out, _) =
        run(in_home(home.path()).args(["st", "check", "--json", bad_st.to_str().unwrap()]));
    assert_eq!(c, 1);
    let by_cli: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(by_cli["files"][0]["diagnostics"], by_app);
    assert!(by_app.as_array().is_some_and(|d| !d.is_empty()));

    // An unreadable file: the same words.
    let broken = home.path().join("broken.xml");
    std::fs::write(&broken, "<project><types>").unwrap();
    let by_app = invoke(&w, "st_open", json!({"path": broken})).unwrap_err();
    assert_eq!(
        cli_error(home.path(), &["st", "import", broken.to_str().unwrap()]),
        by_app
    );
    assert!(
        by_app.starts_with("cannot read") && by_app.contains("broken.xml"),
        "{by_app}"
    );

    // The settings' libraries are the default of both.
    let lib = home.path().join("lib");
    std::fs::create_dir(&lib).unwrap();
    std::fs::write(lib.join("lamp.st"), code).unwrap();
    let user = "PROGRAM main\nVAR l : FB_Lamp; END_VAR\nl(on := TRUE);\nEND_PROGRAM\n";
    let main = home.path().join("main.st");
    std::fs::write(&main, user).unwrap();
    let check_cli = || run(in_home(home.path()).args(["st", "check", main.to_str().unwrap()])).0;
    let check_app = || invoke(&w, "st_check", json!({"code": user})).unwrap();
    assert_eq!(check_cli(), 1, "FB_Lamp is unknown without a library");
    assert!(check_app().as_array().is_some_and(|d| !d.is_empty()));
    std::fs::write(
        home.path().join("settings.json"),
        json!({"st_libraries": [lib]}).to_string(),
    )
    .unwrap();
    assert_eq!(check_cli(), 0);
    assert_eq!(check_app(), json!([]));
}

/// A data directory whose settings choose the default model (the app's way;
/// the command line is given the same file with --model).
fn home_with_the_default_model() -> (tempfile::TempDir, PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let model = default_model();
    let settings = millwright_models::local::Settings {
        model: Some(model.clone()),
        ..Default::default()
    };
    settings
        .save(&millwright_models::Home::at(home.path()))
        .unwrap();
    (home, model)
}

const MOTOR: &str = "FUNCTION_BLOCK FB_Motor
VAR_INPUT
    start : BOOL;
    stop : BOOL;
END_VAR
VAR_OUTPUT
    running : BOOL;
END_VAR
running := (start OR running) AND NOT stop;
END_FUNCTION_BLOCK
";

#[test]
fn the_model_use_cases_give_the_same_results_in_both() {
    let (home, model) = home_with_the_default_model();
    let model = model.to_str().unwrap();
    let (_app, w) = app(home.path());
    let cli = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--model", model]);
        let (code, out, err) = run(in_home(home.path()).args(&all));
        (code, out, err)
    };

    // Code that does not parse is refused before the model starts, by both.
    let broken = home.path().join("broken.st");
    std::fs::write(&broken, "FUNCTION_BLOCK FB_X\nq := ;\nEND_FUNCTION_BLOCK\n").unwrap();
    let by_app = invoke(
        &w,
        "plc_explain",
        json!({"code": std::fs::read_to_string(&broken).unwrap(), "lang": "en", "onEvent": CHANNEL}),
    )
    .unwrap_err();
    assert!(
        by_app.starts_with("the code in the editor: the code does not parse (line 2"),
        "{by_app}"
    );
    let (code, _, err) = cli(&["plc", "explain", broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    let problem = by_app.strip_prefix("the code in the editor: ").unwrap();
    assert!(
        err.contains(&format!("{}: {problem}", broken.display())),
        "{err} / {problem}"
    );
    assert!(invoke(&w, "app_info", json!({})).unwrap()["loaded"].is_null());

    // Explaining: greedy decoding of the same prompt, so the same words.
    let file = home.path().join("motor.st");
    std::fs::write(&file, MOTOR).unwrap();
    let by_app = invoke(
        &w,
        "plc_explain",
        json!({"code": MOTOR, "lang": "en", "onEvent": CHANNEL}),
    )
    .unwrap();
    let (code, out, err) = cli(&["plc", "explain", file.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let by_cli: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(by_cli, by_app);
    assert_eq!(by_app["pous"][0], "FUNCTION_BLOCK FB_Motor");
    assert!(!by_app["text"].as_str().unwrap().trim().is_empty());

    // Commenting: the same commented program (or the same refusal to change it).
    let by_app = invoke(
        &w,
        "plc_comment",
        json!({"code": MOTOR, "onEvent": CHANNEL}),
    );
    let (code, out, err) = cli(&["plc", "comment", file.to_str().unwrap()]);
    match by_app {
        Ok(text) => {
            assert_eq!(code, 0, "{err}");
            assert_eq!(out, text.as_str().unwrap());
            assert!(millwright_iec61131::same_program(MOTOR, &out));
        }
        Err(e) => assert_eq!(err.trim(), format!("error: {}: {e}", file.display())),
    }

    // A calculation: the same call, and the tool's answer.
    let q = "What torque does a 22 kW motor deliver at 1470 rpm?";
    let by_app = invoke(
        &w,
        "ask",
        json!({"question": q, "collection": null, "onEvent": CHANNEL}),
    )
    .unwrap();
    let (code, out, err) = cli(&["ask", q, "--json"]);
    assert_eq!(code, 0, "{err}");
    let by_cli: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(by_cli["answer"], by_app["answer"]);
    assert_eq!(by_cli["tool"]["call"], by_app["tool"]["call"]);
    assert!(!by_app["tool"].is_null(), "{by_app}");

    // A block: one greedy attempt, so the same code and the same verdict.
    let spec =
        "A latch: output q turns on when set is TRUE and off when reset is TRUE; reset wins.";
    let by_app = invoke(
        &w,
        "plc_generate",
        json!({"request": {"spec": spec, "rounds": 0, "candidates": 1, "max_tokens": 160,
               "use_documents": false}, "onEvent": CHANNEL}),
    )
    .unwrap();
    let (code, out, err) = cli(&[
        "plc",
        "gen",
        spec,
        "--rounds",
        "0",
        "--candidates",
        "1",
        "--max-tokens",
        "160",
        "--no-docs",
        "--json",
    ]);
    assert!(code == 0 || code == 1, "{err}");
    let by_cli: Value = serde_json::from_str(&out).unwrap();
    for field in ["code", "verified", "history", "decoding", "interface"] {
        assert_eq!(by_cli[field], by_app[field], "{field}");
    }
    assert_eq!(by_app["decoding"], "symbols");
}

#[test]
fn a_run_in_the_simulator_gives_the_same_outputs_and_the_same_refusals() {
    let home = tempfile::tempdir().unwrap();
    let (_app, w) = app(home.path());
    let file = home.path().join("motor.st");
    std::fs::write(&file, MOTOR).unwrap();
    let source = file.display().to_string();
    let run_app = |extra: Value| {
        let mut request = json!({"code": MOTOR, "source": source, "pou": "FB_Motor", "cycles": 5,
                                 "inputs": ["start=TRUE"]});
        request
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        invoke(&w, "st_run", json!({ "request": request }))
    };
    let by_app = run_app(json!({})).unwrap();
    let (code, out, err) = run(in_home(home.path()).args([
        "st",
        "run",
        file.to_str().unwrap(),
        "--pou",
        "FB_Motor",
        "--cycles",
        "5",
        "--in",
        "start=TRUE",
        "--json",
    ]));
    assert_eq!(code, 0, "{err}");
    let by_cli: Value = serde_json::from_str(&out).unwrap();
    let rows = by_cli["rows"].as_array().unwrap();
    assert_eq!(rows.last().unwrap()["outputs"], by_app["last"]);
    assert_eq!(by_app["last"]["running"], true);
    assert_eq!(by_cli["fault"], by_app["fault"]);
    assert_eq!(by_app["cycles"], 5);
    // The window always gets the run's diagram: the input held, the output on.
    let lanes: Vec<&str> = by_app["diagram"]["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(lanes, ["start", "stop", "running"]);

    // What is refused, by both, in the same words.
    for (extra, args, want) in [
        (
            json!({"cycles": 0}),
            vec!["--cycles", "0"],
            "0 cycles is not possible",
        ),
        (
            json!({"inputs": ["start"]}),
            vec!["--in", "start"],
            "input \"start\": write NAME=VALUE",
        ),
        (
            json!({"inputs": ["running=TRUE"]}),
            vec!["--in", "running=TRUE"],
            "a VAR_OUTPUT cannot be set from outside",
        ),
        (
            json!({"pou": "FB_Pump"}),
            vec!["--pou", "FB_Pump"],
            "FB_Pump",
        ),
    ] {
        let by_app = run_app(extra.clone()).unwrap_err();
        assert!(by_app.contains(want), "{extra}: {by_app}");
        let mut cli = vec!["st", "run", file.to_str().unwrap()];
        if !args.contains(&"--pou") {
            cli.extend(["--pou", "FB_Motor"]);
        }
        cli.extend(args);
        assert_eq!(cli_error(home.path(), &cli), by_app);
    }

    // Code with errors does not run: the app says so, the command line
    // prints the diagnostics and exits 1.
    let broken = "FUNCTION_BLOCK FB_Motor\nVAR_INPUT start : BOOL; END_VAR\nx := start;\nEND_FUNCTION_BLOCK\n";
    let e = run_app(json!({"code": broken})).unwrap_err();
    assert_eq!(
        e,
        format!("{source}: the code has 1 error(s); fix them first")
    );
    std::fs::write(&file, broken).unwrap();
    let (code, out, _) =
        run(in_home(home.path()).args(["st", "run", file.to_str().unwrap(), "--pou", "FB_Motor"]));
    assert_eq!(code, 1);
    assert!(out.contains("3:1") || out.contains(":3:"), "{out}");
}

#[test]
fn documents_added_by_one_front_end_are_found_and_removed_by_the_other() {
    let home = tempfile::tempdir().unwrap();
    let (_app, w) = app(home.path());
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("pumps.md"),
        "# Feed pump P-101\n\nThe feed pump P-101 stops after 10 s of dry running.\n",
    )
    .unwrap();
    std::fs::write(
        folder.path().join("valves.md"),
        "# Valve V-7\n\nValve V-7 closes within 4 s when the tank is full.\n",
    )
    .unwrap();

    // Refused in the same words, before a knowledge base exists.
    let missing = folder.path().join("nothing-here");
    let by_app = invoke(
        &w,
        "docs_add",
        json!({"paths": [missing], "collection": null, "onProgress": CHANNEL}),
    )
    .unwrap_err();
    assert!(by_app.ends_with("no such file or folder"), "{by_app}");
    assert_eq!(
        cli_error(home.path(), &["docs", "add", missing.to_str().unwrap()]),
        by_app
    );
    for (k, want) in [("0", "use 1 to 100"), ("101", "use 1 to 100")] {
        let by_app = invoke(
            &w,
            "docs_search",
            json!({"query": "pump", "k": k.parse::<usize>().unwrap(), "collection": null}),
        )
        .unwrap_err();
        assert!(by_app.contains(want), "{by_app}");
        assert_eq!(
            cli_error(home.path(), &["docs", "search", "pump", "-k", k]),
            by_app
        );
    }
    assert!(!home.path().join("knowledge").exists());

    // Added by the command line: the app lists and finds the same.
    let (code, _, err) =
        run(in_home(home.path()).args(["docs", "add", folder.path().to_str().unwrap(), "--json"]));
    assert_eq!(code, 0, "{err}");
    let listed = invoke(&w, "docs_list", json!({"collection": null})).unwrap();
    let (_, out, _) = run(in_home(home.path()).args(["docs", "list", "--json"]));
    let by_cli: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(by_cli["documents"], listed);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let found = invoke(
        &w,
        "docs_search",
        json!({"query": "dry running pump", "k": 5, "collection": null}),
    )
    .unwrap();
    let (_, out, _) =
        run(in_home(home.path()).args(["docs", "search", "dry running pump", "--json"]));
    let by_cli: Value = serde_json::from_str(&out).unwrap();
    let paths = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|h| h["path"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(paths(&by_cli["results"]), paths(&found));
    assert!(paths(&found)[0].ends_with("pumps.md"), "{found}");

    // Removed by the app: the command line no longer has it.
    let n = invoke(
        &w,
        "docs_remove",
        json!({"paths": [folder.path().join("pumps.md")], "collection": null}),
    )
    .unwrap();
    assert_eq!(n, 1);
    let (_, out, _) = run(in_home(home.path()).args(["docs", "list", "--json"]));
    let by_cli: Value = serde_json::from_str(&out).unwrap();
    let left: Vec<&str> = by_cli["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(left.len(), 1);
    assert!(left[0].ends_with("valves.md"), "{left:?}");

    // Rebuilt by either: the same passages.
    let by_app = invoke(&w, "docs_reindex", json!({})).unwrap();
    let (code, out, err) = run(in_home(home.path()).args(["docs", "reindex"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), format!("search index rebuilt: {by_app} chunks"));
    assert!(by_app.as_u64().unwrap() > 0);
}

#[test]
fn test_vectors_give_the_same_report_and_the_same_refusals() {
    let home = tempfile::tempdir().unwrap();
    let (_app, w) = app(home.path());
    let file = home.path().join("motor.st");
    std::fs::write(&file, MOTOR).unwrap();
    // The latch holds after start is released and stop ends it; the second
    // case expects what the block does not do: one failure.
    let vectors = json!({"pou": "FB_Motor", "cases": [{"name": "start latches", "steps": [
        {"in": {"start": true, "stop": false}, "expect": {"running": true}},
        {"in": {"start": false}, "expect": {"running": true}},
        {"in": {"stop": true}, "expect": {"running": false}}]},
        {"name": "wrongly expected", "steps": [
        {"in": {"start": true, "stop": true}, "expect": {"running": true}}]}]})
    .to_string();
    let vfile = home.path().join("motor.json");
    std::fs::write(&vfile, &vectors).unwrap();
    let by_app = invoke(
        &w,
        "st_test",
        json!({"code": MOTOR, "vectorsJson": vectors}),
    )
    .unwrap();
    let (code, out, err) = run(in_home(home.path()).args([
        "st",
        "test",
        file.to_str().unwrap(),
        "--vectors",
        vfile.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(code, 1, "{out}{err}");
    let by_cli: Value = serde_json::from_str(&out).unwrap();
    for field in ["pou", "passed", "total", "steps_passed"] {
        assert_eq!(by_cli[field], by_app[field], "{field}");
    }
    assert_eq!(by_app["passed"], 1);
    assert_eq!(
        by_cli["cases"][1]["failures"],
        by_app["cases"][1]["failures"]
    );
    assert_eq!(by_app["cases"][1]["failures"][0]["variable"], "running");
    // The window also gets the failing case's timing diagram.
    assert!(by_app["cases"][1]["diagram"].is_object(), "{by_app}");

    // Vectors naming a variable the block does not have: the same problem,
    // named by where each front end got the vectors.
    let bad = vectors.replace("\"stop\":true", "\"halt\":true");
    std::fs::write(&vfile, &bad).unwrap();
    let by_app = invoke(&w, "st_test", json!({"code": MOTOR, "vectorsJson": bad})).unwrap_err();
    // Every problem, each on its line (the command line's each an error line).
    let problems: Vec<&str> = by_app
        .lines()
        .map(|l| l.strip_prefix("test vectors: ").unwrap())
        .collect();
    assert_eq!(problems.len(), 2, "{by_app}");
    assert!(problems.iter().all(|p| p.contains("`halt`")), "{by_app}");
    let by_cli = cli_error(
        home.path(),
        &[
            "st",
            "test",
            file.to_str().unwrap(),
            "--vectors",
            vfile.to_str().unwrap(),
        ],
    );
    let cli_problems: Vec<String> = by_cli
        .lines()
        .map(|l| {
            l.trim_start_matches("error: ")
                .strip_prefix(&format!("{}: ", vfile.display()))
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(cli_problems, problems);
}
