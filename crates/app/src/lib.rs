//! The application layer: what the user can do, once, under both front ends.
//!
//! The command line (`src/cmd`) and the desktop shell (`src-tauri`) are
//! adapters: they parse arguments or IPC into the request types here, call
//! the use case, and print or emit what its sink hears. Limits live in the
//! requests' `validate()`, so both refuse the same input with the same words;
//! errors are [`AppError`] kinds, so each front end words them for its user.
//!
//! - [`workspace`]: the data directory, settings, the engine and the
//!   knowledge base, opened on first use.
//! - [`ask`]: a question, answered by a calculation or from the documents.
//! - [`docs`]: the knowledge base — add with progress, list, status, search, remove, reindex.
//! - [`plc`]: generate a verified block, explain and comment code, IO list → GVL.
//! - [`code`]: Structured Text files — read (PLCopen XML, TwinCAT imported), check, format, export.
//! - [`calc`]: the mechanism models, listed and run.
//! - [`st`]: run a POU in the simulator, with inputs held, as a trace and a timing diagram.

pub mod ask;
pub mod calc;
pub mod code;
pub mod docs;
pub mod error;
pub mod plc;
pub mod st;
pub mod workspace;

pub use error::{AppError, Result};
pub use workspace::{EngineChoice, Workers, Workspace};
