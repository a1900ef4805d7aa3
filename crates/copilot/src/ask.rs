//! Answers from the user's documents, with numbered citations to file and page,
//! or from a mechanism model when the question asks for a calculation.
//!
//! Retrieval decides first whether the documents hold an answer at all: when
//! the best passage covers too little of the question (see
//! [`millwright_knowledge::MIN_COVERAGE`]), or no sentence of the passages
//! answers it (see [`crate::quotes`]), the answer says so and the model is not
//! asked, so it cannot guess. Otherwise the answer opens with those sentences,
//! quoted verbatim with their `[n]`; then the model adds its own words, decoded
//! under a grammar in which every number and name is one the passages hold
//! ([`crate::copy_grammar`]), and each of its sentences is checked for support
//! and marked when a claim in it is not in the passages it cites. The passages
//! go after the fixed instructions (the engine's prefix cache keeps the
//! instructions between questions), and `[n]` markers are checked against the
//! passages given.

use std::collections::HashSet;

use millwright_engine::{ChatMessage, Input};

use crate::Error;
use millwright_knowledge::index::Filter;
use millwright_knowledge::{Hit, KnowledgeBase, MIN_COVERAGE};
use serde::Serialize;

use crate::plc::{request, Completer};
use crate::quotes::{self, Quote};
use crate::tool_call::{self, ToolCall};
use millwright_tools::Called;

const BASE: &str = include_str!("../../../assets/prompts/ask_base.txt");
const CHAT_SYSTEM: &str = include_str!("../../../assets/prompts/ask_chat_system.txt");
const CHAT_USER: &str = include_str!("../../../assets/prompts/ask_chat_user.txt");

/// Characters of one passage given to the model.
const PASSAGE_CHARS: usize = 1200;
/// Where a base model's answer starts: a base model continues text, and a
/// sentence already citing the passage quoted first keeps it on the passages.
fn base_lead(n: usize) -> String {
    format!(" According to [{n}],")
}
/// Prose from small models loops without a repetition penalty.
const PROSE_PENALTY: f32 = 1.3;

#[derive(Debug, Clone)]
pub struct AskOptions {
    /// Passages retrieved and given to the model.
    pub k: usize,
    pub filter: Filter,
    pub max_tokens: u32,
    pub min_coverage: f32,
}

