//! `millwright ask QUESTION`: an answer from the user's documents, with
//! citations, or from a mechanism model when the question asks for a calculation.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use millwright_copilot::ask::{
    answer, calculate, retrieve, validate_question, wants_calculation, Answer, AskOptions,
};
use millwright_copilot::plc::EngineCompleter;
use millwright_knowledge::Options;

use crate::cmd::docs;
use crate::cmd::engine_opts::EngineOpts;

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
    validate_question(&a.question).map_err(anyhow::Error::msg)?;
    let kb = docs::open(Options::default())?;
    let opts = AskOptions {
        k: a.k,
        filter: docs::filter(a.collection, a.kinds, a.under)?,
        ..AskOptions::default()
    };
    let r = retrieve(&kb, &a.question, &opts).map_err(anyhow::Error::msg)?;
    let calc = wants_calculation(&a.question);
    // The model starts only when a tool or the documents can answer.
    let answer = if calc || r.answerable {
        let (mut eng, info) = a.engine.start()?;
        let mut model = EngineCompleter {
            engine: &mut eng,
            is_chat: info.is_chat,
        };
        let by_tool = if calc {
            calculate(&mut model, &a.question).map_err(anyhow::Error::msg)?
        } else {
            None
        };
        match by_tool {
            Some(t) => t,
            None => answer(&mut model, &r, opts.max_tokens).map_err(anyhow::Error::msg)?,
        }
    } else {
        r.not_found()
    };
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
    if let Some(c) = &t.result {
        super::calc::print_called(c);
    }
}
