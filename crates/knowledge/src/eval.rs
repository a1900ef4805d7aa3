//! The retrieval evaluation: questions with the page (or section) that
//! answers them, over the OSCAT manual and two documents written for it in
//! Chinese and English (`assets/eval/`). Reports recall@5 and MRR@10, and how
//! well the coverage threshold separates answerable questions from questions
//! none of the documents answer.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::index::Filter;
use crate::KnowledgeBase;

const QUESTIONS: &str = include_str!("../../../assets/eval/docs-questions.toml");
/// The documents written for the evaluation: (file name, text).
pub const DOCUMENTS: &[(&str, &str)] = &[
    (
        "泵站调试报告.md",
        include_str!("../../../assets/eval/docs/泵站调试报告.md"),
    ),
    (
        "conveyor-line-specification.md",
        include_str!("../../../assets/eval/docs/conveyor-line-specification.md"),
    ),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub q: String,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub pages: Vec<u32>,
    #[serde(default)]
    pub heading: Option<String>,
    #[serde(default = "yes")]
    pub answerable: bool,
    /// What an answer's text must hold (every string, spaces and case
    /// ignored) to count as answering the question.
    #[serde(default)]
    pub key: Vec<String>,
}

impl Question {
    /// Whether `answer` holds every string of the key.
    pub fn key_in(&self, answer: &str) -> bool {
        let norm = |s: &str| -> String {
            s.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_lowercase()
        };
        let a = norm(answer);
        !self.key.is_empty() && self.key.iter().all(|k| a.contains(&norm(k)))
    }

    /// The question's language: `zh`, `de` or `en`.
    pub fn language(&self) -> &'static str {
        if self.q.chars().any(crate::tokenize::is_han) {
            return "zh";
        }
        let german = self.q.chars().any(|c| "äöüÄÖÜß".contains(c))
            || self.q.split(|c: char| !c.is_alphabetic()).any(|w| {
                [
                    "der", "die", "das", "ein", "eine", "einer", "eines", "einem", "einen", "und",
                    "mit", "aus", "von", "wie", "wer", "welche", "welcher", "ist", "zwei", "als",
                ]
                .contains(&w.to_lowercase().as_str())
            });
        if german {
            "de"
        } else {
            "en"
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct QuestionFile {
    q: Vec<Question>,
}

pub fn questions() -> Vec<Question> {
    toml::from_str::<QuestionFile>(QUESTIONS)
        .expect("assets/eval/docs-questions.toml is valid")
        .q
}

/// Writes the evaluation's own documents into `dir`.
pub fn write_documents(dir: &Path) -> std::io::Result<()> {
    for (name, text) in DOCUMENTS {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub answerable: usize,
    pub recall_at_5: f64,
    pub mrr_at_10: f64,
    /// (group, questions, recall@5, MRR) for the manual, Chinese and English sets.
    pub groups: Vec<(String, usize, f64, f64)>,
    /// Questions whose answer was not in the top 5, with the rank found (0 = not in the top 10).
    pub misses: Vec<(String, usize)>,
    /// Best coverage among the top hits: answerable and unanswerable questions.
    pub coverage_answerable: Vec<f32>,
    pub coverage_unanswerable: Vec<f32>,
    /// Share of all questions the threshold classifies correctly.
    pub threshold_accuracy: f64,
    pub threshold: f32,
}

fn group(q: &Question) -> &'static str {
    match q.file.as_deref() {
        Some(f) if f.ends_with(".pdf") => "manual (de)",
        Some(f) if f.chars().any(crate::tokenize::is_han) => "report (zh)",
        _ => "spec (en)",
    }
}

/// Runs every question against `kb`; `threshold` is the coverage below which
/// the documents count as not answering.
pub fn run(kb: &KnowledgeBase, questions: &[Question], threshold: f32) -> Report {
    let mut ranks: Vec<(&'static str, usize)> = Vec::new();
    let mut misses = Vec::new();
    let mut cov_yes = Vec::new();
    let mut cov_no = Vec::new();
    for q in questions {
        let hits = kb.search(&q.q, &Filter::default(), 10).unwrap_or_default();
        let best = hits.iter().map(|h| h.coverage).fold(0.0f32, f32::max);
        if !q.answerable {
            cov_no.push(best);
            continue;
        }
        cov_yes.push(best);
        let file = q.file.as_deref().unwrap_or("");
        let rank = hits
            .iter()
            .position(|h| {
                h.path.ends_with(file)
                    && (h.page.is_some_and(|p| q.pages.contains(&p))
                        || q.heading
                            .as_deref()
                            .is_some_and(|t| h.heading.rsplit(" › ").next() == Some(t)))
            })
            .map_or(0, |i| i + 1);
        if rank == 0 || rank > 5 {
            misses.push((q.q.clone(), rank));
        }
        ranks.push((group(q), rank));
    }
    let metrics = |rs: &[usize]| {
        let n = rs.len().max(1) as f64;
        let recall = rs.iter().filter(|&&r| (1..=5).contains(&r)).count() as f64 / n;
        let mrr = rs
            .iter()
            .filter(|&&r| r > 0)
            .map(|&r| 1.0 / r as f64)
            .sum::<f64>()
            / n;
        (recall, mrr)
    };
    let all: Vec<usize> = ranks.iter().map(|r| r.1).collect();
    let (recall, mrr) = metrics(&all);
    let mut groups = Vec::new();
    for g in ["manual (de)", "report (zh)", "spec (en)"] {
        let rs: Vec<usize> = ranks.iter().filter(|r| r.0 == g).map(|r| r.1).collect();
        let (r, m) = metrics(&rs);
        groups.push((g.to_owned(), rs.len(), r, m));
    }
    let right = cov_yes.iter().filter(|&&c| c >= threshold).count()
        + cov_no.iter().filter(|&&c| c < threshold).count();
    Report {
        answerable: all.len(),
        recall_at_5: recall,
        mrr_at_10: mrr,
        groups,
        misses,
        threshold_accuracy: right as f64 / (cov_yes.len() + cov_no.len()).max(1) as f64,
        coverage_answerable: cov_yes,
        coverage_unanswerable: cov_no,
        threshold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answerable_question_has_a_key_and_a_language() {
        let qs = questions();
        let mut by_lang = std::collections::BTreeMap::new();
        for q in &qs {
            assert_eq!(q.answerable, !q.key.is_empty(), "{}", q.q);
            if q.answerable {
                *by_lang.entry(q.language()).or_insert(0) += 1;
            }
        }
        assert_eq!(
            by_lang.into_iter().collect::<Vec<_>>(),
            [("de", 31), ("en", 7), ("zh", 7)]
        );
        let q = &qs[35];
        assert!(q.key_in("加速时间设为15 秒，减速时间设为 20秒"));
        assert!(!q.key_in("加速时间设为 15 秒"));
    }
}
