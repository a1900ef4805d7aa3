//! `millwright st test` and `millwright st run`: the simulator on the command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use millwright_iec61131::ast::VarKind;
use millwright_iec61131::diagnostics::LineIndex;
use millwright_iec61131::sim::diagram::Recorder;
use millwright_iec61131::sim::{self, session, vectors, LoadError, Program, Session, Vectors};
use millwright_iec61131::{render, Severity};
use serde_json::json;

pub struct RunOpts {
    pub pou: String,
    pub cycles: u64,
    pub inputs: Vec<String>,
    pub trace: bool,
    pub cycle_ms: f64,
    pub json: bool,
    /// Where to write the run's timing diagram (SVG).
    pub plot: Option<PathBuf>,
    /// The variables it shows (default: inputs and outputs).
    pub signals: Vec<String>,
}

fn usage(msg: String) -> Result<ExitCode> {
    eprintln!("error: {msg}");
    Ok(ExitCode::from(2))
}

/// The file's text, or a message for exit code 2.
fn read(file: &Path) -> Result<(String, String), String> {
    let name = file.display().to_string();
    let text = std::fs::read(file)
        .map_err(|e| e.to_string())
        .and_then(|b| millwright_iec61131::read_source(&name, &b))
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    Ok((name, text))
}

enum Loaded {
    Ready(Box<Program>),
    /// The code has errors: printed; no test can pass.
    Broken(serde_json::Value),
    /// Valid code the simulator cannot run: the message for exit code 2.
    Unsupported(String),
}

/// Loads the file for running `pou`: checked, compiled, and nothing the POU
/// needs refused by the simulator.
fn load(name: &str, text: &str, pou: &str, as_json: bool) -> Loaded {
    match sim::load(&[text]) {
        Ok(p) => {
            let Some(&i) = p.by_name.get(&pou.to_ascii_uppercase()) else {
                // Session::new names the POUs there are.
                return Loaded::Ready(Box::new(p));
            };
            let blockers = p.blockers(i);
            if blockers.is_empty() {
                return Loaded::Ready(Box::new(p));
            }
            let index = LineIndex::new(text);
            let lines: Vec<String> = blockers
                .iter()
                .map(|e| {
                    let (l, c) = index.line_col(e.span.start as usize);
                    format!(
                        "{name}:{l}:{c}: the simulator cannot run this: {}",
                        e.message
                    )
                })
                .collect();
            Loaded::Unsupported(lines.join("\n"))
        }
        Err(LoadError(files)) => {
            let diags = &files[0].diagnostics;
            let errors = diags
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            if !as_json {
                print!("{}", render::render_text(name, text, diags));
                eprintln!("{name}: {errors} error(s): fix them first; no test ran");
            }
            Loaded::Broken(json!({
                "path": name,
                "error": format!("the code has {errors} error(s); no test ran"),
                "diagnostics": render::locate(text, diags),
            }))
        }
    }
}

pub fn test(file: &Path, vectors_path: &Path, as_json: bool) -> Result<ExitCode> {
    let (name, text) = match read(file) {
        Ok(x) => x,
        Err(e) => return usage(e),
    };
    let vtext = match std::fs::read_to_string(vectors_path) {
        Ok(t) => t,
        Err(e) => return usage(format!("cannot read {}: {e}", vectors_path.display())),
    };
    let v = match Vectors::from_json(&vtext) {
        Ok(v) => v,
        Err(e) => return usage(format!("{}: {e}", vectors_path.display())),
    };
    let prog = match load(&name, &text, &v.pou, as_json) {
        Loaded::Ready(p) => p,
        Loaded::Broken(report) => {
            if as_json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            return Ok(ExitCode::from(1));
        }
        Loaded::Unsupported(msg) => return usage(msg),
    };
    let index = LineIndex::new(&text);
    let locate = |s: millwright_iec61131::token::Span| index.line_col(s.start as usize);
    let report = match vectors::run(&prog, &v, &locate) {
        Ok(r) => r,
        Err(problems) => {
            let vp = vectors_path.display();
            return usage(
                problems
                    .iter()
                    .map(|p| format!("{vp}: {p}"))
                    .collect::<Vec<_>>()
                    .join("\nerror: "),
            );
        }
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&name, &report, v.source.as_deref());
    }
    Ok(if report.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_report(file: &str, r: &vectors::Report, source: Option<&str>) {
    let by = source
        .map(|s| format!(" (vectors written by: {s})"))
        .unwrap_or_default();
    println!("{file}: {}{by}", r.pou);
    let width = r
        .cases
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0);
    for c in &r.cases {
        let status = if c.fault.is_some() {
            "FAULT"
        } else if c.passed {
            "pass"
        } else {
            "FAIL"
        };
        println!(
            "  {status:<5}  {:<width$}  {}/{} steps, {} cycles",
            c.name, c.steps_passed, c.steps, c.cycles
        );
        for f in &c.failures {
            println!(
                "         step {}, cycle {} (t = {} ms): {} expected {}, got {} (last line executed: {})",
                f.step,
                f.cycle,
                f.time_ms,
                f.variable,
                session::display(&f.expected),
                session::display(&f.actual),
                f.line
            );
        }
        if let Some(f) = &c.fault {
            println!(
                "         step {}, cycle {}: {} at line {}, column {}",
                f.step, f.cycle, f.message, f.line, f.column
            );
        }
    }
    println!(
        "{} of {} cases passed ({} of {} steps)",
        r.passed, r.total, r.steps_passed, r.steps_total
    );
}

