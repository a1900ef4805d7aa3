//! Source text from bytes. Real CODESYS exports are Latin-1 (Windows-1252);
//! anything that is not valid UTF-8 is read that way, so no file is refused.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Latin1,
}

/// Decodes `bytes`, dropping a UTF-8 byte-order mark.
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), Encoding::Utf8),
        Err(_) => (bytes.iter().map(|&b| b as char).collect(), Encoding::Latin1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_latin1_and_bom() {
        assert_eq!(decode("Größe".as_bytes()), ("Größe".into(), Encoding::Utf8));
        assert_eq!(decode(b"Gr\xf6\xdfe"), ("Größe".into(), Encoding::Latin1));
        assert_eq!(decode(b"\xEF\xBB\xBFx").0, "x");
    }
}
