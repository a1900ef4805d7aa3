//! The pipeline: attempts (free, under the ST grammar, or under the
//! symbol grammars), verification, repair rounds, the report.

use millwright_engine::{
    ChatMessage, EngineError, FinishReason, GenerateRequest, Input, LoopGuard,
};
use millwright_iec61131::{format, gbnf, render, Analysis};

use super::close;
use super::interface::Interface;
use super::prompts::{
    continuation_grammar, documents_text, examples_text, fill, request, strip_fences, BASE_PROMPT,
    BASE_REPAIR, CHAT_REPAIR, CHAT_SYSTEM, CHAT_TASK,
};
use super::report::{CandidateRecord, Citation, Decoding, Ended, Report, Round};
use super::vectors::propose_vectors;
use super::verify::{evaluate, Candidate};
use super::{Completer, Completion, GenSpec, Stage, END};
use crate::library::{self, Snippet};
use crate::Error;

/// Runs the whole pipeline.
pub fn generate(model: &mut dyn Completer, spec: &GenSpec) -> Result<Report, Error> {
    spec.validate()?;
    let iface = Interface::infer(spec)?;
    if !iface
        .name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        || iface.name.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(Error::Input(format!(
            "{:?} is not a valid POU name",
            iface.name
        )));
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
    let symbols =
        (spec.symbols && grammar.is_some()).then(|| SymbolGrammars::new(&header, &iface.name));
    let mut best: Option<Candidate> = None;
    let mut history = Vec::new();
    let mut candidates = Vec::new();
    let mut speed = Vec::new();
    for round in 0..=spec.rounds {
        let input = prompt_input(model.is_chat(), best.as_ref(), spec, &ex_text, &header);
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
        req.loop_guard = Some(LOOP_GUARD);
        // The first round samples the candidates; repair rounds work on the best.
        let reqs = candidate_requests(&req, if round == 0 { spec.candidates } else { 1 });
        model.stage(Stage::Attempt {
            candidates: reqs.len(),
        });
        let outs = match &symbols {
            Some(g) => g.attempt(model, &reqs)?,
            None => model
                .complete_batch(&reqs, &mut |_, _| {})?
                .into_iter()
                .map(|out| Attempt { out, closed: false })
                .collect(),
        };
        let mut chosen: Option<(Candidate, Ended, bool)> = None;
        let mut cancelled = false;
        for (k, Attempt { out, closed }) in outs.into_iter().enumerate() {
            speed.push(out.tokens_per_s);
            let (code, ended) = assemble(&out, &header);
            cancelled |= ended == Ended::Cancelled;
            let mut cand = evaluate(&code, spec.vectors.as_ref());
            cand.verified.rounds = round + 1;
            if round == 0 {
                candidates.push(CandidateRecord {
                    index: k as u32,
                    temperature: reqs[k].sampling.temperature,
                    seed: reqs[k].sampling.seed,
                    ended,
                    closed,
                    verified: cand.verified.clone(),
                    code: code.clone(),
                });
            }
            // On a tie the earlier one stays: the greedy candidate first.
            if chosen.as_ref().is_none_or(|(c, ..)| cand.rank() > c.rank()) {
                chosen = Some((cand, ended, closed));
            }
        }
        let (cand, ended, closed) =
            chosen.ok_or(Error::Output("the model returned no candidate".into()))?;
        history.push(Round {
            verified: cand.verified.clone(),
            ended,
            closed,
        });
        let done = cand.done();
        if best.as_ref().is_none_or(|b| cand.rank() > b.rank()) {
            best = Some(cand);
        }
        if done || cancelled {
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
        candidates,
        decoding: match (&symbols, &grammar) {
            (Some(_), _) => Decoding::Symbols,
            (None, Some(_)) => Decoding::StGrammar,
            (None, None) => Decoding::Free,
        },
        tokens_per_s: speed.iter().copied().fold(0.0, f64::max),
    })
}

/// The temperature of every candidate after the first, which is greedy.
/// Measured on `plc eval` (BENCHMARKS.md): lower gives the same block again,
/// higher more blocks that do not finish.
pub const CANDIDATE_TEMPERATURE: f32 = 0.7;

/// When a generated block counts as looping: the same statement (or block of
/// statements) three times in a row, or nothing new for 192 tokens (about a
/// dozen lines).
pub const LOOP_GUARD: LoopGuard = LoopGuard {
    repeats: 3,
    window_tokens: 192,
};

