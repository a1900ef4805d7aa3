//! PLC code generation that is checked, simulated and repaired before anyone
//! sees it: understand (interface from the IO list and test vectors, examples
//! from the snippet library), generate under the ST grammar, check, simulate,
//! feed the problems back, keep the best candidate, report honestly.

use millwright_engine::{ChatMessage, FinishReason, GenerateRequest, Input, Sampling};
use millwright_iec61131::render::{self, Located};
use millwright_iec61131::sim::{self, session, vectors, Vectors};
use millwright_iec61131::{format, gbnf, Analysis, Severity};
use serde::Serialize;
use serde_json::Value as Json;

use crate::io_list::{Direction, IoList};
use crate::library::{self, Snippet};

const BASE_PROMPT: &str = include_str!("../../../assets/prompts/plc_gen_base.txt");
const BASE_REPAIR: &str = include_str!("../../../assets/prompts/plc_repair_base.txt");
const CHAT_SYSTEM: &str = include_str!("../../../assets/prompts/plc_gen_chat_system.txt");
const CHAT_TASK: &str = include_str!("../../../assets/prompts/plc_gen_chat_task.txt");
const END: &str = "END_FUNCTION_BLOCK";
const TESTS_BASE: &str = include_str!("../../../assets/prompts/plc_tests_base.txt");
const TESTS_CHAT: &str = include_str!("../../../assets/prompts/plc_tests_chat.txt");
const CHAT_REPAIR: &str = include_str!("../../../assets/prompts/plc_repair_chat.txt");

/// What continues a prompt: the engine, or a scripted stand-in in tests.
pub trait Completer {
    /// Whether the model takes chat messages (has a chat template).
    fn is_chat(&self) -> bool;
    fn complete(&mut self, request: &GenerateRequest) -> Result<Completion, String>;
    /// Like `complete`, handing each piece of text to `on_text` as it comes
    /// (a model that cannot stream hands over the whole text at the end).
    fn complete_streaming(
        &mut self,
        request: &GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Completion, String> {
        let c = self.complete(request)?;
        on_text(&c.text);
        Ok(c)
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
    fn complete(&mut self, request: &GenerateRequest) -> Result<Completion, String> {
        self.complete_streaming(request, &mut |_| {})
    }
    fn complete_streaming(
        &mut self,
        request: &GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Completion, String> {
        let g = self
            .engine
            .generate(request, on_text)
            .map_err(|e| e.to_string())?;
        Ok(Completion {
            text: g.text,
            finish: g.finish,
            tokens_per_s: g.stats.generate_tokens_per_s(),
        })
    }
}

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

impl GenSpec {
    /// What the pipeline refuses before a model starts: an empty or overlong
    /// specification, too many repair rounds, no tokens to write with. Both
    /// front ends ask this, so they refuse the same input with the same words.
    pub fn validate(&self) -> Result<(), String> {
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
        if self.max_tokens == 0 {
            return Err("the token limit must be at least 1".into());
        }
        Ok(())
    }
}

/// What keeps greedy decoding from looping: small models repeat a few lines
/// until the token limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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

/// Characters of one passage in the prompt.
const PASSAGE_CHARS: usize = 600;

/// The passages of the user's documents that bear on `spec`: the best `k`
/// whose coverage of the spec reaches the question threshold
/// ([`millwright_knowledge::MIN_COVERAGE`]), so unrelated text never reaches the prompt.
pub fn document_passages(
    kb: &millwright_knowledge::KnowledgeBase,
    spec: &str,
    filter: &millwright_knowledge::index::Filter,
    k: usize,
) -> Result<Vec<DocPassage>, String> {
    let hits = kb.search(spec, filter, k).map_err(|e| e.to_string())?;
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
            examples: 1,
            exclude_examples: Vec::new(),
            max_tokens: 768,
            repetition: Repetition::DEFAULT,
            propose_tests: false,
            passages: Vec::new(),
        }
    }
}

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

/// One generation round.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    #[serde(flatten)]
    pub verified: Verified,
    pub ended: Ended,
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
    Cancelled,
}

impl Ended {
    fn of(finish: FinishReason, body: &str) -> Ended {
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
    pub tokens_per_s: f64,
}

impl Report {
    /// Parsed, checked without errors, and every test passed.
    pub fn verified_ok(&self) -> bool {
        let v = &self.verified;
        v.parsed && v.checked && v.errors == 0 && v.tests_passed == v.tests_total
    }
}

/// The declarations written before the model starts, and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Interface {
    pub name: String,
    /// (name, IEC type, comment)
    pub inputs: Vec<(String, String, String)>,
    pub outputs: Vec<(String, String, String)>,
    pub notes: Vec<String>,
}

