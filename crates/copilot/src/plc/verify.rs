//! Verification: a candidate parsed, checked and simulated once, ranked,
//! and its problems written for the model.

use millwright_iec61131::render::{self, Located};
use millwright_iec61131::sim::{session, vectors, Vectors};
use millwright_iec61131::{Analysis, Severity};

use super::Verified;

/// One evaluated candidate.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub code: String,
    pub verified: Verified,
    pub diagnostics: Vec<Located>,
    pub failures: Vec<String>,
}

/// Bigger is better, compared in order (see [`Candidate::rank`]).
type Rank = (
    bool,
    std::cmp::Reverse<usize>,
    usize,
    std::cmp::Reverse<usize>,
    std::cmp::Reverse<usize>,
);

impl Candidate {
    /// Better: parses, fewer errors, more tests passed, fewer warnings,
    /// shorter.
    pub fn rank(&self) -> Rank {
        let v = &self.verified;
        (
            v.parsed,
            std::cmp::Reverse(v.errors),
            v.tests_passed,
            std::cmp::Reverse(v.warnings),
            std::cmp::Reverse(self.code.len()),
        )
    }

    pub fn done(&self) -> bool {
        let v = &self.verified;
        v.clean() && v.tests_passed == v.tests_total
    }

    /// The problems, written for the model.
    pub fn problems(&self) -> String {
        let mut lines: Vec<String> = self
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .take(8)
            .map(|d| {
                let help = d
                    .help
                    .as_deref()
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                format!("line {}: {}{help}", d.line, d.message)
            })
            .collect();
        lines.extend(self.failures.iter().take(6).cloned());
        lines.join("\n")
    }
}

/// Checks and simulates code against the vectors.
pub(super) fn evaluate(code: &str, vectors: Option<&Vectors>) -> Candidate {
    // Parsed, checked and compiled once, however many questions are asked of it.
    let analysis = Analysis::new(code);
    let syntax_ok = analysis.syntax_ok();
    let errors = analysis.count(Severity::Error);
    let mut verified = Verified {
        parsed: syntax_ok,
        checked: syntax_ok,
        errors,
        warnings: analysis.count(Severity::Warning),
        tests_passed: 0,
        tests_total: vectors.map_or(0, |v| v.cases.len()),
        rounds: 0,
    };
    let mut failures = Vec::new();
    if let (Some(v), true) = (vectors, errors == 0) {
        match analysis.program() {
            Some(prog) => {
                let index = analysis.line_index();
                match vectors::run(prog, v, &|s| index.line_col(s.start as usize)) {
                    Ok(r) => {
                        verified.tests_passed = r.passed;
                        for c in &r.cases {
                            for f in &c.failures {
                                failures.push(format!(
                                    "test {:?}, step {}: {} should be {} but is {}",
                                    c.name,
                                    f.step,
                                    f.variable,
                                    session::display(&f.expected),
                                    session::display(&f.actual)
                                ));
                            }
                            if let Some(f) = &c.fault {
                                failures.push(format!(
                                    "test {:?}, step {}: runtime fault at line {}: {}",
                                    c.name, f.step, f.line, f.message
                                ));
                            }
                        }
                    }
                    Err(problems) => failures.extend(problems),
                }
            }
            None => failures.push("the code does not check".into()),
        }
    }
    Candidate {
        code: code.to_string(),
        verified,
        diagnostics: render::locate(code, analysis.diagnostics()),
        failures,
    }
}
