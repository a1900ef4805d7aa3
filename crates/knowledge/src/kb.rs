//! The knowledge base: adding folders, removing, searching, and keeping SQLite
//! and tantivy in agreement.
//!
//! Consistency: a document's chunks are written to SQLite with status
//! `indexing` *before* they go to tantivy, and marked `indexed` only *after*
//! the tantivy commit that holds them; removal marks `removing` first and
//! deletes the rows after the commit. So after a crash at any point, every
//! document whose index state is uncertain is `indexing` or `removing`, and
//! opening the knowledge base deletes those from the index by document id,
//! commits, and puts them back to `pending` (or forgets them) — the next `add`
//! indexes them again. As a last check, if the index and SQLite disagree on
//! the number of chunks, the index is rebuilt from SQLite.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use serde::Serialize;
use sha2::{Digest, Sha256};
use tantivy::IndexWriter;

use crate::chunk::{self, ChunkParams};
use crate::extract::Kind;
use crate::index::{Filter, IndexedChunk, SearchIndex};
use crate::isolate::{Extractor, Limits, WorkerCommand};
use crate::snippet::{self, Snippet};
use crate::store::{DocRow, Status, Store};
use crate::Error;

#[derive(Debug, Clone)]
pub struct Options {
    pub chunk: ChunkParams,
    pub limits: Limits,
    /// Commit the index after this many documents…
    pub commit_docs: usize,
    /// …or this long, whichever comes first (work lost to a crash is bounded).
    pub commit_every: Duration,
    /// Characters in a search result's snippet.
    pub snippet_chars: usize,
    /// Read pages without text and image files by OCR; off, images are not
    /// documents and scanned pages are reported as needing OCR.
    pub ocr: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            chunk: ChunkParams::default(),
            limits: Limits::default(),
            commit_docs: 200,
            commit_every: Duration::from_secs(10),
            snippet_chars: 240,
            ocr: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Scanning,
    Indexing,
    Committing,
    Done,
}

/// Where a long `add` stands; sent after every file.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub phase: Phase,
    pub files_done: u64,
    pub files_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub pages: u64,
    pub chunks: u64,
    pub failed: u64,
    pub current: Option<String>,
    /// The current file's page being read by OCR, and how many it has to read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocr_page: Option<(u32, u32)>,
    pub elapsed_s: f64,
    /// File bytes per second so far.
    pub rate_bytes_s: f64,
    pub eta_s: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AddReport {
    pub collection: String,
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub removed: u64,
    /// (path, reason)
    pub failed: Vec<(String, String)>,
    pub pages: u64,
    pub chunks: u64,
    pub text_bytes: u64,
    pub file_bytes: u64,
    pub elapsed_s: f64,
}

/// A search result with its citation.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub chunk_id: i64,
    pub doc_id: i64,
    pub collection: String,
    pub path: String,
    pub kind: String,
    pub page: Option<u32>,
    pub sheet: Option<String>,
    pub rows: Option<(u32, u32)>,
    pub heading: String,
    /// Read by OCR, with the recognizer's mean confidence (0–100): the text
    /// may hold misread characters, and the citation says "(OCR)".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocr: Option<f32>,
    pub score: f32,
    /// Share of the query's weight (IDF) whose terms this chunk contains, 0–1:
    /// comparable across queries and collections, unlike the BM25 score.
    pub coverage: f32,
    pub snippet: Snippet,
    #[serde(skip)]
    pub text: String,
}

impl Hit {
    /// `manual.pdf, p. 12` · `io.xlsx, sheet IO, rows 2–14` · `spec.md › Alarms`.
    pub fn citation(&self) -> String {
        citation(
            &self.path,
            self.page,
            self.sheet.as_deref(),
            self.rows,
            &self.heading,
            self.ocr.is_some(),
        )
    }
}