/// The prompt of a round: the task, or (with `best`) the repair of the best so far.
fn prompt_input(
    is_chat: bool,
    best: Option<&Candidate>,
    spec: &GenSpec,
    ex_text: &str,
    header: &str,
) -> Input {
    match (best, is_chat) {
        (None, false) => Input::Prompt(fill(
            BASE_PROMPT,
            &[
                ("examples", ex_text),
                ("spec", spec.spec.trim()),
                ("header", header),
            ],
        )),
        (Some(b), false) => Input::Prompt(fill(
            BASE_REPAIR,
            &[
                ("examples", ex_text),
                ("spec", spec.spec.trim()),
                ("previous", b.code.trim()),
                ("problems", &b.problems()),
                ("header", header),
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
                            ("examples", ex_text),
                            ("spec", spec.spec.trim()),
                            ("header", header),
                        ],
                    ),
                },
            ];
            if let Some(b) = prev {
                msgs.push(ChatMessage {
                    role: "assistant".into(),
                    content: b.code.trim_start_matches(header).trim().into(),
                });
                msgs.push(ChatMessage {
                    role: "user".into(),
                    content: fill(
                        CHAT_REPAIR,
                        &[("problems", &b.problems()), ("header", header)],
                    ),
                });
            }
            Input::Chat(msgs)
        }
    }
}

/// `n` requests like `req`: the first as it is (greedy), the others sampled
/// at [`CANDIDATE_TEMPERATURE`] with seeds 1, 2, … so a run can be repeated.
fn candidate_requests(req: &GenerateRequest, n: u32) -> Vec<GenerateRequest> {
    (0..n.max(1))
        .map(|k| {
            let mut r = req.clone();
            if k > 0 {
                r.sampling.temperature = CANDIDATE_TEMPERATURE;
                r.sampling.seed = k;
            }
            r
        })
        .collect()
}

/// The whole block from what the model wrote, and how its attempt ended.
fn assemble(out: &Completion, header: &str) -> (String, Ended) {
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
    (code, ended)
}

/// What one attempt wrote, and whether the pipeline closed it: the model
/// looped or ran out, and the body was kept to its last sound statement.
struct Attempt {
    out: Completion,
    closed: bool,
}

/// The most tokens the new locals of a block may take (phase one).
const LOCALS_TOKENS: u32 = 200;

/// Tokens allowed per output a body left unwritten (phase three): one
/// assignment with a short expression.
const OUTPUT_TOKENS: u32 = 48;

/// `text` without the block's end keyword it closes with (any case), or
/// `None` when it does not close with it.
fn strip_end(text: &str) -> Option<&str> {
    let t = text.trim_end();
    let at = t.len().checked_sub(END.len())?;
    (t.is_char_boundary(at) && t[at..].eq_ignore_ascii_case(END)).then(|| &t[..at])
}

/// Decoding in phases under grammars built from the block's own
/// declarations: the new locals under a grammar of names not yet declared
/// and types that exist, then — prefilled with them — the body under the
/// grammar of the declarations as they now are, and, for a body that ended
/// leaving an output unwritten, the rest of it assigning those outputs. A
/// body that looped or ran out is kept to its last sound statement and
/// closed ([`close`]) before that. Locals cut off at their token limit are
/// dropped (the body is written without them).
struct SymbolGrammars {
    header: String,
    name: String,
    /// Built once: the header is the same in every round.
    locals: String,
}

impl SymbolGrammars {
    fn new(header: &str, name: &str) -> Self {
        let declared = Analysis::new(&format!("{header}{END}\n"));
        SymbolGrammars {
            header: header.to_string(),
            name: name.to_string(),
            locals: gbnf::locals_grammar(declared.model(), name),
        }
    }

