//! `millwright generate`: stream a completion to stdout.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use millwright_engine::{ChatMessage, GenerateRequest, Input, OverflowPolicy, Sampling};

use super::engine_opts::EngineOpts;

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub engine: EngineOpts,
    /// A GBNF grammar file the output must follow.
    #[arg(long, value_name = "FILE.gbnf")]
    pub grammar: Option<PathBuf>,
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub max_tokens: u32,
    #[arg(long, default_value_t = 42, value_name = "S")]
    pub seed: u32,
    /// Sampling temperature; 0 = greedy.
    #[arg(long, default_value_t = 0.8, value_name = "T")]
    pub temp: f32,
    #[arg(long, default_value_t = 40)]
    pub top_k: u32,
    #[arg(long, default_value_t = 0.95)]
    pub top_p: f32,
    #[arg(long, default_value_t = 0.05)]
    pub min_p: f32,
    #[arg(long, default_value_t = 1.0)]
    pub repeat_penalty: f32,
    /// Stop before this string (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub stop: Vec<String>,
    /// Treat PROMPT as a user message and use the model's chat template.
    #[arg(long)]
    pub chat: bool,
    /// Drop the start of an over-long prompt instead of failing.
    #[arg(long)]
    pub truncate: bool,
    /// Print one JSON object with the text and timings instead of streaming.
    #[arg(long)]
    pub json: bool,
    /// The prompt; `-` reads stdin, `@FILE` reads a file.
    pub prompt: String,
}

pub fn read_prompt(p: &str) -> Result<String> {
    if p == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the prompt from stdin")?;
        Ok(s)
    } else if let Some(file) = p.strip_prefix('@') {
        std::fs::read_to_string(file).with_context(|| format!("cannot read prompt file {file}"))
    } else {
        Ok(p.to_owned())
    }
}

pub fn run(a: GenerateArgs) -> Result<ExitCode> {
    let prompt = read_prompt(&a.prompt)?;
    let grammar = match &a.grammar {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read grammar file {}", path.display()))?,
        ),
        None => None,
    };
    let request = GenerateRequest {
        input: if a.chat {
            Input::Chat(vec![ChatMessage {
                role: "user".into(),
                content: prompt,
            }])
        } else {
            Input::Prompt(prompt)
        },
        sampling: Sampling {
            temperature: a.temp,
            top_k: a.top_k,
            top_p: a.top_p,
            min_p: a.min_p,
            repeat_penalty: a.repeat_penalty,
            seed: a.seed,
            ..Sampling::default()
        },
        max_tokens: a.max_tokens,
        stop: a.stop.clone(),
        grammar,
        end_with_grammar: false,
        overflow: if a.truncate {
            OverflowPolicy::TruncateStart
        } else {
            OverflowPolicy::Error
        },
        prefill: String::new(),
        loop_guard: None,
    };
    let (mut engine, info) = a.engine.start()?;
    let canceller = engine.canceller();
    // Ctrl-C stops the generation cleanly; a second Ctrl-C exits at once.
    let pressed = std::sync::atomic::AtomicBool::new(false);
    let _ = ctrlc::set_handler(move || {
        if pressed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
        canceller.cancel();
    });

    let stream = !a.json;
    let mut stdout = std::io::stdout();
    let out = engine.generate(&request, |piece| {
        if stream {
            let _ = stdout.write_all(piece.as_bytes());
            let _ = stdout.flush();
        }
    })?;
    if a.json {
        let v = serde_json::json!({
            "text": out.text,
            "finish": out.finish,
            "model": info.name,
            "model_path": info.path,
            "is_chat": info.is_chat,
            "stats": out.stats,
            "prompt_tokens_per_s": out.stats.prompt_tokens_per_s(),
            "generate_tokens_per_s": out.stats.generate_tokens_per_s(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!();
        let s = &out.stats;
        eprintln!(
            "[{:?}; prompt {} tokens ({} reused) {:.0} t/s; generated {} tokens {:.1} t/s; first token {:.0} ms]",
            out.finish,
            s.prompt_tokens,
            s.reused_tokens,
            s.prompt_tokens_per_s(),
            s.generated_tokens,
            s.generate_tokens_per_s(),
            s.first_token_ms
        );
    }
    Ok(ExitCode::SUCCESS)
}
