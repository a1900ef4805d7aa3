//! Models on this machine: their state, and which file a command should use.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

use crate::fetch::{model_path, stamp_matches};
use crate::{Home, Manifest};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalState {
    /// Not downloaded.
    Missing,
    /// A file is there but has not been verified against the manifest (or changed since).
    Unverified,
    Verified,
    /// A GGUF file the manifest does not know; usable with `--model`.
    Unlisted,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocalModel {
    pub name: String,
    pub path: PathBuf,
    pub state: LocalState,
    pub size: Option<u64>,
    pub is_default: bool,
}

/// Known models with their state, then any other `.gguf` files in the models directory.
pub fn list(home: &Home) -> Vec<LocalModel> {
    let manifest = Manifest::builtin();
    let mut out: Vec<LocalModel> = manifest
        .models
        .iter()
        .map(|e| {
            let path = model_path(home, e);
            let size = std::fs::metadata(&path).ok().map(|m| m.len());
            let state = match size {
                None => LocalState::Missing,
                Some(_) if stamp_matches(&path) => LocalState::Verified,
                Some(_) => LocalState::Unverified,
            };
            LocalModel {
                name: e.name.clone(),
                path,
                state,
                size,
                is_default: e.name == manifest.default,
            }
        })
        .collect();
    if let Ok(entries) = std::fs::read_dir(home.models_dir()) {
        let mut extra: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "gguf"))
            .filter(|p| !out.iter().any(|m| &m.path == p))
            .collect();
        extra.sort();
        for path in extra {
            out.push(LocalModel {
                name: path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                size: std::fs::metadata(&path).ok().map(|m| m.len()),
                path,
                state: LocalState::Unlisted,
                is_default: false,
            });
        }
    }
    out
}

/// Settings a user keeps between runs (`settings.json` in the data directory).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// A GGUF file to use instead of the default model.
    pub model: Option<PathBuf>,
    /// Layers to offload to a GPU (0 = CPU only).
    pub gpu_layers: Option<u32>,
    /// Threads for generation (default: physical cores).
    pub threads: Option<u32>,
    /// Context window in tokens (default: the model's, capped at 8192).
    pub context_size: Option<u32>,
    /// The desktop app's language: `en` or `zh` (default: the system's).
    pub language: Option<String>,
    /// Structured Text library sources (files or folders) the user's code
    /// uses: the editor's checks and tests see their declarations, as
    /// `st check --lib` does.
    pub st_libraries: Vec<PathBuf>,
    /// Read scanned pages and images of added documents by OCR (default: on).
    pub ocr: Option<bool>,
}

impl Settings {
    /// Whether added documents' scanned pages and images are read by OCR.
    pub fn ocr_enabled(&self) -> bool {
        self.ocr.unwrap_or(true)
    }

    /// Reads the settings file; a missing file is the defaults, an unreadable or
    /// malformed one is an error that names it (never silently replaced).
    pub fn load(home: &Home) -> Result<Self> {
        let path = home.settings_file();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!(
                    "settings file {} is not valid: {e}; fix or delete it",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => bail!("cannot read settings file {}: {e}", path.display()),
        }
    }

    /// Writes the settings file atomically (a crash leaves the old one whole).
    pub fn save(&self, home: &Home) -> Result<()> {
        let path = home.settings_file();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        }
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| anyhow::anyhow!("cannot write settings file {}: {e}", path.display()))
    }
}

/// The model file a command should use: `--model PATH`, else the settings' model,
/// else the default model (which must have been fetched).
pub fn resolve(home: &Home, explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_owned());
    }
    if let Some(p) = Settings::load(home)?.model {
        return Ok(p);
    }
    let manifest = Manifest::builtin();
    let path = model_path(home, manifest.default_model());
    if !path.exists() {
        bail!(
            "the default model is not downloaded yet ({}); run `millwright models fetch`, or pass --model PATH to a GGUF file",
            path.display()
        );
    }
    Ok(path)
}
