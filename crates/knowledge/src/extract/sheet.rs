//! CSV and workbooks (IO lists, parameter tables): each row is written as
//! `header: value | header: value`, so a chunk of rows reads on its own, and
//! rows are grouped into sections that keep their sheet and row range.

use std::io::Cursor;
use std::path::Path;

use calamine::{open_workbook_auto_from_rs, Data, Reader};

use super::{Extracted, Kind, Section};

/// Characters of row text per section; a section is one retrievable chunk.
const ROWS_CHARS: usize = 800;

pub fn csv(text: &str, path: &Path) -> Result<Extracted, String> {
    let first = text.lines().next().unwrap_or("");
    let tsv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    let delimiter = if tsv {
        b'\t'
    } else {
        [b',', b';', b'\t']
            .into_iter()
            .max_by_key(|d| first.bytes().filter(|b| b == d).count())
            .unwrap_or(b',')
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| format!("row {}: {e}", i + 1))?;
        rows.push(rec.iter().map(str::to_owned).collect::<Vec<_>>());
    }
    Ok(Extracted {
        kind: Kind::Csv,
        pages: None,
        sections: group(&rows, None),
        notes: Vec::new(),
    })
}

pub fn workbook(bytes: Vec<u8>) -> Result<Extracted, String> {
    let mut wb = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| format!("not a readable workbook: {e}"))?;
    let mut sections = Vec::new();
    let mut notes = Vec::new();
    for name in wb.sheet_names() {
        let range = match wb.worksheet_range(&name) {
            Ok(r) => r,
            Err(e) => {
                notes.push(format!("sheet {name}: {e}"));
                continue;
            }
        };
        // Row numbers as the spreadsheet shows them, even when the used range
        // starts below row 1.
        let first_row = range.start().map(|(r, _)| r).unwrap_or(0);
        let mut rows: Vec<Vec<String>> = (0..first_row).map(|_| Vec::new()).collect();
        rows.extend(range.rows().map(|r| r.iter().map(cell).collect()));
        sections.extend(group(&rows, Some(&name)));
    }
    Ok(Extracted {
        kind: Kind::Xlsx,
        pages: None,
        sections,
        notes,
    })
}

fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// Rows (index 0 = spreadsheet row 1) into sections; the first non-empty row
/// is the header that labels the values of the rows after it.
fn group(rows: &[Vec<String>], sheet: Option<&str>) -> Vec<Section> {
    let is_empty = |r: &Vec<String>| r.iter().all(|c| c.trim().is_empty());
    let Some(h) = rows.iter().position(|r| !is_empty(r)) else {
        return Vec::new();
    };
    let header: Vec<&str> = rows[h].iter().map(|c| c.trim()).collect();
    let mut out = Vec::new();
    let mut text = format!("{}\n", header.join(" | "));
    let mut first = h as u32 + 1;
    let mut last = first;
    for (i, row) in rows.iter().enumerate().skip(h + 1) {
        if is_empty(row) {
            continue;
        }
        let line = row
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(c, v)| match header.get(c).filter(|h| !h.is_empty()) {
                Some(h) => format!("{h}: {}", v.trim()),
                None => v.trim().to_owned(),
            })
            .collect::<Vec<_>>()
            .join(" | ");
        if text.chars().count() + line.chars().count() > ROWS_CHARS && last > first {
            out.push(section(sheet, first, last, std::mem::take(&mut text)));
            first = i as u32 + 1;
        }
        text.push_str(&line);
        text.push('\n');
        last = i as u32 + 1;
    }
    if !text.trim().is_empty() {
        out.push(section(sheet, first, last, text));
    }
    out
}

fn section(sheet: Option<&str>, first: u32, last: u32, text: String) -> Section {
    Section {
        sheet: sheet.map(str::to_owned),
        rows: Some((first, last)),
        text,
        ..Section::default()
    }
}
