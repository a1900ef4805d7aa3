//! IEC 61131-3 Structured Text, the way a PLC programmer's compiler reads it.
//!
//! No LLM and no I/O beyond the text it is given: usable on its own.
//!
//! - [`source`]: bytes to text (UTF-8, or Latin-1 as CODESYS exports are).
//! - [`token`], [`lexer`]: tokens and trivia (comments, pragmas), never failing.
//! - [`literals`]: values of integer, real, string, duration and date literals.
//! - [`parser`]: the recovering parser, producing an [`ast`] and every diagnostic.
//! - [`diagnostics`]: stable codes (`ST0xxx`), severities, spans.
//! - [`format`]: the canonical formatter; keeps the tree and every comment.
//! - [`gbnf`]: the grammar that constrains a model writing ST (llama.cpp GBNF).
//! - [`render`]: diagnostics as rustc-style text, or located for JSON.

pub mod ast;
pub mod diagnostics;
pub mod format;
pub mod gbnf;
pub mod lexer;
pub mod literals;
pub mod parser;
pub mod render;
pub mod source;
pub mod token;

pub use diagnostics::{Code, Diagnostic, Severity};
pub use parser::{parse, Parsed};
