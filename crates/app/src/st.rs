//! Structured Text run in the simulator: loading a program for a POU (the
//! code checked, what the simulator cannot run refused), and running it for
//! a number of cycles with inputs held, optionally as a timing diagram.

use millwright_copilot::st_library::StLibrary;
use millwright_iec61131::ast::VarKind;
use millwright_iec61131::diagnostics::LineIndex;
use millwright_iec61131::sim::diagram::{Diagram, Recorder};
use millwright_iec61131::sim::{session, vectors, LoadError, Program, Session};
use millwright_iec61131::Severity;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Result};
use crate::workspace::Workspace;

/// The library sources the settings name, read afresh (the user may be
/// editing them); an error says which path and what to do.
pub fn settings_libraries(ws: &Workspace) -> Result<StLibrary> {
    StLibrary::load(&ws.settings()?.st_libraries)
        .map_err(|e| AppError::Settings(format!("{e}; fix the ST libraries in the settings")))
}

/// The libraries code is checked and run with: `paths` where a front end
/// names some (the command line's `--lib`), else the settings'.
pub fn libraries(ws: &Workspace, paths: &[std::path::PathBuf]) -> Result<StLibrary> {
    if paths.is_empty() {
        settings_libraries(ws)
    } else {
        StLibrary::load(paths).map_err(|e| AppError::Input(e.to_string()))
    }
}

/// The program of `code` (with `library`) ready to run `pou`. Code with
/// errors is [`AppError::CodeErrors`]; valid code the simulator cannot run
/// for `pou` is an input error naming each place.
pub fn load(source: &str, code: &str, pou: &str, library: &StLibrary) -> Result<Program> {
    let prog = library
        .load_program(&[code])
        .map_err(|LoadError(mut files)| {
            let diagnostics = std::mem::take(&mut files[0].diagnostics);
            AppError::CodeErrors {
                name: source.to_owned(),
                errors: diagnostics
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .count(),
                diagnostics,
            }
        })?;
    // An unknown POU is for `Session::new` to name, with the POUs there are.
    if let Some(&i) = prog.by_name.get(&pou.to_ascii_uppercase()) {
        let blockers = prog.blockers(i);
        if !blockers.is_empty() {
            let index = LineIndex::new(code);
            let lines: Vec<String> = blockers
                .iter()
                .map(|e| {
                    let (l, c) = index.line_col(e.span.start as usize);
                    format!(
                        "{source}:{l}:{c}: the simulator cannot run this: {}",
                        e.message
                    )
                })
                .collect();
            return Err(AppError::Input(lines.join("\n")));
        }
    }
    Ok(prog)
}

/// A run of a POU, as either front end asks for it.
#[derive(Debug, Clone, Deserialize)]
pub struct RunRequest {
    pub code: String,
    /// What to call the code in messages (a file name, "the code in the editor").
    #[serde(default = "editor")]
    pub source: String,
    pub pou: String,
    #[serde(default = "one")]
    pub cycles: u64,
    /// Inputs held for the whole run, `NAME=VALUE` as `--in` takes them
    /// (`start=true`, `sp=42.5`, `delay=T#2s`, `mode=Auto`).
    #[serde(default)]
    pub inputs: Vec<String>,
    #[serde(default = "default_cycle_ms")]
    pub cycle_ms: f64,
    /// A row of outputs per cycle instead of the final state only.
    #[serde(default)]
    pub trace: bool,
    /// Record the run as a timing diagram …
    #[serde(default)]
    pub diagram: bool,
    /// … of these variables (dotted paths like `tmr.ET`; default: the
    /// inputs and outputs).
    #[serde(default)]
    pub signals: Vec<String>,
}

fn editor() -> String {
    "the code in the editor".into()
}
fn one() -> u64 {
    1
}
fn default_cycle_ms() -> f64 {
    10.0
}

impl RunRequest {
    pub fn validate(&self) -> Result<()> {
        crate::plc::bounded(&self.source, &self.code)?;
        if !(self.cycle_ms.is_finite() && self.cycle_ms > 0.0) {
            return Err(AppError::Input(format!(
                "the cycle time must be a positive number of ms, not {}",
                self.cycle_ms
            )));
        }
        if self.cycles == 0 || self.cycles > vectors::MAX_STEP_CYCLES {
            return Err(AppError::Input(format!(
                "{} cycles is not possible; use 1 to {}",
                self.cycles,
                vectors::MAX_STEP_CYCLES
            )));
        }
        for kv in &self.inputs {
            if kv.split_once('=').is_none_or(|(k, _)| k.trim().is_empty()) {
                return Err(AppError::Input(format!("input {kv:?}: write NAME=VALUE")));
            }
        }
        Ok(())
    }
}

