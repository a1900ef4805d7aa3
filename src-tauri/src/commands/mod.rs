//! The app's commands, one module per area. Each validates what the UI sent,
//! calls the library, and returns data or an error message that says what to do.

pub mod app;
pub mod ask;
pub mod calc;
pub mod chats;
pub mod docs;
pub mod files;
pub mod plc;
pub mod st;

/// Runs blocking work off the async runtime's threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| format!("the task stopped unexpectedly: {e}"))?
}
