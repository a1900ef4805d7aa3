//! Structured Text as the user's files: read (PLCopen XML and TwinCAT
//! `.TcPOU` imported on the way in), checked as one project with the
//! libraries, formatted, exported as PLCopen XML.

use std::path::{Path, PathBuf};

use millwright_copilot::st_library::StLibrary;
use millwright_iec61131::ast::Item;
use millwright_iec61131::diagnostics::Diagnostic;
use millwright_iec61131::plcopen::{self, Exported};
use millwright_iec61131::source::{self, Encoding};
use millwright_iec61131::Severity;

use crate::error::{AppError, Result};

/// A file's Structured Text by its name: `.xml` is read as PLCopen XML,
/// `.TcPOU` as TwinCAT, anything else as ST in UTF-8 or Latin-1. Every way it
/// can fail is an input error naming the file.
pub fn read(path: &Path) -> Result<String> {
    let name = path.display().to_string();
    let cannot = |e: &dyn std::fmt::Display| AppError::Input(format!("cannot read {name}: {e}"));
    // XML spends several bytes on each byte of code it holds.
    let size = std::fs::metadata(path).map_err(|e| cannot(&e))?.len();
    if size > 4 * crate::plc::MAX_CODE_BYTES as u64 {
        return Err(cannot(&format!(
            "{size} bytes is more than a Structured Text source holds ({} MiB)",
            (4 * crate::plc::MAX_CODE_BYTES) >> 20
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| cannot(&e))?;
    let text = millwright_iec61131::read_source(&name, &bytes).map_err(|e| cannot(&e))?;
    crate::plc::bounded(&name, &text)?;
    Ok(text)
}

/// One file of a check.
#[derive(Debug, Clone)]
pub struct Checked {
    pub name: String,
    pub text: String,
    /// The POUs it declares, in order.
    pub pous: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// What a check found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub files: Vec<Checked>,
    /// Library files with syntax errors: what they declare is not visible.
    pub broken_libraries: Vec<String>,
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.files.iter().map(|f| f.count(Severity::Error)).sum()
    }
    pub fn warnings(&self) -> usize {
        self.files.iter().map(|f| f.count(Severity::Warning)).sum()
    }
}

/// Checks `(name, text)` files together, as one project: each may use what
/// the others and the libraries declare; the libraries' own diagnostics are
/// not reported.
pub fn check(files: Vec<(String, String)>, library: &StLibrary) -> Result<CheckReport> {
    for (name, text) in &files {
        crate::plc::bounded(name, text)?;
    }
    let texts: Vec<&str> = files.iter().map(|(_, t)| t.as_str()).collect();
    let (results, broken_libraries) = library.check(&texts);
    let files = files
        .into_iter()
        .zip(results)
        .map(|((name, text), parsed)| Checked {
            pous: parsed
                .file
                .items
                .iter()
                .filter_map(|i| match i {
                    Item::Pou(p) => Some(p.name.name.clone()),
                    _ => None,
                })
                .collect(),
            diagnostics: parsed.diagnostics,
            name,
            text,
        })
        .collect();
    Ok(CheckReport {
        files,
        broken_libraries,
    })
}

/// Code with syntax errors, which is left as it is.
fn syntax_errors(name: &str, diagnostics: Vec<Diagnostic>) -> AppError {
    AppError::CodeErrors {
        name: name.to_owned(),
        errors: diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count(),
        diagnostics,
    }
}

/// The code in the canonical style; code that does not parse is
/// [`AppError::CodeErrors`], never half formatted.
pub fn format(name: &str, text: &str) -> Result<String> {
    crate::plc::bounded(name, text)?;
    millwright_iec61131::format::format(text).map_err(|d| syntax_errors(name, d))
}

/// What formatting a file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formatted {
    Unchanged,
    /// Changed (written back unless only checking).
    Changed,
}

/// Formats a file in place, in the encoding it came in; written beside and
/// renamed, so an interrupted write never leaves half a file. With `check`
/// nothing is written.
pub fn format_file(path: &Path, check: bool) -> Result<Formatted> {
    let name = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| AppError::Input(format!("cannot read {name}: {e}")))?;
    let (text, encoding) = source::decode(&bytes);
    let formatted = format(&name, &text)?;
    if formatted == text {
        return Ok(Formatted::Unchanged);
    }
    if !check {
        let out = match encoding {
            Encoding::Utf8 => formatted.into_bytes(),
            // Every char came from one Latin-1 byte.
            Encoding::Latin1 => formatted.chars().map(|c| c as u32 as u8).collect(),
        };
        let tmp = PathBuf::from(format!("{name}.fmt-tmp"));
        std::fs::write(&tmp, out)
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                AppError::Input(format!("cannot write {name}: {e}"))
            })?;
    }
    Ok(Formatted::Changed)
}

