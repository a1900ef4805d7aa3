//! The grammar the model's own words are decoded under: prose in any words
//! without digits or `_`, and every number (with its unit) and every
//! identifier-like name copied whole from the passages. A value the passages
//! do not hold cannot be sampled.

use std::collections::BTreeSet;

use crate::quotes::claims;

/// Most `[n]` a citation may name.
const MAX_CITATION: usize = 9;

fn gbnf_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The numbers and names the model may write: each claim of the passages as
/// written (`10 s`, `P-101`, `DEW_TEMP`, `1,5 bar`).
pub fn copyable(passages: &[&str]) -> Vec<String> {
    let set: BTreeSet<String> = passages
        .iter()
        .flat_map(|p| claims(p))
        .map(|c| c.text)
        .filter(|t| t.chars().count() <= 40)
        .collect();
    set.into_iter().collect()
}

/// GBNF for an answer's own sentences over `passages`, citing `[1]`…`[citations]`.
///
/// Words are letters only; a copied claim or a citation stands between
/// separators (space, punctuation, Chinese text), so no digit can be glued
/// onto a word to make a name the passages do not hold.
pub fn grammar(passages: &[&str], citations: usize) -> String {
    let copied = copyable(passages);
    let n = citations.clamp(1, MAX_CITATION);
    let mut g = String::new();
    g.push_str("root ::= gap? (unit (gap unit)*)? gap? end?\n");
    if copied.is_empty() {
        g.push_str("unit ::= latin | cite\n");
    } else {
        g.push_str("unit ::= latin | cite | copied\n");
        let alts: Vec<String> = copied.iter().map(|c| gbnf_string(c)).collect();
        g.push_str(&format!("copied ::= {}\n", alts.join(" | ")));
    }
    g.push_str(&format!("cite ::= \"[\" [1-{n}] \"]\"\n"));
    g.push_str("latin ::= [A-Za-z\\u00C0-\\u024F]+ ([‘’'] [a-z]+)?\n");
    g.push_str("gap ::= (sp | p1 | cjk | p2 sp)+\n");
    g.push_str("sp ::= [ \\n]\n");
    g.push_str("p1 ::= [,;:!?()\"…，。；：！？、（）《》「」“”]\n");
    g.push_str("p2 ::= [.\\-/'’%°]\n");
    g.push_str("cjk ::= [\\u3400-\\u9FFF\\uF900-\\uFAFF]\n");
    g.push_str("end ::= [.!?]\n");
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claims_of_the_passages_are_the_only_numbers() {
        let p = ["The feed pump P-101 stops after 10 s. Block DEW_TEMP; 2 号泵 120 m³/h。"];
        assert_eq!(copyable(&p), ["10 s", "120 m³/h", "2", "DEW_TEMP", "P-101"]);
        let g = grammar(&p, 4);
        assert!(
            g.contains(r#"copied ::= "10 s" | "120 m³/h" | "2" | "DEW_TEMP" | "P-101""#),
            "{g}"
        );
        assert!(g.contains(r#"cite ::= "[" [1-4] "]""#));
        // No passage number: prose and citations only.
        assert!(!grammar(&["no numbers here"], 2).contains("copied"));
        assert_eq!(gbnf_string("a\"b\\"), r#""a\"b\\""#);
    }
}
