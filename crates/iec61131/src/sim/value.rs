//! One memory cell, and how a scalar of each type is stored in one.

/// A cell of simulated memory. Every integer-like type (BOOL, integers, bit
/// strings, TIME, dates, enumerations, pointers) is an `I`; its width and sign
/// live in the compiled code, which normalises each value as it is stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    I(i64),
    R(f64),
    S(String),
}

impl Value {
    pub fn int(&self) -> i64 {
        match self {
            Value::I(v) => *v,
            Value::R(r) => *r as i64,
            Value::S(_) => 0,
        }
    }
    pub fn real(&self) -> f64 {
        match self {
            Value::I(v) => *v as f64,
            Value::R(r) => *r,
            Value::S(_) => 0.0,
        }
    }
    pub fn str(&self) -> &str {
        match self {
            Value::S(s) => s,
            _ => "",
        }
    }
    pub fn truthy(&self) -> bool {
        self.int() != 0
    }
}

/// The scalar kinds operations are compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Num {
    Bool,
    Int {
        bits: u8,
        signed: bool,
    },
    Bits(u8),
    Real,
    LReal,
    /// Milliseconds, as CODESYS keeps TIME.
    Time,
    /// Nanoseconds.
    LTime,
    /// Seconds since 1970-01-01.
    Date,
    /// Milliseconds since midnight.
    Tod,
    /// Seconds since 1970-01-01.
    Dt,
    Str {
        wide: bool,
    },
    Enum,
    Ptr,
}

impl Num {
    pub fn is_real(self) -> bool {
        matches!(self, Num::Real | Num::LReal)
    }
    pub fn is_str(self) -> bool {
        matches!(self, Num::Str { .. })
    }
    pub fn is_int(self) -> bool {
        matches!(self, Num::Int { .. })
    }
    pub fn unsigned(self) -> bool {
        matches!(
            self,
            Num::Int { signed: false, .. } | Num::Bits(_) | Num::Bool
        )
    }
    /// Width in bits of an integer-like kind (64 for the rest).
    pub fn bits(self) -> u8 {
        match self {
            Num::Bool => 1,
            Num::Int { bits, .. } | Num::Bits(bits) => bits,
            _ => 64,
        }
    }
    pub fn zero(self) -> Value {
        match self {
            Num::Real | Num::LReal => Value::R(0.0),
            Num::Str { .. } => Value::S(String::new()),
            _ => Value::I(0),
        }
    }
}

/// How a value is made to fit the place it is stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Bool,
    /// Wrap to the width, sign-extended or zero-extended.
    Int {
        bits: u8,
        signed: bool,
    },
    /// REAL: rounded to single precision.
    Real,
    /// LREAL, and 64-bit integer-likes: stored as they are.
    Plain,
    /// A string cut to its declared length in characters.
    Str(usize),
}

impl Store {
    pub fn of(n: Num, str_max: usize) -> Store {
        match n {
            Num::Bool => Store::Bool,
            Num::Int { bits, signed } if bits < 64 => Store::Int { bits, signed },
            Num::Bits(bits) if bits < 64 => Store::Int {
                bits,
                signed: false,
            },
            Num::Real => Store::Real,
            Num::Str { .. } => Store::Str(str_max),
            _ => Store::Plain,
        }
    }

    #[inline]
    pub fn apply(self, v: Value) -> Value {
        match self {
            Store::Bool => Value::I((v.int() != 0) as i64),
            Store::Int { bits, signed } => Value::I(wrap(v.int(), bits, signed)),
            Store::Real => Value::R(v.real() as f32 as f64),
            Store::Plain => v,
            Store::Str(max) => cut(v, max),
        }
    }
}

/// A string cut to `max` characters; out of line to keep `Store::apply` small.
#[inline(never)]
fn cut(v: Value, max: usize) -> Value {
    match v {
        Value::S(s) if s.chars().count() > max => Value::S(s.chars().take(max).collect()),
        other => other,
    }
}

/// Two's-complement wrap-around of `v` to `bits` bits.
pub fn wrap(v: i64, bits: u8, signed: bool) -> i64 {
    if bits >= 64 {
        return v;
    }
    let shift = 64 - bits as u32;
    if signed {
        (v << shift) >> shift
    } else {
        ((v as u64) << shift >> shift) as i64
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

/// A duration in IEC literal form: `T#1h2m3s4ms` (TIME, from ms) or `LTIME#…` (from ns).
pub fn format_duration(v: i64, long: bool) -> String {
    let (prefix, mut ns) = if long {
        ("LTIME#", v as i128)
    } else {
        ("T#", v as i128 * 1_000_000)
    };
    let mut out = String::from(prefix);
    if ns < 0 {
        out.push('-');
        ns = -ns;
    }
    if ns == 0 {
        out.push_str(if long { "0ns" } else { "0ms" });
        return out;
    }
    for (unit, size) in [
        ("d", 86_400_000_000_000i128),
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ] {
        if ns >= size {
            out.push_str(&format!("{}{unit}", ns / size));
            ns %= size;
        }
    }
    out
}

pub fn format_date(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    format!("D#{y:04}-{m:02}-{d:02}")
}

pub fn format_tod(ms: i64) -> String {
    let ms = ms.rem_euclid(86_400_000);
    let (h, mi, s, f) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if f == 0 {
        format!("TOD#{h:02}:{mi:02}:{s:02}")
    } else {
        format!("TOD#{h:02}:{mi:02}:{s:02}.{f:03}")
    }
}

pub fn format_dt(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "DT#{y:04}-{m:02}-{d:02}-{:02}:{:02}:{:02}",
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// A REAL printed the way IEC literals are written (always with a point).
pub fn format_real(r: f64, single: bool) -> String {
    let s = if single {
        format!("{}", r as f32)
    } else {
        format!("{r}")
    };
    if s.contains(['.', 'e', 'E', 'n', 'N', 'i']) {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_follows_twos_complement() {
        assert_eq!(wrap(32_768, 16, true), -32_768);
        assert_eq!(wrap(-1, 16, false), 65_535);
        assert_eq!(wrap(256, 8, false), 0);
        assert_eq!(wrap(127 + 1, 8, true), -128);
        assert_eq!(wrap(i64::MAX, 64, true), i64::MAX);
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for z in [-1000, 0, 59, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn durations_print_as_iec_literals() {
        assert_eq!(format_duration(1500, false), "T#1s500ms");
        assert_eq!(format_duration(3_723_004, false), "T#1h2m3s4ms");
        assert_eq!(format_duration(0, false), "T#0ms");
        assert_eq!(format_duration(-250, false), "T#-250ms");
        assert_eq!(format_duration(1_500, true), "LTIME#1us500ns");
        assert_eq!(format_tod(45_296_500), "TOD#12:34:56.500");
        assert_eq!(format_date(0), "D#1970-01-01");
        assert_eq!(format_dt(86_400 + 3_661), "DT#1970-01-02-01:01:01");
    }
}
