//! What every use case works in: the data directory and its settings, the
//! engine (started on the first request that needs the model) and the
//! knowledge base (opened on the first search). One per process; both front
//! ends build one and hand it to the use cases.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use millwright_copilot::plc::EngineCompleter;
use millwright_engine::{Canceller, Engine, LoadParams, ModelInfo};
use millwright_knowledge::{KnowledgeBase, Options};
use millwright_models::local::{resolve, Settings};
use millwright_models::Home;

use crate::error::{AppError, Result};

/// Overrides of the settings' model and its parameters (the command line's
/// `--model`, `--ctx`, `--threads`, `--gpu-layers`).
#[derive(Debug, Clone, Default)]
pub struct EngineChoice {
    pub model: Option<PathBuf>,
    pub ctx: Option<u32>,
    pub threads: Option<u32>,
    pub gpu_layers: Option<u32>,
}

/// The executable that runs as the engine and the extraction worker (the
/// front end's own, started with a hidden argument, so a crash in llama.cpp
/// or a document parser never takes the front end with it).
#[derive(Debug, Clone)]
pub struct Workers {
    pub program: PathBuf,
    pub engine_arg: String,
}

pub struct Workspace {
    home: Home,
    workers: Workers,
    choice: EngineChoice,
    engine: Mutex<Option<(Engine, ModelInfo)>>,
    canceller: Mutex<Option<Canceller>>,
    /// For searching and asking; indexing opens its own handle.
    reader: Mutex<Option<KnowledgeBase>>,
}

/// A poisoned lock only means another request panicked; the data is still usable.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Workspace {
    pub fn new(home: Home, workers: Workers) -> Self {
        Workspace {
            home,
            workers,
            choice: EngineChoice::default(),
            engine: Mutex::new(None),
            canceller: Mutex::new(None),
            reader: Mutex::new(None),
        }
    }

    pub fn with_engine_choice(mut self, choice: EngineChoice) -> Self {
        self.choice = choice;
        self
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    pub fn settings(&self) -> Result<Settings> {
        Settings::load(&self.home).map_err(|e| AppError::Settings(format!("{e:#}")))
    }

    pub fn kb_dir(&self) -> PathBuf {
        self.home.root().join("knowledge")
    }

    /// Whether documents were ever added (asking and generating do not
    /// create a knowledge base just to find it empty).
    pub fn has_documents(&self) -> bool {
        KnowledgeBase::exists(&self.kb_dir())
    }

    pub fn extract_worker(&self) -> millwright_knowledge::isolate::WorkerCommand {
        millwright_knowledge::isolate::WorkerCommand {
            program: self.workers.program.clone(),
            args: vec![millwright_knowledge::isolate::WORKER_ARG.into()],
        }
    }

    /// The knowledge base's options from the settings (OCR on or off).
    pub fn kb_options(&self) -> Result<Options> {
        Ok(Options {
            ocr: self.settings()?.ocr_enabled(),
            ..Options::default()
        })
    }

    /// A new handle on the knowledge base (created when missing), for
    /// indexing; searching goes through [`Workspace::with_reader`].
    pub fn open_kb(&self, options: Options) -> Result<KnowledgeBase> {
        Ok(KnowledgeBase::open(
            &self.kb_dir(),
            self.extract_worker(),
            options,
        )?)
    }

    /// Runs `f` with the searching handle, opening it on first use.
    pub fn with_reader<T>(&self, f: impl FnOnce(&KnowledgeBase) -> Result<T>) -> Result<T> {
        let mut guard = lock(&self.reader);
        if guard.is_none() {
            *guard = Some(self.open_kb(self.kb_options()?)?);
        }
        f(guard.as_ref().expect("just opened"))
    }

    /// The model file the engine loads: the override, the settings', or the
    /// default model (an error says how to get it when it is missing).
    pub fn model_path(&self) -> Result<PathBuf> {
        resolve(&self.home, self.choice.model.as_deref())
            .map_err(|e| AppError::Settings(format!("{e:#}")))
    }

    /// How the engine loads the model: the choice over the settings.
    pub fn load_params(&self) -> Result<LoadParams> {
        let settings = self.settings()?;
        Ok(LoadParams {
            n_ctx: self.choice.ctx.or(settings.context_size),
            threads: self.choice.threads.or(settings.threads),
            gpu_layers: self.choice.gpu_layers.or(settings.gpu_layers).unwrap_or(0),
            ..LoadParams::default()
        })
    }

    /// The engine with the model loaded, loading it first when it is not
    /// (`on_loading` is told which file, since that takes seconds). The
    /// lease holds the engine until it is dropped.
    pub fn model(&self, on_loading: &mut dyn FnMut(&Path)) -> Result<ModelLease<'_>> {
        let mut guard = lock(&self.engine);
        if guard.is_none() {
            let params = self.load_params()?;
            let path = self.model_path()?;
            on_loading(&path);
            let mut engine = Engine::new(millwright_engine::WorkerCommand {
                program: self.workers.program.clone(),
                args: vec![self.workers.engine_arg.clone().into()],
            });
            let info = engine.load(&path, params).map_err(AppError::ModelLoad)?;
            *lock(&self.canceller) = Some(engine.canceller());
            *guard = Some((engine, info));
        }
        Ok(ModelLease { guard })
    }

    /// The loaded model's description, without waiting for a request in
    /// flight (`None` when none is loaded or the engine is busy).
    pub fn loaded_model(&self) -> Option<ModelInfo> {
        let guard = self.engine.try_lock().ok()?;
        guard.as_ref().map(|(_, info)| info.clone())
    }

    /// The engine worker's process id, when a model is loaded and idle.
    pub fn worker_pid(&self) -> Option<u32> {
        let guard = self.engine.try_lock().ok()?;
        guard.as_ref()?.0.worker_pid()
    }

    /// Stops the generation in flight, if any.
    pub fn cancel(&self) {
        if let Some(c) = lock(&self.canceller).as_ref() {
            c.cancel();
        }
    }

    /// Drops the engine (the model or its parameters changed); the next
    /// request loads the model again.
    pub fn unload_model(&self) {
        *lock(&self.engine) = None;
        *lock(&self.canceller) = None;
    }
}

