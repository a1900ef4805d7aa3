//! What a generation is asked for, and the limits both front ends enforce.

use millwright_iec61131::sim::Vectors;
use serde::{Deserialize, Serialize};

use crate::io_list::IoList;

/// A request to generate one POU.
#[derive(Debug, Clone)]
pub struct GenSpec {
    pub spec: String,
    pub io: Option<IoList>,
    pub vectors: Option<Vectors>,
    /// The block's name; else the vectors' `pou`; else `FB_Generated`.
    pub name: Option<String>,
    /// Repair rounds after the first attempt.
    pub rounds: u32,
    /// Constrain decoding with the ST grammar.
    pub grammar: bool,
    /// With `grammar`: decode in two phases under grammars built from the
    /// block's own declarations — its new locals, then a body in which an
    /// undeclared name, a write to an input, a mistyped expression or a wrong
    /// FB parameter cannot be written (`gbnf::locals_grammar`, `body_grammar`).
    pub symbols: bool,
    /// Candidates sampled side by side in the first round (one greedy, the
    /// others at a temperature); checked and simulated, the best goes on to
    /// repair. 1 = one attempt.
    pub candidates: u32,
    /// Snippets from the library offered as examples (0 = none).
    pub examples: usize,
    /// Snippets never offered (an evaluation leaves out a task's own answer).
    pub exclude_examples: Vec<String>,
    pub max_tokens: u32,
    pub repetition: Repetition,
    /// Without vectors: have the model write some for the final code, run
    /// them, and report them as model-written (they never drive repair).
    pub propose_tests: bool,
    /// Passages from the user's documents (the knowledge base) that bear on the
    /// spec: shown to the model before the examples, cited in the report.
    pub passages: Vec<DocPassage>,
}

/// The longest specification a generation takes, in characters.
pub const MAX_SPEC_CHARS: usize = 20_000;
/// The most repair rounds after the first attempt.
pub const MAX_ROUNDS: u32 = 10;
/// Candidates of the first round when the user does not say: on the default
/// model four under the symbol grammars give a clean block for 29 of the 30
/// eval tasks, a single attempt for 1 of the first 10 (BENCHMARKS.md). Both
/// front ends start here.
pub const DEFAULT_CANDIDATES: u32 = 4;
/// The most candidates of one round: what the engine decodes side by side.
pub const MAX_CANDIDATES: u32 = millwright_engine::MAX_BATCH as u32;

impl GenSpec {
    /// What the pipeline refuses before a model starts: an empty or overlong
    /// specification, too many repair rounds, no tokens to write with. Both
    /// front ends ask this, so they refuse the same input with the same words.
    pub fn validate(&self) -> Result<(), crate::Error> {
        self.problem().map_err(crate::Error::Input)
    }

    fn problem(&self) -> Result<(), String> {
        let text = self.spec.trim();
        if text.is_empty() {
            return Err("the specification is empty; describe the block to write".into());
        }
        if text.chars().count() > MAX_SPEC_CHARS {
            return Err(format!(
                "the specification is longer than {MAX_SPEC_CHARS} characters; shorten it"
            ));
        }
        if self.rounds > MAX_ROUNDS {
            return Err(format!(
                "{} repair rounds is too many; use 0 to {MAX_ROUNDS}",
                self.rounds
            ));
        }
        if !(1..=MAX_CANDIDATES).contains(&self.candidates) {
            return Err(format!(
                "{} candidates is not possible; use 1 to {MAX_CANDIDATES}",
                self.candidates
            ));
        }
        if self.max_tokens == 0 {
            return Err("the token limit must be at least 1".into());
        }
        Ok(())
    }
}

/// What keeps greedy decoding from looping: small models repeat a few lines
/// until the token limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Repetition {
    /// Over the last 64 tokens; 1.0 = off.
    pub repeat_penalty: f32,
    /// The DRY penalty on extending a sequence already generated; 0.0 = off.
    pub dry_multiplier: f32,
    /// Sequences up to this many tokens repeat freely under DRY.
    pub dry_allowed_length: u32,
}

impl Repetition {
    pub const DEFAULT: Repetition = Repetition {
        repeat_penalty: 1.1,
        // Off: on the default model DRY made more attempts loop to the token
        // limit, not fewer (BENCHMARKS.md); 4 is the length measured with it.
        dry_multiplier: 0.0,
        dry_allowed_length: 4,
    };
}

/// A passage from the user's documents offered as context.
#[derive(Debug, Clone, PartialEq)]
pub struct DocPassage {
    /// `manual.pdf, p. 12`.
    pub citation: String,
    pub path: String,
    pub page: Option<u32>,
    pub text: String,
}

/// The passages of the user's documents that bear on `spec`: the best `k`
/// whose coverage of the spec reaches the question threshold
/// ([`millwright_knowledge::MIN_COVERAGE`]), so unrelated text never reaches the prompt.
pub fn document_passages(
    kb: &millwright_knowledge::KnowledgeBase,
    spec: &str,
    filter: &millwright_knowledge::index::Filter,
    k: usize,
) -> Result<Vec<DocPassage>, crate::Error> {
    let hits = kb
        .search(spec, filter, k)
        .map_err(|e| crate::Error::Documents(e.to_string()))?;
    Ok(hits
        .into_iter()
        .filter(|h| h.coverage >= millwright_knowledge::MIN_COVERAGE)
        .map(|h| DocPassage {
            citation: h.citation(),
            page: h.page,
            path: h.path,
            text: h.text,
        })
        .collect())
}

impl GenSpec {
    pub fn new(spec: impl Into<String>) -> GenSpec {
        GenSpec {
            spec: spec.into(),
            io: None,
            vectors: None,
            name: None,
            rounds: 2,
            grammar: true,
            symbols: false,
            candidates: 1,
            examples: 1,
            exclude_examples: Vec::new(),
            max_tokens: 768,
            repetition: Repetition::DEFAULT,
            propose_tests: false,
            passages: Vec::new(),
        }
    }
}
