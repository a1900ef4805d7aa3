//! Types as the checker sees them, and IEC 61131-3's implicit conversions.

use std::fmt;

use crate::ast::BinaryOp;

#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Bool,
    /// Signed or unsigned integer of a width in bits.
    Int {
        bits: u8,
        signed: bool,
    },
    /// BYTE, WORD, DWORD, LWORD.
    Bits(u8),
    Real,
    LReal,
    Time,
    LTime,
    Date,
    TimeOfDay,
    DateAndTime,
    String {
        wide: bool,
    },
    Array {
        elem: Box<Ty>,
        dims: usize,
    },
    /// A user type by canonical (upper-case) name: struct, enum, union, FB, interface.
    User(String),
    Pointer(Box<Ty>),
    Reference(Box<Ty>),
    /// An untyped integer literal: fits any integer, bit string or real.
    IntLiteral,
    /// An untyped real literal: REAL or LREAL.
    RealLiteral,
    /// Something already reported, or that the checker cannot know
    /// (a library it was not given): compatible with everything, so one
    /// mistake is reported once.
    Unknown,
    /// A statement-only call (a function without a result).
    Void,
}

impl Ty {
    pub fn is_unknown(&self) -> bool {
        matches!(self, Ty::Unknown)
    }
    pub fn is_integer(&self) -> bool {
        matches!(self, Ty::Int { .. } | Ty::IntLiteral | Ty::Unknown)
    }
    pub fn is_bits(&self) -> bool {
        matches!(self, Ty::Bits(_) | Ty::Bool | Ty::IntLiteral | Ty::Unknown)
    }
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            Ty::Int { .. } | Ty::Real | Ty::LReal | Ty::IntLiteral | Ty::RealLiteral | Ty::Unknown
        )
    }
    pub fn is_bool(&self) -> bool {
        matches!(self, Ty::Bool | Ty::Unknown)
    }

    /// The elementary type a name denotes (any case), if it is one.
    pub fn elementary(name: &str) -> Option<Ty> {
        Some(match name.to_ascii_uppercase().as_str() {
            "BOOL" | "BIT" => Ty::Bool,
            "SINT" => Ty::Int {
                bits: 8,
                signed: true,
            },
            "INT" => Ty::Int {
                bits: 16,
                signed: true,
            },
            "DINT" => Ty::Int {
                bits: 32,
                signed: true,
            },
            "LINT" => Ty::Int {
                bits: 64,
                signed: true,
            },
            "USINT" => Ty::Int {
                bits: 8,
                signed: false,
            },
            "UINT" => Ty::Int {
                bits: 16,
                signed: false,
            },
            "UDINT" => Ty::Int {
                bits: 32,
                signed: false,
            },
            "ULINT" => Ty::Int {
                bits: 64,
                signed: false,
            },
            // Pointer-sized integers (CODESYS): 64-bit on current targets.
            "__XWORD" | "XWORD" => Ty::Bits(64),
            "__UXINT" | "UXINT" => Ty::Int {
                bits: 64,
                signed: false,
            },
            "__XINT" | "XINT" => Ty::Int {
                bits: 64,
                signed: true,
            },
            "BYTE" => Ty::Bits(8),
            "WORD" => Ty::Bits(16),
            "DWORD" => Ty::Bits(32),
            "LWORD" => Ty::Bits(64),
            "REAL" => Ty::Real,
            "LREAL" => Ty::LReal,
            "TIME" => Ty::Time,
            "LTIME" => Ty::LTime,
            "DATE" | "LDATE" => Ty::Date,
            "TIME_OF_DAY" | "TOD" | "LTOD" | "LTIME_OF_DAY" => Ty::TimeOfDay,
            "DATE_AND_TIME" | "DT" | "LDT" | "LDATE_AND_TIME" => Ty::DateAndTime,
            "STRING" | "CHAR" => Ty::String { wide: false },
            "WSTRING" | "WCHAR" => Ty::String { wide: true },
            _ => return None,
        })
    }

    /// Whether a value of type `self` may be stored in `target`: freely (IEC
    /// 61131-3 implicit widening, literals), with a possible loss that compilers
    /// accept with a warning (integer and bit-string narrowing or sign change,
    /// TIME and integers, LREAL to REAL), or not at all.
    pub fn compat(&self, target: &Ty) -> Compat {
        use Ty::*;
        if self == target || self.is_unknown() || target.is_unknown() {
            return Compat::Yes;
        }
        let int_like = |t: &Ty| matches!(t, Int { .. } | Bits(_));
        let widen = match (self, target) {
            (IntLiteral, Int { .. } | Bits(_) | Real | LReal | Bool) => true,
            (RealLiteral, Real | LReal) => true,
            (
                Int {
                    bits: a,
                    signed: sa,
                },
                Int {
                    bits: b,
                    signed: sb,
                },
            ) => (sa == sb && a <= b) || (!sa && *sb && a < b),
            (Int { bits, .. }, Real) => *bits <= 16,
            (Int { bits, .. }, LReal) => *bits <= 32,
            (Real, LReal) => true,
            (Bool, Bits(_)) => true,
            (Bits(a), Bits(b)) => a <= b,
            (Time, LTime) => true,
            (String { wide: a }, String { wide: b }) => a == b,
            (Array { elem: a, dims: da }, Array { elem: b, dims: db }) => {
                da == db && a.compat(b) == Compat::Yes
            }
            (Pointer(a), Pointer(b)) => a.compat(b) == Compat::Yes,
            (Reference(a), _) => return a.compat(target),
            (_, Reference(b)) => return self.compat(b),
            _ => false,
        };
        if widen {
            return Compat::Yes;
        }
        let lossy = (int_like(self) && int_like(target))
            || matches!((self, target), (IntLiteral, Time | LTime))
            || (matches!(self, Time | LTime) && int_like(target))
            || (int_like(self) && matches!(target, Time | LTime))
            || matches!(
                (self, target),
                (LTime, Time) | (LReal, Real) | (Int { .. }, Real | LReal)
            );
        if lossy {
            Compat::Lossy
        } else {
            Compat::No
        }
    }
}

