//! The PLC generation evaluation: a fixed task set (`assets/eval/plc-tasks.toml`)
//! run under several configurations, reporting the share of tasks whose output
//! parses, checks clean and passes every test, and the median time per task.

use std::time::Instant;

use millwright_iec61131::sim::Vectors;
use serde::{Deserialize, Serialize};

use crate::io_list::{self, IoList};
use crate::library;
use crate::plc::{self, Completer, Ended, GenSpec, Repetition};

const TASKS: &str = include_str!("../../../assets/eval/plc-tasks.toml");

#[derive(Debug, Clone)]
pub struct Task {
    pub name: String,
    pub difficulty: String,
    pub spec: String,
    /// The block's field signals; `None` for a block without any (a FUNCTION on arrays).
    pub io: Option<IoList>,
    pub vectors: Vectors,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskFile {
    task: Vec<TaskEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskEntry {
    snippet: String,
    difficulty: String,
    /// CSV: tag, address, type, description.
    #[serde(default)]
    io: Option<String>,
}

/// Which specs the tasks carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskSet {
    /// The English description and the IO list.
    English,
    /// The Chinese description and the IO list.
    Chinese,
    /// The English description carrying the interface itself, without an IO
    /// list: an ST header for the even tasks, a variable list for the odd.
    Interface,
}

impl TaskSet {
    pub const NAMES: [&'static str; 3] = ["en", "zh", "interface"];

    pub fn from_name(name: &str) -> Option<TaskSet> {
        Some(match name {
            "en" => TaskSet::English,
            "zh" => TaskSet::Chinese,
            "interface" => TaskSet::Interface,
            _ => return None,
        })
    }
}

/// The task set in one of its forms.
pub fn task_set(set: TaskSet) -> Result<Vec<Task>, String> {
    let mut tasks = tasks()?;
    let lib = library::all();
    for (i, t) in tasks.iter_mut().enumerate() {
        let s = lib
            .iter()
            .find(|s| s.name == t.name)
            .ok_or_else(|| format!("task {}: no such library block", t.name))?;
        match set {
            TaskSet::English => {}
            TaskSet::Chinese => t.spec = s.meta.description_zh.clone(),
            TaskSet::Interface => {
                let (header, list) = declared_interface(s.code, &t.vectors.pou)
                    .ok_or_else(|| format!("task {}: no block {}", t.name, t.vectors.pou))?;
                t.spec = if i % 2 == 0 {
                    format!("{}\n\nThe block's interface:\n{header}", t.spec)
                } else {
                    format!("{}\n\n{list}", t.spec)
                };
                t.io = None;
            }
        }
    }
    Ok(tasks)
}

/// The interface of block `pou` in `code` as a spec would carry it: its TYPE
/// blocks and header (inputs, outputs, in-outs) as ST, and as a list of
/// variables under headings.
fn declared_interface(code: &str, pou: &str) -> Option<(String, String)> {
    use millwright_iec61131::ast::{Item, VarKind};
    let parsed = millwright_iec61131::parse(code);
    let text = |s: millwright_iec61131::token::Span| &code[s.start as usize..s.end as usize];
    let mut types = String::new();
    for item in &parsed.file.items {
        if let Item::Types(decls) = item {
            types.push_str("TYPE\n");
            for d in decls {
                types.push_str(&format!("    {};\n", text(d.span).trim_end_matches(';')));
            }
            types.push_str("END_TYPE\n");
        }
    }
    let mut header = types.clone();
    let p = parsed.file.items.iter().find_map(|i| match i {
        Item::Pou(p) if p.name.name.eq_ignore_ascii_case(pou) => Some(p),
        _ => None,
    })?;
    header.push_str(&format!("FUNCTION_BLOCK {}\n", p.name.name));
    let mut list = types;
    for (kind, title) in [
        (VarKind::Input, "Inputs"),
        (VarKind::Output, "Outputs"),
        (VarKind::InOut, "In/Out"),
    ] {
        let blocks: Vec<_> = p.var_blocks.iter().filter(|b| b.kind == kind).collect();
        if blocks.is_empty() {
            continue;
        }
        list.push_str(&format!("{title}:\n"));
        for b in blocks {
            header.push_str(&format!("{}\n", text(b.span)));
            for d in &b.vars {
                for n in &d.names {
                    list.push_str(&format!("- {} ({})\n", n.name, text(d.ty.span())));
                }
            }
        }
    }
    Some((header, list))
}

/// The task set: each entry names a library block whose description is the
/// spec and whose vectors are the tests.
pub fn tasks() -> Result<Vec<Task>, String> {
    let file: TaskFile =
        toml::from_str(TASKS).map_err(|e| format!("assets/eval/plc-tasks.toml: {e}"))?;
    let lib = library::all();
    file.task
        .into_iter()
        .map(|t| {
            let s = lib
                .iter()
                .find(|s| s.name == t.snippet)
                .ok_or_else(|| format!("task {}: no such library block", t.snippet))?;
            let io =
                t.io.as_deref()
                    .map(|csv| {
                        io_list::from_csv_text(csv).map_err(|errs| {
                            let e: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
                            format!("task {}: IO list: {}", t.snippet, e.join("; "))
                        })
                    })
                    .transpose()?;
            Ok(Task {
                spec: s.meta.description_en.clone(),
                vectors: Vectors::from_json(s.vectors)
                    .map_err(|e| format!("task {}: {e}", t.snippet))?,
                name: t.snippet,
                difficulty: t.difficulty,
                io,
            })
        })
        .collect()
}

/// One way of running the pipeline.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Config {
    pub name: &'static str,
    pub grammar: bool,
    /// Under the grammars built from the block's declarations (`GenSpec::symbols`).
    pub symbols: bool,
    pub rounds: u32,
    pub examples: usize,
    /// Candidates of the first round (`GenSpec::candidates`).
    pub candidates: u32,
}

/// The candidates of the configurations that sample several.
pub const EVAL_CANDIDATES: u32 = 4;

pub const CONFIGS: [Config; 9] = [
    Config {
        name: "full",
        symbols: false,
        grammar: true,
        rounds: 2,
        examples: 1,
        candidates: 1,
    },
    Config {
        name: "no-grammar",
        symbols: false,
        grammar: false,
        rounds: 2,
        examples: 1,
        candidates: 1,
    },
    Config {
        name: "no-repair",
        symbols: false,
        grammar: true,
        rounds: 0,
        examples: 1,
        candidates: 1,
    },
    Config {
        name: "no-retrieval",
        symbols: false,
        grammar: true,
        rounds: 2,
        examples: 0,
        candidates: 1,
    },
    Config {
        name: "bare",
        symbols: false,
        grammar: false,
        rounds: 0,
        examples: 0,
        candidates: 1,
    },
    Config {
        name: "symbols",
        symbols: true,
        grammar: true,
        rounds: 2,
        examples: 1,
        candidates: 1,
    },
    Config {
        name: "symbols-no-repair",
        symbols: true,
        grammar: true,
        rounds: 0,
        examples: 1,
        candidates: 1,
    },
    Config {
        name: "symbols-candidates",
        symbols: true,
        grammar: true,
        rounds: 0,
        examples: 1,
        candidates: EVAL_CANDIDATES,
    },
    Config {
        name: "symbols-candidates-repair",
        symbols: true,
        grammar: true,
        rounds: 2,
        examples: 1,
        candidates: EVAL_CANDIDATES,
    },
];

#[derive(Debug, Clone, Serialize)]
pub struct TaskResult {
    pub task: String,
    pub difficulty: String,
    pub config: &'static str,
    pub parsed: bool,
    pub checked: bool,
    pub passed: bool,
    pub tests_passed: usize,
    pub tests_total: usize,
    pub rounds: u32,
    /// Attempts: the first round's candidates and each repair round.
    pub attempts: u32,
    /// Of the attempts, those cut off (token limit, full context).
    pub cut_off: u32,
    /// Of the attempts, those ended early as looping.
    pub looping: u32,
    /// Of the attempts cut off or looping, those kept to their last sound
    /// statement and closed (judged as that code).
    pub closed: u32,
    /// Of the attempts, those the model finished, and of those the ones that
    /// parse and check without errors.
    pub finished: u32,
    pub finished_clean: u32,
    /// The first round's candidates that check clean, and that pass every test.
    pub candidates: u32,
    pub candidates_clean: u32,
    pub candidates_passed: u32,
    /// The greedy candidate passed every test (before any repair).
    pub pass_at_1: bool,
    pub seconds: f64,
    /// The code kept (formatted when it parses), to see what went wrong.
    pub code: String,
    /// The checker's first diagnostics on it.
    pub diagnostics: Vec<String>,
    /// A pipeline error (the engine failed), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub config: &'static str,
    pub tasks: usize,
    pub parsed: f64,
    pub checked: f64,
    pub passed: f64,
    /// Of all attempts, the share cut off, and the share ended as looping.
    pub cut_off: f64,
    pub looping: f64,
    /// Of all attempts, the share cut off or looping that was closed.
    pub closed: f64,
    /// Of the attempts the model finished, the share that checks clean.
    pub finished_clean: f64,
    /// Tasks with at least one candidate that checks clean.
    pub clean_candidate: f64,
    /// Tasks whose greedy candidate passed every test; whose any candidate did.
    pub pass_at_1: f64,
    pub pass_at_n: f64,
    pub median_seconds: f64,
}

pub fn run_task(
    model: &mut dyn Completer,
    task: &Task,
    c: Config,
    max_tokens: u32,
    repetition: Repetition,
) -> TaskResult {
    let spec = GenSpec {
        repetition,
        io: task.io.clone(),
        vectors: Some(task.vectors.clone()),
        rounds: c.rounds,
        grammar: c.grammar,
        symbols: c.symbols,
        candidates: c.candidates,
        examples: c.examples,
        exclude_examples: vec![task.name.clone()],
        max_tokens,
        ..GenSpec::new(task.spec.clone())
    };
    let t = Instant::now();
    let r = plc::generate(model, &spec);
    let seconds = t.elapsed().as_secs_f64();
    let mut out = TaskResult {
        task: task.name.clone(),
        difficulty: task.difficulty.clone(),
        config: c.name,
        parsed: false,
        checked: false,
        passed: false,
        tests_passed: 0,
        tests_total: task.vectors.cases.len(),
        rounds: 0,
        attempts: 0,
        cut_off: 0,
        looping: 0,
        closed: 0,
        finished: 0,
        finished_clean: 0,
        candidates: 0,
        candidates_clean: 0,
        candidates_passed: 0,
        pass_at_1: false,
        seconds,
        code: String::new(),
        diagnostics: Vec::new(),
        error: None,
    };
    match r {
        Ok(r) => {
            let v = &r.verified;
            out.parsed = v.parsed;
            out.checked = v.clean();
            out.passed = r.verified_ok();
            out.tests_passed = v.tests_passed;
            out.rounds = v.rounds;
            // Each attempt once: the first round by its candidates, then the repairs.
            let attempts: Vec<(Ended, bool, bool)> = r
                .candidates
                .iter()
                .map(|c| (c.ended, c.clean(), c.closed))
                .chain(
                    r.history
                        .iter()
                        .skip(1)
                        .map(|h| (h.ended, h.verified.clean(), h.closed)),
                )
                .collect();
            let count = |f: &dyn Fn(&(Ended, bool, bool)) -> bool| {
                attempts.iter().filter(|a| f(a)).count() as u32
            };
            out.attempts = attempts.len() as u32;
            out.cut_off = count(&|a| matches!(a.0, Ended::TokenLimit | Ended::ContextFull));
            out.looping = count(&|a| a.0 == Ended::Looping);
            out.closed = count(&|a| a.2);
            out.finished = count(&|a| a.0.finished());
            out.finished_clean = count(&|a| a.0.finished() && a.1);
            out.candidates = r.candidates.len() as u32;
            out.candidates_clean = r.candidates.iter().filter(|c| c.clean()).count() as u32;
            out.candidates_passed = r.candidates.iter().filter(|c| c.passed()).count() as u32;
            out.pass_at_1 = r.candidates.first().is_some_and(|c| c.passed());
            out.diagnostics = r
                .diagnostics
                .iter()
                .take(5)
                .map(|d| format!("{}:{} {} {}", d.line, d.column, d.code, d.message))
                .collect();
            out.code = r.code;
        }
        Err(e) => out.error = Some(e.to_string()),
    }
    out
}

pub fn summarize(results: &[TaskResult], c: Config) -> Summary {
    let mine: Vec<&TaskResult> = results.iter().filter(|r| r.config == c.name).collect();
    let n = mine.len().max(1) as f64;
    let share = |f: &dyn Fn(&TaskResult) -> bool| mine.iter().filter(|r| f(r)).count() as f64 / n;
    let ratio = |part: &dyn Fn(&TaskResult) -> u32, whole: &dyn Fn(&TaskResult) -> u32| {
        mine.iter().map(|r| part(r)).sum::<u32>() as f64
            / mine.iter().map(|r| whole(r)).sum::<u32>().max(1) as f64
    };
    let mut times: Vec<f64> = mine.iter().map(|r| r.seconds).collect();
    times.sort_by(f64::total_cmp);
    let median = if times.is_empty() {
        0.0
    } else if times.len() % 2 == 1 {
        times[times.len() / 2]
    } else {
        (times[times.len() / 2 - 1] + times[times.len() / 2]) / 2.0
    };
    Summary {
        config: c.name,
        tasks: mine.len(),
        parsed: share(&|r| r.parsed),
        checked: share(&|r| r.checked),
        passed: share(&|r| r.passed),
        cut_off: ratio(&|r| r.cut_off, &|r| r.attempts),
        looping: ratio(&|r| r.looping, &|r| r.attempts),
        closed: ratio(&|r| r.closed, &|r| r.attempts),
        finished_clean: ratio(&|r| r.finished_clean, &|r| r.finished),
        clean_candidate: share(&|r| r.candidates_clean > 0),
        pass_at_1: share(&|r| r.pass_at_1),
        pass_at_n: share(&|r| r.candidates_passed > 0),
        median_seconds: median,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_task_set_is_complete_and_varied() {
        let t = tasks().unwrap();
        assert!(t.len() >= 20, "the issue asks for at least 20 tasks");
        for d in ["easy", "medium", "hard"] {
            assert!(t.iter().any(|x| x.difficulty == d), "no {d} task");
        }
        assert!(t
            .iter()
            .all(|x| !x.vectors.cases.is_empty() && x.spec.len() > 40));
    }

    #[test]
    fn each_io_list_matches_the_interface_of_its_block() {
        for t in tasks().unwrap() {
            let Some(io) = &t.io else {
                assert_eq!(
                    t.name, "sort_array",
                    "only the array function has no IO list"
                );
                continue;
            };
            let block = library::all()
                .into_iter()
                .find(|s| s.name == t.name)
                .unwrap();
            let parsed = millwright_iec61131::parse(block.code);
            // The block the vectors test (a file may declare types first).
            let pou = parsed
                .file
                .items
                .iter()
                .find_map(|i| match i {
                    millwright_iec61131::ast::Item::Pou(p) if p.name.name == t.vectors.pou => {
                        Some(p)
                    }
                    _ => None,
                })
                .unwrap_or_else(|| panic!("{}: no POU {}", t.name, t.vectors.pou));
            for e in &io.entries {
                let (section, dir) = match e.direction() {
                    io_list::Direction::Input => {
                        ("VAR_INPUT", millwright_iec61131::ast::VarKind::Input)
                    }
                    _ => ("VAR_OUTPUT", millwright_iec61131::ast::VarKind::Output),
                };
                let decl = pou
                    .var_blocks
                    .iter()
                    .filter(|b| b.kind == dir)
                    .flat_map(|b| &b.vars)
                    .find(|d| d.names.iter().any(|n| n.name == e.tag))
                    .unwrap_or_else(|| panic!("{}: {} is not in its {section}", t.name, e.tag));
                let millwright_iec61131::ast::TypeRef::Named(ty) = &decl.ty else {
                    panic!("{}: {} is not of an elementary type", t.name, e.tag);
                };
                assert_eq!(ty.name.to_ascii_uppercase(), e.ty, "{}: {}", t.name, e.tag);
            }
        }
    }

    /// Each form of the task set gives the pipeline the interface of the
    /// task's own block: from the spec's header or list, as from the IO list.
    #[test]
    fn every_task_set_yields_the_interface_of_its_block() {
        let en = task_set(TaskSet::English).unwrap();
        let zh = task_set(TaskSet::Chinese).unwrap();
        let iface = task_set(TaskSet::Interface).unwrap();
        assert_eq!((en.len(), zh.len()), (iface.len(), en.len()));
        for ((e, z), i) in en.iter().zip(&zh).zip(&iface) {
            assert!(
                z.spec
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{}",
                z.name
            );
            assert!(i.io.is_none());
            let spec = |t: &Task| GenSpec {
                io: t.io.clone(),
                vectors: Some(t.vectors.clone()),
                ..GenSpec::new(t.spec.clone())
            };
            let from_spec = plc::Interface::infer(&spec(i))
                .unwrap_or_else(|err| panic!("{}: {err}\n{}", i.name, i.spec));
            let from_io = plc::Interface::infer(&spec(e)).unwrap();
            // The names and directions agree with what the IO list gives.
            let listed = |n: &str| {
                e.io.iter()
                    .flat_map(|l| &l.entries)
                    .any(|x| x.tag.eq_ignore_ascii_case(n))
            };
            for v in from_io.vars.iter().filter(|v| listed(&v.name)) {
                let found = from_spec
                    .vars
                    .iter()
                    .find(|w| w.name.eq_ignore_ascii_case(&v.name))
                    .unwrap_or_else(|| {
                        panic!("{}: {} missing from {:?}", i.name, v.name, from_spec.vars)
                    });
                assert_eq!(found.section, v.section, "{}: {}", i.name, v.name);
            }
            // The header checks with the task's own body: the interface is the block's.
            let parsed = millwright_iec61131::check_text(&format!(
                "{}END_FUNCTION_BLOCK\n",
                from_spec.header()
            ));
            assert!(!parsed.has_errors(), "{}: {:?}", i.name, parsed.diagnostics);
        }
    }

    #[test]
    fn summaries_count_shares_and_medians() {
        let r = |config, passed, seconds| TaskResult {
            task: "t".into(),
            difficulty: "easy".into(),
            config,
            parsed: true,
            checked: passed,
            passed,
            tests_passed: 0,
            tests_total: 1,
            rounds: 2,
            attempts: 2,
            // A task that failed ran out of tokens in one of its two rounds.
            cut_off: u32::from(!passed),
            looping: 0,
            closed: 0,
            finished: 2 - u32::from(!passed),
            finished_clean: 2 - u32::from(!passed),
            candidates: 1,
            candidates_clean: u32::from(passed),
            candidates_passed: u32::from(passed),
            pass_at_1: passed,
            seconds,
            code: String::new(),
            diagnostics: Vec::new(),
            error: None,
        };
        let results = [
            r("full", true, 3.0),
            r("full", false, 1.0),
            r("full", false, 2.0),
            r("bare", true, 9.0),
        ];
        let s = summarize(&results, CONFIGS[0]);
        assert_eq!((s.tasks, s.parsed, s.median_seconds), (3, 1.0, 2.0));
        assert!((s.passed - 1.0 / 3.0).abs() < 1e-12);
        assert!((s.cut_off - 2.0 / 6.0).abs() < 1e-12);
        assert_eq!(s.finished_clean, 1.0);
        assert!((s.pass_at_n - 1.0 / 3.0).abs() < 1e-12);
    }
}
