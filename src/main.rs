//! `millwright`: every capability from the command line, for scripting and headless use.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The hidden argument that turns this executable into an engine worker.
pub const WORKER_ARG: &str = "__engine-worker";

#[derive(Parser)]
#[command(name = "millwright", version, about = "Offline engineering copilot")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage local models.
    #[command(subcommand)]
    Models(cmd::models::ModelsCmd),
    /// Continue a prompt with the local model, streaming to stdout.
    Generate(cmd::generate::GenerateArgs),
    /// Structured Text: check, format, PLCopen export/import, and the generation grammar.
    #[command(subcommand)]
    St(cmd::st::StCmd),
    /// PLC code: generate verified function blocks, turn IO lists into declarations.
    #[command(subcommand)]
    Plc(cmd::plc::PlcCmd),
    /// Engineering calculations (mechanism models) with units: run one, or --list.
    Calc(cmd::calc::CalcArgs),
    /// Answer a question from your documents, citing file and page.
    Ask(cmd::ask::AskArgs),
    /// The design-document knowledge base: add folders, search, status.
    #[command(subcommand)]
    Docs(cmd::docs::DocsCmd),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(cmd::bench::BenchCmd),
}

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing into a closed pipe (`| head`) panics;
    // a command-line tool should stop quietly instead, as C tools do.
    // SAFETY: resetting a signal to its default action before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    if std::env::args_os().nth(1).is_some_and(|a| a == WORKER_ARG) {
        return ExitCode::from(millwright_engine::worker::main() as u8);
    }
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == millwright_knowledge::isolate::WORKER_ARG)
    {
        let args: Vec<std::ffi::OsString> = std::env::args_os().skip(2).collect();
        let mib = millwright_knowledge::isolate::worker_memory_arg(&args);
        return ExitCode::from(millwright_knowledge::isolate::worker_main(mib) as u8);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Models(c) => cmd::models::run(c),
        Command::Generate(a) => cmd::generate::run(a),
        Command::St(c) => cmd::st::run(c),
        Command::Plc(c) => cmd::plc::run(c),
        Command::Calc(a) => cmd::calc::run(a),
        Command::Ask(a) => cmd::ask::run(a),
        Command::Docs(c) => cmd::docs::run(c),
        Command::Bench(c) => cmd::bench::run(c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
