//! Plain text and Structured Text sources.

use std::path::Path;

use super::{tidy, Extracted, Kind, Section};

/// Bytes to text: a BOM decides; else UTF-8 if valid; else the encoding
/// chardetng guesses (GBK for Chinese files saved by Windows tools, windows-1252
/// for German ones).
pub fn decode(bytes: &[u8]) -> String {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    det.guess(None, chardetng::Utf8Detection::Allow)
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

pub fn plain(text: &str) -> Extracted {
    Extracted {
        kind: Kind::Text,
        pages: None,
        sections: vec![Section {
            text: tidy(text),
            ..Section::default()
        }],
        notes: Vec::new(),
    }
}

/// ST sources (and TwinCAT/PLCopen files holding ST): one section per POU,
/// headed by its kind and name.
pub fn structured_text(path: &Path, bytes: &[u8]) -> Result<Extracted, String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let text = millwright_iec61131::read_source(name, bytes).map_err(|e| e.to_string())?;
    let mut sections: Vec<Section> = Vec::new();
    let mut current = Section::default();
    for line in text.lines() {
        if let Some(h) = pou_heading(line) {
            if !current.text.trim().is_empty() {
                sections.push(std::mem::take(&mut current));
            }
            current.heading = vec![h];
        }
        current.text.push_str(line);
        current.text.push('\n');
    }
    sections.push(current);
    Ok(Extracted {
        kind: Kind::St,
        pages: None,
        sections,
        notes: Vec::new(),
    })
}

fn pou_heading(line: &str) -> Option<String> {
    let mut words = line.split_whitespace();
    let first = words.next()?.to_ascii_uppercase();
    let kind = match first.as_str() {
        "FUNCTION_BLOCK" | "FUNCTION" | "PROGRAM" | "INTERFACE" | "TYPE" => first,
        _ => return None,
    };
    let mut name = words.next().unwrap_or("");
    // FUNCTION_BLOCK PUBLIC|FINAL|ABSTRACT Name
    while matches!(
        name.to_ascii_uppercase().as_str(),
        "PUBLIC" | "PRIVATE" | "INTERNAL" | "FINAL" | "ABSTRACT"
    ) {
        name = words.next().unwrap_or("");
    }
    let name = name.trim_end_matches([':', ';']);
    Some(format!("{kind} {name}").trim().to_owned())
}