/// Why CODESYS accepts assigning `value` to `target` where IEC 61131-3 does
/// not: a pointer to one type stored into a pointer to another, or a pointer
/// and an address-sized integer (CODESYS pointers are addresses), else `None`.
pub fn pointer_dialect(value: &Ty, target: &Ty) -> Option<String> {
    let address = |t: &Ty| match t {
        Ty::Int { bits, .. } | Ty::Bits(bits) => *bits >= 32,
        // `pt := 0;`, CODESYS's null pointer.
        Ty::IntLiteral => true,
        _ => false,
    };
    match (value, target) {
        (Ty::Pointer(a), Ty::Pointer(b)) if a != b && !a.is_unknown() && !b.is_unknown() => Some(format!(
            "CODESYS stores a {value} into a {target} as an address; IEC 61131-3 does not convert pointers"
        )),
        (Ty::Pointer(_), t) | (t, Ty::Pointer(_)) if address(t) => Some(format!(
            "CODESYS treats a pointer as an address and {value} converts to {target}; IEC 61131-3 keeps pointers and integers apart"
        )),
        _ => None,
    }
}

/// Pointer arithmetic as CODESYS does it (`pt + n`, `n + pt`, `pt - n`: the
/// address moves by n bytes): the pointer's type, else `None`.
pub fn pointer_arith(op: BinaryOp, l: &Ty, r: &Ty) -> Option<Ty> {
    let int = |t: &Ty| t.is_integer() || matches!(t, Ty::Bits(b) if *b >= 8);
    match (op, l, r) {
        (BinaryOp::Add | BinaryOp::Sub, Ty::Pointer(_), n) if int(n) => Some(l.clone()),
        (BinaryOp::Add, n, Ty::Pointer(_)) if int(n) => Some(r.clone()),
        _ => None,
    }
}

