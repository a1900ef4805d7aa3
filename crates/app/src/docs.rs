//! The design-document knowledge base: add files and folders with progress,
//! list, status, search, remove, rebuild the index.

use std::path::PathBuf;

use millwright_knowledge::store::DocRow;
use millwright_knowledge::{AddReport, Hit, KbStatus, Progress};
use serde::{Deserialize, Serialize};

use crate::ask::{check_kinds, documents_filter};
use crate::error::{AppError, Result};
use crate::workspace::Workspace;

pub const DEFAULT_COLLECTION: &str = "default";
/// Most results one search returns.
pub const MAX_RESULTS: usize = 100;
/// The longest search query, in characters (as a question).
pub const MAX_QUERY_CHARS: usize = millwright_copilot::ask::MAX_QUESTION_CHARS;

impl From<millwright_knowledge::Error> for AppError {
    fn from(e: millwright_knowledge::Error) -> Self {
        match e {
            millwright_knowledge::Error::Input(m) => AppError::Input(m),
            other => AppError::Documents(other.to_string()),
        }
    }
}

/// A collection's name, trimmed; `None` is the default collection.
pub fn collection_name(c: Option<&str>) -> Result<String> {
    let c = c.unwrap_or(DEFAULT_COLLECTION).trim();
    if c.is_empty() || c.chars().count() > 100 {
        return Err(AppError::Input(
            "a collection name must have 1 to 100 characters".into(),
        ));
    }
    Ok(c.to_owned())
}

#[derive(Debug, Clone, Deserialize)]
pub struct AddRequest {
    pub paths: Vec<PathBuf>,
    #[serde(default)]
    pub collection: Option<String>,
    /// Leave scanned pages and images unread even when the settings turn OCR on.
    #[serde(default)]
    pub no_ocr: bool,
    /// Seconds allowed per file (plus 5 s per MiB); default the knowledge base's.
    #[serde(default)]
    pub file_timeout_s: Option<u64>,
    /// Memory the extractor may use, MiB; default the knowledge base's.
    #[serde(default)]
    pub file_memory_mib: Option<u64>,
}

impl AddRequest {
    pub fn new(paths: Vec<PathBuf>) -> Self {
        AddRequest {
            paths,
            collection: None,
            no_ocr: false,
            file_timeout_s: None,
            file_memory_mib: None,
        }
    }

    pub fn validate(&self) -> Result<()> {
        collection_name(self.collection.as_deref())?;
        if self.paths.is_empty() {
            return Err(AppError::Input("choose at least one file or folder".into()));
        }
        if let Some(p) = self.paths.iter().find(|p| !p.exists()) {
            return Err(AppError::Input(format!(
                "{}: no such file or folder",
                p.display()
            )));
        }
        if self.file_timeout_s == Some(0) || self.file_memory_mib == Some(0) {
            return Err(AppError::Input(
                "the time and memory a file may take must be more than 0".into(),
            ));
        }
        Ok(())
    }
}

/// What a front end hears while documents are added.
pub trait AddSink {
    /// Documents an interrupted run left unfinished were reset (they are
    /// indexed again now).
    fn recovered(&mut self, _documents: usize) {}
    /// After every file, and when the run ends.
    fn progress(&mut self, _p: &Progress) {}
}

impl AddSink for () {}

/// Indexes the paths into the collection; again on the same folder indexes
/// only what changed. Paths are made absolute first (the index keeps them so).
pub fn add(ws: &Workspace, req: &AddRequest, sink: &mut dyn AddSink) -> Result<AddReport> {
    req.validate()?;
    let collection = collection_name(req.collection.as_deref())?;
    let paths: Vec<PathBuf> = req
        .paths
        .iter()
        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
        .collect();
    let mut options = ws.kb_options()?;
    options.ocr = options.ocr && !req.no_ocr;
    if let Some(s) = req.file_timeout_s {
        options.limits.time_base = std::time::Duration::from_secs(s);
    }
    if let Some(m) = req.file_memory_mib {
        options.limits.memory_mib = m;
    }
    let mut kb = ws.open_kb(options)?;
    if kb.recovered > 0 {
        sink.recovered(kb.recovered);
    }
    Ok(kb.add(&paths, &collection, &mut |p| sink.progress(p))?)
}

/// The documents (of one collection) and their state; none when nothing was
/// ever added (no knowledge base is created to say so).
pub fn list(ws: &Workspace, collection: Option<&str>) -> Result<Vec<DocRow>> {
    if !ws.has_documents() {
        return Ok(Vec::new());
    }
    ws.with_reader(|kb| Ok(kb.documents(collection)?))
}

