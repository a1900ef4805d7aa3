//! The app's commands through Tauri's mock runtime with the app's real
//! configuration and capabilities, and the long-running ones with the real
//! extraction worker and default model.

mod mock;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use millwright_app::ask::AskRequest;
use millwright_app::docs::AddRequest;
use millwright_app::plc::GenRequest;
use millwright_desktop::commands::ask::{ask_blocking, AskEvent};
use millwright_desktop::commands::docs::add_blocking;
use millwright_desktop::commands::plc::{generate_blocking, GenEvent};
use millwright_desktop::{AppState, COMMANDS};
use mock::invoke;
use serde_json::{json, Value};
use tauri::ipc::Channel;
use tauri::Manager;

fn desktop_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_millwright-desktop"))
}

fn state(home: &Path) -> AppState {
    mock::state(home, desktop_exe())
}

fn app(
    home: &Path,
) -> (
    tauri::App<tauri::test::MockRuntime>,
    tauri::WebviewWindow<tauri::test::MockRuntime>,
) {
    mock::app(state(home))
}

#[test]
fn every_command_is_registered_and_allowed_by_the_capability() {
    let caps: Value = serde_json::from_str(include_str!("../capabilities/default.json")).unwrap();
    let perms: Vec<&str> = caps["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    let home = tempfile::tempdir().unwrap();
    let (_app, w) = app(home.path());
    for cmd in COMMANDS {
        let perm = format!("allow-{}", cmd.replace('_', "-"));
        assert!(
            perms.contains(&perm.as_str()),
            "capabilities/default.json lacks {perm}"
        );
        // With no arguments a command may refuse its input, but it must be
        // found and allowed.
        if let Err(e) = invoke(&w, cmd, json!({})) {
            let e = e.to_string();
            assert!(
                !e.contains("not allowed") && !e.contains("not found"),
                "{cmd}: {e}"
            );
        }
    }
    // Something the capability does not list is refused.
    let e = invoke(&w, "plugin:fs|read_file", json!({"path": "/etc/passwd"})).unwrap_err();
    assert!(e.to_string().contains("not"), "{e}");
}

#[test]
fn st_commands_check_format_and_run_vectors() {
    let home = tempfile::tempdir().unwrap();
    let (_app, w) = app(home.path());
    let bad = "PROGRAM P\nVAR x : INT; END_VAR\nx := 1\nEND_PROGRAM\n";
    let diags = invoke(&w, "st_check", json!({"code": bad})).unwrap();
    let d = &diags[0];
    assert_eq!(d["severity"], "error");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(3), Some(7)),
        "{diags}"
    );
    let good = "PROGRAM P\nVAR x : INT; END_VAR\nx := 1;\nEND_PROGRAM\n";
    assert_eq!(
        invoke(&w, "st_check", json!({"code": good})).unwrap(),
        json!([])
    );
    let formatted = invoke(
        &w,
        "st_format",
        json!({"code": "program P var x:int; end_var x:=1; end_program"}),
    )
    .unwrap();
    assert!(
        formatted.as_str().unwrap().contains("x := 1;"),
        "{formatted}"
    );
    let e = invoke(&w, "st_format", json!({"code": bad})).unwrap_err();
    assert!(e.as_str().unwrap().contains("does not parse"), "{e}");

    let fb = "FUNCTION_BLOCK FB_Latch\nVAR_INPUT s : BOOL; r : BOOL; END_VAR\nVAR_OUTPUT q : BOOL; END_VAR\nq := (s OR q) AND NOT r;\nEND_FUNCTION_BLOCK\n";
    let vectors = json!({"pou": "FB_Latch", "cases": [{"name": "latch", "steps": [
        {"in": {"s": true, "r": false}, "expect": {"q": true}},
        {"in": {"s": false}, "expect": {"q": true}},
        {"in": {"r": true}, "expect": {"q": true}}]}]});
    let r = invoke(
        &w,
        "st_test",
        json!({"code": fb, "vectorsJson": vectors.to_string()}),
    )
    .unwrap();
    assert_eq!(
        (r["passed"].as_u64(), r["total"].as_u64()),
        (Some(0), Some(1)),
        "{r}"
    );
    assert_eq!(r["cases"][0]["failures"][0]["step"], 3);
    let e = invoke(&w, "st_test", json!({"code": fb, "vectorsJson": "{"})).unwrap_err();
    assert!(e.as_str().unwrap().starts_with("test vectors:"), "{e}");

    // PLCopen XML that imports back to the same block.
    let x = invoke(&w, "st_plcopen", json!({"code": fb})).unwrap();
    let xml = x["xml"].as_str().unwrap();
    assert!(
        xml.contains("<pou name=\"FB_Latch\" pouType=\"functionBlock\">"),
        "{xml}"
    );
    let back = millwright_iec61131::plcopen::import(xml).unwrap();
    assert!(back.contains("q := (s OR q) AND NOT r;"), "{back}");
    let e = invoke(&w, "st_plcopen", json!({"code": bad})).unwrap_err();
    assert!(e.as_str().unwrap().contains("does not parse"), "{e}");
}