impl Interface {
    /// From the IO list (inputs %I, outputs %Q) and the test vectors (what
    /// they set is an input, what they expect an output; types from the values).
    pub fn infer(spec: &GenSpec) -> Interface {
        let name = spec
            .name
            .clone()
            .or_else(|| spec.vectors.as_ref().map(|v| v.pou.clone()))
            .unwrap_or_else(|| "FB_Generated".to_string());
        let mut it = Interface {
            name,
            inputs: Vec::new(),
            outputs: Vec::new(),
            notes: Vec::new(),
        };
        let known = |it: &Interface, n: &str| {
            it.inputs
                .iter()
                .chain(&it.outputs)
                .any(|(x, _, _)| x.eq_ignore_ascii_case(n))
        };
        if let Some(io) = &spec.io {
            for e in &io.entries {
                let decl = (e.tag.clone(), e.ty.clone(), e.description.clone());
                match e.direction() {
                    Direction::Input => it.inputs.push(decl),
                    Direction::Output => it.outputs.push(decl),
                    Direction::Memory => {}
                }
            }
            it.notes.push(format!(
                "{} input(s) and {} output(s) from the IO list",
                it.inputs.len(),
                it.outputs.len()
            ));
        }
        if let Some(v) = &spec.vectors {
            let (mut ins, mut outs) = (0, 0);
            for case in &v.cases {
                for step in &case.steps {
                    for (n, val) in &step.inputs {
                        if !known(&it, n) && !n.contains('.') {
                            if let Some(t) = json_type(val) {
                                it.inputs.push((n.clone(), t, String::new()));
                                ins += 1;
                            }
                        }
                    }
                    for (n, val) in &step.expect {
                        if !known(&it, n) && !n.contains('.') && !n.eq_ignore_ascii_case(&it.name) {
                            if let Some(t) = json_type(val) {
                                it.outputs.push((n.clone(), t, String::new()));
                                outs += 1;
                            }
                        }
                    }
                }
            }
            it.notes.push(format!(
                "{ins} input(s) and {outs} output(s) from the test vectors"
            ));
        }
        it
    }

    /// `FUNCTION_BLOCK name` and its VAR_INPUT / VAR_OUTPUT blocks.
    pub fn header(&self) -> String {
        let mut h = format!("FUNCTION_BLOCK {}\n", self.name);
        for (kw, vars) in [("VAR_INPUT", &self.inputs), ("VAR_OUTPUT", &self.outputs)] {
            if vars.is_empty() {
                continue;
            }
            h.push_str(kw);
            h.push('\n');
            for (n, t, c) in vars.iter() {
                if c.is_empty() {
                    h.push_str(&format!("    {n} : {t};\n"));
                } else {
                    h.push_str(&format!(
                        "    {n} : {t}; (* {} *)\n",
                        c.replace("*)", "* )")
                    ));
                }
            }
            h.push_str("END_VAR\n");
        }
        h
    }
}

/// The IEC type a JSON test value suggests.
fn json_type(v: &Json) -> Option<String> {
    Some(
        match v {
            Json::Bool(_) => "BOOL",
            Json::Number(n) if n.is_i64() || n.is_u64() => match n.as_i64() {
                Some(i) if i16::try_from(i).is_ok() => "INT",
                Some(i) if i32::try_from(i).is_ok() => "DINT",
                _ => "LINT",
            },
            Json::Number(_) => "REAL",
            Json::String(s)
                if s.to_ascii_uppercase().starts_with("T#")
                    || s.to_ascii_uppercase().starts_with("TIME#") =>
            {
                "TIME"
            }
            Json::Array(items) => {
                let elem = json_type(items.first()?)?;
                return Some(format!("ARRAY[1..{}] OF {elem}", items.len()));
            }
            _ => return None,
        }
        .to_string(),
    )
}

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
fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    format!("{}\n", out.trim_end())
}

