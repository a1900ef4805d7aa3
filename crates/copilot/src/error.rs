//! Why a use case failed, by kind, so each front end words it for its user:
//! only a dead worker is worth "try again, the model restarts".

use millwright_engine::EngineError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The input is unusable (the message names it); the model was not asked.
    #[error("{0}")]
    Input(String),
    /// The model failed, or its worker died (the engine's `ErrorKind` says which).
    #[error(transparent)]
    Model(#[from] EngineError),
    /// The model answered with something that cannot be used.
    #[error("{0}")]
    Output(String),
    /// The documents could not be searched.
    #[error("{0}")]
    Documents(String),
}

#[cfg(test)]
impl Error {
    /// An input error whose message holds `text`.
    pub fn is_input_with(&self, text: &str) -> bool {
        matches!(self, Error::Input(m) if m.contains(text))
    }
}

pub type Result<T> = std::result::Result<T, Error>;
