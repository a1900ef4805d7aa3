//! IEC 61131-3 Structured Text, the way a PLC programmer's compiler reads it.
//!
//! No LLM and no I/O beyond the text it is given: usable on its own.
//!
//! - [`source`]: bytes to text (UTF-8, or Latin-1 as CODESYS exports are).
//! - [`token`], [`lexer`]: tokens and trivia (comments, pragmas), never failing.
//! - [`literals`]: values of integer, real, string, duration and date literals.
//! - [`parser`]: the recovering parser, producing an [`ast`] and every diagnostic.
//! - [`sema`]: the semantic model (what every name denotes), its types and the
//!   standard library's table, read by the checker, the simulator and grammars.
//! - [`check`]: names, types, calls and the usual mistakes, after parsing.
//! - [`Analysis`]: one text parsed, checked and (on demand) compiled, once.
//! - [`diagnostics`]: stable codes (`ST0xxx`), severities, spans.
//! - [`format`]: the canonical formatter; keeps the tree and every comment.
//! - [`gbnf`]: the grammar that constrains a model writing ST (llama.cpp GBNF).
//! - [`plcopen`]: PLCopen TC6 XML 2.01 export and import.
//! - [`render`]: diagnostics as rustc-style text, or located for JSON.
//! - [`sim`]: the scan-cycle simulator, its standard library and test vectors.

mod analysis;
pub mod ast;
pub mod check;
pub mod diagnostics;
pub mod format;
pub mod gbnf;
pub mod lexer;
pub mod literals;
pub mod parser;
pub mod plcopen;
pub mod render;
pub mod sema;
pub mod sim;
pub mod source;
pub mod token;

#[cfg(test)]
mod test_support;

pub use analysis::Analysis;
pub use diagnostics::{Code, Diagnostic, Severity};
pub use parser::{parse, Parsed};

/// Parses and, when the syntax is sound, checks `text` on its own.
pub fn check_text(text: &str) -> Parsed {
    check_project(&[text]).pop().expect("one file in, one out")
}

/// Parses every text and checks those without syntax errors as one project
/// (each may use what the others declare): every diagnostic, per file, sorted.
pub fn check_project(texts: &[&str]) -> Vec<Parsed> {
    check_parsed(texts.iter().map(|t| parse(t)).collect()).0
}

/// Checks parsed files as one project (those without syntax errors), adding
/// the checker's diagnostics to each; with the model they were checked against.
pub(crate) fn check_parsed(mut parsed: Vec<Parsed>) -> (Vec<Parsed>, sema::Model) {
    let sound: Vec<usize> = (0..parsed.len())
        .filter(|&i| !parsed[i].has_errors())
        .collect();
    let files: Vec<&ast::SourceFile> = sound.iter().map(|&i| &parsed[i].file).collect();
    let model = sema::Model::build(&files);
    let results = check::check_with(&model, &files);
    for (i, diags) in sound.into_iter().zip(results) {
        parsed[i].diagnostics.extend(diags);
        parsed[i]
            .diagnostics
            .sort_by_key(|d| (d.span.start, d.span.end));
    }
    (parsed, model)
}

/// Whether two texts are the same program: both parse without errors and give
/// the same tree, positions, comments and layout aside.
pub fn same_program(a: &str, b: &str) -> bool {
    let (pa, pb) = (parse(a), parse(b));
    !pa.has_errors()
        && !pb.has_errors()
        && ast::without_spans(&format!("{:?}", pa.file))
            == ast::without_spans(&format!("{:?}", pb.file))
}

/// Structured Text from a file's bytes, by its name: PLCopen XML (`.xml`),
/// TwinCAT (`.TcPOU`), or ST text in UTF-8 or Latin-1 (anything else).
pub fn read_source(file_name: &str, bytes: &[u8]) -> Result<String, plcopen::ImportError> {
    let lower = file_name.to_ascii_lowercase();
    let (text, _) = source::decode(bytes);
    if lower.ends_with(".xml") {
        plcopen::import(&text)
    } else if lower.ends_with(".tcpou") {
        plcopen::import_tcpou(&text)
    } else {
        Ok(text)
    }
}
