//! Explaining and commenting existing Structured Text. Comments are added
//! around the code, never into it, and the result is checked to be the same
//! program (`same_program`), so documenting cannot change behaviour.

use millwright_engine::{ChatMessage, Input};
use millwright_iec61131::ast::visit::{walk_stmt, Visit};
use millwright_iec61131::ast::{Item, Pou, Stmt, StmtKind, VarKind};
use millwright_iec61131::diagnostics::LineIndex;

use crate::plc::{request, Completer};
use crate::Error;

const EXPLAIN_BASE: &str = include_str!("../../../assets/prompts/plc_explain_base.txt");
const EXPLAIN_CHAT: &str = include_str!("../../../assets/prompts/plc_explain_chat.txt");
const COMMENT_BASE: &str = include_str!("../../../assets/prompts/plc_comment_base.txt");
/// Where a base model's explanation starts.
const LEAD: &str = "\n   This function block";
const COMMENT_CHAT: &str = include_str!("../../../assets/prompts/plc_comment_chat.txt");

/// What the code declares, read from the tree, and the model's explanation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Explanation {
    /// "FUNCTION_BLOCK FB_Motor", one per POU.
    pub pous: Vec<String>,
    /// (POU, section keyword, name, type as written)
    pub interface: Vec<(String, String, String, String)>,
    pub text: String,
}

/// The code's tree, or an input error naming the first syntax error (asked
/// before a model is started for the code).
pub fn parse_checked(code: &str) -> Result<millwright_iec61131::Parsed, Error> {
    let parsed = millwright_iec61131::parse(code);
    if parsed.has_errors() {
        let index = LineIndex::new(code);
        let first = &parsed.diagnostics[0];
        let (line, col) = index.line_col(first.span.start as usize);
        return Err(Error::Input(format!(
            "the code does not parse (line {line}, column {col}: {}); fix it first (checking it lists every error)",
            first.message
        )));
    }
    Ok(parsed)
}

/// Prose from small models loops without a repetition penalty.
const PROSE_PENALTY: f32 = 1.3;

fn chat(system: &str, user: String) -> Input {
    Input::Chat(vec![
        ChatMessage {
            role: "system".into(),
            content: system.into(),
        },
        ChatMessage {
            role: "user".into(),
            content: user,
        },
    ])
}

/// Explains code: the interface from the tree, the rest from the model.
/// `language` names the answer's language for chat models ("English", "简体中文").
pub fn explain(
    model: &mut dyn Completer,
    code: &str,
    language: &str,
) -> Result<Explanation, Error> {
    let parsed = parse_checked(code)?;
    let mut pous = Vec::new();
    let mut interface = Vec::new();
    for item in &parsed.file.items {
        if let Item::Pou(p) = item {
            pous.push(format!("{} {}", p.kind.keyword(), p.name.name));
            interface.extend(declared(p, code));
        }
    }
    let input = if model.is_chat() {
        chat(
            "You explain PLC programs clearly and accurately, without inventing behaviour.",
            fill_chat(EXPLAIN_CHAT, code, language),
        )
    } else {
        // The prompt ends mid-sentence so a base model continues it instead of
        // closing the comment at once.
        Input::Prompt(format!(
            "{}{LEAD}",
            EXPLAIN_BASE.replace("{code}", code.trim()).trim_end()
        ))
    };
    let out = model.complete(&request(input, 400, &["*)", "\n\n\n"], None, PROSE_PENALTY))?;
    let text = if model.is_chat() {
        out.text.trim().to_string()
    } else {
        format!("{}{}", LEAD.trim_start(), out.text.trim_end())
    };
    Ok(Explanation {
        pous,
        interface,
        text,
    })
}

fn fill_chat(template: &str, code: &str, language: &str) -> String {
    template
        .replace("{code}", code.trim())
        .replace("{language}", language)
}

fn declared(p: &Pou, code: &str) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for b in &p.var_blocks {
        if !matches!(b.kind, VarKind::Input | VarKind::Output | VarKind::InOut) {
            continue;
        }
        for d in &b.vars {
            let ty_span = d.ty.span();
            let ty = code
                .get(ty_span.start as usize..ty_span.end as usize)
                .unwrap_or("?")
                .to_string();
            for n in &d.names {
                out.push((
                    p.name.name.clone(),
                    b.kind.keyword().to_string(),
                    n.name.clone(),
                    ty.clone(),
                ));
            }
        }
    }
    out
}

/// The lines (from 1) on which a statement starts, in the bodies of all POUs.
fn statement_lines(file: &millwright_iec61131::ast::SourceFile, code: &str) -> Vec<usize> {
    struct Lines<'i> {
        index: &'i LineIndex<'i>,
        out: Vec<usize>,
    }
    impl<'a> Visit<'a> for Lines<'_> {
        fn visit_stmt(&mut self, s: &'a Stmt) {
            if !matches!(s.kind, StmtKind::Empty) {
                self.out.push(self.index.line_col(s.span.start as usize).0);
            }
            walk_stmt(self, s)
        }
    }
    let index = LineIndex::new(code);
    let mut v = Lines {
        index: &index,
        out: Vec::new(),
    };
    v.visit_file(file);
    let mut out = v.out;
    out.sort();
    out.dedup();
    out
}

