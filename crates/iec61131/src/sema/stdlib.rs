//! The IEC 61131-3 standard library as the checker knows it: function blocks
//! with their interfaces, and functions with how their result type follows
//! from their arguments.

use super::types::Ty;
use crate::ast::BinaryOp;

/// A standard function block: its inputs and outputs.
pub struct StdFb {
    pub inputs: &'static [(&'static str, &'static str)],
    pub outputs: &'static [(&'static str, &'static str)],
}

/// Every standard function block [`function_block`] knows.
pub const FUNCTION_BLOCK_NAMES: &[&str] = &[
    "TON", "TOF", "TP", "LTON", "LTOF", "LTP", "R_TRIG", "F_TRIG", "CTU", "CTD", "CTUD", "SR", "RS",
];

/// Every standard function [`function`] knows by name (the `*_TO_*`
/// conversions aside).
pub const FUNCTION_NAMES: &[&str] = &[
    "ABS", "NEG", "MOVE", "SQRT", "LN", "LOG", "EXP", "SIN", "COS", "TAN", "ASIN", "ACOS", "ATAN",
    "ATAN2", "EXPT", "ADD", "MUL", "SUB", "DIV", "MOD", "SHL", "SHR", "ROL", "ROR", "SEL", "MAX",
    "MIN", "LIMIT", "MUX", "GT", "GE", "EQ", "LE", "LT", "NE", "LEN", "FIND", "LEFT", "RIGHT",
    "MID", "INSERT", "DELETE", "REPLACE", "CONCAT", "TRUNC", "ADR", "SIZEOF", "BITADR", "TIME",
    "LTIME",
];

pub fn function_block(name: &str) -> Option<StdFb> {
    let b = |inputs, outputs| Some(StdFb { inputs, outputs });
    match name {
        "TON" | "TOF" | "TP" => b(
            &[("IN", "BOOL"), ("PT", "TIME")],
            &[("Q", "BOOL"), ("ET", "TIME")],
        ),
        "LTON" | "LTOF" | "LTP" => b(
            &[("IN", "BOOL"), ("PT", "LTIME")],
            &[("Q", "BOOL"), ("ET", "LTIME")],
        ),
        "R_TRIG" | "F_TRIG" => b(&[("CLK", "BOOL")], &[("Q", "BOOL")]),
        "CTU" => b(
            &[("CU", "BOOL"), ("R", "BOOL"), ("PV", "INT")],
            &[("Q", "BOOL"), ("CV", "INT")],
        ),
        "CTD" => b(
            &[("CD", "BOOL"), ("LD", "BOOL"), ("PV", "INT")],
            &[("Q", "BOOL"), ("CV", "INT")],
        ),
        "CTUD" => b(
            &[
                ("CU", "BOOL"),
                ("CD", "BOOL"),
                ("R", "BOOL"),
                ("LD", "BOOL"),
                ("PV", "INT"),
            ],
            &[("QU", "BOOL"), ("QD", "BOOL"), ("CV", "INT")],
        ),
        "SR" => b(&[("SET1", "BOOL"), ("RESET", "BOOL")], &[("Q1", "BOOL")]),
        "RS" => b(&[("SET", "BOOL"), ("RESET1", "BOOL")], &[("Q1", "BOOL")]),
        _ => None,
    }
}

/// How a standard function's result type is found.
pub enum StdFn {
    /// A fixed result type.
    Returns(Ty),
    /// The common type of the arguments from this index on (MAX, LIMIT, SEL…).
    CommonFrom(usize),
    /// The type of argument `i` (SHL's IN, ABS's IN…).
    ArgType(usize),
    /// Numeric functions of reals: the argument's type, REAL for integers.
    RealOfArg(usize),
    /// ADR: a pointer to the argument's type.
    PointerToArg,
}

pub struct StdFnSig {
    pub result: StdFn,
    /// Fewest and most arguments (`None`: extensible).
    pub min_args: usize,
    pub max_args: Option<usize>,
}

