//! Prompts and requests: templates, the documents and examples shown, the
//! continuation grammar.

use millwright_engine::{GenerateRequest, Input, Sampling};
use millwright_iec61131::gbnf;

use super::{DocPassage, END, PASSAGE_CHARS};
use crate::library::Snippet;

pub(super) const BASE_PROMPT: &str = include_str!("../../../../assets/prompts/plc_gen_base.txt");
pub(super) const BASE_REPAIR: &str = include_str!("../../../../assets/prompts/plc_repair_base.txt");
pub(super) const CHAT_SYSTEM: &str =
    include_str!("../../../../assets/prompts/plc_gen_chat_system.txt");
pub(super) const CHAT_TASK: &str = include_str!("../../../../assets/prompts/plc_gen_chat_task.txt");
pub(super) const TESTS_BASE: &str = include_str!("../../../../assets/prompts/plc_tests_base.txt");
pub(super) const TESTS_CHAT: &str = include_str!("../../../../assets/prompts/plc_tests_chat.txt");
pub(super) const CHAT_REPAIR: &str = include_str!("../../../../assets/prompts/plc_repair_chat.txt");
/// The grammar for what follows the header: more declarations, the body and
/// the end of the block, and nothing after it — not even a comment or a
/// newline, so the grammar itself ends generation at the block's end keyword
/// (a stop string would also fire on that keyword inside a comment).
/// Comments are short and flat (`gbnf::generation_grammar_with_root`).
pub fn continuation_grammar() -> String {
    gbnf::generation_grammar_with_root(&format!(
        "ws var-block* stmt* {} \";\"?",
        gbnf::keyword(END)
    ))
}

/// A prompt from its template; it ends with one newline, so a completion
/// prompt ends exactly where the model is to continue.
pub(super) fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    format!("{}\n", out.trim_end())
}

/// The passages as one ST comment (with any comment delimiters in them defused).
pub(super) fn documents_text(passages: &[DocPassage]) -> String {
    if passages.is_empty() {
        return String::new();
    }
    let mut out = String::from("(* From the project's documents:\n");
    for (i, p) in passages.iter().enumerate() {
        let text: String = p.text.chars().take(PASSAGE_CHARS).collect();
        let text = text
            .replace("(*", "( *")
            .replace("*)", "* )")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        out.push_str(&format!("   [{}] {}: {}\n", i + 1, p.citation, text));
    }
    out.push_str("*)\n\n");
    out
}

pub(super) fn examples_text(snippets: &[Snippet]) -> String {
    snippets
        .iter()
        .map(|s| format!("(* Example: {} *)\n{}\n", s.meta.title_en, s.code.trim()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A greedy request that drops the prompt's start rather than fail when it is
/// too long; `repeat_penalty` 1.0 is off.
pub(crate) fn request(
    input: Input,
    max_tokens: u32,
    stop: &[&str],
    grammar: Option<String>,
    repeat_penalty: f32,
) -> GenerateRequest {
    GenerateRequest {
        input,
        sampling: Sampling {
            repeat_penalty,
            ..Sampling::greedy()
        },
        max_tokens,
        stop: stop.iter().map(|s| s.to_string()).collect(),
        end_with_grammar: false,
        grammar,
        overflow: millwright_engine::OverflowPolicy::TruncateStart,
        prefill: String::new(),
        loop_guard: None,
    }
}

/// A chat model may wrap code in Markdown fences.
pub(super) fn strip_fences(text: &str) -> &str {
    let t = text.trim_start();
    match t.strip_prefix("```") {
        Some(rest) => {
            let body = rest.split_once('\n').map_or("", |x| x.1);
            body.rfind("```").map_or(body, |end| &body[..end])
        }
        None => text,
    }
}