pub fn run(file: &Path, o: &RunOpts) -> Result<ExitCode> {
    let (name, text) = match read(file) {
        Ok(x) => x,
        Err(e) => return usage(e),
    };
    if !(o.cycle_ms.is_finite() && o.cycle_ms > 0.0) {
        return usage(format!(
            "--cycle-ms must be a positive number, not {}",
            o.cycle_ms
        ));
    }
    if o.cycles == 0 || o.cycles > vectors::MAX_STEP_CYCLES {
        return usage(format!(
            "--cycles must be from 1 to {}",
            vectors::MAX_STEP_CYCLES
        ));
    }
    let prog = match load(&name, &text, &o.pou, false) {
        Loaded::Ready(p) => p,
        Loaded::Broken(_) => return Ok(ExitCode::from(1)),
        Loaded::Unsupported(msg) => return usage(msg),
    };
    let mut s = match Session::new(&prog, &o.pou) {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    for kv in &o.inputs {
        let Some((k, v)) = kv.split_once('=') else {
            return usage(format!("--in {kv}: write NAME=VALUE"));
        };
        let k = k.trim();
        match s.resolve(k) {
            Ok((var, _, _)) if !s.settable(var) => {
                return usage(format!(
                    "--in {k}: a {} cannot be set from outside; set inputs and in-outs",
                    var.kind.keyword()
                ))
            }
            Err(e) => return usage(format!("--in {k}: {e}")),
            Ok(_) => {}
        }
        if let Err(e) = s.set(k, &session::cli_value(v.trim())) {
            return usage(format!("--in {e}"));
        }
    }
    let outputs: Vec<String> = s.outputs().iter().map(|v| v.name.clone()).collect();
    let mut recorder = match &o.plot {
        Some(_) => {
            let names = if o.signals.is_empty() {
                let inputs = s.prog().pous[s.pou]
                    .vars
                    .iter()
                    .filter(|v| v.kind == VarKind::Input)
                    .map(|v| v.name.clone());
                inputs.chain(outputs.iter().cloned()).collect()
            } else {
                o.signals.clone()
            };
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            match Recorder::new(&s, &names, o.cycle_ms) {
                Ok(r) => Some(r),
                Err(e) => return usage(format!("--signal: {e}")),
            }
        }
        None => None,
    };
    let index = LineIndex::new(&text);
    let mut rows = Vec::new();
    if !o.json {
        let header: Vec<&str> = ["cycle", "time_ms"]
            .into_iter()
            .chain(outputs.iter().map(String::as_str))
            .collect();
        println!("{}", header.join(","));
    }
    let mut fault = None;
    for c in 1..=o.cycles {
        let time_ms = s.machine.now_ns as f64 / 1e6;
        let ran = s.cycle(o.cycle_ms);
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
        if o.trace || c == o.cycles {
            let values: Vec<serde_json::Value> = outputs
                .iter()
                .map(|n| s.get(n).unwrap_or(serde_json::Value::Null))
                .collect();
            if o.json {
                let m: serde_json::Map<String, serde_json::Value> =
                    outputs.iter().cloned().zip(values).collect();
                rows.push(json!({"cycle": c, "time_ms": time_ms, "outputs": m}));
            } else {
                let cells: Vec<String> = [c.to_string(), time_ms.to_string()]
                    .into_iter()
                    .chain(values.iter().map(csv_cell))
                    .collect();
                println!("{}", cells.join(","));
            }
        }
    }
    let fault_json = fault.as_ref().map(|f| {
        let (line, column) = index.line_col(f.span.start as usize);
        json!({"cycle": f.cycle, "kind": f.kind, "message": session::fault_text(f), "line": line, "column": column})
    });
    if o.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "pou": o.pou, "cycle_ms": o.cycle_ms, "rows": rows, "fault": fault_json,
            }))?
        );
    }
    if let (Some(path), Some(r)) = (&o.plot, recorder) {
        let d = r.finish();
        if d.truncated {
            eprintln!(
                "note: the signals changed more often than a diagram keeps; it ends at cycle {}",
                d.cycles
            );
        }
        for name in &d.left_out {
            eprintln!("note: {name} is not a number, BOOL or TIME; the diagram leaves it out");
        }
        let svg = super::plot::svg(&d)?;
        if let Err(e) = std::fs::write(path, svg) {
            return usage(format!("cannot write {}: {e}", path.display()));
        }
        eprintln!(
            "timing diagram: {} ({} signals, {} cycles)",
            path.display(),
            d.signals.len(),
            d.cycles
        );
    }
    if let Some(f) = &fault {
        let (line, column) = index.line_col(f.span.start as usize);
        eprintln!(
            "{name}:{line}:{column}: runtime fault in cycle {}: {}",
            f.cycle,
            session::fault_text(f)
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn csv_cell(v: &serde_json::Value) -> String {
    let t = session::cell_text(v);
    if t.contains([',', '"', '\n']) {
        format!("\"{}\"", t.replace('"', "\"\""))
    } else {
        t
    }
}
