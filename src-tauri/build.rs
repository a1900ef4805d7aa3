include!("src/command_names.rs");

fn main() {
    // llama.cpp's shared libraries, as for the `millwright` binary (see
    // crates/engine/build.rs): without it the app finds them only where
    // llama-cpp-sys-2 happened to link them beside the binary.
    if let Ok(lib) = std::env::var("DEP_MILLWRIGHT_ENGINE_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    }
    // Each app command gets an `allow-NAME` permission; only what
    // capabilities/default.json lists can be invoked from the UI.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
