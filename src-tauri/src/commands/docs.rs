//! The knowledge base: the application layer's documents use cases (add
//! with live progress, list, status, search, remove), and the passages and
//! PDF pages the source viewer shows.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use millwright_app::docs::{self, AddRequest, AddSink, DocView, SearchRequest};
use millwright_knowledge::{AddReport, Hit, KbStatus, Progress};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use super::blocking;
use crate::state::message;
use crate::AppState;

#[derive(Debug, Clone, Serialize)]
pub struct HitView {
    pub chunk_id: i64,
    pub path: String,
    pub page: Option<u32>,
    pub citation: String,
    pub snippet: String,
    pub highlights: Vec<(usize, usize)>,
    pub score: f32,
}

impl From<&Hit> for HitView {
    fn from(h: &Hit) -> Self {
        HitView {
            chunk_id: h.chunk_id,
            path: h.path.clone(),
            page: h.page,
            citation: h.citation(),
            snippet: h.snippet.text.clone(),
            highlights: h.snippet.highlights.clone(),
            score: h.score,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ChunkView {
    pub path: String,
    pub page: Option<u32>,
    /// Includes the heading path, as the citation chips do.
    pub citation: String,
    pub text: String,
}

/// Adds files and folders; `on_progress` gets an event after every file.
#[tauri::command]
pub async fn docs_add(
    state: State<'_, AppState>,
    paths: Vec<String>,
    collection: Option<String>,
    on_progress: Channel<Progress>,
) -> Result<AddReport, String> {
    let s = state.0.clone();
    let request = AddRequest {
        collection,
        ..AddRequest::new(paths.into_iter().map(PathBuf::from).collect())
    };
    request.validate().map_err(message)?;
    if s.indexing.swap(true, Ordering::SeqCst) {
        return Err("documents are being indexed already; wait for that to finish".into());
    }
    let flag = s.clone();
    let result = blocking(move || add_blocking(&s, &request, &on_progress)).await;
    flag.indexing.store(false, Ordering::SeqCst);
    result
}

/// The channel as the use case's sink.
struct Events<'a>(&'a Channel<Progress>);

impl AddSink for Events<'_> {
    fn progress(&mut self, p: &Progress) {
        let _ = self.0.send(p.clone());
    }
}

/// Indexes the request's paths, sending progress after every file.
pub fn add_blocking(
    s: &crate::Shared,
    request: &AddRequest,
    on_progress: &Channel<Progress>,
) -> Result<AddReport, String> {
    docs::add(&s.ws, request, &mut Events(on_progress)).map_err(message)
}

#[tauri::command]
pub async fn docs_list(
    state: State<'_, AppState>,
    collection: Option<String>,
) -> Result<Vec<DocView>, String> {
    let s = state.0.clone();
    blocking(move || {
        let rows = docs::list(&s.ws, collection.as_deref()).map_err(message)?;
        Ok(rows.into_iter().map(DocView::from).collect())
    })
    .await
}

#[tauri::command]
pub async fn docs_status(state: State<'_, AppState>) -> Result<KbStatus, String> {
    let s = state.0.clone();
    blocking(move || docs::status(&s.ws).map_err(message)).await
}

#[tauri::command]
pub async fn docs_search(
    state: State<'_, AppState>,
    query: String,
    k: Option<usize>,
    collection: Option<String>,
) -> Result<Vec<HitView>, String> {
    let s = state.0.clone();
    let request = SearchRequest {
        k: k.unwrap_or(10),
        collection,
        ..SearchRequest::new(query)
    };
    request.validate().map_err(message)?;
    blocking(move || {
        let hits = docs::search(&s.ws, &request).map_err(message)?;
        Ok(hits.iter().map(HitView::from).collect())
    })
    .await
}

/// One chunk's whole text, for the source viewer a citation opens.
#[tauri::command]
pub async fn docs_chunk(state: State<'_, AppState>, chunk_id: i64) -> Result<ChunkView, String> {
    let s = state.0.clone();
    blocking(move || {
        s.with_reader(|kb| {
            let c = kb
                .chunk(chunk_id)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| {
                    format!("passage {chunk_id} is no longer in the knowledge base; search again")
                })?;
            let citation = c.citation();
            Ok(ChunkView {
                path: c.path,
                page: c.page,
                citation,
                text: c.text,
            })
        })
    })
    .await
}

/// The page of a PDF a passage comes from, as a PNG data URL for the viewer.
/// It takes the passage, not a path: the UI cannot have any other file read.
#[tauri::command]
pub async fn docs_page(state: State<'_, AppState>, chunk_id: i64) -> Result<String, String> {
    let s = state.0.clone();
    blocking(move || {
        let c = s.with_reader(|kb| {
            kb.chunk(chunk_id)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("passage {chunk_id} is no longer in the knowledge base"))
        })?;
        let page = c
            .page
            .filter(|_| c.path.to_ascii_lowercase().ends_with(".pdf"))
            .ok_or_else(|| format!("{} has no pages to show", c.path))?;
        use base64::Engine as _;
        let png = crate::pdf_page::render(std::path::Path::new(&c.path), page)?;
        Ok(format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(png)
        ))
    })
    .await
}

/// Rebuilds the search index from the passages saved in the database (after
/// an interrupted run left them disagreeing); the number of passages indexed.
#[tauri::command]
pub async fn docs_reindex(state: State<'_, AppState>) -> Result<u64, String> {
    let s = state.0.clone();
    if s.indexing.load(Ordering::SeqCst) {
        return Err("documents are being indexed; rebuild the index when that has finished".into());
    }
    blocking(move || docs::reindex(&s.ws).map_err(message)).await
}

#[tauri::command]
pub async fn docs_remove(
    state: State<'_, AppState>,
    paths: Vec<String>,
    collection: Option<String>,
) -> Result<u64, String> {
    let s = state.0.clone();
    if s.indexing.load(Ordering::SeqCst) {
        return Err("documents are being indexed; remove them when that has finished".into());
    }
    blocking(move || {
        let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
        docs::remove(&s.ws, &paths, collection.as_deref()).map_err(message)
    })
    .await
}
