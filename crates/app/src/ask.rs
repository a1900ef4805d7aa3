//! Asking: a calculation question goes to the mechanism models first (no
//! knowledge base is opened for it), anything else to the documents; the
//! model starts only when a tool or a passage can answer.

use std::path::{Path, PathBuf};
use std::time::Instant;

use millwright_copilot::ask::{
    answer_streaming, calculate, retrieve, validate_question, wants_calculation, Answer,
    AskOptions, Retrieval, ToolUse,
};
use millwright_knowledge::index::Filter;
use serde::Deserialize;

use crate::error::{AppError, Result};
use crate::workspace::Workspace;

/// Most passages a question may be given.
pub const MAX_PASSAGES: usize = 32;

#[derive(Debug, Clone, Deserialize)]
pub struct AskRequest {
    pub question: String,
    #[serde(default)]
    pub collection: Option<String>,
    /// Only these file kinds (pdf, docx, markdown, text, html, csv, xlsx, st, image).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Only files at or under this path.
    #[serde(default)]
    pub under: Option<PathBuf>,
    /// Passages given to the model.
    #[serde(default = "default_k")]
    pub k: usize,
}

fn default_k() -> usize {
    AskOptions::default().k
}

impl AskRequest {
    pub fn new(question: impl Into<String>) -> Self {
        AskRequest {
            question: question.into(),
            collection: None,
            kinds: Vec::new(),
            under: None,
            k: default_k(),
        }
    }

    /// What both front ends refuse before anything is searched or started.
    pub fn validate(&self) -> Result<()> {
        validate_question(&self.question)?;
        check_kinds(&self.kinds)?;
        if !(1..=MAX_PASSAGES).contains(&self.k) {
            return Err(AppError::Input(format!(
                "{} passages is not possible; use 1 to {MAX_PASSAGES}",
                self.k
            )));
        }
        Ok(())
    }

    fn filter(&self) -> Filter {
        documents_filter(
            self.collection.clone(),
            self.kinds.clone(),
            self.under.as_deref(),
        )
    }
}

/// Refuses a file kind the knowledge base does not know.
pub(crate) fn check_kinds(kinds: &[String]) -> Result<()> {
    for k in kinds {
        if millwright_knowledge::extract::Kind::parse(k).is_none() {
            return Err(AppError::Input(format!(
                "{k:?} is not a kind of file; use pdf, docx, markdown, text, html, csv, xlsx, st or image"
            )));
        }
    }
    Ok(())
}

/// Which passages a search may return: a collection, file kinds, files at
/// or under a path (compared as the index stores paths: canonical).
pub fn documents_filter(
    collection: Option<String>,
    kinds: Vec<String>,
    under: Option<&Path>,
) -> Filter {
    Filter {
        collection,
        kinds,
        under: under.map(|u| {
            std::fs::canonicalize(u)
                .unwrap_or_else(|_| u.to_owned())
                .to_string_lossy()
                .into_owned()
        }),
    }
}

/// What a front end hears while an answer is made, in order.
pub trait AskSink {
    /// The model is being loaded (the first question, or after the settings changed).
    fn loading_model(&mut self, _path: &Path) {}
    /// Passages found; `answerable` false means the documents hold no answer.
    fn retrieved(&mut self, _r: &Retrieval) {}
    /// A calculation answered: the call, and what the tool computed.
    fn tool(&mut self, _tool: &ToolUse) {}
    /// The answer's text as it is written.
    fn token(&mut self, _text: &str) {}
    /// The answer is complete; `tokens_per_s` is 0 when no model wrote it.
    fn done(&mut self, _tokens_per_s: f64) {}
}

/// A sink that hears nothing.
impl AskSink for () {}

pub fn ask(ws: &Workspace, req: &AskRequest, sink: &mut dyn AskSink) -> Result<Answer> {
    req.validate()?;
    let question = req.question.trim();
    if wants_calculation(question) {
        let mut lease = ws.model(&mut |p| sink.loading_model(p))?;
        // None: no tool fits, and the documents may hold the answer.
        if let Some(a) = calculate(&mut lease.completer(), question)? {
            if let Some(tool) = &a.tool {
                sink.tool(tool);
            }
            sink.token(&a.answer);
            // The call is a few dozen tokens: no speed worth showing.
            sink.done(0.0);
            return Ok(a);
        }
    }
    let opts = AskOptions {
        k: req.k,
        filter: req.filter(),
        ..AskOptions::default()
    };
    let r = if ws.has_documents() {
        ws.with_reader(|kb| Ok(retrieve(kb, question, &opts)?))?
    } else {
        Retrieval::empty(question)
    };
    sink.retrieved(&r);
    if !r.answerable {
        let a = r.not_found();
        sink.token(&a.answer);
        sink.done(0.0);
        return Ok(a);
    }
    let mut lease = ws.model(&mut |p| sink.loading_model(p))?;
    // Timed after loading: the speed is the model's, not the disk's.
    let started = Instant::now();
    let mut pieces = 0usize;
    let a = answer_streaming(&mut lease.completer(), &r, opts.max_tokens, &mut |t| {
        pieces += 1;
        sink.token(t);
    })
    .map_err(AppError::from)?;
    sink.done(pieces as f64 / started.elapsed().as_secs_f64().max(1e-6));
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_refused_by_what_is_wrong_with_them() {
        let refused = |r: AskRequest| match r.validate() {
            Err(AppError::Input(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(refused(AskRequest::new("  ")).contains("empty"));
        assert!(refused(AskRequest::new("x".repeat(2001))).contains("2000"));
        let kind = AskRequest {
            kinds: vec!["exe".into()],
            ..AskRequest::new("pump")
        };
        assert!(refused(kind).contains("\"exe\" is not a kind of file"));
        for k in [0, MAX_PASSAGES + 1] {
            let r = AskRequest {
                k,
                ..AskRequest::new("pump")
            };
            assert!(refused(r).contains(&format!("use 1 to {MAX_PASSAGES}")));
        }
        AskRequest::new("When does the pump stop?")
            .validate()
            .unwrap();
    }

    #[test]
    fn the_ipc_form_takes_the_command_lines_defaults() {
        let r: AskRequest = serde_json::from_str(r#"{"question": "q"}"#).unwrap();
        assert_eq!(r.k, AskOptions::default().k);
        assert!(r.kinds.is_empty() && r.collection.is_none() && r.under.is_none());
    }

    #[test]
    fn a_path_filter_is_compared_as_the_index_stores_paths() {
        let dir = tempfile::tempdir().unwrap();
        let f = documents_filter(None, Vec::new(), Some(&dir.path().join(".")));
        let canonical = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(f.under.as_deref(), canonical.to_str());
        // A path that does not exist is kept as given (it matches nothing).
        let f = documents_filter(None, Vec::new(), Some(Path::new("/no/such/dir")));
        assert_eq!(f.under.as_deref(), Some("/no/such/dir"));
    }
}
