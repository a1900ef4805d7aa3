//! Test vectors: a JSON format a person writes by hand and a model can
//! generate, checked against the program before anything runs, and a report
//! of every mismatch with its case, step, cycle and source line.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use super::diagram::{Diagram, Recorder};
use super::exec::FaultKind;
use super::ir::Program;
use super::session::{fault_text, from_json, Session, DEFAULT_CYCLE_MS};
use crate::token::Span;

/// Most cycles one step may ask for (at 10 ms, about 28 simulated hours).
pub const MAX_STEP_CYCLES: u64 = 10_000_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vectors {
    /// The PROGRAM, FUNCTION_BLOCK or FUNCTION under test.
    pub pou: String,
    /// Scan cycle in ms (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle_ms: Option<f64>,
    /// Default tolerance for REAL comparisons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    /// Who wrote the vectors (`"model"` marks model-proposed ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub cases: Vec<Case>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Inputs to change before this step; the rest keep their last value.
    #[serde(default, rename = "in", skip_serializing_if = "Map::is_empty")]
    pub inputs: Map<String, Json>,
    /// Values forced before this step's first cycle, as an online PLC forces
    /// them: outputs and internal variables too (a case that starts from a
    /// given internal state). The program may change them again.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub force: Map<String, Json>,
    /// Run this many cycles (default 1) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycles: Option<u64>,
    /// … or as many cycles as this much virtual time takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advance_ms: Option<f64>,
    /// This step's cycle time, instead of the file's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle_ms: Option<f64>,
    /// Values after the step's last cycle.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub expect: Map<String, Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A text that is not a test vector file, with what the JSON parser said.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("not a valid test vector file: {0} (expected {{\"pou\": …, \"cases\": [{{\"name\": …, \"steps\": [{{\"in\": {{…}}, \"expect\": {{…}}}}]}}]}})")]
pub struct NotVectors(pub String);

impl Vectors {
    pub fn from_json(text: &str) -> Result<Vectors, NotVectors> {
        serde_json::from_str(text).map_err(|e| NotVectors(e.to_string()))
    }

    /// Every problem with these vectors for this program: unknown POU or
    /// variables, values of the wrong type, impossible step timings.
    pub fn validate(&self, prog: &Program) -> Vec<String> {
        let session = match Session::new(prog, &self.pou) {
            Ok(s) => s,
            Err(e) => return vec![e.to_string()],
        };
        let mut errors = Vec::new();
        if self.cases.is_empty() {
            errors.push("the vectors have no cases".to_string());
        }
        if let Some(ms) = self.cycle_ms {
            if !(ms.is_finite() && ms > 0.0) {
                errors.push(format!(
                    "cycle_ms must be a positive number of milliseconds, not {ms}"
                ));
            }
        }
        for (ci, case) in self.cases.iter().enumerate() {
            let at = |si: usize| format!("case {} ({:?}), step {}", ci + 1, case.name, si + 1);
            if case.steps.is_empty() {
                errors.push(format!("case {} ({:?}) has no steps", ci + 1, case.name));
            }
            for (si, step) in case.steps.iter().enumerate() {
                for (name, v) in &step.inputs {
                    match session.resolve(name) {
                        Ok((var, ty, _)) => {
                            if !session.settable(var) {
                                errors.push(format!(
                                    "{}: `{name}` is a {} of {}; a test sets only inputs and in-outs under `in` (`force` sets any variable)",
                                    at(si),
                                    var.kind.keyword(),
                                    self.pou
                                ));
                            } else if let Err(e) = from_json(prog, &ty, v, &mut Vec::new()) {
                                errors.push(format!("{}: input `{name}`: {e}", at(si)));
                            }
                        }
                        Err(e) => errors.push(format!("{}: {e}", at(si))),
                    }
                }
                for (name, v) in &step.force {
                    match session.resolve(name) {
                        Ok((_, ty, _)) => {
                            if let Err(e) = from_json(prog, &ty, v, &mut Vec::new()) {
                                errors.push(format!("{}: force `{name}`: {e}", at(si)));
                            }
                        }
                        Err(e) => errors.push(format!("{}: force: {e}", at(si))),
                    }
                }
                for (name, v) in &step.expect {
                    if let Err(e) = session.differs(name, v, step.tolerance.or(self.tolerance)) {
                        errors.push(format!("{}: expect: {e}", at(si)));
                    }
                }
                if step.cycles.is_some() && step.advance_ms.is_some() {
                    errors.push(format!(
                        "{}: give `cycles` or `advance_ms`, not both",
                        at(si)
                    ));
                }
                if step.cycles == Some(0) || step.cycles.is_some_and(|c| c > MAX_STEP_CYCLES) {
                    errors.push(format!(
                        "{}: `cycles` must be from 1 to {MAX_STEP_CYCLES}",
                        at(si)
                    ));
                }
                for (what, v) in [
                    ("advance_ms", step.advance_ms),
                    ("cycle_ms", step.cycle_ms),
                    ("tolerance", step.tolerance),
                ] {
                    if let Some(x) = v {
                        if !(x.is_finite() && (x > 0.0 || (what == "tolerance" && x == 0.0))) {
                            errors.push(format!(
                                "{}: `{what}` must be a positive number, not {x}",
                                at(si)
                            ));
                        }
                    }
                }
                if let (Some(adv), cycle) = (
                    step.advance_ms,
                    step.cycle_ms.or(self.cycle_ms).unwrap_or(DEFAULT_CYCLE_MS),
                ) {
                    if adv / cycle > MAX_STEP_CYCLES as f64 {
                        errors.push(format!(
                            "{}: advancing {adv} ms at {cycle} ms per cycle is too many cycles",
                            at(si)
                        ));
                    }
                }
            }
        }
        errors
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub pou: String,
    pub passed: usize,
    pub total: usize,
    pub steps_passed: usize,
    pub steps_total: usize,
    pub cases: Vec<CaseReport>,
}

impl Report {
    pub fn all_passed(&self) -> bool {
        self.passed == self.total
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    pub name: String,
    pub passed: bool,
    pub steps: usize,
    pub steps_passed: usize,
    pub cycles: u64,
    pub failures: Vec<Failure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<FaultReport>,
    /// A failing case's timing diagram, from [`run_recorded`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagram: Option<Diagram>,
}

/// An expected value that was not there after a step.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// From 1.
    pub step: usize,
    /// The case's last cycle run, from 1.
    pub cycle: u64,
    pub time_ms: f64,
    pub variable: String,
    pub expected: Json,
    pub actual: Json,
    /// The source line of the last statement executed.
    pub line: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FaultReport {
    pub step: usize,
    pub cycle: u64,
    pub kind: FaultKind,
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// Runs every case on a fresh instance. `locate` turns a span into (line, column).
pub fn run(
    prog: &Program,
    v: &Vectors,
    locate: &dyn Fn(Span) -> (usize, usize),
) -> Result<Report, Vec<String>> {
    run_cases(prog, v, locate, false)
}

/// [`run`], with a timing diagram of every case that fails: the variables
/// its steps set and expect, cycle by cycle, each failing step and a fault
/// marked where it happened.
pub fn run_recorded(
    prog: &Program,
    v: &Vectors,
    locate: &dyn Fn(Span) -> (usize, usize),
) -> Result<Report, Vec<String>> {
    run_cases(prog, v, locate, true)
}

fn run_cases(
    prog: &Program,
    v: &Vectors,
    locate: &dyn Fn(Span) -> (usize, usize),
    record: bool,
) -> Result<Report, Vec<String>> {
    let problems = v.validate(prog);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut cases = Vec::new();
    for case in &v.cases {
        cases.push(run_case(prog, v, case, locate, record).map_err(|e| vec![e.to_string()])?);
    }
    let steps_total = cases.iter().map(|c| c.steps).sum();
    let steps_passed = cases.iter().map(|c| c.steps_passed).sum();
    Ok(Report {
        pou: v.pou.clone(),
        passed: cases.iter().filter(|c| c.passed).count(),
        total: cases.len(),
        steps_passed,
        steps_total,
        cases,
    })
}

fn run_case(
    prog: &Program,
    v: &Vectors,
    case: &Case,
    locate: &dyn Fn(Span) -> (usize, usize),
    record: bool,
) -> Result<CaseReport, super::SessionError> {
    let mut s = Session::new(prog, &v.pou)?;
    let mut report = CaseReport {
        name: case.name.clone(),
        passed: true,
        steps: case.steps.len(),
        steps_passed: 0,
        cycles: 0,
        failures: Vec::new(),
        fault: None,
        diagram: None,
    };
    let mut recorder = if record {
        let mut names: Vec<&str> = Vec::new();
        for step in &case.steps {
            for name in step
                .inputs
                .keys()
                .chain(step.force.keys())
                .chain(step.expect.keys())
            {
                if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                    names.push(name);
                }
            }
        }
        Some(Recorder::new(&s, &names)?)
    } else {
        None
    };
    let done = |mut report: CaseReport, recorder: Option<Recorder>| {
        if !report.passed {
            report.diagram = recorder.map(Recorder::finish);
        }
        report
    };
    for (si, step) in case.steps.iter().enumerate() {
        for (name, val) in step.inputs.iter().chain(&step.force) {
            s.set(name, val)?;
        }
        let cycle_ms = step.cycle_ms.or(v.cycle_ms).unwrap_or(DEFAULT_CYCLE_MS);
        let n = match (step.cycles, step.advance_ms) {
            (Some(c), _) => c,
            // Whole cycles covering the time; at least one.
            (None, Some(ms)) => ((ms / cycle_ms).round() as u64).max(1),
            (None, None) => 1,
        };
        for _ in 0..n {
            let run = s.cycle(cycle_ms);
            if let Some(r) = &mut recorder {
                r.sample(&s);
            }
            if let Err(f) = run {
                let (line, column) = locate(f.span);
                report.passed = false;
                report.cycles = f.cycle;
                if let Some(r) = &mut recorder {
                    r.mark(format!("step {}: {}", si + 1, fault_text(&f)));
                }
                report.fault = Some(FaultReport {
                    step: si + 1,
                    cycle: f.cycle,
                    kind: f.kind,
                    message: fault_text(&f),
                    line,
                    column,
                });
                return Ok(done(report, recorder));
            }
        }
        report.cycles = s.machine.cycles;
        let mut ok = true;
        for (name, want) in &step.expect {
            if let Some(actual) = s.differs(name, want, step.tolerance.or(v.tolerance))? {
                ok = false;
                report.failures.push(Failure {
                    step: si + 1,
                    cycle: s.machine.cycles,
                    time_ms: (s.machine.now_ns as f64 / 1e6) - cycle_ms,
                    variable: name.clone(),
                    expected: want.clone(),
                    actual,
                    line: locate(s.machine.last_span).0,
                });
            }
        }
        if ok {
            report.steps_passed += 1;
        } else {
            report.passed = false;
            if let Some(r) = &mut recorder {
                let wrong: Vec<&str> = report
                    .failures
                    .iter()
                    .filter(|f| f.step == si + 1)
                    .map(|f| f.variable.as_str())
                    .collect();
                r.mark(format!("step {}: {}", si + 1, wrong.join(", ")));
            }
        }
    }
    Ok(done(report, recorder))
}
