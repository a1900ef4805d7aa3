//! Questions to the documents, answered by the model as it generates, or
//! handed to a mechanism model when they ask for a calculation.

use millwright_copilot::ask::{
    answer_streaming, calculate, retrieve, validate_question, wants_calculation, Answer,
    AskOptions, ToolUse,
};
use millwright_knowledge::index::Filter;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use super::blocking;
use crate::state::{lock, Shared};
use crate::AppState;

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

pub fn ask_blocking(
    s: &Shared,
    question: &str,
    collection: Option<String>,
    events: &Channel<AskEvent>,
) -> Result<Answer, String> {
    let loading = |path: &std::path::Path| {
        let _ = events.send(AskEvent::LoadingModel {
            path: path.display().to_string(),
        });
    };
    if wants_calculation(question) {
        let calc = s.with_model(loading, |m| calculate(m, question))?;
        // None: no tool fits, and the documents may hold the answer.
        if let Some(a) = calc {
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
    let mut pieces = 0usize;
    let (a, secs) = s.with_model(loading, |m| {
        // Timed after loading: the speed is the model's, not the disk's.
        let started = std::time::Instant::now();
        let a = answer_streaming(m, &r, opts.max_tokens, &mut |t| {
            pieces += 1;
            let _ = events.send(AskEvent::Token { text: t.to_owned() });
        })?;
        Ok((a, started.elapsed().as_secs_f64().max(1e-6)))
    })?;
    let _ = events.send(AskEvent::Done {
        tokens_per_s: pieces as f64 / secs,
    });
    Ok(a)
}

#[tauri::command]
pub async fn ask(
    state: State<'_, AppState>,
    question: String,
    collection: Option<String>,
    on_event: Channel<AskEvent>,
) -> Result<Answer, String> {
    let q = question.trim().to_owned();
    validate_question(&q)?;
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
