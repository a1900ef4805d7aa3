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

use super::sampler::{Pick, TokenSampler};
use super::{CancelFlag, Out};
use crate::protocol::{
    ChatMessage, ErrorKind, Event, FinishReason, GenerateRequest, GenerationStats, Input,
    LoadParams, ModelInfo, OverflowPolicy, Request, WorkerStats, DEFAULT_MAX_CTX,
};
use crate::text_stream::TextStream;

/// The smallest context that makes sense to run a request in.
const MIN_CTX: u32 = 64;

struct Failure {
    kind: ErrorKind,
    message: String,
}

fn fail(kind: ErrorKind, message: impl Into<String>) -> Failure {
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
                match session.generate(id, &request, out, cancel) {
                    Ok((finish, stats)) => out.send(&Event::Done { id, finish, stats }),
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

struct Session<'m> {
    model: &'m LlamaModel,
    ctx: LlamaContext<'m>,
    embed_ctx: Option<LlamaContext<'m>>,
    info: ModelInfo,
    n_batch: u32,
    threads: i32,
    /// Tokens whose KV entries are in the context, in position order.
    cached: Vec<LlamaToken>,
    /// The last prompt decoded and the logits at its final position, so an
    /// identical request needs no decoding and samples from the same numbers.
    last_prompt: Option<(Vec<LlamaToken>, Vec<f32>)>,
    stats: WorkerStats,
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

    fn tokenize(&self, text: &str, special: bool) -> Vec<LlamaToken> {
        let mut tokens = self.model.vocab().tokenize(text.as_bytes(), true, special);
        // A template that writes BOS itself plus add_special would give two.
        let bos = self.model.vocab().bos();
        if tokens.len() >= 2 && tokens[0] == bos && tokens[1] == bos {
            tokens.remove(0);
        }
        tokens
    }

    /// The text to tokenize, and whether it may contain special tokens.
    fn render(&self, input: &Input) -> Result<(String, bool), Failure> {
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

    fn generate(
        &mut self,
        id: u64,
        req: &GenerateRequest,
        out: &Out,
        cancel: &CancelFlag,
    ) -> Result<(FinishReason, GenerationStats), Failure> {
        let started = Instant::now();
        self.stats.requests += 1;
        let mut stats = GenerationStats::default();
        if req.max_tokens == 0 {
            return Err(fail(
                ErrorKind::InvalidRequest,
                "max_tokens must be at least 1",
            ));
        }
        let (text, special) = self.render(&req.input)?;
        if text.is_empty() {
            return Err(fail(ErrorKind::InvalidRequest, "the prompt is empty"));
        }
        let mut sampler = TokenSampler::new(self.model, &req.sampling, req.grammar.as_deref())
            .map_err(|m| {
                let kind = if req.grammar.is_some() && m.contains("grammar") {
                    ErrorKind::InvalidGrammar
                } else {
                    ErrorKind::InvalidRequest
                };
                fail(kind, m)
            })?;
        let mut tokens = self.tokenize(&text, special);
        // Plain text after the rendered prompt: no BOS, no special tokens.
        tokens.extend(
            self.model
                .vocab()
                .tokenize(req.prefill.as_bytes(), false, false),
        );
        if tokens.is_empty() {
            return Err(fail(
                ErrorKind::InvalidRequest,
                "the prompt produced no tokens",
            ));
        }

        // Context guard: prompt + max_tokens must fit, or the policy decides.
        let n_ctx = self.info.n_ctx as usize;
        let need = tokens.len() + req.max_tokens as usize;
        if need > n_ctx {
            match req.overflow {
                OverflowPolicy::Error => {
                    return Err(fail(
                        ErrorKind::ContextOverflow,
                        format!(
                            "the prompt is {} tokens and max_tokens is {}, together {need}, but the context window is {n_ctx}; shorten the prompt, lower max_tokens, or load the model with a larger context",
                            tokens.len(),
                            req.max_tokens
                        ),
                    ))
                }
                OverflowPolicy::TruncateStart => {
                    let room = n_ctx.saturating_sub(req.max_tokens as usize);
                    if room < 2 {
                        return Err(fail(
                            ErrorKind::ContextOverflow,
                            format!("max_tokens {} leaves no room for a prompt in a context of {n_ctx}", req.max_tokens),
                        ));
                    }
                    let drop = tokens.len() - room;
                    tokens.drain(1..1 + drop);
                    stats.truncated_tokens = drop as u32;
                }
            }
        }
        stats.prompt_tokens = tokens.len() as u32;

        let prompt_started = Instant::now();
        let logits = self.prefill(&tokens, &mut stats)?;
        stats.prompt_ms = ms(prompt_started);

        // Generation.
        let mut stream = TextStream::new(req.stop.clone());
        let vocab = self.model.vocab();
        let mut batch = LlamaBatch::new(1, 1);
        let mut logits = logits;
        let gen_started = Instant::now();
        let mut finish = FinishReason::MaxTokens;
        for i in 0..req.max_tokens {
            if cancel.load(Ordering::SeqCst) == id {
                finish = FinishReason::Cancelled;
                break;
            }
            let token = match sampler.pick(&logits) {
                Pick::Token(t) => t,
                Pick::GrammarExhausted => {
                    finish = FinishReason::GrammarComplete;
                    break;
                }
            };
            if i == 0 {
                stats.first_token_ms = ms(started);
            }
            stats.generated_tokens += 1;
            if vocab.is_eog(token) {
                finish = FinishReason::EndOfText;
                break;
            }
            sampler
                .accept(token)
                .map_err(|m| fail(ErrorKind::Internal, m))?;
            let piece = vocab.token_to_piece(token, false, None);
            let push = stream.push(&piece);
            if !push.text.is_empty() {
                out.send(&Event::Token {
                    id,
                    text: push.text,
                });
            }
            if push.stopped {
                finish = FinishReason::StopString;
                break;
            }
            if req.end_with_grammar && sampler.grammar_may_end(vocab.eos()) {
                finish = FinishReason::GrammarComplete;
                break;
            }
            if i + 1 == req.max_tokens {
                break;
            }
            if self.cached.len() >= n_ctx {
                finish = FinishReason::ContextFull;
                break;
            }
            batch.clear();
            batch
                .add(token, self.cached.len() as i32, &[0], true)
                .map_err(|e| fail(ErrorKind::Internal, e.to_string()))?;
            self.ctx.decode(&mut batch).map_err(|e| {
                fail(
                    ErrorKind::Decode,
                    format!("decoding a generated token failed: {e}"),
                )
            })?;
            self.cached.push(token);
            logits = self.ctx.get_logits_ith(0).to_vec();
        }
        if finish != FinishReason::StopString {
            let rest = stream.finish();
            if !rest.is_empty() {
                out.send(&Event::Token { id, text: rest });
            }
        }
        stats.generate_ms = ms(gen_started);
        stats.grammar_resamples = sampler.resamples;
        if stats.first_token_ms == 0.0 {
            stats.first_token_ms = ms(started);
        }
        self.stats.generated_tokens += u64::from(stats.generated_tokens);
        self.stats.prompt_tokens_decoded += u64::from(stats.decoded_prompt_tokens);
        self.stats.prompt_tokens_reused += u64::from(stats.reused_tokens);
        self.stats.last = Some(stats.clone());
        Ok((finish, stats))
    }

    /// Makes the KV cache hold `tokens` and returns the logits after the last one,
    /// decoding only what differs from what the cache already holds.
    fn prefill(
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
                // The cache state is unknown after a failed decode: start clean next time.
                self.ctx.clear_kv_cache();
                self.cached.clear();
                self.last_prompt = None;
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

    /// Drops KV entries from position `keep` on.
    fn truncate_cache(&mut self, keep: usize) -> Result<(), Failure> {
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

fn ms(since: Instant) -> f64 {
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
