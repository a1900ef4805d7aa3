//! One loaded model and its context: generation with prefix reuse, token
//! counting, embeddings and statistics.
//!
//! Every input is checked here before it reaches llama.cpp (token counts
//! against the context window, sampling values, grammar text), because llama.cpp
//! answers some bad inputs by aborting the process.

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use llama_cpp_2::context::params::{LlamaContextParams, LlamaPoolingType};
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaModel};
use llama_cpp_2::token::LlamaToken;

use super::{CancelFlag, Out};
use crate::protocol::{
    ChatMessage, ErrorKind, Event, GenerationStats, Input, LoadParams, ModelInfo, Request,
    WorkerStats, DEFAULT_MAX_CTX,
};

/// The smallest context that makes sense to run a request in.
const MIN_CTX: u32 = 64;

pub(super) struct Failure {
    pub kind: ErrorKind,
    pub message: String,
}

/// Sequences one batch may decode side by side.
pub(super) const MAX_SEQUENCES: usize = crate::protocol::MAX_BATCH;

pub(super) fn fail(kind: ErrorKind, message: impl Into<String>) -> Failure {
    Failure {
        kind,
        message: message.into(),
    }
}

/// Loads the model and serves requests until one needs the outer loop (another
/// `Load`, `Unload` or `Shutdown`), which is returned.
pub(crate) fn serve(
    backend: &LlamaBackend,
    path: &Path,
    params: &LoadParams,
    requests: &Receiver<Request>,
    out: &Out,
    cancel: &CancelFlag,
) -> Option<Request> {
    // The supervisor validated the file, but a file can change in between and
    // llama.cpp must never see a bad one.
    if let Err(e) = millwright_gguf::inspect(path) {
        out.error(None, ErrorKind::ModelLoad, e.to_string());
        return None;
    }
    let model_params = LlamaModelParams::default().with_n_gpu_layers(params.gpu_layers);
    let model = match LlamaModel::load_from_file(backend, path, &model_params) {
        Ok(m) => m,
        Err(e) => {
            out.error(
                None,
                ErrorKind::ModelLoad,
                format!("llama.cpp could not load {}: {e}", path.display()),
            );
            return None;
        }
    };
    let mut session = match Session::new(backend, &model, path, params) {
        Ok(s) => s,
        Err(f) => {
            out.error(None, f.kind, f.message);
            return None;
        }
    };
    out.send(&Event::Loaded {
        info: session.info.clone(),
    });

    loop {
        let req = requests.recv().unwrap_or(Request::Shutdown);
        match req {
            Request::Load { .. } | Request::Unload | Request::Shutdown => return Some(req),
            Request::Hello { .. } | Request::Cancel { .. } => {}
            Request::Generate { id, request } => {
                cancel.store(0, Ordering::SeqCst);
                let mut ended = None;
                let batch = std::slice::from_ref(&request);
                match session.generate_batch(id, batch, out, cancel, |_, f, s| ended = Some((f, s)))
                {
                    Ok(()) => {
                        let (finish, stats) = ended.expect("a batch of one ends its sequence");
                        out.send(&Event::Done { id, finish, stats })
                    }
                    Err(f) => out.error(Some(id), f.kind, f.message),
                }
            }
            Request::GenerateBatch { id, requests } => {
                cancel.store(0, Ordering::SeqCst);
                let sent =
                    session.generate_batch(id, &requests, out, cancel, |seq, finish, stats| {
                        out.send(&Event::SequenceDone {
                            id,
                            seq,
                            finish,
                            stats,
                        })
                    });
                match sent {
                    Ok(()) => out.send(&Event::BatchDone { id }),
                    Err(f) => out.error(Some(id), f.kind, f.message),
                }
            }
            Request::CountTokens { id, text } => {
                let count = session.tokenize(&text, false).len() as u32;
                out.send(&Event::TokenCount { id, count });
            }
            Request::Embed { id, texts } => match session.embed(backend, &texts) {
                Ok(vectors) => out.send(&Event::Embeddings { id, vectors }),
                Err(f) => out.error(Some(id), f.kind, f.message),
            },
            Request::GrammarCheck { id, grammar, text } => {
                match super::sampler::check_text(session.model, &grammar, &text) {
                    Ok(result) => out.send(&Event::GrammarChecked { id, result }),
                    Err(m) => out.error(Some(id), ErrorKind::InvalidGrammar, m),
                }
            }
            Request::Stats { id } => {
                let mut stats = session.stats.clone();
                stats.cached_tokens = session.cached.len() as u32;
                out.send(&Event::Stats { id, stats });
            }
        }
    }
}

