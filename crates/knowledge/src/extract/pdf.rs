//! PDF: poppler's `pdftotext` for the whole document; pdf-extract, then
//! lopdf's own text extraction, for a page poppler gives nothing for (and for
//! every page when poppler is missing or fails); OCR for a page that still has
//! no text but draws images (a scan). A page keeps its number throughout.

use std::path::Path;
use std::time::Duration;

use pdf_extract::{Document, PlainTextOutput};

use super::poppler::{self, PopplerError};
use super::{guarded, ocr, tidy, ExtractOptions, Extracted, Kind, Section};

const PASSWORD: &str = "the PDF is encrypted with a password; save an unprotected copy";

/// Poppler's time for one document, shorter than the supervisor's for the
/// file so that the fallback still has time when poppler hangs.
fn poppler_limit(bytes: u64) -> Duration {
    Duration::from_secs(30) + Duration::from_secs(2) * (bytes >> 20) as u32
}

pub fn extract(
    path: &Path,
    opts: &ExtractOptions,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Extracted, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read: {e}"))?
        .len();
    let mut read = Read::default();
    let poppler = if opts.fallback {
        None
    } else {
        by_poppler(path, opts, size, &mut read)?
    };
    let wanting = match &poppler {
        Some(texts) => read.take(texts),
        None => Vec::new(),
    };
    if poppler.is_none() || !wanting.is_empty() {
        by_pdf_extract(path, opts, poppler.as_ref().map(|_| wanting), &mut read)?;
    }
    let ocr = by_ocr(path, opts, &mut read, progress);
    read.empty.retain(|n| !ocr.read.contains(n));
    read.sections.sort_by_key(|s| s.page);
    if read.sections.is_empty() {
        return Err(nothing_read(&read, &ocr, opts));
    }
    let notes = notes(&read, &ocr, opts);
    read.notes.extend(notes);
    Ok(Extracted {
        kind: Kind::Pdf,
        pages: Some(read.pages.unwrap_or(0)),
        sections: read.sections,
        notes: read.notes,
    })
}

/// What the phases have read so far.
#[derive(Default)]
struct Read {
    sections: Vec<Section>,
    notes: Vec<String>,
    /// Pages in the document, once a phase knows.
    pages: Option<u32>,
    /// Pages without text that draw images: OCR's work.
    images_on: Vec<u32>,
    /// Pages without text.
    empty: Vec<u32>,
    /// Pages whose text came from lopdf's extractor.
    by_fallback: Vec<u32>,
    /// What pdf-extract failed with, by page.
    primary_errors: Vec<String>,
}

impl Read {
    /// Takes poppler's page texts; returns the pages it gave nothing for.
    fn take(&mut self, texts: &[String]) -> Vec<u32> {
        self.pages = Some(texts.len() as u32);
        let mut wanting = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            let n = i as u32 + 1;
            let text = dehyphenate(&tidy(t));
            if text.trim().is_empty() {
                wanting.push(n);
            } else {
                self.sections.push(page_section(n, text, None));
            }
        }
        wanting
    }
}

/// Poppler's text per page; `None` when it is missing or failed (noted).
fn by_poppler(
    path: &Path,
    opts: &ExtractOptions,
    size: u64,
    read: &mut Read,
) -> Result<Option<Vec<String>>, String> {
    let limit = opts.poppler_limit.unwrap_or_else(|| poppler_limit(size));
    match poppler::pages(path, limit) {
        Ok((pages, truncated)) => {
            if truncated {
                read.notes.push(format!(
                    "only the first {} MiB of text were indexed",
                    super::MAX_TEXT_BYTES >> 20
                ));
            }
            Ok(Some(pages))
        }
        Err(PopplerError::Encrypted) => Err(PASSWORD.into()),
        Err(PopplerError::Missing) => {
            read.notes.push(
                "poppler's pdftotext is not installed, so pdf-extract read this file (it gives no text for many Chinese and Japanese PDFs); install poppler-utils and poppler-data (`cargo xtask setup` does)".into(),
            );
            Ok(None)
        }
        Err(PopplerError::Failed(e)) => {
            read.notes
                .push(format!("poppler failed ({e}); pdf-extract read this file"));
            Ok(None)
        }
    }
}

