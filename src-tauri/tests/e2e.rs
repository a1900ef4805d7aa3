//! End to end in the real app window: tauri-driver and WebKitWebDriver under
//! Xvfb, driven over the WebDriver protocol. The app starts on a temporary data
//! directory with the default model; the test adds a folder, asks a question
//! and waits for a streamed answer with a citation chip and the quoted
//! sentence (highlighted in the source it opens), asks for a calculation
//! and sees the tool's card, types wrong code into the PLC editor and sees the
//! diagnostic come and go, generates a block from a spec while typing in the
//! editor (measuring keystroke-to-frame latency), and switches the UI to
//! Chinese. Every step saves a screenshot under the test's output folder.
//!
//! `cargo xtask test` installs what this needs and sets MILLWRIGHT_E2E=1; a
//! plain `cargo test` without the tools says so and skips.

mod webdriver;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use webdriver::Session;

/// Child processes, each the leader of its own process group, killed with
/// their whole group (tauri-driver's WebKitWebDriver and the app with it).
struct Killed(Vec<Child>);
impl Drop for Killed {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", c.id())])
                .status();
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn which(name: &str) -> Option<PathBuf> {
    let home_bin = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin").join(name));
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .chain(home_bin)
        .find(|p| p.is_file())
}

fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    assert!(
        poll(limit, &mut f),
        "timed out after {limit:?} waiting for {what}"
    );
}

