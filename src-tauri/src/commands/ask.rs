//! Questions to the documents, answered by the model as it generates, or
//! handed to a mechanism model when they ask for a calculation: the
//! application layer's `ask`, its sink turned into channel events.

use millwright_app::ask::{AskRequest, AskSink};
use millwright_copilot::ask::{Answer, Retrieval, ToolUse};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use super::blocking;
use crate::state::{message, Shared};
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

/// The channel as the use case's sink (a closed window drops events).
struct Events<'a>(&'a Channel<AskEvent>);

impl AskSink for Events<'_> {
    fn loading_model(&mut self, path: &std::path::Path) {
        let _ = self.0.send(AskEvent::LoadingModel {
            path: path.display().to_string(),
        });
    }
    fn retrieved(&mut self, r: &Retrieval) {
        let _ = self.0.send(AskEvent::Retrieved {
            answerable: r.answerable,
            citations: r.hits.iter().map(super::docs::HitView::from).collect(),
        });
    }
    fn tool(&mut self, tool: &ToolUse) {
        let _ = self.0.send(AskEvent::Tool { tool: tool.clone() });
    }
    fn token(&mut self, text: &str) {
        let _ = self.0.send(AskEvent::Token {
            text: text.to_owned(),
        });
    }
    fn done(&mut self, tokens_per_s: f64) {
        let _ = self.0.send(AskEvent::Done { tokens_per_s });
    }
}

pub fn ask_blocking(
    s: &Shared,
    request: &AskRequest,
    events: &Channel<AskEvent>,
) -> Result<Answer, String> {
    millwright_app::ask::ask(&s.ws, request, &mut Events(events)).map_err(message)
}

#[tauri::command]
pub async fn ask(
    state: State<'_, AppState>,
    question: String,
    collection: Option<String>,
    on_event: Channel<AskEvent>,
) -> Result<Answer, String> {
    let request = AskRequest {
        collection,
        ..AskRequest::new(question)
    };
    // Refused here, before a blocking thread is taken for it.
    request.validate().map_err(message)?;
    let s = state.0.clone();
    blocking(move || ask_blocking(&s, &request, &on_event)).await
}

/// Stops the answer being generated (nothing happens if none is).
#[tauri::command]
pub fn cancel(state: State<'_, AppState>) {
    state.0.ws.cancel();
}
