//! The caller's side: starts the worker process, speaks the protocol, and
//! survives the worker's death.
//!
//! If the worker dies (a llama.cpp abort, out of memory, a kill), the request in
//! flight fails with [`ErrorKind::WorkerDied`] and the tail of the worker's
//! stderr; the next request starts a new worker and reloads the same model, so
//! nothing but that one answer is lost.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use millwright_childio::StderrTail;

use crate::protocol::{
    ErrorKind, Event, FinishReason, GenerateRequest, GenerationStats, GrammarCheck, LoadParams,
    ModelInfo, Request, WorkerStats, PROTOCOL_VERSION,
};

/// How long a worker may take to start (process start and backend init).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a cancelled generation may take to stop before the worker is killed.
const CANCEL_GRACE: Duration = Duration::from_secs(10);
/// Lines of the worker's stderr kept to explain a crash.
const STDERR_TAIL: usize = 40;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct EngineError {
    pub kind: ErrorKind,
    pub message: String,
}

impl EngineError {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        EngineError {
            kind,
            message: message.into(),
        }
    }
}

/// How to start a worker: a program and its arguments.
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

impl WorkerCommand {
    /// This executable again, with a hidden argument that makes it a worker.
    pub fn current_exe(arg: &str) -> std::io::Result<Self> {
        Ok(WorkerCommand {
            program: std::env::current_exe()?,
            args: vec![arg.into()],
        })
    }
}

/// The result of a finished generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub text: String,
    pub finish: FinishReason,
    pub stats: GenerationStats,
}

enum Incoming {
    Event(Event),
    /// stdout closed: the worker exited or died.
    Closed,
}

struct Worker {
    child: Child,
    stdin: Arc<Mutex<ChildStdin>>,
    events: Receiver<Incoming>,
    stderr_tail: StderrTail,
    /// llama.cpp's reason for the last grammar it could not parse (printed to
    /// stderr with the whole grammar after it, so kept apart from the tail).
    grammar_error: Arc<Mutex<Option<String>>>,
}

impl Worker {
    fn spawn(cmd: &WorkerCommand) -> Result<Self, EngineError> {
        let mut child = Command::new(&cmd.program)
            .args(&cmd.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                EngineError::new(
                    ErrorKind::WorkerDied,
                    format!(
                        "cannot start the engine worker {}: {e}",
                        cmd.program.display()
                    ),
                )
            })?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");

        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let incoming = match serde_json::from_str::<Event>(&line) {
                    Ok(ev) => Incoming::Event(ev),
                    // llama.cpp or a library printed to stdout; not ours to parse.
                    Err(_) => continue,
                };
                if tx.send(incoming).is_err() {
                    return;
                }
            }
            let _ = tx.send(Incoming::Closed);
        });

        let grammar_error = Arc::new(Mutex::new(None));
        let grammar_slot = grammar_error.clone();
        let echo = std::env::var_os("MILLWRIGHT_LLAMA_LOG").is_some();
        let stderr_tail = StderrTail::collect(stderr, STDERR_TAIL, move |line| {
            if echo {
                eprintln!("[worker] {line}");
            }
            if let Some((_, why)) = line.split_once("error parsing grammar: ") {
                *grammar_slot.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(why.trim().to_owned());
            }
        });

        let mut worker = Worker {
            child,
            stdin: Arc::new(Mutex::new(stdin)),
            events,
            stderr_tail,
            grammar_error,
        };
        match worker.events.recv_timeout(START_TIMEOUT) {
            Ok(Incoming::Event(Event::Ready { version, .. })) if version == PROTOCOL_VERSION => {}
            Ok(Incoming::Event(Event::Ready { version, .. })) => {
                worker.kill();
                return Err(EngineError::new(
                    ErrorKind::Protocol,
                    format!("the engine worker speaks protocol {version}, this program {PROTOCOL_VERSION}; reinstall Millwright"),
                ));
            }
            Ok(Incoming::Event(Event::Error { message, .. })) => {
                worker.kill();
                return Err(EngineError::new(ErrorKind::WorkerDied, message));
            }
            _ => {
                let why = worker.death_report();
                return Err(EngineError::new(
                    ErrorKind::WorkerDied,
                    format!("the engine worker did not start: {why}"),
                ));
            }
        }
        worker.send(&Request::Hello {
            version: PROTOCOL_VERSION,
        })?;
        Ok(worker)
    }

    fn send(&self, req: &Request) -> Result<(), EngineError> {
        send_to(&self.stdin, req)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to end and describes how it ended, with its stderr tail.
    fn death_report(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    self.kill();
                    break None;
                }
            }
        };
        let how = match status {
            Some(s) => describe_exit(s),
            None => "it stopped responding and was killed".into(),
        };
        // What the process wrote before it died, once its stderr has closed.
        let tail = self.stderr_tail.final_lines(Duration::from_millis(500));
        let last = &tail[tail.len().saturating_sub(6)..];
        if last.is_empty() {
            how
        } else {
            format!("{how}; its last output:\n  {}", last.join("\n  "))
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let _ = self.send(&Request::Shutdown);
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill();
    }
}