/// The passages as one ST comment (with any comment delimiters in them defused).
fn documents_text(passages: &[DocPassage]) -> String {
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

fn examples_text(snippets: &[Snippet]) -> String {
    snippets
        .iter()
        .map(|s| format!("(* Example: {} *)\n{}\n", s.meta.title_en, s.code.trim()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One evaluated candidate.
#[derive(Debug, Clone)]
struct Candidate {
    code: String,
    verified: Verified,
    diagnostics: Vec<Located>,
    failures: Vec<String>,
}

impl Candidate {
    /// Better: parses, fewer errors, more tests passed, fewer warnings.
    fn rank(
        &self,
    ) -> (
        bool,
        std::cmp::Reverse<usize>,
        usize,
        std::cmp::Reverse<usize>,
    ) {
        let v = &self.verified;
        (
            v.parsed,
            std::cmp::Reverse(v.errors),
            v.tests_passed,
            std::cmp::Reverse(v.warnings),
        )
    }

    fn done(&self) -> bool {
        let v = &self.verified;
        v.parsed && v.errors == 0 && v.tests_passed == v.tests_total
    }

    /// The problems, written for the model.
    fn problems(&self) -> String {
        let mut lines: Vec<String> = self
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .take(8)
            .map(|d| {
                let help = d
                    .help
                    .as_deref()
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                format!("line {}: {}{help}", d.line, d.message)
            })
            .collect();
        lines.extend(self.failures.iter().take(6).cloned());
        lines.join("\n")
    }
}

/// Checks and simulates code against the vectors.
fn evaluate(code: &str, vectors: Option<&Vectors>) -> Candidate {
    // Parsed, checked and compiled once, however many questions are asked of it.
    let analysis = Analysis::new(code);
    let syntax_ok = analysis.syntax_ok();
    let errors = analysis.count(Severity::Error);
    let mut verified = Verified {
        parsed: syntax_ok,
        checked: syntax_ok,
        errors,
        warnings: analysis.count(Severity::Warning),
        tests_passed: 0,
        tests_total: vectors.map_or(0, |v| v.cases.len()),
        rounds: 0,
    };
    let mut failures = Vec::new();
    if let (Some(v), true) = (vectors, errors == 0) {
        match analysis.program() {
            Some(prog) => {
                let index = analysis.line_index();
                match vectors::run(prog, v, &|s| index.line_col(s.start as usize)) {
                    Ok(r) => {
                        verified.tests_passed = r.passed;
                        for c in &r.cases {
                            for f in &c.failures {
                                failures.push(format!(
                                    "test {:?}, step {}: {} should be {} but is {}",
                                    c.name,
                                    f.step,
                                    f.variable,
                                    session::display(&f.expected),
                                    session::display(&f.actual)
                                ));
                            }
                            if let Some(f) = &c.fault {
                                failures.push(format!(
                                    "test {:?}, step {}: runtime fault at line {}: {}",
                                    c.name, f.step, f.line, f.message
                                ));
                            }
                        }
                    }
                    Err(problems) => failures.extend(problems),
                }
            }
            None => failures.push("the code does not check".into()),
        }
    }
    Candidate {
        code: code.to_string(),
        verified,
        diagnostics: render::locate(code, analysis.diagnostics()),
        failures,
    }
}

/// Runs the whole pipeline.
pub fn generate(model: &mut dyn Completer, spec: &GenSpec) -> Result<Report, String> {
    spec.validate()?;
    let iface = Interface::infer(spec);
    if !iface
        .name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        || iface.name.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(format!("{:?} is not a valid POU name", iface.name));
    }
    let header = iface.header();
    let examples: Vec<Snippet> =
        library::retrieve(&spec.spec, spec.examples + spec.exclude_examples.len())
            .into_iter()
            .map(|(s, _)| s)
            .filter(|s| !spec.exclude_examples.iter().any(|e| e == s.name))
            .take(spec.examples)
            .collect();
    let citations = spec
        .passages
        .iter()
        .map(|p| Citation {
            source: p.path.clone(),
            title: p.citation.clone(),
            page: p.page,
        })
        .chain(examples.iter().map(|s| Citation {
            source: format!("st-library/{}", s.name),
            title: s.meta.title_en.clone(),
            page: None,
        }))
        .collect();
    let grammar = spec.grammar.then(continuation_grammar);
    // Every prompt that shows the examples shows the documents' passages first.
    let ex_text = format!(
        "{}{}",
        documents_text(&spec.passages),
        examples_text(&examples)
    );
    let mut best: Option<Candidate> = None;
    let mut history = Vec::new();
    let mut speed = Vec::new();
    for round in 0..=spec.rounds {
        let input = match (&best, model.is_chat()) {
            (None, false) => Input::Prompt(fill(
                BASE_PROMPT,
                &[
                    ("examples", &ex_text),
                    ("spec", spec.spec.trim()),
                    ("header", &header),
                ],
            )),
            (Some(b), false) => Input::Prompt(fill(
                BASE_REPAIR,
                &[
                    ("examples", &ex_text),
                    ("spec", spec.spec.trim()),
                    ("previous", b.code.trim()),
                    ("problems", &b.problems()),
                    ("header", &header),
                ],
            )),
            (prev, true) => {
                let mut msgs = vec![
                    ChatMessage {
                        role: "system".into(),
                        content: CHAT_SYSTEM.trim().into(),
                    },
                    ChatMessage {
                        role: "user".into(),
                        content: fill(
                            CHAT_TASK,
                            &[
                                ("examples", &ex_text),
                                ("spec", spec.spec.trim()),
                                ("header", &header),
                            ],
                        ),
                    },
                ];
                if let Some(b) = prev {
                    msgs.push(ChatMessage {
                        role: "assistant".into(),
                        content: b.code.trim_start_matches(header.as_str()).trim().into(),
                    });
                    msgs.push(ChatMessage {
                        role: "user".into(),
                        content: fill(
                            CHAT_REPAIR,
                            &[("problems", &b.problems()), ("header", &header)],
                        ),
                    });
                }
                Input::Chat(msgs)
            }
        };
        // Under the grammar, the grammar ends the block; without it, the end
        // keyword as a stop string (checked below for a comment left open).
        let stop: &[&str] = if grammar.is_some() { &[] } else { &[END] };
        let mut req = request(
            input,
            spec.max_tokens,
            stop,
            grammar.clone(),
            spec.repetition.repeat_penalty,
        );
        // Names match END_FUNCTION_BLOCK too: end where the grammar may.
        req.end_with_grammar = grammar.is_some();
        req.sampling.dry_multiplier = spec.repetition.dry_multiplier;
        req.sampling.dry_allowed_length = spec.repetition.dry_allowed_length;
        let out = if spec.symbols && grammar.is_some() {
            symbol_attempt(model, req, &header, &iface.name)?
        } else {
            model.complete(&req)?
        };
        speed.push(out.tokens_per_s);
        let mut body = strip_fences(&out.text).to_string();
        let ended = Ended::of(out.finish, &body);
        if ended == Ended::EndKeyword {
            body.push_str(END);
            body.push('\n');
        }
        // A chat model may restate the whole block; otherwise it continues the header.
        let code = if body
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("FUNCTION_BLOCK")
        {
            body
        } else {
            format!("{header}{body}")
        };
        let mut cand = evaluate(&code, spec.vectors.as_ref());
        cand.verified.rounds = round + 1;
        history.push(Round {
            verified: cand.verified.clone(),
            ended,
        });
        let done = cand.done();
        if best.as_ref().is_none_or(|b| cand.rank() > b.rank()) {
            best = Some(cand);
        }
        if done {
            break;
        }
    }
    let mut best = best.expect("at least one round ran");
    best.verified.rounds = history.len() as u32;
    let mut vectors_source = spec
        .vectors
        .as_ref()
        .map(|v| v.source.clone().unwrap_or_else(|| "user".into()));
    if spec.vectors.is_none() && spec.propose_tests && best.verified.errors == 0 {
        if let Some(v) = propose_vectors(model, spec, &best.code, &iface) {
            let rounds = best.verified.rounds;
            best = evaluate(&best.code, Some(&v));
            best.verified.rounds = rounds;
            vectors_source = Some("model".into());
        }
    }
    // The canonical style, when the code is sound enough to format.
    if let Ok(pretty) = format::format(&best.code) {
        best.diagnostics = render::locate(
            &pretty,
            &millwright_iec61131::check_text(&pretty).diagnostics,
        );
        best.code = pretty;
    }
    Ok(Report {
        code: best.code,
        verified: best.verified,
        diagnostics: best.diagnostics,
        test_failures: best.failures,
        citations,
        interface: iface.notes,
        vectors_source,
        history,
        tokens_per_s: speed.iter().copied().fold(0.0, f64::max),
    })
}

/// The most tokens the new locals of a block may take (phase one).
const LOCALS_TOKENS: u32 = 200;

/// One attempt in two phases: the new locals under a grammar of names not yet
/// declared and types that exist, then — prefilled with them — the body under
/// the grammar of the declarations as they now are. Locals cut off at their
/// token limit are dropped (the body is written without them).
fn symbol_attempt(
    model: &mut dyn Completer,
    req: GenerateRequest,
    header: &str,
    name: &str,
) -> Result<Completion, String> {
    let declared = Analysis::new(&format!("{header}{END}\n"));
    let mut phase1 = req.clone();
    phase1.grammar = Some(gbnf::locals_grammar(declared.model(), name));
    phase1.max_tokens = req.max_tokens.min(LOCALS_TOKENS);
    phase1.end_with_grammar = true;
    let locals = model.complete(&phase1)?;
    let section = match locals.finish {
        FinishReason::GrammarComplete => {
            format!("{}\n", gbnf::drop_repeated_locals(locals.text.trim()))
        }
        FinishReason::Cancelled => return Ok(locals),
        _ => String::new(),
    };
    let with_locals = Analysis::new(&format!("{header}{section}{END}\n"));
    let mut phase2 = req.clone();
    phase2.grammar = Some(gbnf::body_grammar(with_locals.model(), name, END));
    phase2.prefill = format!("{}{section}", req.prefill);
    phase2.end_with_grammar = true;
    let body = model.complete(&phase2)?;
    Ok(Completion {
        text: format!("{section}{}", body.text),
        finish: body.finish,
        tokens_per_s: body.tokens_per_s.max(locals.tokens_per_s),
    })
}

/// A JSON value of an IEC type as GBNF, for the types tests usually need.
fn value_rule(ty: &str) -> Option<&'static str> {
    Some(match ty.to_ascii_uppercase().as_str() {
        "BOOL" => r#"("true" | "false")"#,
        "SINT" | "INT" | "DINT" | "LINT" | "USINT" | "UINT" | "UDINT" | "ULINT" | "BYTE"
        | "WORD" | "DWORD" => r#"("-"? [0-9] [0-9]? [0-9]? [0-9]?)"#,
        "REAL" | "LREAL" => r#"("-"? [0-9] [0-9]? [0-9]? "." [0-9] [0-9]?)"#,
        "TIME" => r#"("\"T#" [1-9] [0-9]? [0-9]? [0-9]? ("ms" | "s") "\"")"#,
        _ => return None,
    })
}

/// The grammar of test vectors for the block `name` in `code`: its own input
/// and output names with values of their types, one to three cases of one to
/// four steps; `None` when it has no input or output of such a type.
pub fn vectors_grammar(name: &str, code: &str) -> Option<String> {
    use millwright_iec61131::ast::{Item, VarKind};
    let parsed = millwright_iec61131::parse(code);
    let (mut ins, mut outs) = (Vec::new(), Vec::new());
    for item in &parsed.file.items {
        let Item::Pou(p) = item else { continue };
        for b in &p.var_blocks {
            for d in &b.vars {
                let span = d.ty.span();
                let ty = code
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or("");
                let Some(rule) = value_rule(ty) else { continue };
                for n in &d.names {
                    let pair = format!(r#""\"{}\": " {rule}"#, n.name);
                    match b.kind {
                        VarKind::Input => ins.push(pair),
                        VarKind::Output => outs.push(pair),
                        _ => {}
                    }
                }
            }
        }
    }
    if ins.is_empty() || outs.is_empty() {
        return None;
    }
    let (ins, outs) = (ins.join(" | "), outs.join(" | "));
    Some(format!(
        r#"root ::= "{{\"pou\": \"{name}\", \"source\": \"model\", \"cases\": [" case ("," ws case)? ("," ws case)? "]}}"
case ::= "{{\"name\": \"" [a-zA-Z0-9 ,.-]{{3,40}} "\", \"steps\": [" step ("," ws step)? ("," ws step)? ("," ws step)? "]}}"
step ::= "{{\"in\": {{" inpair (", " inpair)* "}}" (", \"cycles\": " [1-9] [0-9]?)? ", \"expect\": {{" outpair (", " outpair)* "}}}}"
inpair ::= {ins}
outpair ::= {outs}
ws ::= [ \n]?
"#
    ))
}

/// Test vectors the model proposes for the code; `None` when it writes none
/// that are valid for this block.
fn propose_vectors(
    model: &mut dyn Completer,
    spec: &GenSpec,
    code: &str,
    iface: &Interface,
) -> Option<Vectors> {
    let grammar = vectors_grammar(&iface.name, code)?;
    let vars = [("spec", spec.spec.trim()), ("code", code.trim())];
    let input = if model.is_chat() {
        Input::Chat(vec![ChatMessage {
            role: "user".into(),
            content: fill(TESTS_CHAT, &vars),
        }])
    } else {
        Input::Prompt(fill(TESTS_BASE, &vars))
    };
    let out = model
        .complete(&request(input, 400, &[], Some(grammar), 1.0))
        .ok()?;
    let v = Vectors::from_json(&out.text).ok()?;
    let prog = sim::load(&[code]).ok()?;
    v.validate(&prog).is_empty().then_some(v)
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
    }
}

/// A chat model may wrap code in Markdown fences.
fn strip_fences(text: &str) -> &str {
    let t = text.trim_start();
    match t.strip_prefix("```") {
        Some(rest) => {
            let body = rest.split_once('\n').map_or("", |x| x.1);
            body.rfind("```").map_or(body, |end| &body[..end])
        }
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::scripted::Scripted;

    fn motor_vectors() -> Vectors {
        Vectors::from_json(
            r#"{"pou": "FB_Latch", "cases": [
                {"name": "start latches", "steps": [
                    {"in": {"start": true, "stop": false}, "expect": {"running": true}},
                    {"in": {"start": false}, "expect": {"running": true}}]},
                {"name": "stop wins", "steps": [
                    {"in": {"start": true, "stop": true}, "expect": {"running": false}}]}]}"#,
        )
        .unwrap()
    }

    fn spec() -> GenSpec {
        GenSpec {
            vectors: Some(motor_vectors()),
            ..GenSpec::new("A start/stop latch: start sets running, stop resets it and wins.")
        }
    }

    const SYNTAX_ERROR: &str = "running := start OR running AND NOT stop\nEND_FUNCTION_BLOCK\n";
    const WRONG: &str = "running := start OR running;\nEND_FUNCTION_BLOCK\n";
    const RIGHT: &str = "IF stop THEN\n    running := FALSE;\nELSIF start THEN\n    running := TRUE;\nEND_IF\nEND_FUNCTION_BLOCK\n";

    #[test]
    fn the_interface_comes_from_the_vectors_and_the_io_list() {
        let it = Interface::infer(&spec());
        assert_eq!(it.name, "FB_Latch");
        assert_eq!(it.header(), "FUNCTION_BLOCK FB_Latch\nVAR_INPUT\n    start : BOOL;\n    stop : BOOL;\nEND_VAR\nVAR_OUTPUT\n    running : BOOL;\nEND_VAR\n");
        let io = crate::io_list::parse_rows(&[
            vec![
                "Tag".into(),
                "Address".into(),
                "Type".into(),
                "Description".into(),
            ],
            vec![
                "start".into(),
                "%IX0.0".into(),
                "BOOL".into(),
                "Start button".into(),
            ],
            vec!["speed".into(), "%QW2".into(), "INT".into(), "".into()],
        ])
        .unwrap();
        let it = Interface::infer(&GenSpec {
            io: Some(io),
            ..spec()
        });
        assert_eq!(
            it.inputs[0],
            ("start".into(), "BOOL".into(), "Start button".into())
        );
        assert_eq!(it.outputs[0].0, "speed");
        assert_eq!(it.inputs.len() + it.outputs.len(), 4, "{it:?}");
        assert_eq!(it.notes.len(), 2);
    }

    #[test]
    fn repair_feeds_the_problems_back_until_the_tests_pass() {
        let mut m = Scripted::new(&[SYNTAX_ERROR, WRONG, RIGHT]);
        let r = generate(&mut m, &spec()).unwrap();
        assert!(r.verified_ok(), "{r:#?}");
        assert_eq!(r.verified.rounds, 3);
        assert_eq!(r.verified.tests_passed, 2);
        assert!(!r.history[0].verified.parsed);
        assert!(
            r.history[1].verified.parsed && r.history[1].verified.tests_passed == 1,
            "{:?}",
            r.history[1]
        );
        // Round 2 was told about the syntax error, round 3 about the failing test.
        let prompt = |i: usize| match &m.seen[i].input {
            Input::Prompt(p) => p.clone(),
            other => panic!("{other:?}"),
        };
        assert!(
            prompt(0).ends_with("END_VAR\n") && prompt(0).contains("(* Task: A start/stop latch")
        );
        assert!(prompt(1).contains("line 9: expected `;`"), "{}", prompt(1));
        assert!(
            prompt(2).contains("running should be FALSE but is TRUE"),
            "{}",
            prompt(2)
        );
        assert!(m.seen.iter().all(|r| r
            .grammar
            .as_deref()
            .is_some_and(|g| g.starts_with("#") && g.contains("root ::= ws var-block*"))));
        assert!(r.code.contains("ELSIF start THEN"), "{}", r.code);
        assert_eq!(r.vectors_source.as_deref(), Some("user"));
    }

    /// Under the symbol grammars an attempt is two requests: the new locals
    /// under a grammar of names not yet taken, then the body, prefilled with
    /// those locals, under the grammar of the declarations as they now are.
    #[test]
    fn the_symbol_grammars_decode_locals_then_the_body() {
        let locals = "VAR\n    seen : BOOL;\n    SEEN : INT;\nEND_VAR";
        let body = "IF stop THEN\n    running := FALSE;\nELSIF start THEN\n    running := TRUE;\nEND_IF\nseen := running;\nEND_FUNCTION_BLOCK";
        let mut m = Scripted::new(&[locals, body]);
        let r = generate(
            &mut m,
            &GenSpec {
                symbols: true,
                rounds: 0,
                ..spec()
            },
        )
        .unwrap();
        assert_eq!(m.seen.len(), 2);
        let (p1, p2) = (&m.seen[0], &m.seen[1]);
        let g1 = p1.grammar.as_deref().unwrap();
        assert!(
            g1.contains("root ::= ws [Vv] [Aa] [Rr] sp (decl ws)*"),
            "{g1}"
        );
        assert!(p1.end_with_grammar && p1.prefill.is_empty());
        // The repeated `SEEN` was dropped; the body may write `seen`, not the input `start`.
        assert_eq!(p2.prefill, "VAR\n    seen : BOOL;\n    \nEND_VAR\n");
        let g2 = p2.grammar.as_deref().unwrap();
        let w_bool = g2.lines().find(|l| l.starts_with("w-bool ::= ")).unwrap();
        assert!(
            w_bool.contains(&gbnf::keyword("seen")) && !w_bool.contains(&gbnf::keyword("start"))
        );
        assert!(r.verified_ok(), "{r:#?}");
        assert!(
            r.code.contains("seen : BOOL;") && !r.code.contains("start : INT"),
            "{}",
            r.code
        );
    }

    #[test]
    fn passages_from_the_documents_reach_the_prompt_and_the_citations() {
        let mut m = Scripted::new(&[RIGHT]);
        let spec = GenSpec {
            passages: vec![DocPassage {
                citation: "plant.pdf, p. 7".into(),
                path: "/docs/plant.pdf".into(),
                page: Some(7),
                text: "The latch (* resets *) when stop is pressed.".into(),
            }],
            ..spec()
        };
        let r = generate(&mut m, &spec).unwrap();
        let Input::Prompt(p) = &m.seen[0].input else {
            panic!("a base prompt")
        };
        assert!(
            p.contains("[1] plant.pdf, p. 7: The latch ( * resets * ) when stop is pressed."),
            "{p}"
        );
        // The passages stay one comment, whatever delimiters their text held.
        let block = documents_text(&spec.passages);
        let parsed = millwright_iec61131::parse(&format!("{block}PROGRAM P\nEND_PROGRAM\n"));
        assert!(!parsed.has_errors(), "{block}");
        let c = &r.citations[0];
        assert_eq!((c.source.as_str(), c.page), ("/docs/plant.pdf", Some(7)));
        assert_eq!(c.title, "plant.pdf, p. 7");
    }

    #[test]
    fn the_best_candidate_is_kept_when_repair_makes_it_worse() {
        let mut m = Scripted::new(&[WRONG, SYNTAX_ERROR, SYNTAX_ERROR]);
        let r = generate(&mut m, &spec()).unwrap();
        assert_eq!(r.verified.rounds, 3);
        assert_eq!((r.verified.tests_passed, r.verified.tests_total), (1, 2));
        assert!(
            r.code.contains("running := start OR running;"),
            "{}",
            r.code
        );
        assert!(!r.verified_ok());
        assert!(
            r.test_failures[0].contains("stop wins"),
            "{:?}",
            r.test_failures
        );
    }

    /// Without the grammar the end keyword is a stop string, which llama.cpp
    /// also matches inside a comment: the end is only added outside one.
    #[test]
    fn the_end_keyword_inside_an_open_comment_does_not_close_the_block() {
        let free = GenSpec {
            grammar: false,
            rounds: 0,
            ..spec()
        };
        // What the engine returns when the stop string fires (the string itself is not returned).
        let mut m = Scripted {
            finish: FinishReason::StopString,
            ..Scripted::new(&["running := start; (* latch\n"])
        };
        let r = generate(&mut m, &free).unwrap();
        assert_eq!(m.seen[0].stop, vec![END.to_string()]);
        assert!(m.seen[0].grammar.is_none());
        assert_eq!(r.history[0].ended, Ended::EndKeywordInComment);
        assert!(!r.verified.parsed);
        assert!(!r.code.contains(END), "{}", r.code);
        assert!(
            r.diagnostics.iter().any(|d| d.code == "ST0002"),
            "{:?}",
            r.diagnostics
        );

        let mut m = Scripted {
            finish: FinishReason::StopString,
            ..Scripted::new(&["running := NOT stop AND (start OR running); (* latch *)\n"])
        };
        let r = generate(&mut m, &free).unwrap();
        assert_eq!(r.history[0].ended, Ended::EndKeyword);
        assert!(r.verified_ok(), "{r:#?}");

        // Under the grammar there is no stop string: the grammar ends the block.
        let mut m = Scripted::new(&[RIGHT]);
        generate(&mut m, &spec()).unwrap();
        assert!(m
            .seen
            .iter()
            .all(|q| q.stop.is_empty() && q.grammar.is_some() && q.end_with_grammar));
    }

    #[test]
    fn an_attempt_cut_off_at_the_token_limit_is_reported_as_such() {
        let mut m = Scripted {
            finish: FinishReason::MaxTokens,
            ..Scripted::new(&["running := start;\nrunning := start;\nrunning := start;\n"])
        };
        let r = generate(
            &mut m,
            &GenSpec {
                rounds: 0,
                ..spec()
            },
        )
        .unwrap();
        assert_eq!(r.history[0].ended, Ended::TokenLimit);
        assert!(!r.verified.parsed);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["history"][0]["ended"], "token_limit");
        assert_eq!(json["history"][0]["parsed"], false);
    }

    #[test]
    fn chat_models_get_messages_and_may_restate_the_block() {
        let whole = "```iecst\nFUNCTION_BLOCK FB_Latch\nVAR_INPUT start : BOOL; stop : BOOL; END_VAR\nVAR_OUTPUT running : BOOL; END_VAR\nrunning := NOT stop AND (start OR running);\nEND_FUNCTION_BLOCK\n```";
        let mut m = Scripted {
            chat: true,
            ..Scripted::new(&[whole])
        };
        let r = generate(
            &mut m,
            &GenSpec {
                rounds: 0,
                ..spec()
            },
        )
        .unwrap();
        assert!(r.verified_ok(), "{r:#?}");
        let Input::Chat(msgs) = &m.seen[0].input else {
            panic!()
        };
        assert_eq!(msgs[0].role, "system");
        assert!(msgs[1].content.contains("FUNCTION_BLOCK FB_Latch"));
    }

    #[test]
    fn proposed_vectors_are_run_and_marked_as_the_models() {
        let proposed = r#"{"pou": "FB_Generated", "source": "model", "cases": [{"name": "doubles", "steps": [{"in": {"a": 2}, "expect": {"b": 4}}, {"in": {"a": -3}, "expect": {"b": -5}}]}]}"#;
        let mut m = Scripted::new(&[
                "VAR_INPUT a : INT; END_VAR\nVAR_OUTPUT b : INT; END_VAR\nb := a * 2;\nEND_FUNCTION_BLOCK\n",
                proposed,
            ]);
        let spec = GenSpec {
            propose_tests: true,
            ..GenSpec::new("Double the input.")
        };
        let r = generate(&mut m, &spec).unwrap();
        assert_eq!(r.vectors_source.as_deref(), Some("model"));
        // The model's second step is wrong (-3 * 2 is -6): reported, not hidden.
        assert_eq!((r.verified.tests_passed, r.verified.tests_total), (0, 1));
        assert!(
            r.test_failures[0].contains("b should be -5 but is -6"),
            "{:?}",
            r.test_failures
        );
        let g = m.seen[1].grammar.as_deref().unwrap();
        assert!(
            g.contains(r#"inpair ::= "\"a\": ""#) && g.contains(r#"outpair ::= "\"b\": ""#),
            "{g}"
        );
    }

    #[test]
    fn without_vectors_the_report_says_so_and_bad_specs_are_refused() {
        let mut m = Scripted::new(&["VAR_INPUT a : INT; END_VAR\nVAR_OUTPUT b : INT; END_VAR\nb := a * 2;\nEND_FUNCTION_BLOCK\n"]);
        let r = generate(&mut m, &GenSpec::new("Double the input.")).unwrap();
        assert_eq!((r.verified.tests_total, r.verified.rounds), (0, 1));
        assert!(r.verified_ok());
        assert!(r.vectors_source.is_none());
        assert!(
            r.code.starts_with("FUNCTION_BLOCK FB_Generated"),
            "{}",
            r.code
        );
        assert!(generate(&mut m, &GenSpec::new("  "))
            .unwrap_err()
            .contains("empty"));
        let bad = GenSpec {
            name: Some("1 bad".into()),
            ..GenSpec::new("x")
        };
        assert!(generate(&mut m, &bad)
            .unwrap_err()
            .contains("not a valid POU name"));
    }
}
