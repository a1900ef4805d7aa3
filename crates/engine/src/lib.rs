//! The local LLM engine: llama.cpp in a supervised worker process.
//!
//! - [`protocol`]: the versioned, typed messages between supervisor and worker.
//! - [`supervisor`]: [`Engine`], the caller's handle; restarts a dead worker.
//! - [`worker`]: the process that owns llama.cpp (entry point [`worker::main`]).
//! - [`text_stream`]: UTF-8-safe streaming and stop strings (pure).
//! - [`loop_guard`]: notices a generation repeating itself (pure).
//!
//! Nothing here opens a network connection.

pub mod loop_guard;
pub mod protocol;
pub mod supervisor;
pub mod text_stream;
pub mod worker;

pub use protocol::{
    ChatMessage, ErrorKind, FinishReason, GenerateRequest, GenerationStats, GrammarCheck, Input,
    LoadParams, LoopGuard, ModelInfo, OverflowPolicy, Sampling, MAX_BATCH,
};
pub use supervisor::{Canceller, Engine, EngineError, Generated, WorkerCommand};
