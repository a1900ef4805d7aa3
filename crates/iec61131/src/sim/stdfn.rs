//! The IEC 61131-3 standard functions the compiler does not turn into
//! operators, and the conversions between elementary types.

use super::value::{
    civil_from_days, days_from_civil, format_date, format_dt, format_duration, format_real,
    format_tod, wrap, Num, Store, Value,
};
use crate::literals;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdFn {
    Abs,
    Sqrt,
    Ln,
    Log,
    Exp,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Atan2,
    Expt,
    Shl,
    Shr,
    Rol,
    Ror,
    Sel,
    Max,
    Min,
    Limit,
    Mux,
    Len,
    Left,
    Right,
    Mid,
    Insert,
    Delete,
    Replace,
    Find,
    Concat,
    /// Real to integer, towards zero; the `Num` is the target.
    Trunc,
    /// BCD-coded bit string to integer; the `Num` is the target.
    FromBcd,
    /// Integer to BCD; the `Num` is the target.
    ToBcd,
}

/// Compares two values of kind `n`.
pub fn compare(n: Num, a: &Value, b: &Value) -> std::cmp::Ordering {
    match n {
        Num::Real | Num::LReal => a
            .real()
            .partial_cmp(&b.real())
            .unwrap_or(std::cmp::Ordering::Equal),
        Num::Str { .. } => a.str().cmp(b.str()),
        _ if n.unsigned() => (a.int() as u64).cmp(&(b.int() as u64)),
        _ => a.int().cmp(&b.int()),
    }
}

