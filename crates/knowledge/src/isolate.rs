//! Extraction in a supervised child process, one file at a time.
//!
//! Third-party parsers panic, hang or allocate without bound on hostile files;
//! none of that may stop a batch or touch the index. The worker is this
//! executable again with [`WORKER_ARG`]; it limits its own address space
//! (RLIMIT_AS), and the supervisor gives each file a time limit that grows with
//! its size. A worker that dies or overruns is killed and replaced; the file is
//! recorded as failed with the reason. A PDF whose first extractor crashed or
//! hung is tried once more with the second one only.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use millwright_childio::StderrTail;
use serde::{Deserialize, Serialize};

use crate::extract::{self, ExtractOptions, Extracted, Kind};

/// The hidden argument that turns an executable into an extraction worker.
pub const WORKER_ARG: &str = "__extract-worker";
/// Marks the worker's answer lines; anything a library prints is not one.
const MARK: &str = "@@millwright-extract ";
const STDERR_TAIL: usize = 20;

/// How to start a worker: a program and its arguments.
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

impl WorkerCommand {
    /// This executable again, as an extraction worker.
    pub fn current_exe() -> std::io::Result<Self> {
        Ok(WorkerCommand {
            program: std::env::current_exe()?,
            args: vec![WORKER_ARG.into()],
        })
    }
}

/// Per-file limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time for any file…
    pub time_base: Duration,
    /// …plus this much per MiB of file.
    pub time_per_mib: Duration,
    /// Address space of the worker.
    pub memory_mib: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            time_base: Duration::from_secs(60),
            time_per_mib: Duration::from_secs(5),
            memory_mib: 2048,
        }
    }
}

impl Limits {
    pub fn time_for(&self, bytes: u64) -> Duration {
        self.time_base + self.time_per_mib * (bytes >> 20) as u32
    }
}

#[derive(Serialize, Deserialize)]
struct Request {
    path: PathBuf,
    options: ExtractOptions,
}

#[derive(Serialize, Deserialize)]
enum Reply {
    /// Page `page` of `of` is being read by OCR (the file goes on).
    Ocr {
        page: u32,
        of: u32,
    },
    Ok(Extracted),
    Err(String),
}

/// What a PDF's first attempt runs, for the note when it died or hung.
const FIRST: &str = "poppler, then pdf-extract,";

/// How long the worker may be silent after it says it is reading a page by
/// OCR: drawing and recognising it, each under its own limit.
const OCR_PAGE_SILENCE: Duration = Duration::from_secs(2 * 120 + 20);

/// The worker's main loop: requests on stdin, answers on stdout.
pub fn worker_main(memory_mib: u64) -> i32 {
    let bytes = memory_mib.saturating_mul(1 << 20);
    if let Err(e) = rlimit::setrlimit(rlimit::Resource::AS, bytes, bytes) {
        eprintln!("cannot set the memory limit: {e}");
    }
    extract::record_panics();
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let reply = match serde_json::from_str::<Request>(&line) {
            Ok(req) => match extract::guarded("the extractor", || {
                extract::extract_with(&req.path, &req.options, &mut |page, of| {
                    let _ = send(&mut stdout, &Reply::Ocr { page, of });
                })
            }) {
                Ok(Ok(x)) => Reply::Ok(x),
                Ok(Err(e)) | Err(e) => Reply::Err(e),
            },
            Err(e) => Reply::Err(format!("bad request: {e}")),
        };
        if send(&mut stdout, &reply).is_err() {
            break;
        }
    }
    0
}

fn send(stdout: &mut std::io::Stdout, reply: &Reply) -> std::io::Result<()> {
    let json = serde_json::to_string(reply).unwrap_or_else(|e| {
        serde_json::to_string(&Reply::Err(format!("cannot encode: {e}"))).unwrap_or_default()
    });
    writeln!(stdout, "\n{MARK}{json}")?;
    stdout.flush()
}

/// Parses the worker's arguments after [`WORKER_ARG`].
pub fn worker_memory_arg(args: &[OsString]) -> u64 {
    args.windows(2)
        .find(|w| w[0] == "--memory-mib")
        .and_then(|w| w[1].to_str()?.parse().ok())
        .unwrap_or(Limits::default().memory_mib)
}

struct Running {
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<Option<String>>,
    stderr: StderrTail,
}

/// Why a file could not be extracted by the worker process itself.
enum Fault {
    /// The extractor answered with an error (the file is bad, not the process).
    Answer(String),
    /// The process died, overran its time, or could not start; `interrupted`
    /// when it was killed from outside (SIGKILL: a person, or the system short
    /// of memory), which says nothing about the file.
    Process { reason: String, interrupted: bool },
}

impl Fault {
    fn process(reason: impl Into<String>) -> Self {
        Fault::Process {
            reason: reason.into(),
            interrupted: false,
        }
    }
}

/// A file the worker could not extract, and why, for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ExtractError {
    pub reason: String,
    /// The worker was killed from outside while it read the file: the file
    /// was never judged, so it is worth another try.
    pub interrupted: bool,
}

/// Runs extractions in a worker process, replacing it when it dies.
pub struct Extractor {
    cmd: WorkerCommand,
    limits: Limits,
    ocr: bool,
    worker: Option<Running>,
}

impl Extractor {
    /// An extractor with OCR on.
    pub fn new(cmd: WorkerCommand, limits: Limits) -> Self {
        Extractor {
            cmd,
            limits,
            ocr: true,
            worker: None,
        }
    }

    /// Whether pages without text and images are read by OCR.
    pub fn with_ocr(mut self, ocr: bool) -> Self {
        self.ocr = ocr;
        self
    }

