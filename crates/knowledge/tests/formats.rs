//! Every format, from a fixture the test writes, through the real extractor:
//! the text comes out and keeps its provenance.

mod common;

use common::*;
use millwright_knowledge::extract::{extract_file, Kind};

#[test]
fn pdf_text_is_extracted_per_page_in_latin_and_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manual.pdf");
    PdfBuilder::new()
        .page(latin(&[
            "Chapter 1 Introduction",
            "The pump starts at 4 bar.",
        ]))
        .page(chinese(&[
            "第二章 温度传感器",
            "温度传感器的测量范围是零到一百五十度。",
        ]))
        .page(latin(&[
            "Chapter 3 Wiring",
            "Terminal X12 carries 24 V DC.",
        ]))
        .save(&path);
    let x = extract_file(&path, false).expect("extract");
    assert_eq!(x.kind, Kind::Pdf);
    assert_eq!(x.pages, Some(3));
    let pages: Vec<_> = x.sections.iter().map(|s| s.page).collect();
    assert_eq!(pages, [Some(1), Some(2), Some(3)]);
    assert!(
        x.sections[0].text.contains("pump starts at 4 bar"),
        "{:?}",
        x.sections[0].text
    );
    let zh: String = x.sections[1].text.split_whitespace().collect();
    assert!(
        zh.contains("温度传感器的测量范围是零到一百五十度"),
        "{zh:?}"
    );
    assert!(x.sections[2].text.contains("X12"));
}

#[test]
fn the_second_extractor_alone_reads_the_same_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.pdf");
    PdfBuilder::new()
        .page(latin(&["Valve V101 closes in 3 s."]))
        .save(&path);
    let x = extract_file(&path, true).expect("fallback");
    assert!(
        x.sections[0].text.contains("V101 closes in 3 s"),
        "{:?}",
        x.sections
    );
    assert!(x.notes.iter().any(|n| n.contains("lopdf")));
}

#[test]
fn a_pdf_of_images_without_text_says_ocr_read_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan.pdf");
    PdfBuilder::new().image_page().image_page().save(&path);
    let e = extract_file(&path, false).unwrap_err();
    assert!(
        e.contains("OCR read nothing") && e.contains("2 of 2"),
        "{e}"
    );
}

#[test]
fn a_pdf_that_panics_pdf_extract_is_read_by_poppler() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-media-box.pdf");
    PdfBuilder::new()
        .page_without_media_box(latin(&["Motor M3 rated 7.5 kW."]))
        .save(&path);
    millwright_knowledge::extract::record_panics();
    let x = extract_file(&path, false).expect("poppler reads it");
    assert!(x.sections[0].text.contains("7.5 kW"));
    assert!(x.notes.is_empty(), "{:?}", x.notes);
}

#[test]
fn docx_sections_follow_localised_heading_styles_and_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec.docx");
    let body = [
        docx_heading(1, "Pumpen"),
        docx_para("Allgemeine Anforderungen."),
        docx_heading(2, "Trockenlaufschutz"),
        docx_para("Die Pumpe stoppt nach 10 s ohne Durchfluss."),
        docx_table(&[&["Signal", "Adresse"], &["P1_Run", "%Q0.0"]]),
    ]
    .concat();
    docx(&path, &body);
    let x = extract_file(&path, false).expect("docx");
    let dry = x
        .sections
        .iter()
        .find(|s| s.text.contains("10 s ohne Durchfluss"))
        .expect("section");
    assert_eq!(dry.heading, ["Pumpen", "Trockenlaufschutz"]);
    assert!(dry.text.contains("P1_Run | %Q0.0"), "{:?}", dry.text);
}

