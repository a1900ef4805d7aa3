//! One POU under test: its instance, variables by name, values to and from
//! JSON, and cycles on the virtual clock.

use serde_json::{json, Map, Value as Json};

use super::exec::{Fault, Machine};
use super::ir::{Program, SType, VarInfo};
use super::stdfn;
use super::value::{format_date, format_dt, format_duration, format_tod, wrap, Num, Value};
use crate::ast::{PouKind, VarKind};
use crate::literals;

/// The default scan cycle.
pub const DEFAULT_CYCLE_MS: f64 = 10.0;

pub struct Session<'p> {
    pub machine: Machine<'p>,
    pub pou: usize,
    base: usize,
    /// Cells the harness owns for each VAR_IN_OUT, by variable name.
    inouts: Vec<(String, usize)>,
}

/// Why a POU cannot be run, or a variable not reached or set.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SessionError {
    #[error("no POU named `{name}`; the file declares {}", list_or_none(known))]
    UnknownPou { name: String, known: Vec<String> },
    #[error("{pou} is a {kind}; only a PROGRAM, FUNCTION_BLOCK or FUNCTION can be run")]
    NotRunnable { pou: String, kind: &'static str },
    /// Valid code using what the simulator does not implement.
    #[error("the simulator cannot run {pou}: {}", problems.join("; "))]
    Unsupported { pou: String, problems: Vec<String> },
    /// The instance could not be set up (memory exhausted).
    #[error("{0}")]
    Fault(String),
    #[error("{pou} has no variable `{name}` (it has {})", known.join(", "))]
    UnknownVariable {
        pou: String,
        name: String,
        known: Vec<String>,
    },
    #[error("`{path}`: there is no member `{member}`")]
    UnknownMember { path: String, member: String },
    /// A value of the wrong type or out of range for the variable.
    #[error("`{path}`: {problem}")]
    BadValue { path: String, problem: String },
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

impl<'p> Session<'p> {
    /// A fresh instance of the POU named `name` (any case).
    pub fn new(prog: &'p Program, name: &str) -> Result<Session<'p>, SessionError> {
        let &pou = prog
            .by_name
            .get(&name.to_ascii_uppercase())
            .ok_or_else(|| SessionError::UnknownPou {
                name: name.to_string(),
                known: prog
                    .pous
                    .iter()
                    .filter(|p| p.owner.is_none())
                    .map(|p| p.name.clone())
                    .collect(),
            })?;
        let p = &prog.pous[pou];
        if !matches!(
            p.kind,
            PouKind::Program | PouKind::FunctionBlock | PouKind::Function
        ) {
            return Err(SessionError::NotRunnable {
                pou: p.name.clone(),
                kind: p.kind.keyword(),
            });
        }
        let blockers = prog.blockers(pou);
        if !blockers.is_empty() {
            return Err(SessionError::Unsupported {
                pou: p.name.clone(),
                problems: blockers.iter().map(|e| e.message.clone()).collect(),
            });
        }
        let fault = |f: Box<Fault>| SessionError::Fault(fault_text(&f));
        let mut machine = Machine::new(prog).map_err(fault)?;
        let base = machine.instantiate(pou).map_err(fault)?;
        let mut inouts = Vec::new();
        for v in p.vars.iter().filter(|v| v.kind == VarKind::InOut) {
            let mut cells = Vec::new();
            prog.default_cells(&v.ty, &mut cells);
            let at = machine.alloc_cells(&cells).map_err(fault)?;
            machine.mem[base + v.offset as usize] = Value::I(at as i64);
            inouts.push((v.name.to_ascii_uppercase(), at));
        }
        Ok(Session {
            machine,
            pou,
            base,
            inouts,
        })
    }

    pub fn prog(&self) -> &'p Program {
        self.machine.prog
    }

    /// Runs one scan cycle, then advances the clock by `cycle_ms`.
    pub fn cycle(&mut self, cycle_ms: f64) -> Result<(), Fault> {
        let ns = (cycle_ms * 1e6).round() as i64;
        self.machine.cycle(self.pou, self.base, ns).map_err(|f| *f)
    }

    /// The variables a test may set: inputs and in-outs; for a PROGRAM any of
    /// its variables and the globals.
    pub fn settable(&self, v: &VarInfo) -> bool {
        self.prog().pous[self.pou].kind == PouKind::Program
            || matches!(v.kind, VarKind::Input | VarKind::InOut | VarKind::Global)
    }

    /// The outputs a trace shows: VAR_OUTPUT, VAR_IN_OUT, a function's result.
    pub fn outputs(&self) -> Vec<&'p VarInfo> {
        let p = &self.prog().pous[self.pou];
        p.vars
            .iter()
            .filter(|v| {
                matches!(v.kind, VarKind::Output | VarKind::InOut)
                    || (p.result.is_some() && v.offset == 0 && v.kind == VarKind::Var)
            })
            .collect()
    }

    /// A variable by (dotted) name: its declaration, type and cell address.
    pub fn resolve(&self, path: &str) -> Result<(&'p VarInfo, SType, usize), SessionError> {
        let prog = self.prog();
        let p = &prog.pous[self.pou];
        let mut parts = path.split('.');
        let head = parts.next().unwrap_or_default().trim();
        let (var, mut addr) = match p.var(head) {
            Some(v) if v.kind == VarKind::InOut => {
                let at = self
                    .inouts
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(head))
                    .map(|x| x.1)
                    .unwrap_or(0);
                (v, at)
            }
            Some(v) => (v, self.base + v.offset as usize),
            None => match prog
                .globals
                .iter()
                .find(|g| g.name.eq_ignore_ascii_case(head))
            {
                Some(g) => (g, g.offset as usize),
                None => {
                    return Err(SessionError::UnknownVariable {
                        pou: p.name.clone(),
                        name: head.to_string(),
                        known: p.vars.iter().map(|v| v.name.clone()).collect(),
                    });
                }
            },
        };
        let mut ty = var.ty.clone();
        for part in parts {
            let (off, t) = member(prog, &ty, part).ok_or_else(|| SessionError::UnknownMember {
                path: path.to_string(),
                member: part.to_string(),
            })?;
            addr += off as usize;
            ty = t;
        }
        Ok((var, ty, addr))
    }

    pub fn set(&mut self, path: &str, v: &Json) -> Result<(), SessionError> {
        let (_, ty, addr) = self.resolve(path)?;
        let mut cells = Vec::new();
        from_json(self.prog(), &ty, v, &mut cells).map_err(|problem| SessionError::BadValue {
            path: path.to_string(),
            problem,
        })?;
        self.machine.mem[addr..addr + cells.len()].clone_from_slice(&cells);
        Ok(())
    }

    pub fn get(&self, path: &str) -> Result<Json, SessionError> {
        let (_, ty, addr) = self.resolve(path)?;
        Ok(to_json(self.prog(), &ty, &self.machine.mem[addr..]))
    }

    /// Compares a variable with an expected JSON value; `Some(actual)` when they differ.
    pub fn differs(
        &self,
        path: &str,
        expected: &Json,
        tolerance: Option<f64>,
    ) -> Result<Option<Json>, SessionError> {
        let (_, ty, addr) = self.resolve(path)?;
        let prog = self.prog();
        let same = matches(prog, &ty, expected, &self.machine.mem[addr..], tolerance).map_err(
            |problem| SessionError::BadValue {
                path: path.to_string(),
                problem,
            },
        )?;
        Ok((!same).then(|| to_json(prog, &ty, &self.machine.mem[addr..])))
    }
}

