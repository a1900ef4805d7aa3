include!("src/command_names.rs");

fn main() {
    // Each app command gets an `allow-NAME` permission; only what
    // capabilities/default.json lists can be invoked from the UI.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