impl Default for AskOptions {
    fn default() -> Self {
        AskOptions {
            k: 4,
            filter: Filter::default(),
            max_tokens: 320,
            min_coverage: MIN_COVERAGE,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Citation {
    pub n: usize,
    pub path: String,
    pub page: Option<u32>,
    pub sheet: Option<String>,
    pub rows: Option<(u32, u32)>,
    pub heading: String,
    pub citation: String,
    pub snippet: String,
    pub score: f32,
    /// Whether the answer refers to it.
    pub cited: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Retrieved {
    pub path: String,
    pub page: Option<u32>,
    pub citation: String,
    pub score: f32,
    pub coverage: f32,
    pub chunk_id: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub answer: String,
    /// False when the documents did not hold an answer and the model was not asked.
    pub grounded: bool,
    pub citations: Vec<Citation>,
    pub retrieved: Vec<Retrieved>,
    /// `[n]` markers the model wrote that match no passage (removed from the answer).
    pub invalid_citations: Vec<usize>,
    /// The calculation that answered, when the question asked for one.
    pub tool: Option<ToolUse>,
    /// The passages' sentences the answer opens with, verbatim.
    pub quotes: Vec<Quote>,
    /// The model's own sentences after the quotes, each checked for support.
    pub sentences: Vec<ModelSentence>,
}

/// A sentence the model wrote, and the numbers and names in it that are in no
/// passage it cites (in none given, when it cites none).
#[derive(Debug, Clone, Serialize)]
pub struct ModelSentence {
    pub text: String,
    pub supported: bool,
    pub unsupported: Vec<String>,
}

/// A call the model made and what the tool computed; `error` names the
/// argument the model got wrong when the tool refused the call.
#[derive(Debug, Clone, Serialize)]
pub struct ToolUse {
    pub call: ToolCall,
    pub result: Option<Called>,
    pub error: Option<String>,
}

/// The longest question asked, in characters.
pub const MAX_QUESTION_CHARS: usize = 2000;

/// What both front ends refuse before anything is searched or started.
pub fn validate_question(question: &str) -> Result<(), Error> {
    let q = question.trim();
    if q.is_empty() {
        return Err(Error::Input(
            "the question is empty; type a question first".into(),
        ));
    }
    if q.chars().count() > MAX_QUESTION_CHARS {
        return Err(Error::Input(format!(
            "the question is longer than {MAX_QUESTION_CHARS} characters; shorten it"
        )));
    }
    Ok(())
}

/// Whether a question should first be offered to the mechanism models: it
/// holds a number with a unit. The model still decides whether a tool fits.
pub fn wants_calculation(question: &str) -> bool {
    millwright_tools::quantity::mentions_quantity(question)
}

/// The call as the user can read and correct it, in no front end's syntax
/// (the command line adds its own command for it).
fn call_text(call: &ToolCall) -> String {
    let args: Vec<String> = call
        .ordered_pairs()
        .iter()
        .map(|(k, v)| format!("{k} = {}", serde_json::Value::String(v.clone())))
        .collect();
    format!("{}({})", call.tool, args.join(", "))
}

/// Answers with a mechanism model: the model picks the tool and copies the
/// arguments, the tool computes, and the answer states the result, inputs and
/// formula. `Ok(None)` when the model finds no tool fits (ask the documents).
pub fn calculate(model: &mut dyn Completer, question: &str) -> Result<Option<Answer>, Error> {
    let Some((call, result)) = tool_call::answer(model, question)? else {
        return Ok(None);
    };
    let zh = is_chinese(question);
    let (answer, result, error) = match result {
        Ok(c) => {
            let text = if zh {
                format!(
                    "{}：{}。\n由 `{}` 计算，输入：{}。公式：{}。来源：{}。",
                    c.title,
                    c.results(),
                    c.tool,
                    c.inputs_text(),
                    c.formula,
                    c.source
                )
            } else {
                format!(
                    "{}: {}.\nComputed by `{}` from {}. Formula: {}. Source: {}.",
                    c.title,
                    c.results(),
                    c.tool,
                    c.inputs_text(),
                    c.formula,
                    c.source
                )
            };
            (text, Some(c), None)
        }
        Err(e) => {
            let text = if zh {
                format!(
                    "模型选择了 `{}` 计算，但它给出的参数无效：{e}。请核对参数后重新计算：`{}`",
                    call.tool,
                    call_text(&call)
                )
            } else {
                format!(
                    "The model chose the `{}` calculation, but its arguments are not valid: {e}. Check them and calculate again: `{}`",
                    call.tool,
                    call_text(&call)
                )
            };
            (text, None, Some(e.to_string()))
        }
    };
    Ok(Some(Answer {
        answer,
        grounded: false,
        citations: Vec::new(),
        retrieved: Vec::new(),
        invalid_citations: Vec::new(),
        tool: Some(ToolUse {
            call,
            result,
            error,
        }),
        quotes: Vec::new(),
        sentences: Vec::new(),
    }))
}

/// Whether the text is mostly Chinese (the reply to an unanswerable question
/// is given in the question's language).
fn is_chinese(text: &str) -> bool {
    let han = text
        .chars()
        .filter(|&c| millwright_knowledge::tokenize::is_han(c))
        .count();
    han * 3 >= text.chars().filter(|c| c.is_alphanumeric()).count().max(1)
}

pub fn not_in_documents(question: &str) -> String {
    if is_chinese(question) {
        "您的文档中没有找到这个问题的答案。可以换个说法再问，或添加包含答案的文档。".into()
    } else {
        "Your documents do not contain the answer to this question. Try other words, or add the documents that hold it.".into()
    }
}

/// What the model is shown of a passage.
fn shown(h: &Hit) -> String {
    h.text.chars().take(PASSAGE_CHARS).collect()
}

fn passages(hits: &[Hit]) -> String {
    hits.iter()
        .enumerate()
        .map(|(i, h)| format!("[{}] ({})\n{}", i + 1, h.citation(), shown(h).trim()))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The prompt for `hits`: the fixed instructions first, then the passages; a
/// base model's answer starts by citing passage `lead`.
pub fn prompt(is_chat: bool, question: &str, hits: &[Hit], lead: usize) -> Input {
    let p = passages(hits);
    if is_chat {
        Input::Chat(vec![
            ChatMessage {
                role: "system".into(),
                content: CHAT_SYSTEM.trim().into(),
            },
            ChatMessage {
                role: "user".into(),
                content: CHAT_USER
                    .replace("{passages}", &p)
                    .replace("{question}", question.trim()),
            },
        ])
    } else {
        Input::Prompt(
            BASE.replace("{passages}", &p)
                .replace("{question}", question.trim())
                .trim_end()
                .to_owned()
                + &base_lead(lead),
        )
    }
}

/// Finds `[n]` markers; keeps those within 1..=max, removes the others.
fn check_citations(answer: &str, max: usize) -> (String, Vec<usize>, Vec<usize>) {
    let mut used = Vec::new();
    let mut invalid = Vec::new();
    let out = quotes::replace_markers(answer, |n| {
        if (1..=max).contains(&n) {
            if !used.contains(&n) {
                used.push(n);
            }
            format!("[{n}]")
        } else {
            invalid.push(n);
            String::new()
        }
    });
    (out, used, invalid)
}

/// The passages for a question, and whether they hold an answer.
pub struct Retrieval {
    pub question: String,
    pub hits: Vec<Hit>,
    /// The best passage covers enough of the question (see [`MIN_COVERAGE`]).
    pub matched: bool,
    /// The sentences of the passages that answer it (see [`quotes::choose`]).
    pub quotes: Vec<Quote>,
    /// A passage matched and a sentence of it answers.
    pub answerable: bool,
}

impl Retrieval {
    fn retrieved(&self) -> Vec<Retrieved> {
        self.hits
            .iter()
            .map(|h| Retrieved {
                path: h.path.clone(),
                page: h.page,
                citation: h.citation(),
                score: h.score,
                coverage: h.coverage,
                chunk_id: h.chunk_id,
            })
            .collect()
    }

    /// The answer when the documents do not hold one; no model is asked.
    pub fn not_found(&self) -> Answer {
        Answer {
            answer: not_in_documents(&self.question),
            grounded: false,
            citations: Vec::new(),
            retrieved: self.retrieved(),
            invalid_citations: Vec::new(),
            tool: None,
            quotes: Vec::new(),
            sentences: Vec::new(),
        }
    }

    /// Nothing retrieved: no documents to search.
    pub fn empty(question: &str) -> Retrieval {
        Retrieval {
            question: question.to_owned(),
            hits: Vec::new(),
            matched: false,
            quotes: Vec::new(),
            answerable: false,
        }
    }
}

/// Finds passages and decides whether the documents answer the question.
pub fn retrieve(kb: &KnowledgeBase, question: &str, opts: &AskOptions) -> Result<Retrieval, Error> {
    validate_question(question)?;
    let hits = kb
        .search(question, &opts.filter, opts.k.max(1))
        .map_err(|e| Error::Documents(e.to_string()))?;
    Ok(decide(question, hits, opts.min_coverage))
}

/// Whether `hits` answer `question`: the best covers at least `min_coverage`
/// of it, and a sentence of them answers it.
pub fn decide(question: &str, hits: Vec<Hit>, min_coverage: f32) -> Retrieval {
    let best = hits.iter().map(|h| h.coverage).fold(0.0f32, f32::max);
    let matched = !hits.is_empty() && best >= min_coverage;
    let quotes = if matched {
        quotes::choose(question, &hits)
    } else {
        Vec::new()
    };
    Retrieval {
        question: question.to_owned(),
        answerable: matched && !quotes.is_empty(),
        matched,
        quotes,
        hits,
    }
}

/// Asks the model to answer from the retrieved passages (or says the documents
/// do not hold the answer, without asking it).
pub fn answer(model: &mut dyn Completer, r: &Retrieval, max_tokens: u32) -> Result<Answer, Error> {
    answer_streaming(model, r, max_tokens, &mut |_| {})
}

/// [`answer`], handing the answer's text to `on_text` as it is generated (the
/// final [`Answer`] has citations checked; the stream is the raw text).
pub fn answer_streaming(
    model: &mut dyn Completer,
    r: &Retrieval,
    max_tokens: u32,
    on_text: &mut dyn FnMut(&str),
) -> Result<Answer, Error> {
    if !r.answerable {
        let a = r.not_found();
        on_text(&a.answer);
        return Ok(a);
    }
    let hits = &r.hits;
    let is_chat = model.is_chat();
    let opening = quotes::quoted(&r.quotes);
    on_text(&opening);
    on_text("\n");
    let lead_n = r.quotes.first().map_or(1, |q| q.n);
    let input = prompt(is_chat, &r.question, hits, lead_n);
    let stop: &[&str] = if is_chat {
        &[]
    } else {
        // A base model that starts a line with `[` is writing another passage.
        &["\nQuestion:", "\n\n\n", "\n[", "Answer:"]
    };
    let lead = if is_chat {
        String::new()
    } else {
        base_lead(lead_n).trim_start().to_owned()
    };
    on_text(&lead);
    let shown: Vec<String> = hits.iter().map(shown).collect();
    let shown_refs: Vec<&str> = shown.iter().map(String::as_str).collect();
    let grammar = crate::copy_grammar::grammar(&shown_refs, hits.len());
    let out = model.complete_streaming(
        &request(input, max_tokens, stop, Some(grammar), PROSE_PENALTY),
        on_text,
    )?;
    let own = if is_chat {
        out.text.trim().to_owned()
    } else {
        format!("{lead}{}", out.text.trim_end())
    };
    let (own, mut used, invalid) = check_citations(&own, hits.len());
    let sentences = support(&own, hits);
    let text = format!("{opening}\n{}", marked(&sentences, is_chinese(&r.question)));
    used.extend(r.quotes.iter().map(|q| q.n));
    let citations = hits
        .iter()
        .enumerate()
        .map(|(i, h)| Citation {
            n: i + 1,
            path: h.path.clone(),
            page: h.page,
            sheet: h.sheet.clone(),
            rows: h.rows,
            heading: h.heading.clone(),
            citation: h.citation(),
            snippet: h.snippet.text.clone(),
            score: h.score,
            cited: used.contains(&(i + 1)),
        })
        .collect();
    Ok(Answer {
        answer: text.trim_end().to_owned(),
        grounded: true,
        citations,
        retrieved: r.retrieved(),
        invalid_citations: invalid,
        tool: None,
        quotes: r.quotes.clone(),
        sentences,
    })
}

/// The `[n]` a sentence cites.
fn cited_in(sentence: &str, max: usize) -> Vec<usize> {
    check_citations(sentence, max).1
}

/// The model's sentences, each checked against the passages it cites (all
/// passages, when it cites none).
fn support(own: &str, hits: &[Hit]) -> Vec<ModelSentence> {
    // What each passage states, read once for all the sentences.
    let stated: Vec<_> = hits
        .iter()
        .map(|h| quotes::stated(&[h.text.as_str()]))
        .collect();
    millwright_knowledge::sentences::sentences(own)
        .into_iter()
        .map(|s| {
            let cites = cited_in(&s.text, hits.len());
            let sources: HashSet<String> = stated
                .iter()
                .enumerate()
                .filter(|(i, _)| cites.is_empty() || cites.contains(&(i + 1)))
                .flat_map(|(_, keys)| keys.iter().cloned())
                .collect();
            let unsupported = quotes::unsupported(&s.text, &sources);
            ModelSentence {
                supported: unsupported.is_empty(),
                unsupported,
                text: s.text,
            }
        })
        .collect()
}

/// The model's sentences as the answer shows them: an unsupported one is
/// followed by what in it the passages do not hold.
fn marked(sentences: &[ModelSentence], zh: bool) -> String {
    sentences
        .iter()
        .map(|s| {
            if s.supported {
                s.text.clone()
            } else if zh {
                format!(
                    "{}（引用的段落中没有：{}）",
                    s.text,
                    s.unsupported.join("、")
                )
            } else {
                format!(
                    "{} (not in the cited passages: {})",
                    s.text,
                    s.unsupported.join(", ")
                )
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripted::Scripted;

    #[test]
    fn citations_out_of_range_are_removed_and_reported() {
        let (a, used, bad) = check_citations("Use 24 V [2]. See [7] and [x].", 3);
        assert_eq!(a, "Use 24 V [2]. See  and [x].");
        assert_eq!(used, [2]);
        assert_eq!(bad, [7]);
    }

    #[test]
    fn a_calculation_answer_states_result_inputs_and_formula() {
        let mut m = Scripted::new(&[
            r#"{"tool": "motor_torque", "args": {"power": "15 kW", "speed": "1460 rpm"}}"#,
        ]);
        let a = calculate(&mut m, "Torque of a 15 kW motor at 1460 rpm?")
            .unwrap()
            .unwrap();
        assert!(a.answer.contains("torque = 98.1092 N·m"), "{}", a.answer);
        assert!(
            a.answer.contains("power = 15 kW, speed = 1460 rpm"),
            "{}",
            a.answer
        );
        assert!(a.answer.contains("T = "), "{}", a.answer);
        let tool = a.tool.unwrap();
        assert_eq!(tool.result.unwrap().tool, "motor_torque");
        assert!(tool.error.is_none());
    }

    #[test]
    fn a_refused_call_names_the_argument_and_the_call_to_correct() {
        let mut m = Scripted::new(&[
            r#"{"tool": "three_phase_power", "args": {"voltage": "400 V", "current": "32 A", "cos_phi": "1.7"}}"#,
        ]);
        let a = calculate(&mut m, "三相 400 V、32 A、功率因数 1.7 的功率？")
            .unwrap()
            .unwrap();
        let tool = a.tool.unwrap();
        assert!(tool.result.is_none());
        assert!(tool.error.as_deref().unwrap().contains("`cos_phi`"));
        assert!(a.answer.contains("参数无效"), "{}", a.answer);
        assert!(
            a.answer.contains(
                r#"three_phase_power(voltage = "400 V", current = "32 A", cos_phi = "1.7")"#
            ) && !a.answer.contains("millwright"),
            "{}",
            a.answer
        );
        let mut none = Scripted::new(&[r#"{"tool": "none"}"#]);
        assert!(calculate(&mut none, "What is 3 m of cable?")
            .unwrap()
            .is_none());
    }

    fn hit(text: &str) -> Hit {
        crate::quotes::test_hit(text, "Pumps")
    }

    const PUMPS: &str = "Pumps\nThe pumps are started from the panel. The feed pump P-101 stops after 10 s without flow. Restart needs a reset.";

    #[test]
    fn the_answer_opens_with_the_quote_and_marks_what_no_passage_holds() {
        let r = decide(
            "When does the feed pump stop without flow?",
            vec![hit(PUMPS)],
            0.35,
        );
        assert!(r.matched && r.answerable);
        let mut m = Scripted::new(&[
            " the feed pump stops after 10 s. The pump DEW_CON restarts after 12 min [1].",
        ]);
        let a = answer(&mut m, &r, 100).unwrap();
        assert!(
            a.answer.starts_with("> The feed pump P-101 stops after 10 s without flow. [1]\n\nAccording to [1], the feed pump stops after 10 s."),
            "{}",
            a.answer
        );
        assert_eq!(a.quotes.len(), 1);
        assert_eq!(a.sentences.len(), 2, "{:?}", a.sentences);
        assert!(a.sentences[0].supported);
        assert_eq!(a.sentences[1].unsupported, ["12 min", "DEW_CON"]);
        assert!(
            a.answer
                .ends_with("(not in the cited passages: 12 min, DEW_CON)"),
            "{}",
            a.answer
        );
        assert!(a.citations[0].cited);
        // The model wrote under the copy grammar: the passage's numbers, no others.
        let g = m.seen[0].grammar.as_deref().unwrap();
        assert!(
            g.contains(r#""10 s""#) && g.contains(r#""P-101""#) && !g.contains("12"),
            "{g}"
        );
    }

    #[test]
    fn a_matching_passage_without_an_answering_sentence_is_refused_without_the_model() {
        // The passage matches the question's words, spread over sentences
        // none of which answers it.
        let r = decide(
            "Which torque limit applies to the feed pump's restart?",
            vec![hit("Pumps\nFeed water is filtered. Pumps are checked yearly. Restarts are logged. Torque is measured at the shaft. Limits are set for valves.")],
            0.35,
        );
        assert!(r.matched, "the passage covers the question's words");
        assert!(!r.answerable && r.quotes.is_empty(), "{:?}", r.quotes);
        let mut m = Scripted::new(&[]);
        let a = answer(&mut m, &r, 100).unwrap();
        assert!(
            !a.grounded && a.answer.contains("do not contain"),
            "{}",
            a.answer
        );
        assert!(m.seen.is_empty(), "the model was not asked");
        // Below the coverage threshold nothing is quoted either.
        assert!(!decide("When does the feed pump stop?", vec![hit(PUMPS)], 1.1).answerable);
        assert!(!decide("When does the feed pump stop?", Vec::new(), 0.35).answerable);
    }

    #[test]
    fn the_refusal_follows_the_question_language() {
        assert!(not_in_documents("电机的额定电流是多少？").contains("文档"));
        assert!(not_in_documents("What is the rated current?").contains("documents"));
    }
}
