//! Mechanism models: deterministic engineering calculations with units,
//! beside the language model so numbers come from formulas, not from guesses.
//!
//! Every tool declares its arguments (a quantity with a default unit and a
//! valid range, or one of a few words), its formula and its source; [`call`]
//! parses `"400 V"`-style values through `uom`, checks every range, runs the
//! calculation in SI and reports the result in the tool's display units.
//! Bad input is an error naming the argument and the valid range.

pub mod calc;
pub mod quantity;
pub mod thermocouple;

use std::collections::HashMap;

use quantity::Kind;
use serde::Serialize;

/// One argument of a tool.
#[derive(Debug, Clone, Serialize)]
pub struct Arg {
    pub name: &'static str,
    pub kind: Kind,
    /// The unit assumed when a value has none, and in which ranges are shown.
    pub unit: &'static str,
    pub description: &'static str,
    /// Valid range, in `unit`; `None` for open.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Whether the lower bound itself is allowed.
    pub min_inclusive: bool,
    /// Written when the argument is left out.
    pub default: Option<&'static str>,
    /// For a word argument: its allowed values (then `kind` is unused);
    /// `["*"]` for free text.
    pub choices: &'static [&'static str],
    /// May be left out (the tool says when it needs it).
    pub optional: bool,
}

impl Arg {
    pub const fn number(
        name: &'static str,
        kind: Kind,
        unit: &'static str,
        description: &'static str,
    ) -> Arg {
        Arg {
            name,
            kind,
            unit,
            description,
            min: None,
            max: None,
            min_inclusive: true,
            default: None,
            choices: &[],
            optional: false,
        }
    }
    pub const fn choice(
        name: &'static str,
        choices: &'static [&'static str],
        description: &'static str,
    ) -> Arg {
        Arg {
            name,
            kind: Kind::Ratio,
            unit: "",
            description,
            min: None,
            max: None,
            min_inclusive: true,
            default: None,
            choices,
            optional: false,
        }
    }
    /// Any text (a value with its unit, a unit name).
    pub const fn text(name: &'static str, description: &'static str) -> Arg {
        Arg::choice(name, &["*"], description)
    }
    /// What the argument takes, for people and prompts: "power in kW",
    /// "copper|aluminium", "text".
    pub fn what(&self) -> String {
        if self.choices == ["*"] {
            "text".to_string()
        } else if !self.choices.is_empty() {
            self.choices.join("|")
        } else if self.unit.is_empty() {
            self.kind.name().to_string()
        } else {
            format!("{} in {}", self.kind.name(), self.unit)
        }
    }
    pub const fn optional(mut self) -> Arg {
        self.optional = true;
        self
    }
    /// Strictly greater than zero.
    pub const fn positive(mut self) -> Arg {
        self.min = Some(0.0);
        self.min_inclusive = false;
        self
    }
    pub const fn range(mut self, min: f64, max: f64) -> Arg {
        self.min = Some(min);
        self.max = Some(max);
        self
    }
    pub const fn at_least(mut self, min: f64) -> Arg {
        self.min = Some(min);
        self
    }
    pub const fn or(mut self, default: &'static str) -> Arg {
        self.default = Some(default);
        self
    }
}

/// A result of a tool, in SI, with the unit it is shown in.
#[derive(Debug, Clone, Serialize)]
pub struct Out {
    pub name: &'static str,
    pub kind: Kind,
    pub unit: &'static str,
    /// In `unit`.
    pub value: f64,
}

pub struct Tool {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub formula: &'static str,
    pub source: &'static str,
    pub args: &'static [Arg],
    pub run: fn(&Inputs) -> Result<Calc, String>,
}

/// Arguments as the calculation sees them: numbers in SI, words as given.
pub struct Inputs {
    numbers: HashMap<&'static str, f64>,
    words: HashMap<&'static str, String>,
}

impl Inputs {
    /// A number argument in SI (present: defaults are filled in).
    pub fn n(&self, name: &str) -> f64 {
        self.numbers.get(name).copied().unwrap_or(f64::NAN)
    }
    pub fn has(&self, name: &str) -> bool {
        self.numbers.contains_key(name) || self.words.contains_key(name)
    }
    pub fn word(&self, name: &str) -> &str {
        self.words.get(name).map_or("", String::as_str)
    }
}

