//! The knowledge base's state in SQLite (WAL): collections, folders,
//! documents with their status, and chunks. SQLite is the source of truth; the
//! tantivy index is derived from it (see `kb` for how the two stay in step).

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use crate::chunk::Chunk;
use crate::Error;

/// 2: `chunks.ocr`, the OCR confidence of a chunk read by OCR.
const SCHEMA_VERSION: i64 = 2;

/// A document's state. `Indexing` and `Removing` exist only between a
/// change to SQLite and the tantivy commit that matches it; finding one when
/// the knowledge base opens means a crash came in between, and it is repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Indexing,
    Indexed,
    Failed,
    Removing,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Indexing => "indexing",
            Status::Indexed => "indexed",
            Status::Failed => "failed",
            Status::Removing => "removing",
        }
    }
    fn parse(s: &str) -> Status {
        match s {
            "indexing" => Status::Indexing,
            "indexed" => Status::Indexed,
            "failed" => Status::Failed,
            "removing" => Status::Removing,
            _ => Status::Pending,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DocRow {
    pub id: i64,
    pub collection: String,
    pub path: String,
    pub kind: String,
    pub size: u64,
    pub mtime: i64,
    pub hash: Option<String>,
    pub status: Status,
    pub error: Option<String>,
    pub notes: Vec<String>,
    pub pages: Option<u32>,
    pub chunks: u64,
}

/// A chunk with what a citation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkRow {
    pub id: i64,
    pub doc_id: i64,
    pub collection: String,
    pub path: String,
    pub kind: String,
    pub page: Option<u32>,
    pub sheet: Option<String>,
    pub rows: Option<(u32, u32)>,
    pub heading: String,
    /// Read by OCR, with the recognizer's mean confidence (0–100).
    pub ocr: Option<f32>,
    pub text: String,
}

impl ChunkRow {
    /// `manual.pdf, p. 12` · `io.xlsx, sheet IO, rows 2–14` · `spec.md › Alarms`.
    pub fn citation(&self) -> String {
        crate::kb::citation(
            &self.path,
            self.page,
            self.sheet.as_deref(),
            self.rows,
            &self.heading,
            self.ocr.is_some(),
        )
    }
}

pub struct Store {
    conn: Connection,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, Error> {
        let conn = Connection::open(path)
            .map_err(|e| Error::State(format!("cannot open {}: {e}", path.display())))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(Error::State(format!(
                "{} was written by a newer Millwright (schema {version}); update Millwright",
                path.display()
            )));
        }
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS collections(
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL UNIQUE);
             CREATE TABLE IF NOT EXISTS folders(
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
                path TEXT NOT NULL,
                UNIQUE(collection_id, path));
             CREATE TABLE IF NOT EXISTS documents(
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                collection_id INTEGER NOT NULL REFERENCES collections(id),
                path TEXT NOT NULL,
                kind TEXT NOT NULL,
                size INTEGER NOT NULL,
                mtime INTEGER NOT NULL,
                hash TEXT,
                status TEXT NOT NULL,
                error TEXT,
                notes TEXT,
                pages INTEGER,
                updated INTEGER NOT NULL DEFAULT (unixepoch()),
                UNIQUE(collection_id, path));
             CREATE TABLE IF NOT EXISTS chunks(
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                ord INTEGER NOT NULL,
                page INTEGER,
                sheet TEXT,
                row_first INTEGER,
                row_last INTEGER,
                heading TEXT NOT NULL,
                text TEXT NOT NULL,
                ocr REAL);
             CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
             CREATE INDEX IF NOT EXISTS documents_status ON documents(status);",
        )?;
        if version == 1 {
            conn.execute_batch("ALTER TABLE chunks ADD COLUMN ocr REAL")?;
        }
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Store { conn })
    }

    pub fn collection(&self, name: &str) -> Result<Option<i64>, Error> {
        Ok(self
            .conn
            .query_row("SELECT id FROM collections WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn create_collection(&self, name: &str) -> Result<i64, Error> {
        self.conn.execute(
            "INSERT OR IGNORE INTO collections(name) VALUES (?1)",
            [name],
        )?;
        Ok(self.collection(name)?.expect("just inserted"))
    }

    pub fn collections(&self) -> Result<Vec<(i64, String)>, Error> {
        let mut st = self
            .conn
            .prepare("SELECT id, name FROM collections ORDER BY name")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn add_folder(&self, collection: i64, path: &str) -> Result<(), Error> {
        self.conn.execute(
            "INSERT OR IGNORE INTO folders(collection_id, path) VALUES (?1, ?2)",
            params![collection, path],
        )?;
        Ok(())
    }

    pub fn folders(&self, collection: i64) -> Result<Vec<String>, Error> {
        let mut st = self
            .conn
            .prepare("SELECT path FROM folders WHERE collection_id = ?1 ORDER BY path")?;
        let rows = st.query_map([collection], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn remove_folder(&self, collection: i64, path: &str) -> Result<(), Error> {
        self.conn.execute(
            "DELETE FROM folders WHERE collection_id = ?1 AND path = ?2",
            params![collection, path],
        )?;
        Ok(())
    }

    const DOC_COLUMNS: &'static str = "d.id, c.name, d.path, d.kind, d.size, d.mtime, d.hash, d.status, d.error, d.notes, d.pages, (SELECT COUNT(*) FROM chunks k WHERE k.doc_id = d.id)";

    fn doc_row(r: &rusqlite::Row) -> rusqlite::Result<DocRow> {
        let notes: Option<String> = r.get(9)?;
        Ok(DocRow {
            id: r.get(0)?,
            collection: r.get(1)?,
            path: r.get(2)?,
            kind: r.get(3)?,
            size: r.get::<_, i64>(4)? as u64,
            mtime: r.get(5)?,
            hash: r.get(6)?,
            status: Status::parse(&r.get::<_, String>(7)?),
            error: r.get(8)?,
            notes: notes
                .map(|n| n.lines().map(str::to_owned).collect())
                .unwrap_or_default(),
            pages: r.get(10)?,
            chunks: r.get::<_, i64>(11)? as u64,
        })
    }

    /// Documents, optionally of one collection and/or under one path prefix.
    pub fn documents(
        &self,
        collection: Option<i64>,
        under: Option<&str>,
    ) -> Result<Vec<DocRow>, Error> {
        let sql = format!(
            "SELECT {} FROM documents d JOIN collections c ON c.id = d.collection_id
             WHERE (?1 IS NULL OR d.collection_id = ?1)
               AND (?2 IS NULL OR d.path = ?2 OR substr(d.path, 1, length(?3)) = ?3)
             ORDER BY c.name, d.path",
            Self::DOC_COLUMNS
        );
        let prefix = under.map(|u| format!("{}/", u.trim_end_matches('/')));
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(params![collection, under, prefix], Self::doc_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn documents_in(&self, statuses: &[Status]) -> Result<Vec<DocRow>, Error> {
        let mut out = self.documents(None, None)?;
        out.retain(|d| statuses.contains(&d.status));
        Ok(out)
    }

    pub fn document(&self, collection: i64, path: &str) -> Result<Option<DocRow>, Error> {
        let sql = format!(
            "SELECT {} FROM documents d JOIN collections c ON c.id = d.collection_id
             WHERE d.collection_id = ?1 AND d.path = ?2",
            Self::DOC_COLUMNS
        );
        Ok(self
            .conn
            .query_row(&sql, params![collection, path], Self::doc_row)
            .optional()?)
    }

    /// Records a file to index (new, or changed since it was indexed).
    pub fn upsert_pending(
        &self,
        collection: i64,
        path: &str,
        kind: &str,
        size: u64,
        mtime: i64,
    ) -> Result<i64, Error> {
        self.conn.execute(
            "INSERT INTO documents(collection_id, path, kind, size, mtime, status)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending')
             ON CONFLICT(collection_id, path) DO UPDATE SET
                kind = excluded.kind, size = excluded.size, mtime = excluded.mtime,
                status = CASE WHEN status = 'indexed' THEN 'indexed' ELSE 'pending' END",
            params![collection, path, kind, size as i64, mtime],
        )?;
        Ok(self.conn.query_row(
            "SELECT id FROM documents WHERE collection_id = ?1 AND path = ?2",
            params![collection, path],
            |r| r.get(0),
        )?)
    }

    /// The file is unchanged (same hash) although its mtime moved.
    pub fn touch(&self, id: i64, size: u64, mtime: i64) -> Result<(), Error> {
        self.conn.execute(
            "UPDATE documents SET size = ?2, mtime = ?3 WHERE id = ?1",
            params![id, size as i64, mtime],
        )?;
        Ok(())
    }

    /// Stores a document's new chunks and marks it `indexing`, in one
    /// transaction. Returns the chunk ids in order.
    pub fn begin_indexing(
        &mut self,
        id: i64,
        hash: &str,
        pages: Option<u32>,
        notes: &[String],
        chunks: &[Chunk],
    ) -> Result<Vec<i64>, Error> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM chunks WHERE doc_id = ?1", [id])?;
        tx.execute(
            "UPDATE documents SET status = 'indexing', hash = ?2, pages = ?3, notes = ?4,
                error = NULL, updated = unixepoch() WHERE id = ?1",
            params![
                id,
                hash,
                pages,
                (!notes.is_empty()).then(|| notes.join("\n"))
            ],
        )?;
        let mut ids = Vec::with_capacity(chunks.len());
        {
            let mut st = tx.prepare(
                "INSERT INTO chunks(doc_id, ord, page, sheet, row_first, row_last, heading, text, ocr)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for (i, c) in chunks.iter().enumerate() {
                st.execute(params![
                    id,
                    i as i64,
                    c.page,
                    c.sheet,
                    c.rows.map(|r| r.0),
                    c.rows.map(|r| r.1),
                    c.heading,
                    c.text,
                    c.ocr
                ])?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    pub fn set_status(&mut self, ids: &[i64], status: Status) -> Result<(), Error> {
        let tx = self.conn.transaction()?;
        for id in ids {
            tx.execute(
                "UPDATE documents SET status = ?2, updated = unixepoch() WHERE id = ?1",
                params![id, status.name()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Marks documents `indexed` after the commit that holds their chunks; one
    /// that failed meanwhile stays failed.
    pub fn finish_indexing(&mut self, ids: &[i64]) -> Result<(), Error> {
        let tx = self.conn.transaction()?;
        for id in ids {
            tx.execute(
                "UPDATE documents SET status = 'indexed' WHERE id = ?1 AND status = 'indexing'",
                [id],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn mark_failed(&self, id: i64, hash: Option<&str>, error: &str) -> Result<(), Error> {
        self.conn
            .execute("DELETE FROM chunks WHERE doc_id = ?1", [id])?;
        self.conn.execute(
            "UPDATE documents SET status = 'failed', hash = ?2, error = ?3, notes = NULL,
                updated = unixepoch() WHERE id = ?1",
            params![id, hash, error],
        )?;
        Ok(())
    }

    /// Forgets documents (their chunks go with them), in one transaction.
    pub fn delete_documents(&mut self, ids: &[i64]) -> Result<(), Error> {
        let tx = self.conn.transaction()?;
        for id in ids {
            tx.execute("DELETE FROM documents WHERE id = ?1", [id])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Puts documents back to `pending` without chunks (crash recovery).
    pub fn reset_to_pending(&mut self, ids: &[i64]) -> Result<(), Error> {
        let tx = self.conn.transaction()?;
        for id in ids {
            tx.execute("DELETE FROM chunks WHERE doc_id = ?1", [id])?;
            tx.execute(
                "UPDATE documents SET status = 'pending', hash = NULL WHERE id = ?1",
                [id],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn delete_collection(&self, id: i64) -> Result<(), Error> {
        self.conn
            .execute("DELETE FROM collections WHERE id = ?1", [id])?;
        Ok(())
    }

    pub fn chunk(&self, id: i64) -> Result<Option<ChunkRow>, Error> {
        Ok(self
            .conn
            .query_row(
                "SELECT k.id, k.doc_id, c.name, d.path, d.kind, k.page, k.sheet, k.row_first,
                        k.row_last, k.heading, k.text, k.ocr
                 FROM chunks k JOIN documents d ON d.id = k.doc_id
                 JOIN collections c ON c.id = d.collection_id WHERE k.id = ?1",
                [id],
                |r| {
                    let first: Option<u32> = r.get(7)?;
                    let last: Option<u32> = r.get(8)?;
                    Ok(ChunkRow {
                        id: r.get(0)?,
                        doc_id: r.get(1)?,
                        collection: r.get(2)?,
                        path: r.get(3)?,
                        kind: r.get(4)?,
                        page: r.get(5)?,
                        sheet: r.get(6)?,
                        rows: first.zip(last),
                        heading: r.get(9)?,
                        text: r.get(10)?,
                        ocr: r.get(11)?,
                    })
                },
            )
            .optional()?)
    }

    /// Chunks of indexed documents (what the search index must hold).
    pub fn indexed_chunk_count(&self) -> Result<u64, Error> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM chunks k JOIN documents d ON d.id = k.doc_id
             WHERE d.status = 'indexed'",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// All chunks of indexed documents, for rebuilding the search index.
    pub fn for_each_indexed_chunk(
        &self,
        mut f: impl FnMut(ChunkRow) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut st = self.conn.prepare(
            "SELECT k.id FROM chunks k JOIN documents d ON d.id = k.doc_id
             WHERE d.status = 'indexed' ORDER BY k.id",
        )?;
        let ids: Vec<i64> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        for id in ids {
            if let Some(c) = self.chunk(id)? {
                f(c)?;
            }
        }
        Ok(())
    }
}
