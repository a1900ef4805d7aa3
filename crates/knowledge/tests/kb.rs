//! The knowledge base end to end with the real extraction worker, SQLite and
//! tantivy: bad files in a batch, incremental re-add, search in Chinese and
//! English with page citations, filters, and repair after a crash.

mod common;

use std::path::Path;

use common::*;
use millwright_knowledge::index::Filter;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn manual(path: &Path) {
    PdfBuilder::new()
        .page(latin(&["Contents", "1 Pumps 2 Sensors 3 Wiring"]))
        .page(latin(&[
            "Pumps",
            "The feed pump P-101 stops after 10 s of dry running.",
        ]))
        .page(chinese(&[
            "温度传感器",
            "温度传感器 TT-205 的测量范围是零到一百五十摄氏度。",
        ]))
        .page(latin(&[
            "Wiring",
            "Terminal X12 carries the 24 V DC supply for the valve island.",
        ]))
        .save(path);
}

#[test]
fn search_finds_english_and_chinese_passages_on_the_right_page() {
    let docs = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    manual(&docs.path().join("plant-manual.pdf"));
    let mut kb = kb(state.path());
    let r = kb
        .add(&[docs.path().to_owned()], "plant", &mut |_| {})
        .unwrap();
    assert_eq!((r.added, r.failed.len(), r.pages), (1, 0, 4), "{r:?}");

    let hits = kb
        .search("dry running pump", &Filter::default(), 3)
        .unwrap();
    assert_eq!(hits[0].page, Some(2), "{:?}", hits[0]);
    assert_eq!(hits[0].citation(), "plant-manual.pdf, p. 2");
    assert!(
        hits[0].snippet.marked("[", "]").contains("[dry] [running]"),
        "{:?}",
        hits[0].snippet
    );

    let hits = kb.search("测量范围", &Filter::default(), 3).unwrap();
    assert_eq!(hits[0].page, Some(3), "{hits:?}");
    assert!(hits[0].snippet.text.contains("测量范围"));

    let hits = kb.search("温度", &Filter::default(), 3).unwrap();
    assert_eq!(hits[0].page, Some(3), "a sub-word of 温度传感器 finds it");

    // A phrase matches only in order.
    assert_eq!(
        kb.search("\"24 V DC\"", &Filter::default(), 3).unwrap()[0].page,
        Some(4)
    );
    assert!(kb
        .search("\"DC 24 V\"", &Filter::default(), 3)
        .unwrap()
        .is_empty());

    // Relevance coverage: a question about something absent covers little.
    let absent = kb
        .search("Siemens servo torque constant", &Filter::default(), 3)
        .unwrap();
    assert!(
        absent
            .iter()
            .all(|h| h.coverage < millwright_knowledge::MIN_COVERAGE),
        "{absent:?}"
    );
    let present = kb
        .search("feed pump dry running", &Filter::default(), 1)
        .unwrap();
    assert!(present[0].coverage > 0.9, "{present:?}");
}

