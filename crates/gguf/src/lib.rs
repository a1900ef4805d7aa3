//! Reads and validates the header of a GGUF model file without llama.cpp.
//!
//! llama.cpp aborts or misbehaves on some malformed files, so every model path is
//! checked here first: magic, version, every metadata entry, every tensor record,
//! and that the file is long enough to hold the tensor data the header promises.
//! Reading is bounded by the file's length, so a hostile header cannot make it
//! allocate more than the file holds, and nothing here panics on bad input.

mod reader;
mod tensor_types;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use reader::Reader;

/// GGUF versions this reader understands (v1 used 32-bit counts and is obsolete).
pub const SUPPORTED_VERSIONS: [u32; 2] = [2, 3];
const MAGIC: [u8; 4] = *b"GGUF";
const DEFAULT_ALIGNMENT: u64 = 32;
/// Smallest file that can be a usable model: header plus at least a little data.
const MIN_MODEL_BYTES: u64 = 1024;

/// Why a file is not a usable GGUF model. Each variant's message names the file.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("model file {path}: does not exist")]
    NotFound { path: PathBuf },
    #[error("model file {path}: cannot be read: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("model file {path}: is a directory, not a GGUF file")]
    IsDirectory { path: PathBuf },
    #[error("model file {path}: not a GGUF file (starts with {found:02x?}, expected \"GGUF\")")]
    NotGguf { path: PathBuf, found: Vec<u8> },
    #[error("model file {path}: GGUF version {version} is not supported (supported: 2, 3); convert the model with a current llama.cpp")]
    UnsupportedVersion { path: PathBuf, version: u32 },
    #[error("model file {path}: truncated: {what} needs {needed} bytes but the file has {size} (an incomplete download?)")]
    Truncated {
        path: PathBuf,
        what: String,
        needed: u64,
        size: u64,
    },
    #[error("model file {path}: corrupt header at byte {offset}: {problem}")]
    Corrupt {
        path: PathBuf,
        offset: u64,
        problem: String,
    },
    #[error("model file {path}: {problem}")]
    Implausible { path: PathBuf, problem: String },
}

/// One metadata value. Arrays keep only their element type and length, plus
/// their items when they are short, so a 262k-entry vocabulary costs nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
    String(String),
    Array {
        element_type: u32,
        len: u64,
        items: Vec<Value>,
    },
}

impl Value {
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U64(v) => Some(v),
            Value::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::U64(v) => write!(f, "{v}"),
            Value::I64(v) => write!(f, "{v}"),
            Value::F64(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Array { len, .. } => write!(f, "[{len} items]"),
        }
    }
}

/// A tensor record from the header.
#[derive(Debug, Clone)]
pub struct TensorInfo {
    pub name: String,
    pub dims: Vec<u64>,
    pub ggml_type: u32,
    pub offset: u64,
    /// Bytes of data, when the type is one this reader knows.
    pub n_bytes: Option<u64>,
}

/// What a validated GGUF file says about itself.
#[derive(Debug, Clone)]
pub struct GgufInfo {
    pub path: PathBuf,
    pub file_size: u64,
    pub version: u32,
    pub metadata: BTreeMap<String, Value>,
    pub tensors: Vec<TensorInfo>,
    /// Byte offset where tensor data begins.
    pub data_offset: u64,
}

impl GgufInfo {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.get(key)
    }
    pub fn architecture(&self) -> &str {
        // validate() guarantees this key exists and is a string.
        self.get("general.architecture")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
    pub fn name(&self) -> Option<&str> {
        self.get("general.name").and_then(Value::as_str)
    }
    /// Training context length (`<arch>.context_length`).
    pub fn context_length(&self) -> Option<u64> {
        self.get(&format!("{}.context_length", self.architecture()))
            .and_then(Value::as_u64)
    }
    /// The Jinja chat template, if the model ships one. Its presence is what marks a
    /// chat (instruct) model; base models have none.
    pub fn chat_template(&self) -> Option<&str> {
        self.get("tokenizer.chat_template").and_then(Value::as_str)
    }
    pub fn parameter_count_label(&self) -> Option<&str> {
        self.get("general.size_label").and_then(Value::as_str)
    }
    pub fn tensor_bytes(&self) -> u64 {
        self.tensors.iter().filter_map(|t| t.n_bytes).sum()
    }
}