pub fn fault_text(f: &Fault) -> String {
    format!("{}: {}", f.kind.label(), f.message)
}

fn member(prog: &Program, t: &SType, name: &str) -> Option<(u32, SType)> {
    match t {
        SType::Struct(i) => prog.structs[*i]
            .fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| (f.offset, f.ty.clone())),
        SType::Fb(i) => prog.pous[*i]
            .var(name)
            .filter(|v| v.kind != VarKind::InOut)
            .map(|v| (v.offset, v.ty.clone())),
        SType::StdFb(f) => {
            let params = f.params();
            let k = params.iter().position(|p| p.0.eq_ignore_ascii_case(name))?;
            let n = super::lower::elementary(params[k].1)?;
            Some((k as u32, SType::num(n)))
        }
        _ => None,
    }
}

fn type_name(prog: &Program, t: &SType) -> String {
    match t {
        SType::Scalar(Num::Str { wide }, max) => {
            format!("{}({max})", if *wide { "WSTRING" } else { "STRING" })
        }
        SType::Scalar(n, _) => crate::sema::types::Ty::from(*n).to_string(),
        SType::Enum(i) => prog.enums[*i].name.clone(),
        SType::Array(_) => "an array".into(),
        SType::Struct(i) => prog.structs[*i].name.clone(),
        SType::Fb(i) => prog.pous[*i].name.clone(),
        SType::StdFb(f) => f.name().into(),
        SType::Pointer(_) | SType::Reference(_) => "a pointer".into(),
    }
}