fn poll(limit: Duration, f: &mut dyn FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !f() {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    true
}

/// Waits in the app; on a timeout saves a screenshot and shows the page's text.
fn wait_in(
    s: &Session,
    shots: &std::path::Path,
    what: &str,
    limit: Duration,
    mut f: impl FnMut() -> bool,
) {
    if poll(limit, &mut f) {
        return;
    }
    let _ = s.screenshot(&shots.join(format!("failed-{}.png", what.replace(' ', "-"))));
    let page = s
        .text("body")
        .unwrap_or_else(|e| format!("(the page could not be read: {e})"));
    panic!("timed out after {limit:?} waiting for {what}; the page says:\n{page}");
}

fn default_model() -> PathBuf {
    let home = millwright_models::Home::from_env().unwrap();
    millwright_models::fetch::model_path(
        &home,
        millwright_models::Manifest::builtin().default_model(),
    )
}

#[test]
fn the_real_app_indexes_answers_checks_code_and_speaks_chinese() {
    let required = std::env::var_os("MILLWRIGHT_E2E").is_some();
    let (Some(driver), true) = (which("tauri-driver"), which("WebKitWebDriver").is_some()) else {
        assert!(
            !required,
            "MILLWRIGHT_E2E is set but tauri-driver or WebKitWebDriver is missing"
        );
        eprintln!("skipped: tauri-driver and WebKitWebDriver are not installed (`cargo xtask test` installs them)");
        return;
    };
    let model = default_model();
    assert!(
        model.exists(),
        "{} is missing; run `cargo xtask test`",
        model.display()
    );
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();

    let mut children = Killed(Vec::new());
    let display = match std::env::var("DISPLAY") {
        Ok(d) if !d.is_empty() => d,
        _ => {
            let n = 90 + (std::process::id() % 9);
            children.0.push(
                Command::new("Xvfb")
                    .args([
                        format!(":{n}"),
                        "-screen".into(),
                        "0".into(),
                        "1280x800x24".into(),
                        "-nolisten".into(),
                        "tcp".into(),
                    ])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .process_group(0)
                    .spawn()
                    .expect("Xvfb starts"),
            );
            let sock = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
            wait_until("Xvfb", Duration::from_secs(20), || sock.exists());
            format!(":{n}")
        }
    };
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("settings.json"),
        json!({"model": model, "language": "en"}).to_string(),
    )
    .unwrap();
    let docs = tempfile::tempdir().unwrap();
    std::fs::write(
        docs.path().join("pumps.md"),
        "# Pumps\n\n## Dry running\n\nThe feed pump P-101 stops after 10 s without flow. Restart needs a reset at the panel.\n",
    )
    .unwrap();

    let port = free_port();
    let native = free_port();
    children.0.push(
        Command::new(&driver)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env("DISPLAY", &display)
            .env("MILLWRIGHT_HOME", home.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .expect("tauri-driver starts"),
    );
    wait_until("tauri-driver", Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });

    let app = PathBuf::from(env!("CARGO_BIN_EXE_millwright-desktop"));
    let started = Instant::now();
    let s = Session::start(port, &app).expect("a WebDriver session on the app");
    let shot = |s: &Session, name: &str| s.screenshot(&shots.join(format!("{name}.png"))).unwrap();

    // 1. The window is interactive once the UI has its first answer from the shell.
    wait_in(&s, &shots, "the UI", Duration::from_secs(60), || {
        s.exec(
            "return document.documentElement.dataset.ready || null",
            json!([]),
        )
        .is_ok_and(|v| !v.is_null())
    });
    let interactive_ms = started.elapsed().as_millis();
    eprintln!("cold start to an interactive window: {interactive_ms} ms (session start included)");
    shot(&s, "01-start");
    // Script errors anywhere in the UI fail the test at the end.
    s.exec(
        "window.__errors = []; window.addEventListener('error', e => window.__errors.push(String(e.message))); window.addEventListener('unhandledrejection', e => window.__errors.push('unhandled: ' + String(e.reason))); return true",
        json!([]),
    )
    .unwrap();

    // 2. Documents: add the fixture folder, see it indexed.
    s.click("#nav-docs").unwrap();
    s.exec(
        "window.__millwrightAddPaths([arguments[0]]); return true",
        json!([docs.path()]),
    )
    .unwrap();
    wait_in(
        &s,
        &shots,
        "the document indexed",
        Duration::from_secs(60),
        || {
            s.text("#doclist")
                .is_ok_and(|t| t.contains("pumps.md") && t.contains("indexed"))
        },
    );
    shot(&s, "02-documents");

    // 3. Ask: a streamed answer with a citation chip; measure UI frames meanwhile.
    s.click("#nav-ask").unwrap();
    s.exec(
        "window.__gaps = []; let last = performance.now(); (function f(t) { window.__gaps.push(t - last); last = t; if (!window.__stopFrames) requestAnimationFrame(f); })(last); return true",
        json!([]),
    )
    .unwrap();
    s.type_into("#question", "When does the feed pump P-101 stop?")
        .unwrap();
    let asked = Instant::now();
    s.click("#ask-send").unwrap();
    wait_in(
        &s,
        &shots,
        "the answer to start",
        Duration::from_secs(20),
        || s.exists("#messages .msg.assistant"),
    );
    wait_in(
        &s,
        &shots,
        "the answer to finish",
        Duration::from_secs(180),
        || s.exists("#ask-send") && s.exists("#messages .msg.assistant .chip"),
    );
    let answer_ms = asked.elapsed().as_millis();
    let gaps = s
        .exec(
            "window.__stopFrames = true; return window.__gaps",
            json!([]),
        )
        .unwrap();
    let worst = gaps
        .as_array()
        .map(|a| {
            a.iter()
                .skip(1)
                .filter_map(|g| g.as_f64())
                .fold(0.0, f64::max)
        })
        .unwrap_or(0.0);
    eprintln!("first question (model load + answer): {answer_ms} ms; longest UI frame meanwhile: {worst:.0} ms");
    let answer = s.text("#messages .msg.assistant .text").unwrap();
    assert!(
        answer.starts_with("According to [1]"),
        "a grounded answer from the model: {answer}"
    );
    assert!(s
        .text("#messages .msg.assistant .chip")
        .unwrap()
        .contains("pumps.md"));
    shot(&s, "03-answer");
    // The chip opens the cited passage (a Markdown file: its text, no page).
    s.click("#messages .msg.assistant .chip").unwrap();
    wait_in(
        &s,
        &shots,
        "the source viewer",
        Duration::from_secs(20),
        || {
            s.text("#viewer")
                .is_ok_and(|t| t.contains("stops after 10 s"))
        },
    );
    assert!(
        !s.exists("#viewer-page"),
        "a Markdown source has no page to draw"
    );
    s.click("#viewer header button:last-child").unwrap();
    // The answer opens with the document's own sentence, shown as a quote;
    // opening it shows the passage with that sentence highlighted.
    let quote = s.text("#messages .msg.assistant .quote").unwrap();
    assert!(
        quote.contains("The feed pump P-101 stops after 10 s without flow."),
        "{quote}"
    );
    s.click("#messages .msg.assistant .quote .quote-source")
        .unwrap();
    wait_in(
        &s,
        &shots,
        "the quoted sentence highlighted",
        Duration::from_secs(20),
        || {
            s.text("#viewer-mark")
                .is_ok_and(|t| t == "The feed pump P-101 stops after 10 s without flow.")
        },
    );
    shot(&s, "03b-quote");
    s.click("#viewer header button:last-child").unwrap();

    // 3b. A calculation goes to a mechanism model and shows as a card.
    s.type_into(
        "#question",
        "What torque does a 22 kW motor deliver at 1470 rpm?",
    )
    .unwrap();
    s.click("#ask-send").unwrap();
    wait_in(
        &s,
        &shots,
        "the calculation card",
        Duration::from_secs(120),
        || s.exists("#ask-send") && s.exists("#messages .msg.assistant .tool-card"),
    );
    s.click("#messages .msg.assistant .tool-card summary")
        .unwrap();
    let card = s.text("#messages .msg.assistant .tool-card").unwrap();
    assert!(
        card.contains("Formula") || card.contains("refused"),
        "an opened card shows the formula, or why the call was refused: {card}"
    );
    shot(&s, "04-calculation");

    // 3b. The calculator: the same mechanism models, run on typed values.
    s.click("#nav-calc").unwrap();
    wait_in(
        &s,
        &shots,
        "the calculator",
        Duration::from_secs(20),
        || s.exists("#calc-tool option[value='motor_torque']"),
    );
    s.exec(
        "const sel = document.querySelector('#calc-tool'); sel.value = 'motor_torque'; sel.dispatchEvent(new Event('change', {bubbles: true})); return true",
        json!([]),
    )
    .unwrap();
    wait_in(
        &s,
        &shots,
        "the tool's fields",
        Duration::from_secs(10),
        || s.exists("#calc-form input[name='power']"),
    );
    s.exec(
        "for (const [n, v] of [['power', '15 kW'], ['speed', '1460 rpm']]) { const i = document.querySelector(`#calc-form input[name='${n}']`); i.value = v; i.dispatchEvent(new Event('input', {bubbles: true})); } return true",
        json!([]),
    )
    .unwrap();
    s.click("#calc-run").unwrap();
    wait_in(
        &s,
        &shots,
        "the calculation",
        Duration::from_secs(10),
        || s.text("#calc-result").is_ok_and(|t| t.contains("98.1")),
    );
    assert_eq!(
        s.exec(
            "return document.querySelector('#calc-tool').value",
            json!([])
        )
        .unwrap(),
        json!("motor_torque")
    );
    std::thread::sleep(Duration::from_millis(300));
    shot(&s, "04b-calculator");
    s.exec(
        "const i = document.querySelector(`#calc-form input[name='power']`); i.value = '15 parsecs'; i.dispatchEvent(new Event('input', {bubbles: true})); return true",
        json!([]),
    )
    .unwrap();
    s.click("#calc-run").unwrap();
    wait_in(&s, &shots, "the refusal", Duration::from_secs(10), || {
        s.text("#calc-error").is_ok_and(|t| t.contains("`power`"))
    });

    // 4. PLC: wrong code shows a diagnostic; fixed code clears it.
    s.click("#nav-plc").unwrap();
    s.exec(
        "const v = window.__millwrightEditor; v.dispatch({changes: {from: 0, to: v.state.doc.length, insert: arguments[0]}}); return true",
        json!(["PROGRAM P\nVAR x : INT; END_VAR\nx := 1\nEND_PROGRAM\n"]),
    )
    .unwrap();
    wait_in(&s, &shots, "a diagnostic", Duration::from_secs(20), || {
        s.text("#problems").is_ok_and(|t| t.contains("3:7"))
    });
    shot(&s, "05-plc-error");
    s.click(".cm-content").unwrap();
    s.exec(
        "const v = window.__millwrightEditor; const line = v.state.doc.line(3); v.dispatch({changes: {from: line.to, insert: ';'}}); return true",
        json!([]),
    )
    .unwrap();
    wait_in(
        &s,
        &shots,
        "the diagnostic to clear",
        Duration::from_secs(20),
        || s.exists("#no-problems"),
    );
    shot(&s, "06-plc-fixed");

    // 4'. A TwinCAT POU opened into the editor is imported as Structured Text.
    let tcpou = home.path().join("FB_Lamp.TcPOU");
    std::fs::write(
        &tcpou,
        "<?xml version=\"1.0\"?><TcPlcObject><POU Name=\"FB_Lamp\"><Declaration><![CDATA[FUNCTION_BLOCK FB_Lamp\nVAR_INPUT on : BOOL; END_VAR\nVAR_OUTPUT lamp : BOOL; END_VAR]]></Declaration><Implementation><ST><![CDATA[lamp := on;]]></ST></Implementation></POU></TcPlcObject>",
    )
    .unwrap();
    s.exec(
        "window.__millwrightOpenSt(arguments[0]); return true",
        json!([tcpou.display().to_string()]),
    )
    .unwrap();
    wait_in(
        &s,
        &shots,
        "the imported POU",
        Duration::from_secs(20),
        || {
            s.exec(
                "return window.__millwrightEditor.state.doc.toString()",
                json!([]),
            )
            .is_ok_and(|t| {
                t.as_str()
                    .is_some_and(|t| t.contains("lamp := on;") && t.contains("END_FUNCTION_BLOCK"))
            })
        },
    );
    wait_in(
        &s,
        &shots,
        "the imported POU checks clean",
        Duration::from_secs(20),
        || s.exists("#no-problems"),
    );

    // 4a. A failing test shows its timing diagram: a lane per signal, the
    // failing step marked; the cursor on one lane reads every lane.
    s.exec(
        "const v = window.__millwrightEditor; v.dispatch({changes: {from: 0, to: v.state.doc.length, insert: arguments[0]}}); return true",
        json!(["FUNCTION_BLOCK FB_Motor\nVAR_INPUT start : BOOL; stop : BOOL; END_VAR\nVAR_OUTPUT running : BOOL; END_VAR\nrunning := start AND NOT stop;\nEND_FUNCTION_BLOCK\n"]),
    )
    .unwrap();
    s.click("#run-tests").unwrap();
    if !poll(Duration::from_secs(20), &mut || {
        s.exists(".timing-diagram .uplot canvas")
    }) {
        let _ = s.screenshot(&shots.join("failed-timing-diagram.png"));
        panic!(
            "no timing diagram: {:?}",
            s.exec(
                "return document.querySelector('#results')?.innerHTML",
                json!([])
            )
        );
    }
    let lanes = s
        .exec(
            "return document.querySelectorAll('.timing-diagram .uplot').length",
            json!([]),
        )
        .unwrap();
    assert_eq!(lanes, json!(3), "start, stop, running");
    assert!(
        s.text(".timing-diagram figcaption")
            .unwrap()
            .contains("step 2: running"),
        "the failing step is marked"
    );
    let read = s
        .exec(
            "const over = document.querySelector('.timing-diagram .u-over'); const r = over.getBoundingClientRect(); \
             over.dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + r.width * 0.6, clientY: r.top + r.height / 2, bubbles: true})); \
             return [...document.querySelectorAll('.timing-diagram .u-legend')].map(l => [...l.querySelectorAll('.u-value')].map(v => v.textContent))",
            json!([]),
        )
        .unwrap();
    let legends = read.as_array().unwrap();
    assert_eq!(legends.len(), 3, "{read}");
    for l in legends {
        let values = l.as_array().unwrap();
        assert!(
            values
                .iter()
                .all(|v| v.as_str().is_some_and(|t| t.trim().parse::<f64>().is_ok())),
            "every lane reads a value at the cursor: {read}"
        );
    }
    s.exec(
        "document.querySelector('.timing-diagram').scrollIntoView(); return true",
        json!([]),
    )
    .unwrap();
    shot(&s, "06b-timing-diagram");

    // 4a'. The code explained by the model in the window (what `plc explain`
    // prints): the interface read from the code, then the model's words.
    s.click("#plc-explain").unwrap();
    wait_in(
        &s,
        &shots,
        "the explanation",
        Duration::from_secs(180),
        || {
            s.text("#explanation")
                .is_ok_and(|t| t.contains("FUNCTION_BLOCK FB_Motor"))
        },
    );
    let explained = s.text("#explanation").unwrap();
    assert!(
        explained.contains("FB_Motor: VAR_INPUT start : BOOL"),
        "the interface from the code: {explained}"
    );
    shot(&s, "06c-explanation");

    // 4a''. The same code run in the simulator (what `st run` does): 100
    // cycles with start held TRUE, the final outputs and the run's diagram.
    s.exec(
        "const d = document.querySelector('#run-panel'); d.open = true; d.scrollIntoView(); return true",
        json!([]),
    )
    .unwrap();
    s.click("#st-run").unwrap();
    wait_in(
        &s,
        &shots,
        "the run's timing diagram",
        Duration::from_secs(20),
        || s.exists("#run-result .timing-diagram .uplot canvas"),
    );
    let result = s.text("#run-result").unwrap();
    assert!(
        result.contains("running = true") && result.contains("100"),
        "the outputs after the run: {result}"
    );
    s.exec(
        "document.querySelector('#run-result').scrollIntoView(); return true",
        json!([]),
    )
    .unwrap();
    shot(&s, "06d-run");

    // 4b. Generate a block from a spec; type in the editor while the model
    // writes, key by key as a person types, timing each keystroke to the
    // second frame after it (the frame that shows it), against the same
    // typing with the model idle. Every key must arrive.
    s.exec(
        "window.__lat = []; document.addEventListener('keydown', () => { const t0 = performance.now(); requestAnimationFrame(() => requestAnimationFrame(() => window.__lat.push(performance.now() - t0))); }, true); return true",
        json!([]),
    )
    .unwrap();
    let burst = "(* typing while the model writes *)";
    let latencies = |s: &Session| -> Vec<f64> {
        let v = s
            .exec(
                "const l = window.__lat; window.__lat = []; return l",
                json!([]),
            )
            .unwrap();
        let mut l: Vec<f64> = v
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_f64())
            .collect();
        l.sort_by(f64::total_cmp);
        assert!(l.len() >= burst.len(), "keystrokes were timed: {}", l.len());
        l
    };
    let editor_text = |s: &Session| -> String {
        s.exec(
            "return window.__millwrightEditor.state.doc.toString()",
            json!([]),
        )
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
    };
    let clear_editor = |s: &Session| {
        s.exec(
            "const v = window.__millwrightEditor; v.dispatch({changes: {from: 0, to: v.state.doc.length, insert: ''}}); return true",
            json!([]),
        )
        .unwrap();
        s.click(".cm-content").unwrap();
    };
    let pct = |l: &[f64], p: f64| l[((l.len() - 1) as f64 * p).round() as usize];
    clear_editor(&s);
    for _ in 0..2 {
        s.keys(burst, 30).unwrap();
    }
    let idle = latencies(&s);
    assert_eq!(editor_text(&s), burst.repeat(2), "every key arrived");
    s.type_into(
        "#spec",
        "A start/stop latch for a pump: start sets running, stop resets it and wins.",
    )
    .unwrap();
    // No repair round (the default is two): `tests/commands.rs` runs the
    // rounds through the same command; here the window is under test, and
    // two attempts of four candidates outran the wait below on a slow CI day.
    s.exec(
        "const i = document.querySelector('.gen input[type=number]') || document.querySelector('input[type=number]'); i.value = '0'; i.dispatchEvent(new Event('input', {bubbles: true})); return i.value",
        json!([]),
    )
    .unwrap();
    s.click("#gen-run").unwrap();
    wait_in(
        &s,
        &shots,
        "the model to write",
        Duration::from_secs(60),
        || s.exists("#gen-draft"),
    );
    clear_editor(&s);
    let _ = latencies(&s);
    for _ in 0..2 {
        s.keys(burst, 30).unwrap();
    }
    let typed = editor_text(&s);
    let still_generating = s.exists("#gen-stop");
    shot(&s, "07-generating");
    let busy = latencies(&s);
    if still_generating {
        assert_eq!(
            typed,
            burst.repeat(2),
            "every key arrived while the model wrote"
        );
    }
    eprintln!(
        "keystroke to frame in the editor, idle: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms ({} keys); while the model generates (typing {}): p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms ({} keys); p95 ratio {:.2}",
        pct(&idle, 0.5),
        pct(&idle, 0.95),
        idle[idle.len() - 1],
        idle.len(),
        if still_generating { "ended before the model finished" } else { "outlasted the model" },
        pct(&busy, 0.5),
        pct(&busy, 0.95),
        busy[busy.len() - 1],
        busy.len(),
        pct(&busy, 0.95) / pct(&idle, 0.95).max(1.0)
    );
    wait_in(
        &s,
        &shots,
        "the verification summary",
        Duration::from_secs(600),
        || s.exists("#gen-summary"),
    );
    let summary = s.text("#gen-summary").unwrap();
    eprintln!(
        "generation in the app: {}",
        s.text("#speed").unwrap_or_default()
    );
    assert!(
        summary.contains("Parsed") && summary.contains("Tests") && summary.contains("Rounds"),
        "{summary}"
    );
    let code = s
        .exec(
            "return window.__millwrightEditor.state.doc.toString()",
            json!([]),
        )
        .unwrap();
    assert!(
        code.as_str().unwrap().contains("FUNCTION_BLOCK"),
        "the generated block is in the editor: {code}"
    );
    // By default four candidates under the block's own symbols, and the page says so.
    let candidates = s.text("#gen-candidates-summary").unwrap();
    assert!(candidates.contains("of 4 candidates"), "{candidates}");
    assert!(
        s.exists("#gen-constrained"),
        "the code was constrained to the declared symbols"
    );
    // The problem list follows the generated code (the checker runs 300 ms
    // after a change) and agrees with the summary's error count.
    wait_in(
        &s,
        &shots,
        "the problems of the generated code",
        Duration::from_secs(20),
        || {
            s.exec(
                "const m = document.querySelector('[data-part=\"gen.checked\"]').textContent.match(/\\((\\d+) \\//); return document.querySelectorAll('#problems li.error').length === Number(m[1])",
                json!([]),
            )
            .is_ok_and(|v| v == json!(true))
        },
    );
    shot(&s, "08-generated");

    // 5. Language: Chinese everywhere.
    s.click("#nav-settings").unwrap();
    s.exec(
        "const sel = document.querySelector('#language'); sel.value = 'zh'; sel.dispatchEvent(new Event('change', {bubbles: true})); return true",
        json!([]),
    )
    .unwrap();
    wait_in(
        &s,
        &shots,
        "the Chinese UI",
        Duration::from_secs(20),
        || s.text("#nav-ask").is_ok_and(|t| t == "问答"),
    );
    assert_eq!(s.text("#nav-docs").unwrap(), "文档");
    // The PLC view is hidden now; read the summary's text from the DOM.
    let summary = s
        .exec(
            "return document.querySelector('#gen-summary').textContent",
            json!([]),
        )
        .unwrap();
    assert!(
        summary.as_str().unwrap().contains("语法"),
        "the verification summary is translated too: {summary}"
    );
    shot(&s, "09-chinese");
    let errors = s.exec("return window.__errors", json!([])).unwrap();
    assert_eq!(errors, json!([]), "script errors in the UI");
    s.close();
    let saved = std::fs::read_to_string(home.path().join("settings.json")).unwrap();
    assert!(saved.contains("\"zh\""), "{saved}");
    for n in [
        "01-start",
        "02-documents",
        "03-answer",
        "04-calculation",
        "04b-calculator",
        "05-plc-error",
        "06-plc-fixed",
        "07-generating",
        "08-generated",
        "09-chinese",
    ] {
        let p = shots.join(format!("{n}.png"));
        assert!(
            std::fs::metadata(&p)
                .map(|m| m.len() > 1000)
                .unwrap_or(false),
            "{}",
            p.display()
        );
    }
    eprintln!("screenshots: {}", shots.display());
}