fn send_to(stdin: &Mutex<ChildStdin>, req: &Request) -> Result<(), EngineError> {
    let line = serde_json::to_string(req)
        .map_err(|e| EngineError::new(ErrorKind::Internal, e.to_string()))?;
    let mut w = stdin.lock().unwrap_or_else(|p| p.into_inner());
    millwright_childio::write_line(&mut *w, &line).map_err(|e| {
        EngineError::new(
            ErrorKind::WorkerDied,
            format!("the engine worker is gone: {e}"),
        )
    })
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                6 => " (SIGABRT: llama.cpp aborted on an internal check)",
                9 => " (SIGKILL: killed, possibly for lack of memory)",
                11 => " (SIGSEGV)",
                4 => " (SIGILL: an instruction this CPU lacks)",
                _ => "",
            };
            return format!("the engine worker was ended by signal {sig}{name}");
        }
    }
    format!("the engine worker exited with {status}")
}

/// Stops the generation in flight, from any thread.
#[derive(Clone, Default)]
pub struct Canceller {
    inner: Arc<Mutex<CancelState>>,
}

#[derive(Default)]
struct CancelState {
    current: Option<(u64, Arc<Mutex<ChildStdin>>)>,
    requested_at: Option<Instant>,
}

impl Canceller {
    /// Asks the worker to stop the current generation; it ends with
    /// [`FinishReason::Cancelled`] and the text produced so far.
    pub fn cancel(&self) {
        let mut st = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((id, stdin)) = &st.current {
            let _ = send_to(stdin, &Request::Cancel { id: *id });
            st.requested_at.get_or_insert_with(Instant::now);
        }
    }

    fn requested_at(&self) -> Option<Instant> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .requested_at
    }

    fn set(&self, current: Option<(u64, Arc<Mutex<ChildStdin>>)>) {
        let mut st = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        st.current = current;
        st.requested_at = None;
    }
}

/// The supervised engine. Methods block; call them from a worker thread in a UI.
pub struct Engine {
    cmd: WorkerCommand,
    worker: Option<Worker>,
    /// The model to (re)load into a new worker.
    model: Option<(PathBuf, LoadParams)>,
    info: Option<ModelInfo>,
    next_id: u64,
    canceller: Canceller,
    restarts: u32,
}

impl Engine {
    pub fn new(cmd: WorkerCommand) -> Self {
        Engine {
            cmd,
            worker: None,
            model: None,
            info: None,
            next_id: 1,
            canceller: Canceller::default(),
            restarts: 0,
        }
    }

    pub fn canceller(&self) -> Canceller {
        self.canceller.clone()
    }

    /// The loaded model, if any.
    pub fn model_info(&self) -> Option<&ModelInfo> {
        self.info.as_ref()
    }

    /// How many times a dead worker was replaced.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// The worker's process id, if one is running (tests use it to kill it).
    pub fn worker_pid(&self) -> Option<u32> {
        self.worker.as_ref().map(|w| w.child.id())
    }

    /// Validates the file, then loads it in the worker.
    pub fn load(&mut self, path: &Path, params: LoadParams) -> Result<ModelInfo, EngineError> {
        millwright_gguf::inspect(path)
            .map_err(|e| EngineError::new(ErrorKind::ModelLoad, e.to_string()))?;
        self.model = Some((path.to_owned(), params));
        self.info = None;
        self.ensure_worker()?;
        self.info
            .clone()
            .ok_or_else(|| EngineError::new(ErrorKind::Internal, "model not loaded"))
    }

    pub fn unload(&mut self) -> Result<(), EngineError> {
        self.model = None;
        self.info = None;
        if let Some(w) = &self.worker {
            w.send(&Request::Unload)?;
            self.wait_for(None, |ev| matches!(ev, Event::Unloaded).then_some(()))?;
        }
        Ok(())
    }

