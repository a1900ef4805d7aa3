//! Sentences of a passage, for quoting it verbatim: English and German prose
//! split at `.`, `!` and `?` (not after abbreviations, initials or German
//! ordinals), Chinese at `。！？；`; headings, list items and table rows are
//! units of their own, so a table is quoted by its rows.

/// One sentence: its text with line breaks and runs of spaces made one
/// space, and where it lies in the passage (character offsets, end exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub text: String,
    pub start: usize,
    pub end: usize,
    /// A row of a table (its first row is the table's header).
    pub table_row: bool,
}

/// Words a `.` ends without ending the sentence (lower-case, without the dot).
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "approx", "fig", "figs", "no", "nos", "vs", "cf", "min", "max", "resp",
    "incl", "approx", "ref", "sec", "ch", "vol", "pp", "p", "z.b", "d.h", "u.a", "usw", "bzw",
    "ca", "nr", "vgl", "ggf", "inkl", "evtl", "bzgl", "s.o", "s.u", "abb", "tab", "kap", "dr",
    "mr", "mrs", "ms", "prof", "st",
];

/// Chinese punctuation that always ends a sentence.
fn ends_cjk(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；')
}

/// Closing quotes and brackets that belong to the sentence they follow.
fn closes(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | ')' | ']' | '”' | '’' | '」' | '』' | '）' | '》'
    )
}

/// A line that stands alone: a Markdown heading, a list item or a table row.
fn is_unit_line(line: &str) -> bool {
    let t = line.trim_start();
    if is_whole_line(line) || t.starts_with("- ") || t.starts_with("* ") || t.starts_with("• ") {
        return true;
    }
    // `1. Step`, `a) Step`, `(2) Step`
    let head: String = t.chars().take_while(|c| !c.is_whitespace()).collect();
    let marker = head.trim_start_matches('(');
    let body = marker.trim_end_matches(['.', ')']);
    head.len() > body.len()
        && t.len() > head.len()
        && !body.is_empty()
        && body.len() <= 3
        && (body.chars().all(|c| c.is_ascii_digit())
            || (body.len() == 1 && body.chars().all(|c| c.is_ascii_lowercase())))
}

/// Whether a paragraph is open and its last line has not ended a sentence
/// (the next line goes on with it, however short).
fn in_prose(chars: &[char], para: Option<(usize, usize)>) -> bool {
    para.is_some_and(|(a, b)| {
        chars[a..b]
            .iter()
            .rev()
            .find(|c| !c.is_whitespace())
            .is_some_and(|c| !matches!(c, '.' | '!' | '?' | ':'))
    })
}

/// A line of a few words whose next line does not go on in lower case: an
/// entry of a definition list as PDFs lay them out (`Input X : REAL`), not a
/// line of wrapped prose, which fills the width.
fn is_short_line(line: &str, next: Option<&str>) -> bool {
    let t = line.trim();
    let continues = next
        .and_then(|n| n.trim_start().chars().next())
        .is_some_and(|c| c.is_lowercase());
    // A declaration (`K : REAL (Temperatur nach Kelvin Skala)`) may be longer.
    let words = t.split_whitespace().count();
    (words <= 6 || (t.contains(" : ") && words <= 12))
        && !t.chars().any(crate::tokenize::is_han)
        && !t.ends_with(['-', ',', '('])
        && !continues
}

/// Whether a line is a table row or a heading: kept whole, never split.
fn is_whole_line(line: &str) -> bool {
    line.trim_start().starts_with('#') || is_table_row(line)
}

/// Cells between `|`, tab-separated, or columns laid out with runs of spaces
/// (text extracted from a PDF table).
fn is_table_row(line: &str) -> bool {
    let t = line.trim_start();
    t.matches('|').count() >= 2
        || t.contains('\t')
        || t.trim_end()
            .split("   ")
            .filter(|c| !c.trim().is_empty())
            .count()
            >= 3
}

