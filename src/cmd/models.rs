//! `millwright models …`: list and fetch.

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use millwright_models::fetch::{fetch, FetchEvent, FetchOutcome};
use millwright_models::local::{list, LocalState};
use millwright_models::{Home, Manifest};

#[derive(Subcommand)]
pub enum ModelsCmd {
    /// Show known and local models and their state.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Download a known model (default: the default model) and verify it.
    Fetch {
        /// A model name from `models list`.
        name: Option<String>,
    },
    /// Show what a GGUF file says about itself, after validating it.
    Inspect { path: std::path::PathBuf },
}

pub fn run(cmd: ModelsCmd) -> Result<ExitCode> {
    let home = Home::from_env()?;
    match cmd {
        ModelsCmd::List { json } => {
            let models = list(&home);
            if json {
                println!("{}", serde_json::to_string_pretty(&models)?);
            } else {
                println!("data directory: {}", home.root().display());
                for m in models {
                    let state = match m.state {
                        LocalState::Missing => "not downloaded",
                        LocalState::Unverified => "present, not verified",
                        LocalState::Verified => "ready (verified)",
                        LocalState::Unlisted => "local GGUF",
                    };
                    let default = if m.is_default { " [default]" } else { "" };
                    println!("{:<24} {:<22} {}{default}", m.name, state, m.path.display());
                }
            }
        }
        ModelsCmd::Fetch { name } => {
            let manifest = Manifest::builtin();
            let entry = match &name {
                None => manifest.default_model(),
                Some(n) => match manifest.get(n) {
                    Some(e) => e,
                    None => bail!(
                        "no known model is called {n:?}; `millwright models list` shows the names"
                    ),
                },
            };
            eprintln!(
                "{} ({} bytes, {})",
                entry.display, entry.size, entry.licence
            );
            let bar = ProgressBar::new(entry.size).with_style(
                ProgressStyle::with_template(
                    "{msg:12} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_message("waiting");
            let outcome = fetch(&home, entry, &mut |ev| match ev {
                FetchEvent::Downloading {
                    package,
                    index,
                    count,
                } => bar.suspend(|| eprintln!("downloading {package} ({index}/{count})")),
                FetchEvent::Assembling { done, .. } => {
                    bar.set_message("assembling");
                    bar.set_position(done);
                }
                FetchEvent::Verifying { done, .. } => {
                    bar.set_message("verifying");
                    bar.set_position(done);
                }
            });
            bar.finish_and_clear();
            match outcome? {
                FetchOutcome::AlreadyPresent(p) => {
                    println!("{} is already present and verified", p.display())
                }
                FetchOutcome::Fetched(p) => println!("fetched and verified {}", p.display()),
            }
        }
        ModelsCmd::Inspect { path } => {
            let info = millwright_gguf::inspect(&path)?;
            println!("file:          {}", info.path.display());
            println!("size:          {} bytes", info.file_size);
            println!("gguf version:  {}", info.version);
            println!("architecture:  {}", info.architecture());
            println!("name:          {}", info.name().unwrap_or("-"));
            println!(
                "context:       {}",
                info.context_length().map_or("-".into(), |c| c.to_string())
            );
            println!(
                "kind:          {}",
                if info.chat_template().is_some() {
                    "chat (has a chat template)"
                } else {
                    "base (no chat template)"
                }
            );
            println!(
                "tensors:       {} ({} bytes)",
                info.tensors.len(),
                info.tensor_bytes()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
