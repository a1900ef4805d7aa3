//! Generation: one request, or several decoded side by side in one batch.
//!
//! The longest start the requests' prompts share is decoded once (reusing
//! what the KV cache already holds) and shared with every sequence by
//! `seq_cp`, which marks the same cells for more sequences rather than
//! copying them. Each sequence then decodes its own rest of prompt (a
//! prefill of its own) and generates with its own sampler chain, grammar,
//! seed, stop strings and loop guard; all active sequences advance by one
//! token per decode call. A sequence that ends frees its cells at once.
//! A single request is a batch of one, so there is one decoding loop.

use std::sync::atomic::Ordering;
use std::time::Instant;

use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::vocab::LlamaVocab;

use super::sampler::{Pick, TokenSampler};
use super::session::{fail, ms, Failure, Session, MAX_SEQUENCES};
use super::{CancelFlag, Out};
use crate::loop_guard::LoopDetector;
use crate::protocol::{
    ErrorKind, Event, FinishReason, GenerateRequest, GenerationStats, OverflowPolicy,
};
use crate::text_stream::TextStream;

/// One sequence of a batch while it decodes.
struct Sequence<'r> {
    req: &'r GenerateRequest,
    tokens: Vec<LlamaToken>,
    sampler: TokenSampler,
    stream: TextStream,
    guard: Option<LoopDetector>,
    logits: Vec<f32>,
    /// The KV position its next token takes.
    pos: usize,
    /// KV cells it holds beyond the shared prompt.
    own_cells: usize,
    finish: Option<FinishReason>,
    stats: GenerationStats,
}

