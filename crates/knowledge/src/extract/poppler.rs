//! PDF text by poppler's `pdftotext`, the whole document in one run.
//!
//! The program rather than libpoppler through a binding: it runs as a child of
//! the extraction worker, so a poppler crash or hang costs that child (killed
//! after its limit) and the file falls back to pdf-extract; it needs no C
//! library linked into Millwright; and with `poppler-data` installed it reads
//! the predefined Chinese and Japanese CMaps (`GBK-EUC-H`, `UniJIS-UCS2-H`,
//! `90ms-RKSJ-H`) that pdf-extract panics on. Layout mode keeps a table row on
//! one line, its values beside the label they belong to.

use std::path::Path;
use std::time::Duration;

use super::child::{self, os, Failure};
use super::MAX_TEXT_BYTES;

pub enum PopplerError {
    /// `pdftotext` is not installed.
    Missing,
    /// The PDF needs a password.
    Encrypted,
    /// Poppler cannot read it, timed out or crashed: worth the fallback.
    Failed(String),
}

/// Text of every page, in order (page `i + 1` is `pages[i]`), and whether the
/// text was cut at [`MAX_TEXT_BYTES`].
pub fn pages(path: &Path, limit: Duration) -> Result<(Vec<String>, bool), PopplerError> {
    let args = [
        os("-layout"),
        os("-enc"),
        os("UTF-8"),
        path.as_os_str(),
        os("-"),
    ];
    let out = match child::run("pdftotext", &args, None, limit, MAX_TEXT_BYTES as u64, &[]) {
        Ok(o) => o,
        Err(Failure::Missing) => return Err(PopplerError::Missing),
        Err(Failure::TimedOut(d)) => {
            return Err(PopplerError::Failed(format!(
                "pdftotext did not finish within {} s",
                d.as_secs()
            )))
        }
        Err(Failure::Broken(e)) => return Err(PopplerError::Failed(e)),
    };
    if !out.status.success() {
        let err = out.stderr.to_ascii_lowercase();
        if err.contains("incorrect password") || out.status.code() == Some(3) {
            return Err(PopplerError::Encrypted);
        }
        return Err(PopplerError::Failed(format!(
            "pdftotext exited with status {}{}",
            out.status.code().unwrap_or(-1),
            child::tail(&out.stderr)
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // Every page ends with a form feed; what follows the last one is nothing.
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    if !out.truncated {
        pages.pop();
    }
    Ok((pages, out.truncated))
}
