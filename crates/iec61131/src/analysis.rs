//! One text analysed once: its tree, every diagnostic, its semantic model and,
//! on demand, the simulator's program. A caller that judges a generated
//! candidate (does it parse, check, pass its tests?) reads all of it from here
//! instead of parsing the same text again for each question.

use std::cell::OnceCell;

use crate::diagnostics::{Diagnostic, LineIndex, Severity};
use crate::parser::Parsed;
use crate::sema::Model;
use crate::sim::{lower, Program};

pub struct Analysis {
    text: String,
    parsed: Parsed,
    /// The syntax had errors, so the checker did not run.
    syntax_errors: bool,
    model: Model,
    program: OnceCell<Option<Program>>,
}

impl Analysis {
    /// Parses `text` and, when its syntax is sound, checks it on its own.
    pub fn new(text: &str) -> Analysis {
        let parsed = crate::parse(text);
        let syntax_errors = parsed.has_errors();
        let (mut parsed, model) = crate::check_parsed(vec![parsed]);
        Analysis {
            text: text.to_owned(),
            parsed: parsed.pop().expect("one file in, one out"),
            syntax_errors,
            model,
            program: OnceCell::new(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn parsed(&self) -> &Parsed {
        &self.parsed
    }

    /// Every diagnostic of the parser and (when the syntax is sound) the checker, sorted.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.parsed.diagnostics
    }

    /// Whether the text parses without errors (notes and warnings allowed).
    pub fn syntax_ok(&self) -> bool {
        !self.syntax_errors
    }

    /// How many diagnostics of that severity there are.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics()
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// The declarations and what their names denote (empty when the syntax has errors).
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The outputs the checker found nothing writes, as declared.
    pub fn unassigned_outputs(&self) -> Vec<&str> {
        self.diagnostics()
            .iter()
            .filter(|d| d.code == crate::diagnostics::Code::OutputNeverAssigned)
            .filter_map(|d| self.text.get(d.span.start as usize..d.span.end as usize))
            .collect()
    }

    /// Lines and columns of byte offsets in the text.
    pub fn line_index(&self) -> LineIndex<'_> {
        LineIndex::new(&self.text)
    }

    /// The simulator's program, compiled on first use from the model already
    /// built; `None` while the text has errors.
    pub fn program(&self) -> Option<&Program> {
        self.program
            .get_or_init(|| {
                (self.count(Severity::Error) == 0)
                    .then(|| lower::compile_with(&self.model, &[&self.parsed.file]))
            })
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_analysis_answers_syntax_checks_and_the_program() {
        let good = Analysis::new(
            "FUNCTION_BLOCK Latch\nVAR_INPUT s : BOOL; END_VAR\nVAR_OUTPUT q : BOOL; END_VAR\nIF s THEN q := TRUE; END_IF\nEND_FUNCTION_BLOCK\n",
        );
        assert!(good.syntax_ok());
        assert_eq!(good.count(Severity::Error), 0);
        assert!(good.model().pou("latch").is_some());
        let prog = good.program().expect("clean code compiles");
        assert!(prog.by_name.contains_key("LATCH"));

        let unchecked = Analysis::new(
            "FUNCTION_BLOCK B\nVAR_OUTPUT q : BOOL; END_VAR\nq := missing;\nEND_FUNCTION_BLOCK\n",
        );
        assert!(unchecked.syntax_ok());
        assert_eq!(unchecked.count(Severity::Error), 1);
        assert!(unchecked.program().is_none());

        let broken = Analysis::new("FUNCTION_BLOCK B\nq := ;\n");
        assert!(!broken.syntax_ok());
        assert!(
            broken.model().pou("B").is_none(),
            "no model from a broken tree"
        );
        assert_eq!(broken.line_index().line_col(17), (2, 1));
    }
}