/// The cells of a value of type `t` written as JSON.
pub fn from_json(prog: &Program, t: &SType, v: &Json, out: &mut Vec<Value>) -> Result<(), String> {
    let bad = || format!("{} is not a value of type {}", short(v), type_name(prog, t));
    match t {
        SType::Scalar(n, max) => out.push(scalar_from_json(*n, *max, v).ok_or_else(bad)??),
        SType::Enum(i) => {
            let e = &prog.enums[*i];
            let x = match v {
                Json::String(s) => {
                    let name = s.rsplit(['#', '.']).next().unwrap_or(s);
                    e.values
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map(|x| x.1)
                        .ok_or_else(|| {
                            let names: Vec<&str> = e.values.iter().map(|x| x.0.as_str()).collect();
                            format!(
                                "{} has no value {s:?} (its values: {})",
                                e.name,
                                names.join(", ")
                            )
                        })?
                }
                Json::Number(n) => n.as_i64().ok_or_else(bad)?,
                _ => return Err(bad()),
            };
            out.push(Value::I(x));
        }
        SType::Array(a) => {
            let Json::Array(items) = v else {
                return Err(bad());
            };
            // Nested arrays for several dimensions, or one flat list.
            let flat: Vec<&Json> = flatten(items, a.dims.len());
            if flat.len() as u64 != a.count() {
                return Err(format!(
                    "the array has {} elements, the value {}",
                    a.count(),
                    flat.len()
                ));
            }
            for item in flat {
                from_json(prog, &a.elem, item, out)?;
            }
        }
        SType::Struct(_) | SType::Fb(_) | SType::StdFb(_) => {
            let Json::Object(fields) = v else {
                return Err(bad());
            };
            let start = out.len();
            prog.default_cells(t, out);
            for (name, fv) in fields {
                let (off, ft) = member(prog, t, name)
                    .ok_or_else(|| format!("{} has no member `{name}`", type_name(prog, t)))?;
                let mut cells = Vec::new();
                from_json(prog, &ft, fv, &mut cells)?;
                let at = start + off as usize;
                out[at..at + cells.len()].clone_from_slice(&cells);
            }
        }
        SType::Pointer(_) | SType::Reference(_) => {
            return Err("a pointer cannot be set from a test vector".into())
        }
    }
    Ok(())
}

fn flatten(items: &[Json], dims: usize) -> Vec<&Json> {
    if dims > 1 && items.iter().all(|i| i.is_array()) {
        items
            .iter()
            .flat_map(|i| flatten(i.as_array().map_or(&[][..], |v| v), dims - 1))
            .collect()
    } else {
        items.iter().collect()
    }
}

fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