/// `line N: text` answers, constrained so each is one short line.
fn comment_grammar() -> String {
    r#"root ::= entry entry? entry? entry? entry? entry? entry? entry? entry? entry? entry? entry?
entry ::= "line " [1-9] [0-9]? [0-9]? [0-9]? ": " [^\n*(){}]{3,80} "\n"
"#
    .to_string()
}

/// Comment text that cannot end or open a comment or pragma.
fn clean(text: &str) -> String {
    text.replace("*)", "* )")
        .replace("(*", "( *")
        .replace(['{', '}'], "")
        .trim()
        .to_string()
}

/// Adds a header comment and comments above statements, from the model; the
/// result is the same program as the input (checked).
pub fn comment(model: &mut dyn Completer, code: &str) -> Result<String, Error> {
    let parsed = parse_checked(code)?;
    let explanation = explain(model, code, "English")?;
    let lines = statement_lines(&parsed.file, code);
    let numbered: String = code
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{:>4}  {l}\n", i + 1))
        .collect();
    let input = if model.is_chat() {
        chat(
            "You comment PLC code for maintenance engineers.",
            COMMENT_CHAT.replace("{code}", &numbered),
        )
    } else {
        Input::Prompt(COMMENT_BASE.replace("{code}", &numbered))
    };
    let out = model.complete(&request(
        input,
        600,
        &[],
        Some(comment_grammar()),
        PROSE_PENALTY,
    ))?;
    let mut notes: std::collections::BTreeMap<usize, String> = Default::default();
    for l in out.text.lines() {
        let Some(rest) = l.trim().strip_prefix("line ") else {
            continue;
        };
        let Some((n, text)) = rest.split_once(':') else {
            continue;
        };
        if let Ok(n) = n.trim().parse::<usize>() {
            let text = clean(text);
            if lines.contains(&n) && !text.is_empty() {
                notes.entry(n).or_insert(text);
            }
        }
    }
    let mut result = String::new();
    let summary = clean(&explanation.text);
    if !summary.is_empty() {
        let wrapped = wrap(&summary, 88);
        result.push_str(&format!("(*\n{wrapped}\n*)\n"));
    }
    for (i, line) in code.lines().enumerate() {
        if let Some(note) = notes.get(&(i + 1)) {
            let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
            result.push_str(&format!("{indent}(* {note} *)\n"));
        }
        result.push_str(line);
        result.push('\n');
    }
    if !millwright_iec61131::same_program(code, &result) {
        return Err(Error::Output(
            "the commented code would not be the same program; nothing was changed".into(),
        ));
    }
    Ok(result)
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for w in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + w.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    out.push_str(&line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripted::Scripted;

    const CODE: &str = "FUNCTION_BLOCK FB_Latch\nVAR_INPUT\n    start : BOOL;\n    stop : BOOL;\nEND_VAR\nVAR_OUTPUT\n    running : BOOL;\nEND_VAR\nIF stop THEN\n    running := FALSE;\nELSIF start THEN\n    running := TRUE;\nEND_IF\nEND_FUNCTION_BLOCK\n";

    #[test]
    fn explain_reads_the_interface_from_the_tree() {
        let mut m = Scripted::new(&["A latch. *) {evil}"]);
        let e = explain(&mut m, CODE, "English").unwrap();
        assert_eq!(e.pous, ["FUNCTION_BLOCK FB_Latch"]);
        assert_eq!(
            e.interface[2],
            (
                "FB_Latch".into(),
                "VAR_OUTPUT".into(),
                "running".into(),
                "BOOL".into()
            )
        );
        assert!(explain(&mut m, "FUNCTION_BLOCK X\nx := ;\n", "English")
            .unwrap_err()
            .is_input_with("does not parse"));
    }

    #[test]
    fn comments_go_above_statements_and_never_change_the_program() {
        let mut m = Scripted::new(&[
            " latches running; stop wins. *) x := 1; (*",
            "line 9: stop has priority over start\nline 10: drop out\nline 3: not a statement\nline 99: nowhere\n",
        ]);
        let out = comment(&mut m, CODE).unwrap();
        assert!(
            out.starts_with(
                "(*\nThis function block latches running; stop wins. * ) x := 1; ( *\n*)\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("(* stop has priority over start *)\nIF stop THEN"),
            "{out}"
        );
        assert!(
            out.contains("    (* drop out *)\n    running := FALSE;"),
            "{out}"
        );
        assert!(
            !out.contains("not a statement") && !out.contains("nowhere"),
            "{out}"
        );
        assert!(millwright_iec61131::same_program(CODE, &out));
    }
}
