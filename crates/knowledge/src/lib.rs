//! The design-document knowledge base: documents in, cited passages out.
//!
//! `extract` (run in a worker process by `isolate`) turns files into sections
//! with provenance; `chunk` cuts them; `store` (SQLite) keeps the state and the
//! text; `index` (tantivy, through the `tokenize` analyzer) finds chunks;
//! `snippet` shows them; `sentences` splits a passage for quoting; `kb` ties these together and keeps store and index
//! consistent across crashes.

pub mod chunk;
pub mod coverage;
pub mod eval;
pub mod extract;
pub mod index;
pub mod isolate;
pub mod kb;
pub mod samples;
pub mod sentences;
pub mod snippet;
pub mod store;
pub mod tokenize;
pub mod watch;

/// Least share of a question's weight (IDF) the best passage must contain for
/// the documents to count as answering it; calibrated by the retrieval
/// evaluation (`eval`, BENCHMARKS.md).
pub const MIN_COVERAGE: f32 = 0.35;

pub use kb::{AddReport, Hit, KbStatus, KnowledgeBase, Options, Phase, Progress};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path or argument the user gave is wrong.
    #[error("{0}")]
    Input(String),
    /// The knowledge base's files cannot be used.
    #[error("{0}")]
    State(String),
    /// The search index cannot be opened (opening a knowledge base replaces
    /// such an index and rebuilds it from the passages in the database).
    #[error("the search index at {path} cannot be opened ({cause})")]
    IndexDamaged { path: String, cause: String },
    /// Another process holds the index writer.
    #[error("{0}")]
    Busy(String),
    #[error("knowledge base database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}
