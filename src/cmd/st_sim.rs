//! `millwright st test` and `millwright st run`: the simulator on the command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use millwright_app::st;
use millwright_app::AppError;
use millwright_iec61131::render;
use millwright_iec61131::sim::{session, vectors};
use serde_json::json;

pub struct RunOpts {
    pub pou: String,
    /// Library sources (default: the settings').
    pub libs: Vec<PathBuf>,
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
    let text = millwright_app::code::read(file).map_err(|e| e.user_message())?;
    Ok((file.display().to_string(), text))
}

/// Code that did not load because it has errors: printed (unless JSON is
/// asked for) and as JSON; `None` for any other error.
fn broken(name: &str, text: &str, e: &AppError, as_json: bool) -> Option<serde_json::Value> {
    let AppError::CodeErrors {
        errors,
        diagnostics,
        ..
    } = e
    else {
        return None;
    };
    if !as_json {
        print!("{}", render::render_text(name, text, diagnostics));
        eprintln!("{name}: {errors} error(s): fix them first; no test ran");
    }
    Some(json!({
        "path": name,
        "error": format!("the code has {errors} error(s); no test ran"),
        "diagnostics": render::locate(text, diagnostics),
    }))
}

pub fn test(file: &Path, vectors_path: &Path, libs: &[PathBuf], as_json: bool) -> Result<ExitCode> {
    let (name, text) = match read(file) {
        Ok(x) => x,
        Err(e) => return usage(e),
    };
    let vtext = match std::fs::read_to_string(vectors_path) {
        Ok(t) => t,
        Err(e) => return usage(format!("cannot read {}: {e}", vectors_path.display())),
    };
    let vname = vectors_path.display().to_string();
    let library = match super::st::libraries(libs) {
        Ok(l) => l,
        Err(e) => return usage(e.to_string()),
    };
    let (report, source) = match st::test(&name, &text, &vname, &vtext, &library, false) {
        Ok(r) => r,
        Err(e) => {
            return match broken(&name, &text, &e, as_json) {
                Some(report) => {
                    if as_json {
                        println!("{}", serde_json::to_string_pretty(&report)?);
                    }
                    Ok(ExitCode::from(1))
                }
                // One problem per line, each an error line.
                None => usage(e.user_message().replace('\n', "\nerror: ")),
            };
        }
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&name, &report, source.as_deref());
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
    let req = st::RunRequest {
        code: text,
        source: name.clone(),
        pou: o.pou.clone(),
        cycles: o.cycles,
        inputs: o.inputs.clone(),
        cycle_ms: o.cycle_ms,
        trace: o.trace,
        diagram: o.plot.is_some(),
        signals: o.signals.clone(),
    };
    let mut rows = Rows {
        json: o.json,
        header: false,
        rows: Vec::new(),
    };
    let library = match super::st::libraries(&o.libs) {
        Ok(l) => l,
        Err(e) => return usage(e.to_string()),
    };
    let report = match st::run(&req, &library, &mut rows) {
        Ok(r) => r,
        Err(e) => {
            return match broken(&name, &req.code, &e, false) {
                Some(_) => Ok(ExitCode::from(1)),
                None => usage(e.user_message()),
            }
        }
    };
    if o.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "pou": report.pou, "cycle_ms": report.cycle_ms, "rows": rows.rows,
                "fault": report.fault,
            }))?
        );
    } else if !rows.header {
        // Faulted in the first cycle: the header still says what the columns are.
        rows.print_header(&report.outputs);
    }
    if let (Some(path), Some(d)) = (&o.plot, &report.diagram) {
        if d.truncated {
            eprintln!(
                "note: the signals changed more often than a diagram keeps; it ends at cycle {}",
                d.cycles
            );
        }
        for name in &d.left_out {
            eprintln!("note: {name} is not a number, BOOL or TIME; the diagram leaves it out");
        }
        let svg = super::plot::svg(d)?;
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
    if let Some(f) = &report.fault {
        eprintln!(
            "{name}:{}:{}: runtime fault in cycle {}: {}",
            f.line, f.column, f.cycle, f.message
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `st run`'s rows: CSV printed as they come, or kept for one JSON object.
struct Rows {
    json: bool,
    header: bool,
    rows: Vec<serde_json::Value>,
}

impl Rows {
    fn print_header(&mut self, outputs: &[String]) {
        let header: Vec<&str> = ["cycle", "time_ms"]
            .into_iter()
            .chain(outputs.iter().map(String::as_str))
            .collect();
        println!("{}", header.join(","));
        self.header = true;
    }
}

impl st::RunSink for Rows {
    fn row(&mut self, cycle: u64, time_ms: f64, outputs: &[(&str, serde_json::Value)]) {
        if self.json {
            let m: serde_json::Map<String, serde_json::Value> = outputs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            self.rows
                .push(json!({"cycle": cycle, "time_ms": time_ms, "outputs": m}));
            return;
        }
        if !self.header {
            let names: Vec<String> = outputs.iter().map(|(k, _)| k.to_string()).collect();
            self.print_header(&names);
        }
        let cells: Vec<String> = [cycle.to_string(), time_ms.to_string()]
            .into_iter()
            .chain(outputs.iter().map(|(_, v)| csv_cell(v)))
            .collect();
        println!("{}", cells.join(","));
    }
}

fn csv_cell(v: &serde_json::Value) -> String {
    let t = session::cell_text(v);
    if t.contains([',', '"', '\n']) {
        format!("\"{}\"", t.replace('"', "\"\""))
    } else {
        t
    }
}
