//! Values of literals: integers in any base, reals, strings with `$` escapes,
//! durations and dates. Each parser returns `None` for text that is not a valid
//! literal of its kind; none of them panics.

/// `1_000`, `16#FF`, `2#1010`, `8#17` → the value (without sign).
pub fn parse_integer(text: &str) -> Option<u128> {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    match clean.split_once('#') {
        Some((base, digits)) => {
            let base = match base {
                "2" => 2,
                "8" => 8,
                "16" => 16,
                _ => return None,
            };
            u128::from_str_radix(digits, base).ok()
        }
        None => clean.parse().ok(),
    }
}

pub fn parse_real(text: &str) -> Option<f64> {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    clean.parse().ok().filter(|v: &f64| v.is_finite())
}

/// The characters of a `'…'` or `"…"` literal, quotes removed, escapes applied.
pub fn unescape_string(literal: &str) -> Option<String> {
    let wide = literal.starts_with('"');
    let inner = literal.get(1..literal.len().checked_sub(1)?)?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        match e.to_ascii_uppercase() {
            '$' => out.push('$'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'L' | 'N' => out.push('\n'),
            'P' => out.push('\u{0c}'),
            'R' => out.push('\r'),
            'T' => out.push('\t'),
            h if h.is_ascii_hexdigit() => {
                let n = if wide { 3 } else { 1 };
                let mut hex = String::from(e);
                for _ in 0..n {
                    hex.push(chars.next()?);
                }
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// `1h2m3s4ms`, `-5s`, `1.5s`, `5s_500ms` (after the `T#`) → nanoseconds.
pub fn parse_duration(body: &str) -> Option<i64> {
    let (neg, rest) = match body.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, body.strip_prefix('+').unwrap_or(body)),
    };
    let bytes = rest.as_bytes();
    let mut i = 0;
    let mut total: f64 = 0.0;
    let mut any = false;
    while i < bytes.len() {
        if bytes[i] == b'_' {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b'_')
        {
            i += 1;
        }
        let num: f64 = rest[start..i].replace('_', "").parse().ok()?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = rest[unit_start..i].to_ascii_lowercase();
        // A run like `ms` or `m` followed directly by the next number.
        let ns_per: f64 = match unit.as_str() {
            "d" => 86_400e9,
            "h" => 3_600e9,
            "m" => 60e9,
            "s" => 1e9,
            "ms" => 1e6,
            "us" => 1e3,
            "ns" => 1.0,
            _ => return None,
        };
        total += num * ns_per;
        any = true;
    }
    if !any || !total.is_finite() || total > i64::MAX as f64 {
        return None;
    }
    let ns = total.round() as i64;
    Some(if neg { -ns } else { ns })
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// `2024-03-31` → (year, month, day), checked against the calendar.
pub fn parse_date(body: &str) -> Option<(i64, u32, u32)> {
    let mut parts = body.splitn(3, '-');
    let y: i64 = parts.next()?.replace('_', "").parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m) && (0..=9999).contains(&y))
        .then_some((y, m, d))
}

/// `13:45:00.5` → nanoseconds since midnight.
pub fn parse_time_of_day(body: &str) -> Option<i64> {
    let mut parts = body.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next().unwrap_or("0").parse().ok()?;
    if parts.next().is_some()
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0.0..60.0).contains(&s)
    {
        return None;
    }
    Some(h * 3_600_000_000_000 + m * 60_000_000_000 + (s * 1e9).round() as i64)
}

/// `2024-03-31-13:45:00` → (date, nanoseconds since midnight).
pub fn parse_date_and_time(body: &str) -> Option<((i64, u32, u32), i64)> {
    // The date has two '-', the third separates the time.
    let mut dashes = body.match_indices('-').map(|(i, _)| i);
    let cut = dashes.nth(2)?;
    Some((
        parse_date(&body[..cut])?,
        parse_time_of_day(&body[cut + 1..])?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_in_every_base() {
        assert_eq!(parse_integer("16#FF"), Some(255));
        assert_eq!(parse_integer("2#1010_0101"), Some(0xA5));
        assert_eq!(parse_integer("8#17"), Some(15));
        assert_eq!(parse_integer("1_000_000"), Some(1_000_000));
        assert_eq!(parse_integer("3#12"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h2m3s4ms"), Some(3_723_004_000_000));
        assert_eq!(parse_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_duration("-5s"), Some(-5_000_000_000));
        assert_eq!(parse_duration("5s_500ms"), Some(5_500_000_000));
        assert_eq!(parse_duration("1d"), Some(86_400_000_000_000));
        assert_eq!(parse_duration("100us"), Some(100_000));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_time_of_day("23:59:59.5"), Some(86_399_500_000_000));
        assert_eq!(parse_time_of_day("24:00:00"), None);
        assert_eq!(
            parse_date_and_time("2024-01-31-12:00:00").map(|x| x.1),
            Some(43_200_000_000_000)
        );
    }

    #[test]
    fn strings() {
        assert_eq!(
            unescape_string("'it$'s $N$24'").as_deref(),
            Some("it's \n$")
        );
        assert_eq!(unescape_string("\"$0041$\"\"").as_deref(), Some("A\""));
        assert_eq!(unescape_string("'$Q'"), None);
    }
}
