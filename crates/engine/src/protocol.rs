//! The typed protocol between the supervisor and the worker process.
//!
//! One JSON object per line: requests on the worker's stdin, events on its
//! stdout. The worker's stderr carries llama.cpp's own log, which the supervisor
//! keeps (the tail of it explains an abort). Bump [`PROTOCOL_VERSION`] on any
//! incompatible change; the worker refuses a supervisor of another version.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub const PROTOCOL_VERSION: u32 = 2;

/// Parameters for loading a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadParams {
    /// Context window in tokens; `None` = the model's own, capped at [`DEFAULT_MAX_CTX`].
    pub n_ctx: Option<u32>,
    /// Layers offloaded to a GPU (ignored by CPU-only builds).
    pub gpu_layers: u32,
    /// Threads; `None` = physical cores.
    pub threads: Option<u32>,
    /// Tokens decoded per batch while reading a prompt.
    pub n_batch: u32,
}

/// The most requests one batch decodes side by side (the context's sequences).
pub const MAX_BATCH: usize = 16;

/// Large enough for retrieval-augmented prompts, small enough that the KV cache
/// of a 7B model fits in workstation memory.
pub const DEFAULT_MAX_CTX: u32 = 8192;

impl Default for LoadParams {
    fn default() -> Self {
        LoadParams {
            n_ctx: None,
            gpu_layers: 0,
            threads: None,
            n_batch: 512,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

/// What to continue: a raw prompt (completion) or a conversation (chat template).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    Prompt(String),
    Chat(Vec<ChatMessage>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sampling {
    /// 0 = greedy (always the most likely token).
    pub temperature: f32,
    /// 0 = off.
    pub top_k: u32,
    /// 1.0 = off.
    pub top_p: f32,
    /// 0.0 = off.
    pub min_p: f32,
    /// 1.0 = off.
    pub repeat_penalty: f32,
    /// How many recent tokens the repetition penalty looks at.
    pub repeat_last_n: u32,
    /// DRY ("don't repeat yourself"): lowers a token by `dry_multiplier ×
    /// 1.75^(n − dry_allowed_length)` when it would extend to n tokens a
    /// sequence already generated. Unlike `repeat_penalty` it spares single
    /// tokens (names, keywords), which code repeats legitimately. 0.0 = off.
    pub dry_multiplier: f32,
    /// Repeated sequences up to this many tokens are not penalised.
    pub dry_allowed_length: u32,
    pub seed: u32,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            temperature: 0.8,
            top_k: 40,
            top_p: 0.95,
            min_p: 0.05,
            repeat_penalty: 1.0,
            repeat_last_n: 64,
            dry_multiplier: 0.0,
            dry_allowed_length: 2,
            seed: 42,
        }
    }
}

impl Sampling {
    pub fn greedy() -> Self {
        Sampling {
            temperature: 0.0,
            ..Self::default()
        }
    }

    /// Rejects values llama.cpp would assert on or silently misuse (and NaN,
    /// which JSON cannot even carry).
    pub fn validate(&self) -> Result<(), String> {
        let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_string()) };
        check(
            self.temperature.is_finite() && (0.0..=100.0).contains(&self.temperature),
            "temperature must be between 0 and 100",
        )?;
        check(
            self.top_p.is_finite() && self.top_p > 0.0 && self.top_p <= 1.0,
            "top_p must be in (0, 1]",
        )?;
        check(
            self.min_p.is_finite() && (0.0..=1.0).contains(&self.min_p),
            "min_p must be in [0, 1]",
        )?;
        check(
            self.repeat_penalty.is_finite()
                && self.repeat_penalty > 0.0
                && self.repeat_penalty <= 10.0,
            "repeat_penalty must be in (0, 10]",
        )?;
        check(
            self.repeat_last_n <= 1 << 20,
            "repeat_last_n must be at most 1048576",
        )?;
        check(
            self.dry_multiplier.is_finite() && (0.0..=10.0).contains(&self.dry_multiplier),
            "dry_multiplier must be in [0, 10]",
        )?;
        check(
            (1..=1000).contains(&self.dry_allowed_length),
            "dry_allowed_length must be between 1 and 1000",
        )?;
        check(self.top_k <= 1 << 20, "top_k must be at most 1048576")
    }
}

