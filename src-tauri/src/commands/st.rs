//! Structured Text in the editor: live diagnostics, formatting, test vectors.

use millwright_copilot::st_library::StLibrary;
use millwright_iec61131::diagnostics::LineIndex;
use millwright_iec61131::render::{locate, Located};
use millwright_iec61131::sim::{self, vectors, Vectors};
use millwright_models::local::Settings;
use tauri::State;

use crate::state::AppState;

/// Most code the editor sends at once (the checker is linear; this bounds a paste).
const MAX_CODE: usize = 8 << 20;

fn bounded(code: &str) -> Result<(), String> {
    if code.len() > MAX_CODE {
        return Err(format!("the code is larger than {} MiB", MAX_CODE >> 20));
    }
    Ok(())
}

/// The library sources the settings name (read fresh: the user may be
/// editing them); an error says which path and what to do.
fn libraries(state: &AppState) -> Result<StLibrary, String> {
    let settings = Settings::load(&state.0.home).map_err(|e| e.to_string())?;
    StLibrary::load(&settings.st_libraries)
        .map_err(|e| format!("{e}; fix the ST libraries in the settings"))
}

#[tauri::command]
pub async fn st_check(state: State<'_, AppState>, code: String) -> Result<Vec<Located>, String> {
    bounded(&code)?;
    let state = AppState(state.0.clone());
    super::blocking(move || {
        let library = libraries(&state)?;
        let (mut parsed, _) = library.check(&[code.as_str()]);
        Ok(locate(&code, &parsed.remove(0).diagnostics))
    })
    .await
}

#[tauri::command]
pub async fn st_format(code: String) -> Result<String, String> {
    bounded(&code)?;
    super::blocking(move || {
        millwright_iec61131::format::format(&code).map_err(|diags| {
            let first = locate(&code, &diags[..1.min(diags.len())]);
            match first.first() {
                Some(d) => format!(
                    "the code does not parse (line {}: {}); fix it before formatting",
                    d.line, d.message
                ),
                None => "the code does not parse; fix it before formatting".into(),
            }
        })
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
        let v = Vectors::from_json(&vectors_json).map_err(|e| format!("test vectors: {e}"))?;
        let library = libraries(&state)?;
        let prog = library
            .load_program(&[code.as_str()])
            .map_err(|sim::LoadError(files)| {
                let errors = files[0]
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == millwright_iec61131::Severity::Error)
                    .count();
                format!("the code has {errors} error(s); fix them before running tests")
            })?;
        let index = LineIndex::new(&code);
        let locate = |s: millwright_iec61131::token::Span| index.line_col(s.start as usize);
        vectors::run_recorded(&prog, &v, &locate)
            .map_err(|problems| format!("test vectors: {}", problems.join("; ")))
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
        let parsed = millwright_iec61131::parse(&code);
        if parsed.has_errors() {
            return Err("the code does not parse; fix the errors before exporting".into());
        }
        let created = millwright_iec61131::plcopen::now_xsd_datetime();
        let e = millwright_iec61131::plcopen::export(&code, &parsed.file, "millwright", &created);
        Ok(PlcOpen {
            xml: e.xml,
            notes: e.notes,
        })
    })
    .await
}
