//! PLC code generation that is checked, simulated and repaired before anyone
//! sees it: understand (interface from the IO list and test vectors, examples
//! from the snippet library), generate under the ST grammar, check, simulate,
//! feed the problems back, keep the best candidate, report honestly.
//!
//! - [`port`]: the model port ([`Completer`]).
//! - [`spec`]: what is asked ([`GenSpec`]) and its limits.
//! - [`interface`]: the declarations written before the model starts, from (in
//!   order) the spec's ST header, its variable lists, the IO list, the vectors;
//!   [`spec_interface`] reads the first two out of the spec's text.
//! - [`prompts`]: templates, requests, the continuation grammar.
//! - [`verify`]: check, simulate and rank a candidate.
//! - [`generate`]: attempts, candidates, repair rounds; [`close`] keeps a
//!   body that looped or ran out to its last sound statement.
//! - [`report`]: what comes back.
//! - [`vectors`]: tests the model proposes when the user gave none.

mod close;
mod generate;
mod interface;
mod port;
mod prompts;
mod report;
mod spec;
mod spec_interface;
mod vectors;
mod verify;

pub use generate::{generate, CANDIDATE_TEMPERATURE, LOOP_GUARD};
pub use interface::Interface;
pub use port::{Completer, Completion, EngineCompleter, Stage};
pub use prompts::continuation_grammar;
pub(crate) use prompts::request;
pub use report::{CandidateRecord, Citation, Decoding, Ended, Report, Round, Verified};
pub use spec::{
    document_passages, DocPassage, GenSpec, Repetition, DEFAULT_CANDIDATES, MAX_CANDIDATES,
    MAX_ROUNDS, MAX_SPEC_CHARS,
};
pub use spec_interface::{Section, Var};
pub use vectors::vectors_grammar;

/// The keyword that ends the generated block.
const END: &str = "END_FUNCTION_BLOCK";
/// Characters of one passage in the prompt.
const PASSAGE_CHARS: usize = 600;

#[cfg(test)]
mod tests;
