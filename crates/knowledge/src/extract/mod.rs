//! Text out of documents, with provenance: each [`Section`] knows its page (PDF),
//! sheet and rows (spreadsheets) or heading path (Markdown, DOCX, HTML, ST).
//!
//! These functions run inside the extraction worker ([`crate::isolate`]), never
//! in the process that holds the index: third-party parsers panic, hang and
//! allocate without bound on hostile files.

mod child;
mod docx;
mod markup;
pub mod ocr;
mod pdf;
mod poppler;
mod sheet;
mod text;

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Most text kept from one document; the rest is dropped with a note, so one
/// huge log file cannot exhaust the indexer's memory.
pub const MAX_TEXT_BYTES: usize = 64 << 20;

/// The formats the knowledge base reads, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Pdf,
    Docx,
    Markdown,
    Text,
    Html,
    Csv,
    Xlsx,
    St,
    /// A picture of a page (a scan or photo), read by OCR.
    Image,
}

impl Kind {
    pub fn of(path: &Path) -> Option<Kind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "pdf" => Kind::Pdf,
            "docx" => Kind::Docx,
            "md" | "markdown" => Kind::Markdown,
            "txt" | "text" | "log" => Kind::Text,
            "html" | "htm" | "xhtml" => Kind::Html,
            "csv" | "tsv" => Kind::Csv,
            "xlsx" | "xlsm" | "xls" | "ods" => Kind::Xlsx,
            "st" | "exp" | "tcpou" | "tcgvl" | "tcdut" => Kind::St,
            "png" | "jpg" | "jpeg" | "tif" | "tiff" | "bmp" => Kind::Image,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Docx => "docx",
            Kind::Markdown => "markdown",
            Kind::Text => "text",
            Kind::Html => "html",
            Kind::Csv => "csv",
            Kind::Xlsx => "xlsx",
            Kind::St => "st",
            Kind::Image => "image",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        [
            Kind::Pdf,
            Kind::Docx,
            Kind::Markdown,
            Kind::Text,
            Kind::Html,
            Kind::Csv,
            Kind::Xlsx,
            Kind::St,
            Kind::Image,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// A stretch of text with one provenance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Section {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sheet: Option<String>,
    /// First and last spreadsheet row, 1-based as the spreadsheet shows them.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rows: Option<(u32, u32)>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub heading: Vec<String>,
    /// Read by OCR, with Tesseract's mean word confidence (0–100).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ocr: Option<f32>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    pub kind: Kind,
    /// Pages in the document (PDF only).
    pub pages: Option<u32>,
    pub sections: Vec<Section>,
    /// What the user should know: pages without text, a fallback used, text cut.
    pub notes: Vec<String>,
}

impl Extracted {
    pub fn chars(&self) -> usize {
        self.sections.iter().map(|s| s.text.chars().count()).sum()
    }
}

/// How to extract one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractOptions {
    /// Only the second PDF extractor (the supervisor's retry after the first
    /// one crashed or hung on this file).
    pub fallback: bool,
    /// Read pages without text, and images, by OCR.
    pub ocr: bool,
    /// Time for poppler on the whole file (default: 30 s plus 2 s per MiB);
    /// the supervisor gives it part of the file's time, so that pdf-extract
    /// can still read the file after a poppler hang.
    #[serde(default)]
    pub poppler_limit: Option<std::time::Duration>,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            fallback: false,
            ocr: true,
            poppler_limit: None,
        }
    }
}

/// Extracts one file with OCR on; `fallback` as in [`ExtractOptions`].
pub fn extract_file(path: &Path, fallback: bool) -> Result<Extracted, String> {
    let opts = ExtractOptions {
        fallback,
        ..ExtractOptions::default()
    };
    extract_with(path, &opts, &mut |_, _| {})
}

