// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    // The app is also its own engine and extraction worker (run as child
    // processes, so a crash in llama.cpp or a PDF parser never takes the window).
    if let Some(code) = millwright_desktop::run_worker_if_asked() {
        return ExitCode::from(code as u8);
    }
    match millwright_desktop::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
