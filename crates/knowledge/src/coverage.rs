//! What "the passage covers the question" means: the share of the question's
//! content words (weighted by IDF) the passage contains in some form. Function
//! words are left out, and a word counts when the passage has an inflected
//! form of it (`stop`/`stops`, `berechnen`/`berechnet`): BM25 ranks without
//! stemming, but deciding "the documents do not answer this" must not hinge
//! on an English plural or a German verb ending.

use std::collections::HashSet;

/// Question and function words in English, German and Chinese (as the
/// analyzer writes them: lower-case, accents folded).
const STOP_WORDS: &[&str] = &[
    // English
    "a",
    "an",
    "the",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "do",
    "does",
    "did",
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "from",
    "by",
    "with",
    "and",
    "or",
    "not",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "i",
    "we",
    "you",
    "can",
    "could",
    "should",
    "would",
    "will",
    "there",
    "much",
    "many",
    "my",
    "our",
    "your",
    "into",
    "about",
    "as",
    "if",
    "than",
    "then",
    // German
    "der",
    "die",
    "das",
    "den",
    "dem",
    "des",
    "ein",
    "eine",
    "einen",
    "einem",
    "einer",
    "eines",
    "und",
    "oder",
    "ist",
    "sind",
    "war",
    "wird",
    "werden",
    "wie",
    "was",
    "welche",
    "welcher",
    "welches",
    "welchen",
    "wer",
    "wo",
    "wann",
    "warum",
    "mit",
    "von",
    "zu",
    "zum",
    "zur",
    "im",
    "in",
    "auf",
    "fur",
    "bei",
    "aus",
    "an",
    "am",
    "nicht",
    "man",
    "ich",
    "es",
    "sich",
    "ob",
    "bekomme",
    "gibt",
    "kann",
    "soll",
    "muss",
    // Chinese
    "的",
    "是",
    "了",
    "吗",
    "呢",
    "什么",
    "多少",
    "哪",
    "哪个",
    "哪些",
    "哪台",
    "怎么",
    "怎样",
    "如何",
    "为什么",
    "在",
    "和",
    "与",
    "有",
    "用",
    "时",
    "会",
    "要",
    "我",
    "我们",
];

pub fn is_stop_word(t: &str) -> bool {
    STOP_WORDS.contains(&t)
}

/// Whether `have` holds `term` or an inflected form of it: the same word, or
/// (Latin script, four letters or more in common) words that differ only in
/// their last two letters.
pub fn contains_form_of(have: &HashSet<String>, term: &str) -> bool {
    if have.contains(term) {
        return true;
    }
    let t: Vec<char> = term.chars().collect();
    if t.len() < 4 || t.iter().any(|&c| crate::tokenize::is_han(c)) {
        return false;
    }
    have.iter().any(|u| {
        let u: Vec<char> = u.chars().collect();
        let common = t.iter().zip(&u).take_while(|(a, b)| a == b).count();
        common >= 4 && common + 2 >= t.len().max(u.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(words: &[&str]) -> HashSet<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn inflected_forms_count_and_other_words_do_not() {
        let have = set(&["stops", "berechnet", "pumpe", "温度传感器"]);
        assert!(contains_form_of(&have, "stop"));
        assert!(contains_form_of(&have, "berechnen"));
        assert!(contains_form_of(&have, "pumpen"));
        assert!(!contains_form_of(&have, "pumpstation"));
        assert!(!contains_form_of(&have, "sto"));
        assert!(!contains_form_of(&have, "温度"));
        assert!(is_stop_word("welche") && is_stop_word("什么") && !is_stop_word("pump"));
    }
}
