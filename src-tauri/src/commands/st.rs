//! Structured Text in the editor: live diagnostics, formatting, test
//! vectors, a run in the simulator.

use millwright_copilot::st_library::StLibrary;
use millwright_iec61131::render::{locate, Located};
use millwright_iec61131::sim::vectors;
use tauri::State;

use crate::state::{message, AppState};

/// The editor's code, bounded as every use case bounds code (a paste).
fn bounded(code: &str) -> Result<(), String> {
    millwright_app::plc::bounded("the code", code).map_err(message)
}

/// The library sources the settings name, read afresh.
fn libraries(state: &AppState) -> Result<StLibrary, String> {
    millwright_app::st::settings_libraries(&state.0.ws).map_err(message)
}

/// The editor's code checked with the settings' libraries, each diagnostic
/// at its line and column.
#[tauri::command]
pub async fn st_check(state: State<'_, AppState>, code: String) -> Result<Vec<Located>, String> {
    bounded(&code)?;
    let state = AppState(state.0.clone());
    super::blocking(move || {
        let library = libraries(&state)?;
        let report =
            millwright_app::code::check(vec![(EDITOR.into(), code)], &library).map_err(message)?;
        let f = &report.files[0];
        Ok(locate(&f.text, &f.diagnostics))
    })
    .await
}

/// What the app calls the code in its editor, in messages.
const EDITOR: &str = "the editor's code";

/// The first syntax error of code that does not parse, for a one-line message.
fn not_parsed(code: &str, e: millwright_app::AppError, then: &str) -> String {
    match e {
        millwright_app::AppError::CodeErrors { diagnostics, .. } => {
            match locate(code, &diagnostics[..1.min(diagnostics.len())]).first() {
                Some(d) => format!(
                    "the code does not parse (line {}: {}); fix it before {then}",
                    d.line, d.message
                ),
                None => format!("the code does not parse; fix it before {then}"),
            }
        }
        other => message(other),
    }
}

#[tauri::command]
pub async fn st_format(code: String) -> Result<String, String> {
    bounded(&code)?;
    super::blocking(move || {
        millwright_app::code::format(EDITOR, &code).map_err(|e| not_parsed(&code, e, "formatting"))
    })
    .await
}

/// A Structured Text file for the editor: ST as it is, PLCopen XML and
/// TwinCAT `.TcPOU` imported as ST.
#[tauri::command]
pub async fn st_open(path: String) -> Result<String, String> {
    super::blocking(move || {
        millwright_app::code::read(std::path::Path::new(&path)).map_err(message)
    })
    .await
}

/// Runs test vectors (the simulator's JSON format) against the code.
#[tauri::command]
pub async fn st_test(
    state: State<'_, AppState>,
    code: String,
    vectors_json: String,
) -> Result<vectors::Report, String> {
    bounded(&code)?;
    let state = AppState(state.0.clone());
    super::blocking(move || {
        let library = libraries(&state)?;
        millwright_app::st::test(EDITOR, &code, "test vectors", &vectors_json, &library, true)
            .map(|(report, _)| report)
            .map_err(message)
    })
    .await
}

/// A run of the editor's code in the simulator: the outputs after the last
/// cycle and the run's timing diagram.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunView {
    #[serde(flatten)]
    pub report: millwright_app::st::RunReport,
    /// The outputs' values after the last cycle run.
    pub last: serde_json::Map<String, serde_json::Value>,
}

/// Keeps the last row the run reports.
#[derive(Default)]
struct LastRow(serde_json::Map<String, serde_json::Value>);

impl millwright_app::st::RunSink for LastRow {
    fn row(&mut self, _cycle: u64, _time_ms: f64, outputs: &[(&str, serde_json::Value)]) {
        self.0 = outputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
    }
}

/// Runs a POU of the editor's code for some cycles with its inputs held
/// (`st run`), with the settings' libraries, always as a timing diagram.
#[tauri::command]
pub async fn st_run(
    state: State<'_, AppState>,
    mut request: millwright_app::st::RunRequest,
) -> Result<RunView, String> {
    // The window shows the diagram and the final values, never a row per cycle.
    request.trace = false;
    request.diagram = true;
    request.validate().map_err(message)?;
    let state = AppState(state.0.clone());
    super::blocking(move || {
        let library = millwright_app::st::settings_libraries(&state.0.ws).map_err(message)?;
        let mut last = LastRow::default();
        let report = millwright_app::st::run(&request, &library, &mut last).map_err(message)?;
        Ok(RunView {
            report,
            last: last.0,
        })
    })
    .await
}

/// The code as PLCopen TC6 XML (IEC 61131-10), for the UI to save; the notes
/// list what TC6 cannot carry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlcOpen {
    pub xml: String,
    pub notes: Vec<String>,
}

#[tauri::command]
pub async fn st_plcopen(code: String) -> Result<PlcOpen, String> {
    bounded(&code)?;
    super::blocking(move || {
        let e = millwright_app::code::export_plcopen(EDITOR, &code, "millwright")
            .map_err(|e| not_parsed(&code, e, "exporting"))?;
        Ok(PlcOpen {
            xml: e.xml,
            notes: e.notes,
        })
    })
    .await
}
