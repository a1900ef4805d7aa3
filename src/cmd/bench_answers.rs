//! `millwright bench docs --answers`: the answers themselves, graded. Every
//! question of the retrieval evaluation goes through the application's `ask`
//! (quotes, the copy grammar, the support check) on the chosen model, over the
//! OSCAT manual and the evaluation's own documents in a data directory of its
//! own. Per language: the share of answers whose text holds the question's key,
//! numbers and names in answers that no cited passage holds, refusals of the
//! unanswerable questions, and seconds per answer.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use millwright_app::ask::{ask, AskRequest};
use millwright_app::docs::{add, AddRequest};
use millwright_app::{EngineChoice, Workers, Workspace};
use millwright_copilot::quotes::claims;
use millwright_knowledge::eval;
use millwright_models::Home;
use serde::Serialize;

use super::engine_opts::{app_error, EngineOpts};

#[derive(Serialize, Default, Clone)]
pub struct LanguageFigures {
    pub language: String,
    pub answerable: usize,
    /// Answers whose text holds the key.
    pub key_found: usize,
    /// Answerable questions refused (no passage, or no sentence, answered).
    pub wrongly_refused: usize,
    /// Numbers and names stated in answers (quotes and the model's sentences).
    pub claims: usize,
    /// Of those, in no passage the sentence cites.
    pub unsupported: usize,
    /// Of those, stated without the answer saying so (0 by construction).
    pub unmarked: usize,
    pub unanswerable: usize,
    pub refused: usize,
    pub seconds: Vec<f64>,
}

#[derive(Serialize)]
pub struct Graded {
    pub question: String,
    pub language: String,
    pub answerable: bool,
    pub grounded: bool,
    pub key_found: bool,
    /// The best quote's score (none quoted: 0).
    pub quote_score: f32,
    pub unsupported: Vec<String>,
    pub seconds: f64,
    pub answer: String,
}

#[derive(Serialize)]
pub struct AnswerFigures {
    pub model: String,
    pub languages: Vec<LanguageFigures>,
    pub answers: Vec<Graded>,
}

/// Asks every evaluation question on the model `engine` chooses.
pub fn answers(pdf: &Path, engine: &EngineOpts) -> Result<AnswerFigures> {
    let model = engine.workspace()?.model_path().map_err(app_error)?;
    let home = tempfile::tempdir()?;
    let ws = Workspace::new(
        Home::at(home.path()),
        Workers {
            program: std::env::current_exe()?,
            engine_arg: crate::WORKER_ARG.into(),
        },
    )
    .with_engine_choice(EngineChoice {
        model: Some(model.clone()),
        ctx: engine.ctx,
        threads: engine.threads,
        gpu_layers: engine.gpu_layers,
    });
    let docs = tempfile::tempdir()?;
    eval::write_documents(docs.path())?;
    add(
        &ws,
        &AddRequest::new(vec![pdf.to_owned(), docs.path().to_owned()]),
        &mut (),
    )
    .map_err(app_error)?;
    // Loaded once before the clock starts: seconds are per answer, not per load.
    drop(ws.model(&mut |_| {}).map_err(app_error)?);
    let mut langs: BTreeMap<&str, LanguageFigures> = BTreeMap::new();
    let mut graded = Vec::new();
    for q in eval::questions() {
        let lang = q.language();
        let t = Instant::now();
        let a = ask(&ws, &AskRequest::new(q.q.clone()), &mut ()).map_err(app_error)?;
        let seconds = t.elapsed().as_secs_f64();
        let f = langs.entry(lang).or_insert_with(|| LanguageFigures {
            language: lang.into(),
            ..LanguageFigures::default()
        });
        f.seconds.push(seconds);
        let unsupported: Vec<String> = a
            .sentences
            .iter()
            .flat_map(|s| s.unsupported.clone())
            .collect();
        let key_found = q.answerable && a.grounded && q.key_in(&a.answer);
        if q.answerable {
            f.answerable += 1;
            f.key_found += usize::from(key_found);
            f.wrongly_refused += usize::from(!a.grounded);
        } else {
            f.unanswerable += 1;
            f.refused += usize::from(!a.grounded);
        }
        f.claims += a
            .quotes
            .iter()
            .map(|q| claims(&q.text).len())
            .sum::<usize>()
            + a.sentences
                .iter()
                .map(|s| claims(&s.text).len())
                .sum::<usize>();
        f.unsupported += unsupported.len();
        // An unsupported claim is marked in the text right after its sentence.
        f.unmarked += a
            .sentences
            .iter()
            .filter(|s| !s.supported && !a.answer.contains(&s.unsupported.join(", ")))
            .filter(|s| !a.answer.contains(&s.unsupported.join("、")))
            .count();
        graded.push(Graded {
            question: q.q.clone(),
            language: lang.into(),
            answerable: q.answerable,
            grounded: a.grounded,
            key_found,
            quote_score: a.quotes.first().map_or(0.0, |q| q.score),
            unsupported,
            seconds,
            answer: a.answer,
        });
    }
    Ok(AnswerFigures {
        model: model.display().to_string(),
        languages: langs.into_values().collect(),
        answers: graded,
    })
}

fn share(n: usize, of: usize) -> String {
    if of == 0 {
        "–".into()
    } else {
        format!("{n}/{of} = {:.2}", n as f64 / of as f64)
    }
}

pub fn print(a: &AnswerFigures) {
    println!("answers on {}:", a.model);
    println!(
        "  lang  key in answer       refused (answerable)  unsupported claims   refused (unanswerable)  s/answer (median, max)"
    );
    for f in &a.languages {
        let mut s = f.seconds.clone();
        s.sort_by(f64::total_cmp);
        println!(
            "  {:<4}  {:<18}  {:<20}  {:<19}  {:<22}  {:.1}, {:.1}{}",
            f.language,
            share(f.key_found, f.answerable),
            share(f.wrongly_refused, f.answerable),
            share(f.unsupported, f.claims),
            share(f.refused, f.unanswerable),
            s.get(s.len() / 2).copied().unwrap_or(0.0),
            s.last().copied().unwrap_or(0.0),
            if f.unmarked > 0 {
                format!("  ({} unsupported sentences NOT marked)", f.unmarked)
            } else {
                String::new()
            }
        );
    }
    let missed: Vec<&Graded> = a
        .answers
        .iter()
        .filter(|g| g.answerable && !g.key_found)
        .collect();
    if !missed.is_empty() {
        println!("  answers without their key:");
        for g in missed {
            let first = g.answer.lines().next().unwrap_or("");
            println!(
                "    [{}] {} → {}",
                g.language,
                g.question,
                first.chars().take(110).collect::<String>()
            );
        }
    }
}
