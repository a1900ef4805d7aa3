//! The tantivy index: one document per chunk, BM25 over the chunk text, its
//! heading path and its file name, all through the mixed-script analyzer.
//! Text itself is not stored here: SQLite holds it, the index holds ids.

use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value,
    FAST, INDEXED, STORED, STRING,
};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::tokenize;
use crate::Error;

/// Memory the writer may use for documents not yet written to a segment.
const WRITER_HEAP: usize = 64 << 20;

#[derive(Clone, Copy)]
struct Fields {
    chunk_id: Field,
    doc_id: Field,
    collection: Field,
    kind: Field,
    path: Field,
    name: Field,
    heading: Field,
    text: Field,
}

/// What a search may be limited to.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub collection: Option<String>,
    /// File kinds (`pdf`, `xlsx`, …); any of them.
    pub kinds: Vec<String>,
    /// A folder or file; results from it and below.
    pub under: Option<String>,
}

/// One chunk to index.
pub struct IndexedChunk<'a> {
    pub chunk_id: i64,
    pub doc_id: i64,
    pub collection: &'a str,
    pub kind: &'a str,
    pub path: &'a str,
    pub heading: &'a str,
    pub text: &'a str,
}

/// Boost of a match in the heading path and in the file name, over the text's 1.
/// From the retrieval evaluation (BENCHMARKS.md).
pub const HEADING_BOOST: f32 = 1.5;
pub const NAME_BOOST: f32 = 1.0;

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    f: Fields,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analyzed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenize::ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let f = Fields {
        chunk_id: b.add_u64_field("chunk_id", STORED | FAST),
        doc_id: b.add_u64_field("doc_id", INDEXED),
        collection: b.add_text_field("collection", STRING),
        kind: b.add_text_field("kind", STRING),
        path: b.add_facet_field("path", FacetOptions::default()),
        name: b.add_text_field("name", analyzed.clone()),
        heading: b.add_text_field("heading", analyzed.clone()),
        text: b.add_text_field("text", analyzed),
    };
    (b.build(), f)
}

/// A path as a facet: `/a/b/c.pdf` → the facet `/a/b/c.pdf`, which tantivy
/// indexes with every ancestor, so a folder's facet finds everything below it.
fn path_facet(path: &str) -> Facet {
    Facet::from_path(path.split(['/', '\\']).filter(|c| !c.is_empty()))
}

