//! The use cases built on the engine and the ST toolkit.
//!
//! - [`plc`]: generate a function block from a spec, check, simulate, repair, report.
//! - [`eval`]: the task set and configurations of the generation evaluation.
//! - [`io_list`]: IO lists (CSV, Excel) to checked global declarations.
//! - [`plc_doc`]: explain code, and comment it without changing the program.
//! - [`library`]: the verified snippet library and its retrieval.
//! - [`st_library`]: library sources (files, folders) the user's code uses, for checks and tests.
//! - [`copy_grammar`]: the grammar the model's own words in an answer are decoded under.
//! - [`quotes`]: the sentences an answer quotes, and whether the model's own are supported.
//! - [`error`]: why a use case failed, by kind (input, model, output, documents).
//! - [`tool_call`]: the model picks a mechanism model and its arguments; the tool computes.

pub mod ask;
pub mod copy_grammar;
pub mod error;
pub mod eval;
pub mod io_list;
pub mod library;
pub mod plc;
pub mod plc_doc;
pub mod quotes;
#[cfg(test)]
mod scripted;
pub mod st_library;
pub mod tool_call;

pub use error::Error;
