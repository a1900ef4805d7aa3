//! PDF: `pdf-extract` page by page, `lopdf`'s own text extraction where it
//! fails, panics or finds nothing; pages with images but no text are counted so
//! a scan is reported as needing OCR instead of being indexed empty.

use pdf_extract::{Document, PlainTextOutput};

use super::{guarded, tidy, Extracted, Kind, Section};

pub fn extract(bytes: &[u8], fallback_only: bool) -> Result<Extracted, String> {
    let mut doc = guarded("the PDF parser", || Document::load_mem(bytes))?
        .map_err(|e| format!("not a readable PDF: {e}"))?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err("the PDF is encrypted with a password; save an unprotected copy".into());
    }
    let pages = guarded("the PDF parser", || doc.get_pages())?;
    let mut out = Extracted {
        kind: Kind::Pdf,
        pages: Some(pages.len() as u32),
        sections: Vec::new(),
        notes: Vec::new(),
    };
    let mut by_fallback = Vec::new();
    let mut empty_with_images = 0u32;
    let mut empty = Vec::new();
    let mut primary_errors = Vec::new();
    for (&n, &id) in &pages {
        let mut text = String::new();
        if !fallback_only {
            match guarded("pdf-extract", || primary(&doc, n)) {
                Ok(Ok(t)) => text = t,
                Ok(Err(e)) => primary_errors.push(format!("page {n}: {e}")),
                Err(e) => primary_errors.push(format!("page {n}: {e}")),
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
        if text.trim().is_empty() {
            let images = guarded("lopdf", || doc.get_page_images(id).map(|v| v.len()))
                .ok()
                .and_then(|r| r.ok())
                .unwrap_or(0);
            if images > 0 {
                empty_with_images += 1;
            }
            empty.push(n);
            continue;
        }
        out.sections.push(Section {
            page: Some(n),
            text: text.trim_end().to_owned(),
            ..Section::default()
        });
    }
    if out.sections.is_empty() {
        return Err(if empty_with_images > 0 {
            format!(
                "needs OCR: no text layer ({empty_with_images} of {} pages are images only)",
                pages.len()
            )
        } else if let Some(e) = primary_errors.first() {
            format!("no text could be extracted ({e})")
        } else {
            "no text found in the PDF".into()
        });
    }
    if !by_fallback.is_empty() && !fallback_only {
        let why = primary_errors
            .first()
            .map(|e| format!(" (first error: {e})"))
            .unwrap_or_default();
        out.notes.push(format!(
            "pdf-extract found no text on {}{why}; lopdf's extractor was used",
            pages_list(&by_fallback)
        ));
    }
    if fallback_only {
        out.notes
            .push("text from lopdf's extractor (pdf-extract failed on this file)".into());
    }
    if !empty.is_empty() {
        let scans = if empty_with_images > 0 {
            format!(" ({empty_with_images} are images only and need OCR)")
        } else {
            String::new()
        };
        out.notes
            .push(format!("no text on {}{scans}", pages_list(&empty)));
    }
    Ok(out)
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