pub(super) struct Session<'m> {
    pub model: &'m LlamaModel,
    pub ctx: LlamaContext<'m>,
    embed_ctx: Option<LlamaContext<'m>>,
    pub info: ModelInfo,
    pub n_batch: u32,
    threads: i32,
    /// Tokens whose KV entries sequence 0 holds, in position order (other
    /// sequences live only while a batch decodes).
    pub cached: Vec<LlamaToken>,
    /// The last prompt decoded and the logits at its final position, so an
    /// identical request needs no decoding and samples from the same numbers.
    pub last_prompt: Option<(Vec<LlamaToken>, Vec<f32>)>,
    pub stats: WorkerStats,
}

fn physical_cores() -> u32 {
    num_cpus::get_physical().max(1) as u32
}

impl<'m> Session<'m> {
    fn new(
        backend: &LlamaBackend,
        model: &'m LlamaModel,
        path: &Path,
        params: &LoadParams,
    ) -> Result<Self, Failure> {
        let n_ctx_train = model.n_ctx_train();
        let n_ctx = params
            .n_ctx
            .unwrap_or_else(|| n_ctx_train.clamp(MIN_CTX, DEFAULT_MAX_CTX));
        if n_ctx < MIN_CTX || (n_ctx_train > 0 && n_ctx > n_ctx_train) {
            return Err(fail(
                ErrorKind::InvalidRequest,
                format!(
                    "context size {n_ctx} is outside what this model supports ({MIN_CTX} to {n_ctx_train})"
                ),
            ));
        }
        if params.n_batch == 0 {
            return Err(fail(
                ErrorKind::InvalidRequest,
                "n_batch must be at least 1",
            ));
        }
        let n_batch = params.n_batch.min(n_ctx);
        let threads = params.threads.unwrap_or_else(physical_cores).clamp(1, 512) as i32;
        let ctx_params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n_ctx))
            .with_n_batch(n_batch)
            .with_n_ubatch(n_batch)
            .with_n_threads(threads)
            .with_n_threads_batch(threads)
            // Candidates decode side by side as sequences of one cache, all
            // of it open to each, so they share their prompt's cells.
            .with_n_seq_max(MAX_SEQUENCES as u32)
            .with_kv_unified(true)
            // Keep the whole window for sliding-window layers too, so a shared
            // prefix can be reused however far back it starts.
            .with_swa_full(true);
        let ctx = model.new_context(backend, ctx_params).map_err(|e| {
            fail(
                ErrorKind::ModelLoad,
                format!("could not create a context of {n_ctx} tokens: {e}"),
            )
        })?;
        let gguf = millwright_gguf::inspect(path).ok();
        let info = ModelInfo {
            path: path.to_owned(),
            name: gguf
                .as_ref()
                .and_then(|g| g.name().map(String::from))
                .unwrap_or_else(|| {
                    path.file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default()
                }),
            architecture: gguf
                .as_ref()
                .map(|g| g.architecture().to_owned())
                .unwrap_or_default(),
            file_size: gguf.as_ref().map_or(0, |g| g.file_size),
            n_params: model.n_params(),
            n_ctx_train,
            n_ctx,
            n_vocab: model.n_vocab().max(0) as u32,
            is_chat: model.chat_template(None).is_ok(),
            threads: threads as u32,
            gpu_layers: params.gpu_layers,
            system_info: system_info(),
        };
        Ok(Session {
            model,
            ctx,
            embed_ctx: None,
            info,
            n_batch,
            threads,
            cached: Vec::new(),
            last_prompt: None,
            stats: WorkerStats::default(),
        })
    }

    pub(super) fn tokenize(&self, text: &str, special: bool) -> Vec<LlamaToken> {
        let mut tokens = self.model.vocab().tokenize(text.as_bytes(), true, special);
        // A template that writes BOS itself plus add_special would give two.
        let bos = self.model.vocab().bos();
        if tokens.len() >= 2 && tokens[0] == bos && tokens[1] == bos {
            tokens.remove(0);
        }
        tokens
    }

    /// The text to tokenize, and whether it may contain special tokens.
    pub(super) fn render(&self, input: &Input) -> Result<(String, bool), Failure> {
        match input {
            Input::Prompt(p) => Ok((p.clone(), false)),
            Input::Chat(messages) => {
                if messages.is_empty() {
                    return Err(fail(
                        ErrorKind::InvalidRequest,
                        "a chat needs at least one message",
                    ));
                }
                if let Ok(tmpl) = self.model.chat_template(None) {
                    let chat: Result<Vec<_>, _> = messages
                        .iter()
                        .map(|m| LlamaChatMessage::new(m.role.clone(), m.content.clone()))
                        .collect();
                    let chat = chat.map_err(|e| {
                        fail(ErrorKind::InvalidRequest, format!("chat message: {e}"))
                    })?;
                    if let Ok(text) = self.model.apply_chat_template(&tmpl, &chat, true) {
                        return Ok((text, true));
                    }
                }
                // A base model, or a template llama.cpp's built-in formats do not
                // cover: a plain transcript that any model can continue.
                Ok((plain_transcript(messages), false))
            }
        }
    }

    /// Makes the KV cache hold `tokens` and returns the logits after the last one,
    /// decoding only what differs from what the cache already holds.
    pub(super) fn prefill(
        &mut self,
        tokens: &[LlamaToken],
        stats: &mut GenerationStats,
    ) -> Result<Vec<f32>, Failure> {
        let common = self
            .cached
            .iter()
            .zip(tokens)
            .take_while(|(a, b)| a == b)
            .count();

        if common == tokens.len() {
            if let Some((prev, logits)) = &self.last_prompt {
                if prev.as_slice() == tokens {
                    let logits = logits.clone();
                    self.truncate_cache(common)?;
                    stats.reused_tokens = common as u32;
                    return Ok(logits);
                }
            }
        }
        // At least the last prompt token is decoded, for its logits.
        let keep = common.min(tokens.len() - 1);
        self.truncate_cache(keep)?;
        stats.reused_tokens = keep as u32;

        let rest = &tokens[keep..];
        let mut batch = LlamaBatch::new(self.n_batch as usize, 1);
        let mut logits_index = 0;
        for chunk in rest.chunks(self.n_batch as usize) {
            batch.clear();
            let last_chunk = chunk.as_ptr_range().end == rest.as_ptr_range().end;
            for (j, &t) in chunk.iter().enumerate() {
                let is_last = last_chunk && j + 1 == chunk.len();
                batch
                    .add(t, self.cached.len() as i32, &[0], is_last)
                    .map_err(|e| fail(ErrorKind::Internal, e.to_string()))?;
                self.cached.push(t);
                if is_last {
                    logits_index = j as i32;
                }
            }
            if let Err(e) = self.ctx.decode(&mut batch) {
                self.forget_cache();
                return Err(fail(
                    ErrorKind::Decode,
                    format!("decoding the prompt failed: {e}"),
                ));
            }
        }
        stats.decoded_prompt_tokens = rest.len() as u32;
        let logits = self.ctx.get_logits_ith(logits_index).to_vec();
        self.last_prompt = Some((tokens.to_vec(), logits.clone()));
        Ok(logits)
    }

    /// The cache state is unknown after a failed decode: start clean next time.
    pub(super) fn forget_cache(&mut self) {
        self.ctx.clear_kv_cache();
        self.cached.clear();
        self.last_prompt = None;
    }

    /// Drops every sequence's cells but sequence 0's, for the first `n`.
    pub(super) fn free_other_sequences(&mut self, n: usize) {
        for k in 1..n.min(MAX_SEQUENCES) {
            let _ = self.ctx.clear_kv_cache_seq(Some(k as u32), None, None);
        }
    }

    /// Drops KV entries from position `keep` on.
    pub(super) fn truncate_cache(&mut self, keep: usize) -> Result<(), Failure> {
        if keep == self.cached.len() {
            return Ok(());
        }
        let removed = self
            .ctx
            .clear_kv_cache_seq(Some(0), Some(keep as u32), None)
            .unwrap_or(false);
        if removed {
            self.cached.truncate(keep);
            Ok(())
        } else if keep == 0 {
            self.ctx.clear_kv_cache();
            self.cached.clear();
            Ok(())
        } else {
            // This memory type cannot drop a tail; fall back to a full re-decode.
            self.ctx.clear_kv_cache();
            self.cached.clear();
            self.last_prompt = None;
            Err(fail(
                ErrorKind::Internal,
                "the KV cache could not drop its tail; retry the request",
            ))
        }
    }

    fn embed(
        &mut self,
        backend: &LlamaBackend,
        texts: &[String],
    ) -> Result<Vec<Vec<f32>>, Failure> {
        let n_ctx = self.info.n_ctx.min(2048);
        if self.embed_ctx.is_none() {
            let params = LlamaContextParams::default()
                .with_n_ctx(NonZeroU32::new(n_ctx))
                .with_n_batch(n_ctx)
                .with_n_ubatch(n_ctx)
                .with_n_threads(self.threads)
                .with_n_threads_batch(self.threads)
                .with_embeddings(true)
                .with_pooling_type(LlamaPoolingType::Mean);
            self.embed_ctx = Some(self.model.new_context(backend, params).map_err(|e| {
                fail(
                    ErrorKind::ModelLoad,
                    format!("could not create an embedding context: {e}"),
                )
            })?);
        }
        let mut vectors = Vec::with_capacity(texts.len());
        for (i, text) in texts.iter().enumerate() {
            let tokens = self.tokenize(text, false);
            if text.trim().is_empty() || tokens.len() > n_ctx as usize {
                return Err(fail(
                    ErrorKind::InvalidRequest,
                    format!(
                        "text {i} is {} tokens; embeddings take non-blank text of at most {n_ctx}",
                        tokens.len()
                    ),
                ));
            }
            let ctx = self.embed_ctx.as_mut().expect("created above");
            ctx.clear_kv_cache();
            let mut batch = LlamaBatch::new(tokens.len(), 1);
            batch
                .add_sequence(&tokens, 0, false)
                .map_err(|e| fail(ErrorKind::Internal, e.to_string()))?;
            ctx.decode(&mut batch)
                .map_err(|e| fail(ErrorKind::Decode, format!("embedding text {i} failed: {e}")))?;
            let v = ctx
                .embeddings_seq_ith(0)
                .map_err(|e| fail(ErrorKind::Decode, format!("embedding text {i}: {e}")))?;
            let norm = v
                .iter()
                .map(|x| x * x)
                .sum::<f32>()
                .sqrt()
                .max(f32::EPSILON);
            vectors.push(v.iter().map(|x| x / norm).collect());
        }
        Ok(vectors)
    }
}

fn plain_transcript(messages: &[ChatMessage]) -> String {
    let mut s = String::new();
    for m in messages {
        let role = match m.role.as_str() {
            "system" => "System",
            "assistant" => "Assistant",
            "user" => "User",
            other => other,
        };
        s.push_str(&format!("{role}: {}\n", m.content));
    }
    s.push_str("Assistant:");
    s
}

pub(super) fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn system_info() -> String {
    // SAFETY: llama_print_system_info returns a pointer to a static, NUL-terminated buffer.
    unsafe {
        let p = llama_cpp_sys_2::llama_print_system_info();
        if p.is_null() {
            String::new()
        } else {
            std::ffi::CStr::from_ptr(p)
                .to_string_lossy()
                .trim()
                .to_owned()
        }
    }
}