pub fn function(name: &str) -> Option<StdFnSig> {
    use StdFn::*;
    let s = |result, min_args, max_args| {
        Some(StdFnSig {
            result,
            min_args,
            max_args,
        })
    };
    match name {
        "ABS" | "NEG" | "MOVE" => s(ArgType(0), 1, Some(1)),
        "SQRT" | "LN" | "LOG" | "EXP" | "SIN" | "COS" | "TAN" | "ASIN" | "ACOS" | "ATAN" => {
            s(RealOfArg(0), 1, Some(1))
        }
        "ATAN2" | "EXPT" => s(RealOfArg(0), 2, Some(2)),
        "ADD" | "MUL" => s(CommonFrom(0), 2, None),
        "SUB" | "DIV" | "MOD" => s(CommonFrom(0), 2, Some(2)),
        "SHL" | "SHR" | "ROL" | "ROR" => s(ArgType(0), 2, Some(2)),
        "SEL" => s(CommonFrom(1), 3, Some(3)),
        "MAX" | "MIN" => s(CommonFrom(0), 2, None),
        "LIMIT" => s(CommonFrom(0), 3, Some(3)),
        "MUX" => s(CommonFrom(1), 2, None),
        "GT" | "GE" | "EQ" | "LE" | "LT" | "NE" => s(Returns(Ty::Bool), 2, None),
        "LEN" => s(
            Returns(Ty::Int {
                bits: 16,
                signed: true,
            }),
            1,
            Some(1),
        ),
        "FIND" => s(
            Returns(Ty::Int {
                bits: 16,
                signed: true,
            }),
            2,
            Some(2),
        ),
        "LEFT" | "RIGHT" => s(ArgType(0), 2, Some(2)),
        "MID" | "INSERT" | "DELETE" => s(ArgType(0), 3, Some(3)),
        "REPLACE" => s(ArgType(0), 4, Some(4)),
        "CONCAT" => s(Returns(Ty::String { wide: false }), 2, None),
        "TRUNC" => s(
            Returns(Ty::Int {
                bits: 32,
                signed: true,
            }),
            1,
            Some(1),
        ),
        "ADR" | "__ADR" => s(PointerToArg, 1, Some(1)),
        "SIZEOF" => s(
            Returns(Ty::Int {
                bits: 32,
                signed: false,
            }),
            1,
            Some(1),
        ),
        "BITADR" => s(Returns(Ty::Bits(32)), 1, Some(1)),
        // CODESYS: TIME() is the time since start-up.
        "TIME" => s(Returns(Ty::Time), 0, Some(0)),
        "LTIME" => s(Returns(Ty::LTime), 0, Some(0)),
        _ => conversion(name).map(|to| StdFnSig {
            result: Returns(to),
            min_args: 1,
            max_args: Some(1),
        }),
    }
}

/// `INT_TO_REAL`, `TO_DINT`, `TRUNC_INT`, `BCD_TO_INT`… → the target type.
fn conversion(name: &str) -> Option<Ty> {
    let target = name
        .strip_prefix("TO_")
        .or_else(|| name.strip_prefix("TRUNC_"))
        .or_else(|| name.split_once("_TO_").map(|(_, to)| to))?;
    if let Some((from, _)) = name.split_once("_TO_") {
        if from != "BCD" && !from.is_empty() && Ty::elementary(from).is_none() {
            return None;
        }
    }
    match target {
        "BCD" => Some(Ty::Bits(32)),
        _ => Ty::elementary(target),
    }
}

/// The parameter names of a standard function, in position order; the
/// extensible ones (ADD, MAX, MUX …) also take `IN0`, `IN1` … after these.
pub fn function_params(name: &str) -> &'static [&'static str] {
    match name {
        "SEL" => &["G", "IN0", "IN1"],
        "MUX" => &["K"],
        "LIMIT" => &["MN", "IN", "MX"],
        "SHL" | "SHR" | "ROL" | "ROR" => &["IN", "N"],
        "LEFT" | "RIGHT" => &["IN", "L"],
        "MID" => &["IN", "L", "P"],
        "INSERT" => &["IN1", "IN2", "P"],
        "DELETE" => &["IN", "L", "P"],
        "REPLACE" => &["IN1", "IN2", "L", "P"],
        "FIND" => &["IN1", "IN2"],
        "ATAN2" => &["Y", "X"],
        "EXPT" => &["IN1", "IN2"],
        "ADD" | "MUL" | "MAX" | "MIN" | "GT" | "GE" | "EQ" | "LE" | "LT" | "NE" | "CONCAT"
        | "AND" | "OR" | "XOR" => &[],
        _ => &["IN"],
    }
}

/// Where a named argument of a standard function goes (an index to sort
/// by), or `None` when the function has no parameter of that name.
pub fn named_position(function: &str, param: &str) -> Option<usize> {
    let names = function_params(function);
    if let Some(i) = names.iter().position(|p| p.eq_ignore_ascii_case(param)) {
        return Some(i);
    }
    let extensible = names.is_empty() || function == "MUX";
    let n: usize = param
        .to_ascii_uppercase()
        .strip_prefix("IN")?
        .parse()
        .ok()?;
    extensible.then_some(n + names.len())
}

/// The parameter names of a standard function as a person reads them.
pub fn describe_params(function: &str) -> String {
    let names = function_params(function);
    match (names.is_empty(), function == "MUX") {
        (true, _) => "IN1, IN2, …".into(),
        (false, true) => format!("{}, IN0, IN1, …", names.join(", ")),
        (false, false) => names.join(", "),
    }
}

/// The operator a standard function is the function form of (`ADD` is `+`,
/// `GT` is `>` …): it is typed, and runs, as that operator.
pub fn operator(name: &str) -> Option<BinaryOp> {
    Some(match name {
        "ADD" => BinaryOp::Add,
        "MUL" => BinaryOp::Mul,
        "SUB" => BinaryOp::Sub,
        "DIV" => BinaryOp::Div,
        "MOD" => BinaryOp::Mod,
        "GT" => BinaryOp::Gt,
        "GE" => BinaryOp::Ge,
        "EQ" => BinaryOp::Eq,
        "LE" => BinaryOp::Le,
        "LT" => BinaryOp::Lt,
        "NE" => BinaryOp::Ne,
        "AND" => BinaryOp::And,
        "OR" => BinaryOp::Or,
        "XOR" => BinaryOp::Xor,
        _ => return None,
    })
}
