//! DOCX: the paragraphs of `word/document.xml`, split into sections at headings.
//! A heading is a paragraph whose style (from `word/styles.xml`) has an outline
//! level or a name like "heading 2" — style ids are localised ("berschrift2" in
//! German Word, "2" in Chinese Word), names and outline levels are not.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{tidy, Extracted, Kind, Section};

/// Most bytes read from one XML part of the archive (a zip bomb stops here).
const MAX_PART: u64 = 256 << 20;

pub fn extract(bytes: &[u8]) -> Result<Extracted, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not a DOCX (zip) file: {e}"))?;
    let document = part(&mut zip, "word/document.xml")?
        .ok_or("not a Word document: word/document.xml is missing")?;
    let levels = part(&mut zip, "word/styles.xml")?
        .map(|s| heading_levels(&s))
        .unwrap_or_default();
    Ok(Extracted {
        kind: Kind::Docx,
        pages: None,
        sections: paragraphs(&document, &levels)?,
        notes: Vec::new(),
    })
}

fn part(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Option<String>, String> {
    let Ok(file) = zip.by_name(name) else {
        return Ok(None);
    };
    let mut s = String::new();
    file.take(MAX_PART)
        .read_to_string(&mut s)
        .map_err(|e| format!("{name}: {e}"))?;
    Ok(Some(s))
}

fn attr(e: &BytesStart, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// Heading level (1-based) of each paragraph style that is a heading.
fn heading_levels(styles: &str) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let mut reader = Reader::from_str(styles);
    let mut id: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.name().as_ref() {
                b"w:style" => id = attr(&e, b"w:styleId"),
                b"w:name" => {
                    if let (Some(id), Some(name)) = (&id, attr(&e, b"w:val")) {
                        let lower = name.to_lowercase();
                        let level = lower
                            .strip_prefix("heading ")
                            .and_then(|n| n.trim().parse::<usize>().ok())
                            .or((lower == "title").then_some(1));
                        if let Some(l) = level {
                            out.entry(id.clone()).or_insert(l);
                        }
                    }
                }
                b"w:outlineLvl" => {
                    if let (Some(id), Some(l)) = (&id, attr(&e, b"w:val")) {
                        if let Ok(l) = l.parse::<usize>() {
                            if l < 9 {
                                out.insert(id.clone(), l + 1);
                            }
                        }
                    }
                }
                _ => {}
            },
            Ok(Event::End(e)) if e.name().as_ref() == b"w:style" => id = None,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

fn paragraphs(xml: &str, levels: &HashMap<String, usize>) -> Result<Vec<Section>, String> {
    let mut reader = Reader::from_str(xml);
    let mut sections = vec![Section::default()];
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut para = String::new();
    let mut level: Option<usize> = None;
    let mut in_text = false;
    // Table cells are joined into one line per row, `a | b | c`.
    let mut cells = 0usize;
    let mut row = String::new();
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("word/document.xml is not well-formed XML: {e}"))?;
        match ev {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"w:p" => {
                    para.clear();
                    level = None;
                }
                b"w:pStyle" => level = attr(&e, b"w:val").and_then(|v| levels.get(&v).copied()),
                b"w:outlineLvl" => {
                    level = attr(&e, b"w:val")
                        .and_then(|v| v.parse::<usize>().ok())
                        .filter(|&l| l < 9)
                        .map(|l| l + 1)
                }
                b"w:t" => in_text = true,
                b"w:tc" => cells += 1,
                b"w:tab" => para.push('\t'),
                b"w:br" | b"w:cr" => para.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_text => {
                para.push_str(&t.unescape().map_err(|e| e.to_string())?);
            }
            Event::End(e) => match e.name().as_ref() {
                b"w:t" => in_text = false,
                b"w:tc" => {
                    cells = cells.saturating_sub(1);
                    row.push_str(" | ");
                }
                b"w:p" => {
                    let text = para.trim().to_owned();
                    if cells > 0 {
                        row.push_str(&text);
                        row.push(' ');
                        para.clear();
                        continue;
                    }
                    match level {
                        Some(l) if !text.is_empty() => {
                            path.retain(|(pl, _)| *pl < l);
                            path.push((l, text.clone()));
                            sections.push(Section {
                                heading: path.iter().map(|(_, t)| t.clone()).collect(),
                                text: format!("{text}\n"),
                                ..Section::default()
                            });
                        }
                        _ => {
                            let s = sections.last_mut().expect("never empty");
                            s.text.push_str(&text);
                            s.text.push('\n');
                        }
                    }
                    para.clear();
                }
                b"w:tr" => {
                    let s = sections.last_mut().expect("never empty");
                    s.text.push_str(row.trim_end_matches([' ', '|']));
                    s.text.push('\n');
                    row.clear();
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    for s in &mut sections {
        s.text = tidy(&s.text);
    }
    Ok(sections)
}