/// How a passage is cited: the file name, then page, sheet and rows, and the
/// heading path where there are any; "(OCR)" after the page when its text was
/// recognised from an image.
pub fn citation(
    path: &str,
    page: Option<u32>,
    sheet: Option<&str>,
    rows: Option<(u32, u32)>,
    heading: &str,
    ocr: bool,
) -> String {
    let mut s = Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_owned());
    if let Some(p) = page {
        s.push_str(&format!(", p. {p}"));
    }
    if ocr {
        s.push_str(" (OCR)");
    }
    if let Some(sh) = sheet {
        s.push_str(&format!(", sheet {sh}"));
    }
    if let Some((a, b)) = rows {
        if a == b {
            s.push_str(&format!(", row {a}"));
        } else {
            s.push_str(&format!(", rows {a}–{b}"));
        }
    }
    if !heading.is_empty() {
        s.push_str(&format!(" › {heading}"));
    }
    s
}

#[derive(Debug, Clone, Serialize)]
pub struct KbStatus {
    pub collections: Vec<String>,
    pub documents: u64,
    pub indexed: u64,
    pub failed: Vec<(String, String)>,
    pub pending: u64,
    pub stored_chunks: u64,
    pub index_chunks: u64,
    pub consistent: bool,
    /// Poppler and Tesseract: whether they are there, and what is lost without.
    pub readers: crate::extract::Readers,
}

pub struct KnowledgeBase {
    store: Store,
    index: SearchIndex,
    worker: WorkerCommand,
    pub options: Options,
    /// Documents repaired when the knowledge base was opened.
    pub recovered: usize,
}

