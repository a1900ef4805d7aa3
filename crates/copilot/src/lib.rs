//! The use cases built on the engine and the ST toolkit.
//!
//! - [`plc`]: generate a function block from a spec, check, simulate, repair, report.
//! - [`io_list`]: IO lists (CSV, Excel) to checked global declarations.
//! - [`library`]: the verified snippet library and its retrieval.

pub mod io_list;
pub mod library;
pub mod plc;