/// What to do when prompt + max_tokens would not fit in the context window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverflowPolicy {
    /// Refuse the request with [`ErrorKind::ContextOverflow`].
    #[default]
    Error,
    /// Drop tokens from the start of the prompt (after the first, which keeps BOS)
    /// and report how many in [`GenerationStats::truncated_tokens`].
    TruncateStart,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateRequest {
    pub input: Input,
    #[serde(default)]
    pub sampling: Sampling,
    pub max_tokens: u32,
    /// Generation ends before any of these strings; the string is not returned.
    #[serde(default)]
    pub stop: Vec<String>,
    /// A GBNF grammar the output must follow.
    #[serde(default)]
    pub grammar: Option<String>,
    /// With a grammar: end as soon as the grammar may end, rather than when
    /// the model picks an end-of-text token. Where a grammar's names also
    /// match its end keyword (`END_FUNCTION_BLOCK` read as a variable), the
    /// model could otherwise write on past the end.
    #[serde(default)]
    pub end_with_grammar: bool,
    #[serde(default)]
    pub overflow: OverflowPolicy,
    /// The start of the reply, already written: it follows the prompt (for a
    /// chat, the opened assistant turn) and the model continues it. Not part
    /// of the returned text. Generation in phases (a block's declarations,
    /// then its body under a grammar built from them) continues this way on
    /// base and chat models alike.
    #[serde(default)]
    pub prefill: String,
    /// End the generation as [`FinishReason::Looping`] when it repeats itself.
    #[serde(default)]
    pub loop_guard: Option<LoopGuard>,
}

/// When a generation counts as looping (see `loop_guard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoopGuard {
    /// A block of up to eight lines (of at least 16 characters in all)
    /// written this many times in a row; at least 2.
    pub repeats: u32,
    /// No line that was not written before within this many tokens; 0 = off.
    pub window_tokens: u32,
}

impl LoopGuard {
    pub fn validate(&self) -> Result<(), String> {
        if !(2..=100).contains(&self.repeats) {
            return Err("loop_guard.repeats must be between 2 and 100".into());
        }
        if self.window_tokens > 1 << 20 {
            return Err("loop_guard.window_tokens must be at most 1048576".into());
        }
        Ok(())
    }
}

impl GenerateRequest {
    pub fn prompt(text: impl Into<String>, max_tokens: u32) -> Self {
        GenerateRequest {
            input: Input::Prompt(text.into()),
            sampling: Sampling::default(),
            max_tokens,
            stop: Vec::new(),
            grammar: None,
            end_with_grammar: false,
            overflow: OverflowPolicy::Error,
            prefill: String::new(),
            loop_guard: None,
        }
    }
}

/// Supervisor → worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    Hello {
        version: u32,
    },
    Load {
        path: PathBuf,
        params: LoadParams,
    },
    Unload,
    Generate {
        id: u64,
        request: GenerateRequest,
    },
    /// Decodes the requests side by side in one batch, sequence `k` for
    /// `requests[k]`: the longest start their prompts share is decoded once
    /// and shared through the KV cache; each has its own sampler, grammar,
    /// seed and limits. Events carry the sequence; each sequence ends with
    /// `SequenceDone`, the batch with `BatchDone`.
    GenerateBatch {
        id: u64,
        requests: Vec<GenerateRequest>,
    },
    /// Stops generation `id` if it is still running; it then ends with `Cancelled`.
    Cancel {
        id: u64,
    },
    CountTokens {
        id: u64,
        text: String,
    },
    Embed {
        id: u64,
        texts: Vec<String>,
    },
    Stats {
        id: u64,
    },
    /// Runs `text` through `grammar` token by token, as constrained decoding would.
    GrammarCheck {
        id: u64,
        grammar: String,
        text: String,
    },
    Shutdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model produced an end-of-generation token.
    EndOfText,
    MaxTokens,
    StopString,
    Cancelled,
    /// The grammar reached an accepting state with nothing more allowed.
    GrammarComplete,
    /// The context window filled up during generation.
    ContextFull,
    /// The loop guard saw the generation repeat itself.
    Looping,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenerationStats {
    pub prompt_tokens: u32,
    /// Prompt tokens whose KV entries were reused from the previous request.
    pub reused_tokens: u32,
    /// Prompt tokens actually decoded for this request.
    pub decoded_prompt_tokens: u32,
    pub generated_tokens: u32,
    pub truncated_tokens: u32,
    pub prompt_ms: f64,
    pub generate_ms: f64,
    /// From receiving the request to the first generated token.
    pub first_token_ms: f64,
    /// Times the grammar rejected the sampled token and the whole vocabulary was constrained.
    pub grammar_resamples: u32,
}

