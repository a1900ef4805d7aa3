//! Documents as engineers have them, through real poppler and Tesseract: a
//! Chinese PDF in a predefined CMap (which pdf-extract panics on), scanned
//! pages read by OCR and cited as such, images, encrypted and truncated files,
//! poppler missing, and an OCR child killed mid-document.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use millwright_knowledge::extract::{extract_file, extract_with, ExtractOptions, Kind};
use millwright_knowledge::index::Filter;
use millwright_knowledge::samples::{self, Page};

const PUMP: &[&str] = &[
    "Feed pump P-101",
    "The pump starts when the tank level is above 40 percent.",
    "Dry running stops the motor after 10 seconds.",
];
const SENSOR: &[&str] = &[
    "Temperature sensor TT-205",
    "The sensor measures from 0 to 150 degrees Celsius.",
];
const ZH: &[&str] = &["温度传感器", "温度传感器的测量范围是零到一百五十摄氏度。"];

fn pdf(dir: &Path, name: &str, pages: &[Page]) -> PathBuf {
    let path = dir.join(name);
    samples::text_pdf(&path, pages).expect("write pdf");
    path
}

fn latin(lines: &'static [&'static str]) -> Page<'static> {
    Page {
        lines,
        chinese: false,
    }
}

fn scanned(dir: &Path, name: &str, pages: &[Page]) -> PathBuf {
    let text = pdf(dir, &format!("{name}.text.pdf"), pages);
    let out = dir.join(name);
    samples::scan(&text, &out, 300).expect("scan");
    std::fs::remove_file(text).unwrap();
    out
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect()
}

#[test]
fn a_chinese_pdf_in_a_predefined_cmap_is_read_by_poppler() {
    let dir = tempfile::tempdir().unwrap();
    let path = pdf(
        dir.path(),
        "gb.pdf",
        &[
            latin(SENSOR),
            Page {
                lines: ZH,
                chinese: true,
            },
        ],
    );
    let x = extract_file(&path, false).expect("extract");
    assert_eq!(x.pages, Some(2));
    assert_eq!(x.sections[1].page, Some(2));
    assert!(
        squash(&x.sections[1].text).contains("温度传感器的测量范围是零到一百五十摄氏度"),
        "{:?}",
        x.sections
    );
    assert!(x.sections.iter().all(|s| s.ocr.is_none()));
}

#[test]
fn a_scanned_page_is_read_by_ocr_with_its_confidence() {
    let dir = tempfile::tempdir().unwrap();
    let path = scanned(dir.path(), "scan.pdf", &[latin(PUMP)]);
    let mut seen = Vec::new();
    let x = extract_with(&path, &ExtractOptions::default(), &mut |i, n| {
        seen.push((i, n))
    })
    .expect("ocr");
    assert_eq!(seen, [(1, 1)]);
    let s = &x.sections[0];
    assert_eq!(s.page, Some(1));
    let conf = s.ocr.expect("marked as OCR");
    assert!(conf > 70.0, "confidence {conf}");
    assert!(s.text.contains("P-101"), "{:?}", s.text);
    assert!(s.text.contains("10 seconds"), "{:?}", s.text);
    assert!(
        x.notes.iter().any(|n| n.contains("page 1 read by OCR")),
        "{:?}",
        x.notes
    );

    let off = ExtractOptions {
        ocr: false,
        ..ExtractOptions::default()
    };
    let e = extract_with(&path, &off, &mut |_, _| {}).unwrap_err();
    assert!(e.contains("needs OCR") && e.contains("turned off"), "{e}");
}

#[test]
fn a_scanned_chinese_page_is_read_in_chinese_tag_names_and_numbers_kept() {
    // With the Latin models alongside, Tesseract read whole lines of this page
    // as Latin garbage; the Chinese-only second reading must win those words
    // and lose to the first where it misreads tag names and units.
    const MIXED: &[&str] = &[
        "温度传感器的测量范围是零到一百五十摄氏度。",
        "传感器每五秒采样一次，超过上限时触发报警。",
        "当储罐 T-1 液位高于 40 % 时进料泵启动，",
        "并触发报警 AL-17。额定功率 7.5 kW。",
    ];
    let dir = tempfile::tempdir().unwrap();
    let page = Page {
        lines: MIXED,
        chinese: true,
    };
    let path = scanned(dir.path(), "zh-scan.pdf", &[page]);
    let x = extract_with(&path, &ExtractOptions::default(), &mut |_, _| {}).expect("ocr");
    let text = squash(&x.sections[0].text);
    assert!(x.sections[0].ocr.is_some());
    for want in ["传感器每五秒采样一次", "摄氏度", "T-1液位高于40%", "7.5kW"] {
        assert!(text.contains(want), "{want:?} not in {text:?}");
    }
    // Nothing read twice, nothing lost: within a few characters of the source.
    let source: String = squash(&MIXED.concat());
    let (got, want) = (text.chars().count(), source.chars().count());
    assert!(
        got.abs_diff(want) <= want / 10,
        "{got} chars for {want}: {text:?}"
    );
}

