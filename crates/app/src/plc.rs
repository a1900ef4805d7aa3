//! PLC code: generate a verified block from a spec, explain and comment
//! code, and turn an IO list into global declarations.

use std::path::{Path, PathBuf};

use millwright_copilot::io_list::{self, IoList};
use millwright_copilot::plc::{self, Completer, Completion, GenSpec, Repetition, Report, Stage};
use millwright_copilot::plc_doc::{self, Explanation};
use millwright_engine::{EngineError, GenerateRequest, ModelInfo};
use millwright_iec61131::sim::Vectors;
use millwright_knowledge::index::Filter;
use serde::Deserialize;

use crate::error::{AppError, Result};
use crate::workspace::Workspace;

/// The most code one request explains, comments or runs (the checker is
/// linear; this bounds a paste).
pub const MAX_CODE_BYTES: usize = 8 << 20;

/// Refuses code over [`MAX_CODE_BYTES`]; `source` names it.
pub fn bounded(source: &str, code: &str) -> Result<()> {
    if code.len() > MAX_CODE_BYTES {
        return Err(AppError::Input(format!(
            "{source} is larger than {} MiB",
            MAX_CODE_BYTES >> 20
        )));
    }
    Ok(())
}

/// A block to generate, as either front end asks for it.
#[derive(Debug, Clone, Deserialize)]
pub struct GenRequest {
    pub spec: String,
    /// An IO list (CSV or Excel) giving the block's interface.
    #[serde(default)]
    pub io_list: Option<PathBuf>,
    /// Test vectors in the simulator's JSON format …
    #[serde(default)]
    pub vectors_json: Option<String>,
    /// … and what to call them in a message (the file they came from).
    #[serde(default)]
    pub vectors_source: Option<String>,
    /// Repair rounds after the first attempt.
    #[serde(default = "default_rounds")]
    pub rounds: u32,
    /// The block's name (default: the vectors' `pou`, else FB_Generated).
    #[serde(default)]
    pub name: Option<String>,
    /// Library examples shown to the model.
    #[serde(default = "default_examples")]
    pub examples: usize,
    /// Decode under a grammar at all …
    #[serde(default = "yes")]
    pub grammar: bool,
    /// … the grammars of the block's own declarations (else the whole ST grammar).
    #[serde(default = "yes")]
    pub symbols: bool,
    /// Candidates of the first attempt, decoded side by side.
    #[serde(default = "default_candidates")]
    pub candidates: u32,
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    #[serde(default = "default_repetition")]
    pub repetition: Repetition,
    /// Without vectors: have the model propose some, reported as model-written.
    #[serde(default)]
    pub propose_tests: bool,
    /// Show the model passages of the indexed documents that cover the spec.
    #[serde(default = "yes")]
    pub use_documents: bool,
    /// Take those passages only from this collection.
    #[serde(default)]
    pub collection: Option<String>,
}

fn default_rounds() -> u32 {
    GenSpec::new("").rounds
}
fn default_examples() -> usize {
    GenSpec::new("").examples
}
fn default_candidates() -> u32 {
    plc::DEFAULT_CANDIDATES
}
fn default_max_tokens() -> u32 {
    GenSpec::new("").max_tokens
}
fn default_repetition() -> Repetition {
    Repetition::DEFAULT
}
fn yes() -> bool {
    true
}

impl GenRequest {
    pub fn new(spec: impl Into<String>) -> Self {
        serde_json::from_value(serde_json::json!({ "spec": spec.into() }))
            .expect("every other field has a default")
    }

    /// The limits, checked before any file is read or the model started.
    pub fn validate(&self) -> Result<()> {
        GenSpec {
            rounds: self.rounds,
            candidates: self.candidates,
            max_tokens: self.max_tokens,
            ..GenSpec::new(self.spec.trim())
        }
        .validate()?;
        if let Some(p) = self.io_list_path() {
            if !p.is_file() {
                return Err(AppError::Input(format!(
                    "IO list {}: no such file",
                    p.display()
                )));
            }
        }
        Ok(())
    }

    /// The IO list's path; an empty one (a form left blank) is none.
    fn io_list_path(&self) -> Option<&Path> {
        self.io_list
            .as_deref()
            .filter(|p| !p.to_string_lossy().trim().is_empty())
    }

