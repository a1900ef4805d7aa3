//! `millwright st …`: the Structured Text toolkit.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use millwright_app::AppError;
use millwright_copilot::st_library::StLibrary;
use millwright_iec61131::{render, source};
use serde_json::json;

use super::engine_opts::app_error;

#[derive(Subcommand)]
pub enum StCmd {
    /// Parse and check ST files; exit 0 when clean, 1 on errors, 2 on unreadable input.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print {"files":[{"path","pous","diagnostics":[…]}]} instead of text.
        #[arg(long)]
        json: bool,
        /// Library sources (files or folders of .st, .exp, .xml, .TcPOU) the files
        /// use: their declarations are visible, their own diagnostics not reported
        /// (default: the settings' `st_libraries`).
        #[arg(long = "lib", value_name = "PATH")]
        libs: Vec<PathBuf>,
    },
    /// Format files in the canonical style (in place), or with --check report
    /// which would change (exit 1).
    Fmt {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        check: bool,
    },
    /// Export a file's POUs, types and globals as PLCopen TC6 XML 2.01.
    Export {
        file: PathBuf,
        #[arg(long, value_name = "OUT.xml")]
        plcopen: PathBuf,
    },
    /// Read PLCopen XML or a TwinCAT .TcPOU and print it as Structured Text.
    Import {
        file: PathBuf,
        /// Write to this .st file instead of stdout.
        #[arg(long, value_name = "OUT.st")]
        out: Option<PathBuf>,
    },
    /// Print the GBNF grammar that constrains a model writing Structured Text.
    Grammar,
    /// Run test vectors against a POU in the simulator; exit 0 when all pass,
    /// 1 when some fail (or the code has errors), 2 on unusable input.
    Test {
        file: PathBuf,
        #[arg(long, value_name = "VECTORS.json")]
        vectors: PathBuf,
        /// Library sources the code uses (default: the settings' `st_libraries`).
        #[arg(long = "lib", value_name = "PATH")]
        libs: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run a POU for some cycles and print its outputs (CSV, or JSON with --json).
    Run {
        file: PathBuf,
        #[arg(long)]
        pou: String,
        /// Library sources the code uses (default: the settings' `st_libraries`).
        #[arg(long = "lib", value_name = "PATH")]
        libs: Vec<PathBuf>,
        #[arg(long, default_value_t = 1)]
        cycles: u64,
        /// An input and its value: `start=true`, `sp=42.5`, `delay=T#2s`, `mode=Auto`.
        #[arg(long = "in", value_name = "NAME=VALUE")]
        inputs: Vec<String>,
        /// One row per cycle instead of the final state only.
        #[arg(long)]
        trace: bool,
        #[arg(long, default_value_t = 10.0)]
        cycle_ms: f64,
        #[arg(long)]
        json: bool,
        /// Also draw the run as a timing diagram (SVG) into this file.
        #[arg(long, value_name = "FILE.svg")]
        plot: Option<PathBuf>,
        /// A variable the diagram shows (repeatable; dotted paths like `tmr.ET`;
        /// default: the inputs and outputs).
        #[arg(long = "signal", value_name = "NAME", requires = "plot")]
        signals: Vec<String>,
    },
}

