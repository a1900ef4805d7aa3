//! The interface a specification spells out itself: an ST header
//! (`FUNCTION_BLOCK X VAR_INPUT … END_VAR …`, with the TYPE blocks it needs),
//! or variable lists the way specs write them (`- start (BOOL): …`,
//! `status : WORD`, under `Inputs:` / `输入变量：` headings). What does not
//! parse, or names a type that does not exist, is an error with its line.

use millwright_iec61131::ast::{Item, VarKind};
use millwright_iec61131::diagnostics::LineIndex;
use millwright_iec61131::lexer;
use millwright_iec61131::sema::{stdlib, types::Ty};
use millwright_iec61131::token::{Kw, TokenKind};
use millwright_iec61131::Severity;

/// The section a variable is declared in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Input,
    Output,
    InOut,
    Local,
    Constant,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Input,
        Section::Output,
        Section::InOut,
        Section::Local,
        Section::Constant,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            Section::Input => "VAR_INPUT",
            Section::Output => "VAR_OUTPUT",
            Section::InOut => "VAR_IN_OUT",
            Section::Local => "VAR",
            Section::Constant => "VAR CONSTANT",
        }
    }

    fn of(kind: VarKind, constant: bool) -> Option<Section> {
        Some(match kind {
            VarKind::Input => Section::Input,
            VarKind::Output => Section::Output,
            VarKind::InOut => Section::InOut,
            VarKind::Var | VarKind::Stat | VarKind::Temp if constant => Section::Constant,
            VarKind::Var | VarKind::Stat | VarKind::Temp => Section::Local,
            _ => return None,
        })
    }
}

/// One declared variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Var {
    pub name: String,
    /// The IEC type as written (`WORD`, `ARRAY[1..8] OF INT`, `TON`).
    pub ty: String,
    pub section: Section,
    /// The initial value as written, if any.
    pub init: Option<String>,
    pub comment: String,
}

/// What the specification declares.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpecInterface {
    /// Its TYPE … END_TYPE blocks, as written, one after another.
    pub types: String,
    /// Its ST header (from FUNCTION_BLOCK to the last END_VAR), as written,
    /// with the block's name and the variables it declares.
    pub header: Option<(String, String, Vec<Var>)>,
    /// The variables its lists give (empty when it has an ST header).
    pub list: Vec<Var>,
}

/// Reads the interface out of a specification.
pub fn read(spec: &str) -> Result<SpecInterface, String> {
    let lines = LineIndex::new(spec);
    let line_of = |offset: usize| lines.line_col(offset).0;
    let (types, type_names) = type_blocks(spec, &line_of)?;
    let mut out = SpecInterface {
        types,
        ..SpecInterface::default()
    };
    if let Some((start, end)) = header_region(spec) {
        let header = &spec[start..end];
        let src = format!("{}{header}\nEND_FUNCTION_BLOCK\n", out.types);
        let checked = millwright_iec61131::check_text(&src);
        // Unused variables and the like are for the body; errors are the spec's.
        if let Some(d) = checked
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
        {
            let at = d.span.start as usize;
            let line = if at >= out.types.len() {
                line_of(start + (at - out.types.len()).min(header.len()))
            } else {
                line_of(0)
            };
            return Err(format!(
                "the specification's ST header (line {}) is not valid ST: line {line}: {}",
                line_of(start),
                d.message
            ));
        }
        let mut name = String::new();
        let mut vars = Vec::new();
        for item in &checked.file.items {
            let Item::Pou(p) = item else { continue };
            name = p.name.name.clone();
            for b in &p.var_blocks {
                let Some(section) = Section::of(b.kind, b.constant) else {
                    continue;
                };
                for d in &b.vars {
                    let text = |s: millwright_iec61131::token::Span| {
                        src[s.start as usize..s.end as usize].trim().to_string()
                    };
                    for n in &d.names {
                        vars.push(Var {
                            name: n.name.clone(),
                            ty: text(d.ty.span()),
                            section,
                            init: d.init.as_ref().and_then(|_| {
                                let decl = text(d.span);
                                decl.split_once(":=")
                                    .map(|(_, i)| i.trim().trim_end_matches(';').trim().to_string())
                            }),
                            comment: String::new(),
                        });
                    }
                }
            }
        }
        out.header = Some((name, header.trim_end().to_string(), vars));
        return Ok(out);
    }
    out.list = variable_lists(spec, &type_names, &line_of)?;
    Ok(out)
}