    /// Extracts `path` (of `bytes` bytes).
    pub fn extract(&mut self, path: &Path, bytes: u64) -> Result<Extracted, ExtractError> {
        self.extract_with_progress(path, bytes, &mut |_, _| {})
    }

    /// Extracts `path`; `ocr(i, n)` is called as the `i`-th of `n` pages is
    /// read by OCR.
    pub fn extract_with_progress(
        &mut self,
        path: &Path,
        bytes: u64,
        ocr: &mut dyn FnMut(u32, u32),
    ) -> Result<Extracted, ExtractError> {
        let failed = |reason: String, interrupted: bool| ExtractError {
            reason,
            interrupted,
        };
        match self.run(path, false, bytes, ocr) {
            Ok(x) => Ok(x),
            Err(Fault::Answer(e)) => Err(failed(e, false)),
            Err(Fault::Process {
                reason: e,
                interrupted,
            }) if Kind::of(path) == Some(Kind::Pdf) => match self.run(path, true, bytes, ocr) {
                Ok(mut x) => {
                    x.notes.insert(0, format!("{FIRST} {e}"));
                    Ok(x)
                }
                Err(Fault::Answer(e2)) => Err(failed(
                    format!("{FIRST} {e}; the fallback extractor: {e2}"),
                    interrupted,
                )),
                Err(Fault::Process {
                    reason: e2,
                    interrupted: again,
                }) => Err(failed(
                    format!("{FIRST} {e}; the fallback extractor: {e2}"),
                    interrupted || again,
                )),
            },
            Err(Fault::Process {
                reason,
                interrupted,
            }) => Err(failed(format!("the extractor {reason}"), interrupted)),
        }
    }

    fn start(&self) -> Result<Running, String> {
        let mut child = Command::new(&self.cmd.program)
            .args(&self.cmd.args)
            .arg("--memory-mib")
            .arg(self.limits.memory_mib.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not start ({}): {e}", self.cmd.program.display()))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        let (tx, replies) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(json) = line.strip_prefix(MARK) {
                    if tx.send(Some(json.to_owned())).is_err() {
                        return;
                    }
                }
            }
            let _ = tx.send(None);
        });
        let tail = StderrTail::collect(stderr, STDERR_TAIL, |_| {});
        Ok(Running {
            child,
            stdin,
            replies,
            stderr: tail,
        })
    }

    fn run(
        &mut self,
        path: &Path,
        fallback: bool,
        bytes: u64,
        ocr: &mut dyn FnMut(u32, u32),
    ) -> Result<Extracted, Fault> {
        if self.worker.is_none() {
            self.worker = Some(self.start().map_err(Fault::process)?);
        }
        let w = self.worker.as_mut().expect("just started");
        let limit = self.limits.time_for(bytes);
        let req = serde_json::to_string(&Request {
            path: path.to_owned(),
            options: ExtractOptions {
                fallback,
                ocr: self.ocr,
                poppler_limit: Some(limit * 2 / 5),
            },
        })
        .map_err(|e| Fault::process(e.to_string()))?;
        if millwright_childio::write_line(&mut w.stdin, &req).is_err() {
            return Err(self.died());
        }
        // Each OCR page gives the worker a fresh page's time: a scanned
        // document takes as long as its pages, and a hung page is still caught.
        let mut deadline = Instant::now() + limit;
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            let got = w.replies.recv_timeout(wait);
            match got {
                Ok(Some(json)) => match serde_json::from_str::<Reply>(&json) {
                    Ok(Reply::Ocr { page, of }) => {
                        ocr(page, of);
                        deadline = deadline.max(Instant::now() + OCR_PAGE_SILENCE);
                    }
                    Ok(Reply::Ok(x)) => return Ok(x),
                    Ok(Reply::Err(e)) => return Err(Fault::Answer(e)),
                    Err(e) => return Err(Fault::process(format!("answered nonsense: {e}"))),
                },
                Err(RecvTimeoutError::Timeout) => {
                    self.kill();
                    return Err(Fault::process(format!(
                        "did not finish within {} s (the file may be malformed; the limit grows with file size)",
                        limit.as_secs()
                    )));
                }
                Ok(None) | Err(RecvTimeoutError::Disconnected) => return Err(self.died()),
            }
        }
    }

    fn kill(&mut self) {
        if let Some(mut w) = self.worker.take() {
            let _ = w.child.kill();
            let _ = w.child.wait();
        }
    }

    /// Reaps a dead worker and says how it died.
    fn died(&mut self) -> Fault {
        let Some(mut w) = self.worker.take() else {
            return Fault::process("stopped");
        };
        let status = w.child.wait().ok();
        let tail = w.stderr.final_lines(Duration::from_millis(500)).join(" / ");
        if tail.contains("memory allocation of") {
            return Fault::process(format!(
                "ran out of memory (limit {} MiB): {tail}",
                self.limits.memory_mib
            ));
        }
        use std::os::unix::process::ExitStatusExt;
        let signal = status.and_then(|s| s.signal());
        let how = match (status, signal) {
            (_, Some(11)) => "crashed (segmentation fault — often a stack overflow on deeply nested content)".to_owned(),
            (_, Some(6)) => "aborted".to_owned(),
            (_, Some(9)) => "was killed by signal 9 (SIGKILL: from outside, or the system ran out of memory); adding the file again retries it".to_owned(),
            (_, Some(sig)) => format!("was killed by signal {sig}"),
            (Some(s), None) => format!("exited with status {}", s.code().unwrap_or(-1)),
            (None, None) => "died".to_owned(),
        };
        Fault::Process {
            reason: if tail.is_empty() {
                how
            } else {
                format!("{how}: {tail}")
            },
            interrupted: signal == Some(9),
        }
    }
}

impl Drop for Extractor {
    fn drop(&mut self) {
        self.kill();
    }
}
