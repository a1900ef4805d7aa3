//! The worker process: the only place llama.cpp runs.
//!
//! It reads [`Request`]s from stdin and writes [`Event`]s to stdout, one JSON
//! object per line. A reader thread forwards requests and handles `Cancel` at
//! once, so a generation can be stopped while it runs. llama.cpp may abort the
//! process on an internal assertion; the supervisor notices, fails the request
//! in flight, and starts a new worker.

mod generate;
mod llama_log;
mod sampler;
mod session;

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};

use llama_cpp_2::llama_backend::LlamaBackend;

use crate::protocol::{ErrorKind, Event, Request, PROTOCOL_VERSION};

/// Writes events to stdout, one line each, flushed so the supervisor sees them at once.
#[derive(Clone)]
pub(crate) struct Out(Arc<Mutex<std::io::Stdout>>);

impl Out {
    pub fn send(&self, event: &Event) {
        let line = serde_json::to_string(event).unwrap_or_else(|e| {
            format!(r#"{{"event":"error","id":null,"kind":"internal","message":"unserialisable event: {e}"}}"#)
        });
        let mut out = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // If the supervisor is gone there is nobody to tell; the reader thread
        // sees stdin close and the worker exits.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    pub fn error(&self, id: Option<u64>, kind: ErrorKind, message: impl Into<String>) {
        self.send(&Event::Error {
            id,
            kind,
            message: message.into(),
        });
    }
}

/// Id of the generation to cancel (0 = none; ids start at 1).
pub(crate) type CancelFlag = Arc<AtomicU64>;

/// Entry point of the worker process. Returns the process exit code.
pub fn main() -> i32 {
    let out = Out(Arc::new(Mutex::new(std::io::stdout())));
    // Assertion messages bypass the log callback and still reach stderr, where
    // the supervisor keeps them.
    llama_log::install();
    // Picks the best CPU kernel variant for this processor at run time.
    llama_cpp_2::llama_backend::load_backends();
    let backend = match LlamaBackend::init() {
        Ok(b) => b,
        Err(e) => {
            out.error(
                None,
                ErrorKind::Internal,
                format!("llama.cpp backend failed to start: {e}"),
            );
            return 3;
        }
    };
    out.send(&Event::Ready {
        version: PROTOCOL_VERSION,
        pid: std::process::id(),
    });

    let cancel: CancelFlag = Arc::new(AtomicU64::new(0));
    let requests = spawn_reader(out.clone(), cancel.clone());
    let mut pending: Option<Request> = None;
    loop {
        let Some(req) = pending.take().or_else(|| requests.recv().ok()) else {
            return 0;
        };
        match req {
            Request::Shutdown => return 0,
            Request::Hello { .. } | Request::Cancel { .. } => {}
            Request::Unload => out.send(&Event::Unloaded),
            Request::Load { path, params } => {
                pending = session::serve(&backend, &path, &params, &requests, &out, &cancel);
            }
            Request::Generate { id, .. }
            | Request::GenerateBatch { id, .. }
            | Request::CountTokens { id, .. }
            | Request::Embed { id, .. }
            | Request::GrammarCheck { id, .. } => {
                out.error(Some(id), ErrorKind::NoModelLoaded, "no model is loaded");
            }
            Request::Stats { id } => out.send(&Event::Stats {
                id,
                stats: Default::default(),
            }),
        }
    }
}

/// Reads requests from stdin on a thread of its own. `Cancel` takes effect
/// immediately; everything else is queued in order. End of input (the
/// supervisor is gone) becomes `Shutdown`.
fn spawn_reader(out: Out, cancel: CancelFlag) -> Receiver<Request> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Request>(&line) {
                Ok(Request::Cancel { id }) => cancel.store(id, Ordering::SeqCst),
                Ok(Request::Hello { version }) if version != PROTOCOL_VERSION => {
                    out.error(
                        None,
                        ErrorKind::Protocol,
                        format!("worker speaks protocol {PROTOCOL_VERSION}, supervisor {version}"),
                    );
                    break;
                }
                Ok(req) => {
                    if tx.send(req).is_err() {
                        break;
                    }
                }
                Err(e) => out.error(
                    None,
                    ErrorKind::Protocol,
                    format!("unreadable request: {e}"),
                ),
            }
        }
        let _ = tx.send(Request::Shutdown);
    });
    rx
}