/// `None` when the JSON kind is wrong; `Some(Err)` when it is out of range.
fn scalar_from_json(n: Num, max: usize, v: &Json) -> Option<Result<Value, String>> {
    let range_err = |x: &dyn std::fmt::Display| {
        Err(format!(
            "{x} does not fit {}",
            crate::sema::types::Ty::from(n)
        ))
    };
    Some(match (n, v) {
        (Num::Bool, Json::Bool(b)) => Ok(Value::I(*b as i64)),
        (Num::Bool, Json::Number(x)) => match x.as_i64() {
            Some(0) => Ok(Value::I(0)),
            Some(1) => Ok(Value::I(1)),
            _ => return None,
        },
        // The IEC literals, as a PLC programmer types them (`start=TRUE`).
        (Num::Bool, Json::String(t)) if t.eq_ignore_ascii_case("TRUE") => Ok(Value::I(1)),
        (Num::Bool, Json::String(t)) if t.eq_ignore_ascii_case("FALSE") => Ok(Value::I(0)),
        (Num::Int { bits, .. } | Num::Bits(bits), _) => {
            let signed = signed_of(n);
            let x: i128 = match v {
                Json::Number(x) => {
                    if let Some(i) = x.as_i64() {
                        i as i128
                    } else if let Some(u) = x.as_u64() {
                        u as i128
                    } else {
                        // A whole number written as 2.0 is still an integer.
                        let f = x.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e30)?;
                        f as i128
                    }
                }
                Json::String(s) => {
                    let t = s.trim();
                    let (neg, d) = match t.strip_prefix('-') {
                        Some(d) => (true, d),
                        None => (false, t),
                    };
                    let d = d
                        .split_once('#')
                        .filter(|(p, _)| !matches!(*p, "2" | "8" | "16"))
                        .map_or(d, |(_, b)| b);
                    let u = literals::parse_integer(d)? as i128;
                    if neg {
                        -u
                    } else {
                        u
                    }
                }
                _ => return None,
            };
            let (lo, hi): (i128, i128) = if signed {
                (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
            } else {
                (0, (1i128 << bits) - 1)
            };
            if x < lo || x > hi {
                range_err(&x)
            } else {
                Ok(Value::I(wrap(x as i64, bits, signed)))
            }
        }
        (Num::Real | Num::LReal, Json::Number(x)) => {
            let r = x.as_f64()?;
            Ok(Value::R(if n == Num::Real { r as f32 as f64 } else { r }))
        }
        (Num::Time | Num::LTime, Json::Number(x)) => {
            let ms = x.as_f64()?;
            Ok(Value::I(if n == Num::Time {
                ms.round() as i64
            } else {
                (ms * 1e6).round() as i64
            }))
        }
        (Num::Time | Num::LTime, Json::String(s)) => {
            let body = s.trim().split_once('#').map_or(s.trim(), |(_, b)| b);
            let ns = literals::parse_duration(body)?;
            Ok(Value::I(if n == Num::Time { ns / 1_000_000 } else { ns }))
        }
        (Num::Date, Json::String(s)) => {
            let body = s.trim().split_once('#').map_or(s.trim(), |(_, b)| b);
            let (y, m, d) = literals::parse_date(body)?;
            Ok(Value::I(stdfn::date_secs(y, m, d)))
        }
        (Num::Tod, Json::String(s)) => {
            let body = s.trim().split_once('#').map_or(s.trim(), |(_, b)| b);
            Ok(Value::I(literals::parse_time_of_day(body)? / 1_000_000))
        }
        (Num::Dt, Json::String(s)) => {
            let body = s.trim().split_once('#').map_or(s.trim(), |(_, b)| b);
            let ((y, m, d), ns) = literals::parse_date_and_time(body)?;
            Ok(Value::I(stdfn::date_secs(y, m, d) + ns / 1_000_000_000))
        }
        (Num::Str { .. }, Json::String(s)) => {
            if s.chars().count() > max {
                Err(format!(
                    "{s:?} is longer than the {max} characters the string holds"
                ))
            } else {
                Ok(Value::S(s.clone()))
            }
        }
        _ => return None,
    })
}

fn signed_of(n: Num) -> bool {
    matches!(n, Num::Int { signed: true, .. })
}

/// Cells of type `t` as JSON: numbers, booleans, IEC literal strings for
/// durations and dates, enumeration value names, arrays and objects.
pub fn to_json(prog: &Program, t: &SType, cells: &[Value]) -> Json {
    let first = cells.first().cloned().unwrap_or(Value::I(0));
    match t {
        SType::Scalar(n, _) => scalar_json(*n, &first),
        SType::Enum(i) => {
            let x = first.int();
            match prog.enums[*i].values.iter().find(|v| v.1 == x) {
                Some((name, _)) => Json::String(name.clone()),
                None => json!(x),
            }
        }
        SType::Pointer(_) | SType::Reference(_) => json!(first.int()),
        SType::Array(a) => {
            let size = a.elem_size as usize;
            let items: Vec<Json> = (0..a.count() as usize)
                .map(|k| to_json(prog, &a.elem, cells.get(k * size..).unwrap_or(&[])))
                .collect();
            nest(items, &a.dims)
        }
        SType::Struct(i) => {
            let mut m = Map::new();
            for f in &prog.structs[*i].fields {
                let at = f.offset as usize;
                m.insert(
                    f.name.clone(),
                    to_json(prog, &f.ty, cells.get(at..).unwrap_or(&[])),
                );
            }
            Json::Object(m)
        }
        SType::Fb(i) => {
            let mut m = Map::new();
            for v in prog.pous[*i]
                .vars
                .iter()
                .filter(|v| v.kind != VarKind::InOut)
            {
                let at = v.offset as usize;
                m.insert(
                    v.name.clone(),
                    to_json(prog, &v.ty, cells.get(at..).unwrap_or(&[])),
                );
            }
            Json::Object(m)
        }
        SType::StdFb(f) => {
            let mut m = Map::new();
            for (k, (name, ty, _)) in f.params().iter().enumerate() {
                let n = super::lower::elementary(ty).unwrap_or(Num::Bool);
                m.insert(
                    name.to_string(),
                    scalar_json(n, cells.get(k).unwrap_or(&Value::I(0))),
                );
            }
            Json::Object(m)
        }
    }
}