/// The TYPE … END_TYPE blocks of the spec (an upper-case `TYPE` followed by
/// a name and `:`, to its END_TYPE), checked, and the names they declare.
fn type_blocks(
    spec: &str,
    line_of: &dyn Fn(usize) -> usize,
) -> Result<(String, Vec<String>), String> {
    let mut text = String::new();
    let mut names = Vec::new();
    let mut from = 0;
    while let Some(rel) = find_word(&spec[from..], "TYPE", true) {
        let start = from + rel;
        let after = spec[start + 4..].trim_start();
        let named = after
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .is_some_and(|n| !n.is_empty() && !n.starts_with(|c: char| c.is_ascii_digit()));
        let colon = named && {
            let rest = after.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
            rest.trim_start().starts_with(':')
        };
        if !colon {
            from = start + 4;
            continue;
        }
        let Some(end_rel) = find_word(&spec[start..], "END_TYPE", false) else {
            return Err(format!(
                "the specification's TYPE block at line {} has no END_TYPE",
                line_of(start)
            ));
        };
        let end = start + end_rel + "END_TYPE".len();
        let block = &spec[start..end];
        let parsed = millwright_iec61131::parse(block);
        if let Some(d) = parsed
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
        {
            return Err(format!(
                "the specification's TYPE block (line {}) does not parse: line {}: {}",
                line_of(start),
                line_of(start + d.span.start as usize),
                d.message
            ));
        }
        for item in &parsed.file.items {
            if let Item::Types(decls) = item {
                names.extend(decls.iter().map(|t| t.name.name.to_ascii_uppercase()));
            }
        }
        text.push_str(block);
        text.push('\n');
        from = end;
    }
    Ok((text, names))
}

/// Where an ST header starts and ends: FUNCTION_BLOCK, its name, and one or
/// more VAR sections up to the END_VAR of the last. A mention of a block in
/// prose (no VAR section after the name) is not a header.
fn header_region(spec: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(rel) = find_word(&spec[from..], "FUNCTION_BLOCK", false) {
        let start = from + rel;
        // Lexed from the keyword on: prose before it (an apostrophe opens a
        // string in ST) cannot swallow it.
        let lexed = lexer::lex(&spec[start..]);
        let t = &lexed.tokens;
        let is_var = |k: &TokenKind| {
            matches!(
                k,
                TokenKind::Keyword(
                    Kw::Var | Kw::VarInput | Kw::VarOutput | Kw::VarInOut | Kw::VarTemp
                )
            )
        };
        if t.len() > 2
            && t[0].kind == TokenKind::Keyword(Kw::FunctionBlock)
            && t[1].kind == TokenKind::Ident
            && is_var(&t[2].kind)
        {
            let mut i = 2;
            let mut end = None;
            while i < t.len() && is_var(&t[i].kind) {
                match t[i..]
                    .iter()
                    .position(|x| x.kind == TokenKind::Keyword(Kw::EndVar))
                {
                    Some(j) => {
                        end = Some(t[i + j].span.end as usize);
                        i += j + 1;
                    }
                    None => {
                        // Unterminated: the checker reports it with its line.
                        end = Some(spec.len() - start);
                        break;
                    }
                }
            }
            return end.map(|e| (start, start + e));
        }
        from = start + "FUNCTION_BLOCK".len();
    }
    None
}

