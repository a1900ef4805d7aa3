//! `millwright bench engine`: speed of our engine on fixed prompts.
//! `millwright bench st` / `bench sim`: the ST toolkit's and the simulator's speed.
//! `cargo xtask bench-engine` runs this beside raw llama.cpp and prints ratios.

use std::process::ExitCode;

use anyhow::{ensure, Result};
use clap::Subcommand;
use millwright_engine::{Engine, GenerateRequest, GenerationStats, Sampling};
use serde::Serialize;

use super::engine_opts::EngineOpts;

const PP_PROMPT: &str = include_str!("../../assets/bench/pp512.txt");
const TG_PROMPT: &str = include_str!("../../assets/bench/tg.txt");
const PREFIX: &str = include_str!("../../assets/bench/prefix1000.txt");
const TEXT_GRAMMAR: &str = include_str!("../../assets/bench/text.gbnf");
const GEN_TOKENS: u32 = 128;
/// A library block whose declarations make the symbol-grammar bench's grammar.
const SYMBOL_BLOCK: &str = include_str!("../../assets/st-library/motor_start_stop.st");
const RUNS: usize = 3;

#[derive(Subcommand)]
pub enum BenchCmd {
    /// Structured Text parse and parse+check throughput on a corpus built from the fixtures.
    St {
        #[arg(long)]
        json: bool,
    },
    /// Simulator speed: 10,000 scan cycles of a 200-statement function block.
    Sim {
        #[arg(long)]
        json: bool,
    },
    /// Knowledge base: ingest speed beside pdftotext, retrieval quality per chunk size,
    /// search latency over 100,000 chunks.
    Docs(super::bench_docs::DocsBenchArgs),
    /// Prompt processing, generation, grammar-constrained generation, and time to first token.
    Engine {
        #[command(flatten)]
        engine: EngineOpts,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Serialize)]
struct Report {
    model: String,
    threads: u32,
    system_info: String,
    pp_tokens: u32,
    pp_tokens_per_s: f64,
    pp_runs: Vec<f64>,
    tg_tokens: u32,
    tg_tokens_per_s: f64,
    penalty_tg_tokens_per_s: f64,
    grammar_tg_tokens: u32,
    grammar_tg_tokens_per_s: f64,
    grammar_resamples: u32,
    grammar_ratio: f64,
    symbol_free_tokens_per_s: f64,
    symbol_grammar_tokens_per_s: f64,
    symbol_grammar_resamples: u32,
    symbol_grammar_ratio: f64,
    prefix_tokens: u32,
    cold_ttft_ms: f64,
    warm_ttft_ms: f64,
    warm_reused_tokens: u32,
    warm_over_cold: f64,
    parallel: Vec<Parallel>,
}

/// N sequences of one batch against the same N requests one after another.
#[derive(Serialize)]
struct Parallel {
    n: usize,
    tokens: u32,
    /// Generation time of the batch (its slowest sequence), and of the N
    /// requests one after another.
    batch_ms: f64,
    sequential_ms: f64,
    batch_tokens_per_s: f64,
    sequential_tokens_per_s: f64,
    /// The batch's time over one sequence's alone (the goal for 8: at most 3).
    batch_over_one: f64,
}

/// Batch sizes the engine bench measures.
const PARALLEL_N: [usize; 4] = [1, 2, 4, 8];

