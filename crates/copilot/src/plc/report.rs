//! What a generation reports: each round, each candidate, how each ended.

use millwright_engine::FinishReason;
use millwright_iec61131::render::Located;
use serde::Serialize;

/// What a candidate achieved.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Verified {
    pub parsed: bool,
    pub checked: bool,
    pub errors: usize,
    pub warnings: usize,
    pub tests_passed: usize,
    pub tests_total: usize,
    /// Generation rounds used (the first attempt is round 1).
    pub rounds: u32,
}

impl Verified {
    /// Parsed and checked without errors.
    pub fn clean(&self) -> bool {
        self.parsed && self.errors == 0
    }
}

/// One generation round.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    #[serde(flatten)]
    pub verified: Verified,
    pub ended: Ended,
    /// The attempt looped or ran out and was kept to its last sound statement.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub closed: bool,
}

/// What the model's output was constrained to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decoding {
    /// The block's own declarations: what it writes checks clean by construction.
    Symbols,
    /// Structured Text's grammar.
    StGrammar,
    Free,
}

/// One candidate of the first round, as sampled.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateRecord {
    /// 0 is the greedy one.
    pub index: u32,
    pub temperature: f32,
    pub seed: u32,
    pub ended: Ended,
    /// Looped or ran out, then kept to its last sound statement and closed
    /// by the pipeline (the code is that, `ended` what the model did).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub closed: bool,
    #[serde(flatten)]
    pub verified: Verified,
    pub code: String,
}

impl CandidateRecord {
    /// Parsed and checked without errors.
    pub fn clean(&self) -> bool {
        self.verified.clean()
    }

    /// Clean, with tests, and all of them passed.
    pub fn passed(&self) -> bool {
        self.clean()
            && self.verified.tests_total > 0
            && self.verified.tests_passed == self.verified.tests_total
    }
}

/// How a model's attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ended {
    /// The model wrote the block's end (under the grammar) or stopped by itself.
    Finished,
    /// Without the grammar: the block's end keyword, outside any comment or string.
    EndKeyword,
    /// Without the grammar: the end keyword inside a comment or string the model
    /// left open; the code is kept as written (it does not parse).
    EndKeywordInComment,
    /// Cut off at the token limit (small models mostly by repeating lines).
    TokenLimit,
    /// The context window filled up.
    ContextFull,
    /// Ended early: it wrote the same statements again and again, or nothing
    /// new for a while (the engine's loop guard).
    Looping,
    Cancelled,
}

impl Ended {
    /// The model reached the block's end (or stopped by itself).
    pub fn finished(self) -> bool {
        matches!(
            self,
            Ended::Finished | Ended::EndKeyword | Ended::EndKeywordInComment
        )
    }

    pub(super) fn of(finish: FinishReason, body: &str) -> Ended {
        use millwright_iec61131::Code;
        match finish {
            FinishReason::EndOfText | FinishReason::GrammarComplete => Ended::Finished,
            FinishReason::StopString => {
                let open = millwright_iec61131::lexer::lex(body)
                    .diagnostics
                    .iter()
                    .any(|d| {
                        matches!(d.code, Code::UnterminatedComment | Code::UnterminatedString)
                    });
                if open {
                    Ended::EndKeywordInComment
                } else {
                    Ended::EndKeyword
                }
            }
            FinishReason::MaxTokens => Ended::TokenLimit,
            FinishReason::ContextFull => Ended::ContextFull,
            FinishReason::Looping => Ended::Looping,
            FinishReason::Cancelled => Ended::Cancelled,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Citation {
    /// `st-library/NAME` for a library snippet; the file's path for a document.
    pub source: String,
    /// The snippet's title, or the document citation (`manual.pdf, p. 12`).
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub code: String,
    pub verified: Verified,
    pub diagnostics: Vec<Located>,
    /// Test failures and runtime faults of the kept candidate.
    pub test_failures: Vec<String>,
    pub citations: Vec<Citation>,
    /// Where the block's interface came from.
    pub interface: Vec<String>,
    /// `"user"` for vectors the user gave; absent when there were none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vectors_source: Option<String>,
    /// Each round: what it achieved and how the model's attempt ended.
    pub history: Vec<Round>,
    /// The first round's candidates, in the order sampled; the best of them
    /// went on to repair.
    pub candidates: Vec<CandidateRecord>,
    /// What constrained the decoding.
    pub decoding: Decoding,
    pub tokens_per_s: f64,
}

impl Report {
    /// Parsed, checked without errors, and every test passed.
    pub fn verified_ok(&self) -> bool {
        let v = &self.verified;
        v.parsed && v.checked && v.errors == 0 && v.tests_passed == v.tests_total
    }
}