#[test]
fn an_image_file_is_read_by_ocr() {
    let dir = tempfile::tempdir().unwrap();
    let text = pdf(dir.path(), "p.pdf", &[latin(SENSOR)]);
    let png = dir.path().join("photo");
    let ok = std::process::Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-png", "-singlefile"])
        .arg(&text)
        .arg(&png)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let png = png.with_extension("png");
    let x = extract_file(&png, false).expect("ocr");
    assert_eq!(x.kind, Kind::Image);
    assert!(x.sections[0].ocr.is_some());
    assert!(x.sections[0].text.contains("TT-205"), "{:?}", x.sections);
}

#[test]
fn encrypted_truncated_and_fake_pdfs_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let plain = pdf(dir.path(), "plain.pdf", &[latin(PUMP), latin(SENSOR)]);
    let locked = dir.path().join("locked.pdf");
    samples::encrypt(&plain, &locked, "secret").expect("encrypt");
    let e = extract_file(&locked, false).unwrap_err();
    assert!(e.contains("password"), "{e}");

    let bytes = std::fs::read(&plain).unwrap();
    let cut = dir.path().join("cut.pdf");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    match extract_file(&cut, false) {
        // Poppler rebuilds what it can of a truncated file.
        Ok(x) => assert!(x.sections.iter().any(|s| s.text.contains("P-101"))),
        Err(e) => assert!(e.contains("PDF"), "{e}"),
    }

    let fake = dir.path().join("fake.pdf");
    std::fs::write(&fake, "this is no PDF at all").unwrap();
    let e = extract_file(&fake, false).unwrap_err();
    assert!(e.contains("not a readable PDF"), "{e}");
}

#[test]
fn chinese_and_scanned_documents_are_searchable_and_scans_cited_as_ocr() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    pdf(
        &docs,
        "gb.pdf",
        &[Page {
            lines: ZH,
            chinese: true,
        }],
    );
    scanned(&docs, "scan.pdf", &[latin(SENSOR), latin(PUMP)]);
    let mut kb = kb(&dir.path().join("kb"));
    let mut ocr_pages = Vec::new();
    let report = kb
        .add(std::slice::from_ref(&docs), "default", &mut |p| {
            if let Some(x) = p.ocr_page {
                ocr_pages.push(x)
            }
        })
        .expect("add");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(ocr_pages, [(1, 2), (2, 2)]);

    let hits = kb.search("传感器", &Filter::default(), 3).unwrap();
    assert!(hits[0].path.ends_with("gb.pdf"), "{hits:?}");
    assert!(hits[0].ocr.is_none());

    let hits = kb
        .search("dry running motor", &Filter::default(), 3)
        .unwrap();
    let top = &hits[0];
    assert!(top.path.ends_with("scan.pdf"), "{hits:?}");
    assert_eq!(top.page, Some(2));
    assert!(top.ocr.is_some());
    assert!(
        top.citation().ends_with("scan.pdf, p. 2 (OCR)"),
        "{}",
        top.citation()
    );
}

#[test]
fn a_killed_ocr_child_costs_one_page_not_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    scanned(&docs, "scan.pdf", &[latin(SENSOR), latin(PUMP)]);
    // The worker's first tesseract run lists the languages; the second reads page 1.
    let mut kb = kb_with(
        &dir.path().join("kb"),
        worker_with_env("MILLWRIGHT_FAULT_KILL=tesseract:2"),
    );
    let report = kb.add(&[docs], "default", &mut |_| {}).expect("add");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let doc = &kb.documents(None).unwrap()[0];
    let notes = doc.notes.join("\n");
    assert!(
        notes.contains("OCR failed on 1 page (first: page 1: tesseract was killed by signal 9"),
        "{notes}"
    );
    let hits = kb
        .search("dry running motor", &Filter::default(), 3)
        .unwrap();
    assert_eq!(hits[0].page, Some(2));
    assert!(kb
        .search("temperature sensor degrees", &Filter::default(), 3)
        .unwrap()
        .iter()
        .all(|h| h.page != Some(1)));
}

#[test]
fn without_poppler_a_pdf_falls_back_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    // Page 2 has no MediaBox, which pdf-extract panics on: lopdf reads it.
    PdfBuilder::new()
        .page(common::latin(PUMP))
        .page_without_media_box(common::latin(&["Motor M3 rated 7.5 kW."]))
        .save(&docs.join("plain.pdf"));
    let mut kb = kb_with(&dir.path().join("kb"), worker_with_env("PATH=/nonexistent"));
    let report = kb.add(&[docs], "default", &mut |_| {}).expect("add");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let doc = &kb.documents(None).unwrap()[0];
    assert!(
        doc.notes
            .iter()
            .any(|n| n.contains("pdftotext is not installed") && n.contains("poppler-data")),
        "{:?}",
        doc.notes
    );
    assert!(
        doc.notes
            .iter()
            .any(|n| n.contains("page 2") && n.contains("lopdf")),
        "{:?}",
        doc.notes
    );
    let hits = kb.search("dry running", &Filter::default(), 3).unwrap();
    assert_eq!(hits[0].page, Some(1));
    let hits = kb.search("motor rated kW", &Filter::default(), 3).unwrap();
    assert_eq!(hits[0].page, Some(2));
}