#[test]
fn markdown_and_html_keep_heading_paths() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("notes.md");
    std::fs::write(
        &md,
        "# Alarms\n\nIntro.\n\n## High level\n\nLSH-101 trips the feed pump.\n",
    )
    .unwrap();
    let x = extract_file(&md, false).unwrap();
    let s = x
        .sections
        .iter()
        .find(|s| s.text.contains("LSH-101"))
        .unwrap();
    assert_eq!(s.heading, ["Alarms", "High level"]);

    let html = dir.path().join("page.html");
    std::fs::write(
        &html,
        "<html><head><title>t</title><script>var hidden = 1;</script></head><body><h1>Drives</h1><p>General.</p><h2>Ramp</h2><p>Ramp time is 5 s.</p></body></html>",
    )
    .unwrap();
    let x = extract_file(&html, false).unwrap();
    let s = x
        .sections
        .iter()
        .find(|s| s.text.contains("Ramp time"))
        .unwrap();
    assert_eq!(s.heading, ["Drives", "Ramp"]);
    assert!(!x.sections.iter().any(|s| s.text.contains("hidden")));
}

#[test]
fn text_in_gbk_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("readme.txt");
    let (bytes, _, _) = encoding_rs::GBK
        .encode("变频器的加速时间为五秒钟，减速时间为十秒钟。请在调试前检查参数设置是否正确。");
    std::fs::write(&path, &bytes).unwrap();
    let x = extract_file(&path, false).unwrap();
    assert!(
        x.sections[0].text.contains("加速时间为五秒钟"),
        "{:?}",
        x.sections[0].text
    );
}

#[test]
fn csv_and_xlsx_rows_keep_sheet_and_row_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("io.csv");
    let mut text = String::from("Tag;Address;Description\n");
    for i in 0..60 {
        text.push_str(&format!(
            "Valve_{i};%Q{}.{};Valve {i} open command\n",
            i / 8,
            i % 8
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let x = extract_file(&csv, false).unwrap();
    assert!(x.sections.len() > 1, "grouped into several chunks");
    let s = x
        .sections
        .iter()
        .find(|s| s.text.contains("Valve_42"))
        .unwrap();
    let (a, b) = s.rows.unwrap();
    assert!(a <= 44 && 44 <= b, "Valve_42 is on row 44: {a}..{b}");
    assert!(s.text.contains("Address: %Q5.2"), "{}", s.text);

    let xlsx = dir.path().join("params.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Drives").unwrap();
    ws.write(2, 0, "Parameter").unwrap();
    ws.write(2, 1, "Value").unwrap();
    ws.write(3, 0, "Ramp up").unwrap();
    ws.write(3, 1, 5.5).unwrap();
    ws.write(4, 0, "Max speed").unwrap();
    ws.write(4, 1, 1450).unwrap();
    wb.save(&xlsx).unwrap();
    let x = extract_file(&xlsx, false).unwrap();
    let s = &x.sections[0];
    assert_eq!(s.sheet.as_deref(), Some("Drives"));
    assert_eq!(s.rows, Some((3, 5)));
    assert!(
        s.text.contains("Parameter: Max speed | Value: 1450"),
        "{}",
        s.text
    );
}

#[test]
fn st_sources_are_sectioned_per_pou() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("motor.st");
    std::fs::write(
        &path,
        "FUNCTION_BLOCK FB_Motor\nVAR_INPUT start : BOOL; END_VAR\nEND_FUNCTION_BLOCK\n\nFUNCTION F_Scale : REAL\nVAR_INPUT x : INT; END_VAR\nF_Scale := x / 10.0;\nEND_FUNCTION\n",
    )
    .unwrap();
    let x = extract_file(&path, false).unwrap();
    let heads: Vec<_> = x.sections.iter().map(|s| s.heading.join("")).collect();
    assert_eq!(heads, ["FUNCTION_BLOCK FB_Motor", "FUNCTION F_Scale"]);
}

#[test]
fn unsupported_and_empty_files_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "  \n").unwrap();
    assert!(extract_file(&empty, false).unwrap_err().contains("no text"));
    let bad = dir.path().join("broken.docx");
    std::fs::write(&bad, "not a zip").unwrap();
    assert!(extract_file(&bad, false)
        .unwrap_err()
        .contains("not a DOCX"));
}
