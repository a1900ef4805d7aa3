use super::*;
use crate::test_support::{fixtures, without_spans};

/// The tree without positions: what "same semantics" means for the formatter.
/// IEC names and keywords are case-insensitive; the formatter may change their case.
fn shape(text: &str) -> String {
    let p = crate::parse(text);
    assert!(!p.has_errors(), "{:#?}", p.diagnostics);
    without_spans(&format!("{:?}", p.file)).to_uppercase()
}

fn comments(text: &str) -> Vec<String> {
    let lexed = crate::lexer::lex(text);
    lexed
        .trivia
        .iter()
        .map(|t| text[t.span.range()].trim_end().to_owned())
        .collect()
}

#[test]
fn formatting_keeps_the_tree_and_every_comment_and_is_idempotent() {
    for (path, text) in fixtures() {
        let once = format(&text).unwrap_or_else(|d| panic!("{path}: {d:#?}"));
        assert_eq!(
            shape(&text),
            shape(&once),
            "{path}: the tree changed\n{once}"
        );
        assert_eq!(
            comments(&text),
            comments(&once),
            "{path}: comments changed\n{once}"
        );
        let twice = format(&once).unwrap();
        assert_eq!(once, twice, "{path}: not idempotent");
    }
}

#[test]
fn canonical_style() {
    let src = "function_block fb_x\nvar_input a:int; b : bool; end_var\nif a>1 then b:=true; elsif a=0 then b:=false; else b := NOT b; end_if\nfor a:=1 to 10 by 2 do b := b and (a mod 2 = 0); end_for\nend_function_block\n";
    let out = format(src).unwrap();
    assert_eq!(
        out,
        "FUNCTION_BLOCK fb_x\nVAR_INPUT\n    a : INT;\n    b : BOOL;\nEND_VAR\n\nIF a > 1 THEN\n    b := TRUE;\nELSIF a = 0 THEN\n    b := FALSE;\nELSE\n    b := NOT b;\nEND_IF;\nFOR a := 1 TO 10 BY 2 DO\n    b := b AND (a MOD 2 = 0);\nEND_FOR;\nEND_FUNCTION_BLOCK\n"
    );
}

#[test]
fn trailing_and_own_line_comments_stay_put() {
    let src = "PROGRAM P\nVAR\n  x : INT; // counts\n  (* the limit *)\n  y : INT;\nEND_VAR\n\n\n\nx := 1; (* one *)\n// next\ny := 2;\nEND_PROGRAM\n";
    let out = format(src).unwrap();
    assert!(out.contains("    x : INT; // counts\n"), "{out}");
    assert!(out.contains("    (* the limit *)\n    y : INT;\n"), "{out}");
    assert!(
        out.contains("x := 1; (* one *)\n// next\ny := 2;\n"),
        "{out}"
    );
    assert!(!out.contains("\n\n\n"), "at most one blank line: {out}");
}

#[test]
fn syntax_errors_are_returned_not_formatted() {
    let errs = format("PROGRAM P\nx := ;\nEND_PROGRAM").unwrap_err();
    assert!(!errs.is_empty());
}