/// The loaded engine, held for one use case's requests.
pub struct ModelLease<'a> {
    guard: MutexGuard<'a, Option<(Engine, ModelInfo)>>,
}

impl ModelLease<'_> {
    pub fn info(&self) -> &ModelInfo {
        &self.guard.as_ref().expect("loaded by Workspace::model").1
    }

    /// The engine as the pipelines' model port.
    pub fn completer(&mut self) -> EngineCompleter<'_> {
        let (engine, info) = self.guard.as_mut().expect("loaded by Workspace::model");
        EngineCompleter {
            engine,
            is_chat: info.is_chat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace(home: &Path) -> Workspace {
        Workspace::new(
            Home::at(home),
            Workers {
                program: PathBuf::from("/nonexistent/millwright"),
                engine_arg: "__engine-worker".into(),
            },
        )
    }

    #[test]
    fn a_missing_model_says_how_to_get_one_and_starts_nothing() {
        let home = tempfile::tempdir().unwrap();
        let ws = workspace(home.path());
        let mut told = false;
        let e = ws.model(&mut |_| told = true).err().unwrap();
        assert!(
            matches!(&e, AppError::Settings(m) if m.contains("models fetch")),
            "{e}"
        );
        assert!(!told, "nothing was loaded");
        assert!(ws.loaded_model().is_none() && ws.worker_pid().is_none());
    }

    #[test]
    fn the_choice_overrides_the_settings() {
        let home = tempfile::tempdir().unwrap();
        let settings = Settings {
            model: Some("/models/settings.gguf".into()),
            context_size: Some(2048),
            threads: Some(2),
            ..Settings::default()
        };
        settings.save(&Home::at(home.path())).unwrap();
        let ws = workspace(home.path());
        assert_eq!(ws.model_path().unwrap(), Path::new("/models/settings.gguf"));
        let ws = workspace(home.path()).with_engine_choice(EngineChoice {
            model: Some("/models/chosen.gguf".into()),
            ctx: Some(4096),
            ..EngineChoice::default()
        });
        assert_eq!(ws.model_path().unwrap(), Path::new("/models/chosen.gguf"));
        let p = ws.load_params().unwrap();
        assert_eq!((p.n_ctx, p.threads), (Some(4096), Some(2)));
    }

    #[test]
    fn documents_exist_only_once_a_knowledge_base_is_opened() {
        let home = tempfile::tempdir().unwrap();
        let ws = workspace(home.path());
        assert!(!ws.has_documents());
        let status = ws.with_reader(|kb| Ok(kb.status().unwrap())).unwrap();
        assert_eq!(status.documents, 0);
        assert!(ws.has_documents());
    }

    #[test]
    fn malformed_settings_are_named_not_replaced() {
        let home = tempfile::tempdir().unwrap();
        let h = Home::at(home.path());
        std::fs::create_dir_all(h.settings_file().parent().unwrap()).unwrap();
        std::fs::write(h.settings_file(), "{ not json").unwrap();
        let e = workspace(home.path()).settings().unwrap_err();
        assert!(e.to_string().contains("settings"), "{e}");
        assert_eq!(
            std::fs::read_to_string(h.settings_file()).unwrap(),
            "{ not json"
        );
    }
}