/// The ST libraries of the settings are what `st check --lib` is on the
/// command line: the editor's checks and tests see their declarations, and a
/// path that does not exist is refused when saved.
#[test]
fn st_commands_see_the_libraries_the_settings_name() {
    let home = tempfile::tempdir().unwrap();
    let lib = tempfile::tempdir().unwrap();
    std::fs::write(
        lib.path().join("scale.st"),
        "FUNCTION LIB_Scale : INT\nVAR_INPUT x : INT; END_VAR\nVAR unused : INT; END_VAR\nLIB_Scale := x * 10;\nEND_FUNCTION\n",
    )
    .unwrap();
    let (_app, w) = app(home.path());
    let code = "FUNCTION_BLOCK Use\nVAR_INPUT v : INT; END_VAR\nVAR_OUTPUT w : INT; END_VAR\nw := LIB_Scale(v);\nEND_FUNCTION_BLOCK\n";
    let alone = invoke(&w, "st_check", json!({"code": code})).unwrap();
    assert_eq!(alone[0]["code"], "ST0104", "{alone}");

    let missing = lib.path().join("nope");
    let e = invoke(
        &w,
        "settings_set",
        json!({"settings": {"st_libraries": [missing]}}),
    )
    .unwrap_err();
    assert!(
        e.as_str().unwrap().contains("nope: no such file or folder"),
        "{e}"
    );
    invoke(
        &w,
        "settings_set",
        json!({"settings": {"st_libraries": [lib.path()]}}),
    )
    .unwrap();
    assert_eq!(
        invoke(&w, "st_check", json!({"code": code})).unwrap(),
        json!([]),
        "the library's own warning is not the code's"
    );
    let vectors = json!({"pou": "Use", "cases": [{"name": "scaled", "steps": [
        {"in": {"v": 3}, "expect": {"w": 30}}]}]});
    let r = invoke(
        &w,
        "st_test",
        json!({"code": code, "vectorsJson": vectors.to_string()}),
    )
    .unwrap();
    assert_eq!(
        (r["passed"].as_u64(), r["total"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
}

#[test]
fn a_cited_pdf_page_is_drawn_and_other_sources_are_not() {
    let home = tempfile::tempdir().unwrap();
    let notes = tempfile::tempdir().unwrap();
    std::fs::write(
        notes.path().join("notes.md"),
        "# Notes\n\nMINUTE_TO_TIME in our plant.\n",
    )
    .unwrap();
    let manual = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../assets/corpora/oscat/oscat_basic_272_de.pdf");
    let (app, w) = app(home.path());
    let st = app.state::<AppState>();
    let (progress, _) = collect::<millwright_knowledge::Progress>();
    let r = add_blocking(
        &st.0,
        &AddRequest::new(vec![manual.clone(), notes.path().to_owned()]),
        &progress,
    )
    .unwrap();
    assert_eq!(r.added, 2);
    let hits = invoke(
        &w,
        "docs_search",
        json!({"query": "MINUTE_TO_TIME", "k": 10}),
    )
    .unwrap();
    let hit = |suffix: &str| {
        hits.as_array()
            .unwrap()
            .iter()
            .find(|h| h["path"].as_str().unwrap().ends_with(suffix))
            .unwrap_or_else(|| panic!("no hit in {suffix}: {hits}"))
            .clone()
    };
    let pdf = hit(".pdf");
    let url = invoke(&w, "docs_page", json!({"chunkId": pdf["chunk_id"]})).unwrap();
    let b64 = url
        .as_str()
        .unwrap()
        .strip_prefix("data:image/png;base64,")
        .expect("a PNG data URL");
    use base64::Engine as _;
    let png = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    // IHDR: width and height, the long side scaled to 1600 px.
    let (wpx, hpx) = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    assert_eq!(wpx.max(hpx), 1600, "{wpx}×{hpx}");
    let md = hit("notes.md");
    let e = invoke(&w, "docs_page", json!({"chunkId": md["chunk_id"]})).unwrap_err();
    assert!(e.as_str().unwrap().contains("has no pages"), "{e}");
    let e = invoke(&w, "docs_page", json!({"chunkId": 987_654_321})).unwrap_err();
    assert!(
        e.as_str()
            .unwrap()
            .contains("no longer in the knowledge base"),
        "{e}"
    );
}

#[test]
fn the_default_model_download_verifies_what_is_there_and_runs_once() {
    let home = tempfile::tempdir().unwrap();
    let st = state(home.path());
    let (_app, w) = app(home.path());
    let info = invoke(&w, "app_info", json!({})).unwrap();
    assert_eq!(info["default_model"]["present"], false, "{info}");
    assert_eq!(info["default_model"]["size"], 253_113_024);

    // A copy already in place (linked here, to spare a download): verified,
    // with progress, and kept.
    let models = home.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let model = default_model();
    std::os::unix::fs::symlink(&model, models.join(model.file_name().unwrap())).unwrap();
    let (ch, seen) = collect::<millwright_models::fetch::FetchEvent>();
    let path = millwright_desktop::commands::app::download_blocking(&st.0, &ch).unwrap();
    assert!(path.ends_with("gemma-3-270m-q4_k_m.gguf"), "{path}");
    let events = seen.lock().unwrap().clone();
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "verifying" && e["done"] == e["total"]),
        "{events:?}"
    );
    let info = invoke(&w, "app_info", json!({})).unwrap();
    assert_eq!(info["default_model"]["present"], true);

    // A second download while one runs is refused, not started twice.
    st.0.downloading
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let e = millwright_desktop::commands::app::download_blocking(&st.0, &ch).unwrap_err();
    assert!(e.contains("already being downloaded"), "{e}");
}

#[test]
fn generation_refuses_bad_input_by_name_before_the_model_starts() {
    let home = tempfile::tempdir().unwrap();
    let st = state(home.path());
    let req = |v: Value| -> GenRequest { serde_json::from_value(v).unwrap() };
    let (ch, seen) = collect::<GenEvent>();
    let cases = [
        (json!({"spec": "  ", "rounds": 1}), "describe the block"),
        (json!({"spec": "a latch", "rounds": 11}), "0 to 10"),
        (
            json!({"spec": "x".repeat(20_001), "rounds": 1}),
            "longer than 20000 characters",
        ),
        (
            json!({"spec": "a latch", "rounds": 1, "vectors_json": "{\"pou\": 1}"}),
            "test vectors:",
        ),
        (
            json!({"spec": "a latch", "rounds": 1, "io_list": "/nonexistent/io.csv"}),
            "IO list /nonexistent/io.csv: no such file",
        ),
    ];
    for (r, want) in cases {
        let e = generate_blocking(&st.0, &req(r.clone()), &ch).unwrap_err();
        assert!(e.contains(want), "{r}: {e}");
    }
    let io = home.path().join("io.csv");
    std::fs::write(
        &io,
        "Tag,Address,Type,Comment\nstart,%IX0.0,BOOL,Start\nstop,%IX0.0,BOOL,Stop\nspeed,%IW2,FLOAT,Speed\n",
    )
    .unwrap();
    let e = generate_blocking(
        &st.0,
        &req(json!({"spec": "a latch", "rounds": 1, "io_list": io.to_str().unwrap()})),
        &ch,
    )
    .unwrap_err();
    assert!(e.contains("row 3") && e.contains("row 4"), "{e}");
    assert!(seen.lock().unwrap().is_empty(), "no model was started");
    assert!(st.0.ws.loaded_model().is_none());
}

#[test]
fn settings_are_validated_before_they_are_saved() {
    let home = tempfile::tempdir().unwrap();
    let (_app, w) = app(home.path());
    let info = invoke(&w, "app_info", json!({})).unwrap();
    assert!(info["model"].is_null());
    assert!(
        info["model_error"]
            .as_str()
            .unwrap()
            .contains("models fetch"),
        "{info}"
    );
    let e = invoke(&w, "settings_set", json!({"settings": {"threads": 0}})).unwrap_err();
    assert!(e.as_str().unwrap().contains("threads"), "{e}");
    let e = invoke(
        &w,
        "settings_set",
        json!({"settings": {"model": "/no/such.gguf"}}),
    )
    .unwrap_err();
    assert!(e.as_str().unwrap().contains("/no/such.gguf"), "{e}");
    assert!(
        !home.path().join("settings.json").exists(),
        "nothing saved after a refusal"
    );
    invoke(
        &w,
        "settings_set",
        json!({"settings": {"language": "zh", "threads": 2}}),
    )
    .unwrap();
    let s = invoke(&w, "settings_get", json!({})).unwrap();
    assert_eq!(
        (s["language"].as_str(), s["threads"].as_u64()),
        (Some("zh"), Some(2))
    );
}

#[test]
fn chats_and_exports_stay_inside_what_the_user_chose() {
    let home = tempfile::tempdir().unwrap();
    let (_app, w) = app(home.path());
    let chat = json!({"id": "chat-1", "title": "Pumps", "updated": 5, "messages": [{"role": "user", "text": "Q"}]});
    invoke(&w, "chat_save", json!({"chat": chat})).unwrap();
    assert_eq!(
        invoke(&w, "chats_list", json!({})).unwrap()[0]["title"],
        "Pumps"
    );
    assert_eq!(
        invoke(&w, "chat_load", json!({"id": "chat-1"})).unwrap()["messages"][0]["text"],
        "Q"
    );
    let e = invoke(&w, "chat_load", json!({"id": "../settings"})).unwrap_err();
    assert!(e.as_str().unwrap().contains("not a chat id"), "{e}");

    let out = tempfile::tempdir().unwrap();
    let md = out.path().join("chat.md");
    invoke(&w, "save_text", json!({"path": md, "text": "# Pumps"})).unwrap();
    assert_eq!(std::fs::read_to_string(&md).unwrap(), "# Pumps");
    for bad in ["relative.md", "/tmp/x.sh"] {
        assert!(
            invoke(&w, "save_text", json!({"path": bad, "text": "x"})).is_err(),
            "{bad}"
        );
    }
    let missing = out.path().join("no/such/dir/a.st");
    assert!(invoke(&w, "save_text", json!({"path": missing, "text": "x"})).is_err());
}

/// A channel that keeps every message as JSON.
fn collect<T>() -> (Channel<T>, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let ch = Channel::new(move |body| {
        if let Ok(v) = body.deserialize::<Value>() {
            s.lock().unwrap().push(v);
        }
        Ok(())
    });
    (ch, seen)
}

fn default_model() -> PathBuf {
    let home = millwright_models::Home::from_env().unwrap();
    let path = millwright_models::fetch::model_path(
        &home,
        millwright_models::Manifest::builtin().default_model(),
    );
    assert!(
        path.exists(),
        "run `cargo xtask test`, which fetches {}",
        path.display()
    );
    path
}

#[test]
fn documents_are_indexed_with_progress_and_questions_stream_an_answer() {
    let home = tempfile::tempdir().unwrap();
    let docs = tempfile::tempdir().unwrap();
    std::fs::write(
        docs.path().join("pumps.md"),
        "# Pumps\n\n## Dry running\n\nThe feed pump P-101 stops after 10 s without flow.\n",
    )
    .unwrap();
    millwright_models::local::Settings {
        model: Some(default_model()),
        ..Default::default()
    }
    .save(&millwright_models::Home::at(home.path()))
    .unwrap();
    let st = state(home.path());

    let (progress, seen) = collect::<millwright_knowledge::Progress>();
    let r = add_blocking(
        &st.0,
        &AddRequest::new(vec![docs.path().to_owned()]),
        &progress,
    )
    .unwrap();
    assert_eq!(r.added, 1);
    let events = seen.lock().unwrap().clone();
    assert!(events.iter().any(|e| e["phase"] == "done"), "{events:?}");

    let ask_pump = |ch: &Channel<AskEvent>| {
        ask_blocking(
            &st.0,
            &AskRequest::new("When does the feed pump P-101 stop on dry running?"),
            ch,
        )
    };
    let (ch, seen) = collect::<AskEvent>();
    let a = ask_pump(&ch).unwrap();
    assert!(a.grounded);
    assert!(a.citations[0].path.ends_with("pumps.md"));
    let kinds: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.first().map(String::as_str), Some("retrieved"));
    assert!(kinds.contains(&"loading_model".to_owned()), "{kinds:?}");
    assert!(
        kinds.iter().filter(|k| *k == "token").count() > 1,
        "streamed in pieces: {kinds:?}"
    );
    assert_eq!(kinds.last().map(String::as_str), Some("done"));

    // The model's worker dies in the middle of an answer: a clear error that
    // says what to do, and the next question works.
    let pid = st.0.ws.worker_pid().unwrap();
    let tokens = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t = tokens.clone();
    let ch = Channel::<AskEvent>::new(move |body| {
        let v: Value = body.deserialize().unwrap_or_default();
        // The first piece is the answer's lead; the second comes from the model.
        if v["kind"] == "token" && t.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
        Ok(())
    });
    let e = ask_pump(&ch).unwrap_err();
    assert!(e.contains("signal 9") && e.contains("try again"), "{e}");
    let (ch, _) = collect::<AskEvent>();
    let a = ask_pump(&ch).unwrap();
    assert!(a.grounded && !a.answer.is_empty());

    // A question the documents do not answer: no model call, the refusal streamed.
    let (ch, seen) = collect::<AskEvent>();
    let a = ask_blocking(
        &st.0,
        &AskRequest::new("What is the firmware of the ABB ACS880 drive?"),
        &ch,
    )
    .unwrap();
    assert!(!a.grounded);
    assert!(seen.lock().unwrap().iter().any(|e| e["kind"] == "token"));

    // A calculation goes to the tools: the call reaches the UI before the
    // answer's text, which states what the tool computed.
    let (ch, seen) = collect::<AskEvent>();
    let a = ask_blocking(
        &st.0,
        &AskRequest::new("What torque does a 22 kW motor deliver at 1470 rpm?"),
        &ch,
    )
    .unwrap();
    let tool = a.tool.expect("a calculation question offers the tools");
    if let Some(c) = &tool.result {
        assert!(a.answer.contains(&c.results()), "{}", a.answer);
    } else {
        // The call to correct, not a command line the app's user cannot type.
        assert!(
            a.answer.contains(&format!("{}(", tool.call.tool)) && !a.answer.contains("millwright"),
            "{}",
            a.answer
        );
    }
    let events = seen.lock().unwrap().clone();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["tool", "token", "done"], "{events:?}");
    assert_eq!(events[0]["tool"]["call"]["tool"], tool.call.tool.as_str());

    // A block from a spec, with the user's vectors: the report is complete and
    // each attempt streamed as it was written.
    let vectors = json!({"pou": "FB_PumpLatch", "cases": [{"name": "start latches", "steps": [
        {"in": {"start": true, "stop": false}, "expect": {"running": true}},
        {"in": {"start": false}, "expect": {"running": true}},
        {"in": {"stop": true}, "expect": {"running": false}}]}]});
    let (ch, seen) = collect::<GenEvent>();
    let req: GenRequest = serde_json::from_value(json!({
        "spec": "The feed pump P-101 starts with start and runs until stop; it stops after dry running.",
        "vectors_json": vectors.to_string(),
        "rounds": 1,
        "candidates": 1,
        "use_documents": true,
    }))
    .unwrap();
    let r = generate_blocking(&st.0, &req, &ch).unwrap();
    assert!(r.code.contains("FUNCTION_BLOCK FB_PumpLatch"), "{}", r.code);
    assert_eq!(r.verified.tests_total, 1);
    assert_eq!(r.vectors_source.as_deref(), Some("user"));
    assert!((1..=2).contains(&r.verified.rounds));
    assert_eq!(r.history.len() as u32, r.verified.rounds);
    assert!(
        r.citations.iter().any(|c| c.source.ends_with("pumps.md")),
        "the pump spec is cited: {:?}",
        r.citations
    );
    let events = seen.lock().unwrap().clone();
    assert_eq!(events[0]["kind"], "context", "{events:?}");
    assert_eq!(
        events[1],
        json!({"kind": "attempt", "n": 1, "candidates": 1})
    );
    let attempts = events.iter().filter(|e| e["kind"] == "attempt").count();
    assert_eq!(
        attempts as u32, r.verified.rounds,
        "one streamed attempt per round"
    );
    assert!(events.iter().filter(|e| e["kind"] == "token").count() > 1);

    // Under the symbol grammars each later phase continues a text: the draft
    // is replaced by it, so nothing is ever shown after a block's end.
    let (ch, seen) = collect::<GenEvent>();
    let req: GenRequest = serde_json::from_value(json!({
        "spec": "The feed pump P-101 starts with start and runs until stop.",
        "vectors_json": vectors.to_string(),
        "rounds": 0,
        "use_documents": false,
        "symbols": true,
        "candidates": 2,
    }))
    .unwrap();
    let r = generate_blocking(&st.0, &req, &ch).unwrap();
    assert!(r.code.contains("FUNCTION_BLOCK FB_PumpLatch"), "{}", r.code);
    let events = seen.lock().unwrap().clone();
    let mut draft = String::new();
    for e in &events {
        match e["kind"].as_str().unwrap() {
            "attempt" => draft.clear(),
            "draft" => draft = e["text"].as_str().unwrap().to_string(),
            "token" => draft.push_str(e["text"].as_str().unwrap()),
            _ => {}
        }
        if let Some(at) = draft.find("END_FUNCTION_BLOCK") {
            let after = draft[at + "END_FUNCTION_BLOCK".len()..].trim();
            assert!(
                after.is_empty(),
                "text shown after the end: {draft:?}\n{events:?}"
            );
        }
    }
    assert!(
        events.iter().any(|e| e["kind"] == "draft"),
        "the body continues the locals: {events:?}"
    );
}
