//! The mechanism models, run directly: a tool by name with `name = value`
//! arguments (`"400 V"`, `"15kW"`, `"copper"`), as the command line's
//! `calc` and the app's calculator ask for them.

use millwright_tools::{Called, Tool};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Result};

/// More arguments than any tool has is a mistake, not a calculation.
pub const MAX_ARGS: usize = 32;
pub const MAX_VALUE_CHARS: usize = 200;

#[derive(Debug, Clone, Deserialize)]
pub struct CalcRequest {
    pub tool: String,
    /// `(name, value)` pairs; a name given twice takes its last value.
    #[serde(default)]
    pub args: Vec<(String, String)>,
}

impl CalcRequest {
    /// The tool asked for, or an input error listing the tools there are.
    pub fn validate(&self) -> Result<&'static Tool> {
        let tool = millwright_tools::find(self.tool.trim()).ok_or_else(|| {
            let names: Vec<&str> = millwright_tools::all().iter().map(|t| t.name).collect();
            AppError::Input(format!(
                "no tool `{}`; the tools are {}",
                self.tool.trim(),
                names.join(", ")
            ))
        })?;
        if self.args.len() > MAX_ARGS {
            return Err(AppError::Input(format!(
                "{}: {} arguments given; a tool takes at most {MAX_ARGS}",
                tool.name,
                self.args.len()
            )));
        }
        if let Some((name, _)) = self
            .args
            .iter()
            .find(|(_, v)| v.chars().count() > MAX_VALUE_CHARS)
        {
            return Err(AppError::Input(format!(
                "{}: the value of `{name}` is longer than {MAX_VALUE_CHARS} characters",
                tool.name
            )));
        }
        Ok(tool)
    }
}

/// Runs the tool: its formula, source, inputs as understood, results and
/// notes; a refused argument is [`AppError::Calculation`] naming it.
pub fn run(req: &CalcRequest) -> Result<Called> {
    let tool = req.validate()?;
    millwright_tools::call(tool, &req.args).map_err(|error| AppError::Calculation {
        tool: tool.name,
        error,
    })
}

/// A tool as a front end lists it: what it computes, from which source,
/// and its arguments as a JSON schema (units and valid ranges in each
/// description).
#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub formula: &'static str,
    pub source: &'static str,
    pub arguments: serde_json::Value,
}

pub fn tools() -> Vec<ToolInfo> {
    millwright_tools::all()
        .iter()
        .map(|t| ToolInfo {
            name: t.name,
            title: t.title,
            description: t.description,
            formula: t.formula,
            source: t.source,
            arguments: millwright_tools::schema(t),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use millwright_tools::CallError;

    fn req(tool: &str, args: &[(&str, &str)]) -> CalcRequest {
        CalcRequest {
            tool: tool.into(),
            args: args
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_tool_runs_in_si_and_reports_in_its_units() {
        let c = run(&req(
            "motor_torque",
            &[("power", "15 kW"), ("speed", "1460 rpm")],
        ))
        .unwrap();
        let torque = c.outputs.iter().find(|o| o.name == "torque").unwrap();
        // T = P / ω = 15000 / (1460 · 2π / 60)
        assert!((torque.value - 98.11).abs() < 0.01, "{}", torque.value);
        assert!(tools().iter().any(|t| t.name == "motor_torque"));
    }

    #[test]
    fn refusals_say_which_argument_and_why() {
        assert!(
            matches!(run(&req("torque", &[])), Err(AppError::Input(m)) if m.contains("motor_torque"))
        );
        let e = run(&req(
            "motor_torque",
            &[("power", "15 parsecs"), ("speed", "1460 rpm")],
        ))
        .unwrap_err();
        assert!(
            matches!(
                &e,
                AppError::Calculation {
                    tool: "motor_torque",
                    error: CallError::BadQuantity { arg: "power", .. }
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().starts_with("motor_torque: `power`"), "{e}");
        let long = "1".repeat(MAX_VALUE_CHARS + 1);
        assert!(matches!(
            run(&req("motor_torque", &[("power", &long)])),
            Err(AppError::Input(_))
        ));
        assert!(matches!(
            run(&req("motor_torque", &[("power", "15 kW")])),
            Err(AppError::Calculation {
                error: CallError::Missing { .. },
                ..
            })
        ));
    }
}
