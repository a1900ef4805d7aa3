//! PLCopen TC6 XML 2.01 (IEC 61131-10): export of POUs, data types and global
//! variables with their ST bodies, and import of the same. What TC6 2.01 cannot
//! carry (methods, properties, interfaces, inheritance) is listed in the
//! export's notes, never dropped silently.

mod export;
mod import;

pub use export::{export, Exported};
pub use import::{import, import_tcpou};

#[cfg(test)]
mod tests;