impl Session<'_> {
    /// Decodes `reqs` side by side; `done` hears of each sequence as it ends
    /// (its index, how it ended, its statistics), in the order they end.
    pub(super) fn generate_batch(
        &mut self,
        id: u64,
        reqs: &[GenerateRequest],
        out: &Out,
        cancel: &CancelFlag,
        mut done: impl FnMut(u32, FinishReason, GenerationStats),
    ) -> Result<(), Failure> {
        let started = Instant::now();
        self.stats.requests += 1;
        if reqs.is_empty() {
            return Err(fail(
                ErrorKind::InvalidRequest,
                "a batch needs at least one request",
            ));
        }
        if reqs.len() > MAX_SEQUENCES {
            return Err(fail(
                ErrorKind::InvalidRequest,
                format!(
                    "a batch takes at most {MAX_SEQUENCES} requests, not {}",
                    reqs.len()
                ),
            ));
        }
        let which = |k: usize| {
            if reqs.len() > 1 {
                format!("request {k}: ")
            } else {
                String::new()
            }
        };
        let mut seqs = Vec::with_capacity(reqs.len());
        for (k, req) in reqs.iter().enumerate() {
            seqs.push(self.sequence(req).map_err(|f| Failure {
                kind: f.kind,
                message: format!("{}{}", which(k), f.message),
            })?);
        }

        // The start every prompt shares; each sequence keeps at least one
        // token of its own unless all are the same prompt, so each gets its
        // own logits from its own last prompt token.
        let first = &seqs[0].tokens;
        let common = seqs
            .iter()
            .map(|s| {
                first
                    .iter()
                    .zip(&s.tokens)
                    .take_while(|(a, b)| a == b)
                    .count()
            })
            .min()
            .unwrap_or(0);
        let min_len = seqs.iter().map(|s| s.tokens.len()).min().unwrap_or(0);
        let mut shared = if seqs.iter().all(|s| s.tokens.len() == common) {
            common
        } else {
            common.min(min_len - 1)
        };

        // Context guard: the shared prompt once, then each sequence's own
        // prompt and its whole token budget.
        let n_ctx = self.info.n_ctx as usize;
        let own = |s: &Sequence, shared: usize| s.tokens.len() - shared + s.req.max_tokens as usize;
        let need: usize = shared + seqs.iter().map(|s| own(s, shared)).sum::<usize>();
        let mut truncated = 0;
        if need > n_ctx {
            let policy = reqs[0].overflow;
            let drop = need - n_ctx;
            if policy == OverflowPolicy::TruncateStart && drop + 2 <= shared {
                for s in &mut seqs {
                    s.tokens.drain(1..1 + drop);
                }
                shared -= drop;
                truncated = drop;
            } else if reqs.len() == 1 {
                let s = &seqs[0];
                return Err(fail(
                    ErrorKind::ContextOverflow,
                    if policy == OverflowPolicy::TruncateStart {
                        format!(
                            "max_tokens {} leaves no room for a prompt in a context of {n_ctx}",
                            s.req.max_tokens
                        )
                    } else {
                        format!(
                            "the prompt is {} tokens and max_tokens is {}, together {need}, but the context window is {n_ctx}; shorten the prompt, lower max_tokens, or load the model with a larger context",
                            s.tokens.len(),
                            s.req.max_tokens
                        )
                    },
                ));
            } else {
                let mut used = shared;
                let fit = seqs
                    .iter()
                    .take_while(|s| {
                        used += own(s, shared);
                        used <= n_ctx
                    })
                    .count();
                return Err(fail(
                    ErrorKind::ContextOverflow,
                    format!(
                        "{} sequences need {need} tokens of KV cache (a shared prompt of {shared} and each one's own prompt and max_tokens), but the context window is {n_ctx}; at most {fit} fit: ask for fewer, lower max_tokens, or load the model with a larger context",
                        reqs.len()
                    ),
                ));
            }
        }

        let prompt_started = Instant::now();
        let mut shared_stats = GenerationStats::default();
        // Cells of earlier batches' other sequences are gone (freed as they
        // ended); sequence 0 is what `cached` describes.
        self.free_other_sequences(reqs.len());
        let shared_logits = if shared > 0 {
            Some(self.prefill(&seqs[0].tokens[..shared], &mut shared_stats)?)
        } else {
            self.truncate_cache(0)?;
            None
        };
        for k in 1..seqs.len() {
            self.ctx
                .copy_kv_cache_seq(0, k as i32, None, None)
                .map_err(|e| fail(ErrorKind::Internal, e.to_string()))?;
        }
        let own_prompt = self.decode_own_prompts(&mut seqs, shared, shared_logits)?;
        let prompt_ms = ms(prompt_started);
        for (k, s) in seqs.iter_mut().enumerate() {
            s.stats = GenerationStats {
                prompt_tokens: s.tokens.len() as u32,
                reused_tokens: shared_stats.reused_tokens,
                decoded_prompt_tokens: own_prompt[k]
                    + if k == 0 {
                        shared_stats.decoded_prompt_tokens
                    } else {
                        0
                    },
                truncated_tokens: truncated as u32,
                prompt_ms,
                ..GenerationStats::default()
            };
        }
        self.stats.prompt_tokens_decoded += u64::from(shared_stats.decoded_prompt_tokens)
            + own_prompt.iter().map(|&n| u64::from(n)).sum::<u64>();
        self.stats.prompt_tokens_reused += u64::from(shared_stats.reused_tokens);

        let result = self.decode_together(id, &mut seqs, shared, started, out, cancel, &mut done);
        self.free_other_sequences(reqs.len());
        result?;
        for s in &seqs {
            self.stats.generated_tokens += u64::from(s.stats.generated_tokens);
        }
        self.stats.last = Some(seqs[0].stats.clone());
        Ok(())
    }

    /// A sequence for `req`: its sampler (the grammar parsed), its prompt tokens.
    fn sequence<'r>(&self, req: &'r GenerateRequest) -> Result<Sequence<'r>, Failure> {
        if req.max_tokens == 0 {
            return Err(fail(
                ErrorKind::InvalidRequest,
                "max_tokens must be at least 1",
            ));
        }
        if let Some(g) = &req.loop_guard {
            g.validate()
                .map_err(|m| fail(ErrorKind::InvalidRequest, m))?;
        }
        let (text, special) = self.render(&req.input)?;
        if text.is_empty() {
            return Err(fail(ErrorKind::InvalidRequest, "the prompt is empty"));
        }
        let sampler = TokenSampler::new(self.model, &req.sampling, req.grammar.as_deref())
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
        Ok(Sequence {
            req,
            tokens,
            sampler,
            stream: TextStream::new(req.stop.clone()),
            guard: req.loop_guard.map(LoopDetector::new),
            logits: Vec::new(),
            pos: 0,
            own_cells: 0,
            finish: None,
            stats: GenerationStats::default(),
        })
    }

    /// Decodes each sequence's prompt after the shared start, all of them in
    /// the same batches, and keeps each one's logits after its last token.
    /// Returns how many tokens each decoded.
    fn decode_own_prompts(
        &mut self,
        seqs: &mut [Sequence],
        shared: usize,
        shared_logits: Option<Vec<f32>>,
    ) -> Result<Vec<u32>, Failure> {
        // (sequence, token, position) in order.
        let work: Vec<(usize, LlamaToken, usize)> = seqs
            .iter()
            .enumerate()
            .flat_map(|(k, s)| {
                s.tokens[shared..]
                    .iter()
                    .enumerate()
                    .map(move |(j, &t)| (k, t, shared + j))
            })
            .collect();
        for s in seqs.iter_mut() {
            s.pos = s.tokens.len();
            s.own_cells = s.tokens.len() - shared;
            if s.own_cells == 0 {
                s.logits = shared_logits.clone().unwrap_or_default();
            }
        }
        let n_batch = self.n_batch as usize;
        let mut batch = LlamaBatch::new(n_batch, 1);
        for chunk in work.chunks(n_batch) {
            batch.clear();
            for &(k, t, pos) in chunk {
                let last = pos + 1 == seqs[k].tokens.len();
                batch
                    .add(t, pos as i32, &[k as i32], last)
                    .map_err(|e| fail(ErrorKind::Internal, e.to_string()))?;
                if k == 0 {
                    self.cached.push(t);
                }
            }
            if let Err(e) = self.ctx.decode(&mut batch) {
                self.forget_cache();
                return Err(fail(
                    ErrorKind::Decode,
                    format!("decoding the prompt failed: {e}"),
                ));
            }
            for (i, &(k, _, pos)) in chunk.iter().enumerate() {
                if pos + 1 == seqs[k].tokens.len() {
                    seqs[k].logits = self.ctx.get_logits_ith(i as i32).to_vec();
                }
            }
        }
        Ok(seqs.iter().map(|s| s.own_cells as u32).collect())
    }

    /// Samples and decodes every active sequence one token a step until all end.
    #[allow(clippy::too_many_arguments)]
    fn decode_together(
        &mut self,
        id: u64,
        seqs: &mut [Sequence],
        shared: usize,
        started: Instant,
        out: &Out,
        cancel: &CancelFlag,
        done: &mut impl FnMut(u32, FinishReason, GenerationStats),
    ) -> Result<(), Failure> {
        let n_ctx = self.info.n_ctx as usize;
        let model = self.model;
        let vocab = model.vocab();
        let eos = vocab.eos();
        let mut batch = LlamaBatch::new(seqs.len(), 1);
        let gen_started = Instant::now();
        let mut used = shared + seqs.iter().map(|s| s.own_cells).sum::<usize>();
        loop {
            batch.clear();
            let mut stepping: Vec<(usize, LlamaToken)> = Vec::new();
            let cancelled = cancel.load(Ordering::SeqCst) == id;
            for (k, s) in seqs.iter_mut().enumerate() {
                if s.finish.is_some() {
                    continue;
                }
                let finish = if cancelled {
                    Some(FinishReason::Cancelled)
                } else {
                    match s.sampler.pick(&s.logits) {
                        Pick::GrammarExhausted => Some(FinishReason::GrammarComplete),
                        Pick::Token(token) => {
                            if s.stats.generated_tokens == 0 {
                                s.stats.first_token_ms = ms(started);
                            }
                            s.stats.generated_tokens += 1;
                            let ended = step(s, token, k as u32, id, out, eos, &vocab)?;
                            if ended.is_none() && used + stepping.len() >= n_ctx {
                                Some(FinishReason::ContextFull)
                            } else {
                                if ended.is_none() {
                                    stepping.push((k, token));
                                }
                                ended
                            }
                        }
                    }
                };
                if let Some(f) = finish {
                    s.finish = Some(f);
                    if f != FinishReason::StopString {
                        let rest = s.stream.finish();
                        if !rest.is_empty() {
                            out.send(&Event::Token {
                                id,
                                seq: k as u32,
                                text: rest,
                            });
                        }
                    }
                    s.stats.generate_ms = ms(gen_started);
                    s.stats.grammar_resamples = s.sampler.resamples;
                    if s.stats.first_token_ms == 0.0 {
                        s.stats.first_token_ms = ms(started);
                    }
                    if k > 0 {
                        // Its cells go back to the cache for the others.
                        let _ = self.ctx.clear_kv_cache_seq(Some(k as u32), None, None);
                        used -= s.own_cells;
                    }
                    done(k as u32, f, s.stats.clone());
                }
            }
            if stepping.is_empty() {
                return Ok(());
            }
            for &(k, token) in &stepping {
                batch
                    .add(token, seqs[k].pos as i32, &[k as i32], true)
                    .map_err(|e| fail(ErrorKind::Internal, e.to_string()))?;
            }
            if let Err(e) = self.ctx.decode(&mut batch) {
                self.forget_cache();
                return Err(fail(
                    ErrorKind::Decode,
                    format!("decoding a generated token failed: {e}"),
                ));
            }
            for (i, &(k, token)) in stepping.iter().enumerate() {
                let s = &mut seqs[k];
                s.logits.clear();
                s.logits
                    .extend_from_slice(self.ctx.get_logits_ith(i as i32));
                s.pos += 1;
                s.own_cells += 1;
                used += 1;
                if k == 0 {
                    self.cached.push(token);
                }
            }
        }
    }
}