/// Tokens/s of N sequences side by side against N requests in turn, all
/// sampled with their own seeds from the same prompt, generation time only.
fn bench_parallel(engine: &mut Engine) -> Result<Vec<Parallel>> {
    let reqs: Vec<GenerateRequest> = (0..*PARALLEL_N.iter().max().unwrap_or(&1))
        .map(|k| GenerateRequest {
            sampling: Sampling {
                seed: k as u32 + 1,
                ..Sampling::default()
            },
            ..GenerateRequest::prompt(TG_PROMPT, GEN_TOKENS)
        })
        .collect();
    let mut out: Vec<Parallel> = Vec::new();
    for n in PARALLEL_N {
        let (mut batch_ms, mut seq_ms) = (f64::MAX, f64::MAX);
        let (mut batch_tokens, mut seq_tokens) = (0, 0);
        for _ in 0..RUNS {
            let b = engine.generate_batch(&reqs[..n], |_, _| {})?;
            let ms = b.iter().map(|g| g.stats.generate_ms).fold(0.0, f64::max);
            if ms < batch_ms {
                batch_ms = ms;
                batch_tokens = b.iter().map(|g| g.stats.generated_tokens).sum();
            }
            let (mut total, mut tokens) = (0.0, 0);
            for r in &reqs[..n] {
                let g = engine.generate(r, |_| {})?;
                total += g.stats.generate_ms;
                tokens += g.stats.generated_tokens;
            }
            if total < seq_ms {
                seq_ms = total;
                seq_tokens = tokens;
            }
        }
        let one = out.first().map_or(batch_ms, |p| p.batch_ms);
        out.push(Parallel {
            n,
            tokens: batch_tokens,
            batch_ms,
            sequential_ms: seq_ms,
            batch_tokens_per_s: f64::from(batch_tokens) * 1000.0 / batch_ms.max(1e-9),
            sequential_tokens_per_s: f64::from(seq_tokens) * 1000.0 / seq_ms.max(1e-9),
            batch_over_one: batch_ms / one.max(1e-9),
        });
    }
    Ok(out)
}

fn greedy(prompt: String, max_tokens: u32) -> GenerateRequest {
    GenerateRequest {
        sampling: Sampling::greedy(),
        ..GenerateRequest::prompt(prompt, max_tokens)
    }
}

/// Runs a request after a throw-away one, so nothing but BOS is reused.
fn cold(engine: &mut Engine, req: &GenerateRequest) -> Result<GenerationStats> {
    engine.generate(&greedy("·".into(), 1), |_| {})?;
    let stats = engine.generate(req, |_| {})?.stats;
    ensure!(
        stats.reused_tokens <= 1,
        "a cold run reused {} tokens",
        stats.reused_tokens
    );
    Ok(stats)
}

/// A prompt ending in a block's declarations, and the grammar of its body
/// built from them (as `plc gen` decodes).
fn symbol_bench_prompt() -> Result<(String, String)> {
    let end = "END_FUNCTION_BLOCK";
    let header_end = SYMBOL_BLOCK
        .find("END_VAR\nIF")
        .map(|i| i + "END_VAR\n".len())
        .ok_or_else(|| anyhow::anyhow!("the bench block has no body"))?;
    let header = &SYMBOL_BLOCK[..header_end];
    let analysis = millwright_iec61131::Analysis::new(&format!("{header}{end}\n"));
    let grammar = millwright_iec61131::gbnf::body_grammar(analysis.model(), "FB_Motor", end);
    Ok((
        format!("(* IEC 61131-3 Structured Text *)\n{header}"),
        grammar,
    ))
}

/// Throughput is compared best-of-runs: on a shared machine noise only slows runs down.
fn best(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NAN, f64::max)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

const ST_FIXTURES: [&str; 5] = [
    include_str!("../../crates/iec61131/tests/fixtures/valid/codesys23_export.st"),
    include_str!("../../crates/iec61131/tests/fixtures/valid/motor.st"),
    include_str!("../../crates/iec61131/tests/fixtures/valid/oop.st"),
    include_str!("../../crates/iec61131/tests/fixtures/valid/statements.st"),
    include_str!("../../crates/iec61131/tests/fixtures/valid/types.st"),
];

/// Parses and checks a corpus of the fixtures repeated to `target` bytes; returns
/// (bytes, best parse seconds, best parse+check seconds) over a few runs.
fn st_throughput(target: usize) -> Result<(usize, f64, f64)> {
    let unit = ST_FIXTURES.join("\n");
    let corpus = unit.repeat(target.div_ceil(unit.len()));
    let (mut parse_s, mut check_s) = (f64::MAX, f64::MAX);
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let p = millwright_iec61131::parse(&corpus);
        parse_s = parse_s.min(t.elapsed().as_secs_f64());
        ensure!(!p.has_errors(), "the bench corpus does not parse");
        let t = std::time::Instant::now();
        let c = millwright_iec61131::check_text(&corpus);
        check_s = check_s.min(t.elapsed().as_secs_f64());
        ensure!(
            !c.diagnostics.is_empty() || c.file.items.len() > 1,
            "nothing was checked"
        );
    }
    Ok((corpus.len(), parse_s, check_s))
}

