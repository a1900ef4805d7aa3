//! The IEC 61131-3 standard library, one table for the checker, the
//! simulator and the generation grammar: each function block with its
//! inputs and outputs, each function with its parameters, the arguments it
//! takes, how its result type follows from them, and how the simulator
//! runs it (a native block or function of `sim::stdfb` / `sim::stdfn`, an
//! operator, or a node of its own).

use super::types::Ty;
use crate::ast::BinaryOp;
use crate::sim::stdfb::StdFb as Block;
use crate::sim::stdfn::StdFn as Native;

/// A standard function block: its inputs and outputs (name, elementary
/// type), in the order of its cells in the simulator, and its implementation.
pub struct FunctionBlock {
    pub name: &'static str,
    pub inputs: &'static [(&'static str, &'static str)],
    pub outputs: &'static [(&'static str, &'static str)],
    pub sim: Block,
}

const TIMER_IN: &[(&str, &str)] = &[("IN", "BOOL"), ("PT", "TIME")];
const TIMER_OUT: &[(&str, &str)] = &[("Q", "BOOL"), ("ET", "TIME")];
const LTIMER_IN: &[(&str, &str)] = &[("IN", "BOOL"), ("PT", "LTIME")];
const LTIMER_OUT: &[(&str, &str)] = &[("Q", "BOOL"), ("ET", "LTIME")];
const COUNTER_OUT: &[(&str, &str)] = &[("Q", "BOOL"), ("CV", "INT")];

/// Every standard function block, in the order of `sim::stdfb::StdFb`
/// (which finds its entry by index).
pub const FUNCTION_BLOCKS: &[FunctionBlock] = &[
    fb("TON", TIMER_IN, TIMER_OUT, Block::Ton),
    fb("TOF", TIMER_IN, TIMER_OUT, Block::Tof),
    fb("TP", TIMER_IN, TIMER_OUT, Block::Tp),
    fb("LTON", LTIMER_IN, LTIMER_OUT, Block::LTon),
    fb("LTOF", LTIMER_IN, LTIMER_OUT, Block::LTof),
    fb("LTP", LTIMER_IN, LTIMER_OUT, Block::LTp),
    fb("R_TRIG", &[("CLK", "BOOL")], &[("Q", "BOOL")], Block::RTrig),
    fb("F_TRIG", &[("CLK", "BOOL")], &[("Q", "BOOL")], Block::FTrig),
    fb(
        "CTU",
        &[("CU", "BOOL"), ("R", "BOOL"), ("PV", "INT")],
        COUNTER_OUT,
        Block::Ctu,
    ),
    fb(
        "CTD",
        &[("CD", "BOOL"), ("LD", "BOOL"), ("PV", "INT")],
        COUNTER_OUT,
        Block::Ctd,
    ),
    fb(
        "CTUD",
        &[
            ("CU", "BOOL"),
            ("CD", "BOOL"),
            ("R", "BOOL"),
            ("LD", "BOOL"),
            ("PV", "INT"),
        ],
        &[("QU", "BOOL"), ("QD", "BOOL"), ("CV", "INT")],
        Block::Ctud,
    ),
    fb(
        "SR",
        &[("SET1", "BOOL"), ("RESET", "BOOL")],
        &[("Q1", "BOOL")],
        Block::Sr,
    ),
    fb(
        "RS",
        &[("SET", "BOOL"), ("RESET1", "BOOL")],
        &[("Q1", "BOOL")],
        Block::Rs,
    ),
];

const fn fb(
    name: &'static str,
    inputs: &'static [(&'static str, &'static str)],
    outputs: &'static [(&'static str, &'static str)],
    sim: Block,
) -> FunctionBlock {
    FunctionBlock {
        name,
        inputs,
        outputs,
        sim,
    }
}

/// The standard function block of that (upper-case) name.
pub fn function_block(name: &str) -> Option<&'static FunctionBlock> {
    FUNCTION_BLOCKS.iter().find(|b| b.name == name)
}

