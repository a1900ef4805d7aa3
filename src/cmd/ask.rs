//! `millwright ask QUESTION`: an answer from the user's documents, with
//! citations, or from a mechanism model when the question asks for a calculation.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use millwright_app::ask::{ask, AskRequest};
use millwright_copilot::ask::Answer;

use crate::cmd::engine_opts::{app_error, EngineOpts};

#[derive(Args)]
pub struct AskArgs {
    pub question: String,
    #[arg(long, short)]
    pub collection: Option<String>,
    /// Only these file kinds (pdf, docx, markdown, text, html, csv, xlsx, st).
    #[arg(long = "kind")]
    pub kinds: Vec<String>,
    /// Only files at or under this path.
    #[arg(long)]
    pub under: Option<PathBuf>,
    /// Passages given to the model.
    #[arg(short, default_value_t = 4)]
    pub k: usize,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub engine: EngineOpts,
}

pub fn run(a: AskArgs) -> Result<ExitCode> {
    let ws = a.engine.workspace()?;
    let req = AskRequest {
        question: a.question,
        collection: a.collection,
        kinds: a.kinds,
        under: a.under,
        k: a.k,
    };
    let answer = ask(&ws, &req, &mut ()).map_err(app_error)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        println!("{}\n", answer.answer);
        print_tool(&answer);
        for c in answer.citations.iter().filter(|c| c.cited) {
            println!("[{}] {}", c.n, c.citation);
        }
        let uncited: Vec<_> = answer.citations.iter().filter(|c| !c.cited).collect();
        if !uncited.is_empty() {
            println!("also read:");
            for c in uncited {
                println!("[{}] {}", c.n, c.citation);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The call as a card: tool, inputs with units, formula, results, notes.
fn print_tool(a: &Answer) {
    let Some(t) = &a.tool else { return };
    println!(
        "call: {} {}",
        t.call.tool,
        serde_json::Value::Object(t.call.args.clone())
    );
    match &t.result {
        Some(c) => super::calc::print_called(c),
        None => {
            let args: Vec<String> = t
                .call
                .ordered_pairs()
                .iter()
                .map(|(k, v)| format!("--{k} {}", serde_json::Value::String(v.clone())))
                .collect();
            println!(
                "to run it yourself: millwright calc {} {}",
                t.call.tool,
                args.join(" ")
            );
        }
    }
}
