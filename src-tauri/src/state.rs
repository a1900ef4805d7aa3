//! What the commands share: the application layer's workspace (the data
//! directory, the engine started on the first question, the knowledge base
//! used for searching) and the app's own flags.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use millwright_app::{AppError, Workers, Workspace};
use millwright_knowledge::KnowledgeBase;
use millwright_models::Home;

pub use millwright_app::workspace::lock;

pub struct Shared {
    pub ws: Workspace,
    pub started: Instant,
    pub indexing: AtomicBool,
    pub downloading: AtomicBool,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Shared>);

impl AppState {
    pub fn new(home: Home, worker_exe: PathBuf, started: Instant) -> Self {
        let workers = Workers {
            program: worker_exe,
            engine_arg: crate::ENGINE_WORKER_ARG.into(),
        };
        AppState(Arc::new(Shared {
            ws: Workspace::new(home, workers),
            started,
            indexing: AtomicBool::new(false),
            downloading: AtomicBool::new(false),
        }))
    }
}

/// A use case's error as the app shows it.
pub fn message(e: AppError) -> String {
    e.user_message()
}

impl Shared {
    pub fn home(&self) -> &Home {
        self.ws.home()
    }

    /// Runs `f` with the searching handle, opening it on first use.
    pub fn with_reader<T>(
        &self,
        f: impl FnOnce(&KnowledgeBase) -> Result<T, String>,
    ) -> Result<T, String> {
        self.ws
            .with_reader(|kb| f(kb).map_err(AppError::Documents))
            .map_err(message)
    }
}