/// Reads and validates `path`. Succeeds only for a file llama.cpp can be handed.
pub fn inspect(path: &Path) -> Result<GgufInfo, GgufError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(GgufError::NotFound {
                path: path.to_owned(),
            })
        }
        Err(source) => {
            return Err(GgufError::Unreadable {
                path: path.to_owned(),
                source,
            })
        }
    };
    if meta.is_dir() {
        return Err(GgufError::IsDirectory {
            path: path.to_owned(),
        });
    }
    let file = File::open(path).map_err(|source| GgufError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    let size = meta.len();
    let mut r = Reader::new(BufReader::with_capacity(1 << 16, file), size, path);

    let magic = r.bytes_upto(4, "the GGUF magic")?;
    if magic != MAGIC {
        return Err(GgufError::NotGguf {
            path: path.to_owned(),
            found: magic,
        });
    }
    let version = r.u32("the GGUF version")?;
    if !SUPPORTED_VERSIONS.contains(&version) {
        return Err(GgufError::UnsupportedVersion {
            path: path.to_owned(),
            version,
        });
    }
    let n_tensors = r.u64("the tensor count")?;
    let n_kv = r.u64("the metadata count")?;
    // Every entry takes at least 8 bytes, so a count beyond that is a corrupt header.
    r.check_count(n_kv, 8, "metadata entries")?;
    r.check_count(n_tensors, 8, "tensor records")?;

    let mut metadata = BTreeMap::new();
    for i in 0..n_kv {
        let key = r.string(&format!("the key of metadata entry {i}"))?;
        let value_type = r.u32(&format!("the type of metadata {key:?}"))?;
        let value = r.value(value_type, &key, 0)?;
        metadata.insert(key, value);
    }

    let mut tensors = Vec::with_capacity(n_tensors.min(1 << 16) as usize);
    for i in 0..n_tensors {
        let name = r.string(&format!("the name of tensor {i}"))?;
        let n_dims = r.u32(&format!("the rank of tensor {name:?}"))?;
        if n_dims == 0 || n_dims > 8 {
            return Err(r.corrupt(format!(
                "tensor {name:?} has {n_dims} dimensions (1 to 8 allowed)"
            )));
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(r.u64(&format!("a dimension of tensor {name:?}"))?);
        }
        let ggml_type = r.u32(&format!("the type of tensor {name:?}"))?;
        let offset = r.u64(&format!("the data offset of tensor {name:?}"))?;
        let n_bytes = tensor_types::n_bytes(ggml_type, &dims);
        tensors.push(TensorInfo {
            name,
            dims,
            ggml_type,
            offset,
            n_bytes,
        });
    }

    let alignment = match metadata.get("general.alignment") {
        None => DEFAULT_ALIGNMENT,
        Some(v) => match v.as_u64() {
            Some(a) if a > 0 && a.is_power_of_two() => a,
            _ => return Err(r.corrupt(format!("general.alignment is {v}, not a power of two"))),
        },
    };
    let data_offset = r.position().div_ceil(alignment) * alignment;

    let info = GgufInfo {
        path: path.to_owned(),
        file_size: size,
        version,
        metadata,
        tensors,
        data_offset,
    };
    check_plausible(&info)?;
    Ok(info)
}

fn check_plausible(info: &GgufInfo) -> Result<(), GgufError> {
    let path = || info.path.clone();
    match info.get("general.architecture") {
        Some(Value::String(s)) if !s.is_empty() => {}
        _ => {
            return Err(GgufError::Implausible {
                path: path(),
                problem: "metadata has no general.architecture, so llama.cpp cannot load it".into(),
            })
        }
    }
    if info.tensors.is_empty() {
        return Err(GgufError::Implausible {
            path: path(),
            problem: "holds no tensors (a vocabulary-only file is not a model)".into(),
        });
    }
    if info.file_size < MIN_MODEL_BYTES {
        return Err(GgufError::Implausible {
            path: path(),
            problem: format!("only {} bytes, too small to be a model", info.file_size),
        });
    }
    for t in &info.tensors {
        let end = t
            .offset
            .checked_add(t.n_bytes.unwrap_or(0))
            .and_then(|e| e.checked_add(info.data_offset));
        match end {
            Some(end) if end <= info.file_size => {}
            Some(end) => {
                return Err(GgufError::Truncated {
                    path: path(),
                    what: format!("tensor {:?}", t.name),
                    needed: end,
                    size: info.file_size,
                })
            }
            None => {
                return Err(GgufError::Corrupt {
                    path: path(),
                    offset: info.data_offset,
                    problem: format!("tensor {:?} has an impossible offset {}", t.name, t.offset),
                })
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