/// A standard function's result type, as the table states it.
#[derive(Clone, Copy)]
pub enum Yields {
    /// This elementary type.
    Returns(&'static str),
    /// The common type of the arguments from this index on (MAX, LIMIT, SEL…).
    CommonFrom(usize),
    /// The type of argument `i` (SHL's IN, ABS's IN…).
    ArgType(usize),
    /// Numeric functions of reals: the argument's type, REAL for integers.
    RealOfArg(usize),
    /// ADR: a pointer to the argument's type.
    PointerToArg,
}

/// What the arguments of a standard function must be, beyond its arity.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    Any,
    Numbers,
    /// ABS and NEG: numbers or durations.
    NumbersOrDurations,
}

/// How the simulator runs a standard function.
#[derive(Clone, Copy)]
pub enum Runs {
    /// `sim::stdfn` computes it.
    Native(Native),
    /// As the operator it is the function form of (`ADD` is `+`, `GT` is
    /// `>` …): typed, and run, as that operator.
    Operator(BinaryOp),
    Negate,
    Move,
    /// The address of its argument's place.
    Address,
    /// Bytes of its argument's type, a constant.
    SizeOf,
    /// CODESYS `TIME()` / `LTIME()`: the virtual clock.
    Clock,
    /// A conversion: `TRUNC`, whose name [`conversion`] reads.
    Convert,
    /// Refused by the simulator with a compile error (BITADR: bit
    /// addresses of located variables, which it does not have).
    NotSimulated,
}

/// A standard function.
pub struct Function {
    pub name: &'static str,
    /// Parameter names in position order; the extensible functions (ADD,
    /// MAX, MUX …) also take `IN0`, `IN1` … after these.
    pub params: &'static [&'static str],
    pub result: Yields,
    pub takes: Takes,
    /// Fewest and most arguments (`None`: extensible).
    pub min_args: usize,
    pub max_args: Option<usize>,
    pub sim: Runs,
}

const IN: &[&str] = &["IN"];
const NONE: &[&str] = &[];
const EXTENSIBLE: &[&str] = &[];

const fn f(
    name: &'static str,
    params: &'static [&'static str],
    result: Yields,
    takes: Takes,
    (min_args, max_args): (usize, Option<usize>),
    sim: Runs,
) -> Function {
    Function {
        name,
        params,
        result,
        takes,
        min_args,
        max_args,
        sim,
    }
}

const ONE: (usize, Option<usize>) = (1, Some(1));
const TWO: (usize, Option<usize>) = (2, Some(2));
const THREE: (usize, Option<usize>) = (3, Some(3));
const TWO_OR_MORE: (usize, Option<usize>) = (2, None);

use Takes::{Any, Numbers, NumbersOrDurations};
use Yields::{ArgType, CommonFrom, PointerToArg, RealOfArg, Returns};

