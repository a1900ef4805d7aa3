//! `millwright st …`: the Structured Text toolkit.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use millwright_copilot::st_library::StLibrary;
use millwright_iec61131::ast::Item;
use millwright_iec61131::{render, source, Severity};
use serde_json::json;

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
        /// use: their declarations are visible, their own diagnostics not reported.
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
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run a POU for some cycles and print its outputs (CSV, or JSON with --json).
    Run {
        file: PathBuf,
        #[arg(long)]
        pou: String,
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
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.display().to_string();
            let st = millwright_iec61131::read_source(&name, &bytes)
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
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
            json,
        } => super::st_sim::test(&file, &vectors, json),
        StCmd::Run {
            file,
            pou,
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

/// The text of each file, or why it cannot be read (named).
fn read_all(paths: &[PathBuf]) -> (Vec<(String, String)>, bool) {
    let mut unreadable = false;
    let mut loaded = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| millwright_iec61131::read_source(&name, &b))
        {
            Ok(text) => loaded.push((name, text)),
            Err(e) => {
                eprintln!("error: cannot read {name}: {e}");
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
    let library = StLibrary::load(libs).map_err(anyhow::Error::msg)?;
    let texts: Vec<&str> = loaded.iter().map(|(_, t)| t.as_str()).collect();
    let (results, broken) = library.check(&texts);
    // A library file that does not parse declares nothing: say so, once.
    for name in broken {
        eprintln!("note: library file {name} has syntax errors; what it declares is not visible");
    }
    let (mut errors, mut warnings) = (0usize, 0usize);
    let mut reports = Vec::new();
    for ((name, text), parsed) in loaded.iter().zip(&results) {
        errors += parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        warnings += parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        if as_json {
            let pous: Vec<String> = parsed
                .file
                .items
                .iter()
                .filter_map(|i| match i {
                    Item::Pou(p) => Some(p.name.name.clone()),
                    _ => None,
                })
                .collect();
            reports.push(json!({
                "path": name,
                "pous": pous,
                "diagnostics": render::locate(text, &parsed.diagnostics),
            }));
        } else {
            print!("{}", render::render_text(name, text, &parsed.diagnostics));
        }
    }
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "files": reports }))?
        );
    } else {
        eprintln!(
            "{} file(s): {errors} error(s), {warnings} warning(s)",
            files.len()
        );
    }
    Ok(if unreadable {
        ExitCode::from(2)
    } else if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn fmt(files: &[PathBuf], check_only: bool) -> Result<ExitCode> {
    let (mut changed, mut failed) = (0usize, false);
    for path in files {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                failed = true;
                continue;
            }
        };
        let (text, encoding) = source::decode(&bytes);
        let formatted = match millwright_iec61131::format::format(&text) {
            Ok(f) => f,
            Err(diags) => {
                // Code with syntax errors is left as it is.
                print!(
                    "{}",
                    render::render_text(&path.display().to_string(), &text, &diags)
                );
                eprintln!(
                    "{}: not formatted: fix the syntax errors first",
                    path.display()
                );
                failed = true;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        changed += 1;
        if check_only {
            println!("{} would be reformatted", path.display());
            continue;
        }
        let out = match encoding {
            source::Encoding::Utf8 => formatted.into_bytes(),
            // Written back in the encoding it came in; every char came from a byte.
            source::Encoding::Latin1 => formatted.chars().map(|c| c as u32 as u8).collect(),
        };
        // Write beside and rename, so an interrupted write never leaves half a file.
        let tmp = path.with_extension("st.fmt-tmp");
        std::fs::write(&tmp, out)
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        println!("formatted {}", path.display());
    }
    Ok(if failed {
        ExitCode::from(2)
    } else if check_only && changed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn export(file: &PathBuf, out: &PathBuf) -> Result<ExitCode> {
    let name = file.display().to_string();
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {name}"))?;
    let text = millwright_iec61131::read_source(&name, &bytes)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let parsed = millwright_iec61131::parse(&text);
    if parsed.has_errors() {
        print!("{}", render::render_text(&name, &text, &parsed.diagnostics));
        eprintln!("{name}: not exported: fix the syntax errors first");
        return Ok(ExitCode::from(1));
    }
    let project = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let created = millwright_iec61131::plcopen::now_xsd_datetime();
    let exported = millwright_iec61131::plcopen::export(&text, &parsed.file, &project, &created);
    for note in &exported.notes {
        eprintln!("note: {note}");
    }
    std::fs::write(out, exported.xml).with_context(|| format!("cannot write {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(ExitCode::SUCCESS)
}
