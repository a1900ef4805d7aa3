//! Questions to the documents, answered by the model as it generates, or
//! handed to a mechanism model when they ask for a calculation.

use millwright_copilot::ask::{
    answer_streaming, calculate, retrieve, wants_calculation, Answer, AskOptions, ToolUse,
};
use millwright_copilot::plc::EngineCompleter;
use millwright_engine::{Engine, LoadParams, WorkerCommand};
use millwright_knowledge::index::Filter;
use millwright_models::local::Settings;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use super::blocking;
use crate::state::{lock, Shared};
use crate::{AppState, ENGINE_WORKER_ARG};

/// What the UI sees while an answer is made, in order.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AskEvent {
    /// Passages found; `answerable` false means the documents hold no answer.
    Retrieved {
        answerable: bool,
        citations: Vec<super::docs::HitView>,
    },
    /// The model is being loaded (first question, or after settings changed).
    LoadingModel {
        path: String,
    },
    /// A calculation answered: the call, and what the tool computed.
    Tool {
        tool: ToolUse,
    },
    Token {
        text: String,
    },
    Done {
        tokens_per_s: f64,
    },
}

/// Starts the engine with the settings' model if it is not running.
fn ensure_engine(s: &Shared, events: &Channel<AskEvent>) -> Result<(), String> {
    let mut guard = lock(&s.engine);
    if guard.is_some() {
        return Ok(());
    }
    let settings = Settings::load(&s.home).map_err(|e| e.to_string())?;
    let path = super::app::model_path(&s.home)?;
    let _ = events.send(AskEvent::LoadingModel {
        path: path.display().to_string(),
    });
    let mut engine = Engine::new(WorkerCommand {
        program: s.worker_exe.clone(),
        args: vec![ENGINE_WORKER_ARG.into()],
    });
    let params = LoadParams {
        n_ctx: settings.context_size,
        threads: settings.threads,
        gpu_layers: settings.gpu_layers.unwrap_or(0),
        ..LoadParams::default()
    };
    let info = engine
        .load(&path, params)
        .map_err(|e| format!("the model could not be loaded: {e}"))?;
    *lock(&s.canceller) = Some(engine.canceller());
    *guard = Some((engine, info));
    Ok(())
}

pub fn ask_blocking(
    s: &Shared,
    question: &str,
    collection: Option<String>,
    events: &Channel<AskEvent>,
) -> Result<Answer, String> {
    if wants_calculation(question) {
        ensure_engine(s, events)?;
        let mut guard = lock(&s.engine);
        let (engine, info) = guard.as_mut().expect("started above");
        let is_chat = info.is_chat;
        let mut model = EngineCompleter { engine, is_chat };
        match calculate(&mut model, question) {
            Ok(Some(a)) => {
                if let Some(tool) = &a.tool {
                    let _ = events.send(AskEvent::Tool { tool: tool.clone() });
                }
                let _ = events.send(AskEvent::Token {
                    text: a.answer.clone(),
                });
                // The call is a few dozen tokens: no speed worth showing.
                let _ = events.send(AskEvent::Done { tokens_per_s: 0.0 });
                return Ok(a);
            }
            // No tool fits: the documents may hold the answer.
            Ok(None) => {}
            Err(e) => return Err(restart_note(e)),
        }
    }
    let opts = AskOptions {
        filter: Filter {
            collection,
            ..Filter::default()
        },
        ..AskOptions::default()
    };
    let r = s.with_reader(|kb| retrieve(kb, question, &opts))?;
    let _ = events.send(AskEvent::Retrieved {
        answerable: r.answerable,
        citations: r.hits.iter().map(super::docs::HitView::from).collect(),
    });
    if !r.answerable {
        let a = r.not_found();
        let _ = events.send(AskEvent::Token {
            text: a.answer.clone(),
        });
        let _ = events.send(AskEvent::Done { tokens_per_s: 0.0 });
        return Ok(a);
    }
    ensure_engine(s, events)?;
    let mut guard = lock(&s.engine);
    let (engine, info) = guard.as_mut().expect("started above");
    let is_chat = info.is_chat;
    let started = std::time::Instant::now();
    let mut pieces = 0usize;
    let mut model = EngineCompleter { engine, is_chat };
    let result = answer_streaming(&mut model, &r, opts.max_tokens, &mut |t| {
        pieces += 1;
        let _ = events.send(AskEvent::Token { text: t.to_owned() });
    });
    match result {
        Ok(a) => {
            let secs = started.elapsed().as_secs_f64().max(1e-6);
            let _ = events.send(AskEvent::Done {
                tokens_per_s: pieces as f64 / secs,
            });
            Ok(a)
        }
        Err(e) => Err(restart_note(e)),
    }
}

/// The engine restarts its worker on the next request; say so.
fn restart_note(e: String) -> String {
    format!("{e}. Ask again: the model is restarted automatically.")
}

#[tauri::command]
pub async fn ask(
    state: State<'_, AppState>,
    question: String,
    collection: Option<String>,
    on_event: Channel<AskEvent>,
) -> Result<Answer, String> {
    let q = question.trim().to_owned();
    if q.is_empty() {
        return Err("type a question first".into());
    }
    if q.chars().count() > 4000 {
        return Err("the question is longer than 4,000 characters; shorten it".into());
    }
    let s = state.0.clone();
    blocking(move || ask_blocking(&s, &q, collection, &on_event)).await
}

/// Stops the answer being generated (nothing happens if none is).
#[tauri::command]
pub fn cancel(state: State<'_, AppState>) {
    if let Some(c) = lock(&state.0.canceller).as_ref() {
        c.cancel();
    }
}