/// Every standard function but the `*_TO_*` conversions, which
/// [`conversion`] reads from their names.
pub const FUNCTIONS: &[Function] = &[
    f(
        "ABS",
        IN,
        ArgType(0),
        NumbersOrDurations,
        ONE,
        Runs::Native(Native::Abs),
    ),
    f("NEG", IN, ArgType(0), NumbersOrDurations, ONE, Runs::Negate),
    f("MOVE", IN, ArgType(0), Any, ONE, Runs::Move),
    f(
        "SQRT",
        IN,
        RealOfArg(0),
        Numbers,
        ONE,
        Runs::Native(Native::Sqrt),
    ),
    f(
        "LN",
        IN,
        RealOfArg(0),
        Numbers,
        ONE,
        Runs::Native(Native::Ln),
    ),
    f(
        "LOG",
        IN,
        RealOfArg(0),
        Numbers,
        ONE,
        Runs::Native(Native::Log),
    ),
    f(
        "EXP",
        IN,
        RealOfArg(0),
        Numbers,
        ONE,
        Runs::Native(Native::Exp),
    ),
    f(
        "SIN",
        IN,
        RealOfArg(0),
        Numbers,
        ONE,
        Runs::Native(Native::Sin),
    ),
    f(
        "COS",
        IN,
        RealOfArg(0),
        Numbers,
        ONE,
        Runs::Native(Native::Cos),
    ),
    f(
        "TAN",
        IN,
        RealOfArg(0),
        Numbers,
        ONE,
        Runs::Native(Native::Tan),
    ),
    f(
        "ASIN",
        IN,
        RealOfArg(0),
        Numbers,
        ONE,
        Runs::Native(Native::Asin),
    ),
    f(
        "ACOS",
        IN,
        RealOfArg(0),
        Numbers,
        ONE,
        Runs::Native(Native::Acos),
    ),
    f(
        "ATAN",
        IN,
        RealOfArg(0),
        Numbers,
        ONE,
        Runs::Native(Native::Atan),
    ),
    f(
        "ATAN2",
        &["Y", "X"],
        RealOfArg(0),
        Numbers,
        TWO,
        Runs::Native(Native::Atan2),
    ),
    f(
        "EXPT",
        &["IN1", "IN2"],
        RealOfArg(0),
        Numbers,
        TWO,
        Runs::Native(Native::Expt),
    ),
    f(
        "ADD",
        EXTENSIBLE,
        CommonFrom(0),
        Any,
        TWO_OR_MORE,
        Runs::Operator(BinaryOp::Add),
    ),
    f(
        "MUL",
        EXTENSIBLE,
        CommonFrom(0),
        Any,
        TWO_OR_MORE,
        Runs::Operator(BinaryOp::Mul),
    ),
    f(
        "SUB",
        IN_1_2,
        CommonFrom(0),
        Any,
        TWO,
        Runs::Operator(BinaryOp::Sub),
    ),
    f(
        "DIV",
        IN_1_2,
        CommonFrom(0),
        Any,
        TWO,
        Runs::Operator(BinaryOp::Div),
    ),
    f(
        "MOD",
        IN_1_2,
        CommonFrom(0),
        Any,
        TWO,
        Runs::Operator(BinaryOp::Mod),
    ),
    f(
        "SHL",
        &["IN", "N"],
        ArgType(0),
        Any,
        TWO,
        Runs::Native(Native::Shl),
    ),
    f(
        "SHR",
        &["IN", "N"],
        ArgType(0),
        Any,
        TWO,
        Runs::Native(Native::Shr),
    ),
    f(
        "ROL",
        &["IN", "N"],
        ArgType(0),
        Any,
        TWO,
        Runs::Native(Native::Rol),
    ),
    f(
        "ROR",
        &["IN", "N"],
        ArgType(0),
        Any,
        TWO,
        Runs::Native(Native::Ror),
    ),
    f(
        "SEL",
        &["G", "IN0", "IN1"],
        CommonFrom(1),
        Any,
        THREE,
        Runs::Native(Native::Sel),
    ),
    f(
        "MAX",
        EXTENSIBLE,
        CommonFrom(0),
        Any,
        TWO_OR_MORE,
        Runs::Native(Native::Max),
    ),
    f(
        "MIN",
        EXTENSIBLE,
        CommonFrom(0),
        Any,
        TWO_OR_MORE,
        Runs::Native(Native::Min),
    ),
    f(
        "LIMIT",
        &["MN", "IN", "MX"],
        CommonFrom(0),
        Any,
        THREE,
        Runs::Native(Native::Limit),
    ),
    f(
        "MUX",
        &["K"],
        CommonFrom(1),
        Any,
        TWO_OR_MORE,
        Runs::Native(Native::Mux),
    ),
    f(
        "GT",
        EXTENSIBLE,
        Returns("BOOL"),
        Any,
        TWO_OR_MORE,
        Runs::Operator(BinaryOp::Gt),
    ),
    f(
        "GE",
        EXTENSIBLE,
        Returns("BOOL"),
        Any,
        TWO_OR_MORE,
        Runs::Operator(BinaryOp::Ge),
    ),
    f(
        "EQ",
        EXTENSIBLE,
        Returns("BOOL"),
        Any,
        TWO_OR_MORE,
        Runs::Operator(BinaryOp::Eq),
    ),
    f(
        "LE",
        EXTENSIBLE,
        Returns("BOOL"),
        Any,
        TWO_OR_MORE,
        Runs::Operator(BinaryOp::Le),
    ),
    f(
        "LT",
        EXTENSIBLE,
        Returns("BOOL"),
        Any,
        TWO_OR_MORE,
        Runs::Operator(BinaryOp::Lt),
    ),
    f(
        "NE",
        EXTENSIBLE,
        Returns("BOOL"),
        Any,
        TWO_OR_MORE,
        Runs::Operator(BinaryOp::Ne),
    ),
    f(
        "LEN",
        IN,
        Returns("INT"),
        Any,
        ONE,
        Runs::Native(Native::Len),
    ),
    f(
        "FIND",
        &["IN1", "IN2"],
        Returns("INT"),
        Any,
        TWO,
        Runs::Native(Native::Find),
    ),
    f(
        "LEFT",
        &["IN", "L"],
        ArgType(0),
        Any,
        TWO,
        Runs::Native(Native::Left),
    ),
    f(
        "RIGHT",
        &["IN", "L"],
        ArgType(0),
        Any,
        TWO,
        Runs::Native(Native::Right),
    ),
    f(
        "MID",
        &["IN", "L", "P"],
        ArgType(0),
        Any,
        THREE,
        Runs::Native(Native::Mid),
    ),
    f(
        "INSERT",
        &["IN1", "IN2", "P"],
        ArgType(0),
        Any,
        THREE,
        Runs::Native(Native::Insert),
    ),
    f(
        "DELETE",
        &["IN", "L", "P"],
        ArgType(0),
        Any,
        THREE,
        Runs::Native(Native::Delete),
    ),
    f(
        "REPLACE",
        &["IN1", "IN2", "L", "P"],
        ArgType(0),
        Any,
        (4, Some(4)),
        Runs::Native(Native::Replace),
    ),
    f(
        "CONCAT",
        EXTENSIBLE,
        // The strings' own type: CONCAT of WSTRINGs is a WSTRING.
        ArgType(0),
        Any,
        TWO_OR_MORE,
        Runs::Native(Native::Concat),
    ),
    f("TRUNC", IN, Returns("DINT"), Any, ONE, Runs::Convert),
    f("ADR", IN, PointerToArg, Any, ONE, Runs::Address),
    f("SIZEOF", IN, Returns("UDINT"), Any, ONE, Runs::SizeOf),
    f("BITADR", IN, Returns("DWORD"), Any, ONE, Runs::NotSimulated),
    // CODESYS: TIME() is the time since start-up.
    f(
        "TIME",
        NONE,
        Returns("TIME"),
        Any,
        (0, Some(0)),
        Runs::Clock,
    ),
    f(
        "LTIME",
        NONE,
        Returns("LTIME"),
        Any,
        (0, Some(0)),
        Runs::Clock,
    ),
];