/// pdf-extract, then lopdf's extractor, for the pages poppler gave nothing
/// for (`wanting`), or for every page when poppler did not run (`None`).
fn by_pdf_extract(
    path: &Path,
    opts: &ExtractOptions,
    wanting: Option<Vec<u32>>,
    read: &mut Read,
) -> Result<(), String> {
    let (doc, wanting) = match (load(path), wanting) {
        (Ok(doc), wanting) => (doc, wanting),
        // Poppler read it and lopdf cannot: every empty page may be a scan.
        (Err(_), Some(wanting)) => {
            read.images_on.clone_from(&wanting);
            read.empty = wanting;
            return Ok(());
        }
        (Err(e), None) => return Err(e),
    };
    let pages = guarded("the PDF parser", || doc.get_pages())?;
    read.pages.get_or_insert(pages.len() as u32);
    let todo: Vec<u32> = wanting.unwrap_or_else(|| pages.keys().copied().collect());
    for n in todo {
        let Some(&id) = pages.get(&n) else {
            read.empty.push(n);
            continue;
        };
        let mut text = String::new();
        if !opts.fallback {
            match guarded("pdf-extract", || primary(&doc, n)) {
                Ok(Ok(t)) => text = t,
                Ok(Err(e)) | Err(e) => read.primary_errors.push(format!("page {n}: {e}")),
            }
        }
        if text.trim().is_empty() {
            if let Ok(Ok(t)) = guarded("lopdf", || doc.extract_text(&[n])) {
                if !t.trim().is_empty() {
                    text = t;
                    read.by_fallback.push(n);
                }
            }
        }
        let text = dehyphenate(&tidy(&text));
        if !text.trim().is_empty() {
            read.sections.push(page_section(n, text, None));
            continue;
        }
        let images = guarded("lopdf", || doc.get_page_images(id).map(|v| v.len()))
            .ok()
            .and_then(|r| r.ok())
            .unwrap_or(0);
        if images > 0 {
            read.images_on.push(n);
        }
        read.empty.push(n);
    }
    Ok(())
}

/// What OCR did.
#[derive(Default)]
struct Ocred {
    /// Pages it read text from.
    read: Vec<u32>,
    confidence_sum: f32,
    failed: Vec<String>,
    /// Why it could not run (Tesseract or its languages missing).
    unavailable: Option<String>,
}

/// OCR for the pages that draw images and have no text.
fn by_ocr(
    path: &Path,
    opts: &ExtractOptions,
    read: &mut Read,
    progress: &mut dyn FnMut(u32, u32),
) -> Ocred {
    let mut out = Ocred::default();
    if !opts.ocr || read.images_on.is_empty() {
        return out;
    }
    if let Err(e) = ocr::languages() {
        out.unavailable = Some(e);
        return out;
    }
    let total = read.images_on.len() as u32;
    for (i, &n) in read.images_on.iter().enumerate() {
        progress(i as u32 + 1, total);
        match ocr::pdf_page(path, n) {
            Ok(t) if !t.text.trim().is_empty() => {
                out.confidence_sum += t.confidence;
                out.read.push(n);
                read.sections
                    .push(page_section(n, tidy(&t.text), Some(t.confidence)));
            }
            Ok(_) => {}
            Err(e) => out.failed.push(format!("page {n}: {e}")),
        }
    }
    out
}

/// Why no page gave text, as the error the user sees.
fn nothing_read(read: &Read, ocr: &Ocred, opts: &ExtractOptions) -> String {
    let scans = read.images_on.len();
    let pages_n = read.pages.unwrap_or(0);
    if scans > 0 && !opts.ocr {
        format!("needs OCR: no text layer ({scans} of {pages_n} pages are images only); OCR is turned off in the settings")
    } else if let Some(e) = &ocr.unavailable {
        format!("needs OCR: no text layer ({scans} of {pages_n} pages are images only), and {e}")
    } else if let Some(e) = ocr.failed.first() {
        format!(
            "no text layer, and OCR failed on {} of {scans} pages (first: {e})",
            ocr.failed.len()
        )
    } else if scans > 0 {
        format!("no text found: OCR read nothing on the {scans} of {pages_n} pages that are images only")
    } else if let Some(e) = read.primary_errors.first() {
        format!("no text could be extracted ({e})")
    } else {
        "no text found in the PDF".into()
    }
}