/// The type two elementary operands are combined in (arithmetic, comparison,
/// MAX, SEL …), or `None` when they do not combine. One rule for the checker
/// and the simulator: an untyped literal takes the other side's type; reals
/// win over integers (LREAL over REAL, an integer with a real literal in
/// LREAL); integers of one signedness widen to the wider, of mixed signedness
/// to the smallest signed type holding both (INT and UINT: DINT); bit strings
/// widen, and an integer with a bit string stays an integer. Durations and
/// dates combine only with their own kind (see [`time_arith`] for operators).
/// User types, pointers and arrays are not this rule's (`None`).
pub fn common(a: &Ty, b: &Ty) -> Option<Ty> {
    use Ty::*;
    if a.is_unknown() || b.is_unknown() {
        return Some(Unknown);
    }
    if a == b {
        return Some(a.clone());
    }
    let real = |t: &Ty| matches!(t, Real | LReal | RealLiteral);
    let int = |t: &Ty| matches!(t, Int { .. } | IntLiteral);
    if real(a) || real(b) {
        if !(real(a) || int(a)) || !(real(b) || int(b)) {
            return None;
        }
        return Some(match (a, b) {
            (LReal, _) | (_, LReal) => LReal,
            (Real, _) | (_, Real) => Real,
            (RealLiteral | IntLiteral, RealLiteral | IntLiteral) => RealLiteral,
            _ => LReal,
        });
    }
    let scalar = |t: &Ty| {
        matches!(
            t,
            Bool | Int { .. } | Bits(_) | Time | LTime | Date | TimeOfDay | DateAndTime
        )
    };
    Some(match (a, b) {
        (IntLiteral, t) | (t, IntLiteral) if scalar(t) => t.clone(),
        (
            Int {
                bits: x,
                signed: sx,
            },
            Int {
                bits: y,
                signed: sy,
            },
        ) => {
            if sx == sy {
                Int {
                    bits: *x.max(y),
                    signed: *sx,
                }
            } else {
                let (sbits, ubits) = if *sx { (*x, *y) } else { (*y, *x) };
                Int {
                    bits: sbits.max((ubits * 2).min(64)),
                    signed: true,
                }
            }
        }
        (Bits(x), Bits(y)) => Bits(*x.max(y)),
        (Bool, Bits(x)) | (Bits(x), Bool) => Bits(*x),
        (Int { bits, signed }, Bits(x)) | (Bits(x), Int { bits, signed }) => Int {
            bits: *bits.max(x),
            signed: *signed,
        },
        _ => return None,
    })
}

/// The type of a real function (SQRT, LN, ATAN2 …) of these arguments: LREAL
/// when one of them is, else REAL.
pub fn real_function(args: &[Ty]) -> Ty {
    if args.contains(&Ty::LReal) {
        Ty::LReal
    } else {
        Ty::Real
    }
}

/// The type of `a ** b` (EXPT): always a real — REAL for a REAL base with a
/// REAL, integer or literal exponent, else LREAL; a real literal for two
/// literals. `None` when an operand is not a number.
pub fn power(a: &Ty, b: &Ty) -> Option<Ty> {
    use Ty::*;
    if a.is_unknown() || b.is_unknown() {
        return Some(Unknown);
    }
    let number = |t: &Ty| matches!(t, Int { .. } | IntLiteral | Real | LReal | RealLiteral);
    if !number(a) || !number(b) {
        return None;
    }
    let literal = |t: &Ty| matches!(t, IntLiteral | RealLiteral);
    Some(match (a, b) {
        (x, y) if literal(x) && literal(y) => RealLiteral,
        (Real, y) if *y != LReal => Real,
        _ => LReal,
    })
}

