//! A PDF page as an image for the source viewer, drawn by poppler's `pdftoppm`
//! in a child process: a PDF that crashes or hangs the renderer costs that
//! process (killed after a time limit), never the window.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest side of the image, in pixels: sharp on a 1280×800 window at 2×.
const LONG_SIDE_PX: u32 = 1600;
const TIME_LIMIT: Duration = Duration::from_secs(20);
const MAX_PNG_BYTES: u64 = 32 << 20;

/// Page `page` (1-based) of `pdf` as PNG bytes.
pub fn render(pdf: &Path, page: u32) -> Result<Vec<u8>, String> {
    let name = pdf.display();
    if !pdf.is_file() {
        return Err(format!(
            "{name} is no longer there; the passage's text is shown instead"
        ));
    }
    let mut child = Command::new("pdftoppm")
        .args(["-png", "-singlefile", "-scale-to"])
        .arg(LONG_SIDE_PX.to_string())
        .arg("-f")
        .arg(page.to_string())
        .arg("-l")
        .arg(page.to_string())
        .arg(pdf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!("cannot draw PDF pages ({e}); install poppler-utils (`cargo xtask setup` does) — the passage's text is shown instead")
        })?;
    let mut out = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut png = Vec::new();
        (&mut out)
            .take(MAX_PNG_BYTES)
            .read_to_end(&mut png)
            .map(|_| png)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if started.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "page {page} of {name} took longer than {} s to draw; the passage's text is shown instead",
                TIME_LIMIT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let png = reader
        .join()
        .map_err(|_| "the page reader stopped".to_string())?
        .map_err(|e| e.to_string())?;
    if !status.success() || !png.starts_with(b"\x89PNG") {
        return Err(format!(
            "page {page} of {name} could not be drawn; the passage's text is shown instead"
        ));
    }
    Ok(png)
}
