//! `millwright plc …`: verified PLC code generation and IO lists.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use millwright_app::plc::{self as app_plc, GenRequest, GenSink, Lang};
use millwright_app::AppError;
use millwright_copilot::io_list;
use millwright_copilot::plc::{self, EngineCompleter};

use super::engine_opts::{app_error, EngineOpts};

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
        /// Sample freely instead of under a grammar.
        #[arg(long)]
        no_grammar: bool,
        /// Decode under the whole Structured Text grammar instead of the
        /// grammars built from the block's own declarations (the default: its
        /// new locals first, then a body that can only name declared
        /// variables, write writable ones and pass values of the right types).
        #[arg(long, conflicts_with = "no_grammar")]
        st_grammar: bool,
        /// Candidates of the first attempt, decoded side by side (one
        /// greedy, the others sampled); each is checked and simulated and the
        /// best goes on to repair. 1 to 16.
        #[arg(long, default_value_t = plc::DEFAULT_CANDIDATES)]
        candidates: u32,
        #[arg(long, default_value_t = 768)]
        max_tokens: u32,
        /// Without --tests: have the model propose test vectors, run them and
        /// report them as model-written.
        #[arg(long)]
        propose_tests: bool,
        #[command(flatten)]
        repetition: RepetitionOpts,
        /// Write the code (formatted when it parses) to this file.
        #[arg(long, value_name = "FILE.st")]
        out: Option<PathBuf>,
        /// Write it as PLCopen TC6 XML too (when it parses).
        #[arg(long, value_name = "FILE.xml")]
        plcopen: Option<PathBuf>,
        /// Do not show the model passages from your documents (`docs add`).
        #[arg(long)]
        no_docs: bool,
        /// Take passages only from this document collection.
        #[arg(long, value_name = "NAME")]
        collection: Option<String>,
        /// Print {"code","verified":{…},"diagnostics":[…],"citations":[…],…}.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        engine: EngineOpts,
    },
    /// Explain Structured Text for a maintenance engineer: the interface read
    /// from the code, the behaviour in the model's words.
    Explain {
        file: PathBuf,
        /// The answer's language for chat models: en or zh.
        #[arg(long, default_value = "en")]
        lang: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        engine: EngineOpts,
    },
    /// Add a header comment and comments above statements, checked to leave
    /// the program unchanged; prints the result, or writes it with --out.
    Comment {
        file: PathBuf,
        #[arg(long, value_name = "FILE.st")]
        out: Option<PathBuf>,
        #[command(flatten)]
        engine: EngineOpts,
    },
    /// Run the generation evaluation: the task set under each configuration
    /// (full, no-grammar, no-repair, no-retrieval, bare, symbols, symbols-no-repair,
    /// symbols-candidates, symbols-candidates-repair), with any GGUF model.
    Eval {
        /// Only these configurations (repeatable; default: all).
        #[arg(long = "config", value_name = "NAME")]
        configs: Vec<String>,
        /// Only the first N tasks.
        #[arg(long)]
        limit: Option<usize>,
        /// Only these tasks (repeatable; by name, e.g. `two_hand_control`).
        #[arg(long = "task", value_name = "NAME")]
        tasks: Vec<String>,
        /// The specs: `en` (English descriptions and IO lists), `zh` (the
        /// Chinese descriptions), `interface` (the spec carries the interface
        /// itself, as an ST header or a variable list, and no IO list).
        #[arg(long, default_value = "en")]
        set: String,
        #[arg(long, default_value_t = 512)]
        max_tokens: u32,
        #[command(flatten)]
        repetition: RepetitionOpts,
        /// Print every result and the summaries as JSON.
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

/// What keeps a small model from repeating lines until the token limit.
#[derive(clap::Args)]
pub struct RepetitionOpts {
    /// Repetition penalty over the last 64 tokens (1.0 = off).
    #[arg(long, default_value_t = plc::Repetition::DEFAULT.repeat_penalty)]
    repeat_penalty: f32,
    /// DRY penalty on repeating a sequence the model already wrote (0 = off).
    #[arg(long, default_value_t = plc::Repetition::DEFAULT.dry_multiplier)]
    dry: f32,
    /// Sequences of up to this many tokens repeat freely under --dry.
    #[arg(long, default_value_t = plc::Repetition::DEFAULT.dry_allowed_length)]
    dry_allowed: u32,
}

impl RepetitionOpts {
    fn get(&self) -> Result<plc::Repetition> {
        let r = plc::Repetition {
            repeat_penalty: self.repeat_penalty,
            dry_multiplier: self.dry,
            dry_allowed_length: self.dry_allowed,
        };
        millwright_engine::Sampling {
            repeat_penalty: r.repeat_penalty,
            dry_multiplier: r.dry_multiplier,
            dry_allowed_length: r.dry_allowed_length,
            ..millwright_engine::Sampling::greedy()
        }
        .validate()
        .map_err(|e| anyhow::anyhow!("--repeat-penalty/--dry/--dry-allowed: {e}"))?;
        Ok(r)
    }
}

pub fn run(cmd: PlcCmd) -> Result<ExitCode> {
    match cmd {
        PlcCmd::Io { file, gvl, out } => io(&file, gvl.as_deref(), out.as_deref()),
        PlcCmd::Eval {
            configs,
            limit,
            tasks,
            set,
            max_tokens,
            repetition,
            json,
            engine,
        } => eval(
            Selection {
                names: &configs,
                limit,
                only: &tasks,
                set: &set,
            },
            max_tokens,
            repetition.get()?,
            json,
            engine,
        ),
        PlcCmd::Explain {
            file,
            lang,
            json,
            engine,
        } => {
            let lang = Lang::parse(&lang).map_err(app_error)?;
            let code = read_st(&file)?;
            let ws = engine.workspace()?;
            let source = file.display().to_string();
            let e = app_plc::explain(&ws, &source, &code, lang, &mut |_| {}).map_err(app_error)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&e)?);
            } else {
                for p in &e.pous {
                    println!("{p}");
                }
                for (pou, kind, name, ty) in &e.interface {
                    println!("  {pou}: {kind} {name} : {ty}");
                }
                println!("\n{}", e.text);
            }
            Ok(ExitCode::SUCCESS)
        }
        PlcCmd::Comment { file, out, engine } => {
            let code = read_st(&file)?;
            let ws = engine.workspace()?;
            let source = file.display().to_string();
            let commented =
                app_plc::comment(&ws, &source, &code, &mut |_| {}).map_err(app_error)?;
            match out {
                Some(p) => std::fs::write(&p, commented)
                    .with_context(|| format!("cannot write {}", p.display()))?,
                None => print!("{commented}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        PlcCmd::Gen {
            spec,
            io_list,
            tests,
            rounds,
            name,
            examples,
            no_grammar,
            st_grammar,
            candidates,
            max_tokens,
            repetition,
            propose_tests,
            out,
            plcopen,
            no_docs,
            collection,
            json,
            engine,
        } => {
            let text = super::generate::read_prompt(&spec)?;
            let vectors_json = match &tests {
                Some(path) => Some(
                    std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                ),
                None => None,
            };
            let req = GenRequest {
                spec: text,
                io_list,
                vectors_json,
                vectors_source: tests.as_ref().map(|p| p.display().to_string()),
                rounds,
                name,
                examples,
                grammar: !no_grammar,
                symbols: !st_grammar,
                candidates,
                max_tokens,
                repetition: repetition.get()?,
                propose_tests,
                use_documents: !no_docs,
                collection,
            };
            let ws = engine.workspace()?;
            let report = match app_plc::generate(&ws, &req, &mut Progress { rounds }) {
                Ok(r) => r,
                Err(AppError::IoList { path, errors }) => {
                    return bad_rows(Path::new(&path), &errors)
                }
                Err(e) => return Err(app_error(e)),
            };
            if let Some(path) = &out {
                std::fs::write(path, &report.code)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            if let Some(path) = &plcopen {
                let parsed = millwright_iec61131::parse(&report.code);
                if parsed.has_errors() {
                    eprintln!("not writing {}: the code does not parse", path.display());
                } else {
                    let created = millwright_iec61131::plcopen::now_xsd_datetime();
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
    let by = match r.vectors_source.as_deref() {
        Some("model") => " (tests written by the model)",
        _ => "",
    };
    let tests = if v.tests_total == 0 {
        "no test vectors".to_string()
    } else {
        format!("tests {}/{}{by}", v.tests_passed, v.tests_total)
    };
    eprintln!(
        "verified: parsed {} · checked {} ({} error(s), {} warning(s)) · {tests} · {} round(s)",
        mark(v.parsed),
        mark(v.checked && v.errors == 0),
        v.errors,
        v.warnings,
        v.rounds
    );
    if r.candidates.len() > 1 {
        let clean = r.candidates.iter().filter(|c| c.clean()).count();
        let passed = r.candidates.iter().filter(|c| c.passed()).count();
        eprintln!(
            "candidates: {} sampled, {clean} check clean, {passed} passed their tests",
            r.candidates.len()
        );
        for c in &r.candidates {
            let t = if c.temperature == 0.0 {
                "greedy".to_string()
            } else {
                format!("T={} seed {}", c.temperature, c.seed)
            };
            eprintln!(
                "  #{} ({t}): {:?}{} · {} · {} error(s), {} warning(s) · tests {}/{}",
                c.index,
                c.ended,
                if c.closed {
                    ", kept to its last sound statement"
                } else {
                    ""
                },
                if c.clean() { "clean" } else { "not clean" },
                c.verified.errors,
                c.verified.warnings,
                c.verified.tests_passed,
                c.verified.tests_total
            );
        }
    }
    for (i, round) in r.history.iter().enumerate() {
        let why = match round.ended {
            plc::Ended::TokenLimit => {
                "cut off at the token limit before the block's end (raise --max-tokens, or use a bigger model)"
            }
            plc::Ended::EndKeywordInComment => {
                "the block's end keyword came inside a comment or string the model left open"
            }
            plc::Ended::ContextFull => "the context window filled up before the block's end",
            plc::Ended::Looping => {
                "ended early: the model repeated the same statements (or wrote nothing new)"
            }
            _ => continue,
        };
        let kept = if round.closed {
            "; kept to its last sound statement before that, and closed"
        } else {
            ""
        };
        eprintln!("  round {}: {why}{kept}", i + 1);
    }
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
        if c.source.starts_with("st-library/") {
            eprintln!("  example used: {} ({})", c.title, c.source);
        } else {
            eprintln!("  from your documents: {} ({})", c.title, c.source);
        }
    }
}

/// A Structured Text file (ST, PLCopen XML or TcPOU) as text.
fn read_st(file: &Path) -> Result<String> {
    millwright_app::code::read(file).map_err(super::engine_opts::app_error)
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
    let g = match app_plc::io_to_gvl(file, gvl) {
        Ok(g) => g,
        Err(AppError::IoList { path, errors }) => return bad_rows(Path::new(&path), &errors),
        Err(e) => return Err(app_error(e)),
    };
    let cols: Vec<String> = g
        .columns
        .iter()
        .map(|(k, h)| format!("{k} = {h:?}"))
        .collect();
    eprintln!(
        "{}: {} signal(s); columns: {}",
        file.display(),
        g.signals,
        cols.join(", ")
    );
    if !g.ignored.is_empty() {
        eprintln!("  not used: {}", g.ignored.join(", "));
    }
    match out {
        Some(p) => {
            std::fs::write(p, g.text).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => print!("{}", g.text),
    }
    Ok(ExitCode::SUCCESS)
}

/// What `plc gen` says on stderr while it works.
struct Progress {
    rounds: u32,
}

impl GenSink for Progress {
    fn model_ready(&mut self, info: &millwright_engine::ModelInfo) {
        eprintln!(
            "generating with {} ({}), up to {} round(s)…",
            info.name,
            if info.is_chat { "chat" } else { "base" },
            self.rounds + 1
        );
    }
}

/// Which configurations and tasks `plc eval` runs.
struct Selection<'a> {
    names: &'a [String],
    limit: Option<usize>,
    only: &'a [String],
    set: &'a str,
}

fn eval(
    Selection {
        names,
        limit,
        only,
        set,
    }: Selection,
    max_tokens: u32,
    repetition: plc::Repetition,
    as_json: bool,
    engine: EngineOpts,
) -> Result<ExitCode> {
    use millwright_copilot::eval;
    let configs: Vec<eval::Config> = if names.is_empty() {
        eval::CONFIGS.to_vec()
    } else {
        let mut out = Vec::new();
        for n in names {
            let c = eval::CONFIGS.iter().find(|c| c.name == n).ok_or_else(|| {
                let all: Vec<&str> = eval::CONFIGS.iter().map(|c| c.name).collect();
                anyhow::anyhow!("--config {n}: use one of {}", all.join(", "))
            })?;
            out.push(*c);
        }
        out
    };
    if max_tokens == 0 {
        anyhow::bail!("--max-tokens must be at least 1");
    }
    let task_set = eval::TaskSet::from_name(set).ok_or_else(|| {
        anyhow::anyhow!(
            "--set {set}: use one of {}",
            eval::TaskSet::NAMES.join(", ")
        )
    })?;
    let mut tasks = eval::task_set(task_set).map_err(anyhow::Error::msg)?;
    if !only.is_empty() {
        if let Some(unknown) = only.iter().find(|n| !tasks.iter().any(|t| &t.name == *n)) {
            let all: Vec<&str> = tasks.iter().map(|t| t.name.as_str()).collect();
            eprintln!(
                "error: no task {unknown:?}; the tasks are {}",
                all.join(", ")
            );
            return Ok(ExitCode::from(2));
        }
        tasks.retain(|t| only.contains(&t.name));
    }
    tasks.truncate(limit.unwrap_or(usize::MAX));
    let (mut eng, info) = engine.start()?;
    let mut model = EngineCompleter {
        engine: &mut eng,
        is_chat: info.is_chat,
    };
    let total = tasks.len() * configs.len();
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} tasks · {elapsed} · ETA {eta} · {msg}",
        )
        .expect("a valid template"),
    );
    let mut results = Vec::new();
    for c in &configs {
        for t in &tasks {
            bar.set_message(format!("{} / {}", c.name, t.name));
            let r = eval::run_task(&mut model, t, *c, max_tokens, repetition);
            if let Some(e) = &r.error {
                bar.println(format!("{} / {}: {e}", c.name, t.name));
            }
            if bar.is_hidden() {
                // Not a terminal (a log file): a line per task, so a long run
                // shows how far it got, and what it had, if it is stopped.
                eprintln!(
                    "{} / {} {} / {}: {}, {} of {} candidates clean, {}/{} tests, {:.1} s",
                    results.len() + 1,
                    total,
                    c.name,
                    t.name,
                    if r.passed {
                        "passes"
                    } else if r.checked {
                        "checks clean"
                    } else if r.parsed {
                        "parses"
                    } else {
                        "does not parse"
                    },
                    r.candidates_clean,
                    r.candidates,
                    r.tests_passed,
                    r.tests_total,
                    r.seconds
                );
            }
            results.push(r);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let summaries: Vec<eval::Summary> = configs
        .iter()
        .map(|c| eval::summarize(&results, *c))
        .collect();
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "model": info.name, "chat": info.is_chat, "tasks": tasks.len(), "set": set,
                "max_tokens": max_tokens, "repetition": repetition,
                "summaries": summaries, "results": results,
            }))?
        );
    } else {
        println!(
            "{} ({}), {} task(s), set {set}:",
            info.name,
            if info.is_chat { "chat" } else { "base" },
            tasks.len()
        );
        println!(
            "{:<26} {:>7} {:>8} {:>7} {:>8} {:>8} {:>7} {:>9} {:>8} {:>7} {:>7} {:>9}",
            "config",
            "parses",
            "checks",
            "passes",
            "cut off",
            "looping",
            "closed",
            "fin.clean",
            "cand.ok",
            "pass@1",
            "pass@N",
            "median s"
        );
        for s in &summaries {
            let pct = |x: f64| format!("{:.0}%", x * 100.0);
            println!(
                "{:<26} {:>7} {:>8} {:>7} {:>8} {:>8} {:>7} {:>9} {:>8} {:>7} {:>7} {:>9.1}",
                s.config,
                pct(s.parsed),
                pct(s.checked),
                pct(s.passed),
                pct(s.cut_off),
                pct(s.looping),
                pct(s.closed),
                pct(s.finished_clean),
                pct(s.clean_candidate),
                pct(s.pass_at_1),
                pct(s.pass_at_n),
                s.median_seconds
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
