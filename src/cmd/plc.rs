//! `millwright plc …`: verified PLC code generation and IO lists.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use millwright_copilot::io_list;
use millwright_copilot::plc::{self, EngineCompleter, GenSpec};
use millwright_iec61131::sim::Vectors;

use super::engine_opts::EngineOpts;

#[derive(Subcommand)]
pub enum PlcCmd {
    /// Generate a function block from a description, check it, run its tests,
    /// repair it, and report what was verified. Exit 0 when it parses, checks
    /// clean and passes every test; 1 when not; 2 on unusable input.
    Gen {
        /// The specification; `-` reads stdin, `@FILE` reads a file.
        spec: String,
        /// An IO list (.csv or .xlsx): its inputs and outputs become the block's.
        #[arg(long, value_name = "FILE")]
        io_list: Option<PathBuf>,
        /// Test vectors the block must pass (the format of `st test`).
        #[arg(long, value_name = "VECTORS.json")]
        tests: Option<PathBuf>,
        /// Repair rounds after the first attempt.
        #[arg(long, default_value_t = 2)]
        rounds: u32,
        /// The block's name (default: the vectors' `pou`, else FB_Generated).
        #[arg(long)]
        name: Option<String>,
        /// Library examples to show the model (0 = none).
        #[arg(long, default_value_t = 1)]
        examples: usize,
        /// Sample freely instead of under the Structured Text grammar.
        #[arg(long)]
        no_grammar: bool,
        #[arg(long, default_value_t = 768)]
        max_tokens: u32,
        /// Write the code (formatted when it parses) to this file.
        #[arg(long, value_name = "FILE.st")]
        out: Option<PathBuf>,
        /// Write it as PLCopen TC6 XML too (when it parses).
        #[arg(long, value_name = "FILE.xml")]
        plcopen: Option<PathBuf>,
        /// Print {"code","verified":{…},"diagnostics":[…],"citations":[…],…}.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        engine: EngineOpts,
    },
    /// Turn an IO list (.csv or .xlsx) into a VAR_GLOBAL list of located
    /// variables; exit 1 with the bad rows' numbers when any row is wrong.
    Io {
        file: PathBuf,
        /// A name for the global variable list (in its header comment).
        #[arg(long)]
        gvl: Option<String>,
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "FILE.st")]
        out: Option<PathBuf>,
    },
}

pub fn run(cmd: PlcCmd) -> Result<ExitCode> {
    match cmd {
        PlcCmd::Io { file, gvl, out } => io(&file, gvl.as_deref(), out.as_deref()),
        PlcCmd::Gen {
            spec,
            io_list,
            tests,
            rounds,
            name,
            examples,
            no_grammar,
            max_tokens,
            out,
            plcopen,
            json,
            engine,
        } => {
            let text = super::generate::read_prompt(&spec)?;
            let io = match &io_list {
                Some(path) => match io_list::read(path) {
                    Ok(l) => Some(l),
                    Err(errs) => return bad_rows(path, &errs),
                },
                None => None,
            };
            let vectors = match &tests {
                Some(path) => {
                    let t = std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    Some(
                        Vectors::from_json(&t)
                            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
                    )
                }
                None => None,
            };
            if max_tokens == 0 {
                anyhow::bail!("--max-tokens must be at least 1");
            }
            let spec = GenSpec {
                io,
                vectors,
                name,
                rounds,
                grammar: !no_grammar,
                examples,
                max_tokens,
                ..GenSpec::new(text)
            };
            let (mut eng, info) = engine.start()?;
            eprintln!(
                "generating with {} ({}), up to {} round(s)…",
                info.name,
                if info.is_chat { "chat" } else { "base" },
                rounds + 1
            );
            let mut model = EngineCompleter {
                engine: &mut eng,
                is_chat: info.is_chat,
            };
            let report = plc::generate(&mut model, &spec).map_err(anyhow::Error::msg)?;
            if let Some(path) = &out {
                std::fs::write(path, &report.code)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            if let Some(path) = &plcopen {
                let parsed = millwright_iec61131::parse(&report.code);
                if parsed.has_errors() {
                    eprintln!("not writing {}: the code does not parse", path.display());
                } else {
                    let created = super::st::now_xsd_datetime();
                    let xml = millwright_iec61131::plcopen::export(
                        &report.code,
                        &parsed.file,
                        "millwright",
                        &created,
                    );
                    std::fs::write(path, xml.xml)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_report(&report);
            }
            Ok(if report.verified_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn print_report(r: &plc::Report) {
    println!("{}", r.code);
    let v = &r.verified;
    let mark = |ok: bool| if ok { "✓" } else { "✗" };
    let tests = if v.tests_total == 0 {
        "no test vectors".to_string()
    } else {
        format!("tests {}/{}", v.tests_passed, v.tests_total)
    };
    eprintln!(
        "verified: parsed {} · checked {} ({} error(s), {} warning(s)) · {tests} · {} round(s)",
        mark(v.parsed),
        mark(v.checked && v.errors == 0),
        v.errors,
        v.warnings,
        v.rounds
    );
    for d in &r.diagnostics {
        eprintln!(
            "  line {}: {:?} {}: {}",
            d.line, d.severity, d.code, d.message
        );
    }
    for f in &r.test_failures {
        eprintln!("  {f}");
    }
    for c in &r.citations {
        eprintln!("  example used: {} ({})", c.title, c.source);
    }
}

fn bad_rows(path: &Path, errs: &[io_list::RowError]) -> Result<ExitCode> {
    for e in errs {
        eprintln!("error: {}: {e}", path.display());
    }
    Ok(ExitCode::from(if errs.iter().all(|e| e.row == 0) {
        2
    } else {
        1
    }))
}

fn io(file: &Path, gvl: Option<&str>, out: Option<&Path>) -> Result<ExitCode> {
    let list = match io_list::read(file) {
        Ok(l) => l,
        Err(errs) => return bad_rows(file, &errs),
    };
    let cols: Vec<String> = list
        .columns
        .iter()
        .map(|(k, h)| format!("{k} = {h:?}"))
        .collect();
    eprintln!(
        "{}: {} signal(s); columns: {}",
        file.display(),
        list.entries.len(),
        cols.join(", ")
    );
    if !list.ignored.is_empty() {
        eprintln!("  not used: {}", list.ignored.join(", "));
    }
    let text = io_list::to_gvl(&list, gvl);
    match out {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