#[test]
fn filters_limit_by_collection_kind_and_folder() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    std::fs::create_dir(a.path().join("sub")).unwrap();
    write(
        a.path(),
        "pump.md",
        "# Pump\nThe booster pump runs at 2900 rpm.",
    );
    write(
        &a.path().join("sub"),
        "pump.txt",
        "Booster pump spare parts list.",
    );
    write(b.path(), "other.txt", "Another booster pump in plant B.");
    let mut kb = kb(state.path());
    kb.add(&[a.path().to_owned()], "a", &mut |_| {}).unwrap();
    kb.add(&[b.path().to_owned()], "b", &mut |_| {}).unwrap();
    let all = kb.search("booster pump", &Filter::default(), 10).unwrap();
    assert_eq!(all.len(), 3);
    let only_b = Filter {
        collection: Some("b".into()),
        ..Filter::default()
    };
    assert_eq!(kb.search("booster pump", &only_b, 10).unwrap().len(), 1);
    let md = Filter {
        kinds: vec!["markdown".into()],
        ..Filter::default()
    };
    let hits = kb.search("booster pump", &md, 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert!(hits[0].path.ends_with("pump.md"));
    let sub = std::fs::canonicalize(a.path().join("sub")).unwrap();
    let under = Filter {
        under: Some(sub.to_string_lossy().into_owned()),
        ..Filter::default()
    };
    let hits = kb.search("booster pump", &under, 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert!(hits[0].path.ends_with("sub/pump.txt"));
}

#[test]
fn bad_files_fail_with_a_reason_and_the_batch_goes_on() {
    // Without poppler, so that pdf-extract meets the files it panics, hangs
    // and crashes on (poppler reads them: the next test).
    let docs = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let d = docs.path();
    manual(&d.join("good.pdf"));
    pdfs_that_break_pdf_extract(d);
    // Bigger than the worker may allocate (sparse: no disk used).
    std::fs::File::create(d.join("huge.pdf"))
        .unwrap()
        .set_len(5 << 28)
        .unwrap();
    PdfBuilder::new().image_page().save(&d.join("scan.pdf"));
    write(d, "notes.txt", "Cooling tower fan FN-3 has a VFD.");

    let mut kb = kb_with(state.path(), worker_with_env("PATH=/nonexistent"));
    let mut events = 0;
    let r = kb
        .add(&[d.to_owned()], "plant", &mut |_| events += 1)
        .unwrap();
    assert!(events >= 7, "progress after every file");
    let failed: std::collections::HashMap<_, _> = r
        .failed
        .iter()
        .map(|(p, why)| {
            (
                Path::new(p)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                why.clone(),
            )
        })
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(
        failed["huge.pdf"].contains("memory"),
        "{}",
        failed["huge.pdf"]
    );
    assert!(
        failed["scan.pdf"].contains("needs OCR"),
        "{}",
        failed["scan.pdf"]
    );
    assert_eq!(r.added, 5, "{r:?}");

    for (q, file) in [
        ("compressor discharge limit", "panics.pdf"),
        ("chiller setpoint", "hangs.pdf"),
        ("boiler trips", "crashes.pdf"),
        ("cooling tower fan", "notes.txt"),
    ] {
        let hits = kb.search(q, &Filter::default(), 1).unwrap();
        assert!(hits[0].path.ends_with(file), "{q}: {hits:?}");
    }
    let docs = kb.documents(None).unwrap();
    let note = |name: &str| {
        docs.iter()
            .find(|d| d.path.ends_with(name))
            .map(|d| d.notes.join(" "))
            .unwrap()
    };
    assert!(
        note("hangs.pdf").contains("did not finish"),
        "{}",
        note("hangs.pdf")
    );
    assert!(
        note("crashes.pdf").contains("pdf-extract"),
        "{}",
        note("crashes.pdf")
    );
    let s = kb.status().unwrap();
    assert!(s.consistent);
    assert_eq!(s.failed.len(), 2);
}

/// panics.pdf: pdf-extract panics (no MediaBox); hangs.pdf: it follows 2^40
/// form draws; crashes.pdf: a form that draws itself, it recurses until the
/// stack overflows.
fn pdfs_that_break_pdf_extract(d: &Path) {
    PdfBuilder::new()
        .page_without_media_box(latin(&["Compressor C-7 discharge limit 8 bar."]))
        .save(&d.join("panics.pdf"));
    PdfBuilder::new()
        .page_with_exponential_forms(latin(&["Chiller CH-2 setpoint 6 degrees."]), 40)
        .save(&d.join("hangs.pdf"));
    PdfBuilder::new()
        .page_with_self_drawing_form(latin(&["Boiler B-1 trips at 95 degrees."]))
        .save(&d.join("crashes.pdf"));
}

#[test]
fn poppler_reads_what_pdf_extract_panics_and_crashes_on_and_a_poppler_hang_falls_back() {
    let docs = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let d = docs.path();
    pdfs_that_break_pdf_extract(d);
    let mut kb = kb(state.path());
    let r = kb.add(&[d.to_owned()], "plant", &mut |_| {}).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    for (q, file) in [
        ("compressor discharge limit", "panics.pdf"),
        ("chiller setpoint", "hangs.pdf"),
        ("boiler trips", "crashes.pdf"),
    ] {
        let hits = kb.search(q, &Filter::default(), 1).unwrap();
        assert!(hits[0].path.ends_with(file), "{q}: {hits:?}");
        assert_eq!(hits[0].page, Some(1));
    }
    // Poppler too follows 2^40 form draws: it is killed at its share of the
    // file's time, pdf-extract hangs as well, the worker is killed, and lopdf
    // alone reads the page.
    for doc in kb.documents(None).unwrap() {
        let notes = doc.notes.join(" / ");
        if doc.path.ends_with("hangs.pdf") {
            assert!(
                notes.contains("poppler, then pdf-extract, did not finish"),
                "{notes}"
            );
            assert!(notes.contains("lopdf"), "{notes}");
        } else {
            assert!(notes.is_empty(), "{}: {notes}", doc.path);
        }
    }
}

#[test]
fn adding_again_indexes_only_what_changed_and_drops_deleted_files() {
    let docs = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let d = docs.path();
    for i in 0..5 {
        write(
            d,
            &format!("doc{i}.txt"),
            &format!("Document {i} about conveyor belt number {i}."),
        );
    }
    let mut kb = kb(state.path());
    let r = kb.add(&[d.to_owned()], "c", &mut |_| {}).unwrap();
    assert_eq!(r.added, 5);

    let r = kb.add(&[d.to_owned()], "c", &mut |_| {}).unwrap();
    assert_eq!((r.added, r.updated, r.unchanged, r.removed), (0, 0, 5, 0));

    std::thread::sleep(std::time::Duration::from_millis(20));
    write(
        d,
        "doc1.txt",
        "Document 1 now describes the palletizer robot.",
    );
    std::fs::remove_file(d.join("doc2.txt")).unwrap();
    write(d, "doc9.txt", "A new document about the shrink wrapper.");
    // Touched but the same bytes: re-hashed, not re-indexed.
    write(d, "doc3.txt", "Document 3 about conveyor belt number 3.");
    let r = kb.add(&[d.to_owned()], "c", &mut |_| {}).unwrap();
    assert_eq!(
        (r.added, r.updated, r.unchanged, r.removed),
        (1, 1, 3, 1),
        "{r:?}"
    );

    let f = Filter::default();
    assert!(kb.search("palletizer", &f, 5).unwrap()[0]
        .path
        .ends_with("doc1.txt"));
    assert!(kb.search("shrink wrapper", &f, 5).unwrap()[0]
        .path
        .ends_with("doc9.txt"));
    let old = kb.search("\"conveyor belt number 1\"", &f, 5).unwrap();
    assert!(old.is_empty(), "the old text of doc1 is gone: {old:?}");
    assert!(kb
        .search("\"conveyor belt number 2\"", &f, 5)
        .unwrap()
        .is_empty());
    let s = kb.status().unwrap();
    assert_eq!((s.documents, s.indexed), (5, 5));
    assert!(s.consistent);

    assert_eq!(kb.remove(&[d.join("doc9.txt")], None).unwrap(), 1);
    assert!(kb.search("shrink wrapper", &f, 5).unwrap().is_empty());
    assert_eq!(kb.remove(&[], Some("c")).unwrap(), 4);
    assert!(kb.status().unwrap().collections.is_empty());
}

#[test]
fn opening_after_a_crash_between_sqlite_and_the_index_repairs_both() {
    let docs = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    for i in 0..3 {
        write(
            docs.path(),
            &format!("d{i}.txt"),
            &format!("Heat exchanger HX-{i} fouling factor."),
        );
    }
    {
        let mut kb = kb(state.path());
        kb.add(&[docs.path().to_owned()], "c", &mut |_| {}).unwrap();
    }
    // As if the process died after marking d1 `indexing` and d2 `removing`
    // but before the index commit that would follow.
    let db = rusqlite::Connection::open(state.path().join("state.sqlite")).unwrap();
    db.execute(
        "UPDATE documents SET status = 'indexing' WHERE path LIKE '%d1.txt'",
        [],
    )
    .unwrap();
    db.execute(
        "UPDATE documents SET status = 'removing' WHERE path LIKE '%d2.txt'",
        [],
    )
    .unwrap();
    drop(db);
    let mut kb = common::kb(state.path());
    assert_eq!(kb.recovered, 2);
    let s = kb.status().unwrap();
    assert!(s.consistent, "{s:?}");
    assert_eq!((s.documents, s.indexed, s.pending), (2, 1, 1));
    // The next add finishes the job.
    let r = kb.add(&[docs.path().to_owned()], "c", &mut |_| {}).unwrap();
    assert_eq!((r.added, r.unchanged), (2, 1), "{r:?}");
    let s = kb.status().unwrap();
    assert_eq!((s.documents, s.indexed), (3, 3));
    assert!(s.consistent);

    // A lost index is rebuilt from SQLite.
    drop(kb);
    std::fs::remove_dir_all(state.path().join("index")).unwrap();
    let kb = common::kb(state.path());
    let s = kb.status().unwrap();
    assert!(s.consistent && s.index_chunks == 3, "{s:?}");
    // So is a damaged one.
    drop(kb);
    std::fs::write(state.path().join("index/meta.json"), "{ not json").unwrap();
    assert!(matches!(
        millwright_knowledge::index::SearchIndex::open(&state.path().join("index")),
        Err(millwright_knowledge::Error::IndexDamaged { .. })
    ));
    let kb = common::kb(state.path());
    let s = kb.status().unwrap();
    assert!(s.consistent && s.index_chunks == 3, "{s:?}");
    assert_eq!(
        kb.search("HX-2 fouling", &Filter::default(), 1).unwrap()[0]
            .path
            .rsplit('/')
            .next(),
        Some("d2.txt")
    );
}

#[test]
fn bad_input_is_refused_with_the_path_named() {
    let state = tempfile::tempdir().unwrap();
    let mut kb = kb(state.path());
    let e = kb
        .add(&["/no/such/folder".into()], "c", &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("/no/such/folder"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.exe", "MZ");
    let e = kb
        .add(&[dir.path().join("x.exe")], "c", &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("x.exe") && e.contains("not a format"), "{e}");
    assert!(kb.search("  ", &Filter::default(), 5).is_err());
    // Only punctuation or operators: no words, so nothing found (and no error).
    assert!(kb
        .search("??? -- \"\"", &Filter::default(), 5)
        .unwrap()
        .is_empty());
    assert!(kb
        .remove(&[], Some("nope"))
        .unwrap_err()
        .to_string()
        .contains("nope"));
}

#[test]
fn a_watched_folder_is_reindexed_after_a_change() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let docs = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    write(docs.path(), "a.txt", "Agitator AG-1 runs at 60 rpm.");
    let mut kb = kb(state.path());
    kb.add(&[docs.path().to_owned()], "c", &mut |_| {}).unwrap();
    let stop = AtomicBool::new(false);
    let folder = docs.path().to_owned();
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(500));
            write(&folder, "b.txt", "Scrubber SC-4 recirculation pump.");
            std::fs::remove_file(folder.join("a.txt")).unwrap();
        });
        let mut updates = Vec::new();
        let stop = &stop;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        millwright_knowledge::watch::watch(&mut kb, None, stop, &mut |r| {
            updates.push((r.added, r.removed));
            if updates.iter().map(|u| u.0).sum::<u64>() >= 1
                && updates.iter().map(|u| u.1).sum::<u64>() >= 1
                || std::time::Instant::now() > deadline
            {
                stop.store(true, Ordering::Relaxed);
            }
        })
        .unwrap();
    });
    assert!(kb
        .search("scrubber recirculation", &Filter::default(), 1)
        .unwrap()[0]
        .path
        .ends_with("b.txt"));
    assert!(kb
        .search("agitator", &Filter::default(), 1)
        .unwrap()
        .is_empty());
}