/// The type of a binary operation on durations or dates (TIME ± TIME, TIME *
/// n, TIME / n, DT - DT, TOD + TIME, comparisons of one kind …), or why it has
/// none; `None` when neither operand is a duration or a date. The checker
/// judges and the simulator lowers by this one rule.
pub fn time_arith(op: BinaryOp, a: &Ty, b: &Ty) -> Option<Result<Ty, String>> {
    use BinaryOp::*;
    use Ty::*;
    let timeish = |t: &Ty| matches!(t, Time | LTime | Date | TimeOfDay | DateAndTime);
    let duration = |t: &Ty| matches!(t, Time | LTime);
    if !timeish(a) && !timeish(b) {
        return None;
    }
    if a.is_unknown() || b.is_unknown() {
        return Some(Ok(Unknown));
    }
    let compare = op.is_comparison();
    let add_sub = matches!(op, Add | Sub);
    let number = |t: &Ty| matches!(t, Int { .. } | IntLiteral | Real | LReal | RealLiteral);
    let result = match (a, b) {
        (x, y) if x == y && compare => Bool,
        (x, y) if x == y && duration(x) && add_sub => x.clone(),
        (Time, LTime) | (LTime, Time) if compare => Bool,
        (Time, LTime) | (LTime, Time) if add_sub => LTime,
        (Date, Date) | (DateAndTime, DateAndTime) | (TimeOfDay, TimeOfDay) if op == Sub => Time,
        (TimeOfDay | DateAndTime | Date, Time) if add_sub => a.clone(),
        (x, n) if duration(x) && matches!(op, Mul | Div) && number(n) => x.clone(),
        (n, x) if duration(x) && op == Mul && number(n) => x.clone(),
        (n, x) if duration(x) && op == Div && number(n) => {
            return Some(Err("a number cannot be divided by a duration".into()))
        }
        // `t > 0`, `t + 5`: an untyped integer counts in the duration's unit.
        (x, IntLiteral) | (IntLiteral, x) if timeish(x) && (compare || add_sub) => {
            if compare {
                Bool
            } else {
                x.clone()
            }
        }
        _ => return Some(Err(format!("`{}` cannot combine {a} and {b}", op.symbol()))),
    };
    Some(Ok(result))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compat {
    Yes,
    Lossy,
    No,
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Bool => write!(f, "BOOL"),
            Ty::Int { bits, signed } => {
                let base = match bits {
                    8 => "SINT",
                    16 => "INT",
                    32 => "DINT",
                    _ => "LINT",
                };
                if *signed {
                    write!(f, "{base}")
                } else {
                    write!(f, "U{base}")
                }
            }
            Ty::Bits(b) => write!(
                f,
                "{}",
                match b {
                    8 => "BYTE",
                    16 => "WORD",
                    32 => "DWORD",
                    _ => "LWORD",
                }
            ),
            Ty::Real => write!(f, "REAL"),
            Ty::LReal => write!(f, "LREAL"),
            Ty::Time => write!(f, "TIME"),
            Ty::LTime => write!(f, "LTIME"),
            Ty::Date => write!(f, "DATE"),
            Ty::TimeOfDay => write!(f, "TIME_OF_DAY"),
            Ty::DateAndTime => write!(f, "DATE_AND_TIME"),
            Ty::String { wide } => write!(f, "{}", if *wide { "WSTRING" } else { "STRING" }),
            Ty::Array { elem, .. } => write!(f, "ARRAY OF {elem}"),
            Ty::User(n) => write!(f, "{n}"),
            Ty::Pointer(t) => write!(f, "POINTER TO {t}"),
            Ty::Reference(t) => write!(f, "REFERENCE TO {t}"),
            Ty::IntLiteral => write!(f, "an integer literal"),
            Ty::RealLiteral => write!(f, "a real literal"),
            Ty::Unknown => write!(f, "?"),
            Ty::Void => write!(f, "nothing (the function returns no value)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: &str) -> Ty {
        Ty::elementary(n).unwrap()
    }

    #[test]
    fn implicit_widening_follows_iec() {
        use Compat::*;
        for (from, to, want) in [
            ("SINT", "INT", Yes),
            ("INT", "DINT", Yes),
            ("USINT", "INT", Yes),
            ("INT", "REAL", Yes),
            ("DINT", "LREAL", Yes),
            ("REAL", "LREAL", Yes),
            ("BYTE", "WORD", Yes),
            ("BOOL", "BYTE", Yes),
            ("INT", "SINT", Lossy),
            ("INT", "UINT", Lossy),
            ("DINT", "REAL", Lossy),
            ("TIME", "DINT", Lossy),
            ("LREAL", "REAL", Lossy),
            ("REAL", "INT", No),
            ("INT", "BOOL", No),
            ("BOOL", "INT", No),
            ("STRING", "INT", No),
            ("TIME", "BOOL", No),
        ] {
            assert_eq!(t(from).compat(&t(to)), want, "{from} -> {to}");
        }
        assert_eq!(Ty::IntLiteral.compat(&t("REAL")), Yes);
        assert_eq!(Ty::RealLiteral.compat(&t("INT")), No);
    }
}
