//! Tool calling: the model chooses a mechanism model and copies its arguments
//! from the question, under a grammar built from the tools' argument lists so
//! the call is always well-formed; the tool, not the model, computes.

use millwright_engine::{ChatMessage, Input};
use millwright_tools::{Called, Tool};
use serde::{Deserialize, Serialize};

use crate::plc::{request, Completer};
use crate::Error;

const BASE: &str = include_str!("../../../assets/prompts/tool_call_base.txt");
const CHAT: &str = include_str!("../../../assets/prompts/tool_call_chat.txt");
const QUESTIONS: &str = include_str!("../../../assets/eval/tool-questions.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub tool: String,
    #[serde(default)]
    pub args: serde_json::Map<String, serde_json::Value>,
}

impl ToolCall {
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.args
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                )
            })
            .collect()
    }

    /// [`ToolCall::pairs`] in the tool's own order of arguments, as the
    /// calculator lists them.
    pub fn ordered_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = self.pairs();
        if let Some(t) = millwright_tools::find(&self.tool) {
            pairs.sort_by_key(|(k, _)| t.args.iter().position(|a| a.name == k));
        }
        pairs
    }
}

/// One line per tool: its name, arguments with kinds and units, and title.
fn catalogue() -> String {
    millwright_tools::all()
        .iter()
        .map(|t| {
            let args: Vec<String> = t
                .args
                .iter()
                .map(|a| {
                    let what = a.what();
                    let opt = if a.default.is_some() || a.optional {
                        "?"
                    } else {
                        ""
                    };
                    format!("{}{opt}: {what}", a.name)
                })
                .collect();
            format!("- {}({}): {}", t.name, args.join(", "), t.title)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A call to one of the tools, or `{"tool": "none"}`; each tool's call may
/// only name that tool's arguments, each a short string (or one of its words).
pub fn grammar() -> String {
    let mut rules = Vec::new();
    let mut alts = vec!["none".to_string()];
    for (k, t) in millwright_tools::all().iter().enumerate() {
        let pair_alts: Vec<String> = t
            .args
            .iter()
            .map(|a| {
                let key = format!("{:?}", format!("{}: ", json_str(a.name)));
                if a.choices.is_empty() || a.choices == ["*"] {
                    format!("{key} value")
                } else {
                    let words: Vec<String> = a
                        .choices
                        .iter()
                        .map(|w| format!("{:?}", json_str(w)))
                        .collect();
                    format!("{key} ({})", words.join(" | "))
                }
            })
            .collect();
        let head = format!(
            "{:?}",
            format!("{{\"tool\": {}, \"args\": {{", json_str(t.name))
        );
        rules.push(format!(
            "call{k} ::= {head} pair{k} (\", \" pair{k})* \"}}}}\""
        ));
        rules.push(format!("pair{k} ::= {}", pair_alts.join(" | ")));
        alts.push(format!("call{k}"));
    }
    format!(
        "root ::= {}\nnone ::= \"{{\\\"tool\\\": \\\"none\\\"}}\"\n{}\nvalue ::= \"\\\"\" [^\"\\\\\\n]{{1,40}} \"\\\"\"\n",
        alts.join(" | "),
        rules.join("\n")
    )
}

/// Asks the model for a call; `Ok(None)` when it says no tool fits.
pub fn choose(model: &mut dyn Completer, question: &str) -> Result<Option<ToolCall>, Error> {
    let q = question.trim();
    if q.is_empty() {
        return Err(Error::Input("the question is empty".into()));
    }
    let input = if model.is_chat() {
        Input::Chat(vec![
            ChatMessage {
                role: "system".into(),
                content: CHAT.replace("{tools}", &catalogue()),
            },
            ChatMessage {
                role: "user".into(),
                content: q.to_string(),
            },
        ])
    } else {
        Input::Prompt(
            BASE.replace("{tools}", &catalogue())
                .replace("{question}", q)
                .trim_end_matches('\n')
                .to_string(),
        )
    };
    let out = model.complete(&request(input, 160, &[], Some(grammar()), 1.0))?;
    let call: ToolCall = serde_json::from_str(out.text.trim()).map_err(|e| {
        Error::Output(format!(
            "the model's call is not valid JSON ({e}): {}",
            out.text.trim()
        ))
    })?;
    Ok((call.tool != "none").then_some(call))
}

/// A call the model made, and what the tool made of it (an error names the
/// argument the model got wrong).
pub type Answer = (ToolCall, Result<Called, millwright_tools::CallError>);

/// Chooses a tool for a question and runs it; `None` when no tool fits.
pub fn answer(model: &mut dyn Completer, question: &str) -> Result<Option<Answer>, Error> {
    let Some(call) = choose(model, question)? else {
        return Ok(None);
    };
    let tool: &Tool = millwright_tools::find(&call.tool)
        .ok_or_else(|| Error::Output(format!("the model chose no tool named {}", call.tool)))?;
    let result = millwright_tools::call(tool, &call.pairs());
    Ok(Some((call, result)))
}

#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub question: String,
    pub tool: String,
    pub args: serde_json::Map<String, serde_json::Value>,
}

pub fn questions() -> Vec<Question> {
    serde_json::from_str(QUESTIONS).expect("assets/eval/tool-questions.json is checked by a test")
}

#[derive(Debug, Clone, Serialize)]
pub struct Graded {
    pub question: String,
    pub expected_tool: String,
    pub chosen_tool: Option<String>,
    pub right_tool: bool,
    /// Every expected argument present with the same value (units converted).
    pub right_args: bool,
    pub call: Option<ToolCall>,
}

/// Whether a call has the expected arguments: numbers equal after unit
/// conversion, words equal; extra arguments are allowed (defaults).
pub fn args_match(
    tool: &Tool,
    expected: &serde_json::Map<String, serde_json::Value>,
    got: &ToolCall,
) -> bool {
    expected.iter().all(|(name, want)| {
        let (Some(arg), Some(have)) = (
            tool.args.iter().find(|a| a.name == name),
            got.args.get(name),
        ) else {
            return false;
        };
        let (w, h) = (
            want.as_str().unwrap_or_default(),
            have.as_str().unwrap_or_default(),
        );
        if !arg.choices.is_empty() {
            return w.trim().eq_ignore_ascii_case(h.trim());
        }
        match (arg.kind.parse(w, arg.unit), arg.kind.parse(h, arg.unit)) {
            (Ok(a), Ok(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
            _ => false,
        }
    })
}

pub fn grade(model: &mut dyn Completer, q: &Question) -> Graded {
    let call = choose(model, &q.question).ok().flatten();
    let chosen = call.as_ref().map(|c| c.tool.clone());
    let right_tool = chosen.as_deref() == Some(q.tool.as_str());
    let right_args = right_tool
        && millwright_tools::find(&q.tool)
            .zip(call.as_ref())
            .is_some_and(|(t, c)| args_match(t, &q.args, c));
    Graded {
        question: q.question.clone(),
        expected_tool: q.tool.clone(),
        chosen_tool: chosen,
        right_tool,
        right_args,
        call,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripted::Scripted;

    #[test]
    fn a_call_runs_the_tool_and_none_is_no_call() {
        let mut m = Scripted::new(&[
            r#"{"tool": "motor_torque", "args": {"power": "15 kW", "speed": "1460 rpm"}}"#,
        ]);
        let (call, result) = answer(&mut m, "Torque of a 15 kW motor at 1460 rpm?")
            .unwrap()
            .unwrap();
        assert_eq!(call.tool, "motor_torque");
        assert!((result.unwrap().outputs[0].value - 98.109_21).abs() < 1e-4);
        let Input::Prompt(p) = &m.seen[0].input else {
            panic!()
        };
        assert!(
            p.ends_with("Question: Torque of a 15 kW motor at 1460 rpm?\nCall: "),
            "{p}"
        );
        assert!(
            p.contains("- motor_torque(power: power in kW, speed: rotational speed in rpm)"),
            "{p}"
        );
        let mut none = Scripted::new(&[r#"{"tool": "none"}"#]);
        assert!(answer(&mut none, "Who won the match?").unwrap().is_none());
    }

    #[test]
    fn grading_compares_arguments_after_unit_conversion() {
        let q = &questions()[3]; // 22 kW at 1470 rpm
        let t = millwright_tools::find(&q.tool).unwrap();
        let same: ToolCall = serde_json::from_str(
            r#"{"tool": "motor_torque", "args": {"power": "22000 W", "speed": "1470"}}"#,
        )
        .unwrap();
        assert!(args_match(t, &q.args, &same));
        let wrong: ToolCall = serde_json::from_str(
            r#"{"tool": "motor_torque", "args": {"power": "22 kW", "speed": "1500 rpm"}}"#,
        )
        .unwrap();
        assert!(!args_match(t, &q.args, &wrong));
    }

    #[test]
    fn the_question_set_is_valid_and_bilingual() {
        let qs = questions();
        assert!(qs.len() >= 20);
        let zh = qs
            .iter()
            .filter(|q| {
                q.question
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            })
            .count();
        assert!(zh >= 5 && qs.len() - zh >= 5);
        for q in &qs {
            // The expected call itself must run.
            let t = millwright_tools::find(&q.tool).unwrap_or_else(|| panic!("{}", q.tool));
            let call = ToolCall {
                tool: q.tool.clone(),
                args: q.args.clone(),
            };
            millwright_tools::call(t, &call.pairs())
                .unwrap_or_else(|e| panic!("{}: {e}", q.question));
        }
    }
}