const IN_1_2: &[&str] = &["IN1", "IN2"];

/// The standard function of that (upper-case) name; `__ADR` is CODESYS's
/// other name of `ADR`.
pub fn standard_function(name: &str) -> Option<&'static Function> {
    let name = if name == "__ADR" { "ADR" } else { name };
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Names of the standard function blocks.
pub fn function_block_names() -> impl Iterator<Item = &'static str> {
    FUNCTION_BLOCKS.iter().map(|b| b.name)
}

/// Names of the standard functions (the `*_TO_*` conversions aside).
pub fn function_names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
}

/// How a standard function's result type is found, for the checker.
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

/// A standard function or conversion as the checker types a call of it.
pub struct StdFnSig {
    pub result: StdFn,
    pub takes: Takes,
    /// Fewest and most arguments (`None`: extensible).
    pub min_args: usize,
    pub max_args: Option<usize>,
}

/// The signature of a standard function or a conversion.
pub fn function(name: &str) -> Option<StdFnSig> {
    if let Some(f) = standard_function(name) {
        let elementary = |t| Ty::elementary(t).expect("the table names elementary types");
        return Some(StdFnSig {
            result: match f.result {
                Returns(t) => StdFn::Returns(elementary(t)),
                CommonFrom(i) => StdFn::CommonFrom(i),
                ArgType(i) => StdFn::ArgType(i),
                RealOfArg(i) => StdFn::RealOfArg(i),
                PointerToArg => StdFn::PointerToArg,
            },
            takes: f.takes,
            min_args: f.min_args,
            max_args: f.max_args,
        });
    }
    conversion(name).map(|c| StdFnSig {
        result: StdFn::Returns(c.to),
        takes: Takes::Any,
        min_args: 1,
        max_args: Some(1),
    })
}