/// A fault that stopped the run, where it happened.
#[derive(Debug, Clone, Serialize)]
pub struct RunFault {
    pub cycle: u64,
    pub kind: millwright_iec61131::sim::exec::FaultKind,
    pub message: String,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub pou: String,
    pub cycle_ms: f64,
    /// The outputs, in declaration order.
    pub outputs: Vec<String>,
    /// The cycles run (fewer than asked when a fault stopped the run).
    pub cycles: u64,
    pub fault: Option<RunFault>,
    pub diagram: Option<Diagram>,
}

/// What a front end hears while a program runs.
pub trait RunSink {
    /// The outputs' values after a cycle: every cycle with `trace`, else
    /// the last one.
    fn row(&mut self, _cycle: u64, _time_ms: f64, _outputs: &[(&str, serde_json::Value)]) {}
}

impl RunSink for () {}

/// Runs `req.pou` of `req.code` for `req.cycles` cycles with its inputs held.
pub fn run(req: &RunRequest, library: &StLibrary, sink: &mut dyn RunSink) -> Result<RunReport> {
    req.validate()?;
    let prog = load(&req.source, &req.code, &req.pou, library)?;
    let mut s = Session::new(&prog, &req.pou).map_err(|e| AppError::Input(e.to_string()))?;
    for kv in &req.inputs {
        let (k, v) = kv.split_once('=').expect("validated");
        let k = k.trim();
        match s.resolve(k) {
            Ok((var, _, _)) if !s.settable(var) => {
                return Err(AppError::Input(format!(
                    "input {k}: a {} cannot be set from outside; set inputs and in-outs",
                    var.kind.keyword()
                )))
            }
            Err(e) => return Err(AppError::Input(format!("input {k}: {e}"))),
            Ok(_) => {}
        }
        s.set(k, &session::cli_value(v.trim()))
            .map_err(|e| AppError::Input(format!("input {e}")))?;
    }
    let outputs: Vec<String> = s.outputs().iter().map(|v| v.name.clone()).collect();
    let mut recorder = if req.diagram {
        let names: Vec<String> = if req.signals.is_empty() {
            s.prog().pous[s.pou]
                .vars
                .iter()
                .filter(|v| v.kind == VarKind::Input)
                .map(|v| v.name.clone())
                .chain(outputs.iter().cloned())
                .collect()
        } else {
            req.signals.clone()
        };
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Some(Recorder::new(&s, &names).map_err(|e| AppError::Input(format!("signal: {e}")))?)
    } else {
        None
    };
    let mut fault = None;
    let mut ran_cycles = 0;
    for c in 1..=req.cycles {
        let time_ms = s.machine.now_ns as f64 / 1e6;
        let ran = s.cycle(req.cycle_ms);
        // Sampled before the fault is looked at, as `vectors::run_case` does.
        if let Some(r) = &mut recorder {
            r.sample(&s);
        }
        if let Err(f) = ran {
            if let Some(r) = &mut recorder {
                r.mark(format!("fault: {}", session::fault_text(&f)));
            }
            fault = Some(f);
            break;
        }
        ran_cycles = c;
        if req.trace || c == req.cycles {
            let values: Vec<(&str, serde_json::Value)> = outputs
                .iter()
                .map(|n| (n.as_str(), s.get(n).unwrap_or(serde_json::Value::Null)))
                .collect();
            sink.row(c, time_ms, &values);
        }
    }
    let index = LineIndex::new(&req.code);
    let fault = fault.map(|f| {
        let (line, column) = index.line_col(f.span.start as usize);
        RunFault {
            cycle: f.cycle,
            kind: f.kind,
            message: session::fault_text(&f),
            line,
            column,
        }
    });
    Ok(RunReport {
        pou: req.pou.clone(),
        cycle_ms: req.cycle_ms,
        outputs,
        cycles: ran_cycles,
        fault,
        diagram: recorder.map(Recorder::finish),
    })
}

/// Test vectors (the simulator's JSON format) run against `code` with
/// `library`: every case from fresh memory; with `diagrams`, every failing
/// case carries its timing diagram. `vectors_source` names the vectors in
/// messages (a file, "the test vectors"). Also who wrote the vectors, as
/// they say (`source`).
pub fn test(
    source: &str,
    code: &str,
    vectors_source: &str,
    vectors_json: &str,
    library: &StLibrary,
    diagrams: bool,
) -> Result<(vectors::Report, Option<String>)> {
    crate::plc::bounded(source, code)?;
    let v = vectors::Vectors::from_json(vectors_json)
        .map_err(|e| AppError::Input(format!("{vectors_source}: {e}")))?;
    let prog = load(source, code, &v.pou, library)?;
    let index = LineIndex::new(code);
    let locate = |s: millwright_iec61131::token::Span| index.line_col(s.start as usize);
    let run = if diagrams {
        vectors::run_recorded(&prog, &v, &locate)
    } else {
        vectors::run(&prog, &v, &locate)
    };
    let report = run.map_err(|problems| {
        let lines: Vec<String> = problems
            .iter()
            .map(|p| format!("{vectors_source}: {p}"))
            .collect();
        AppError::Input(lines.join("\n"))
    })?;
    Ok((report, v.source))
}
