//! A model for tests that returns scripted texts in order and keeps every
//! request it was given, so the logic around the model is tested exactly.

use millwright_engine::{EngineError, ErrorKind, FinishReason, GenerateRequest};

use crate::plc::{Completer, Completion, Stage};

pub struct Scripted {
    pub replies: Vec<&'static str>,
    pub seen: Vec<GenerateRequest>,
    pub chat: bool,
    /// How every reply ends (a model under a grammar: the grammar completes).
    pub finish: FinishReason,
    /// How the first replies end, where they differ from `finish`.
    pub finishes: Vec<FinishReason>,
    /// Every stage the pipeline announced, in order.
    pub stages: Vec<Stage>,
}

impl Scripted {
    /// A base model giving `replies` in order.
    pub fn new(replies: &[&'static str]) -> Scripted {
        Scripted {
            replies: replies.to_vec(),
            seen: Vec::new(),
            chat: false,
            finish: FinishReason::GrammarComplete,
            finishes: Vec::new(),
            stages: Vec::new(),
        }
    }
}

impl Completer for Scripted {
    fn is_chat(&self) -> bool {
        self.chat
    }
    fn stage(&mut self, stage: Stage) {
        self.stages.push(stage);
    }
    fn complete(&mut self, request: &GenerateRequest) -> Result<Completion, EngineError> {
        self.seen.push(request.clone());
        let text = self.replies.get(self.seen.len() - 1).ok_or(EngineError {
            kind: ErrorKind::Internal,
            message: "no more replies".into(),
        })?;
        let finish = *self
            .finishes
            .get(self.seen.len() - 1)
            .unwrap_or(&self.finish);
        Ok(Completion {
            text: text.to_string(),
            finish,
            tokens_per_s: 1.0,
        })
    }
}
