//! The IEC 61131-3 standard library as the checker knows it: function blocks
//! with their interfaces, and functions with how their result type follows
//! from their arguments.

use super::types::Ty;

/// A standard function block: its inputs and outputs.
pub struct StdFb {
    pub inputs: &'static [(&'static str, &'static str)],
    pub outputs: &'static [(&'static str, &'static str)],
}

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
