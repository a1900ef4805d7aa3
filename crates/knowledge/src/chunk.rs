//! Sections into chunks, the unit of retrieval and citation.
//!
//! A chunk never leaves its section, so it never spans two PDF pages or two
//! headings. Long sections are cut at the best boundary before the size limit
//! (blank line, then line end, then sentence end — `.`, `。`, `！`, `？` — then a
//! space), and the next chunk repeats the last `overlap` characters so a fact
//! cut in two is whole in one of them. The defaults were chosen by the
//! retrieval evaluation (BENCHMARKS.md).

use crate::extract::Section;

#[derive(Debug, Clone, Copy)]
pub struct ChunkParams {
    /// Most characters in a chunk.
    pub max_chars: usize,
    /// Characters repeated from the end of the previous chunk.
    pub overlap: usize,
}

impl Default for ChunkParams {
    fn default() -> Self {
        ChunkParams {
            max_chars: 1000,
            overlap: 150,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub page: Option<u32>,
    pub sheet: Option<String>,
    pub rows: Option<(u32, u32)>,
    /// Heading path, joined with " › ".
    pub heading: String,
    /// Read by OCR, with the recognizer's mean confidence (0–100).
    pub ocr: Option<f32>,
    pub text: String,
}

pub fn chunk(sections: &[Section], p: ChunkParams) -> Vec<Chunk> {
    let max = p.max_chars.max(50);
    let overlap = p.overlap.min(max / 2);
    let mut out = Vec::new();
    for s in sections {
        let heading = s.heading.join(" › ");
        for text in split(&s.text, max, overlap) {
            out.push(Chunk {
                page: s.page,
                sheet: s.sheet.clone(),
                rows: s.rows,
                heading: heading.clone(),
                ocr: s.ocr,
                text,
            });
        }
    }
    out
}

/// Splits `text` into pieces of at most `max` characters.
fn split(text: &str, max: usize, overlap: usize) -> Vec<String> {
    let text = text.trim();
    // Byte offset of every char boundary, so limits count characters.
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    let chars = bounds.len() - 1;
    if chars <= max {
        return if text.is_empty() {
            Vec::new()
        } else {
            vec![text.to_owned()]
        };
    }
    let mut out = Vec::new();
    let mut start = 0usize; // in chars
    while start < chars {
        let hard_end = (start + max).min(chars);
        let end = if hard_end == chars {
            chars
        } else {
            best_cut(text, &bounds, start + max / 2, hard_end)
        };
        let piece = text[bounds[start]..bounds[end]].trim();
        if !piece.is_empty() {
            out.push(piece.to_owned());
        }
        if end == chars {
            break;
        }
        // Step back by the overlap, to a word start, but always move forward.
        let mut next = end.saturating_sub(overlap).max(start + 1);
        while next < end && !text[bounds[next - 1]..bounds[next]].starts_with(char::is_whitespace) {
            next += 1;
        }
        start = next;
    }
    out
}

/// The best place (a char index in `lo..=hi`) to end a piece: the last blank
/// line, else line end, else sentence end, else space, else `hi`.
fn best_cut(text: &str, bounds: &[usize], lo: usize, hi: usize) -> usize {
    let window = &text[bounds[lo]..bounds[hi]];
    let to_char = |byte: usize| lo + window[..byte].chars().count();
    if let Some(i) = window.rfind("\n\n") {
        return to_char(i + 2);
    }
    if let Some(i) = window.rfind('\n') {
        return to_char(i + 1);
    }
    if let Some((i, c)) = window
        .char_indices()
        .rev()
        .find(|(_, c)| matches!(c, '。' | '！' | '？' | '；'))
    {
        return to_char(i + c.len_utf8());
    }
    if let Some(i) = window.rfind(". ") {
        return to_char(i + 2);
    }
    if let Some(i) = window.rfind(' ') {
        return to_char(i + 1);
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_respect_the_limit_and_overlap() {
        let text = "Der Motor startet. ".repeat(200);
        let pieces = split(&text, 300, 50);
        assert!(pieces.len() > 5);
        for p in &pieces {
            assert!(p.chars().count() <= 300, "{}", p.chars().count());
        }
        // the next piece starts inside the previous one (the overlap)
        let head: String = pieces[1].chars().take(30).collect();
        let tail_start = pieces[0].len() - 60;
        assert!(
            pieces[0][tail_start..].contains(&head),
            "{head:?} / {:?}",
            pieces[0]
        );
    }

    #[test]
    fn chinese_counts_characters_and_cuts_at_sentence_ends() {
        let text = "电机启动时检查联锁条件。".repeat(100);
        let pieces = split(&text, 100, 20);
        for p in &pieces {
            assert!(p.chars().count() <= 100);
            assert!(p.ends_with('。'), "{p}");
        }
        assert!(pieces.len() >= 12);
    }

    #[test]
    fn a_chunk_never_spans_two_sections() {
        let sections = vec![
            Section {
                page: Some(1),
                text: "a ".repeat(10),
                ..Section::default()
            },
            Section {
                page: Some(2),
                text: "b ".repeat(10),
                ..Section::default()
            },
        ];
        let c = chunk(&sections, ChunkParams::default());
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].page, c[1].page), (Some(1), Some(2)));
    }
}