/// Extracts one file; `progress(i, n)` is called before the `i`-th of `n`
/// pages read by OCR.
pub fn extract_with(
    path: &Path,
    opts: &ExtractOptions,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Extracted, String> {
    let kind = Kind::of(path).ok_or_else(|| "not a format the knowledge base reads".to_owned())?;
    let mut out = match kind {
        Kind::Pdf => pdf::extract(path, opts, progress)?,
        Kind::Image => image(path, opts, progress)?,
        _ => {
            let bytes = read(path)?;
            match kind {
                Kind::Docx => docx::extract(&bytes)?,
                Kind::Markdown => markup::markdown(&text::decode(&bytes)),
                Kind::Html => markup::html(&text::decode(&bytes)),
                Kind::Text => text::plain(&text::decode(&bytes)),
                Kind::St => text::structured_text(path, &bytes)?,
                Kind::Csv => sheet::csv(&text::decode(&bytes), path)?,
                Kind::Xlsx => sheet::workbook(bytes)?,
                Kind::Pdf | Kind::Image => unreachable!("handled above"),
            }
        }
    };
    out.sections.retain(|s| !s.text.trim().is_empty());
    cap(&mut out);
    if out.sections.is_empty() && kind != Kind::Pdf {
        return Err("no text found in the file".into());
    }
    Ok(out)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::OutOfMemory => {
            "too large to read within the extractor's memory limit".to_owned()
        }
        _ => format!("cannot read: {e}"),
    })
}

/// An image file: every page it holds (one, or a multi-page TIFF's) by OCR.
fn image(
    path: &Path,
    opts: &ExtractOptions,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Extracted, String> {
    if !opts.ocr {
        return Err("an image is read by OCR, which is turned off in the settings".into());
    }
    std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    progress(1, 1);
    let pages = ocr::image(path).map_err(|e| format!("OCR failed: {e}"))?;
    let many = pages.len() > 1;
    let sections: Vec<Section> = pages
        .iter()
        .filter(|(_, t)| !t.text.trim().is_empty())
        .map(|(n, t)| Section {
            page: many.then_some(*n),
            text: tidy(&t.text).trim_end().to_owned(),
            ocr: Some(t.confidence),
            ..Section::default()
        })
        .collect();
    if sections.is_empty() {
        return Err("no text found: OCR read nothing in the image".into());
    }
    let conf = sections.iter().filter_map(|s| s.ocr).sum::<f32>() / sections.len() as f32;
    Ok(Extracted {
        kind: Kind::Image,
        pages: many.then_some(pages.len() as u32),
        sections,
        notes: vec![format!("read by OCR (mean confidence {conf:.0} %)")],
    })
}

/// The programs extraction uses beyond its own parsers, and what is missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readers {
    /// `pdftotext` (poppler), first for PDF text.
    pub poppler: bool,
    /// Tesseract, for scanned pages and images.
    pub tesseract: bool,
    /// The OCR languages installed, of English, German and Chinese.
    pub ocr_languages: Vec<String>,
    /// What the user loses, and what to install, for each one missing.
    pub missing: Vec<String>,
}

/// Looks for poppler and Tesseract (each a quick `--version`-like run).
pub fn readers() -> Readers {
    let found = |program: &str, arg: &str| {
        std::process::Command::new(program)
            .arg(arg)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok()
    };
    let poppler = found("pdftotext", "-v");
    let tesseract = found("tesseract", "--version");
    let languages = if tesseract {
        ocr::languages()
    } else {
        Err(String::new())
    };
    let mut missing = Vec::new();
    if !poppler {
        missing.push("poppler's pdftotext is not installed: PDFs are read by pdf-extract, which gives no text for many Chinese and Japanese PDFs; install poppler-utils and poppler-data (`cargo xtask setup` does)".to_owned());
    }
    if !tesseract {
        missing.push("Tesseract is not installed: scanned pages and images cannot be read; install tesseract-ocr with tesseract-ocr-eng, -deu and -chi-sim (`cargo xtask setup` does)".to_owned());
    } else if let Err(e) = &languages {
        missing.push(e.clone());
    }
    Readers {
        poppler,
        tesseract,
        ocr_languages: languages
            .map(|l| l.split('+').map(str::to_owned).collect())
            .unwrap_or_default(),
        missing,
    }
}

fn cap(out: &mut Extracted) {
    let mut total = 0usize;
    let before = out.sections.len();
    out.sections.retain(|s| {
        total += s.text.len();
        total <= MAX_TEXT_BYTES
    });
    if out.sections.len() < before {
        out.notes.push(format!(
            "only the first {} MiB of text were indexed",
            MAX_TEXT_BYTES >> 20
        ));
    }
}

/// Tidies extracted text: trailing spaces, runs of spaces, more than one blank line.
pub fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(&line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

thread_local! {
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Installs a panic hook that records the message for [`guarded`] instead of
/// printing it (the worker reports it as the file's error).
pub fn record_panics() {
    std::panic::set_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "unknown panic".to_owned()
        };
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{msg}{at}")));
    }));
}

/// Runs a third-party parser, turning its panic into an error.
pub(crate) fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| {
        let msg = LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| "no message".into());
        format!("{what} panicked: {msg}")
    })
}
