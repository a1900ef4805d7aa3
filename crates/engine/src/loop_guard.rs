//! Notices a generation that repeats itself, so it ends as `Looping` rather
//! than run to the token limit: small models write the same lines again and
//! again, or go on without writing anything new.
//!
//! Works on lines of the generated text (trimmed, spaces collapsed), so it
//! knows nothing of the language being written: a block of lines repeated
//! `repeats` times in a row, or — twice as many times — repeated but for its
//! numbers and letter case (`IF x(1) = 0 THEN`, `if X(2) = 0 THEN`, … is a
//! model counting, not writing). Pure logic, tested without a model.

use std::collections::HashSet;

use crate::protocol::LoopGuard;

/// The longest block of lines whose repetition is looked for.
const MAX_PERIOD: usize = 8;
/// A block shorter than this (non-space characters) may repeat freely: closing
/// lines such as `END_IF;` or `}` follow one another in sound code.
const MIN_BLOCK_CHARS: usize = 16;

#[derive(Debug)]
pub struct LoopDetector {
    guard: LoopGuard,
    lines: Vec<String>,
    /// The same lines in lower case with every run of digits as one `0`.
    shapes: Vec<String>,
    seen: HashSet<String>,
    partial: String,
    /// Tokens since a line never seen before was completed.
    stale_tokens: u32,
}

impl LoopDetector {
    pub fn new(guard: LoopGuard) -> Self {
        LoopDetector {
            guard,
            lines: Vec::new(),
            shapes: Vec::new(),
            seen: HashSet::new(),
            partial: String::new(),
            stale_tokens: 0,
        }
    }

    /// Takes the text of one generated token; true when the generation loops.
    pub fn push(&mut self, text: &str) -> bool {
        self.stale_tokens += 1;
        let mut looping = false;
        for c in text.chars() {
            if c == '\n' {
                let line = normalise(&std::mem::take(&mut self.partial));
                if !line.is_empty() {
                    if self.seen.insert(line.clone()) {
                        self.stale_tokens = 0;
                    }
                    self.shapes.push(shape(&line));
                    self.lines.push(line);
                    let r = self.guard.repeats.max(2) as usize;
                    looping |= repeating(&self.lines, r) || repeating(&self.shapes, 2 * r);
                }
            } else {
                self.partial.push(c);
            }
        }
        looping || (self.guard.window_tokens > 0 && self.stale_tokens >= self.guard.window_tokens)
    }
}

/// Whether the last lines are one block of lines, `r` times in a row.
fn repeating(lines: &[String], r: usize) -> bool {
    repeat_ending_at(lines, lines.len(), r).is_some()
}

/// The length (in lines) of a block that `lines[..end]` ends with `r`
/// copies of in a row, if there is one: what a loop is, for this guard and
/// for code that cuts a looping text back to before its repetition.
pub fn repeat_ending_at<L: AsRef<str> + PartialEq>(
    lines: &[L],
    end: usize,
    r: usize,
) -> Option<usize> {
    (1..=MAX_PERIOD).find(|&p| {
        let n = p * r;
        if end < n {
            return false;
        }
        let tail = &lines[end - n..end];
        let block = &tail[..p];
        let chars: usize = block
            .iter()
            .map(|l| l.as_ref().chars().filter(|c| !c.is_whitespace()).count())
            .sum();
        chars >= MIN_BLOCK_CHARS && tail.chunks(p).all(|c| c == block)
    })
}

/// A line with its numbers and letter case taken out.
fn shape(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_digits = false;
    for c in line.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('0');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// A line as the guard compares lines: trimmed, each run of spaces one space.
pub fn normalise(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(repeats: u32, window_tokens: u32) -> LoopDetector {
        LoopDetector::new(LoopGuard {
            repeats,
            window_tokens,
        })
    }

    /// Feeds `text` a few characters at a time, as tokens come; the number of
    /// pieces pushed when the detector fired.
    fn fires_after(d: &mut LoopDetector, text: &str) -> Option<usize> {
        let chars: Vec<char> = text.chars().collect();
        for (i, piece) in chars.chunks(3).enumerate() {
            if d.push(&piece.iter().collect::<String>()) {
                return Some(i + 1);
            }
        }
        None
    }

    #[test]
    fn a_statement_written_three_times_in_a_row_is_a_loop() {
        let mut d = guard(3, 0);
        let text = "IF start THEN\n    counter := counter + 1;\n    counter := counter + 1;\n    counter := counter + 1;\n";
        let at = fires_after(&mut d, text).expect("fires");
        assert_eq!(
            at,
            text.chars().count().div_ceil(3),
            "on the third copy's end"
        );
    }

    #[test]
    fn a_block_of_lines_repeated_is_a_loop_and_spacing_does_not_hide_it() {
        let mut d = guard(3, 0);
        let block = "IF a THEN\n  b := TRUE;\nEND_IF;\n";
        let spaced = "IF  a THEN\n\tb := TRUE;\n   END_IF;\n";
        assert!(fires_after(&mut d, &format!("{block}{spaced}{block}")).is_some());
    }

    #[test]
    fn closing_lines_and_sound_code_are_not_loops() {
        let mut d = guard(3, 0);
        let code = "IF a THEN\nIF b THEN\nIF c THEN\nx := 1;\nEND_IF;\nEND_IF;\nEND_IF;\n\
                    y := 2;\nx := 1;\ny := 2;\nCASE s OF\n1: x := 1;\n2: x := 2;\nEND_CASE;\n";
        assert_eq!(fires_after(&mut d, code), None);
    }

    #[test]
    fn two_copies_are_allowed_where_three_are_asked_for() {
        let mut d = guard(3, 0);
        let line = "motor_running := start AND NOT stop;\n";
        assert_eq!(fires_after(&mut d, &line.repeat(2)), None);
        assert!(d.push(line));
    }

    /// `va := 0;`, `vb := 1;` …: lines that differ in more than their numbers.
    fn distinct(i: usize) -> String {
        let name: String = [i / 26, i % 26]
            .iter()
            .map(|&d| char::from(b'a' + d as u8))
            .collect();
        format!("v{name} := {i};\n")
    }

    #[test]
    fn no_new_line_within_the_window_is_a_loop() {
        let mut d = guard(3, 10);
        // New lines keep it alive however long it runs.
        for i in 0..50 {
            assert!(!d.push(&distinct(i)));
        }
        // Old lines in a new order are not a repeated block, but nothing new
        // was written for ten tokens.
        let mut fired = None;
        for i in 0..20 {
            if d.push(&distinct((i * 7) % 50)) {
                fired = Some(i);
                break;
            }
        }
        assert_eq!(fired, Some(9));
    }

    #[test]
    fn counting_the_same_line_up_is_a_loop_at_twice_the_repeats() {
        let mut d = guard(3, 0);
        let line = |i: usize| format!("if NOT (int_to_real({i}) = 0) THEN\n");
        for i in 1..6 {
            assert!(!d.push(&line(i)), "line {i}");
        }
        assert!(
            d.push(&line(6).to_uppercase()),
            "six copies but for numbers and case"
        );
        // An unrolled reset of a short array is sound code.
        let mut d = guard(3, 0);
        let unrolled: String = (0..9).map(|i| format!("a[{i}] := 0;\n")).collect();
        assert_eq!(fires_after(&mut d, &unrolled), None);
    }

    #[test]
    fn one_line_that_never_ends_is_a_loop() {
        let mut d = guard(3, 20);
        let fired = (0..100).position(|_| d.push(" AND a"));
        assert_eq!(fired, Some(19));
    }
}