    /// The pipeline's spec: the IO list read, the vectors parsed, the
    /// passages found.
    fn spec(&self, ws: &Workspace) -> Result<GenSpec> {
        let text = self.spec.trim();
        let io = match self.io_list_path() {
            Some(p) => Some(read_io_list(p)?),
            None => None,
        };
        let vectors = match self
            .vectors_json
            .as_deref()
            .filter(|v| !v.trim().is_empty())
        {
            Some(v) => Some(Vectors::from_json(v).map_err(|e| {
                let name = self.vectors_source.as_deref().unwrap_or("test vectors");
                AppError::Input(format!("{name}: {e}"))
            })?),
            None => None,
        };
        let passages = if self.use_documents && ws.has_documents() {
            let filter = Filter {
                collection: self.collection.clone(),
                ..Filter::default()
            };
            ws.with_reader(|kb| Ok(plc::document_passages(kb, text, &filter, 2)?))?
        } else {
            Vec::new()
        };
        Ok(GenSpec {
            io,
            vectors,
            name: self.name.clone(),
            rounds: self.rounds,
            grammar: self.grammar,
            symbols: self.grammar && self.symbols,
            candidates: self.candidates,
            examples: self.examples,
            max_tokens: self.max_tokens,
            repetition: self.repetition,
            propose_tests: self.propose_tests,
            passages,
            ..GenSpec::new(text)
        })
    }
}

fn read_io_list(path: &Path) -> Result<IoList> {
    io_list::read(path).map_err(|errors| AppError::IoList {
        path: path.display().to_string(),
        errors,
    })
}

/// What a front end hears while a block is generated, in order.
pub trait GenSink {
    /// Passages of the user's documents shown to the model.
    fn context(&mut self, _citations: &[String]) {}
    fn loading_model(&mut self, _path: &Path) {}
    /// The model is loaded and generation starts.
    fn model_ready(&mut self, _info: &ModelInfo) {}
    /// An attempt starts: 1 is the first, later ones repair the best so far;
    /// `candidates` decode side by side (the draft shows the first, greedy one).
    fn attempt(&mut self, _n: u32, _candidates: u32) {}
    /// The draft so far, replacing what is shown: a later phase continues
    /// this text (the locals, or a body whose end was taken back).
    fn draft(&mut self, _text: &str) {}
    /// The draft's next piece.
    fn token(&mut self, _text: &str) {}
}

impl GenSink for () {}

/// The model port that tells a sink what each stage writes.
struct Streaming<'a> {
    inner: &'a mut dyn Completer,
    sink: &'a mut dyn GenSink,
    attempt: u32,
    stage: Stage,
}

impl Streaming<'_> {
    /// Before a continuation's requests the draft becomes their prefill and
    /// goes on from it, so text after an end already shown is never appended.
    fn start(&mut self, request: &GenerateRequest) {
        if self.stage == Stage::Continuation {
            self.sink.draft(&request.prefill);
        }
    }

    /// Whether this stage's text is the block's code (test vectors are not).
    fn shows_text(&self) -> bool {
        self.stage != Stage::Vectors
    }
}

impl Completer for Streaming<'_> {
    fn is_chat(&self) -> bool {
        self.inner.is_chat()
    }
    fn stage(&mut self, stage: Stage) {
        self.inner.stage(stage);
        self.stage = stage;
        if let Stage::Attempt { candidates } = stage {
            self.attempt += 1;
            self.sink.attempt(self.attempt, candidates as u32);
        }
    }
    fn complete(
        &mut self,
        request: &GenerateRequest,
    ) -> std::result::Result<Completion, EngineError> {
        self.start(request);
        let shows = self.shows_text();
        let sink = &mut *self.sink;
        self.inner.complete_streaming(request, &mut |t| {
            if shows {
                sink.token(t);
            }
        })
    }
    fn complete_batch(
        &mut self,
        requests: &[GenerateRequest],
        on_text: &mut dyn FnMut(usize, &str),
    ) -> std::result::Result<Vec<Completion>, EngineError> {
        if let Some(first) = requests.first() {
            self.start(first);
        }
        let shows = self.shows_text();
        let sink = &mut *self.sink;
        self.inner.complete_batch(requests, &mut |k, t| {
            if k == 0 && shows {
                sink.token(t);
            }
            on_text(k, t);
        })
    }
}

/// Generates, checks, simulates and repairs a block, and reports what was verified.
pub fn generate(ws: &Workspace, req: &GenRequest, sink: &mut dyn GenSink) -> Result<Report> {
    req.validate()?;
    let spec = req.spec(ws)?;
    if !spec.passages.is_empty() {
        let citations: Vec<String> = spec.passages.iter().map(|p| p.citation.clone()).collect();
        sink.context(&citations);
    }
    let mut lease = ws.model(&mut |p| sink.loading_model(p))?;
    sink.model_ready(lease.info());
    let mut engine = lease.completer();
    let mut model = Streaming {
        inner: &mut engine,
        sink,
        attempt: 0,
        stage: Stage::Attempt { candidates: 1 },
    };
    Ok(plc::generate(&mut model, &spec)?)
}