/// Takes a sampled token into sequence `s`: the grammar and sampler state,
/// the text (sent as it comes), the stop strings, the loop guard and the
/// limits. Returns how the sequence ends, if this token ends it.
fn step(
    s: &mut Sequence,
    token: LlamaToken,
    seq: u32,
    id: u64,
    out: &Out,
    eos: LlamaToken,
    vocab: &LlamaVocab,
) -> Result<Option<FinishReason>, Failure> {
    if vocab.is_eog(token) {
        return Ok(Some(FinishReason::EndOfText));
    }
    s.sampler
        .accept(token)
        .map_err(|m| fail(ErrorKind::Internal, m))?;
    let piece = vocab.token_to_piece(token, false, None);
    let push = s.stream.push(&piece);
    if !push.text.is_empty() {
        out.send(&Event::Token {
            id,
            seq,
            text: push.text,
        });
    }
    if push.stopped {
        return Ok(Some(FinishReason::StopString));
    }
    if let Some(g) = s.guard.as_mut() {
        if g.push(&String::from_utf8_lossy(&piece)) {
            return Ok(Some(FinishReason::Looping));
        }
    }
    if s.req.end_with_grammar && s.sampler.grammar_may_end(eos) {
        return Ok(Some(FinishReason::GrammarComplete));
    }
    if s.stats.generated_tokens >= s.req.max_tokens {
        return Ok(Some(FinishReason::MaxTokens));
    }
    Ok(None)
}
