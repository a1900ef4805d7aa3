//! What the commands share: the data directory, the engine (started on the
//! first question), and the knowledge base used for searching.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use millwright_engine::{Canceller, Engine, ModelInfo};
use millwright_knowledge::isolate::WorkerCommand;
use millwright_knowledge::{KnowledgeBase, Options};
use millwright_models::Home;

pub struct Shared {
    pub home: Home,
    /// The executable that runs as the engine and the extraction worker.
    pub worker_exe: PathBuf,
    pub started: Instant,
    pub engine: Mutex<Option<(Engine, ModelInfo)>>,
    pub canceller: Mutex<Option<Canceller>>,
    /// For searching and asking; indexing opens its own handle.
    pub reader: Mutex<Option<KnowledgeBase>>,
    pub indexing: AtomicBool,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Shared>);

/// A poisoned lock only means another command panicked; the data is still usable.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    pub fn new(home: Home, worker_exe: PathBuf, started: Instant) -> Self {
        AppState(Arc::new(Shared {
            home,
            worker_exe,
            started,
            engine: Mutex::new(None),
            canceller: Mutex::new(None),
            reader: Mutex::new(None),
            indexing: AtomicBool::new(false),
        }))
    }
}

impl Shared {
    pub fn kb_dir(&self) -> PathBuf {
        self.home.root().join("knowledge")
    }

    pub fn extract_worker(&self) -> WorkerCommand {
        WorkerCommand {
            program: self.worker_exe.clone(),
            args: vec![millwright_knowledge::isolate::WORKER_ARG.into()],
        }
    }

    pub fn open_kb(&self) -> Result<KnowledgeBase, String> {
        KnowledgeBase::open(&self.kb_dir(), self.extract_worker(), Options::default())
            .map_err(|e| e.to_string())
    }

    /// Runs `f` with the searching handle, opening it on first use.
    pub fn with_reader<T>(
        &self,
        f: impl FnOnce(&KnowledgeBase) -> Result<T, String>,
    ) -> Result<T, String> {
        let mut guard = lock(&self.reader);
        if guard.is_none() {
            *guard = Some(self.open_kb()?);
        }
        f(guard.as_ref().expect("just opened"))
    }
}
