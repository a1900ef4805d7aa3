//! Helpers shared by the command-line tests: the real binary, the real
//! default model, temporary data directories.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use millwright_models::{fetch::model_path, Home, Manifest};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_millwright"))
}

pub fn default_model() -> PathBuf {
    let path = model_path(
        &Home::from_env().unwrap(),
        Manifest::builtin().default_model(),
    );
    assert!(
        path.exists(),
        "run `cargo xtask test`, which fetches {}",
        path.display()
    );
    path
}

pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("millwright runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

pub fn in_home(home: &Path) -> Command {
    let mut c = bin();
    c.env("MILLWRIGHT_HOME", home);
    c
}

/// The pid of a child of `parent` started with `arg` (a worker's hidden
/// argument), waiting up to `wait` for it to appear.
pub fn worker_of(parent: u32, arg: &str, wait: std::time::Duration) -> Option<u32> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        if let Some(pid) = children(parent).into_iter().find(|&pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.split(|&b| b == 0).any(|a| a == arg.as_bytes()))
        }) {
            return Some(pid);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The live child processes of `parent`, from /proc.
fn children(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // `pid (comm) state ppid …`; comm may hold spaces, so split after ')'.
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                s.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                    == Some(parent)
            })
        })
        .collect()
}

/// Sends SIGKILL to `pid`.
pub fn kill9(pid: u32) {
    let ok = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -9 {pid}");
}