impl GenerationStats {
    pub fn prompt_tokens_per_s(&self) -> f64 {
        per_second(self.decoded_prompt_tokens, self.prompt_ms)
    }
    pub fn generate_tokens_per_s(&self) -> f64 {
        // The first token comes from the prompt's logits, so rates count the rest.
        per_second(self.generated_tokens.saturating_sub(1), self.generate_ms)
    }
}

fn per_second(n: u32, ms: f64) -> f64 {
    if ms > 0.0 {
        f64::from(n) * 1000.0 / ms
    } else {
        0.0
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub path: PathBuf,
    pub name: String,
    pub architecture: String,
    pub file_size: u64,
    pub n_params: u64,
    pub n_ctx_train: u32,
    /// The context window of the loaded session.
    pub n_ctx: u32,
    pub n_vocab: u32,
    /// True when the GGUF carries a chat template (an instruct model).
    pub is_chat: bool,
    pub threads: u32,
    pub gpu_layers: u32,
    /// llama.cpp's description of the CPU features and backends in use.
    pub system_info: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerStats {
    pub requests: u64,
    pub generated_tokens: u64,
    pub prompt_tokens_decoded: u64,
    pub prompt_tokens_reused: u64,
    /// Tokens currently held in the KV cache for prefix reuse.
    pub cached_tokens: u32,
    pub last: Option<GenerationStats>,
}

/// Whether a grammar accepts a text, as decoding under it would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrammarCheck {
    /// Every token of the text was allowed.
    pub accepted: bool,
    /// The grammar may end after the text (an end-of-text token is allowed).
    pub complete: bool,
    /// Byte offset of the first token the grammar refused, and that token's text.
    pub rejected_at: Option<usize>,
    pub rejected_token: Option<String>,
    pub tokens: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request itself is invalid (empty prompt, bad sampling values…).
    InvalidRequest,
    InvalidGrammar,
    ContextOverflow,
    NoModelLoaded,
    ModelLoad,
    /// llama.cpp returned an error while decoding.
    Decode,
    /// A protocol mismatch between supervisor and worker.
    Protocol,
    /// The worker process died (llama.cpp abort, out of memory, killed).
    WorkerDied,
    Internal,
}

/// Worker → supervisor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Ready {
        version: u32,
        pid: u32,
    },
    Loaded {
        info: ModelInfo,
    },
    Unloaded,
    /// Generated text, in order. A token that ends inside a UTF-8 character is
    /// held back until the character is complete, so every piece is valid text.
    Token {
        id: u64,
        /// The sequence of a batch (0 for a single generation).
        #[serde(default)]
        seq: u32,
        text: String,
    },
    Done {
        id: u64,
        finish: FinishReason,
        stats: GenerationStats,
    },
    /// One sequence of a batch ended.
    SequenceDone {
        id: u64,
        seq: u32,
        finish: FinishReason,
        stats: GenerationStats,
    },
    /// Every sequence of a batch ended.
    BatchDone {
        id: u64,
    },
    TokenCount {
        id: u64,
        count: u32,
    },
    Embeddings {
        id: u64,
        vectors: Vec<Vec<f32>>,
    },
    Stats {
        id: u64,
        stats: WorkerStats,
    },
    GrammarChecked {
        id: u64,
        result: GrammarCheck,
    },
    Error {
        id: Option<u64>,
        kind: ErrorKind,
        message: String,
    },
}
