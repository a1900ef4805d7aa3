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
