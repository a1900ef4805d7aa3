//! Options shared by every command that runs the model, and starting the engine.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use millwright_app::{AppError, EngineChoice, Workers, Workspace};
use millwright_engine::{Engine, ModelInfo, WorkerCommand};
use millwright_models::Home;

use crate::WORKER_ARG;

#[derive(Args, Debug, Clone, Default)]
pub struct EngineOpts {
    /// A GGUF model file (default: the settings' model, else the default model).
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// Context window in tokens (default: the model's, at most 8192).
    #[arg(long, value_name = "N")]
    pub ctx: Option<u32>,
    /// CPU threads (default: physical cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<u32>,
    /// Layers to offload to the GPU, in builds with a GPU back-end.
    #[arg(long, value_name = "N")]
    pub gpu_layers: Option<u32>,
}

impl EngineOpts {
    /// The data directory with the engine these options choose, for the
    /// application layer's use cases.
    pub fn workspace(&self) -> Result<Workspace> {
        let home = Home::from_env()?;
        let program = std::env::current_exe().context("cannot locate this executable")?;
        Ok(Workspace::new(
            home,
            Workers {
                program,
                engine_arg: WORKER_ARG.into(),
            },
        )
        .with_engine_choice(EngineChoice {
            model: self.model.clone(),
            ctx: self.ctx,
            threads: self.threads,
            gpu_layers: self.gpu_layers,
        }))
    }

    /// Starts a worker and loads the chosen model into it (for the commands
    /// that drive the engine themselves: generate, calc, bench, plc eval).
    pub fn start(&self) -> Result<(Engine, ModelInfo)> {
        let ws = self.workspace()?;
        let path = ws.model_path().map_err(app_error)?;
        let params = ws.load_params().map_err(app_error)?;
        let mut engine = Engine::new(
            WorkerCommand::current_exe(WORKER_ARG).context("cannot locate this executable")?,
        );
        let info = engine.load(&path, params)?;
        Ok((engine, info))
    }
}

/// A use case's error as the command line says it (exit 2 through `main`).
pub fn app_error(e: AppError) -> anyhow::Error {
    anyhow::anyhow!(e.user_message())
}
