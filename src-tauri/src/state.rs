//! What the commands share: the data directory, the engine (started on the
//! first question), and the knowledge base used for searching.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use millwright_copilot::plc::EngineCompleter;
use millwright_engine::{Canceller, Engine, LoadParams, ModelInfo};
use millwright_knowledge::isolate::WorkerCommand;
use millwright_knowledge::{KnowledgeBase, Options};
use millwright_models::local::Settings;
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
    pub downloading: AtomicBool,
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
            downloading: AtomicBool::new(false),
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

    /// The knowledge base, reading scanned pages by OCR as the settings say.
    pub fn open_kb(&self) -> Result<KnowledgeBase, String> {
        let settings = Settings::load(&self.home).map_err(|e| e.to_string())?;
        let options = Options {
            ocr: settings.ocr_enabled(),
            ..Options::default()
        };
        KnowledgeBase::open(&self.kb_dir(), self.extract_worker(), options)
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

    /// Runs `f` with the model of the settings, loading it first when it is
    /// not running (`on_loading` is told which file, since that takes seconds).
    pub fn with_model<T>(
        &self,
        on_loading: impl FnOnce(&Path),
        f: impl FnOnce(&mut EngineCompleter<'_>) -> Result<T, String>,
    ) -> Result<T, String> {
        let mut guard = lock(&self.engine);
        if guard.is_none() {
            let settings = Settings::load(&self.home).map_err(|e| e.to_string())?;
            let path = crate::commands::app::model_path(&self.home)?;
            on_loading(&path);
            let mut engine = Engine::new(millwright_engine::WorkerCommand {
                program: self.worker_exe.clone(),
                args: vec![crate::ENGINE_WORKER_ARG.into()],
            });
            let params = LoadParams {
                n_ctx: settings.context_size,
                threads: settings.threads,
                gpu_layers: settings.gpu_layers.unwrap_or(0),
                ..LoadParams::default()
            };
            let info = engine
                .load(&path, params)
                .map_err(|e| format!("the model could not be loaded: {e}"))?;
            *lock(&self.canceller) = Some(engine.canceller());
            *guard = Some((engine, info));
        }
        let (engine, info) = guard.as_mut().expect("loaded above");
        let is_chat = info.is_chat;
        f(&mut EngineCompleter { engine, is_chat })
    }
}