pub fn run(cmd: StCmd) -> Result<ExitCode> {
    match cmd {
        StCmd::Check { files, json, libs } => check(&files, &libs, json),
        StCmd::Fmt { files, check } => fmt(&files, check),
        StCmd::Export { file, plcopen } => export(&file, &plcopen),
        StCmd::Import { file, out } => {
            let st = millwright_app::code::read(&file).map_err(app_error)?;
            match out {
                Some(path) => std::fs::write(&path, st)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => print!("{st}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        StCmd::Grammar => {
            print!("{}", millwright_iec61131::gbnf::grammar());
            Ok(ExitCode::SUCCESS)
        }
        StCmd::Test {
            file,
            vectors,
            libs,
            json,
        } => super::st_sim::test(&file, &vectors, &libs, json),
        StCmd::Run {
            file,
            pou,
            libs,
            cycles,
            inputs,
            trace,
            cycle_ms,
            json,
            plot,
            signals,
        } => super::st_sim::run(
            &file,
            &super::st_sim::RunOpts {
                pou,
                libs,
                cycles,
                inputs,
                trace,
                cycle_ms,
                json,
                plot,
                signals,
            },
        ),
    }
}

/// The libraries named by `--lib`, else the settings'.
pub fn libraries(libs: &[PathBuf]) -> Result<StLibrary> {
    let ws = super::engine_opts::EngineOpts::default().workspace()?;
    millwright_app::st::libraries(&ws, libs).map_err(app_error)
}

/// The text of each file, or why it cannot be read (named).
fn read_all(paths: &[PathBuf]) -> (Vec<(String, String)>, bool) {
    let mut unreadable = false;
    let mut loaded = Vec::new();
    for path in paths {
        match millwright_app::code::read(path) {
            Ok(text) => loaded.push((path.display().to_string(), text)),
            Err(e) => {
                eprintln!("error: {}", e.user_message());
                unreadable = true;
            }
        }
    }
    (loaded, unreadable)
}

/// Files are checked together, as one project: each may use what the others
/// declare, and what the libraries declare.
fn check(files: &[PathBuf], libs: &[PathBuf], as_json: bool) -> Result<ExitCode> {
    let (loaded, unreadable) = read_all(files);
    let library = libraries(libs)?;
    let report = millwright_app::code::check(loaded, &library).map_err(app_error)?;
    // A library file that does not parse declares nothing: say so, once.
    for name in &report.broken_libraries {
        eprintln!("note: library file {name} has syntax errors; what it declares is not visible");
    }
    if as_json {
        let files: Vec<_> = report
            .files
            .iter()
            .map(|f| {
                json!({
                    "path": f.name,
                    "pous": f.pous,
                    "diagnostics": render::locate(&f.text, &f.diagnostics),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "files": files }))?
        );
    } else {
        for f in &report.files {
            print!("{}", render::render_text(&f.name, &f.text, &f.diagnostics));
        }
        eprintln!(
            "{} file(s): {} error(s), {} warning(s)",
            files.len(),
            report.errors(),
            report.warnings()
        );
    }
    Ok(if unreadable {
        ExitCode::from(2)
    } else if report.errors() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn fmt(files: &[PathBuf], check_only: bool) -> Result<ExitCode> {
    use millwright_app::code::{format_file, Formatted};
    let (mut changed, mut failed) = (0usize, false);
    for path in files {
        let name = path.display();
        match format_file(path, check_only) {
            Ok(Formatted::Unchanged) => {}
            Ok(Formatted::Changed) if check_only => {
                changed += 1;
                println!("{name} would be reformatted");
            }
            Ok(Formatted::Changed) => {
                changed += 1;
                println!("formatted {name}");
            }
            Err(AppError::CodeErrors { diagnostics, .. }) => {
                // Code with syntax errors is left as it is.
                let (text, _) = source::decode(&std::fs::read(path).unwrap_or_default());
                print!(
                    "{}",
                    render::render_text(&name.to_string(), &text, &diagnostics)
                );
                eprintln!("{name}: not formatted: fix the syntax errors first");
                failed = true;
            }
            Err(e) => {
                eprintln!("error: {}", e.user_message());
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::from(2)
    } else if check_only && changed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn export(file: &Path, out: &Path) -> Result<ExitCode> {
    let name = file.display().to_string();
    let text = millwright_app::code::read(file).map_err(app_error)?;
    let project = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let exported = match millwright_app::code::export_plcopen(&name, &text, &project) {
        Ok(e) => e,
        Err(AppError::CodeErrors { diagnostics, .. }) => {
            print!("{}", render::render_text(&name, &text, &diagnostics));
            eprintln!("{name}: not exported: fix the syntax errors first");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(app_error(e)),
    };
    for note in &exported.notes {
        eprintln!("note: {note}");
    }
    std::fs::write(out, exported.xml).with_context(|| format!("cannot write {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(ExitCode::SUCCESS)
}
