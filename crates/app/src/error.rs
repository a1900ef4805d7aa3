//! Why a use case failed, by kind: each front end decides the words and the
//! exit code from the kind, never by reading the message.

use millwright_copilot::io_list::RowError;
use millwright_engine::{EngineError, ErrorKind};

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// The request is unusable (the message names the input and the
    /// problem); nothing was started.
    #[error("{0}")]
    Input(String),
    /// An IO list with rows that cannot be used; `errors` name the rows
    /// (row 0: the file as a whole).
    #[error("{path}: {}", first_errors(errors))]
    IoList { path: String, errors: Vec<RowError> },
    /// A mechanism model refused its arguments (the error names the one).
    #[error("{tool}: {error}")]
    Calculation {
        tool: &'static str,
        error: millwright_tools::CallError,
    },
    /// Code with errors, which cannot run; `diagnostics` for a front end to show.
    #[error("{name}: the code has {errors} error(s); fix them first")]
    CodeErrors {
        name: String,
        errors: usize,
        diagnostics: Vec<millwright_iec61131::diagnostics::Diagnostic>,
    },
    /// The settings or the data directory cannot be used.
    #[error("{0}")]
    Settings(String),
    /// The model file could not be loaded.
    #[error("the model could not be loaded: {0}")]
    ModelLoad(EngineError),
    /// The engine's worker process died mid-request (a llama.cpp abort, out
    /// of memory, a kill); the next request starts a new one.
    #[error("{0}")]
    WorkerDied(EngineError),
    /// The model failed for another reason (context full, a bad grammar…).
    #[error("{0}")]
    Model(EngineError),
    /// The model's output could not be used.
    #[error("{0}")]
    Output(String),
    /// The knowledge base could not be opened or searched.
    #[error("{0}")]
    Documents(String),
}

fn first_errors(errors: &[RowError]) -> String {
    let shown: Vec<String> = errors.iter().take(10).map(|e| e.to_string()).collect();
    let more = errors.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} (and {more} more)", shown.join("; "))
    } else {
        shown.join("; ")
    }
}

impl AppError {
    /// The message for a person: what went wrong and, for a dead worker,
    /// that asking again is the remedy (the engine's own message says so
    /// when the worker died mid-request; not when it could not be reached).
    pub fn user_message(&self) -> String {
        match self {
            AppError::WorkerDied(e) if !e.message.contains("try again") => {
                format!("{e}; try again: a new engine worker starts with the next request")
            }
            other => other.to_string(),
        }
    }
}

impl From<EngineError> for AppError {
    fn from(e: EngineError) -> Self {
        if e.kind == ErrorKind::WorkerDied {
            AppError::WorkerDied(e)
        } else {
            AppError::Model(e)
        }
    }
}

impl From<millwright_copilot::Error> for AppError {
    fn from(e: millwright_copilot::Error) -> Self {
        use millwright_copilot::Error as E;
        match e {
            E::Input(m) => AppError::Input(m),
            E::Model(e) => e.into(),
            E::Output(m) => AppError::Output(m),
            E::Documents(m) => AppError::Documents(m),
        }
    }
}

pub type Result<T> = std::result::Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(kind: ErrorKind, message: &str) -> EngineError {
        EngineError {
            kind,
            message: message.into(),
        }
    }

    #[test]
    fn only_a_dead_worker_is_told_to_try_again() {
        let died: AppError = engine(ErrorKind::WorkerDied, "the engine worker is gone").into();
        assert!(matches!(died, AppError::WorkerDied(_)));
        assert!(died.user_message().contains("try again"), "{died}");
        // The engine's own message already says it: not twice.
        let said = engine(
            ErrorKind::WorkerDied,
            "killed by signal 9\nThe request was lost; try again: a new engine worker starts with the same model.",
        );
        assert_eq!(AppError::from(said.clone()).user_message(), said.message);
        for other in [
            AppError::from(engine(ErrorKind::ContextOverflow, "the prompt is too long")),
            AppError::Input("\"my block\" is not a valid POU name".into()),
            AppError::Output("the model returned no candidate".into()),
        ] {
            assert!(!matches!(other, AppError::WorkerDied(_)));
            assert!(!other.user_message().contains("try again"), "{other}");
        }
    }

    #[test]
    fn the_pipelines_kinds_are_kept() {
        use millwright_copilot::Error as E;
        assert!(matches!(
            AppError::from(E::Input("x".into())),
            AppError::Input(_)
        ));
        assert!(matches!(
            AppError::from(E::Model(engine(ErrorKind::WorkerDied, "gone"))),
            AppError::WorkerDied(_)
        ));
        assert!(matches!(
            AppError::from(E::Model(engine(ErrorKind::Decode, "decode failed"))),
            AppError::Model(_)
        ));
        assert!(matches!(
            AppError::from(E::Documents("index".into())),
            AppError::Documents(_)
        ));
    }

    #[test]
    fn an_io_lists_bad_rows_are_named_and_bounded() {
        let errors: Vec<RowError> = (2..=14)
            .map(|row| RowError {
                row,
                message: "no address".into(),
            })
            .collect();
        let e = AppError::IoList {
            path: "io.csv".into(),
            errors,
        };
        let text = e.to_string();
        assert!(
            text.starts_with("io.csv: row 2: no address; row 3"),
            "{text}"
        );
        assert!(text.ends_with("(and 3 more)"), "{text}");
    }
}