fn real(n: Num, x: f64) -> Value {
    Value::R(if n == Num::Real { x as f32 as f64 } else { x })
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// Runs a standard function on evaluated arguments; `n` is the operand kind
/// (or the target kind for TRUNC and BCD conversions).
pub fn call(f: StdFn, n: Num, a: &[Value]) -> Value {
    use StdFn::*;
    let arg = |i: usize| a.get(i).cloned().unwrap_or(Value::I(0));
    let x = || arg(0).real();
    let fit = |v: i64| Value::I(Store::of(n, 0).apply(Value::I(v)).int());
    match f {
        Abs => match n {
            Num::Real | Num::LReal => real(n, x().abs()),
            _ => fit(arg(0).int().wrapping_abs()),
        },
        Sqrt => real(n, x().sqrt()),
        Ln => real(n, x().ln()),
        Log => real(n, x().log10()),
        Exp => real(n, x().exp()),
        Sin => real(n, x().sin()),
        Cos => real(n, x().cos()),
        Tan => real(n, x().tan()),
        Asin => real(n, x().asin()),
        Acos => real(n, x().acos()),
        Atan => real(n, x().atan()),
        Atan2 => real(n, x().atan2(arg(1).real())),
        Expt => real(n, x().powf(arg(1).real())),
        Shl | Shr | Rol | Ror => {
            let bits = n.bits().max(1) as u32;
            let v = arg(0).int() as u64 & mask(bits);
            let k = arg(1).int().max(0) as u32;
            let r = match f {
                Shl if k >= bits => 0,
                Shl => v << k,
                Shr if k >= bits => 0,
                Shr => v >> k,
                Rol => {
                    let k = k % bits;
                    if k == 0 {
                        v
                    } else {
                        (v << k) | (v >> (bits - k))
                    }
                }
                _ => {
                    let k = k % bits;
                    if k == 0 {
                        v
                    } else {
                        (v >> k) | (v << (bits - k))
                    }
                }
            };
            Value::I(wrap((r & mask(bits)) as i64, bits as u8, !n.unsigned()))
        }
        Sel => {
            if arg(0).truthy() {
                arg(2)
            } else {
                arg(1)
            }
        }
        Max | Min => {
            let mut best = arg(0);
            for v in &a[1.min(a.len())..] {
                let o = compare(n, v, &best);
                if (f == Max && o.is_gt()) || (f == Min && o.is_lt()) {
                    best = v.clone();
                }
            }
            best
        }
        Limit => {
            let (mn, v, mx) = (arg(0), arg(1), arg(2));
            if compare(n, &v, &mn).is_lt() {
                mn
            } else if compare(n, &v, &mx).is_gt() {
                mx
            } else {
                v
            }
        }
        // MUX's selector is checked by the interpreter, which reports a bad one.
        Mux => {
            let k = arg(0).int();
            arg((k.max(0) as usize).saturating_add(1))
        }
        Len => Value::I(arg(0).str().chars().count() as i64),
        Left => {
            let s = chars(arg(0).str());
            let k = (arg(1).int().max(0) as usize).min(s.len());
            Value::S(s[..k].iter().collect())
        }
        Right => {
            let s = chars(arg(0).str());
            let k = (arg(1).int().max(0) as usize).min(s.len());
            Value::S(s[s.len() - k..].iter().collect())
        }
        Mid => {
            // MID(IN, L, P): L characters from position P (1-based).
            let s = chars(arg(0).str());
            let (l, p) = (arg(1).int().max(0) as usize, arg(2).int().max(1) as usize);
            let start = (p - 1).min(s.len());
            let end = start.saturating_add(l).min(s.len());
            Value::S(s[start..end].iter().collect())
        }
        Insert => {
            // INSERT(IN1, IN2, P): IN2 after the P-th character of IN1.
            let mut s = chars(arg(0).str());
            let p = (arg(2).int().max(0) as usize).min(s.len());
            s.splice(p..p, arg(1).str().chars());
            Value::S(s.into_iter().collect())
        }
        Delete => {
            // DELETE(IN, L, P): L characters from position P.
            let mut s = chars(arg(0).str());
            let (l, p) = (arg(1).int().max(0) as usize, arg(2).int().max(1) as usize);
            let start = (p - 1).min(s.len());
            let end = start.saturating_add(l).min(s.len());
            s.drain(start..end);
            Value::S(s.into_iter().collect())
        }
        Replace => {
            // REPLACE(IN1, IN2, L, P): L characters of IN1 from P replaced by IN2.
            let mut s = chars(arg(0).str());
            let (l, p) = (arg(2).int().max(0) as usize, arg(3).int().max(1) as usize);
            let start = (p - 1).min(s.len());
            let end = start.saturating_add(l).min(s.len());
            s.splice(start..end, arg(1).str().chars());
            Value::S(s.into_iter().collect())
        }
        Find => {
            // FIND(IN1, IN2): position (1-based) of IN2 in IN1, 0 when absent.
            let (hay, needle) = (chars(arg(0).str()), chars(arg(1).str()));
            let pos = if needle.is_empty() || needle.len() > hay.len() {
                None
            } else {
                hay.windows(needle.len())
                    .position(|w| w == needle.as_slice())
            };
            Value::I(pos.map_or(0, |p| p as i64 + 1))
        }
        Concat => Value::S(a.iter().map(|v| v.str()).collect()),
        Trunc => fit(x().trunc() as i64),
        FromBcd => {
            let mut v = arg(0).int() as u64;
            let (mut out, mut scale) = (0i64, 1i64);
            while v > 0 {
                out += (v & 0xF).min(9) as i64 * scale;
                scale = scale.saturating_mul(10);
                v >>= 4;
            }
            fit(out)
        }
        ToBcd => {
            let mut v = arg(0).int().unsigned_abs();
            let (mut out, mut shift) = (0u64, 0u32);
            while v > 0 && shift < 64 {
                out |= (v % 10) << shift;
                v /= 10;
                shift += 4;
            }
            fit(out as i64)
        }
    }
}

fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// IEC conversion of a value of kind `from` to kind `to` (`*_TO_*`, and the
/// implicit widenings). Reals become integers rounded to nearest, halves away
/// from zero; integers narrow by wrapping.
pub fn convert(from: Num, to: Num, v: Value) -> Value {
    use Num::*;
    if from == to {
        return v;
    }
    let fit = |x: i64| Store::of(to, usize::MAX).apply(Value::I(x));
    // Every integer-like value as a count in the target's unit.
    let int_of = |v: &Value| -> i64 {
        match (from, to) {
            (Real | LReal, _) => {
                let r = v.real();
                if r.is_nan() {
                    0
                } else {
                    r.round() as i64
                }
            }
            (Str { .. }, _) => parse_int_text(v.str(), to),
            (Time, LTime) => v.int().saturating_mul(1_000_000),
            (LTime, Time) => v.int() / 1_000_000,
            (Dt, Date) => v.int() - v.int().rem_euclid(86_400),
            (Dt, Tod) => v.int().rem_euclid(86_400) * 1000,
            (Date, Dt) => v.int(),
            _ if from.unsigned() && from.bits() == 64 => v.int(),
            _ => v.int(),
        }
    };
    match to {
        Real | LReal => {
            let r = match from {
                Real | LReal => v.real(),
                Str { .. } => v.str().trim().replace('_', "").parse().unwrap_or(0.0),
                _ if from.unsigned() => v.int() as u64 as f64,
                _ => v.int() as f64,
            };
            real(to, r)
        }
        Str { .. } => Value::S(to_text(from, &v)),
        Bool => Value::I(match from {
            Real | LReal => (v.real() != 0.0) as i64,
            Str { .. } => v.str().trim().eq_ignore_ascii_case("TRUE") as i64,
            _ => (v.int() != 0) as i64,
        }),
        _ => fit(int_of(&v)),
    }
}

fn parse_int_text(s: &str, to: Num) -> i64 {
    let t = s.trim();
    let parsed =
        match to {
            Num::Time | Num::LTime => {
                let body = t.split_once('#').map_or(t, |(_, b)| b);
                literals::parse_duration(body).map(|ns| {
                    if to == Num::Time {
                        ns / 1_000_000
                    } else {
                        ns
                    }
                })
            }
            _ => {
                let (neg, digits) = match t.strip_prefix('-') {
                    Some(d) => (true, d),
                    None => (false, t.strip_prefix('+').unwrap_or(t)),
                };
                literals::parse_integer(digits).map(|v| {
                    let v = v as i64;
                    if neg {
                        v.wrapping_neg()
                    } else {
                        v
                    }
                })
            }
        };
    parsed.unwrap_or(0)
}

/// A value as `*_TO_STRING` writes it.
pub fn to_text(n: Num, v: &Value) -> String {
    match n {
        Num::Bool => if v.truthy() { "TRUE" } else { "FALSE" }.into(),
        Num::Real => format_real(v.real(), true),
        Num::LReal => format_real(v.real(), false),
        Num::Time => format_duration(v.int(), false),
        Num::LTime => format_duration(v.int(), true),
        Num::Date => format_date(v.int()),
        Num::Tod => format_tod(v.int()),
        Num::Dt => format_dt(v.int()),
        Num::Str { .. } => v.str().to_owned(),
        _ if n.unsigned() => (v.int() as u64).to_string(),
        _ => v.int().to_string(),
    }
}

/// Seconds since 1970 of a calendar date (for D# and DT# literals).
pub fn date_secs(y: i64, m: u32, d: u32) -> i64 {
    days_from_civil(y, m, d) * 86_400
}

/// The calendar date of a DATE value, for tests and traces.
pub fn date_of(secs: i64) -> (i64, u32, u32) {
    civil_from_days(secs.div_euclid(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INT: Num = Num::Int {
        bits: 16,
        signed: true,
    };

    #[test]
    fn real_to_int_rounds_half_away_from_zero() {
        for (x, want) in [(1.4, 1), (1.5, 2), (2.5, 3), (-1.5, -2), (-1.4, -1)] {
            assert_eq!(convert(Num::Real, INT, Value::R(x)), Value::I(want), "{x}");
        }
        assert_eq!(call(StdFn::Trunc, INT, &[Value::R(-1.7)]), Value::I(-1));
        // 40000 does not fit INT: it wraps.
        assert_eq!(
            convert(Num::LReal, INT, Value::R(40_000.0)),
            Value::I(-25_536)
        );
    }

    #[test]
    fn shifts_and_rotates_stay_in_the_width() {
        let byte = Num::Bits(8);
        assert_eq!(
            call(StdFn::Shl, byte, &[Value::I(0x81), Value::I(1)]),
            Value::I(0x02)
        );
        assert_eq!(
            call(StdFn::Rol, byte, &[Value::I(0x81), Value::I(1)]),
            Value::I(0x03)
        );
        assert_eq!(
            call(StdFn::Ror, byte, &[Value::I(0x81), Value::I(1)]),
            Value::I(0xC0)
        );
        assert_eq!(
            call(StdFn::Shr, byte, &[Value::I(0x80), Value::I(7)]),
            Value::I(1)
        );
        assert_eq!(
            call(StdFn::Shl, byte, &[Value::I(1), Value::I(9)]),
            Value::I(0)
        );
    }

    #[test]
    fn string_functions_count_characters_from_one() {
        let s = |t: &str| Value::S(t.into());
        assert_eq!(
            call(StdFn::Mid, INT, &[s("ABCDE"), Value::I(2), Value::I(2)]),
            s("BC")
        );
        assert_eq!(
            call(StdFn::Insert, INT, &[s("ABC"), s("xy"), Value::I(1)]),
            s("AxyBC")
        );
        assert_eq!(
            call(StdFn::Delete, INT, &[s("ABCDE"), Value::I(2), Value::I(3)]),
            s("ABE")
        );
        assert_eq!(
            call(
                StdFn::Replace,
                INT,
                &[s("ABCDE"), s("z"), Value::I(3), Value::I(2)]
            ),
            s("AzE")
        );
        assert_eq!(call(StdFn::Find, INT, &[s("ABCBC"), s("BC")]), Value::I(2));
        assert_eq!(call(StdFn::Find, INT, &[s("ABC"), s("X")]), Value::I(0));
        assert_eq!(call(StdFn::Len, INT, &[s("Füße")]), Value::I(4));
        assert_eq!(call(StdFn::Right, INT, &[s("ABC"), Value::I(5)]), s("ABC"));
    }

    #[test]
    fn numeric_functions_follow_their_definitions() {
        use std::f64::consts::PI;
        let l = |f: StdFn, args: &[f64]| {
            let v: Vec<Value> = args.iter().map(|&x| Value::R(x)).collect();
            call(f, Num::LReal, &v).real()
        };
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(l(StdFn::Sqrt, &[2.0]), std::f64::consts::SQRT_2));
        assert!(close(l(StdFn::Ln, &[std::f64::consts::E]), 1.0));
        assert!(close(l(StdFn::Log, &[1000.0]), 3.0));
        assert!(close(l(StdFn::Exp, &[0.0]), 1.0));
        assert!(close(l(StdFn::Sin, &[PI / 2.0]), 1.0));
        assert!(close(l(StdFn::Cos, &[PI]), -1.0));
        assert!(close(l(StdFn::Tan, &[PI / 4.0]), 1.0));
        assert!(close(l(StdFn::Asin, &[1.0]), PI / 2.0));
        assert!(close(l(StdFn::Acos, &[1.0]), 0.0));
        assert!(close(l(StdFn::Atan, &[1.0]), PI / 4.0));
        assert!(close(l(StdFn::Atan2, &[1.0, -1.0]), 3.0 * PI / 4.0));
        assert!(close(l(StdFn::Expt, &[2.0, 10.0]), 1024.0));
        assert!(l(StdFn::Sqrt, &[-1.0]).is_nan(), "IEEE: no fault");
        // REAL results are single precision.
        assert_eq!(
            call(StdFn::Sqrt, Num::Real, &[Value::R(2.0)]),
            Value::R(2f32.sqrt() as f64)
        );
        // ABS of the most negative INT wraps, as on a PLC.
        assert_eq!(call(StdFn::Abs, INT, &[Value::I(-32768)]), Value::I(-32768));
        assert_eq!(call(StdFn::Abs, INT, &[Value::I(-5)]), Value::I(5));
        let ints = |v: &[i64]| v.iter().map(|&x| Value::I(x)).collect::<Vec<_>>();
        assert_eq!(call(StdFn::Min, INT, &ints(&[4, -2, 9])), Value::I(-2));
        assert_eq!(call(StdFn::Max, INT, &ints(&[4, -2, 9])), Value::I(9));
        assert_eq!(
            call(StdFn::Limit, INT, &ints(&[0, 120, 100])),
            Value::I(100)
        );
        assert_eq!(call(StdFn::Sel, INT, &ints(&[0, 7, 8])), Value::I(7));
        assert_eq!(call(StdFn::Mux, INT, &ints(&[2, 7, 8, 9])), Value::I(9));
        // Unsigned comparison: 65535 is the largest UINT, not -1.
        let uint = Num::Int {
            bits: 16,
            signed: false,
        };
        assert_eq!(
            call(StdFn::Max, uint, &ints(&[65_535, 1])),
            Value::I(65_535)
        );
        let ulint = Num::Int {
            bits: 64,
            signed: false,
        };
        assert_eq!(
            call(StdFn::Max, ulint, &ints(&[-1, 1])),
            Value::I(-1),
            "u64::MAX"
        );
    }

    #[test]
    fn bcd_round_trips() {
        let w = Num::Bits(16);
        assert_eq!(call(StdFn::ToBcd, w, &[Value::I(1234)]), Value::I(0x1234));
        assert_eq!(
            call(StdFn::FromBcd, INT, &[Value::I(0x1234)]),
            Value::I(1234)
        );
    }

    #[test]
    fn conversions_to_and_from_text() {
        assert_eq!(
            convert(INT, Num::Str { wide: false }, Value::I(-5)),
            Value::S("-5".into())
        );
        assert_eq!(
            convert(Num::Str { wide: false }, INT, Value::S(" 16#FF ".into())),
            Value::I(255)
        );
        assert_eq!(
            convert(
                Num::Str { wide: false },
                Num::Time,
                Value::S("T#1s500ms".into())
            ),
            Value::I(1500)
        );
        assert_eq!(
            convert(Num::Time, Num::Str { wide: false }, Value::I(90_000)),
            Value::S("T#1m30s".into())
        );
        assert_eq!(
            convert(Num::Time, Num::LTime, Value::I(2)),
            Value::I(2_000_000)
        );
        assert_eq!(
            convert(
                Num::Int {
                    bits: 32,
                    signed: false
                },
                Num::LReal,
                Value::I(4_000_000_000)
            ),
            Value::R(4e9)
        );
    }
}