fn bench_st(json: bool) -> Result<ExitCode> {
    let (big, big_parse, big_check) = st_throughput(8 << 20)?;
    let (lib, _, lib_check) = st_throughput(600 << 10)?;
    let mbs = |bytes: usize, s: f64| bytes as f64 / s / 1e6;
    let v = serde_json::json!({
        "corpus_bytes": big,
        "parse_mb_per_s": mbs(big, big_parse),
        "parse_check_mb_per_s": mbs(big, big_check),
        "library_600k_bytes": lib,
        "library_600k_parse_check_ms": lib_check * 1000.0,
    });
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "ST corpus of {:.1} MB (the fixtures repeated):",
            big as f64 / 1e6
        );
        println!("  parse           {:8.1} MB/s", mbs(big, big_parse));
        println!(
            "  parse + check   {:8.1} MB/s (target >= 20)",
            mbs(big, big_check)
        );
        println!(
            "  a {} KB library: parse + check in {:.1} ms (target <= 30)",
            lib / 1024,
            lib_check * 1000.0
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A function block of `n` top-level statements of the kinds PLC code is made
/// of: arithmetic, IF, CASE, array access, conversions, timers, bit strings.
pub fn sim_bench_source(n: usize) -> String {
    let mut body = String::new();
    for i in 0..n {
        let line = match i % 8 {
            0 => format!("acc := acc + INT_TO_DINT(x) * {};", i % 13 + 1),
            1 => format!(
                "IF acc > {} THEN flag := NOT flag; ELSE cnt := cnt + 1; END_IF",
                i * 100
            ),
            2 => format!("buf[{}] := buf[{}] + 1;", i % 16, (i + 3) % 16),
            3 => "r := r * 0.5 + INT_TO_REAL(cnt MOD 7);".to_string(),
            4 => {
                "CASE cnt MOD 4 OF 0: y := y + 1; 1: y := y - 1; ELSE y := y * 3 MOD 1000; END_CASE"
                    .to_string()
            }
            5 => format!("t[{}](IN := flag, PT := T#50ms);", i % 8),
            6 => "w := SHL(w, 1) OR BOOL_TO_WORD(flag);".to_string(),
            _ => "lim := LIMIT(-1000, lim + x, 1000);".to_string(),
        };
        body.push_str(&line);
        body.push('\n');
    }
    format!(
        "FUNCTION_BLOCK FB_Bench\nVAR_INPUT x : INT; END_VAR\nVAR_OUTPUT y : DINT; END_VAR\n\
         VAR acc : DINT; cnt : INT; flag : BOOL; buf : ARRAY[0..15] OF INT; r : REAL;\n\
         t : ARRAY[0..7] OF TON; w : WORD; lim : INT; END_VAR\n{body}END_FUNCTION_BLOCK\n"
    )
}

const SIM_STATEMENTS: usize = 200;
const SIM_CYCLES: u64 = 10_000;

fn bench_sim(json: bool) -> Result<ExitCode> {
    use millwright_iec61131::sim::{self, Session};
    let src = sim_bench_source(SIM_STATEMENTS);
    let prog = match sim::load(&[&src]) {
        Ok(p) => p,
        Err(sim::LoadError(files)) => anyhow::bail!(
            "the generated bench block does not check:\n{}",
            millwright_iec61131::render::render_text("bench.st", &src, &files[0].diagnostics)
        ),
    };
    let mut best = f64::MAX;
    for _ in 0..5 {
        let mut s = Session::new(&prog, "FB_Bench").map_err(anyhow::Error::msg)?;
        s.set("x", &serde_json::json!(3))
            .map_err(anyhow::Error::msg)?;
        let t = std::time::Instant::now();
        for _ in 0..SIM_CYCLES {
            s.cycle(10.0)
                .map_err(|f| anyhow::anyhow!("{}", sim::session::fault_text(&f)))?;
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    let v = serde_json::json!({
        "statements": SIM_STATEMENTS,
        "cycles": SIM_CYCLES,
        "ms": best * 1000.0,
        "cycles_per_s": SIM_CYCLES as f64 / best,
        "statements_per_s": (SIM_CYCLES as f64 * SIM_STATEMENTS as f64) / best,
    });
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("Simulator, a {SIM_STATEMENTS}-statement function block (best of 5 runs):");
        println!(
            "  {SIM_CYCLES} cycles in {:.1} ms (target <= 100)",
            best * 1000.0
        );
        println!("  {:.0} cycles/s", SIM_CYCLES as f64 / best);
        println!(
            "  {:.1} million statements/s",
            SIM_CYCLES as f64 * SIM_STATEMENTS as f64 / best / 1e6
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(cmd: BenchCmd) -> Result<ExitCode> {
    let (opts, json) = match cmd {
        BenchCmd::St { json } => return bench_st(json),
        BenchCmd::Sim { json } => return bench_sim(json),
        BenchCmd::Docs(a) => return super::bench_docs::run(a).map(|()| ExitCode::SUCCESS),
        BenchCmd::Engine { engine, json } => (engine, json),
    };
    let (mut engine, info) = opts.start()?;
    // Warm up: page the weights in and let the CPU settle.
    engine.generate(&greedy(TG_PROMPT.into(), 8), |_| {})?;

    let mut pp = Vec::new();
    let mut pp_tokens = 0;
    for _ in 0..RUNS {
        let s = cold(&mut engine, &greedy(PP_PROMPT.into(), 1))?;
        pp_tokens = s.decoded_prompt_tokens;
        pp.push(s.prompt_tokens_per_s());
    }

    let mut tg = Vec::new();
    let mut tg_tokens = 0;
    for _ in 0..RUNS {
        let s = cold(&mut engine, &greedy(TG_PROMPT.into(), GEN_TOKENS))?;
        tg_tokens = s.generated_tokens;
        tg.push(s.generate_tokens_per_s());
    }

    // As PLC generation samples: the repetition penalty over the last 64 tokens.
    let mut ptg = Vec::new();
    for _ in 0..RUNS {
        let mut req = greedy(TG_PROMPT.into(), GEN_TOKENS);
        req.sampling.repeat_penalty = 1.1;
        ptg.push(cold(&mut engine, &req)?.generate_tokens_per_s());
    }

    let mut gtg = Vec::new();
    let (mut g_tokens, mut resamples) = (0, 0);
    for _ in 0..RUNS {
        let mut req = greedy(TG_PROMPT.into(), GEN_TOKENS);
        req.grammar = Some(TEXT_GRAMMAR.into());
        let s = cold(&mut engine, &req)?;
        g_tokens = s.generated_tokens;
        resamples = s.grammar_resamples;
        gtg.push(s.generate_tokens_per_s());
    }

    // PLC generation's body grammar (built from a block's declarations)
    // against the same prompt unconstrained: the cost of the constraint,
    // resamples included, where the model's own choice is often refused.
    let (prompt, grammar) = symbol_bench_prompt()?;
    let (mut free, mut sym) = (Vec::new(), Vec::new());
    let mut sym_resamples = 0;
    // Both sides sample alike (greedy, the repetition penalty PLC generation uses).
    for _ in 0..RUNS {
        let mut req = greedy(prompt.clone(), GEN_TOKENS);
        req.sampling.repeat_penalty = 1.1;
        free.push(cold(&mut engine, &req)?.generate_tokens_per_s());
        req.grammar = Some(grammar.clone());
        let s = cold(&mut engine, &req)?;
        sym_resamples = s.grammar_resamples;
        sym.push(s.generate_tokens_per_s());
    }

    // The figures so far, before the long parallel part: a run stopped early keeps them.
    eprintln!(
        "measured: prompt {:.1} t/s, generation {:.1} t/s, grammar {:.1} t/s, symbol grammar {:.1} t/s ({sym_resamples} resamples, {:.2}x unconstrained)",
        best(&pp),
        best(&tg),
        best(&gtg),
        best(&sym),
        best(&sym) / best(&free)
    );
    let (mut cold_ms, mut warm_ms) = (Vec::new(), Vec::new());
    let (mut prefix_tokens, mut reused) = (0, 0);
    for run in 0..RUNS {
        let c = cold(
            &mut engine,
            &greedy(
                format!("{PREFIX}Question {run}: which contactor switches M3?\nAnswer:"),
                1,
            ),
        )?;
        prefix_tokens = c.prompt_tokens;
        cold_ms.push(c.first_token_ms);
        let w = engine
            .generate(&greedy(format!("{PREFIX}Question {run}: what stops the section when B32 stays blocked?\nAnswer:"), 1), |_| {})?
            .stats;
        reused = w.reused_tokens;
        warm_ms.push(w.first_token_ms);
    }

    let parallel = bench_parallel(&mut engine)?;

    let r = Report {
        model: info.name.clone(),
        threads: info.threads,
        system_info: info.system_info.clone(),
        pp_tokens,
        pp_tokens_per_s: best(&pp),
        pp_runs: pp,
        tg_tokens,
        tg_tokens_per_s: best(&tg),
        penalty_tg_tokens_per_s: best(&ptg),
        grammar_tg_tokens: g_tokens,
        grammar_tg_tokens_per_s: best(&gtg),
        grammar_resamples: resamples,
        grammar_ratio: best(&gtg) / best(&tg),
        symbol_free_tokens_per_s: best(&free),
        symbol_grammar_tokens_per_s: best(&sym),
        symbol_grammar_resamples: sym_resamples,
        symbol_grammar_ratio: best(&sym) / best(&free),
        prefix_tokens,
        cold_ttft_ms: median(cold_ms.clone()),
        warm_ttft_ms: median(warm_ms.clone()),
        warm_reused_tokens: reused,
        warm_over_cold: median(warm_ms) / median(cold_ms),
        parallel,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!("model {} on {} threads", r.model, r.threads);
        println!("  {}", r.system_info);
        println!(
            "prompt processing   {:8.1} tokens/s ({} tokens)",
            r.pp_tokens_per_s, r.pp_tokens
        );
        println!(
            "generation          {:8.1} tokens/s ({} tokens)",
            r.tg_tokens_per_s, r.tg_tokens
        );
        println!(
            "  with penalty 1.1  {:8.1} tokens/s (as PLC generation samples)",
            r.penalty_tg_tokens_per_s
        );
        println!(
            "grammar generation  {:8.1} tokens/s ({} tokens, {} resamples) = {:.2}x unconstrained",
            r.grammar_tg_tokens_per_s, r.grammar_tg_tokens, r.grammar_resamples, r.grammar_ratio
        );
        println!(
            "symbol grammar      {:8.1} tokens/s ({} resamples) = {:.2}x the same prompt and sampling unconstrained ({:.1} tokens/s; goal >= 0.85)",
            r.symbol_grammar_tokens_per_s,
            r.symbol_grammar_resamples,
            r.symbol_grammar_ratio,
            r.symbol_free_tokens_per_s
        );
        println!(
            "time to first token {:8.1} ms cold, {:.1} ms warm ({} of {} tokens reused) = {:.2}x",
            r.cold_ttft_ms, r.warm_ttft_ms, r.warm_reused_tokens, r.prefix_tokens, r.warm_over_cold
        );
        println!("parallel sequences (sampled, {GEN_TOKENS} tokens each; generation time):");
        for p in &r.parallel {
            println!(
                "  N={}  batch {:8.0} ms {:7.1} tokens/s · one after another {:8.0} ms {:7.1} tokens/s · {:.2}x the time of one (goal for 8: <= 3)",
                p.n,
                p.batch_ms,
                p.batch_tokens_per_s,
                p.sequential_ms,
                p.sequential_tokens_per_s,
                p.batch_over_one
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