/// The byte offset of `word` in `text` as a whole word (`exact`: in that
/// case; else any case).
fn find_word(text: &str, word: &str, exact: bool) -> Option<usize> {
    let hay = if exact {
        text.to_string()
    } else {
        text.to_ascii_uppercase()
    };
    let ident = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut from = 0;
    while let Some(rel) = hay[from..].find(word) {
        let at = from + rel;
        let before = hay[..at].chars().next_back();
        let after = hay[at + word.len()..].chars().next();
        if !ident(before) && !ident(after) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// The section a heading line opens (`Inputs:`, `## Outputs`, `**输入变量**：`),
/// and what follows its colon on the same line. The heading starts with
/// its word (`Input variables`, not `InputNumber (INT)`).
fn heading(line: &str) -> Option<(Section, &str)> {
    let t = line
        .trim()
        .trim_start_matches(['#', '-', '*', '•', '+'])
        .trim();
    let (head, rest) = match t.find([':', '：']) {
        Some(i) => {
            let c = t[i..].chars().next().map_or(1, char::len_utf8);
            (&t[..i], &t[i + c..])
        }
        None if t.split_whitespace().count() <= 3 => (t, ""),
        None => return None,
    };
    let head = head.trim_matches(|c: char| c == '*' || c == '_' || c == '`' || c.is_whitespace());
    let lower = head.to_lowercase();
    if lower.split_whitespace().count() > 4 || lower.contains(['(', '（']) {
        return None;
    }
    const PHRASES: [(&str, Section); 24] = [
        ("var_in_out", Section::InOut),
        ("var_input", Section::Input),
        ("var_output", Section::Output),
        ("var constant", Section::Constant),
        ("in/out", Section::InOut),
        ("in_out", Section::InOut),
        ("in-out", Section::InOut),
        ("inout", Section::InOut),
        ("inputs", Section::Input),
        ("input", Section::Input),
        ("outputs", Section::Output),
        ("output", Section::Output),
        ("locals", Section::Local),
        ("local", Section::Local),
        ("internal", Section::Local),
        ("constants", Section::Constant),
        ("constant", Section::Constant),
        ("输入输出", Section::InOut),
        ("输入/输出", Section::InOut),
        ("输入", Section::Input),
        ("输出", Section::Output),
        ("内部", Section::Local),
        ("局部", Section::Local),
        ("常量", Section::Constant),
    ];
    PHRASES.iter().find_map(|(p, s)| {
        let after = lower.strip_prefix(p)?;
        let boundary =
            !p.is_ascii() || !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        boundary.then_some((*s, rest))
    })
}

/// A list item's parts: name, the text in its type position, the rest.
struct ItemText<'a> {
    name: &'a str,
    ty_part: &'a str,
    rest: &'a str,
    /// Written `name (TYPE)` rather than `name : TYPE`.
    parenthesised: bool,
}

/// `- start (BOOL): …`, `1. status : WORD — …`, `` `mode` (E_Mode) ``.
fn item(line: &str) -> Option<ItemText<'_>> {
    let mut t = line.trim_start();
    if let Some(r) = t.strip_prefix(['-', '*', '•', '+']) {
        t = r.trim_start();
    } else if let Some(i) = t.find(['.', ')']) {
        if i > 0 && i <= 3 && t[..i].chars().all(|c| c.is_ascii_digit()) {
            t = t[i + 1..].trim_start();
        }
    }
    let t = t.trim_start_matches(['`', '*']);
    let n = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(t.len());
    let name = &t[..n];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let after = t[n..].trim_start_matches(['`', '*']).trim_start();
    if let Some(inner) = after.strip_prefix(['(', '（']) {
        let close = inner.find([')', '）'])?;
        let c = inner[close..].chars().next().map_or(1, char::len_utf8);
        return Some(ItemText {
            name,
            ty_part: inner[..close].trim(),
            rest: &inner[close + c..],
            parenthesised: true,
        });
    }
    let body = after.strip_prefix([':', '：'])?.trim_start();
    // The type runs to a separator: " - ", a dash, ";", "," or the end.
    let stop = [" - ", " – ", " — ", ";", "；", ",", "，", "(*", "//"]
        .iter()
        .filter_map(|s| body.find(s))
        .min()
        .unwrap_or(body.len());
    Some(ItemText {
        name,
        ty_part: body[..stop].trim(),
        rest: &body[stop..],
        parenthesised: false,
    })
}

/// Whether `ty` (upper case, spaces removed) names a type: elementary, a
/// standard FB, one the spec declares, STRING[n], or an ARRAY of those.
fn is_type(ty: &str, declared: &[String]) -> bool {
    if let Some(rest) = ty.strip_prefix("ARRAY[") {
        return rest
            .split_once("]OF")
            .is_some_and(|(dims, elem)| !dims.is_empty() && is_type(elem, declared));
    }
    let base = ty.split(['[', '(']).next().unwrap_or(ty);
    if (base == "STRING" || base == "WSTRING") && base.len() < ty.len() {
        return ty.ends_with(']') || ty.ends_with(')');
    }
    Ty::elementary(base).is_some() && base.len() == ty.len()
        || stdlib::function_block(ty).is_some()
        || declared.iter().any(|d| d == ty)
}