/// The code's POUs, types and globals as PLCopen TC6 XML 2.01 for a project
/// named `project`, with notes on what PLCopen cannot hold.
pub fn export_plcopen(name: &str, text: &str, project: &str) -> Result<Exported> {
    crate::plc::bounded(name, text)?;
    let parsed = millwright_iec61131::parse(text);
    if parsed.has_errors() {
        return Err(syntax_errors(name, parsed.diagnostics));
    }
    let created = plcopen::now_xsd_datetime();
    Ok(plcopen::export(text, &parsed.file, project, &created))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FB: &str = "FUNCTION_BLOCK FB_Latch\nVAR_INPUT set : BOOL; END_VAR\nVAR_OUTPUT q : BOOL; END_VAR\nIF set THEN q := TRUE; END_IF;\nEND_FUNCTION_BLOCK\n";

    #[test]
    fn an_export_reads_back_as_the_same_program() {
        let dir = tempfile::tempdir().unwrap();
        let xml = export_plcopen("latch.st", FB, "latch").unwrap().xml;
        let path = dir.path().join("latch.xml");
        std::fs::write(&path, xml).unwrap();
        let back = read(&path).unwrap();
        assert!(millwright_iec61131::same_program(FB, &back), "{back}");
    }

    #[test]
    fn bad_files_are_named_and_left_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.st");
        assert!(
            matches!(read(&missing), Err(AppError::Input(m)) if m.starts_with("cannot read") && m.contains("none.st"))
        );
        let xml = dir.path().join("broken.xml");
        std::fs::write(&xml, "<project><types>").unwrap();
        assert!(matches!(read(&xml), Err(AppError::Input(m)) if m.contains("broken.xml")));
        let st = dir.path().join("broken.st");
        let text = "PROGRAM p\nx := ;\nEND_PROGRAM\n";
        std::fs::write(&st, text).unwrap();
        assert!(matches!(
            format_file(&st, false),
            Err(AppError::CodeErrors { errors, .. }) if errors > 0
        ));
        assert_eq!(std::fs::read_to_string(&st).unwrap(), text);
        assert!(matches!(
            export_plcopen("broken.st", text, "p"),
            Err(AppError::CodeErrors { .. })
        ));
    }

    #[test]
    fn formatting_keeps_a_latin1_file_latin1() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("legacy.st");
        // "Drücken" in Latin-1, in a badly laid-out program.
        let mut bytes = b"PROGRAM p\nVAR x:INT; END_VAR\nx:=1; (* Dr".to_vec();
        bytes.push(0xFC);
        bytes.extend_from_slice(b"cken *)\nEND_PROGRAM\n");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(format_file(&path, true).unwrap(), Formatted::Changed);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "--check writes nothing"
        );
        assert_eq!(format_file(&path, false).unwrap(), Formatted::Changed);
        let written = std::fs::read(&path).unwrap();
        assert!(written.contains(&0xFC) && std::str::from_utf8(&written).is_err());
        assert_eq!(format_file(&path, false).unwrap(), Formatted::Unchanged);
    }

    #[test]
    fn files_are_checked_as_one_project() {
        let user = "PROGRAM main\nVAR l : FB_Latch; END_VAR\nl(set := TRUE);\nEND_PROGRAM\n";
        let report = check(
            vec![
                ("main.st".into(), user.into()),
                ("latch.st".into(), FB.into()),
            ],
            &StLibrary::default(),
        )
        .unwrap();
        assert_eq!(report.errors(), 0, "{:?}", report.files[0].diagnostics);
        assert_eq!(report.files[1].pous, ["FB_Latch"]);
        let alone = check(vec![("main.st".into(), user.into())], &StLibrary::default()).unwrap();
        assert!(alone.errors() > 0, "FB_Latch is unknown without its file");
    }
}
