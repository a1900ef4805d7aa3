//! `millwright st …`: the Structured Text toolkit.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use millwright_iec61131::ast::Item;
use millwright_iec61131::{parse, render, source, Severity};
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
    },
    /// Print the GBNF grammar that constrains a model writing Structured Text.
    Grammar,
}

pub fn run(cmd: StCmd) -> Result<ExitCode> {
    match cmd {
        StCmd::Check { files, json } => check(&files, json),
        StCmd::Grammar => {
            print!("{}", millwright_iec61131::gbnf::grammar());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn check(files: &[PathBuf], as_json: bool) -> Result<ExitCode> {
    let mut reports = Vec::new();
    let (mut errors, mut warnings, mut unreadable) = (0usize, 0usize, false);
    for path in files {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                unreadable = true;
                continue;
            }
        };
        let (text, _) = source::decode(&bytes);
        let parsed = parse(&text);
        let name = path.display().to_string();
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
                "diagnostics": render::locate(&text, &parsed.diagnostics),
            }));
        } else {
            print!("{}", render::render_text(&name, &text, &parsed.diagnostics));
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
