//! What an answer may state: the sentences of the passages that answer the
//! question, quoted verbatim, and the numbers and names those passages hold.
//!
//! Quotes are chosen by lexical evidence: the share of the question's content
//! words (as the coverage measure counts them, inflected forms and Chinese
//! words included) a sentence contains, longer and numeric words weighing
//! more. A sentence of the model's own is *supported* when every number (with
//! its unit) and every identifier-like name in it occurs in a passage.

use std::collections::{BTreeSet, HashSet};

use millwright_knowledge::coverage::{contains_form_of, is_stop_word};
use millwright_knowledge::sentences::{sentences, Sentence};
use millwright_knowledge::snippet::query_terms;
use millwright_knowledge::tokenize::{is_han, tokens};
use millwright_knowledge::Hit;
use serde::Serialize;

/// Least share of the question's weight a sentence must hold to be quoted.
pub const MIN_QUOTE_SCORE: f32 = 0.3;
/// Most sentences quoted.
pub const MAX_QUOTES: usize = 3;
/// A quote after the first must score this share of the best one.
const NEAR_BEST: f32 = 0.75;
/// Longer "sentences" are runs of extracted text without an end (a PDF's
/// index, a table flattened into one line): not quotable.
const MAX_SENTENCE_CHARS: usize = 600;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    /// The passage it comes from, as the answer's `[n]`.
    pub n: usize,
    pub text: String,
    /// Where it lies in the passage's text (characters, end exclusive).
    pub start: usize,
    pub end: usize,
    pub score: f32,
    pub citation: String,
    /// The numbered title the sentence stands under in the passage
    /// (`LINEAR_INT` under `7.8 LINEAR_INT`), when the sentence does not name it.
    pub section: Option<String>,
}

/// The name of a numbered title (`7.8 LINEAR_INT`, `13.1 B_TRIG`), as PDF
/// manuals title their sections.
fn numbered_title(sentence: &str) -> Option<String> {
    let mut words = sentence.split_whitespace();
    let number = words.next()?;
    let rest: Vec<&str> = words.collect();
    let numbered = number.chars().any(|c| c.is_ascii_digit())
        && number.chars().all(|c| c.is_ascii_digit() || c == '.');
    // `75 Version 2.72` is a page's footer, not a title.
    let plain_number = |w: &&str| w.chars().all(|c| c.is_ascii_digit() || c == '.');
    (numbered
        && (1..=3).contains(&rest.len())
        && !rest.iter().any(plain_number)
        && !sentence.ends_with(['.', '!', '?', ':']))
    .then(|| rest.join(" "))
}

fn weight(term: &str) -> f32 {
    let len = term.chars().count().clamp(1, 8) as f32;
    let cjk = if term.chars().any(is_han) { 2.0 } else { 1.0 };
    let digits = if term.chars().any(|c| c.is_ascii_digit()) {
        2.0
    } else {
        0.0
    };
    len * cjk + digits
}

/// The question's content words with their weights.
fn question_terms(question: &str) -> Vec<(String, f32)> {
    let mut terms: Vec<String> = query_terms(question)
        .into_iter()
        .filter(|t| !is_stop_word(t))
        .collect();
    terms.sort();
    terms
        .into_iter()
        .map(|t| {
            let w = weight(&t);
            (t, w)
        })
        .collect()
}

/// Share of the terms' weight `text` holds in some form.
fn score(terms: &[(String, f32)], text: &str) -> f32 {
    let total: f32 = terms.iter().map(|(_, w)| w).sum();
    if total == 0.0 {
        return 0.0;
    }
    let have: HashSet<String> = tokens(text).into_iter().map(|(t, _)| t).collect();
    let held: f32 = terms
        .iter()
        .filter(|(t, _)| contains_form_of(&have, t))
        .map(|(_, w)| w)
        .sum();
    held / total
}

