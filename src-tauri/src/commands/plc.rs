//! PLC generation from a spec: the same pipeline as `millwright plc gen`
//! (generate under the ST grammar, check, simulate, repair), with each
//! attempt's code streamed to the UI as the model writes it.

use std::path::Path;

use millwright_copilot::io_list;
use millwright_copilot::plc::{self, Completer, Completion, GenSpec, Report, Stage};
use millwright_engine::GenerateRequest;
use millwright_iec61131::sim::Vectors;
use millwright_knowledge::index::Filter;
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::State;

use super::blocking;
use crate::state::Shared;
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

#[derive(Debug, Clone, Deserialize)]
pub struct GenRequest {
    pub spec: String,
    /// An IO list (CSV or Excel) giving the block's interface.
    #[serde(default)]
    pub io_list: Option<String>,
    /// Test vectors in the simulator's JSON format.
    #[serde(default)]
    pub vectors_json: Option<String>,
    /// Repair rounds after the first attempt.
    pub rounds: u32,
    /// Show the model passages of the indexed documents that cover the spec.
    #[serde(default)]
    pub use_documents: bool,
    /// Decode under the grammars of the block's own declarations.
    #[serde(default)]
    pub symbols: bool,
    /// Candidates of the first attempt, decoded side by side.
    #[serde(default = "one")]
    pub candidates: u32,
}

fn one() -> u32 {
    1
}

/// The engine as a completer that streams each attempt to the UI.
struct Streaming<'a, 'b> {
    inner: &'a mut dyn Completer,
    events: &'b Channel<GenEvent>,
    attempt: u32,
    stage: Stage,
}

impl Streaming<'_, '_> {
    /// Before a continuation's requests the draft becomes their prefill and
    /// goes on from it, so text after an end already shown is never appended.
    fn start(&mut self, request: &GenerateRequest) {
        if self.stage == Stage::Continuation {
            let _ = self.events.send(GenEvent::Draft {
                text: request.prefill.clone(),
            });
        }
    }

    /// Whether this stage's text is the block's code (test vectors are not).
    fn shows_text(&self) -> bool {
        self.stage != Stage::Vectors
    }
}

impl Completer for Streaming<'_, '_> {
    fn is_chat(&self) -> bool {
        self.inner.is_chat()
    }
    fn stage(&mut self, stage: Stage) {
        self.inner.stage(stage);
        self.stage = stage;
        if let Stage::Attempt { candidates } = stage {
            self.attempt += 1;
            let _ = self.events.send(GenEvent::Attempt {
                n: self.attempt,
                candidates: candidates as u32,
            });
        }
    }
    fn complete(&mut self, request: &GenerateRequest) -> Result<Completion, String> {
        self.start(request);
        let (events, shows) = (self.events, self.shows_text());
        self.inner.complete_streaming(request, &mut |t| {
            if shows {
                let _ = events.send(GenEvent::Token { text: t.to_owned() });
            }
        })
    }
    fn complete_batch(
        &mut self,
        requests: &[GenerateRequest],
        on_text: &mut dyn FnMut(usize, &str),
    ) -> Result<Vec<Completion>, String> {
        if let Some(first) = requests.first() {
            self.start(first);
        }
        let (events, shows) = (self.events, self.shows_text());
        self.inner.complete_batch(requests, &mut |k, t| {
            if k == 0 && shows {
                let _ = events.send(GenEvent::Token { text: t.to_owned() });
            }
            on_text(k, t);
        })
    }
}

/// Turns the request into the pipeline's spec, refusing bad input with a
/// message that names it.
fn gen_spec(s: &Shared, req: &GenRequest) -> Result<GenSpec, String> {
    let text = req.spec.trim();
    // The limits first, before any file is read.
    let bare = GenSpec {
        rounds: req.rounds,
        candidates: req.candidates,
        ..GenSpec::new(text)
    };
    bare.validate()?;
    let io = match req.io_list.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(p) => {
            let path = Path::new(p);
            if !path.is_absolute() || !path.is_file() {
                return Err(format!("IO list {p}: no such file"));
            }
            Some(io_list::read(path).map_err(|errs| {
                let lines: Vec<String> = errs.iter().take(10).map(|e| e.to_string()).collect();
                format!("IO list {p}: {}", lines.join("; "))
            })?)
        }
        None => None,
    };
    let vectors = match req.vectors_json.as_deref().filter(|v| !v.trim().is_empty()) {
        Some(v) => Some(Vectors::from_json(v).map_err(|e| format!("test vectors: {e}"))?),
        None => None,
    };
    let passages = if req.use_documents && s.kb_dir().join("state.sqlite").exists() {
        s.with_reader(|kb| plc::document_passages(kb, text, &Filter::default(), 2))?
    } else {
        Vec::new()
    };
    Ok(GenSpec {
        io,
        vectors,
        rounds: req.rounds,
        symbols: req.symbols,
        candidates: req.candidates,
        passages,
        ..GenSpec::new(text)
    })
}

pub fn generate_blocking(
    s: &Shared,
    req: &GenRequest,
    events: &Channel<GenEvent>,
) -> Result<Report, String> {
    let spec = gen_spec(s, req)?;
    if !spec.passages.is_empty() {
        let _ = events.send(GenEvent::Context {
            citations: spec.passages.iter().map(|p| p.citation.clone()).collect(),
        });
    }
    let loading = |path: &Path| {
        let _ = events.send(GenEvent::LoadingModel {
            path: path.display().to_string(),
        });
    };
    s.with_model(loading, |m| {
        let mut model = Streaming {
            inner: m,
            events,
            attempt: 0,
            stage: Stage::Attempt { candidates: 1 },
        };
        plc::generate(&mut model, &spec)
    })
}

#[tauri::command]
pub async fn plc_generate(
    state: State<'_, AppState>,
    request: GenRequest,
    on_event: Channel<GenEvent>,
) -> Result<Report, String> {
    let s = state.0.clone();
    blocking(move || generate_blocking(&s, &request, &on_event)).await
}
