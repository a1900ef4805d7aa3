//! The scan-cycle simulator: Structured Text run deterministically, with no
//! PLC and no external compiler.
//!
//! - [`lower`]: checked syntax trees to [`ir::Program`]: names resolved to cell
//!   offsets, types to layouts, implicit conversions made explicit.
//! - [`exec`]: the interpreter over a flat memory of cells, with the virtual
//!   clock, the loop watchdog and runtime faults.
//! - [`stdfb`], [`stdfn`]: the IEC standard function blocks and functions.
//! - [`session`]: one POU under test, variables by name, values as JSON.
//! - [`vectors`]: the test-vector format, its validation, and the report.
//! - [`diagram`]: a run's timing diagram (signals as change points, reduced
//!   per pixel column), for the front ends to draw.

pub mod diagram;
pub mod exec;
pub mod ir;
pub mod lower;
pub mod session;
pub mod stdfb;
pub mod stdfn;
pub mod value;
pub mod vectors;

pub use exec::{Fault, FaultKind};
pub use ir::Program;
pub use lower::CompileError;
pub use session::{Session, SessionError};
pub use vectors::{NotVectors, Report, Vectors};

use crate::{Diagnostic, Parsed, Severity};

/// Why a project cannot be simulated: syntax or checker errors, per file
/// (with all of the checker's diagnostics).
pub struct LoadError(pub Vec<Parsed>);

/// Parses, checks and compiles texts that form one project. Valid code the
/// simulator cannot run is in [`Program::errors`], blocking only the POUs
/// that need it ([`Program::blockers`]).
pub fn load(texts: &[&str]) -> Result<Program, LoadError> {
    load_project(texts, &[])
}

/// [`load`] for texts that use library sources: what the libraries declare is
/// visible and compiled, but their own diagnostics do not stop the load (a
/// library file that does not parse declares nothing; a library POU the
/// simulator cannot run blocks only what uses it). The error lists the texts only.
pub fn load_project(texts: &[&str], libraries: &[&str]) -> Result<Program, LoadError> {
    let parsed: Vec<Parsed> = texts
        .iter()
        .chain(libraries)
        .map(|t| crate::parse(t))
        .collect();
    let sound: Vec<bool> = parsed.iter().map(|p| !p.has_errors()).collect();
    let (mut parsed, model) = crate::check_parsed(parsed);
    let is_error = |d: &Diagnostic| d.severity == Severity::Error;
    if parsed[..texts.len()]
        .iter()
        .any(|p| p.diagnostics.iter().any(is_error))
    {
        parsed.truncate(texts.len());
        return Err(LoadError(parsed));
    }
    let files: Vec<&crate::ast::SourceFile> = parsed
        .iter()
        .enumerate()
        .filter(|(i, _)| sound[*i])
        .map(|(_, p)| &p.file)
        .collect();
    Ok(lower::compile_with(&model, &files))
}

#[cfg(test)]
mod tests;
