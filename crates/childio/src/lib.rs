//! Pipes to supervised child processes (the engine worker, the extraction
//! worker).
//!
//! A write into the stdin of a child that has died raises SIGPIPE in the
//! writer. Rust programs ignore SIGPIPE by default, but a command-line tool
//! sets it back to its default action so that `| head` ends it quietly, and
//! then that write would end the whole tool before it could say the child
//! died. [`write_line`] blocks SIGPIPE for the writing thread while it writes,
//! so a dead child is an [`std::io::ErrorKind::BrokenPipe`] error in every
//! host, whatever its SIGPIPE disposition.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Writes `line` and a newline to `w` and flushes it, with SIGPIPE held off
/// for this thread: a closed pipe is an error, never a signal.
pub fn write_line(w: &mut impl Write, line: &str) -> io::Result<()> {
    without_sigpipe(|| {
        w.write_all(line.as_bytes())?;
        w.write_all(b"\n")?;
        w.flush()
    })
}

/// Runs `f` with SIGPIPE blocked in this thread. A SIGPIPE that `f`'s writes
/// raised is taken out of the thread's pending signals before the mask is
/// restored, so it is never delivered; one that was pending before is left.
#[cfg(unix)]
pub fn without_sigpipe<T>(f: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    // SAFETY: the sigset_t values are initialised by sigemptyset before use,
    // and every call only reads or writes those locals.
    unsafe {
        let mut pipe: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut pipe);
        libc::sigaddset(&mut pipe, libc::SIGPIPE);
        let mut old: libc::sigset_t = std::mem::zeroed();
        if libc::pthread_sigmask(libc::SIG_BLOCK, &pipe, &mut old) != 0 {
            return f();
        }
        let mut pending: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut pending);
        libc::sigpending(&mut pending);
        let was_pending = libc::sigismember(&pending, libc::SIGPIPE) == 1;
        let result = f();
        if !was_pending && matches!(&result, Err(e) if e.kind() == io::ErrorKind::BrokenPipe) {
            let zero = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            while libc::sigtimedwait(&pipe, std::ptr::null_mut(), &zero) == -1
                && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
            {}
        }
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        result
    }
}

#[cfg(not(unix))]
pub fn without_sigpipe<T>(f: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    f()
}

/// The last lines a child wrote to stderr, read by a thread of its own so the
/// child never blocks on a full pipe; kept to explain how it died.
#[derive(Clone)]
pub struct StderrTail {
    lines: Arc<Mutex<VecDeque<String>>>,
    closed: Arc<AtomicBool>,
}

impl StderrTail {
    /// Reads `stderr` until it closes, keeping the last `keep` lines and
    /// handing each line to `on_line` as it comes.
    pub fn collect(
        stderr: impl Read + Send + 'static,
        keep: usize,
        mut on_line: impl FnMut(&str) + Send + 'static,
    ) -> Self {
        let lines = Arc::new(Mutex::new(VecDeque::with_capacity(keep)));
        let tail = lines.clone();
        let closed = Arc::new(AtomicBool::new(false));
        let done = closed.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                on_line(&line);
                let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                if t.len() == keep {
                    t.pop_front();
                }
                t.push_back(line);
            }
            done.store(true, Ordering::Release);
        });
        StderrTail { lines, closed }
    }

    /// The kept lines once the child's stderr has closed (it closes when the
    /// child dies), waiting at most `wait` for the last ones to be read.
    pub fn final_lines(&self, wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        while !self.closed.load(Ordering::Acquire) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.lines()
    }

    /// The kept lines, oldest first.
    pub fn lines(&self) -> Vec<String> {
        let t = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        t.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    /// The stdin of a child that has exited (taken first: `wait` closes it).
    fn dead_childs_stdin() -> std::process::ChildStdin {
        let mut child = Command::new("true")
            .stdin(Stdio::piped())
            .spawn()
            .expect("`true` runs");
        let stdin = child.stdin.take().unwrap();
        child.wait().unwrap();
        stdin
    }

    #[test]
    fn a_dead_childs_pipe_is_an_error_even_with_sigpipe_at_its_default() {
        // As the command line sets it: unguarded, this write would end the
        // test process with SIGPIPE.
        // SAFETY: setting a signal's disposition; no handler is installed.
        let before = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
        let mut stdin = dead_childs_stdin();
        let err = write_line(&mut stdin, "hello").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        // Nothing is left pending to be delivered once the mask is restored.
        let again = write_line(&mut stdin, "again").unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::BrokenPipe);
        // SAFETY: as above, restoring what it was.
        unsafe { libc::signal(libc::SIGPIPE, before) };
    }

    #[test]
    fn a_live_pipe_gets_the_line() {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        write_line(&mut stdin, "a line").unwrap();
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), "a line\n");
    }

    #[test]
    fn the_tail_keeps_the_last_lines() {
        let mut child = Command::new("sh")
            .args(["-c", "for i in 1 2 3 4 5; do echo line$i >&2; done"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let each = seen.clone();
        let tail = StderrTail::collect(child.stderr.take().unwrap(), 2, move |l| {
            each.lock().unwrap().push(l.to_owned());
        });
        child.wait().unwrap();
        assert_eq!(
            tail.final_lines(Duration::from_secs(10)),
            ["line4", "line5"]
        );
        assert_eq!(seen.lock().unwrap().len(), 5);
    }
}
