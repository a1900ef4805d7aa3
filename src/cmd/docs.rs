//! `millwright docs …`: the design-document knowledge base.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use millwright_app::docs::{self, AddRequest, AddSink, DocView, SearchRequest, DEFAULT_COLLECTION};
use millwright_knowledge::isolate::WorkerCommand;
use millwright_knowledge::{KnowledgeBase, Options, Phase, Progress};
use millwright_models::Home;

use super::engine_opts::{app_error, EngineOpts};

#[derive(Subcommand)]
pub enum DocsCmd {
    /// Index files and folders (PDF, DOCX, Markdown, text, HTML, CSV, XLSX, ST,
    /// and images by OCR); again on the same folder indexes only what changed.
    Add {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, short, default_value = DEFAULT_COLLECTION)]
        collection: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Seconds allowed per file (plus 5 s per MiB).
        #[arg(long, default_value_t = 60)]
        file_timeout: u64,
        /// Memory the extractor may use, MiB.
        #[arg(long, default_value_t = 2048)]
        file_memory_mib: u64,
        /// Do not read scanned pages and images by OCR (they are reported as needing it).
        #[arg(long)]
        no_ocr: bool,
    },
    /// Documents and their state.
    List {
        #[arg(long, short)]
        collection: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Counts, failed files and why, and whether index and database agree.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Remove files or folders (or, with only --collection, a whole collection).
    Remove {
        paths: Vec<PathBuf>,
        #[arg(long, short)]
        collection: Option<String>,
    },
    /// Search the documents.
    Search {
        query: String,
        #[arg(short, default_value_t = 10)]
        k: usize,
        #[arg(long, short)]
        collection: Option<String>,
        /// Only these file kinds (pdf, docx, markdown, text, html, csv, xlsx, st, image).
        #[arg(long = "kind")]
        kinds: Vec<String>,
        /// Only files at or under this path.
        #[arg(long)]
        under: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Keep collections current: re-index a folder shortly after files in it change (Ctrl-C stops).
    Watch {
        #[arg(long, short)]
        collection: Option<String>,
    },
    /// Rebuild the search index from the saved chunks.
    Reindex,
}

/// The knowledge base in the data directory (for `docs watch`, which keeps it open).
fn open(options: Options) -> Result<KnowledgeBase> {
    let home = Home::from_env()?;
    let dir = home.root().join("knowledge");
    let worker = WorkerCommand::current_exe().context("cannot find this executable")?;
    let kb = KnowledgeBase::open(&dir, worker, options)?;
    if kb.recovered > 0 {
        eprintln!(
            "note: {} document(s) left unfinished by an interrupted run were reset; `docs add` indexes them again",
            kb.recovered
        );
    }
    Ok(kb)
}

/// The data directory, for the documents' use cases (no model is started).
fn workspace() -> Result<millwright_app::Workspace> {
    EngineOpts::default().workspace()
}

/// `docs add`'s progress bar.
struct Bar<'a>(&'a ProgressBar);

impl AddSink for Bar<'_> {
    fn recovered(&mut self, documents: usize) {
        self.0.println(format!(
            "note: {documents} document(s) left unfinished by an interrupted run were reset; they are indexed again now"
        ));
    }
    fn progress(&mut self, p: &Progress) {
        let bar = self.0;
        bar.set_length(p.files_total);
        bar.set_position(p.files_done);
        let name = p
            .current
            .as_deref()
            .and_then(|c| std::path::Path::new(c).file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ocr = p
            .ocr_page
            .map(|(i, n)| format!(" (OCR: page {i} of {n})"))
            .unwrap_or_default();
        bar.set_message(format!(
            "{} pages · {:.1}/{:.1} MB · {:.1} MB/s · {} failed {name}{ocr}",
            p.pages,
            p.bytes_done as f64 / 1e6,
            p.bytes_total as f64 / 1e6,
            p.rate_bytes_s / 1e6,
            p.failed
        ));
        if p.phase == Phase::Done {
            bar.finish_and_clear();
        }
    }
}