    fn ensure_worker(&mut self) -> Result<(), EngineError> {
        let alive = match self.worker.as_mut() {
            Some(w) => matches!(w.child.try_wait(), Ok(None)),
            None => false,
        };
        if alive && self.info.is_some() == self.model.is_some() {
            return Ok(());
        }
        if !alive {
            if self.worker.take().is_some() {
                self.restarts += 1;
            }
            self.worker = Some(Worker::spawn(&self.cmd)?);
        }
        if let Some((path, params)) = self.model.clone() {
            self.worker().send(&Request::Load { path, params })?;
            let info = self.wait_for(None, |ev| match ev {
                Event::Loaded { info } => Some(info),
                _ => None,
            });
            match info {
                Ok(info) => self.info = Some(info),
                Err(e) => {
                    // A model that cannot load is not retried on every request.
                    self.model = None;
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn worker(&self) -> &Worker {
        self.worker.as_ref().expect("ensure_worker ran")
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Receives events until `pick` accepts one. An error event for this request
    /// (or a general one) fails it; the worker's death fails it with a report.
    fn wait_for<T>(
        &mut self,
        id: Option<u64>,
        mut pick: impl FnMut(Event) -> Option<T>,
    ) -> Result<T, EngineError> {
        loop {
            match self.next_event()? {
                Event::Error {
                    id: eid,
                    kind,
                    message,
                } if eid.is_none() || eid == id => {
                    let message = match kind {
                        ErrorKind::InvalidGrammar => self.with_grammar_parse_error(message),
                        _ => message,
                    };
                    return Err(EngineError::new(kind, message));
                }
                ev => {
                    if let Some(v) = pick(ev) {
                        return Ok(v);
                    }
                }
            }
        }
    }

    /// llama.cpp prints the reason a grammar does not parse straight to stderr,
    /// before the worker reports the failure; quote it so the user sees where.
    fn with_grammar_parse_error(&self, message: String) -> String {
        let Some(worker) = self.worker.as_ref() else {
            return message;
        };
        let deadline = Instant::now() + Duration::from_millis(300);
        loop {
            // Taken, so a later failure cannot quote this one.
            if let Some(why) = worker
                .grammar_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
            {
                return format!("{message}: {why}");
            }
            if Instant::now() > deadline {
                return message;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn next_event(&mut self) -> Result<Event, EngineError> {
        loop {
            let worker = self.worker.as_mut().expect("ensure_worker ran");
            match worker.events.recv_timeout(Duration::from_millis(200)) {
                Ok(Incoming::Event(ev)) => return Ok(ev),
                Ok(Incoming::Closed) | Err(RecvTimeoutError::Disconnected) => {
                    let report = worker.death_report();
                    self.worker = None;
                    self.info = None;
                    self.restarts += 1;
                    return Err(EngineError::new(
                        ErrorKind::WorkerDied,
                        format!(
                            "{report}\nThe request was lost; try again: a new engine worker starts with the same model."
                        ),
                    ));
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(at) = self.canceller.requested_at() {
                        if at.elapsed() > CANCEL_GRACE {
                            worker.kill();
                            self.worker = None;
                            self.info = None;
                            return Err(EngineError::new(
                                ErrorKind::WorkerDied,
                                "the engine did not stop after cancel and was restarted",
                            ));
                        }
                    }
                }
            }
        }
    }

    /// Sends a generation to a live worker with a model loaded, and lets
    /// the canceller reach it; its id.
    fn start_generation(&mut self, make: impl FnOnce(u64) -> Request) -> Result<u64, EngineError> {
        self.ensure_worker()?;
        if self.info.is_none() {
            return Err(EngineError::new(
                ErrorKind::NoModelLoaded,
                "no model is loaded; run `millwright models fetch` or choose a GGUF file",
            ));
        }
        let id = self.take_id();
        self.worker().send(&make(id))?;
        self.canceller.set(Some((id, self.worker().stdin.clone())));
        Ok(id)
    }

    /// Runs a generation, calling `on_text` with each piece of text in order.
    pub fn generate(
        &mut self,
        request: &GenerateRequest,
        mut on_text: impl FnMut(&str),
    ) -> Result<Generated, EngineError> {
        request
            .sampling
            .validate()
            .map_err(|m| EngineError::new(ErrorKind::InvalidRequest, m))?;
        let id = self.start_generation(|id| Request::Generate {
            id,
            request: request.clone(),
        })?;
        let mut text = String::new();
        let result = self.wait_for(Some(id), |ev| match ev {
            Event::Token {
                id: tid,
                text: piece,
                ..
            } if tid == id => {
                on_text(&piece);
                text.push_str(&piece);
                None
            }
            Event::Done {
                id: did,
                finish,
                stats,
            } if did == id => Some((finish, stats)),
            _ => None,
        });
        self.canceller.set(None);
        let (finish, stats) = result?;
        Ok(Generated {
            text,
            finish,
            stats,
        })
    }

    /// Decodes `requests` side by side in one batch (see
    /// [`Request::GenerateBatch`]): their shared prompt is decoded once, each
    /// has its own sampling, grammar and limits. `on_text` hears each piece of
    /// text with its request's index; the results come in request order.
    pub fn generate_batch(
        &mut self,
        requests: &[GenerateRequest],
        mut on_text: impl FnMut(usize, &str),
    ) -> Result<Vec<Generated>, EngineError> {
        for (k, r) in requests.iter().enumerate() {
            r.sampling.validate().map_err(|m| {
                EngineError::new(ErrorKind::InvalidRequest, format!("request {k}: {m}"))
            })?;
        }
        let id = self.start_generation(|id| Request::GenerateBatch {
            id,
            requests: requests.to_vec(),
        })?;
        let mut texts = vec![String::new(); requests.len()];
        let mut ended: Vec<Option<(FinishReason, GenerationStats)>> = vec![None; requests.len()];
        let result = self.wait_for(Some(id), |ev| match ev {
            Event::Token { id: tid, seq, text } if tid == id => {
                if let Some(t) = texts.get_mut(seq as usize) {
                    on_text(seq as usize, &text);
                    t.push_str(&text);
                }
                None
            }
            Event::SequenceDone {
                id: did,
                seq,
                finish,
                stats,
            } if did == id => {
                if let Some(e) = ended.get_mut(seq as usize) {
                    *e = Some((finish, stats));
                }
                None
            }
            Event::BatchDone { id: did } if did == id => Some(()),
            _ => None,
        });
        self.canceller.set(None);
        result?;
        texts
            .into_iter()
            .zip(ended)
            .enumerate()
            .map(|(k, (text, e))| {
                let (finish, stats) = e.ok_or_else(|| {
                    EngineError::new(
                        ErrorKind::Protocol,
                        format!("the engine worker did not say how sequence {k} ended"),
                    )
                })?;
                Ok(Generated {
                    text,
                    finish,
                    stats,
                })
            })
            .collect()
    }

    pub fn count_tokens(&mut self, text: &str) -> Result<u32, EngineError> {
        self.request(
            |id| Request::CountTokens {
                id,
                text: text.into(),
            },
            |ev| match ev {
                Event::TokenCount { count, .. } => Some(count),
                _ => None,
            },
        )
    }

    /// L2-normalised mean-pooled embeddings, one per text.
    pub fn embed(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>, EngineError> {
        self.request(
            |id| Request::Embed {
                id,
                texts: texts.to_vec(),
            },
            |ev| match ev {
                Event::Embeddings { vectors, .. } => Some(vectors),
                _ => None,
            },
        )
    }

    /// Whether `grammar` accepts `text` token by token, as decoding under it would.
    pub fn grammar_check(
        &mut self,
        grammar: &str,
        text: &str,
    ) -> Result<GrammarCheck, EngineError> {
        self.request(
            |id| Request::GrammarCheck {
                id,
                grammar: grammar.into(),
                text: text.into(),
            },
            |ev| match ev {
                Event::GrammarChecked { result, .. } => Some(result),
                _ => None,
            },
        )
    }

    pub fn stats(&mut self) -> Result<WorkerStats, EngineError> {
        self.request(
            |id| Request::Stats { id },
            |ev| match ev {
                Event::Stats { stats, .. } => Some(stats),
                _ => None,
            },
        )
    }

    fn request<T>(
        &mut self,
        make: impl FnOnce(u64) -> Request,
        pick: impl FnMut(Event) -> Option<T>,
    ) -> Result<T, EngineError> {
        self.ensure_worker()?;
        let id = self.take_id();
        self.worker().send(&make(id))?;
        self.wait_for(Some(id), pick)
    }
}