    /// One attempt per request, all decoded side by side in each phase.
    fn attempt(
        &self,
        model: &mut dyn Completer,
        reqs: &[GenerateRequest],
    ) -> Result<Vec<Attempt>, EngineError> {
        let phase1: Vec<GenerateRequest> = reqs
            .iter()
            .map(|r| {
                let mut p = r.clone();
                p.grammar = Some(self.locals.clone());
                p.max_tokens = r.max_tokens.min(LOCALS_TOKENS);
                p.end_with_grammar = true;
                p
            })
            .collect();
        let locals = model.complete_batch(&phase1, &mut |_, _| {})?;
        if locals.iter().any(|l| l.finish == FinishReason::Cancelled) {
            return Ok(locals
                .into_iter()
                .map(|out| Attempt { out, closed: false })
                .collect());
        }
        let sections: Vec<String> = locals
            .iter()
            .map(|l| match l.finish {
                FinishReason::GrammarComplete => {
                    format!("{}\n", gbnf::drop_repeated_locals(l.text.trim()))
                }
                _ => String::new(),
            })
            .collect();
        // Candidates that declared the same locals share one body grammar.
        let mut grammars: Vec<(String, String)> = Vec::new();
        let mut phase2 = Vec::with_capacity(reqs.len());
        for (r, section) in reqs.iter().zip(&sections) {
            let grammar = match grammars.iter().find(|(s, _)| s == section) {
                Some((_, g)) => g.clone(),
                None => {
                    let with_locals = Analysis::new(&format!("{}{section}{END}\n", self.header));
                    let g = gbnf::body_grammar(with_locals.model(), &self.name, END);
                    grammars.push((section.clone(), g.clone()));
                    g
                }
            };
            let mut p = r.clone();
            p.grammar = Some(grammar);
            p.prefill = format!("{}{section}", r.prefill);
            p.end_with_grammar = true;
            phase2.push(p);
        }
        model.stage(Stage::Continuation);
        let bodies = model.complete_batch(&phase2, &mut |_, _| {})?;
        let mut done: Vec<Attempt> = bodies
            .into_iter()
            .zip(sections.iter().zip(&locals))
            .map(|(body, (section, l))| {
                // Looped or ran out: what was sound before that, closed.
                let kept = matches!(body.finish, FinishReason::Looping | FinishReason::MaxTokens)
                    .then(|| close::close_body(&format!("{}{section}", self.header), &body.text))
                    .flatten();
                Attempt {
                    out: Completion {
                        text: match kept {
                            Some(k) => format!("{section}{k}{END}\n"),
                            None => format!("{section}{}", body.text),
                        },
                        finish: body.finish,
                        tokens_per_s: body.tokens_per_s.max(l.tokens_per_s),
                    },
                    closed: kept.is_some(),
                }
            })
            .collect();
        self.write_missing_outputs(model, reqs, &mut done)?;
        Ok(done)
    }

    /// Phase three, for the bodies that reached the end leaving an output
    /// unwritten (a count no grammar keeps): the end is taken back and the
    /// body goes on under a grammar that assigns each such output first. A
    /// continuation that does not finish leaves the body as it was.
    fn write_missing_outputs(
        &self,
        model: &mut dyn Completer,
        reqs: &[GenerateRequest],
        done: &mut [Attempt],
    ) -> Result<(), EngineError> {
        let mut which = Vec::new();
        let mut phase3 = Vec::new();
        for (k, Attempt { out: c, closed }) in done.iter().enumerate() {
            if c.finish != FinishReason::GrammarComplete && !closed {
                continue;
            }
            let Some(open) = strip_end(&c.text) else {
                continue;
            };
            let code = format!("{}{open}{END}\n", self.header);
            let a = Analysis::new(&code);
            let missing = a.unassigned_outputs();
            if missing.is_empty() {
                continue;
            }
            let Some(grammar) = gbnf::outputs_grammar(a.model(), &self.name, END, &missing) else {
                continue;
            };
            let mut p = reqs[k].clone();
            p.prefill = format!("{}{open}", reqs[k].prefill);
            p.grammar = Some(grammar);
            p.end_with_grammar = true;
            p.max_tokens = p.max_tokens.min(OUTPUT_TOKENS * (missing.len() as u32 + 1));
            which.push(k);
            phase3.push(p);
        }
        if phase3.is_empty() {
            return Ok(());
        }
        model.stage(Stage::Continuation);
        let rest = model.complete_batch(&phase3, &mut |_, _| {})?;
        for (k, r) in which.into_iter().zip(rest) {
            if r.finish == FinishReason::GrammarComplete {
                let c = &mut done[k].out;
                let open = strip_end(&c.text).unwrap_or_default().to_string();
                c.text = format!("{open}{}", r.text);
            }
        }
        Ok(())
    }
}
