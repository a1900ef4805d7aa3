//! The model port: what continues a prompt (the engine, or a scripted
//! stand-in in tests).

use millwright_engine::{EngineError, FinishReason, GenerateRequest};

/// What the pipeline's next requests are for, said before it makes them, so
/// a front end showing the draft need not guess from the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// A new attempt (the first, or a repair round) of `candidates` decoded
    /// side by side: its text starts a new draft.
    Attempt { candidates: usize },
    /// The same attempt goes on from its requests' prefill (the body after
    /// the locals, or after a body's end taken back).
    Continuation,
    /// Test vectors for the chosen block: not part of its code.
    Vectors,
}

/// What continues a prompt: the engine, or a scripted stand-in in tests.
pub trait Completer {
    /// Whether the model takes chat messages (has a chat template).
    fn is_chat(&self) -> bool;
    /// Told before each stage's requests; a completer that shows nothing
    /// ignores it.
    fn stage(&mut self, _stage: Stage) {}
    fn complete(&mut self, request: &GenerateRequest) -> Result<Completion, EngineError>;
    /// Like `complete`, handing each piece of text to `on_text` as it comes
    /// (a model that cannot stream hands over the whole text at the end).
    fn complete_streaming(
        &mut self,
        request: &GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Completion, EngineError> {
        let c = self.complete(request)?;
        on_text(&c.text);
        Ok(c)
    }
    /// Several requests that share their prompt's start, decoded side by
    /// side where the model can (the engine's batch), else one after another.
    /// `on_text` hears each piece with its request's index.
    fn complete_batch(
        &mut self,
        requests: &[GenerateRequest],
        on_text: &mut dyn FnMut(usize, &str),
    ) -> Result<Vec<Completion>, EngineError> {
        requests
            .iter()
            .enumerate()
            .map(|(k, r)| self.complete_streaming(r, &mut |t| on_text(k, t)))
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Completion {
    pub text: String,
    pub finish: FinishReason,
    pub tokens_per_s: f64,
}

/// The engine as a [`Completer`].
pub struct EngineCompleter<'a> {
    pub engine: &'a mut millwright_engine::Engine,
    pub is_chat: bool,
}

impl Completer for EngineCompleter<'_> {
    fn is_chat(&self) -> bool {
        self.is_chat
    }
    fn complete(&mut self, request: &GenerateRequest) -> Result<Completion, EngineError> {
        self.complete_streaming(request, &mut |_| {})
    }
    fn complete_streaming(
        &mut self,
        request: &GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Completion, EngineError> {
        let g = self.engine.generate(request, on_text)?;
        Ok(Completion {
            text: g.text,
            finish: g.finish,
            tokens_per_s: g.stats.generate_tokens_per_s(),
        })
    }
    fn complete_batch(
        &mut self,
        requests: &[GenerateRequest],
        on_text: &mut dyn FnMut(usize, &str),
    ) -> Result<Vec<Completion>, EngineError> {
        if requests.len() == 1 {
            return Ok(vec![
                self.complete_streaming(&requests[0], &mut |t| on_text(0, t))?
            ]);
        }
        let started = std::time::Instant::now();
        let out = self.engine.generate_batch(requests, on_text)?;
        // The batch's rate: every sequence's tokens over the time they took together.
        let tokens: u32 = out.iter().map(|g| g.stats.generated_tokens).sum();
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        Ok(out
            .into_iter()
            .map(|g| Completion {
                text: g.text,
                finish: g.finish,
                tokens_per_s: f64::from(tokens) / secs,
            })
            .collect())
    }
}