/// The language of an explanation (for chat models; a base model continues
/// the prompt's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub fn parse(code: &str) -> Result<Lang> {
        match code {
            "en" => Ok(Lang::En),
            "zh" => Ok(Lang::Zh),
            other => Err(AppError::Input(format!(
                "{other:?} is not a language of explanations; use en or zh"
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "简体中文",
        }
    }
}

/// Explains code for a maintenance engineer: the interface read from the
/// code, the behaviour in the model's words. `source` names the code in errors.
pub fn explain(
    ws: &Workspace,
    source: &str,
    code: &str,
    lang: Lang,
    on_loading: &mut dyn FnMut(&Path),
) -> Result<Explanation> {
    bounded(source, code)?;
    plc_doc::parse_checked(code).map_err(|e| named(source, e))?;
    let mut lease = ws.model(on_loading)?;
    plc_doc::explain(&mut lease.completer(), code, lang.name()).map_err(|e| named(source, e))
}

/// The code with a header comment and comments above statements, checked to
/// be the same program.
pub fn comment(
    ws: &Workspace,
    source: &str,
    code: &str,
    on_loading: &mut dyn FnMut(&Path),
) -> Result<String> {
    bounded(source, code)?;
    plc_doc::parse_checked(code).map_err(|e| named(source, e))?;
    let mut lease = ws.model(on_loading)?;
    plc_doc::comment(&mut lease.completer(), code).map_err(|e| named(source, e))
}

/// Input errors say which code they are about.
fn named(source: &str, e: millwright_copilot::Error) -> AppError {
    match AppError::from(e) {
        AppError::Input(m) => AppError::Input(format!("{source}: {m}")),
        other => other,
    }
}

/// An IO list as a VAR_GLOBAL list of located variables.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Gvl {
    pub text: String,
    pub signals: usize,
    /// Which header named each recognised column: ("tag", "Signal name") …
    pub columns: Vec<(String, String)>,
    /// Headers that were not used.
    pub ignored: Vec<String>,
}

pub fn io_to_gvl(path: &Path, name: Option<&str>) -> Result<Gvl> {
    if !path.is_file() {
        return Err(AppError::Input(format!(
            "IO list {}: no such file",
            path.display()
        )));
    }
    let list = read_io_list(path)?;
    Ok(Gvl {
        text: io_list::to_gvl(&list, name),
        signals: list.entries.len(),
        columns: list
            .columns
            .iter()
            .map(|(k, h)| (k.to_string(), h.clone()))
            .collect(),
        ignored: list.ignored.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_with_only_a_spec_has_the_command_lines_defaults() {
        let r = GenRequest::new("a latch");
        assert_eq!(r.rounds, 2);
        assert_eq!(r.candidates, plc::DEFAULT_CANDIDATES);
        assert_eq!(r.examples, 1);
        assert_eq!(r.max_tokens, 768);
        assert!(r.grammar && r.symbols && r.use_documents && !r.propose_tests);
        assert_eq!(r.repetition, Repetition::DEFAULT);
    }

    #[test]
    fn the_limits_are_refused_before_anything_is_read() {
        let refused = |r: GenRequest| match r.validate() {
            Err(AppError::Input(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(refused(GenRequest::new(" ")).contains("empty"));
        assert!(refused(GenRequest::new("x".repeat(20_001))).contains("20000"));
        let r = GenRequest {
            rounds: 11,
            ..GenRequest::new("a latch")
        };
        assert!(refused(r).contains("use 0 to 10"));
        let r = GenRequest {
            max_tokens: 0,
            ..GenRequest::new("a latch")
        };
        assert!(refused(r).contains("at least 1"));
        let r = GenRequest {
            io_list: Some("/no/such/io.csv".into()),
            ..GenRequest::new("a latch")
        };
        assert_eq!(refused(r), "IO list /no/such/io.csv: no such file");
        // A form left blank names no file.
        let r = GenRequest {
            io_list: Some(" ".into()),
            ..GenRequest::new("a latch")
        };
        r.validate().unwrap();
    }

    #[test]
    fn languages_and_code_size_are_checked() {
        assert_eq!(Lang::parse("zh").unwrap(), Lang::Zh);
        assert!(matches!(Lang::parse("de"), Err(AppError::Input(m)) if m.contains("use en or zh")));
        let big = "x".repeat(MAX_CODE_BYTES + 1);
        assert!(
            matches!(bounded("motor.st", &big), Err(AppError::Input(m)) if m.starts_with("motor.st is larger"))
        );
    }
}
