//! Snippets with highlights, measured in characters.
//!
//! tantivy's snippet generator counts bytes, so a Chinese snippet comes out a
//! third of the length of an English one; this one counts characters, and
//! finds matches with the index's own analyzer so what is highlighted is what
//! matched.

use std::collections::HashSet;

use serde::Serialize;

use crate::tokenize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snippet {
    pub text: String,
    /// Highlighted ranges, as character offsets into `text`.
    pub highlights: Vec<(usize, usize)>,
}

impl Snippet {
    /// The snippet with each highlight wrapped in `open`/`close`.
    pub fn marked(&self, open: &str, close: &str) -> String {
        let mut out = String::new();
        let mut pos = 0;
        let chars: Vec<char> = self.text.chars().collect();
        for &(a, b) in &self.highlights {
            out.extend(&chars[pos..a]);
            out.push_str(open);
            out.extend(&chars[a..b]);
            out.push_str(close);
            pos = b;
        }
        out.extend(&chars[pos..]);
        out
    }
}

/// The words of a query as the index sees them (operators and field names aside).
pub fn query_terms(query: &str) -> HashSet<String> {
    let cleaned: String = query
        .split_whitespace()
        .map(|w| {
            let w = w.trim_start_matches(['+', '-']);
            w.split_once(':').map_or(w, |(_, v)| v)
        })
        .collect::<Vec<_>>()
        .join(" ");
    tokenize::tokens(&cleaned)
        .into_iter()
        .map(|(t, _)| t)
        .filter(|t| !matches!(t.as_str(), "and" | "or" | "not"))
        .collect()
}

/// The window of at most `max_chars` characters of `text` holding the most
/// distinct query terms, with each match highlighted.
pub fn snippet(text: &str, terms: &HashSet<String>, max_chars: usize) -> Snippet {
    let hits: Vec<(usize, usize, String)> = tokenize::tokens(text)
        .into_iter()
        .filter(|(t, _)| terms.contains(t))
        .map(|(t, r)| (r.start, r.end, t))
        .collect();
    // char index of every byte offset we need
    let char_at = |byte: usize| text[..byte].chars().count();
    let total = text.chars().count();
    let lead = max_chars / 6;
    let mut best = (0usize, 0usize, 0usize); // (distinct, count, start char)
    for (i, (a, _, _)) in hits.iter().enumerate() {
        let start = char_at(*a).saturating_sub(lead);
        let end = start + max_chars;
        let mut distinct = HashSet::new();
        let mut count = 0;
        for (b, e, t) in &hits[i..] {
            if char_at(*e) > end {
                break;
            }
            let _ = b;
            distinct.insert(t.as_str());
            count += 1;
        }
        let score = (distinct.len(), count);
        if (score.0, score.1) > (best.0, best.1) {
            best = (score.0, score.1, start);
        }
    }
    let mut start = best.2.min(total.saturating_sub(max_chars));
    let chars: Vec<char> = text.chars().collect();
    // Start at a word boundary unless the text is Chinese there.
    while start > 0
        && start < total
        && chars[start - 1].is_alphanumeric()
        && !tokenize::is_han(chars[start - 1])
    {
        start -= 1;
    }
    let end = (start + max_chars).min(total);
    let mut end_cut = end;
    if end < total {
        if let Some(sp) = chars[start..end].iter().rposition(|c| c.is_whitespace()) {
            if sp > max_chars / 2 {
                end_cut = start + sp;
            }
        }
    }
    let body: String = chars[start..end_cut].iter().collect();
    let lead_trim = body.len() - body.trim_start().len();
    let body_trimmed = body.trim();
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end_cut < total { "…" } else { "" };
    let shift = prefix.chars().count() as isize - body[..lead_trim].chars().count() as isize;
    let text_out = format!("{prefix}{}{suffix}", body_trimmed.replace('\n', " "));
    let body_len = body_trimmed.chars().count();
    let mut highlights = Vec::new();
    for (a, e, _) in &hits {
        let (ca, ce) = (char_at(*a), char_at(*e));
        if ca >= start && ce <= end_cut {
            let a = (ca - start) as isize + shift;
            let b = (ce - start) as isize + shift;
            let min = prefix.chars().count() as isize;
            let max = min + body_len as isize;
            if a >= min && b <= max {
                highlights.push((a as usize, b as usize));
            }
        }
    }
    highlights.dedup();
    // Overlapping matches (Chinese sub-words) merge into one highlight.
    let mut merged: Vec<(usize, usize)> = Vec::new();
    highlights.sort();
    for (a, b) in highlights {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    Snippet {
        text: text_out,
        highlights: merged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_snippets_are_counted_in_characters() {
        let text = format!(
            "{}温度传感器的测量范围是零到一百度。{}",
            "前言。".repeat(100),
            "附录。".repeat(100)
        );
        let s = snippet(&text, &query_terms("测量范围"), 40);
        assert!(s.text.chars().count() <= 42, "{}", s.text);
        assert!(s.text.contains("测量范围"), "{}", s.text);
        let marked = s.marked("[", "]");
        assert!(
            marked.contains("[测量]") || marked.contains("[测量范围]"),
            "{marked}"
        );
    }

    #[test]
    fn english_highlight_matches_the_word_in_any_case() {
        let text = "The MOTOR starts when the start button is pressed. Later text follows here.";
        let s = snippet(text, &query_terms("motor button"), 200);
        assert_eq!(
            s.marked("<", ">"),
            "The <MOTOR> starts when the start <button> is pressed. Later text follows here."
        );
    }
}
