//! PLC code: generation from a spec (the application layer's pipeline, each
//! attempt's code streamed to the UI as the model writes it), explaining and
//! commenting code, and IO lists to global declarations.

use std::path::{Path, PathBuf};

use millwright_app::plc::{self as app_plc, GenRequest, GenSink, Gvl, Lang};
use millwright_copilot::plc::Report;
use millwright_copilot::plc_doc::Explanation;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use super::blocking;
use crate::state::{message, Shared};
use crate::AppState;

/// What the UI sees while a block is generated, in order.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GenEvent {
    /// Passages of the user's documents shown to the model.
    Context {
        citations: Vec<String>,
    },
    LoadingModel {
        path: String,
    },
    /// An attempt starts: 1 is the first, later ones repair the best so far;
    /// `candidates` decode side by side (the draft shows the first, greedy one).
    Attempt {
        n: u32,
        candidates: u32,
    },
    /// The draft so far, replacing what is shown: a later phase continues
    /// this text (the locals, or a body whose end was taken back).
    Draft {
        text: String,
    },
    Token {
        text: String,
    },
}

/// The channel as the use case's sink.
struct Events<'a>(&'a Channel<GenEvent>);

impl GenSink for Events<'_> {
    fn context(&mut self, citations: &[String]) {
        let _ = self.0.send(GenEvent::Context {
            citations: citations.to_vec(),
        });
    }
    fn loading_model(&mut self, path: &Path) {
        let _ = self.0.send(GenEvent::LoadingModel {
            path: path.display().to_string(),
        });
    }
    fn attempt(&mut self, n: u32, candidates: u32) {
        let _ = self.0.send(GenEvent::Attempt { n, candidates });
    }
    fn draft(&mut self, text: &str) {
        let _ = self.0.send(GenEvent::Draft {
            text: text.to_owned(),
        });
    }
    fn token(&mut self, text: &str) {
        let _ = self.0.send(GenEvent::Token {
            text: text.to_owned(),
        });
    }
}

pub fn generate_blocking(
    s: &Shared,
    req: &GenRequest,
    events: &Channel<GenEvent>,
) -> Result<Report, String> {
    app_plc::generate(&s.ws, req, &mut Events(events)).map_err(message)
}

#[tauri::command]
pub async fn plc_generate(
    state: State<'_, AppState>,
    request: GenRequest,
    on_event: Channel<GenEvent>,
) -> Result<Report, String> {
    request.validate().map_err(message)?;
    let s = state.0.clone();
    blocking(move || generate_blocking(&s, &request, &on_event)).await
}

/// What explaining and commenting tell the UI while the model loads.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelEvent {
    LoadingModel { path: String },
}

fn loading(events: &Channel<ModelEvent>) -> impl FnMut(&Path) + '_ {
    move |p| {
        let _ = events.send(ModelEvent::LoadingModel {
            path: p.display().to_string(),
        });
    }
}

/// What the editor's code is called in messages.
const EDITOR: &str = "the code in the editor";

#[tauri::command]
pub async fn plc_explain(
    state: State<'_, AppState>,
    code: String,
    lang: String,
    on_event: Channel<ModelEvent>,
) -> Result<Explanation, String> {
    let lang = Lang::parse(&lang).map_err(message)?;
    app_plc::bounded(EDITOR, &code).map_err(message)?;
    let s = state.0.clone();
    blocking(move || {
        app_plc::explain(&s.ws, EDITOR, &code, lang, &mut loading(&on_event)).map_err(message)
    })
    .await
}

#[tauri::command]
pub async fn plc_comment(
    state: State<'_, AppState>,
    code: String,
    on_event: Channel<ModelEvent>,
) -> Result<String, String> {
    app_plc::bounded(EDITOR, &code).map_err(message)?;
    let s = state.0.clone();
    blocking(move || {
        app_plc::comment(&s.ws, EDITOR, &code, &mut loading(&on_event)).map_err(message)
    })
    .await
}

/// An IO list (CSV or Excel) as a VAR_GLOBAL list of located variables.
#[tauri::command]
pub async fn plc_io(path: PathBuf, gvl: Option<String>) -> Result<Gvl, String> {
    blocking(move || {
        let name = gvl.as_deref().map(str::trim).filter(|n| !n.is_empty());
        app_plc::io_to_gvl(&path, name).map_err(message)
    })
    .await
}