/// The sentences of `text`, in order.
pub fn sentences(text: &str) -> Vec<Sentence> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    // Lines as character ranges.
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, &c) in chars.iter().enumerate() {
        if c == '\n' {
            lines.push((start, i));
            start = i + 1;
        }
    }
    lines.push((start, chars.len()));
    let mut para: Option<(usize, usize)> = None;
    let texts: Vec<String> = lines
        .iter()
        .map(|&(a, b)| chars[a..b].iter().collect())
        .collect();
    let flush = |para: &mut Option<(usize, usize)>, out: &mut Vec<Sentence>| {
        if let Some((a, b)) = para.take() {
            split_prose(&chars, a, b, out);
        }
    };
    for (i, &(a, b)) in lines.iter().enumerate() {
        let line = &texts[i];
        let next = texts.get(i + 1).map(String::as_str);
        if line.trim().is_empty() {
            flush(&mut para, &mut out);
        } else if is_unit_line(line) || (is_short_line(line, next) && !in_prose(&chars, para)) {
            flush(&mut para, &mut out);
            if is_whole_line(line) {
                push(&chars, a, b, &mut out);
                if is_table_row(line) {
                    if let Some(last) = out.last_mut().filter(|s| s.start >= a) {
                        last.table_row = true;
                    }
                }
            } else {
                split_prose(&chars, a, b, &mut out);
            }
        } else {
            para = Some(para.map_or((a, b), |(pa, _)| (pa, b)));
        }
    }
    flush(&mut para, &mut out);
    out
}

/// Adds `chars[a..b]`, trimmed and with whitespace runs made one space.
fn push(chars: &[char], mut a: usize, mut b: usize, out: &mut Vec<Sentence>) {
    while a < b && chars[a].is_whitespace() {
        a += 1;
    }
    while b > a && chars[b - 1].is_whitespace() {
        b -= 1;
    }
    if a == b {
        return;
    }
    let mut text = String::new();
    let mut space = false;
    for &c in &chars[a..b] {
        if c.is_whitespace() {
            space = true;
        } else {
            if space {
                text.push(' ');
                space = false;
            }
            text.push(c);
        }
    }
    if text.chars().any(char::is_alphanumeric) {
        out.push(Sentence {
            text,
            start: a,
            end: b,
            table_row: false,
        });
    }
}

fn split_prose(chars: &[char], a: usize, b: usize, out: &mut Vec<Sentence>) {
    let mut from = a;
    let mut i = a;
    while i < b {
        let c = chars[i];
        let ends = ends_cjk(c) || (matches!(c, '.' | '!' | '?') && ends_latin(chars, a, b, i));
        if ends {
            let mut e = i + 1;
            while e < b && closes(chars[e]) {
                e += 1;
            }
            push(chars, from, e, out);
            from = e;
            i = e;
        } else {
            i += 1;
        }
    }
    push(chars, from, b, out);
}