impl SearchIndex {
    pub fn open(dir: &Path) -> Result<SearchIndex, Error> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::State(format!("cannot create {}: {e}", dir.display())))?;
        let (schema, f) = schema();
        let mmap = MmapDirectory::open(dir).map_err(|e| {
            Error::State(format!("cannot open the index at {}: {e}", dir.display()))
        })?;
        let index = Index::open_or_create(mmap, schema).map_err(|e| Error::IndexDamaged {
            path: dir.display().to_string(),
            cause: e.to_string(),
        })?;
        index
            .tokenizers()
            .register(tokenize::ANALYZER, tokenize::analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex { index, reader, f })
    }

    /// The writer; only one process may hold it.
    pub fn writer(&self) -> Result<IndexWriter, Error> {
        self.index
            .writer_with_num_threads(1, WRITER_HEAP)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => Error::Busy(
                    "another Millwright process is updating the knowledge base; wait for it to finish"
                        .into(),
                ),
                e => e.into(),
            })
    }

    pub fn add(&self, w: &IndexWriter, c: &IndexedChunk) -> Result<(), Error> {
        let name = Path::new(c.path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        w.add_document(doc!(
            self.f.chunk_id => c.chunk_id as u64,
            self.f.doc_id => c.doc_id as u64,
            self.f.collection => c.collection,
            self.f.kind => c.kind,
            self.f.path => path_facet(c.path),
            self.f.name => name,
            self.f.heading => c.heading,
            self.f.text => c.text,
        ))?;
        Ok(())
    }

    pub fn delete_document(&self, w: &IndexWriter, doc_id: i64) {
        w.delete_term(Term::from_field_u64(self.f.doc_id, doc_id as u64));
    }

    /// Makes the reader see the last commit.
    pub fn reload(&self) -> Result<(), Error> {
        self.reader.reload()?;
        Ok(())
    }

    pub fn num_chunks(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Inverse document frequency of each analyzed term in chunk texts
    /// (BM25's formula); a term no chunk holds gets the highest.
    pub fn idf(&self, terms: &[String]) -> Vec<f32> {
        let searcher = self.reader.searcher();
        let n = searcher.num_docs() as f32;
        terms
            .iter()
            .map(|t| {
                let df = searcher
                    .doc_freq(&Term::from_field_text(self.f.text, t))
                    .unwrap_or(0) as f32;
                (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
            })
            .collect()
    }

    /// Parses a user's query: words, `"phrases"`, `+must`, `-not`, `field:value`;
    /// what does not parse is searched as words rather than refused.
    pub fn parse(&self, query: &str) -> Box<dyn Query> {
        let mut qp =
            QueryParser::for_index(&self.index, vec![self.f.text, self.f.heading, self.f.name]);
        qp.set_field_boost(self.f.heading, HEADING_BOOST);
        qp.set_field_boost(self.f.name, NAME_BOOST);
        qp.parse_query_lenient(&loosen(query)).0
    }

    /// The best `k` chunks: (chunk id, BM25 score), best first.
    pub fn search(&self, query: &str, filter: &Filter, k: usize) -> Result<Vec<(i64, f32)>, Error> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, self.parse(query))];
        if let Some(c) = &filter.collection {
            clauses.push((
                Occur::Must,
                term(Term::from_field_text(self.f.collection, c)),
            ));
        }
        if !filter.kinds.is_empty() {
            let any: Vec<(Occur, Box<dyn Query>)> = filter
                .kinds
                .iter()
                .map(|k| (Occur::Should, term(Term::from_field_text(self.f.kind, k))))
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if let Some(u) = &filter.under {
            clauses.push((
                Occur::Must,
                term(Term::from_facet(self.f.path, &path_facet(u))),
            ));
        }
        let q = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher.search(&q, &TopDocs::with_limit(k.max(1)).order_by_score())?;
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let d: TantivyDocument = searcher.doc(addr)?;
            if let Some(id) = d.get_first(self.f.chunk_id).and_then(|v| v.as_u64()) {
                out.push((id as i64, score));
            }
        }
        Ok(out)
    }
}

/// Splits each plain word of a query into its tokens. tantivy's parser makes
/// one word that analyzes to several tokens a phrase query, so a Chinese
/// question written without spaces (`额定电流是多少`) or `4-20mA` would have to
/// match as one exact phrase; split, the words are ranked by BM25 like any
/// other. Quoted phrases, `+must`, `-not` and `field:value` stay as written.
fn loosen(query: &str) -> String {
    let mut out = String::with_capacity(query.len() + 16);
    for (i, part) in query.split('"').enumerate() {
        if i > 0 {
            out.push('"');
            if i % 2 == 0 {
                out.push(' ');
            }
        }
        if i % 2 == 1 {
            out.push_str(part);
            continue;
        }
        for w in part.split_whitespace() {
            if w.starts_with(['+', '-']) || w.contains(':') {
                out.push_str(w);
            } else {
                for (_, r) in tokenize::tokens(w) {
                    out.push_str(&w[r]);
                    out.push(' ');
                }
            }
            out.push(' ');
        }
    }
    out
}

fn term(t: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(t, IndexRecordOption::Basic))
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_words_are_split_and_syntax_is_kept() {
        let l = super::loosen("额定电流 4-20mA \"24 V DC\" +pump -valve kind:pdf");
        let words: Vec<&str> = l.split_whitespace().collect();
        assert!(words.contains(&"额定") && words.contains(&"电流"), "{l}");
        assert!(words.contains(&"4") && words.contains(&"20mA"), "{l}");
        assert!(l.contains("\"24 V DC\""), "{l}");
        assert!(
            words.contains(&"+pump") && words.contains(&"-valve") && words.contains(&"kind:pdf"),
            "{l}"
        );
    }
}