pub fn run(cmd: DocsCmd) -> Result<ExitCode> {
    match cmd {
        DocsCmd::Add {
            paths,
            collection,
            json,
            file_timeout,
            file_memory_mib,
            no_ocr,
        } => {
            let ws = workspace()?;
            let req = AddRequest {
                paths,
                collection: Some(collection),
                no_ocr,
                file_timeout_s: Some(file_timeout),
                file_memory_mib: Some(file_memory_mib),
            };
            let bar = ProgressBar::new(0).with_style(
                ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} files · {msg} · {elapsed} · ETA {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            let report = docs::add(&ws, &req, &mut Bar(&bar)).map_err(app_error)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "{}: {} added, {} updated, {} unchanged, {} removed, {} failed — {} pages, {} chunks in {:.1} s",
                    report.collection,
                    report.added,
                    report.updated,
                    report.unchanged,
                    report.removed,
                    report.failed.len(),
                    report.pages,
                    report.chunks,
                    report.elapsed_s
                );
                for (path, why) in &report.failed {
                    println!("  failed: {path}: {why}");
                }
            }
            Ok(if report.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        DocsCmd::List { collection, json } => {
            let rows: Vec<DocView> = docs::list(&workspace()?, collection.as_deref())
                .map_err(app_error)?
                .into_iter()
                .map(DocView::from)
                .collect();
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "documents": rows }))?
                );
            } else if rows.is_empty() {
                println!("no documents; add some with `millwright docs add FOLDER`");
            } else {
                for d in rows {
                    let pages = d.pages.map(|p| format!("{p} pages, ")).unwrap_or_default();
                    println!(
                        "[{}] {:<8} {}  ({pages}{} chunks)",
                        d.collection, d.status, d.path, d.chunks
                    );
                    for n in &d.notes {
                        println!("           note: {n}");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DocsCmd::Status { json } => {
            let s = docs::status(&workspace()?).map_err(app_error)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                println!(
                    "collections: {}\ndocuments: {} ({} indexed, {} failed, {} pending)\nchunks: {} saved, {} in the search index{}",
                    if s.collections.is_empty() { "none".into() } else { s.collections.join(", ") },
                    s.documents,
                    s.indexed,
                    s.failed.len(),
                    s.pending,
                    s.stored_chunks,
                    s.index_chunks,
                    if s.consistent { "" } else { " — they disagree; run `millwright docs reindex`" }
                );
                let r = &s.readers;
                println!(
                    "readers: poppler {}, Tesseract {}",
                    if r.poppler { "found" } else { "missing" },
                    if r.tesseract {
                        format!("found ({})", r.ocr_languages.join(", "))
                    } else {
                        "missing".into()
                    }
                );
                for m in &r.missing {
                    println!("  {m}");
                }
                for (path, why) in &s.failed {
                    println!("failed: {path}\n  {why}");
                }
            }
            Ok(if s.consistent {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        DocsCmd::Remove { paths, collection } => {
            let n =
                docs::remove(&workspace()?, &paths, collection.as_deref()).map_err(app_error)?;
            println!("removed {n} document(s)");
            Ok(ExitCode::SUCCESS)
        }
        DocsCmd::Search {
            query,
            k,
            collection,
            kinds,
            under,
            json,
        } => {
            let req = SearchRequest {
                query: query.clone(),
                k,
                collection,
                kinds,
                under,
            };
            let hits = docs::search(&workspace()?, &req).map_err(app_error)?;
            if json {
                let results: Vec<_> = hits
                    .iter()
                    .map(|h| {
                        serde_json::json!({
                            "path": h.path, "page": h.page, "sheet": h.sheet, "rows": h.rows,
                            "heading": h.heading, "snippet": h.snippet.text,
                            "highlights": h.snippet.highlights, "score": h.score,
                            "chunk_id": h.chunk_id, "citation": h.citation(),
                        })
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "results": results }))?
                );
            } else if hits.is_empty() {
                println!("nothing found for {query:?}");
            } else {
                let tty = std::io::IsTerminal::is_terminal(&std::io::stdout());
                let (open, close) = if tty {
                    ("\x1b[1m", "\x1b[0m")
                } else {
                    ("**", "**")
                };
                for (i, h) in hits.iter().enumerate() {
                    println!("{}. {}  (score {:.2})", i + 1, h.citation(), h.score);
                    println!("   {}\n", h.snippet.marked(open, close));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DocsCmd::Watch { collection } => {
            let mut kb = open(Options::default())?;
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let flag = stop.clone();
            ctrlc::set_handler(move || flag.store(true, std::sync::atomic::Ordering::Relaxed))
                .context("cannot install the Ctrl-C handler")?;
            eprintln!("watching {} folder(s); Ctrl-C stops", kb.folders()?.len());
            millwright_knowledge::watch::watch(&mut kb, collection.as_deref(), &stop, &mut |r| {
                println!(
                    "{}: {} added, {} updated, {} removed, {} failed",
                    r.collection,
                    r.added,
                    r.updated,
                    r.removed,
                    r.failed.len()
                );
                for (path, why) in &r.failed {
                    println!("  failed: {path}: {why}");
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        DocsCmd::Reindex => {
            let n = docs::reindex(&workspace()?).map_err(app_error)?;
            println!("search index rebuilt: {n} chunks");
            Ok(ExitCode::SUCCESS)
        }
    }
}
