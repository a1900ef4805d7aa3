//! Test vectors the model proposes when the user gave none, under a grammar
//! of the block's own inputs and outputs.

use millwright_engine::{ChatMessage, Input};
use millwright_iec61131::sim::{self, Vectors};

use super::prompts::{fill, request, TESTS_BASE, TESTS_CHAT};
use super::{Completer, GenSpec, Interface, Stage};

/// A JSON value of an IEC type as GBNF, for the types tests usually need.
fn value_rule(ty: &str) -> Option<&'static str> {
    Some(match ty.to_ascii_uppercase().as_str() {
        "BOOL" => r#"("true" | "false")"#,
        "SINT" | "INT" | "DINT" | "LINT" | "USINT" | "UINT" | "UDINT" | "ULINT" | "BYTE"
        | "WORD" | "DWORD" => r#"("-"? [0-9] [0-9]? [0-9]? [0-9]?)"#,
        "REAL" | "LREAL" => r#"("-"? [0-9] [0-9]? [0-9]? "." [0-9] [0-9]?)"#,
        "TIME" => r#"("\"T#" [1-9] [0-9]? [0-9]? [0-9]? ("ms" | "s") "\"")"#,
        _ => return None,
    })
}

/// The grammar of test vectors for the block `name` in `code`: its own input
/// and output names with values of their types, one to three cases of one to
/// four steps; `None` when it has no input or output of such a type.
pub fn vectors_grammar(name: &str, code: &str) -> Option<String> {
    use millwright_iec61131::ast::{Item, VarKind};
    let parsed = millwright_iec61131::parse(code);
    let (mut ins, mut outs) = (Vec::new(), Vec::new());
    for item in &parsed.file.items {
        let Item::Pou(p) = item else { continue };
        for b in &p.var_blocks {
            for d in &b.vars {
                let span = d.ty.span();
                let ty = code
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or("");
                let Some(rule) = value_rule(ty) else { continue };
                for n in &d.names {
                    let pair = format!(r#""\"{}\": " {rule}"#, n.name);
                    match b.kind {
                        VarKind::Input => ins.push(pair),
                        VarKind::Output => outs.push(pair),
                        _ => {}
                    }
                }
            }
        }
    }
    if ins.is_empty() || outs.is_empty() {
        return None;
    }
    let (ins, outs) = (ins.join(" | "), outs.join(" | "));
    Some(format!(
        r#"root ::= "{{\"pou\": \"{name}\", \"source\": \"model\", \"cases\": [" case ("," ws case)? ("," ws case)? "]}}"
case ::= "{{\"name\": \"" [a-zA-Z0-9 ,.-]{{3,40}} "\", \"steps\": [" step ("," ws step)? ("," ws step)? ("," ws step)? "]}}"
step ::= "{{\"in\": {{" inpair (", " inpair)* "}}" (", \"cycles\": " [1-9] [0-9]?)? ", \"expect\": {{" outpair (", " outpair)* "}}}}"
inpair ::= {ins}
outpair ::= {outs}
ws ::= [ \n]?
"#
    ))
}

/// Test vectors the model proposes for the code; `None` when it writes none
/// that are valid for this block.
pub(super) fn propose_vectors(
    model: &mut dyn Completer,
    spec: &GenSpec,
    code: &str,
    iface: &Interface,
) -> Option<Vectors> {
    let grammar = vectors_grammar(&iface.name, code)?;
    let vars = [("spec", spec.spec.trim()), ("code", code.trim())];
    let input = if model.is_chat() {
        Input::Chat(vec![ChatMessage {
            role: "user".into(),
            content: fill(TESTS_CHAT, &vars),
        }])
    } else {
        Input::Prompt(fill(TESTS_BASE, &vars))
    };
    model.stage(Stage::Vectors);
    let out = model
        .complete(&request(input, 400, &[], Some(grammar), 1.0))
        .ok()?;
    let v = Vectors::from_json(&out.text).ok()?;
    let prog = sim::load(&[code]).ok()?;
    v.validate(&prog).is_empty().then_some(v)
}
