//! The desktop app's shell. Commands are thin adapters (`commands/`): each
//! turns IPC into a request of the application layer (`millwright-app`) and
//! its sink into channel events, as the command line does with its arguments. Long work runs on blocking threads and reports through
//! `tauri::ipc::Channel`s; the UI thread never waits on a model or a parser.

mod command_names;
pub mod commands;
mod pdf_page;
pub mod state;

use std::path::PathBuf;

pub use command_names::COMMANDS;
pub use state::{AppState, Shared};

/// The hidden argument that makes this executable an engine worker (the same
/// as the command line's).
pub const ENGINE_WORKER_ARG: &str = "__engine-worker";

/// How much lower than the app's the engine worker's CPU priority is.
const WORKER_NICENESS: libc::c_int = 4;

/// Runs a worker when this process was started as one; `None` otherwise.
pub fn run_worker_if_asked() -> Option<i32> {
    let first = std::env::args_os().nth(1)?;
    if first == ENGINE_WORKER_ARG {
        // The window comes first: under contention for the cores (llama.cpp
        // takes them all) the scheduler favours the UI over generation, which
        // loses nothing when the machine is otherwise idle.
        // SAFETY: setpriority only reads its arguments; 0 is this process.
        unsafe {
            libc::setpriority(libc::PRIO_PROCESS, 0, WORKER_NICENESS);
        }
        return Some(millwright_engine::worker::main());
    }
    if first == millwright_knowledge::isolate::WORKER_ARG {
        let args: Vec<std::ffi::OsString> = std::env::args_os().skip(2).collect();
        let mib = millwright_knowledge::isolate::worker_memory_arg(&args);
        return Some(millwright_knowledge::isolate::worker_main(mib));
    }
    None
}

/// Registers the app's state, plugins and commands on `builder` (the real
/// runtime, or the mock one in tests).
pub fn build<R: tauri::Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::app::settings_get,
            commands::app::settings_set,
            commands::app::model_download,
            commands::docs::docs_add,
            commands::docs::docs_list,
            commands::docs::docs_status,
            commands::docs::docs_search,
            commands::docs::docs_chunk,
            commands::docs::docs_page,
            commands::docs::docs_remove,
            commands::docs::docs_reindex,
            commands::ask::ask,
            commands::ask::cancel,
            commands::st::st_check,
            commands::st::st_open,
            commands::st::st_format,
            commands::st::st_test,
            commands::st::st_run,
            commands::st::st_plcopen,
            commands::plc::plc_generate,
            commands::plc::plc_explain,
            commands::plc::plc_comment,
            commands::plc::plc_io,
            commands::calc::calc_tools,
            commands::calc::calc_run,
            commands::files::save_text,
            commands::chats::chats_list,
            commands::chats::chat_save,
            commands::chats::chat_load,
        ])
}

/// The app's configuration (tauri.conf.json) and assets, for any runtime:
/// the real one, or the mock one tests drive the commands through.
pub fn context<R: tauri::Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// Starts the app on the data directory (`MILLWRIGHT_HOME` or the platform's).
pub fn run() -> anyhow::Result<()> {
    let home = millwright_models::Home::from_env()?;
    let exe: PathBuf = std::env::current_exe()?;
    let started = std::time::Instant::now();
    let state = AppState::new(home, exe, started);
    build(tauri::Builder::default(), state)
        .run(context())
        .map_err(|e| anyhow::anyhow!("the window could not start: {e}"))
}