/// What is wrong with calling a function of that arity with `n` arguments:
/// "takes 2 argument(s), not 3".
pub fn wrong_arity(min_args: usize, max_args: Option<usize>, n: usize) -> Option<String> {
    if n >= min_args && max_args.is_none_or(|m| n <= m) {
        return None;
    }
    let want = match max_args {
        Some(m) if m == min_args => format!("{m}"),
        Some(m) => format!("{min_args} to {m}"),
        None => format!("at least {min_args}"),
    };
    Some(format!("takes {want} argument(s), not {n}"))
}

/// How a conversion converts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvKind {
    Plain,
    /// Towards zero (`TRUNC`, `TRUNC_INT`).
    Trunc,
    FromBcd,
    ToBcd,
}

/// A conversion function read from its name.
#[derive(Debug, PartialEq)]
pub struct Conversion {
    pub kind: ConvKind,
    pub to: Ty,
}

/// `INT_TO_REAL`, `TO_DINT`, `TRUNC`, `TRUNC_INT`, `BCD_TO_INT`, `INT_TO_BCD`…
pub fn conversion(name: &str) -> Option<Conversion> {
    let c = |kind, to| Some(Conversion { kind, to });
    if name == "TRUNC" {
        return c(
            ConvKind::Trunc,
            Ty::Int {
                bits: 32,
                signed: true,
            },
        );
    }
    if let Some(t) = name.strip_prefix("TRUNC_") {
        return c(ConvKind::Trunc, Ty::elementary(t)?);
    }
    let (from, to) = match name.strip_prefix("TO_") {
        Some(to) => ("", to),
        None => name.split_once("_TO_")?,
    };
    if from == "BCD" {
        return c(ConvKind::FromBcd, Ty::elementary(to)?);
    }
    if !from.is_empty() && Ty::elementary(from).is_none() {
        return None;
    }
    if to == "BCD" {
        return c(ConvKind::ToBcd, Ty::Bits(32));
    }
    c(ConvKind::Plain, Ty::elementary(to)?)
}

/// A standard function's parameter names in position order, and whether it
/// takes `IN0`, `IN1` … after them; a conversion takes IN.
fn params_of(function: &str) -> (&'static [&'static str], bool) {
    match standard_function(function) {
        Some(f) => (f.params, f.max_args.is_none()),
        None => (IN, false),
    }
}

/// Where a named argument of a standard function goes (an index to sort
/// by), or `None` when the function has no parameter of that name.
pub fn named_position(function: &str, param: &str) -> Option<usize> {
    let (names, extensible) = params_of(function);
    if let Some(i) = names.iter().position(|p| p.eq_ignore_ascii_case(param)) {
        return Some(i);
    }
    let n: usize = param
        .to_ascii_uppercase()
        .strip_prefix("IN")?
        .parse()
        .ok()?;
    extensible.then_some(n + names.len())
}

/// The arguments of a call of a standard function in the standard's order,
/// as indices into `args`: positional ones as written, then named ones where
/// their names put them, then names the function does not have (an error
/// for the caller to report). The checker types, and the simulator runs, a
/// call in this order.
pub fn standard_order(function: &str, args: &[crate::ast::Arg]) -> Vec<usize> {
    let mut order: Vec<(usize, usize)> = args
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let at = match &a.name {
                None => Some(k),
                Some(n) => named_position(function, &n.name).map(|p| args.len() + p),
            };
            (at.unwrap_or(usize::MAX), k)
        })
        .collect();
    order.sort_by_key(|&(at, _)| at);
    order.into_iter().map(|(_, k)| k).collect()
}

/// The parameter names of a standard function as a person reads them.
pub fn describe_params(function: &str) -> String {
    let (names, extensible) = params_of(function);
    match (names.is_empty(), extensible) {
        (true, true) => "IN1, IN2, …".into(),
        (false, true) => format!("{}, IN0, IN1, …", names.join(", ")),
        (true, false) => "none".into(),
        (false, false) => names.join(", "),
    }
}

/// The operator a standard function is the function form of.
pub fn operator(name: &str) -> Option<BinaryOp> {
    match standard_function(name)?.sim {
        Runs::Operator(op) => Some(op),
        _ => None,
    }
}