/// Words in parentheses that say which way a variable goes.
fn direction_hint(part: &str) -> Option<Section> {
    let l = part.trim().to_lowercase();
    match l.as_str() {
        "in/out" | "in_out" | "inout" | "in-out" | "输入输出" => Some(Section::InOut),
        "in" | "input" | "输入" => Some(Section::Input),
        "out" | "output" | "输出" => Some(Section::Output),
        "local" | "internal" | "内部" => Some(Section::Local),
        "constant" | "常量" => Some(Section::Constant),
        _ => None,
    }
}

/// The variables of the spec's lists, each under the heading it follows.
fn variable_lists(
    spec: &str,
    declared: &[String],
    line_of: &dyn Fn(usize) -> usize,
) -> Result<Vec<Var>, String> {
    let mut out: Vec<Var> = Vec::new();
    let mut section: Option<Section> = None;
    let mut offset = 0;
    for line in spec.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let text = line.trim_end();
        if text.trim().is_empty() {
            continue;
        }
        let mut items: Vec<&str> = Vec::new();
        let head = heading(text);
        if let Some((s, rest)) = head {
            section = Some(s);
            items.extend(split_items(rest));
        } else {
            items.push(text);
        }
        let mut any = false;
        for raw in items {
            let Some(it) = item(raw) else { continue };
            let mut parts = it.ty_part.split([',', '，', ';', '；']);
            let ty_and_init = parts.next().unwrap_or("").trim();
            let hint = parts.find_map(direction_hint);
            let Some(sec) = hint.or(section) else {
                continue;
            };
            let (ty, init) = match ty_and_init.split_once(":=") {
                Some((t, i)) => (t.trim(), Some(i.trim().to_string())),
                None => (ty_and_init, None),
            };
            let norm: String = ty
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_uppercase();
            let word = !ty.is_empty()
                && ty
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_[]()., ".contains(c))
                && (ty.split_whitespace().count() == 1 || norm.starts_with("ARRAY["));
            if !word {
                continue; // prose, not a type
            }
            if !is_type(&norm, declared) {
                // Written where a type goes, in a list of variables: a type
                // that does not exist is the spec's mistake, not prose.
                if it.parenthesised || section.is_some() {
                    return Err(format!(
                        "line {}: the specification gives `{}` the type `{ty}`, which is not one: use an IEC type (BOOL, INT, WORD, REAL, TIME, …), ARRAY[a..b] OF one, a standard FB, or declare it in a TYPE block",
                        line_of(at),
                        it.name
                    ));
                }
                continue;
            }
            let comment = it
                .rest
                .trim_start_matches(|c: char| c.is_whitespace() || ":：-–—;；,，".contains(c))
                .trim()
                .to_string();
            if !out.iter().any(|v| v.name.eq_ignore_ascii_case(it.name)) {
                out.push(Var {
                    name: it.name.to_string(),
                    ty: ty.to_string(),
                    section: sec,
                    init,
                    comment,
                });
            }
            any = true;
        }
        // A paragraph of prose ends the list it follows.
        if !any && head.is_none() && !text.trim_start().starts_with(['-', '*', '•', '+']) {
            section = None;
        }
    }
    Ok(out)
}

