use super::*;
use std::io::Write;

/// Writes a small GGUF v3 file: metadata as given, one F32 tensor of `elements`.
struct Builder {
    kv: Vec<u8>,
    n_kv: u64,
    elements: u64,
}

impl Builder {
    fn new() -> Self {
        Builder {
            kv: Vec::new(),
            n_kv: 0,
            elements: 512,
        }
    }
    fn string(buf: &mut Vec<u8>, s: &str) {
        buf.extend((s.len() as u64).to_le_bytes());
        buf.extend(s.as_bytes());
    }
    fn kv_str(mut self, k: &str, v: &str) -> Self {
        Self::string(&mut self.kv, k);
        self.kv.extend(8u32.to_le_bytes());
        Self::string(&mut self.kv, v);
        self.n_kv += 1;
        self
    }
    fn kv_u32(mut self, k: &str, v: u32) -> Self {
        Self::string(&mut self.kv, k);
        self.kv.extend(4u32.to_le_bytes());
        self.kv.extend(v.to_le_bytes());
        self.n_kv += 1;
        self
    }
    fn kv_str_array(mut self, k: &str, items: &[&str]) -> Self {
        Self::string(&mut self.kv, k);
        self.kv.extend(9u32.to_le_bytes());
        self.kv.extend(8u32.to_le_bytes());
        self.kv.extend((items.len() as u64).to_le_bytes());
        for s in items {
            Self::string(&mut self.kv, s);
        }
        self.n_kv += 1;
        self
    }
    fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(b"GGUF");
        b.extend(3u32.to_le_bytes());
        b.extend(1u64.to_le_bytes());
        b.extend(self.n_kv.to_le_bytes());
        b.extend(&self.kv);
        Self::string(&mut b, "weight");
        b.extend(1u32.to_le_bytes());
        b.extend(self.elements.to_le_bytes());
        b.extend(0u32.to_le_bytes()); // F32
        b.extend(0u64.to_le_bytes());
        while b.len() % 32 != 0 {
            b.push(0);
        }
        b.extend(std::iter::repeat_n(0u8, (self.elements * 4) as usize));
        b
    }
}

fn write(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f
}

fn base() -> Builder {
    Builder::new()
        .kv_str("general.architecture", "llama")
        .kv_str("general.name", "Tiny")
        .kv_u32("llama.context_length", 2048)
}

#[test]
fn reads_metadata_of_a_valid_file() {
    let tokens: Vec<String> = (0..100).map(|i| format!("tok{i}")).collect();
    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let f = write(
        &base()
            .kv_str("tokenizer.chat_template", "{{ messages }}")
            .kv_str_array("tokenizer.ggml.tokens", &tokens)
            .bytes(),
    );
    let info = inspect(f.path()).unwrap();
    assert_eq!(info.version, 3);
    assert_eq!(info.architecture(), "llama");
    assert_eq!(info.name(), Some("Tiny"));
    assert_eq!(info.context_length(), Some(2048));
    assert_eq!(info.chat_template(), Some("{{ messages }}"));
    assert_eq!(info.tensors.len(), 1);
    assert_eq!(info.tensor_bytes(), 2048);
    match info.get("tokenizer.ggml.tokens").unwrap() {
        Value::Array { len, items, .. } => {
            assert_eq!(*len, 100);
            assert!(items.is_empty(), "long arrays are summarised");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn base_model_has_no_chat_template() {
    let f = write(&base().bytes());
    assert_eq!(inspect(f.path()).unwrap().chat_template(), None);
}

#[test]
fn truncated_file_is_reported_with_sizes() {
    let bytes = base().bytes();
    for cut in [10, 40, bytes.len() - 100] {
        let f = write(&bytes[..cut]);
        let err = inspect(f.path()).unwrap_err();
        assert!(
            matches!(err, GgufError::Truncated { .. }),
            "cut at {cut}: {err}"
        );
        let msg = err.to_string();
        assert!(msg.contains(&f.path().display().to_string()), "{msg}");
        assert!(msg.contains("truncated"), "{msg}");
    }
}

#[test]
fn non_gguf_and_missing_files_are_named() {
    let f = write(b"%PDF-1.7 this is not a model at all, just some text");
    let err = inspect(f.path()).unwrap_err();
    assert!(matches!(err, GgufError::NotGguf { .. }), "{err}");
    assert!(err.to_string().contains("not a GGUF file"));

    let empty = write(b"");
    assert!(matches!(
        inspect(empty.path()).unwrap_err(),
        GgufError::NotGguf { .. }
    ));

    let missing = Path::new("/nonexistent/dir/model.gguf");
    let err = inspect(missing).unwrap_err();
    assert!(matches!(err, GgufError::NotFound { .. }));
    assert!(err.to_string().contains("/nonexistent/dir/model.gguf"));

    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        inspect(dir.path()).unwrap_err(),
        GgufError::IsDirectory { .. }
    ));
}

#[test]
fn unsupported_version_and_absurd_counts_are_corrupt_not_allocations() {
    let mut bytes = base().bytes();
    bytes[4..8].copy_from_slice(&1u32.to_le_bytes());
    let err = inspect(write(&bytes).path()).unwrap_err();
    assert!(
        matches!(err, GgufError::UnsupportedVersion { version: 1, .. }),
        "{err}"
    );

    let mut bytes = base().bytes();
    bytes[16..24].copy_from_slice(&u64::MAX.to_le_bytes()); // metadata count
    let err = inspect(write(&bytes).path()).unwrap_err();
    assert!(matches!(err, GgufError::Corrupt { .. }), "{err}");

    // A string length far past the end of the file.
    let mut bytes = base().bytes();
    bytes[24..32].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let err = inspect(write(&bytes).path()).unwrap_err();
    assert!(matches!(err, GgufError::Truncated { .. }), "{err}");
}

#[test]
fn missing_architecture_is_implausible() {
    let f = write(&Builder::new().kv_str("general.name", "x").bytes());
    let err = inspect(f.path()).unwrap_err();
    assert!(err.to_string().contains("general.architecture"), "{err}");
}

#[test]
fn random_bytes_after_magic_never_panic() {
    // A cheap fuzz: flip bytes of a valid header one at a time; every result must
    // be Ok or a clean error.
    let good = base().kv_str("tokenizer.chat_template", "t").bytes();
    for i in 4..200.min(good.len()) {
        for v in [0u8, 0xff, 0x7f, 9] {
            let mut b = good.clone();
            b[i] = v;
            let _ = inspect(write(&b).path());
        }
    }
}

#[test]
fn tensor_sizes_match_ggml_blocks() {
    assert_eq!(tensor_types::n_bytes(12, &[256, 4]), Some(4 * 144)); // Q4_K
    assert_eq!(tensor_types::n_bytes(8, &[64]), Some(2 * 34)); // Q8_0
    assert_eq!(tensor_types::n_bytes(999, &[64]), None);
    assert_eq!(tensor_types::n_bytes(0, &[u64::MAX, 2]), None);
}