fn nest(items: Vec<Json>, dims: &[(i64, i64)]) -> Json {
    if dims.len() <= 1 {
        return Json::Array(items);
    }
    let inner: usize = dims[1..]
        .iter()
        .map(|(lo, hi)| (hi - lo + 1) as usize)
        .product();
    let mut out = Vec::new();
    let mut it = items.into_iter();
    loop {
        let chunk: Vec<Json> = it.by_ref().take(inner.max(1)).collect();
        if chunk.is_empty() {
            break;
        }
        out.push(nest(chunk, &dims[1..]));
    }
    Json::Array(out)
}

fn scalar_json(n: Num, v: &Value) -> Json {
    match n {
        Num::Bool => Json::Bool(v.truthy()),
        Num::Real => {
            // The shortest decimal that is this single-precision value.
            let r = v.real() as f32;
            format!("{r}")
                .parse::<f64>()
                .map_or(Json::Null, |x| json!(x))
        }
        Num::LReal => serde_json::Number::from_f64(v.real()).map_or(Json::Null, Json::Number),
        Num::Time => Json::String(format_duration(v.int(), false)),
        Num::LTime => Json::String(format_duration(v.int(), true)),
        Num::Date => Json::String(format_date(v.int())),
        Num::Tod => Json::String(format_tod(v.int())),
        Num::Dt => Json::String(format_dt(v.int())),
        Num::Str { .. } => Json::String(v.str().to_owned()),
        _ if n.unsigned() && n.bits() == 64 => json!(v.int() as u64),
        _ => json!(v.int()),
    }
}

/// A scalar as a person reads it in a report (`TRUE`, `1.5`, `T#1s`).
pub fn display(v: &Json) -> String {
    match v {
        Json::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Whether cells hold the expected value (only the listed members of a
/// structure are compared); REALs within `tolerance` when one is given,
/// otherwise equal at the variable's precision.
fn matches(
    prog: &Program,
    t: &SType,
    expected: &Json,
    cells: &[Value],
    tolerance: Option<f64>,
) -> Result<bool, String> {
    match (t, expected) {
        (SType::Struct(_) | SType::Fb(_) | SType::StdFb(_), Json::Object(fields)) => {
            for (name, ev) in fields {
                let (off, ft) = member(prog, t, name)
                    .ok_or_else(|| format!("{} has no member `{name}`", type_name(prog, t)))?;
                if !matches(
                    prog,
                    &ft,
                    ev,
                    cells.get(off as usize..).unwrap_or(&[]),
                    tolerance,
                )? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        (SType::Array(a), Json::Array(items)) => {
            let flat = flatten(items, a.dims.len());
            if flat.len() as u64 != a.count() {
                return Err(format!(
                    "the array has {} elements, the expected value {}",
                    a.count(),
                    flat.len()
                ));
            }
            for (k, ev) in flat.into_iter().enumerate() {
                let at = k * a.elem_size as usize;
                if !matches(prog, &a.elem, ev, cells.get(at..).unwrap_or(&[]), tolerance)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        _ => {
            let mut want = Vec::new();
            from_json(prog, t, expected, &mut want)?;
            let (w, a) = (&want[0], cells.first().unwrap_or(&Value::I(0)));
            Ok(match (t.scalar(), tolerance) {
                (Some(Num::Real | Num::LReal), Some(tol)) => (w.real() - a.real()).abs() <= tol,
                (Some(Num::Real | Num::LReal), None) => {
                    w.real() == a.real() || (w.real().is_nan() && a.real().is_nan())
                }
                _ => w == a,
            })
        }
    }
}

/// A value given on the command line (`k=v`): JSON when it parses as JSON,
/// otherwise the text itself (`T#1s`, `Auto`).
pub fn cli_value(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.to_string()))
}

/// For a trace: the column value of a scalar or a compact JSON of the rest.
pub fn cell_text(v: &Json) -> String {
    match v {
        Json::Number(n) => n.to_string(),
        Json::Bool(_) | Json::String(_) => display(v),
        other => other.to_string(),
    }
}