/// The sentences of a passage. Its text opens with its section's heading on a
/// line of its own (as Markdown, HTML and Word sections are extracted): that
/// line is a unit, not the start of the first sentence.
fn passage_sentences(h: &Hit) -> Vec<Sentence> {
    let last = h.heading.rsplit(" › ").next().unwrap_or("").trim();
    match h.text.split_once('\n') {
        Some((first, rest)) if !last.is_empty() && first.trim() == last => {
            let shift = first.chars().count() + 1;
            let mut out = sentences(first);
            out.extend(sentences(rest).into_iter().map(|mut s| {
                s.start += shift;
                s.end += shift;
                s
            }));
            out
        }
        _ => sentences(&h.text),
    }
}

/// The sentences of `hits` that answer `question`, best first: at most
/// [`MAX_QUOTES`], each scoring at least [`MIN_QUOTE_SCORE`] and near the best.
pub fn choose(question: &str, hits: &[Hit]) -> Vec<Quote> {
    let terms = question_terms(question);
    let mut all = Vec::new();
    for (i, h) in hits.iter().enumerate() {
        // A table row is read with its table's header row.
        let mut header: Option<String> = None;
        let mut title: Option<String> = None;
        for s in passage_sentences(h) {
            if let Some(t) = numbered_title(&s.text) {
                title = Some(t);
                continue;
            }
            if !s.table_row {
                header = None;
            }
            if s.text.chars().count() > MAX_SENTENCE_CHARS {
                continue;
            }
            let sc = match (&header, s.table_row) {
                (Some(head), true) => score(&terms, &format!("{head} {}", s.text)),
                (None, true) => {
                    header = Some(s.text.clone());
                    score(&terms, &s.text)
                }
                _ => score(&terms, &s.text),
            };
            if sc >= MIN_QUOTE_SCORE {
                let section = title.clone().filter(|t| !s.text.contains(t.as_str()));
                all.push(Quote {
                    n: i + 1,
                    text: s.text,
                    start: s.start,
                    end: s.end,
                    score: sc,
                    citation: h.citation(),
                    section,
                });
            }
        }
    }
    // Best score first; among equals the better passage, then the earlier sentence.
    all.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.n.cmp(&b.n))
            .then(a.start.cmp(&b.start))
    });
    let best = all.first().map_or(0.0, |q| q.score);
    let mut seen = HashSet::new();
    all.into_iter()
        .filter(|q| q.score >= best * NEAR_BEST)
        .filter(|q| seen.insert(q.text.clone()))
        .take(MAX_QUOTES)
        .collect()
}

/// The quotes as the answer opens with them: one `> sentence [n]` line each,
/// after the title it stands under in parentheses where it has one.
pub fn quoted(quotes: &[Quote]) -> String {
    quotes
        .iter()
        .map(|q| match &q.section {
            Some(t) => format!("> ({t}) {} [{}]\n", q.text, q.n),
            None => format!("> {} [{}]\n", q.text, q.n),
        })
        .collect()
}

/// A number (with its unit when one follows) or an identifier-like name, as
/// written and as compared (lower-case, decimal comma as point, no spaces).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Claim {
    pub text: String,
    pub key: String,
}

fn word_char(c: char) -> bool {
    (c.is_alphanumeric() && !is_han(c)) || matches!(c, '_' | '°' | '%' | 'µ' | 'Ω')
}

/// Joiners kept inside a word when letters or digits stand on both sides.
fn joiner(c: char) -> bool {
    matches!(c, '-' | '.' | ',' | '/')
}

/// The words of `text` (runs of letters, digits and `_`, with inner `-./,`).
fn words(text: &str) -> Vec<(usize, usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !word_char(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (word_char(chars[i])
                || (joiner(chars[i])
                    && i + 1 < chars.len()
                    && word_char(chars[i + 1])
                    && i > start))
        {
            i += 1;
        }
        out.push((start, i, chars[start..i].iter().collect()));
    }
    out
}

fn is_unit(word: &str) -> bool {
    use millwright_tools::quantity::is_unit;
    !word.is_empty()
        && (word == "%" || is_unit(word) || is_unit(&word.replace('³', "3").replace('²', "2")))
}

fn is_number(w: &str) -> bool {
    w.chars().next().is_some_and(|c| c.is_ascii_digit())
        && w.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

fn key(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == ',' { '.' } else { c })
        .collect::<String>()
        .to_lowercase()
}

