//! Running poppler and Tesseract: a program as a child of the extraction
//! worker, with bytes in, bounded bytes out and a time limit. A hang is killed
//! and costs one call; a crash is an error naming the program.

use std::io::{Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    /// At most the first 4 KiB.
    pub stderr: String,
    /// `stdout` reached its cap and the rest was dropped.
    pub truncated: bool,
}

pub enum Failure {
    /// The program is not installed (not on `PATH`).
    Missing,
    TimedOut(Duration),
    /// Could not start, or died on a signal.
    Broken(String),
}

/// Test hook: names a program whose next runs are killed right after they
/// start, as the time limit would kill a hung one
/// (`MILLWRIGHT_FAULT_KILL=tesseract:2` kills the second run of tesseract in
/// this process). Lets a test show that a killed child costs one page.
const FAULT_ENV: &str = "MILLWRIGHT_FAULT_KILL";

fn fault_due(program: &str) -> bool {
    use std::sync::atomic::{AtomicU32, Ordering};
    static RUNS: AtomicU32 = AtomicU32::new(0);
    let Ok(spec) = std::env::var(FAULT_ENV) else {
        return false;
    };
    let Some((name, nth)) = spec.split_once(':') else {
        return false;
    };
    if name != program {
        return false;
    }
    let run = RUNS.fetch_add(1, Ordering::SeqCst) + 1;
    nth.parse::<u32>().is_ok_and(|n| n == run)
}

/// Runs `program args…`, feeding `input` to its stdin, keeping at most
/// `max_out` bytes of its stdout, killing it after `limit`.
pub fn run(
    program: &str,
    args: &[&std::ffi::OsStr],
    input: Option<Vec<u8>>,
    limit: Duration,
    max_out: u64,
    envs: &[(&str, &str)],
) -> Result<Output, Failure> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Failure::Missing,
        _ => Failure::Broken(format!("{program} could not start: {e}")),
    })?;
    if fault_due(program) {
        let _ = child.kill();
    }
    if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
        // A writer thread, so a child that stops reading cannot block us.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
    }
    let mut out = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut out).take(max_out).read_to_end(&mut buf);
        // Drain the rest so the child is not blocked on a full pipe.
        let more = std::io::copy(&mut out, &mut std::io::sink()).unwrap_or(0);
        (buf, more > 0)
    });
    let mut err = child.stderr.take().expect("piped");
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut err).take(4096).read_to_end(&mut buf);
        let _ = std::io::copy(&mut err, &mut std::io::sink());
        String::from_utf8_lossy(&buf).into_owned()
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) => {}
            Err(e) => return Err(Failure::Broken(format!("{program}: {e}"))),
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Failure::TimedOut(limit));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let (stdout, truncated) = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    use std::os::unix::process::ExitStatusExt;
    if let Some(sig) = status.signal() {
        return Err(Failure::Broken(format!(
            "{program} was killed by signal {sig}{}",
            tail(&stderr)
        )));
    }
    Ok(Output {
        status,
        stdout,
        stderr,
        truncated,
    })
}

/// `": <last line of stderr>"`, or nothing.
pub fn tail(stderr: &str) -> String {
    stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| format!(": {}", l.trim()))
        .unwrap_or_default()
}

pub fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}
