//! A body that looped or ran to its token limit is still the model's work up
//! to where it went wrong. Kept to its last sound statement before the
//! repetition began and closed with the block's end, it is a candidate the
//! checker and the simulator can judge, instead of no candidate at all.
//! Pure text work over the checker: tested without a model.

use millwright_engine::loop_guard;
use millwright_iec61131::ast::Item;
use millwright_iec61131::{Analysis, Severity};

use super::END;

/// The longest beginning of `body` that ends at a line's end, keeps only the
/// first copy of a block of lines the model then repeated, and — after
/// `head` (the header and new locals), closed with the end keyword — parses
/// and checks without errors and holds at least one statement. `None` when
/// no such beginning exists.
pub(super) fn close_body<'a>(head: &str, body: &'a str) -> Option<&'a str> {
    let limit = before_repetition(body);
    let ends: Vec<usize> = body[..limit]
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .collect();
    ends.into_iter().rev().map(|e| &body[..e]).find(|kept| {
        let a = Analysis::new(&format!("{head}{kept}{END}\n"));
        a.syntax_ok() && a.count(Severity::Error) == 0 && statements(&a) > 0
    })
}

/// The statements in the body of the text's first POU.
fn statements(a: &Analysis) -> usize {
    a.parsed()
        .file
        .items
        .iter()
        .find_map(|i| match i {
            Item::Pou(p) => Some(p.body.as_ref().map_or(0, Vec::len)),
            _ => None,
        })
        .unwrap_or(0)
}

/// Where the first repeated block of lines ends its first copy (a byte
/// offset just after a newline), or the whole length when nothing repeats.
fn before_repetition(body: &str) -> usize {
    // Non-empty lines as the loop guard compares them, and the offset after each.
    let mut lines: Vec<String> = Vec::new();
    let mut ends: Vec<usize> = Vec::new();
    let mut start = 0;
    for (i, _) in body.match_indices('\n') {
        let line = loop_guard::normalise(&body[start..i]);
        if !line.is_empty() {
            lines.push(line);
            ends.push(i + 1);
        }
        start = i + 1;
    }
    (2..=lines.len())
        .find_map(|k| loop_guard::repeat_ending_at(&lines, k, 2).map(|p| ends[k - p - 1]))
        .unwrap_or(body.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "FUNCTION_BLOCK FB_Pump\nVAR_INPUT\n    start : BOOL;\n    level : REAL;\nEND_VAR\n\
                        VAR_OUTPUT\n    pump : BOOL;\n    alarm : BOOL;\nEND_VAR\n";

    #[test]
    fn a_repeated_block_is_kept_once_and_the_block_closed() {
        let block = "IF level > 80.0 THEN\n    pump := FALSE;\nEND_IF;\n";
        let body = format!("pump := start;\n{block}{block}{block}IF level > 8");
        let kept = close_body(HEAD, &body).expect("closes");
        assert_eq!(kept, format!("pump := start;\n{block}"));
    }

    #[test]
    fn a_body_cut_off_mid_statement_keeps_its_whole_statements() {
        // Cut inside an IF: its opening lines alone do not parse, so they go.
        let body = "pump := start;\nalarm := level > 95.0;\nIF level > 80.0 THEN\n    pump := FALSE;\n    alarm := le";
        assert_eq!(
            close_body(HEAD, body),
            Some("pump := start;\nalarm := level > 95.0;\n")
        );
    }

    #[test]
    fn short_closing_lines_in_a_row_are_no_repetition() {
        let body = "IF start THEN\n    IF level > 1.0 THEN\n        pump := TRUE;\n    END_IF;\nEND_IF;\nalarm := FALSE;\n";
        assert_eq!(close_body(HEAD, body), Some(body));
    }

    #[test]
    fn nothing_sound_to_keep_is_no_candidate() {
        // Only an unfinished statement, or nothing but the same line again.
        assert_eq!(close_body(HEAD, "IF start THEN\n    pump := TRUE;\n"), None);
        assert_eq!(close_body(HEAD, ""), None);
        // A line that does not check (a name never declared) is not kept either.
        assert_eq!(close_body(HEAD, "valve := TRUE;\n"), None);
    }
}
