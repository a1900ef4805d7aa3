//! Where Millwright keeps its data, which models it knows, and how it fetches them.
//!
//! - [`home`]: the one data directory (`MILLWRIGHT_HOME`, or the platform's).
//! - [`manifest`]: the known models, embedded from `models/manifest.toml`.
//! - [`fetch`]: download, assemble and verify a known model; safe to interrupt.
//! - [`local`]: which models are present and usable, and resolving `--model`.

pub mod fetch;
pub mod home;
pub mod local;
pub mod manifest;

pub use home::Home;
pub use manifest::{Manifest, ModelEntry};
