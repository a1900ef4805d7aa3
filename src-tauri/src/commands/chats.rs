//! Saved conversations: one JSON file per chat in `chats/` of the data directory.

use serde::{Deserialize, Serialize};
use tauri::State;

use super::blocking;
use crate::AppState;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// `user` or `assistant`.
    pub role: String,
    pub text: String,
    /// The answer's citations as the UI shows them (any JSON).
    #[serde(default)]
    pub citations: serde_json::Value,
    /// The calculation that answered, as the UI shows it (any JSON).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub tool: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Chat {
    pub id: String,
    pub title: String,
    pub updated: u64,
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChatSummary {
    pub id: String,
    pub title: String,
    pub updated: u64,
}

/// Chat ids become file names: letters, digits and `-` only.
pub fn valid_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(format!("{id:?} is not a chat id"));
    }
    Ok(())
}

fn dir(state: &AppState) -> std::path::PathBuf {
    state.0.home().root().join("chats")
}

#[tauri::command]
pub async fn chats_list(state: State<'_, AppState>) -> Result<Vec<ChatSummary>, String> {
    let d = dir(&state);
    blocking(move || {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(&d) else {
            return Ok(out);
        };
        for e in entries.flatten() {
            let Ok(text) = std::fs::read_to_string(e.path()) else {
                continue;
            };
            if let Ok(c) = serde_json::from_str::<Chat>(&text) {
                out.push(ChatSummary {
                    id: c.id,
                    title: c.title,
                    updated: c.updated,
                });
            }
        }
        out.sort_by_key(|c| std::cmp::Reverse(c.updated));
        Ok(out)
    })
    .await
}

#[tauri::command]
pub async fn chat_save(state: State<'_, AppState>, chat: Chat) -> Result<(), String> {
    valid_id(&chat.id)?;
    let d = dir(&state);
    blocking(move || {
        std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        let path = d.join(format!("{}.json", chat.id));
        let tmp = d.join(format!("{}.json.tmp", chat.id));
        let text = serde_json::to_string_pretty(&chat).map_err(|e| e.to_string())?;
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("{}: {e}", path.display()))
    })
    .await
}

#[tauri::command]
pub async fn chat_load(state: State<'_, AppState>, id: String) -> Result<Chat, String> {
    valid_id(&id)?;
    let path = dir(&state).join(format!("{id}.json"));
    blocking(move || {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    })
    .await
}