pub fn status(ws: &Workspace) -> Result<KbStatus> {
    ws.with_reader(|kb| Ok(kb.status()?))
}

#[derive(Debug, Clone, Deserialize)]
pub struct SearchRequest {
    pub query: String,
    #[serde(default = "default_k")]
    pub k: usize,
    #[serde(default)]
    pub collection: Option<String>,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub under: Option<PathBuf>,
}

fn default_k() -> usize {
    10
}

impl SearchRequest {
    pub fn new(query: impl Into<String>) -> Self {
        SearchRequest {
            query: query.into(),
            k: default_k(),
            collection: None,
            kinds: Vec::new(),
            under: None,
        }
    }

    pub fn validate(&self) -> Result<()> {
        let q = self.query.trim();
        if q.is_empty() {
            return Err(AppError::Input(
                "the search is empty; type what to find".into(),
            ));
        }
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(AppError::Input(format!(
                "the search is longer than {MAX_QUERY_CHARS} characters; shorten it"
            )));
        }
        if !(1..=MAX_RESULTS).contains(&self.k) {
            return Err(AppError::Input(format!(
                "{} results is not possible; use 1 to {MAX_RESULTS}",
                self.k
            )));
        }
        check_kinds(&self.kinds)
    }
}

/// The best passages for a query; none when nothing was ever added.
pub fn search(ws: &Workspace, req: &SearchRequest) -> Result<Vec<Hit>> {
    req.validate()?;
    if !ws.has_documents() {
        return Ok(Vec::new());
    }
    let filter = documents_filter(
        req.collection.clone(),
        req.kinds.clone(),
        req.under.as_deref(),
    );
    ws.with_reader(|kb| Ok(kb.search(req.query.trim(), &filter, req.k)?))
}

/// Removes files or folders (or, with only a collection, the whole
/// collection); the number of documents removed.
pub fn remove(ws: &Workspace, paths: &[PathBuf], collection: Option<&str>) -> Result<u64> {
    let mut kb = ws.open_kb(ws.kb_options()?)?;
    Ok(kb.remove(paths, collection)?)
}

/// Rebuilds the search index from the saved chunks; the chunks indexed.
pub fn reindex(ws: &Workspace) -> Result<u64> {
    let mut kb = ws.open_kb(ws.kb_options()?)?;
    Ok(kb.reindex()?)
}

/// A document row as both front ends print it.
#[derive(Debug, Clone, Serialize)]
pub struct DocView {
    pub collection: String,
    pub path: String,
    pub kind: String,
    pub size: u64,
    pub status: String,
    pub error: Option<String>,
    pub notes: Vec<String>,
    pub pages: Option<u32>,
    pub chunks: u64,
}

impl From<DocRow> for DocView {
    fn from(d: DocRow) -> Self {
        DocView {
            collection: d.collection,
            path: d.path,
            kind: d.kind,
            size: d.size,
            status: d.status.name().to_owned(),
            error: d.error,
            notes: d.notes,
            pages: d.pages,
            chunks: d.chunks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collections_and_requests_are_refused_by_what_is_wrong() {
        assert_eq!(collection_name(None).unwrap(), DEFAULT_COLLECTION);
        assert_eq!(collection_name(Some("  specs ")).unwrap(), "specs");
        assert!(collection_name(Some(" ")).is_err());
        assert!(collection_name(Some(&"x".repeat(101))).is_err());
        let input = |r: Result<()>| match r {
            Err(AppError::Input(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(input(AddRequest::new(Vec::new()).validate()).contains("at least one"));
        assert!(
            input(AddRequest::new(vec!["/no/such/dir".into()]).validate())
                .starts_with("/no/such/dir: no such file or folder")
        );
        let zero = AddRequest {
            file_timeout_s: Some(0),
            ..AddRequest::new(vec![std::env::temp_dir()])
        };
        assert!(input(zero.validate()).contains("more than 0"));
        assert!(input(SearchRequest::new(" ").validate()).contains("empty"));
        let many = SearchRequest {
            k: MAX_RESULTS + 1,
            ..SearchRequest::new("pump")
        };
        assert!(input(many.validate()).contains("use 1 to 100"));
        let kind = SearchRequest {
            kinds: vec!["exe".into()],
            ..SearchRequest::new("pump")
        };
        assert!(input(kind.validate()).contains("not a kind of file"));
    }
}