fn file_mtime(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

fn skipped_name(name: &str) -> bool {
    name.starts_with('.') || name.starts_with("~$")
}

/// A file found by scanning, to be compared with what is stored.
struct Found {
    path: String,
    kind: Kind,
    size: u64,
    mtime: i64,
}

/// The file whose presence means a knowledge base was created in a directory.
const STATE_FILE: &str = "state.sqlite";

impl KnowledgeBase {
    /// Whether documents were ever added in `dir` (opening would create it).
    pub fn exists(dir: &Path) -> bool {
        dir.join(STATE_FILE).is_file()
    }

    /// Opens (or creates) the knowledge base in `dir` and repairs what a crash left.
    pub fn open(dir: &Path, worker: WorkerCommand, options: Options) -> Result<Self, Error> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::State(format!("cannot create {}: {e}", dir.display())))?;
        let store = Store::open(&dir.join(STATE_FILE))?;
        let index_dir = dir.join("index");
        let index = match SearchIndex::open(&index_dir) {
            // The index holds nothing the database does not: a damaged one
            // is replaced, and `recover` below rebuilds it.
            Err(Error::IndexDamaged { .. }) => {
                std::fs::remove_dir_all(&index_dir).map_err(|e| {
                    Error::State(format!(
                        "the search index at {} is damaged and cannot be removed: {e}",
                        index_dir.display()
                    ))
                })?;
                SearchIndex::open(&index_dir)?
            }
            r => r?,
        };
        let mut kb = KnowledgeBase {
            store,
            index,
            worker,
            options,
            recovered: 0,
        };
        kb.recover()?;
        Ok(kb)
    }

    fn recover(&mut self) -> Result<(), Error> {
        let unfinished = self
            .store
            .documents_in(&[Status::Indexing, Status::Removing])?;
        let index_count = self.index.num_chunks();
        let stored = self.store.indexed_chunk_count()?;
        if unfinished.is_empty() && index_count == stored {
            return Ok(());
        }
        let mut w = match self.index.writer() {
            Ok(w) => w,
            // Another process is working; it will finish or recover itself.
            Err(Error::Busy(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        for d in &unfinished {
            self.index.delete_document(&w, d.id);
        }
        w.commit()?;
        let (removing, indexing): (Vec<&DocRow>, Vec<&DocRow>) = unfinished
            .iter()
            .partition(|d| d.status == Status::Removing);
        self.store
            .delete_documents(&removing.iter().map(|d| d.id).collect::<Vec<_>>())?;
        self.store
            .reset_to_pending(&indexing.iter().map(|d| d.id).collect::<Vec<_>>())?;
        self.recovered = unfinished.len();
        self.index.reload()?;
        if self.index.num_chunks() != self.store.indexed_chunk_count()? {
            self.rebuild(&mut w)?;
        }
        Ok(())
    }

    /// Rebuilds the whole index from the chunks SQLite holds.
    fn rebuild(&mut self, w: &mut IndexWriter) -> Result<(), Error> {
        w.delete_all_documents()?;
        let index = &self.index;
        let wr: &IndexWriter = w;
        self.store.for_each_indexed_chunk(|c| {
            index.add(
                wr,
                &IndexedChunk {
                    chunk_id: c.id,
                    doc_id: c.doc_id,
                    collection: &c.collection,
                    kind: &c.kind,
                    path: &c.path,
                    heading: &c.heading,
                    text: &c.text,
                },
            )
        })?;
        w.commit()?;
        self.index.reload()?;
        Ok(())
    }

    /// Rebuilds the search index from SQLite (after a damaged index or an
    /// analyzer change).
    pub fn reindex(&mut self) -> Result<u64, Error> {
        let mut w = self.index.writer()?;
        self.rebuild(&mut w)?;
        Ok(self.index.num_chunks())
    }

    /// Adds files and folders to `collection`: new and changed files are
    /// indexed, unchanged ones skipped, files gone from an added folder removed.
    pub fn add(
        &mut self,
        paths: &[PathBuf],
        collection: &str,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<AddReport, Error> {
        let started = Instant::now();
        if collection.trim().is_empty() {
            return Err(Error::Input("the collection name is empty".into()));
        }
        let mut w = self.index.writer()?;
        let coll = self.store.create_collection(collection)?;
        let mut report = AddReport {
            collection: collection.to_owned(),
            ..AddReport::default()
        };

        // Scan.
        let mut found: Vec<Found> = Vec::new();
        let mut folders = Vec::new();
        // Images in a folder while OCR is off: not read, but not gone either.
        let mut images_left: Vec<String> = Vec::new();
        for p in paths {
            let abs = std::fs::canonicalize(p)
                .map_err(|e| Error::Input(format!("{}: {e}", p.display())))?;
            let abs_s = abs.to_string_lossy().into_owned();
            if abs.is_dir() {
                self.store.add_folder(coll, &abs_s)?;
                folders.push(abs_s);
                let walk = walkdir::WalkDir::new(&abs).into_iter().filter_entry(|e| {
                    e.depth() == 0 || !skipped_name(&e.file_name().to_string_lossy())
                });
                for e in walk.flatten() {
                    if !e.file_type().is_file() {
                        continue;
                    }
                    if let (Some(kind), Ok(meta)) = (Kind::of(e.path()), e.metadata()) {
                        if kind == Kind::Image && !self.options.ocr {
                            images_left.push(e.path().to_string_lossy().into_owned());
                            continue;
                        }
                        found.push(Found {
                            path: e.path().to_string_lossy().into_owned(),
                            kind,
                            size: meta.len(),
                            mtime: file_mtime(&meta),
                        });
                    }
                }
            } else {
                let kind = Kind::of(&abs).ok_or_else(|| {
                    Error::Input(format!(
                        "{}: not a format the knowledge base reads (PDF, DOCX, Markdown, text, HTML, CSV, XLSX, ST, PNG, JPEG, TIFF)",
                        p.display()
                    ))
                })?;
                let meta = std::fs::metadata(&abs)
                    .map_err(|e| Error::Input(format!("{}: {e}", p.display())))?;
                found.push(Found {
                    path: abs_s,
                    kind,
                    size: meta.len(),
                    mtime: file_mtime(&meta),
                });
            }
        }
        found.sort_by(|a, b| a.path.cmp(&b.path));
        found.dedup_by(|a, b| a.path == b.path);

        // Files gone from the folders being added.
        let present: HashSet<&str> = found
            .iter()
            .map(|f| f.path.as_str())
            .chain(images_left.iter().map(String::as_str))
            .collect();
        let mut gone = Vec::new();
        for folder in &folders {
            for d in self.store.documents(Some(coll), Some(folder))? {
                if !present.contains(d.path.as_str()) {
                    gone.push(d.id);
                }
            }
        }
        if !gone.is_empty() {
            self.store.set_status(&gone, Status::Removing)?;
            for id in &gone {
                self.index.delete_document(&w, *id);
            }
            report.removed = gone.len() as u64;
        }

        // What needs work.
        let mut todo = Vec::new();
        for f in found {
            match self.store.document(coll, &f.path)? {
                // A failure recorded without a hash judged no content (the
                // file could not be read, or its extractor was killed): retried.
                Some(d)
                    if (d.status == Status::Indexed
                        || (d.status == Status::Failed && d.hash.is_some()))
                        && d.size == f.size
                        && d.mtime == f.mtime =>
                {
                    report.unchanged += 1
                }
                d => todo.push((f, d)),
            }
        }
        let bytes_total: u64 = todo.iter().map(|(f, _)| f.size).sum();
        let mut p = Progress {
            phase: Phase::Indexing,
            files_done: 0,
            files_total: todo.len() as u64,
            bytes_done: 0,
            bytes_total,
            pages: 0,
            chunks: 0,
            failed: 0,
            current: None,
            ocr_page: None,
            elapsed_s: 0.0,
            rate_bytes_s: 0.0,
            eta_s: None,
        };
        progress(&p);

        let mut extractor = Extractor::new(self.worker.clone(), self.options.limits.clone())
            .with_ocr(self.options.ocr);
        let mut batch: Vec<i64> = Vec::new();
        let mut last_commit = Instant::now();
        for (f, existing) in todo {
            p.current = Some(f.path.clone());
            let id = self
                .store
                .upsert_pending(coll, &f.path, f.kind.name(), f.size, f.mtime)?;
            let hash = match hash_file(Path::new(&f.path)) {
                Ok(h) => h,
                Err(e) => {
                    self.store
                        .mark_failed(id, None, &format!("cannot read: {e}"))?;
                    report
                        .failed
                        .push((f.path.clone(), format!("cannot read: {e}")));
                    p.failed += 1;
                    self.step(&mut p, f.size, started, progress);
                    continue;
                }
            };
            let was_indexed = existing
                .as_ref()
                .is_some_and(|d| d.status == Status::Indexed);
            if was_indexed
                && existing.as_ref().and_then(|d| d.hash.as_deref()) == Some(hash.as_str())
            {
                self.store.touch(id, f.size, f.mtime)?;
                report.unchanged += 1;
                self.step(&mut p, f.size, started, progress);
                continue;
            }
            let extracted =
                extractor.extract_with_progress(Path::new(&f.path), f.size, &mut |page, of| {
                    p.ocr_page = Some((page, of));
                    p.elapsed_s = started.elapsed().as_secs_f64();
                    progress(&p);
                });
            p.ocr_page = None;
            match extracted {
                Ok(x) => {
                    let chunks = chunk::chunk(&x.sections, self.options.chunk);
                    let ids = self
                        .store
                        .begin_indexing(id, &hash, x.pages, &x.notes, &chunks)?;
                    self.index.delete_document(&w, id);
                    for (cid, c) in ids.iter().zip(&chunks) {
                        self.index.add(
                            &w,
                            &IndexedChunk {
                                chunk_id: *cid,
                                doc_id: id,
                                collection,
                                kind: f.kind.name(),
                                path: &f.path,
                                heading: &c.heading,
                                text: &c.text,
                            },
                        )?;
                    }
                    batch.push(id);
                    if was_indexed
                        || existing
                            .as_ref()
                            .is_some_and(|d| d.status == Status::Failed)
                    {
                        report.updated += 1;
                    } else {
                        report.added += 1;
                    }
                    let pages = x.pages.unwrap_or(0) as u64;
                    let text: u64 = chunks.iter().map(|c| c.text.len() as u64).sum();
                    report.pages += pages;
                    report.chunks += chunks.len() as u64;
                    report.text_bytes += text;
                    p.pages += pages;
                    p.chunks += chunks.len() as u64;
                }
                Err(e) => {
                    // An earlier version of this file may be in the index.
                    if was_indexed {
                        self.store.set_status(&[id], Status::Indexing)?;
                        self.index.delete_document(&w, id);
                        batch.push(id);
                    }
                    let judged = (!e.interrupted).then_some(hash.as_str());
                    self.store.mark_failed(id, judged, &e.reason)?;
                    report.failed.push((f.path.clone(), e.reason));
                    p.failed += 1;
                }
            }
            report.file_bytes += f.size;
            if batch.len() >= self.options.commit_docs
                || last_commit.elapsed() >= self.options.commit_every
            {
                self.commit(&mut w, &mut batch)?;
                last_commit = Instant::now();
            }
            self.step(&mut p, f.size, started, progress);
        }
        p.phase = Phase::Committing;
        p.current = None;
        progress(&p);
        self.commit(&mut w, &mut batch)?;
        self.store.delete_documents(&gone)?;
        p.phase = Phase::Done;
        p.elapsed_s = started.elapsed().as_secs_f64();
        progress(&p);
        report.elapsed_s = started.elapsed().as_secs_f64();
        Ok(report)
    }

    fn step(
        &self,
        p: &mut Progress,
        bytes: u64,
        started: Instant,
        progress: &mut dyn FnMut(&Progress),
    ) {
        p.files_done += 1;
        p.bytes_done += bytes;
        p.elapsed_s = started.elapsed().as_secs_f64();
        p.rate_bytes_s = p.bytes_done as f64 / p.elapsed_s.max(1e-6);
        p.eta_s =
            (p.rate_bytes_s > 0.0).then(|| (p.bytes_total - p.bytes_done) as f64 / p.rate_bytes_s);
        progress(p);
    }

    /// Commits the index, then marks the batch indexed (never the other way round).
    fn commit(&mut self, w: &mut IndexWriter, batch: &mut Vec<i64>) -> Result<(), Error> {
        w.commit()?;
        self.store.finish_indexing(&std::mem::take(batch))?;
        self.index.reload()?;
        Ok(())
    }

    /// Removes documents at or under `paths` (from `collection`, or from every
    /// collection), or, with no paths, the whole collection. Returns how many.
    pub fn remove(&mut self, paths: &[PathBuf], collection: Option<&str>) -> Result<u64, Error> {
        let coll = match collection {
            Some(c) => Some(
                self.store
                    .collection(c)?
                    .ok_or_else(|| Error::Input(format!("no collection named {c:?}")))?,
            ),
            None => None,
        };
        let mut docs = Vec::new();
        if paths.is_empty() {
            let Some(coll) = coll else {
                return Err(Error::Input(
                    "say what to remove: files or folders, or a collection to remove whole".into(),
                ));
            };
            docs = self.store.documents(Some(coll), None)?;
        } else {
            for p in paths {
                // A file already deleted cannot be canonicalized; made absolute
                // it still matches the path it was stored under.
                let abs = std::fs::canonicalize(p)
                    .or_else(|_| std::path::absolute(p))
                    .unwrap_or_else(|_| p.clone())
                    .to_string_lossy()
                    .into_owned();
                let found = self.store.documents(coll, Some(&abs))?;
                if found.is_empty() {
                    return Err(Error::Input(format!(
                        "{}: not in the knowledge base (the document list shows what is)",
                        p.display()
                    )));
                }
                for (id, _) in self.store.collections()? {
                    if coll.is_none_or(|c| c == id) {
                        self.store.remove_folder(id, &abs)?;
                    }
                }
                docs.extend(found);
            }
        }
        let ids: Vec<i64> = docs.iter().map(|d| d.id).collect();
        let mut w = self.index.writer()?;
        self.store.set_status(&ids, Status::Removing)?;
        for id in &ids {
            self.index.delete_document(&w, *id);
        }
        w.commit()?;
        self.store.delete_documents(&ids)?;
        if paths.is_empty() {
            if let Some(c) = coll {
                self.store.delete_collection(c)?;
            }
        }
        self.index.reload()?;
        Ok(ids.len() as u64)
    }

    pub fn documents(&self, collection: Option<&str>) -> Result<Vec<DocRow>, Error> {
        let coll = match collection {
            Some(c) => match self.store.collection(c)? {
                Some(id) => Some(id),
                None => return Err(Error::Input(format!("no collection named {c:?}"))),
            },
            None => None,
        };
        self.store.documents(coll, None)
    }

    /// Every (collection, folder) added.
    pub fn folders(&self) -> Result<Vec<(String, String)>, Error> {
        let mut out = Vec::new();
        for (id, name) in self.store.collections()? {
            for f in self.store.folders(id)? {
                out.push((name.clone(), f));
            }
        }
        Ok(out)
    }

    pub fn status(&self) -> Result<KbStatus, Error> {
        let docs = self.store.documents(None, None)?;
        let stored = self.store.indexed_chunk_count()?;
        let index_chunks = self.index.num_chunks();
        Ok(KbStatus {
            collections: self.store.collections()?.into_iter().map(|c| c.1).collect(),
            documents: docs.len() as u64,
            indexed: docs.iter().filter(|d| d.status == Status::Indexed).count() as u64,
            failed: docs
                .iter()
                .filter(|d| d.status == Status::Failed)
                .map(|d| (d.path.clone(), d.error.clone().unwrap_or_default()))
                .collect(),
            pending: docs
                .iter()
                .filter(|d| !matches!(d.status, Status::Indexed | Status::Failed))
                .count() as u64,
            stored_chunks: stored,
            index_chunks,
            consistent: stored == index_chunks,
            readers: crate::extract::readers(),
        })
    }

    /// One chunk with its document's path (for a source viewer).
    pub fn chunk(&self, id: i64) -> Result<Option<crate::store::ChunkRow>, Error> {
        self.store.chunk(id)
    }

    /// The best `k` chunks for `query`, with snippets and citations.
    pub fn search(&self, query: &str, filter: &Filter, k: usize) -> Result<Vec<Hit>, Error> {
        if query.trim().is_empty() {
            return Err(Error::Input("the search query is empty".into()));
        }
        // Another handle (or process) may have committed since this one last looked.
        self.index.reload()?;
        let terms = snippet::query_terms(query);
        // Coverage weighs content words only: in a small collection an absent
        // "when" or "welche" would otherwise outweigh every word that matched.
        let term_list: Vec<String> = terms
            .iter()
            .filter(|t| !crate::coverage::is_stop_word(t))
            .cloned()
            .collect();
        let idf = self.index.idf(&term_list);
        let total_idf: f32 = idf.iter().sum::<f32>().max(f32::MIN_POSITIVE);
        let mut out = Vec::new();
        for (id, score) in self.index.search(query, filter, k)? {
            let Some(c) = self.store.chunk(id)? else {
                continue;
            };
            let have: HashSet<String> =
                crate::tokenize::tokens(&format!("{}\n{}", c.heading, c.text))
                    .into_iter()
                    .map(|(t, _)| t)
                    .collect();
            let covered: f32 = term_list
                .iter()
                .zip(&idf)
                .filter(|(t, _)| have.contains(*t))
                .map(|(_, w)| *w)
                .sum();
            out.push(Hit {
                coverage: covered / total_idf,
                chunk_id: c.id,
                doc_id: c.doc_id,
                collection: c.collection,
                path: c.path,
                kind: c.kind,
                page: c.page,
                sheet: c.sheet,
                rows: c.rows,
                heading: c.heading,
                ocr: c.ocr,
                score,
                snippet: snippet::snippet(&c.text, &terms, self.options.snippet_chars),
                text: c.text,
            });
        }
        Ok(out)
    }
}
