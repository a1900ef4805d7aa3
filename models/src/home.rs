//! The data directory. Everything Millwright stores lives under it, so a test
//! (or a user with two setups) can point `MILLWRIGHT_HOME` somewhere else.

use std::path::{Path, PathBuf};

pub const HOME_ENV: &str = "MILLWRIGHT_HOME";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// `MILLWRIGHT_HOME` if set and not empty, else the platform data directory
    /// (`~/.local/share/millwright` on Linux).
    pub fn from_env() -> anyhow::Result<Self> {
        if let Some(dir) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return Ok(Self::at(dir));
        }
        let base = dirs::data_dir().ok_or_else(|| {
            anyhow::anyhow!("no data directory is known for this user; set {HOME_ENV}")
        })?;
        Ok(Self::at(base.join("millwright")))
    }

    pub fn at(root: impl Into<PathBuf>) -> Self {
        Home { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Downloaded and verified model files.
    pub fn models_dir(&self) -> PathBuf {
        self.root.join("models")
    }

    /// User settings (`settings.json`).
    pub fn settings_file(&self) -> PathBuf {
        self.root.join("settings.json")
    }
}
