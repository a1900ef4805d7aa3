//! The desktop app on Tauri's mock runtime, with its real configuration and
//! capabilities, and its commands invoked as the UI invokes them. Shared by
//! `src-tauri/tests/commands.rs` and the root package's `tests/front_ends.rs`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use millwright_desktop::AppState;
use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

/// A channel argument: the mock runtime drops what is sent on it.
pub const CHANNEL: &str = "__CHANNEL__:7";

/// The app's state on `home`, its workers run by `worker_exe`.
pub fn state(home: &Path, worker_exe: PathBuf) -> AppState {
    AppState::new(
        millwright_models::Home::at(home),
        worker_exe,
        Instant::now(),
    )
}

/// The app with its main window.
pub fn app(state: AppState) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = millwright_desktop::build(mock_builder(), state)
        .build(millwright_desktop::context())
        .expect("app builds");
    let w = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("main window");
    (app, w)
}

pub fn invoke(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        w,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap())
}
