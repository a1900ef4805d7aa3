//! Turns token bytes into streamed text: whole UTF-8 characters only, and
//! nothing that could turn out to be the start of a stop string.
//!
//! Pure logic, tested without a model.

#[derive(Debug, Default)]
pub struct TextStream {
    /// Bytes of a character split across tokens.
    partial: Vec<u8>,
    /// Decoded text not yet released.
    held: String,
    stops: Vec<String>,
    /// Everything released so far (the final answer).
    released: String,
}

/// What pushing a token's bytes produced.
#[derive(Debug, PartialEq, Eq)]
pub struct Push {
    /// Text safe to show now (may be empty).
    pub text: String,
    /// True when a stop string was completed; generation should end.
    pub stopped: bool,
}

impl TextStream {
    pub fn new(stops: Vec<String>) -> Self {
        TextStream {
            stops: stops.into_iter().filter(|s| !s.is_empty()).collect(),
            ..Self::default()
        }
    }

    pub fn push(&mut self, bytes: &[u8]) -> Push {
        self.partial.extend_from_slice(bytes);
        self.decode_partial(false);
        if let Some(at) = self.stops.iter().filter_map(|s| self.held.find(s)).min() {
            self.held.truncate(at);
            let text = std::mem::take(&mut self.held);
            self.released.push_str(&text);
            return Push {
                text,
                stopped: true,
            };
        }
        let keep = self.longest_stop_prefix_suffix();
        let cut = self.held.len() - keep;
        let rest = self.held.split_off(cut);
        let text = std::mem::replace(&mut self.held, rest);
        self.released.push_str(&text);
        Push {
            text,
            stopped: false,
        }
    }

    /// Releases whatever is held (end of generation): a dangling partial
    /// character becomes U+FFFD, a held stop-string prefix is plain text.
    pub fn finish(&mut self) -> String {
        self.decode_partial(true);
        let text = std::mem::take(&mut self.held);
        self.released.push_str(&text);
        text
    }

    pub fn released(&self) -> &str {
        &self.released
    }

    fn decode_partial(&mut self, at_end: bool) {
        loop {
            match std::str::from_utf8(&self.partial) {
                Ok(s) => {
                    self.held.push_str(s);
                    self.partial.clear();
                    return;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    // valid_up_to is a char boundary, so this cannot fail.
                    self.held
                        .push_str(std::str::from_utf8(&self.partial[..valid]).unwrap_or(""));
                    match e.error_len() {
                        // An invalid sequence: replace it and go on.
                        Some(bad) => {
                            self.held.push(char::REPLACEMENT_CHARACTER);
                            self.partial.drain(..valid + bad);
                        }
                        // An incomplete character: wait for more bytes.
                        None if !at_end => {
                            self.partial.drain(..valid);
                            return;
                        }
                        None => {
                            self.held.push(char::REPLACEMENT_CHARACTER);
                            self.partial.clear();
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Length of the longest suffix of `held` that is a proper prefix of a stop string.
    fn longest_stop_prefix_suffix(&self) -> usize {
        let mut best = 0;
        for stop in &self.stops {
            for (i, _) in stop.char_indices().skip(1) {
                let prefix = &stop[..i];
                if i > best && self.held.ends_with(prefix) {
                    best = i;
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], pieces: &[&[u8]]) -> (Vec<String>, bool, String) {
        let mut s = TextStream::new(stops.iter().map(|s| s.to_string()).collect());
        let mut out = Vec::new();
        let mut stopped = false;
        for p in pieces {
            let r = s.push(p);
            out.push(r.text);
            if r.stopped {
                stopped = true;
                break;
            }
        }
        if !stopped {
            out.push(s.finish());
        }
        (out, stopped, s.released().to_string())
    }

    #[test]
    fn split_utf8_character_is_held_until_complete() {
        let zhong = "中".as_bytes(); // 3 bytes
        let (out, _, all) = run(&[], &[b"a", &zhong[..1], &zhong[1..2], &zhong[2..], b"b"]);
        assert_eq!(out, vec!["a", "", "", "中", "b", ""]);
        assert_eq!(all, "a中b");
    }

    #[test]
    fn stop_string_across_tokens_is_never_shown() {
        let (out, stopped, all) = run(&["END_IF"], &[b"x := 1;\nEN", b"D_", b"IF;"]);
        assert!(stopped);
        assert_eq!(out, vec!["x := 1;\n", "", ""]);
        assert_eq!(all, "x := 1;\n");
    }

    #[test]
    fn held_prefix_that_is_not_a_stop_is_released() {
        let (out, stopped, all) = run(&["\n\n"], &[b"a\n", b"b"]);
        assert!(!stopped);
        assert_eq!(out, vec!["a", "\nb", ""]);
        assert_eq!(all, "a\nb");
    }

    #[test]
    fn earliest_of_several_stops_wins() {
        let (_, stopped, all) = run(&["B", "A"], &[b"xxAyyB"]);
        assert!(stopped);
        assert_eq!(all, "xx");
    }

    #[test]
    fn invalid_and_dangling_bytes_become_replacement_chars() {
        let (_, _, all) = run(&[], &[b"a\xffb", &"中".as_bytes()[..2]]);
        assert_eq!(all, "a\u{fffd}b\u{fffd}");
    }
}
