//! `cargo xtask bench-engine`: raw llama.cpp (a small C program against the
//! llama.cpp that llama-cpp-sys-2 built) beside `millwright bench engine`, on
//! the same model, prompts, threads and greedy sampler.

use std::path::PathBuf;
use std::process::Command;

use crate::{step, Paths, Result};

/// The llama-cpp-sys-2 build output holding llama.h, the libraries and the CPU variants.
fn llama_build_dir(paths: &Paths) -> Result<PathBuf> {
    let build = paths.release().join("build");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&build)
        .map_err(|e| format!("cannot read {}: {e}", build.display()))?
        .flatten()
        .map(|e| e.path().join("out"))
        .filter(|out| out.join("include/llama.h").exists() && out.join("backends").is_dir())
        .collect();
    // The newest build is the one the binaries link.
    found.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    found.pop().ok_or_else(|| {
        format!(
            "no llama.cpp build under {}; run `cargo xtask setup`",
            build.display()
        )
    })
}

fn run_json(cmd: &mut Command) -> Result<serde_json::Value> {
    eprintln!("xtask: running {cmd:?}");
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{cmd:?} printed no JSON: {e}"))
}

/// `a` with each of `keys` raised to the larger of `a`'s and `b`'s value.
fn better(mut a: serde_json::Value, b: serde_json::Value, k1: &str, k2: &str) -> serde_json::Value {
    for key in [k1, k2] {
        let v = num(&a, key).max(num(&b, key));
        a[key] = serde_json::json!(v);
    }
    a
}

fn num(v: &serde_json::Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

pub fn bench_engine(paths: &Paths) -> Result<()> {
    crate::install_system_packages()?;
    crate::build_release(paths)?;
    step(Command::new(paths.millwright()).args(["models", "fetch"]))?;
    let llama = llama_build_dir(paths)?;
    let raw = paths.release().join("raw-llama-bench");
    let lib = ["lib64", "lib"]
        .iter()
        .map(|d| llama.join(d))
        .find(|d| d.is_dir())
        .ok_or("the llama.cpp build has no lib directory")?;
    step(
        Command::new("cc")
            .args(["-O2", "-o"])
            .arg(&raw)
            .arg(paths.root.join("xtask/bench/raw_llama.c"))
            .arg("-I")
            .arg(llama.join("include"))
            .arg("-L")
            .arg(&lib)
            .args(["-Wl,--no-as-needed", "-lllama", "-lggml", "-lggml-base"])
            .arg(format!("-Wl,-rpath,{}", lib.display())),
    )?;

    let threads =
        std::env::var("BENCH_THREADS").unwrap_or_else(|_| num_physical_cores().to_string());
    let listed = run_json(Command::new(paths.millwright()).args(["models", "list", "--json"]))?;
    let model = listed
        .as_array()
        .and_then(|a| a.iter().find(|m| m["is_default"] == true))
        .and_then(|m| m["path"].as_str())
        .ok_or("no default model in `models list`")?
        .to_owned();
    let assets = paths.root.join("assets/bench");
    let raw_run = |backend: &str| {
        run_json(
            Command::new(&raw)
                .arg(&model)
                .arg(&threads)
                .arg(assets.join("pp512.txt"))
                .arg(assets.join("tg.txt"))
                .arg("128")
                .arg(backend),
        )
    };
    let backends_dir = llama.join("backends");
    let backends = backends_dir.to_str().ok_or("non-UTF-8 path")?;
    let ours_run = || {
        run_json(
            Command::new(paths.millwright())
                .args(["bench", "engine", "--json", "--threads"])
                .arg(&threads),
        )
    };
    // Two alternating rounds, each side keeping its best, so a slow spell of a
    // shared machine does not land on one side only.
    let (raw1, ours1) = (raw_run(backends)?, ours_run()?);
    let (raw2, ours2) = (raw_run(backends)?, ours_run()?);
    let best = better(raw1, raw2, "pp_tokens_per_s", "tg_tokens_per_s");
    let ours = better(ours1, ours2, "pp_tokens_per_s", "tg_tokens_per_s");
    let baseline_lib = backends_dir.join("libggml-cpu-x64.so");
    let baseline = if baseline_lib.exists() {
        Some(raw_run(baseline_lib.to_str().ok_or("non-UTF-8 path")?)?)
    } else {
        None
    };

    println!("\nEngine benchmark: {model}, {threads} threads");
    println!(
        "  CPU kernels: {}",
        best["system_info"].as_str().unwrap_or("?")
    );
    println!("                              raw llama.cpp   millwright   ratio (target)");
    let ratio = |key: &str| num(&ours, key) / num(&best, key);
    println!(
        "  prompt processing (t/s)   {:>12.1}   {:>10.1}   {:.3} (>= 0.97)",
        num(&best, "pp_tokens_per_s"),
        num(&ours, "pp_tokens_per_s"),
        ratio("pp_tokens_per_s")
    );
    println!(
        "  generation (t/s)          {:>12.1}   {:>10.1}   {:.3} (>= 0.97)",
        num(&best, "tg_tokens_per_s"),
        num(&ours, "tg_tokens_per_s"),
        ratio("tg_tokens_per_s")
    );
    println!(
        "  grammar generation (t/s)                  {:>10.1}   {:.3} of unconstrained (>= 0.90), {} resamples",
        num(&ours, "grammar_tg_tokens_per_s"),
        num(&ours, "grammar_ratio"),
        ours["grammar_resamples"]
    );
    println!(
        "  time to first token (ms)  cold {:.1}, warm {:.1} ({} tokens reused)   {:.3} (<= 0.25)",
        num(&ours, "cold_ttft_ms"),
        num(&ours, "warm_ttft_ms"),
        ours["warm_reused_tokens"],
        num(&ours, "warm_over_cold")
    );
    if let Some(b) = baseline {
        println!(
            "  runtime-selected CPU variant vs baseline x86-64: prompt {:.2}x, generation {:.2}x (baseline {:.1} / {:.1} t/s)",
            num(&best, "pp_tokens_per_s") / num(&b, "pp_tokens_per_s"),
            num(&best, "tg_tokens_per_s") / num(&b, "tg_tokens_per_s"),
            num(&b, "pp_tokens_per_s"),
            num(&b, "tg_tokens_per_s"),
        );
    }
    Ok(())
}

/// Distinct (physical id, core id) pairs on Linux; logical CPUs elsewhere.
fn num_physical_cores() -> usize {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let mut cores = std::collections::BTreeSet::new();
    let mut phys = "";
    for line in cpuinfo.lines() {
        let value = || line.split_once(':').map_or("", |(_, v)| v.trim());
        if line.starts_with("physical id") {
            phys = value();
        } else if line.starts_with("core id") {
            cores.insert((phys.to_owned(), value().to_owned()));
        }
    }
    if cores.is_empty() {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        cores.len()
    }
}