/// What a calculation returns: values in SI with their display units, and
/// notes (assumptions, warnings).
#[derive(Debug, Clone, Default)]
pub struct Calc {
    pub values: Vec<(&'static str, Kind, &'static str, f64)>,
    pub notes: Vec<String>,
}

impl Calc {
    pub fn out(mut self, name: &'static str, kind: Kind, unit: &'static str, si: f64) -> Calc {
        self.values.push((name, kind, unit, si));
        self
    }
    pub fn note(mut self, n: impl Into<String>) -> Calc {
        self.notes.push(n.into());
        self
    }
}

/// A finished call: what went in, the formula, what came out.
#[derive(Debug, Clone, Serialize)]
pub struct Called {
    pub tool: &'static str,
    pub title: &'static str,
    pub formula: &'static str,
    pub source: &'static str,
    /// (argument, value as understood, with its unit)
    pub inputs: Vec<(&'static str, String)>,
    pub outputs: Vec<Out>,
    pub notes: Vec<String>,
}

/// A result to six significant digits: what a calculation's inputs justify.
pub fn display(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = 6 - 1 - v.abs().log10().floor() as i32;
    let s = format!("{:.*}", digits.clamp(0, 12) as usize, v);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

impl Called {
    /// The results on one line: `torque = 98.1092 N·m`.
    pub fn results(&self) -> String {
        self.outputs
            .iter()
            .map(|o| {
                format!("{} = {} {}", o.name, display(o.value), o.unit)
                    .trim_end()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
    /// The inputs as understood: `power = 15 kW, speed = 1460 rpm`.
    pub fn inputs_text(&self) -> String {
        self.inputs
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub fn all() -> &'static [Tool] {
    calc::TOOLS
}

pub fn find(name: &str) -> Option<&'static Tool> {
    all().iter().find(|t| t.name.eq_ignore_ascii_case(name))
}

fn show(v: f64) -> String {
    let r = (v * 1e6).round() / 1e6;
    format!("{r}")
}

fn range_text(a: &Arg) -> String {
    let u = if a.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", a.unit)
    };
    match (a.min, a.max) {
        (Some(lo), Some(hi)) => format!("from {}{u} to {}{u}", show(lo), show(hi)),
        (Some(lo), None) if a.min_inclusive => format!("at least {}{u}", show(lo)),
        (Some(lo), None) => format!("greater than {}{u}", show(lo)),
        (None, Some(hi)) => format!("at most {}{u}", show(hi)),
        (None, None) => "any value".into(),
    }
}

/// Why a tool refused a call: each names the argument and what would be valid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    #[error("{tool} has no argument `{name}`; its arguments: {}", known.join(", "))]
    UnknownArgument {
        tool: &'static str,
        name: String,
        known: Vec<&'static str>,
    },
    #[error("`{arg}` must be one of {}, not {given:?}", choices.join(", "))]
    NotAChoice {
        arg: &'static str,
        choices: &'static [&'static str],
        given: String,
    },
    #[error("`{arg}`: {problem}")]
    BadQuantity {
        arg: &'static str,
        problem: quantity::QuantityError,
    },
    #[error("`{arg}` is {given}, but must be {range}")]
    OutOfRange {
        arg: &'static str,
        given: String,
        range: String,
    },
    #[error("{tool} needs {}", missing.join(", "))]
    Missing {
        tool: &'static str,
        missing: Vec<&'static str>,
    },
    /// The arguments are each valid but the formula does not hold for them
    /// together (a 4-20 mA signal below 3.6 mA, a level above the diameter).
    #[error("{0}")]
    Refused(String),
    #[error("{tool} gives no finite {output} for these inputs")]
    NotFinite {
        tool: &'static str,
        output: &'static str,
    },
}

/// Runs a tool on `name = value` pairs (`"400 V"`, `"15kW"`, `"copper"`).
pub fn call(tool: &Tool, given: &[(String, String)]) -> Result<Called, CallError> {
    let mut numbers = HashMap::new();
    let mut words = HashMap::new();
    let mut inputs = Vec::new();
    for (name, _) in given {
        if !tool.args.iter().any(|a| a.name.eq_ignore_ascii_case(name)) {
            return Err(CallError::UnknownArgument {
                tool: tool.name,
                name: name.clone(),
                known: tool.args.iter().map(|a| a.name).collect(),
            });
        }
    }
    for a in tool.args {
        let text = given
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(a.name))
            .map(|(_, v)| v.as_str())
            .or(a.default);
        let Some(text) = text else { continue };
        if a.choices == ["*"] {
            inputs.push((a.name, text.trim().to_string()));
            words.insert(a.name, text.trim().to_string());
            continue;
        }
        if !a.choices.is_empty() {
            let w = text.trim().to_ascii_lowercase();
            if !a.choices.contains(&w.as_str()) {
                return Err(CallError::NotAChoice {
                    arg: a.name,
                    choices: a.choices,
                    given: text.to_string(),
                });
            }
            inputs.push((a.name, w.clone()));
            words.insert(a.name, w);
            continue;
        }
        let si = a
            .kind
            .parse(text, a.unit)
            .map_err(|problem| CallError::BadQuantity {
                arg: a.name,
                problem,
            })?;
        let shown = a.kind.from_si(si, a.unit).unwrap_or(si);
        let low_ok = a.min.is_none_or(|lo| {
            if a.min_inclusive {
                shown >= lo
            } else {
                shown > lo
            }
        });
        let high_ok = a.max.is_none_or(|hi| shown <= hi);
        if !(low_ok && high_ok) {
            return Err(CallError::OutOfRange {
                arg: a.name,
                given: format!("{} {}", show(shown), a.unit).trim_end().to_string(),
                range: range_text(a),
            });
        }
        inputs.push((
            a.name,
            format!("{} {}", show(shown), a.unit).trim().to_string(),
        ));
        numbers.insert(a.name, si);
    }
    let run = Inputs { numbers, words };
    let missing: Vec<&str> = tool
        .args
        .iter()
        .filter(|a| !run.has(a.name) && a.default.is_none() && !a.optional)
        .map(|a| a.name)
        .collect();
    if !missing.is_empty() {
        return Err(CallError::Missing {
            tool: tool.name,
            missing,
        });
    }
    let c = (tool.run)(&run).map_err(CallError::Refused)?;
    let outputs = c
        .values
        .into_iter()
        .map(|(name, kind, unit, si)| Out {
            name,
            kind,
            unit,
            value: kind.from_si(si, unit).unwrap_or(si),
        })
        .collect::<Vec<_>>();
    if let Some(bad) = outputs.iter().find(|o| !o.value.is_finite()) {
        return Err(CallError::NotFinite {
            tool: tool.name,
            output: bad.name,
        });
    }
    Ok(Called {
        tool: tool.name,
        title: tool.title,
        formula: tool.formula,
        source: tool.source,
        inputs,
        outputs,
        notes: c.notes,
    })
}

/// The JSON schema of a tool's arguments: each a string holding a number
/// and its unit, or one of its words.
pub fn schema(tool: &Tool) -> serde_json::Value {
    let mut props = serde_json::Map::new();
    let mut required = Vec::new();
    for a in tool.args {
        let p = if a.choices == ["*"] {
            serde_json::json!({"type": "string", "description": a.description})
        } else if a.choices.is_empty() {
            serde_json::json!({
                "type": "string",
                "description": format!("{} ({}; units: {}; {})", a.description, a.kind.name(),
                    a.kind.units().iter().filter(|u| !u.is_empty()).copied().collect::<Vec<_>>().join(", "), range_text(a)),
            })
        } else {
            serde_json::json!({"type": "string", "enum": a.choices, "description": a.description})
        };
        props.insert(a.name.to_string(), p);
        if a.default.is_none() && !a.optional {
            required.push(a.name);
        }
    }
    serde_json::json!({
        "title": tool.title,
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}