/// The notes on how the pages were read, after the phases' own.
fn notes(read: &Read, ocr: &Ocred, opts: &ExtractOptions) -> Vec<String> {
    let mut notes = Vec::new();
    if !read.by_fallback.is_empty() && !opts.fallback {
        let why = read
            .primary_errors
            .first()
            .map(|e| format!(" (first error: {e})"))
            .unwrap_or_default();
        notes.push(format!(
            "pdf-extract found no text on {}{why}; lopdf's extractor was used",
            pages_list(&read.by_fallback)
        ));
    }
    if opts.fallback {
        notes.push("text from lopdf's extractor (pdf-extract failed on this file)".into());
    }
    if !ocr.read.is_empty() {
        notes.push(format!(
            "{} read by OCR (mean confidence {:.0} %)",
            pages_list(&ocr.read),
            ocr.confidence_sum / ocr.read.len() as f32
        ));
    }
    if !ocr.failed.is_empty() {
        notes.push(format!(
            "OCR failed on {} (first: {})",
            if ocr.failed.len() == 1 {
                "1 page".to_owned()
            } else {
                format!("{} pages", ocr.failed.len())
            },
            ocr.failed[0]
        ));
    }
    if !read.empty.is_empty() {
        let scans = read
            .images_on
            .iter()
            .filter(|n| read.empty.contains(n))
            .count();
        let why = match (scans, opts.ocr, &ocr.unavailable) {
            (0, _, _) => String::new(),
            (_, false, _) => format!(" ({scans} are images only; OCR is turned off)"),
            (_, true, Some(e)) => format!(" ({scans} are images only, and {e})"),
            (_, true, None) => format!(" ({scans} are images only)"),
        };
        notes.push(format!("no text on {}{why}", pages_list(&read.empty)));
    }
    notes
}

fn page_section(n: u32, text: String, ocr: Option<f32>) -> Section {
    Section {
        page: Some(n),
        text: text.trim_end().to_owned(),
        ocr,
        ..Section::default()
    }
}

fn load(path: &Path) -> Result<Document, String> {
    let bytes = super::read(path)?;
    let mut doc = guarded("the PDF parser", || Document::load_mem(&bytes))?
        .map_err(|e| format!("not a readable PDF: {e}"))?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(PASSWORD.into());
    }
    Ok(doc)
}

fn primary(doc: &Document, page: u32) -> Result<String, String> {
    let mut s = String::new();
    {
        let mut output = PlainTextOutput::new(&mut s);
        pdf_extract::output_doc_page(doc, &mut output, page).map_err(|e| e.to_string())?;
    }
    Ok(s)
}

fn pages_list(pages: &[u32]) -> String {
    let shown: Vec<String> = pages.iter().take(10).map(u32::to_string).collect();
    let more = if pages.len() > 10 {
        format!(" and {} more", pages.len() - 10)
    } else {
        String::new()
    };
    let word = if pages.len() == 1 { "page" } else { "pages" };
    format!("{word} {}{more}", shown.join(", "))
}
/// Joins words hyphenated across lines (`Ein-` / `gangswert`), which would
/// otherwise be two unsearchable halves. Only before a lower-case letter, so
/// `Mess- und` keeps its hyphen unless it was broken exactly there.
fn dehyphenate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        let next_lower = lines
            .peek()
            .and_then(|l| l.chars().next())
            .is_some_and(char::is_lowercase);
        let broken = line.len() > 2
            && line.ends_with('-')
            && line[..line.len() - 1]
                .chars()
                .next_back()
                .is_some_and(char::is_lowercase);
        if broken && next_lower {
            out.push_str(&line[..line.len() - 1]);
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