/// Whether the `.`, `!` or `?` at `i` ends a sentence: whitespace (or the
/// end) follows, then something a sentence starts with; for `.`, the word
/// before is no abbreviation, initial or ordinal.
fn ends_latin(chars: &[char], a: usize, b: usize, i: usize) -> bool {
    let mut j = i + 1;
    while j < b && closes(chars[j]) {
        j += 1;
    }
    if j == b {
        return true;
    }
    if !chars[j].is_whitespace() {
        return false;
    }
    while j < b && chars[j].is_whitespace() {
        j += 1;
    }
    if j == b {
        return true;
    }
    let next = chars[j];
    let starts = next.is_uppercase()
        || next.is_ascii_digit()
        || crate::tokenize::is_han(next)
        || matches!(next, '(' | '"' | '“' | '„' | '\'' | '[');
    if !starts {
        return false;
    }
    if chars[i] != '.' {
        return true;
    }
    let mut w = i;
    while w > a && !chars[w - 1].is_whitespace() && !matches!(chars[w - 1], '(' | '[' | '"') {
        w -= 1;
    }
    let word: String = chars[w..i].iter().collect::<String>().to_lowercase();
    if ABBREVIATIONS.contains(&word.as_str()) {
        return false;
    }
    let letters: Vec<char> = chars[w..i].to_vec();
    // An initial: `J. Smith`.
    if letters.len() == 1 && letters[0].is_uppercase() {
        return false;
    }
    // A German ordinal before a word: `die 3. Stufe`.
    if (1..=2).contains(&letters.len())
        && letters.iter().all(char::is_ascii_digit)
        && next.is_alphabetic()
    {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(t: &str) -> Vec<String> {
        sentences(t).into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn english_prose_splits_at_sentence_ends_not_at_abbreviations() {
        assert_eq!(
            texts("The feed pump P-101 stops after 10 s without flow. Restart needs a reset, e.g. at the panel.\nSee Fig. 3 for the wiring! Is it 1.5 mm²? Yes."),
            [
                "The feed pump P-101 stops after 10 s without flow.",
                "Restart needs a reset, e.g. at the panel.",
                "See Fig. 3 for the wiring!",
                "Is it 1.5 mm²?",
                "Yes."
            ]
        );
        assert_eq!(
            texts("Ask J. Smith (the engineer). He knows."),
            ["Ask J. Smith (the engineer).", "He knows."]
        );
    }

    #[test]
    fn german_ordinals_and_abbreviations_stay_inside_the_sentence() {
        assert_eq!(
            texts("Die 3. Stufe schaltet z.B. bei 80 °C zu. Der Ausgang Q wird TRUE, d.h. die Pumpe läuft."),
            [
                "Die 3. Stufe schaltet z.B. bei 80 °C zu.",
                "Der Ausgang Q wird TRUE, d.h. die Pumpe läuft."
            ]
        );
    }

    #[test]
    fn chinese_splits_at_its_own_punctuation() {
        assert_eq!(
            texts("2 号泵的额定流量为 120 m³/h；扬程 32 m。启动前须排气！是否需要复位？需要。"),
            [
                "2 号泵的额定流量为 120 m³/h；",
                "扬程 32 m。",
                "启动前须排气！",
                "是否需要复位？",
                "需要。"
            ]
        );
    }

    #[test]
    fn headings_list_items_and_table_rows_stand_alone() {
        let t = "# Pumps\n## Dry running\nThe pump stops\nafter 10 s.\n- Reset at the panel\n- Check the valve. Then restart.\n1. Open V-12\n| Tag | Setpoint |\n| P-101 | 10 s |\nTag\tValue\nTT-3\t85 °C\n";
        assert_eq!(
            texts(t),
            [
                "# Pumps",
                "## Dry running",
                "The pump stops after 10 s.",
                "- Reset at the panel",
                "- Check the valve.",
                "Then restart.",
                "1. Open V-12",
                "| Tag | Setpoint |",
                "| P-101 | 10 s |",
                "Tag Value",
                "TT-3 85 °C"
            ]
        );
        let rows: Vec<bool> = sentences(t).iter().map(|s| s.table_row).collect();
        assert_eq!(rows.iter().filter(|&&r| r).count(), 4);
        assert!(rows[7] && !rows[6]);
    }

    #[test]
    fn short_lines_of_a_pdf_definition_list_stand_alone() {
        let t = "7.8 LINEAR_INT\n\nType Funktion\nInput X : REAL (Eingangssignal)\nK : REAL (Temperatur nach der Kelvin Skala)\nXY : ARRAY[1..20,0..1] (Wertepaare)\nOutput REAL (Ausgangssignal)\n\nLINEAR_INT ist ein linearer Interpolations Baustein. Eine beliebige Kennlinie wird mit\nmaximal 20 Koordinatenwerten beschrieben.";
        assert_eq!(
            texts(t),
            [
                "7.8 LINEAR_INT",
                "Type Funktion",
                "Input X : REAL (Eingangssignal)",
                "K : REAL (Temperatur nach der Kelvin Skala)",
                "XY : ARRAY[1..20,0..1] (Wertepaare)",
                "Output REAL (Ausgangssignal)",
                "LINEAR_INT ist ein linearer Interpolations Baustein.",
                "Eine beliebige Kennlinie wird mit maximal 20 Koordinatenwerten beschrieben."
            ]
        );
    }

    #[test]
    fn offsets_point_at_the_sentence_in_the_passage() {
        let t = "Intro line.\n\n  Der Sensor misst\n  bis 120 °C. 传感器量程为 0 到 120 °C。";
        let chars: Vec<char> = t.chars().collect();
        for s in sentences(t) {
            let raw: String = chars[s.start..s.end].iter().collect();
            assert_eq!(raw.split_whitespace().collect::<Vec<_>>().join(" "), s.text);
        }
        assert_eq!(sentences(t).len(), 3);
        assert!(sentences("").is_empty() && sentences(" \n -- \n").is_empty());
    }
}