/// `a (BOOL), b (INT)` after a heading's colon, split at commas outside brackets.
fn split_items(rest: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' | '（' => depth += 1,
            ')' | ']' | '）' => depth -= 1,
            ',' | '，' | ';' | '；' if depth == 0 => {
                out.push(&rest[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&rest[start..]);
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(spec: &str) -> Vec<(String, String, Section)> {
        let r = read(spec).unwrap();
        let v = match r.header {
            Some((_, _, v)) => v,
            None => r.list,
        };
        v.into_iter().map(|v| (v.name, v.ty, v.section)).collect()
    }

    fn v(n: &str, t: &str, s: Section) -> (String, String, Section) {
        (n.into(), t.into(), s)
    }

    #[test]
    fn an_st_header_in_the_spec_is_the_interface_exactly() {
        let spec = "Count the parts that pass. The block's state survives a reset.\n\n\
            ```iecst\n\
            TYPE E_Mode : (Idle, Run, Fault); END_TYPE\n\
            FUNCTION_BLOCK FB_Count\n\
            VAR_INPUT\n    part : BOOL; (* a part's edge *)\n    mode : E_Mode;\nEND_VAR\n\
            VAR_OUTPUT status : WORD := 16#8001; END_VAR\n\
            VAR_IN_OUT buffer : ARRAY[1..8] OF INT; END_VAR\n\
            VAR CONSTANT MAX_PARTS : INT := 100; END_VAR\n\
            ```\nThe model writes the rest.";
        let r = read(spec).unwrap();
        let (name, header, vars) = r.header.clone().unwrap();
        assert_eq!(name, "FB_Count");
        assert!(header.starts_with("FUNCTION_BLOCK FB_Count") && header.ends_with("END_VAR"));
        assert!(
            r.types.contains("E_Mode : (Idle, Run, Fault)"),
            "{}",
            r.types
        );
        let got: Vec<_> = vars
            .iter()
            .map(|v| (v.name.as_str(), v.ty.as_str(), v.section, v.init.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("part", "BOOL", Section::Input, None),
                ("mode", "E_Mode", Section::Input, None),
                ("status", "WORD", Section::Output, Some("16#8001")),
                ("buffer", "ARRAY[1..8] OF INT", Section::InOut, None),
                ("MAX_PARTS", "INT", Section::Constant, Some("100")),
            ]
        );
    }

    #[test]
    fn a_header_that_does_not_parse_or_check_is_reported_with_its_line() {
        let bad = "Intro.\nFUNCTION_BLOCK FB_X\nVAR_INPUT\n  a : BOOL\n  b : INT;\nEND_VAR\n";
        let e = read(bad).unwrap_err();
        assert!(
            e.contains("(line 2)") && e.contains("line 4: expected `;`"),
            "{e}"
        );
        let unknown = "FUNCTION_BLOCK FB_X\nVAR_INPUT a : MOTOR_T; END_VAR\n";
        let e = read(unknown).unwrap_err();
        assert!(e.contains("MOTOR_T") && e.contains("line 2"), "{e}");
        // Named in prose, no VAR after it: not a header.
        assert!(read("Write a FUNCTION_BLOCK FB_Pump that runs a pump.")
            .unwrap()
            .header
            .is_none());
    }

    #[test]
    fn variable_lists_in_english_give_names_types_and_sections() {
        let spec = "Add two numbers and flag an overflow.\n\n\
            Inputs:\n\
            - InputNumber (INT): the first number\n\
            - `Other` (INT) – the second\n\n\
            Outputs:\n\
            * status (WORD): 16#8001 on overflow\n\
            * Sum : DINT — the sum\n\
            In/Out: table (ARRAY[1..4] OF INT)\n\
            The block runs every cycle: it is cheap.\n\
            - note: this is prose, not a variable\n";
        assert_eq!(
            vars(spec),
            vec![
                v("InputNumber", "INT", Section::Input),
                v("Other", "INT", Section::Input),
                v("status", "WORD", Section::Output),
                v("Sum", "DINT", Section::Output),
                v("table", "ARRAY[1..4] OF INT", Section::InOut),
            ]
        );
        let r = read(spec).unwrap();
        assert_eq!(r.list[0].comment, "the first number");
    }

    #[test]
    fn variable_lists_in_chinese_and_direction_hints_work() {
        let spec = "两个数相加。\n输入变量：\n- a（INT）：第一个数\n- b (INT, 输入)\n输出变量：\n- sum：DINT；和\n\
            The alarm is extra.\n- alarm (BOOL, output)\n";
        assert_eq!(
            vars(spec),
            vec![
                v("a", "INT", Section::Input),
                v("b", "INT", Section::Input),
                v("sum", "DINT", Section::Output),
                v("alarm", "BOOL", Section::Output),
            ]
        );
    }

    #[test]
    fn an_unknown_type_in_a_list_is_named_with_its_line() {
        let e = read("Inputs:\n- speed (INTEGER): rpm\n").unwrap_err();
        assert!(e.starts_with("line 2:") && e.contains("`INTEGER`"), "{e}");
        // Declared in the spec's own TYPE block, it is a type.
        let ok = read("TYPE E_Dir : (Fwd, Rev); END_TYPE\nInputs:\n- dir (E_Dir)\n").unwrap();
        assert_eq!(ok.list[0].ty, "E_Dir");
        assert!(read("TYPE T_X : INT;\nno end here").is_err());
    }

    #[test]
    fn prose_without_lists_declares_nothing() {
        let spec = "When start is pressed the motor runs. Output: the motor contactor.\n\
            The input filter is 20 ms (see the manual).";
        assert_eq!(vars(spec), vec![]);
    }
}
