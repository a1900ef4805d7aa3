//! Diagnostics as text (the way rustc prints them, via codespan-reporting) and
//! as plain data with lines and columns, for JSON.

use codespan_reporting::diagnostic::{Diagnostic as Report, Label, Severity as ReportSeverity};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config};
use serde::Serialize;

use crate::diagnostics::{Diagnostic, LineIndex, Severity};

/// Renders every diagnostic of one file, with source excerpts.
pub fn render_text(path: &str, text: &str, diagnostics: &[Diagnostic]) -> String {
    let file = SimpleFile::new(path, text);
    let config = Config::default();
    let mut out = String::new();
    for d in diagnostics {
        let severity = match d.severity {
            Severity::Error => ReportSeverity::Error,
            Severity::Warning => ReportSeverity::Warning,
            Severity::Note => ReportSeverity::Note,
        };
        let range = clamp(d.span.range(), text);
        let mut report = Report::new(severity)
            .with_code(d.code.as_str())
            .with_message(&d.message)
            .with_labels(vec![Label::primary((), range)]);
        if let Some(help) = &d.help {
            report = report.with_notes(vec![format!("help: {help}")]);
        }
        match term::emit_into_string(&config, &file, &report) {
            Ok(s) => out.push_str(&s),
            // Only an out-of-range span can fail; fall back to one line.
            Err(_) => out.push_str(&format!(
                "{path}: {} [{}]: {}\n",
                severity_word(d.severity),
                d.code.as_str(),
                d.message
            )),
        }
    }
    out
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// A span inside the text and on character boundaries.
fn clamp(r: std::ops::Range<usize>, text: &str) -> std::ops::Range<usize> {
    let mut start = r.start.min(text.len());
    let mut end = r.end.clamp(start, text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// A diagnostic with positions a person or a model can use directly.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Located {
    pub code: &'static str,
    pub severity: Severity,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

pub fn locate(text: &str, diagnostics: &[Diagnostic]) -> Vec<Located> {
    let index = LineIndex::new(text);
    diagnostics
        .iter()
        .map(|d| {
            let (line, column) = index.line_col(d.span.start as usize);
            let (end_line, end_column) = index.line_col(d.span.end as usize);
            Located {
                code: d.code.as_str(),
                severity: d.severity,
                line,
                column,
                end_line,
                end_column,
                message: d.message.clone(),
                help: d.help.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_positions_point_at_the_error() {
        let src = "PROGRAM P\nx := 1\ny := 2;\nEND_PROGRAM\n";
        let p = crate::parse(src);
        assert_eq!(p.diagnostics.len(), 1);
        let text = render_text("p.st", src, &p.diagnostics);
        assert!(text.contains("error[ST0010]"), "{text}");
        // A missing `;` is marked where it belongs: after `1` on line 2.
        assert!(text.contains("p.st:2:7"), "{text}");
        assert!(text.contains("help:"), "{text}");
        let loc = locate(src, &p.diagnostics);
        assert_eq!((loc[0].line, loc[0].column), (2, 7));
    }
}
