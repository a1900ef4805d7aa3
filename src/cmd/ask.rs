//! `millwright ask QUESTION`: an answer from the user's documents, with citations.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use millwright_copilot::ask::{answer, retrieve, AskOptions};
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
    let kb = docs::open(Options::default())?;
    let opts = AskOptions {
        k: a.k,
        filter: docs::filter(a.collection, a.kinds, a.under)?,
        ..AskOptions::default()
    };
    let r = retrieve(&kb, &a.question, &opts).map_err(anyhow::Error::msg)?;
    // The model starts only when the documents hold an answer.
    let answer = if r.answerable {
        let (mut eng, info) = a.engine.start()?;
        let mut model = EngineCompleter {
            engine: &mut eng,
            is_chat: info.is_chat,
        };
        answer(&mut model, &r, opts.max_tokens).map_err(anyhow::Error::msg)?
    } else {
        r.not_found()
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        println!("{}\n", answer.answer);
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
