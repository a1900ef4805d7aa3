//! PLCopen TC6 XML 2.01 (IEC 61131-10): export of POUs, data types and global
//! variables with their ST bodies, and import of the same. What TC6 2.01 cannot
//! carry (methods, properties, interfaces, inheritance) is listed in the
//! export's notes, never dropped silently.

mod export;
mod import;

pub use export::{export, Exported};
pub use import::{import, import_tcpou, ImportError};

/// The current UTC time as xsd:dateTime, without a date library.
pub fn now_xsd_datetime() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests;
