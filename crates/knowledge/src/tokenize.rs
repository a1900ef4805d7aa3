//! The one tokenizer for indexing, querying and highlighting, so the three agree.
//!
//! Text is split by script: runs of Han characters go to jieba (dictionary word
//! segmentation); other letters and digits form words at every non-alphanumeric
//! character (so `DEC_TO_BYTE` and `4-20mA` become phrases of parts, on both
//! sides of a search). Positions count words, not characters, so phrase queries
//! work in both scripts. A Chinese word longer than two characters also yields
//! its dictionary sub-words at the same position (jieba's search mode), so
//! `温度` finds `温度传感器`. tantivy-jieba was tried first: it feeds Latin text
//! through jieba's Han regex (umlauts split words) and its positions are
//! character offsets, which break phrase queries.

use std::sync::LazyLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer,
};

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// The name the analyzer is registered under in the index.
pub const ANALYZER: &str = "millwright";

/// The full analyzer: words, lower-cased, accents folded (a German user may type
/// `Groesse` or `Grosse`; `Größe` folds to `grosse`), very long tokens dropped.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(MixedScript)
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Every token of `text` as the index sees it: (normalised text, byte range).
pub fn tokens(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut a = analyzer();
    let mut ts = a.token_stream(text);
    let mut out = Vec::new();
    while ts.advance() {
        let t = ts.token();
        out.push((t.text.clone(), t.offset_from..t.offset_to));
    }
    out
}

pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

#[derive(Clone, Default)]
pub struct MixedScript;

pub struct MixedStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for MixedScript {
    type TokenStream<'a> = MixedStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> MixedStream {
        let mut tokens = Vec::new();
        let mut position = 0usize;
        let push = |tokens: &mut Vec<Token>, from: usize, to: usize, position: usize| {
            tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position,
                text: text[from..to].to_owned(),
                position_length: 1,
            });
        };
        let mut chars = text.char_indices().peekable();
        while let Some(&(start, c)) = chars.peek() {
            if is_han(c) {
                let mut end = start;
                while let Some(&(i, c)) = chars.peek() {
                    if !is_han(c) {
                        break;
                    }
                    end = i + c.len_utf8();
                    chars.next();
                }
                let run = &text[start..end];
                for w in JIEBA.cut(run, true) {
                    let from = start + w.byte_start;
                    let to = from + w.word.len();
                    push(&mut tokens, from, to, position);
                    if w.end - w.start > 2 {
                        for sub in JIEBA.cut_for_search(w.word, true) {
                            if sub.word.len() < w.word.len() {
                                let f = from + sub.byte_start;
                                push(&mut tokens, f, f + sub.word.len(), position);
                            }
                        }
                    }
                    position += 1;
                }
            } else if c.is_alphanumeric() {
                let mut end = start;
                while let Some(&(i, c)) = chars.peek() {
                    if !c.is_alphanumeric() || is_han(c) {
                        break;
                    }
                    end = i + c.len_utf8();
                    chars.next();
                }
                push(&mut tokens, start, end, position);
                position += 1;
            } else {
                chars.next();
            }
        }
        MixedStream { tokens, next: 0 }
    }
}

impl TokenStream for MixedStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokens(text).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn latin_words_split_at_punctuation_and_fold() {
        assert_eq!(
            words("DEC_TO_BYTE(4-20mA)"),
            ["dec", "to", "byte", "4", "20ma"]
        );
        assert_eq!(words("Größe Überlauf"), ["grosse", "uberlauf"]);
    }

    #[test]
    fn chinese_is_segmented_with_sub_words_at_one_position() {
        let w = words("温度传感器的测量范围");
        assert!(w.contains(&"温度".to_owned()), "{w:?}");
        assert!(w.contains(&"范围".to_owned()), "{w:?}");
        let mut a = analyzer();
        let mut ts = a.token_stream("电机 motor启动");
        let mut seen = Vec::new();
        while ts.advance() {
            seen.push((ts.token().text.clone(), ts.token().position));
        }
        assert_eq!(
            seen,
            [("电机".into(), 0), ("motor".into(), 1), ("启动".into(), 2)]
        );
    }

    #[test]
    fn offsets_are_byte_ranges_of_the_original() {
        let text = "压力 Sensor";
        for (t, r) in tokens(text) {
            assert_eq!(text[r].to_lowercase(), t);
        }
    }
}
