//! A little-endian reader that knows the file's length, so no read or
//! allocation can go past what the file holds.

use std::io::Read;
use std::path::Path;

use crate::{GgufError, Value};

/// Array items kept in memory; longer arrays are skipped over and summarised.
const KEEP_ITEMS: u64 = 64;
/// Arrays of arrays deeper than this are not something any real model writes.
const MAX_NESTING: u32 = 4;

pub(crate) struct Reader<'p, R> {
    inner: R,
    pos: u64,
    size: u64,
    path: &'p Path,
}

impl<'p, R: Read> Reader<'p, R> {
    pub fn new(inner: R, size: u64, path: &'p Path) -> Self {
        Reader {
            inner,
            pos: 0,
            size,
            path,
        }
    }

    pub fn position(&self) -> u64 {
        self.pos
    }

    pub fn corrupt(&self, problem: String) -> GgufError {
        GgufError::Corrupt {
            path: self.path.to_owned(),
            offset: self.pos,
            problem,
        }
    }

    fn need(&self, n: u64, what: &str) -> Result<(), GgufError> {
        match self.pos.checked_add(n) {
            Some(end) if end <= self.size => Ok(()),
            _ => Err(GgufError::Truncated {
                path: self.path.to_owned(),
                what: what.to_owned(),
                needed: self.pos.saturating_add(n),
                size: self.size,
            }),
        }
    }

    /// Fails unless `count` items of at least `min_each` bytes fit in the rest of the file.
    pub fn check_count(&self, count: u64, min_each: u64, what: &str) -> Result<(), GgufError> {
        let left = self.size - self.pos;
        if count.saturating_mul(min_each) <= left {
            return Ok(());
        }
        // A count no real model has is a corrupt header; a believable one that
        // the file is too short for is a truncated file.
        if count > u64::from(u32::MAX) {
            return Err(self.corrupt(format!(
                "claims {count} {what}, more than the {left} remaining bytes can hold"
            )));
        }
        self.need(count * min_each, what)
    }

    fn read_exact(&mut self, buf: &mut [u8], what: &str) -> Result<(), GgufError> {
        self.need(buf.len() as u64, what)?;
        self.inner
            .read_exact(buf)
            .map_err(|source| GgufError::Unreadable {
                path: self.path.to_owned(),
                source,
            })?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    /// Reads `n` bytes, or fewer if the file ends first (used for the magic, so a
    /// tiny non-GGUF file is reported as "not GGUF" rather than "truncated").
    pub fn bytes_upto(&mut self, n: u64, what: &str) -> Result<Vec<u8>, GgufError> {
        let n = n.min(self.size - self.pos);
        let mut buf = vec![0; n as usize];
        self.read_exact(&mut buf, what)?;
        Ok(buf)
    }

    fn skip(&mut self, n: u64, what: &str) -> Result<(), GgufError> {
        self.need(n, what)?;
        let copied = std::io::copy(&mut (&mut self.inner).take(n), &mut std::io::sink()).map_err(
            |source| GgufError::Unreadable {
                path: self.path.to_owned(),
                source,
            },
        )?;
        if copied != n {
            return Err(GgufError::Truncated {
                path: self.path.to_owned(),
                what: what.to_owned(),
                needed: self.pos + n,
                size: self.pos + copied,
            });
        }
        self.pos += n;
        Ok(())
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], GgufError> {
        let mut b = [0u8; N];
        self.read_exact(&mut b, what)?;
        Ok(b)
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub fn u64(&mut self, what: &str) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    pub fn string(&mut self, what: &str) -> Result<String, GgufError> {
        let len = self.u64(what)?;
        self.need(len, what)?;
        let bytes = self.bytes_upto(len, what)?;
        String::from_utf8(bytes).map_err(|_| self.corrupt(format!("{what} is not valid UTF-8")))
    }

    fn skip_string(&mut self, what: &str) -> Result<(), GgufError> {
        let len = self.u64(what)?;
        self.skip(len, what)
    }

    /// Reads one metadata value of GGUF type `ty` (the numbering of `gguf_type`).
    pub fn value(&mut self, ty: u32, key: &str, depth: u32) -> Result<Value, GgufError> {
        let what = format!("the value of {key:?}");
        let what = what.as_str();
        Ok(match ty {
            0 => Value::U64(self.array::<1>(what)?[0].into()),
            1 => Value::I64(i8::from_le_bytes(self.array(what)?).into()),
            2 => Value::U64(u16::from_le_bytes(self.array(what)?).into()),
            3 => Value::I64(i16::from_le_bytes(self.array(what)?).into()),
            4 => Value::U64(self.u32(what)?.into()),
            5 => Value::I64(i32::from_le_bytes(self.array(what)?).into()),
            6 => Value::F64(f32::from_le_bytes(self.array(what)?).into()),
            7 => match self.array::<1>(what)?[0] {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                b => return Err(self.corrupt(format!("{key:?} is a bool with byte {b}"))),
            },
            8 => Value::String(self.string(what)?),
            9 => self.array_value(key, depth)?,
            10 => Value::U64(self.u64(what)?),
            11 => Value::I64(i64::from_le_bytes(self.array(what)?)),
            12 => Value::F64(f64::from_le_bytes(self.array(what)?)),
            other => {
                return Err(self.corrupt(format!("{key:?} has unknown value type {other}")));
            }
        })
    }

    fn array_value(&mut self, key: &str, depth: u32) -> Result<Value, GgufError> {
        if depth >= MAX_NESTING {
            return Err(self.corrupt(format!("{key:?} nests arrays deeper than {MAX_NESTING}")));
        }
        let element_type = self.u32(&format!("the element type of {key:?}"))?;
        let len = self.u64(&format!("the length of {key:?}"))?;
        let fixed = match element_type {
            0 | 1 | 7 => Some(1),
            2 | 3 => Some(2),
            4..=6 => Some(4),
            10..=12 => Some(8),
            8 | 9 => None,
            other => {
                return Err(self.corrupt(format!("array {key:?} has unknown element type {other}")))
            }
        };
        self.check_count(len, fixed.unwrap_or(8), &format!("items in {key:?}"))?;
        let mut items = Vec::new();
        if len <= KEEP_ITEMS {
            for _ in 0..len {
                items.push(self.value(element_type, key, depth + 1)?);
            }
        } else if let Some(each) = fixed {
            self.skip(len * each, &format!("the items of {key:?}"))?;
        } else {
            for _ in 0..len {
                if element_type == 8 {
                    self.skip_string(&format!("an item of {key:?}"))?;
                } else {
                    self.value(element_type, key, depth + 1)?;
                }
            }
        }
        Ok(Value::Array {
            element_type,
            len,
            items,
        })
    }
}