/// `text` with each `[n]` marker replaced by what `f` makes of `n`; other
/// brackets stay as they are.
pub(crate) fn replace_markers(text: &str, mut f: impl FnMut(usize) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find(']')
            .and_then(|close| Some((close, after[..close].trim().parse::<usize>().ok()?)))
        {
            Some((close, n)) => {
                out.push_str(&f(n));
                rest = &after[close + 1..];
            }
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A word a claim is made of: it holds a digit or `_`.
fn is_claim_word(w: &str) -> bool {
    w.chars().any(|c| c.is_ascii_digit() || c == '_')
}

/// The numbers and names `text` states: every word holding a digit or `_`;
/// a number followed by a unit also as the two together (`10 s`, `85 °C`).
pub fn claims(text: &str) -> Vec<Claim> {
    // `[n]` markers are the answer's own, not claims about the documents.
    let text = replace_markers(text, |_| " ".into());
    let chars: Vec<char> = text.chars().collect();
    let ws = words(&text);
    let mut out = Vec::new();
    for (i, (_, end, w)) in ws.iter().enumerate() {
        if !is_claim_word(w) {
            continue;
        }
        if is_number(w) {
            // The unit: the next word, after at most one space.
            if let Some((s, _, u)) = ws.get(i + 1) {
                let gap: String = chars[*end..*s].iter().collect();
                if (gap.is_empty() || gap == " ") && is_unit(u) {
                    let t = format!("{w}{gap}{u}");
                    out.push(Claim {
                        key: key(&t),
                        text: t,
                    });
                    continue;
                }
            }
        }
        let t = w.trim_end_matches(['.', ',']).to_owned();
        out.push(Claim {
            key: key(&t),
            text: t,
        });
    }
    out
}

/// Everything the passages state, as keys: each claim, and each number of a
/// number with its unit also alone (a sentence may leave the unit out).
pub fn stated(passages: &[&str]) -> HashSet<String> {
    let mut keys = HashSet::new();
    for p in passages {
        for c in claims(p) {
            for (_, _, w) in words(&c.text) {
                if is_claim_word(&w) {
                    keys.insert(key(w.trim_end_matches(['.', ','])));
                }
            }
            keys.insert(c.key);
        }
    }
    keys
}

/// The claims of `sentence` no passage states.
pub fn unsupported(sentence: &str, stated: &HashSet<String>) -> Vec<String> {
    let mut missing = BTreeSet::new();
    for c in claims(sentence) {
        if !stated.contains(&c.key) {
            missing.insert(c.text);
        }
    }
    missing.into_iter().collect()
}

/// A passage of `/d/pumps.md` under `heading`, for tests.
#[cfg(test)]
pub(crate) fn test_hit(text: &str, heading: &str) -> Hit {
    Hit {
        chunk_id: 1,
        doc_id: 1,
        collection: "c".into(),
        path: "/d/pumps.md".into(),
        kind: "markdown".into(),
        page: None,
        sheet: None,
        rows: None,
        heading: heading.into(),
        ocr: None,
        score: 1.0,
        coverage: 1.0,
        snippet: millwright_knowledge::snippet::Snippet {
            text: String::new(),
            highlights: Vec::new(),
        },
        text: text.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(text: &str, heading: &str) -> Hit {
        test_hit(text, heading)
    }

    #[test]
    fn the_sentence_holding_the_answer_is_quoted_first() {
        let hits = [
            hit("Dry running\nPumps are started from the panel. The feed pump P-101 stops after 10 s without flow. Restart needs a reset at the panel.", "Dry running"),
            hit("The cooling water pump has no dry-running protection.", "Cooling"),
        ];
        let q = choose("When does the feed pump stop without flow?", &hits);
        assert_eq!(
            q[0].text,
            "The feed pump P-101 stops after 10 s without flow."
        );
        assert_eq!(
            (q[0].n, q[0].citation.as_str()),
            (1, "pumps.md › Dry running")
        );
        assert!(q.iter().all(|x| x.score >= MIN_QUOTE_SCORE));
        assert_eq!(
            quoted(&q[..1]),
            "> The feed pump P-101 stops after 10 s without flow. [1]\n"
        );
        // Offsets point into the passage.
        let chars: Vec<char> = hits[0].text.chars().collect();
        assert_eq!(
            chars[q[0].start..q[0].end].iter().collect::<String>(),
            q[0].text
        );
    }

    #[test]
    fn chinese_and_german_questions_find_their_sentences() {
        let zh = [hit(
            "本泵站共有三台泵。2 号泵的额定流量为 120 m³/h，扬程 32 m。泵房温度不得低于 5 °C。",
            "",
        )];
        let q = choose("2 号泵的额定流量是多少？", &zh);
        assert_eq!(q[0].text, "2 号泵的额定流量为 120 m³/h，扬程 32 m。");
        let de = [hit("Der Baustein TRIGGER erzeugt bei jeder Flanke einen Impuls für einen Zyklus. Der Ausgang bleibt sonst FALSE.", "")];
        let q = choose(
            "Welcher Baustein erzeugt einen Impuls für einen Zyklus?",
            &de,
        );
        assert_eq!(q.len(), 1, "{q:?}");
        assert!(q[0].text.starts_with("Der Baustein TRIGGER"));
    }

    #[test]
    fn nothing_is_quoted_when_no_sentence_answers() {
        let hits = [hit(
            "The feed pump P-101 stops after 10 s without flow.",
            "",
        )];
        assert!(choose("What is the motor's insulation class?", &hits).is_empty());
        assert!(choose("what is it?", &hits).is_empty());
    }

    #[test]
    fn a_sentence_under_a_numbered_title_is_quoted_with_it() {
        let hits = [hit("Arithmetische Funktionen\n\n7.8 LINEAR_INT\n\nType Funktion\nXY : ARRAY[1..20,0..1] (Aufsteigend sortierte Wertepaare)\n\nDie Wertepaare müssen aufsteigend sortiert sein.", "")];
        let q = choose("Interpolation über aufsteigend sortierte Wertepaare", &hits);
        assert_eq!(q[0].section.as_deref(), Some("LINEAR_INT"));
        assert!(quoted(&q[..1]).starts_with("> (LINEAR_INT) "), "{q:?}");
        assert_eq!(
            numbered_title("7.8 LINEAR_INT").as_deref(),
            Some("LINEAR_INT")
        );
        assert!(numbered_title("75 Version 2.72").is_none());
        assert!(
            numbered_title("Die 3 Pumpen.").is_none() && numbered_title("LINEAR_INT").is_none()
        );
    }

    #[test]
    fn a_table_is_quoted_by_its_rows() {
        let hits = [hit(
            "| Tag | Setpoint |\n| P-101 | 10 s |\n| TT-3 | 85 °C |",
            "",
        )];
        let q = choose("setpoint of TT-3", &hits);
        assert_eq!(q[0].text, "| TT-3 | 85 °C |");
    }

    #[test]
    fn numbers_with_units_and_names_are_claims_checked_against_the_passages() {
        let c: Vec<String> = claims("P-101 stops after 10 s [1]; DEW_TEMP at 1,5 bar, 3 pumps.")
            .into_iter()
            .map(|c| c.text)
            .collect();
        assert_eq!(c, ["P-101", "10 s", "DEW_TEMP", "1,5 bar", "3"]);
        let s = stated(&["Die Pumpe P-101 stoppt nach 10 s bei 1.5 bar. Baustein DEW_TEMP."]);
        assert!(unsupported("P-101 stops after 10 s at 1,5 bar [1].", &s).is_empty());
        assert!(
            unsupported("The pump stops after 10 seconds.", &s).is_empty(),
            "a number alone is in the passage"
        );
        assert_eq!(
            unsupported("The module DEW_CON stops after 10 min; P-102 too.", &s),
            ["10 min", "DEW_CON", "P-102"]
        );
        assert_eq!(
            unsupported(
                "2 号泵额定流量为 150 m³/h。",
                &stated(&["2 号泵的额定流量为 120 m³/h"])
            ),
            ["150 m³/h"]
        );
    }
}
