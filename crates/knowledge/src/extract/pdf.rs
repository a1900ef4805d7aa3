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
    let mut notes = Vec::new();
    // Poppler's text per page, when it ran.
    let mut texts: Option<Vec<String>> = None;
    if !opts.fallback {
        let limit = opts.poppler_limit.unwrap_or_else(|| poppler_limit(size));
        match poppler::pages(path, limit) {
            Ok((pages, truncated)) => {
                if truncated {
                    notes.push(format!(
                        "only the first {} MiB of text were indexed",
                        super::MAX_TEXT_BYTES >> 20
                    ));
                }
                texts = Some(pages);
            }
            Err(PopplerError::Encrypted) => return Err(PASSWORD.into()),
            Err(PopplerError::Missing) => notes.push(
                "poppler's pdftotext is not installed, so pdf-extract read this file (it gives no text for many Chinese and Japanese PDFs); install poppler-utils and poppler-data (`cargo xtask setup` does)".into(),
            ),
            Err(PopplerError::Failed(e)) => {
                notes.push(format!("poppler failed ({e}); pdf-extract read this file"))
            }
        }
    }

    let mut sections = Vec::new();
    let mut wanting: Vec<u32> = Vec::new();
    if let Some(pages) = &texts {
        for (i, t) in pages.iter().enumerate() {
            let n = i as u32 + 1;
            let text = dehyphenate(&tidy(t));
            if text.trim().is_empty() {
                wanting.push(n);
            } else {
                sections.push(page_section(n, text, None));
            }
        }
    }

    // pdf-extract and lopdf for what poppler did not give.
    let mut pages_n = texts.as_ref().map(|p| p.len() as u32);
    let mut doc = None;
    let mut load_error = None;
    if texts.is_none() || !wanting.is_empty() {
        match load(path) {
            Ok(d) => doc = Some(d),
            Err(e) => load_error = Some(e),
        }
    }
    let mut images_on: Vec<u32> = Vec::new();
    let mut empty: Vec<u32> = Vec::new();
    let mut by_fallback = Vec::new();
    let mut primary_errors = Vec::new();
    match (&doc, &texts) {
        (Some(doc), _) => {
            let pages = guarded("the PDF parser", || doc.get_pages())?;
            pages_n.get_or_insert(pages.len() as u32);
            let todo: Vec<u32> = if texts.is_some() {
                wanting.clone()
            } else {
                pages.keys().copied().collect()
            };
            for n in todo {
                let Some(&id) = pages.get(&n) else {
                    empty.push(n);
                    continue;
                };
                let mut text = String::new();
                if !opts.fallback {
                    match guarded("pdf-extract", || primary(doc, n)) {
                        Ok(Ok(t)) => text = t,
                        Ok(Err(e)) | Err(e) => primary_errors.push(format!("page {n}: {e}")),
                    }
                }
                if text.trim().is_empty() {
                    if let Ok(Ok(t)) = guarded("lopdf", || doc.extract_text(&[n])) {
                        if !t.trim().is_empty() {
                            text = t;
                            by_fallback.push(n);
                        }
                    }
                }
                let text = dehyphenate(&tidy(&text));
                if !text.trim().is_empty() {
                    sections.push(page_section(n, text, None));
                    continue;
                }
                let images = guarded("lopdf", || doc.get_page_images(id).map(|v| v.len()))
                    .ok()
                    .and_then(|r| r.ok())
                    .unwrap_or(0);
                if images > 0 {
                    images_on.push(n);
                }
                empty.push(n);
            }
        }
        // Poppler read it and lopdf cannot: every empty page may be a scan.
        (None, Some(_)) => {
            images_on = wanting.clone();
            empty = wanting.clone();
        }
        (None, None) => {
            return Err(load_error.unwrap_or_else(|| "not a readable PDF".into()));
        }
    }
    let pages_n = pages_n.unwrap_or(0);

    // OCR for pages that draw images and have no text.
    let mut ocred = Vec::new();
    let mut ocr_conf = 0f32;
    let mut ocr_failed: Vec<String> = Vec::new();
    let mut ocr_unavailable = None;
    if opts.ocr && !images_on.is_empty() {
        match ocr::languages() {
            Err(e) => ocr_unavailable = Some(e),
            Ok(_) => {
                let total = images_on.len() as u32;
                for (i, &n) in images_on.iter().enumerate() {
                    progress(i as u32 + 1, total);
                    match ocr::pdf_page(path, n) {
                        Ok(t) if !t.text.trim().is_empty() => {
                            ocr_conf += t.confidence;
                            ocred.push(n);
                            sections.push(page_section(n, tidy(&t.text), Some(t.confidence)));
                        }
                        Ok(_) => {}
                        Err(e) => ocr_failed.push(format!("page {n}: {e}")),
                    }
                }
            }
        }
    }
    empty.retain(|n| !ocred.contains(n));
    sections.sort_by_key(|s| s.page);

    if sections.is_empty() {
        let scans = images_on.len();
        return Err(if scans > 0 && !opts.ocr {
            format!("needs OCR: no text layer ({scans} of {pages_n} pages are images only); OCR is turned off in the settings")
        } else if let Some(e) = ocr_unavailable {
            format!(
                "needs OCR: no text layer ({scans} of {pages_n} pages are images only), and {e}"
            )
        } else if let Some(e) = ocr_failed.first() {
            format!(
                "no text layer, and OCR failed on {} of {scans} pages (first: {e})",
                ocr_failed.len()
            )
        } else if scans > 0 {
            format!("no text found: OCR read nothing on the {scans} of {pages_n} pages that are images only")
        } else if let Some(e) = primary_errors.first() {
            format!("no text could be extracted ({e})")
        } else {
            "no text found in the PDF".into()
        });
    }
    if !by_fallback.is_empty() && !opts.fallback {
        let why = primary_errors
            .first()
            .map(|e| format!(" (first error: {e})"))
            .unwrap_or_default();
        notes.push(format!(
            "pdf-extract found no text on {}{why}; lopdf's extractor was used",
            pages_list(&by_fallback)
        ));
    }
    if opts.fallback {
        notes.push("text from lopdf's extractor (pdf-extract failed on this file)".into());
    }
    if !ocred.is_empty() {
        notes.push(format!(
            "{} read by OCR (mean confidence {:.0} %)",
            pages_list(&ocred),
            ocr_conf / ocred.len() as f32
        ));
    }
    if !ocr_failed.is_empty() {
        notes.push(format!(
            "OCR failed on {} (first: {})",
            if ocr_failed.len() == 1 {
                "1 page".to_owned()
            } else {
                format!("{} pages", ocr_failed.len())
            },
            ocr_failed[0]
        ));
    }
    if !empty.is_empty() {
        let scans = images_on.iter().filter(|n| empty.contains(n)).count();
        let why = match (scans, opts.ocr, &ocr_unavailable) {
            (0, _, _) => String::new(),
            (_, false, _) => format!(" ({scans} are images only; OCR is turned off)"),
            (_, true, Some(e)) => format!(" ({scans} are images only, and {e})"),
            (_, true, None) => format!(" ({scans} are images only)"),
        };
        notes.push(format!("no text on {}{why}", pages_list(&empty)));
    }
    Ok(Extracted {
        kind: Kind::Pdf,
        pages: Some(pages_n),
        sections,
        notes,
    })
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
