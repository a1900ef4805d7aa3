//! A clone tests itself: every path the sources build from a crate's
//! `CARGO_MANIFEST_DIR` stays inside the repository, and nothing names the
//! workplace's `shared/` folder beside it (its corpus is copied into
//! `assets/corpora`, with its licence note).

use std::path::{Component, Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Rust sources of the repository, outside build output and node_modules.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if !["target", "node_modules", ".git"]
                .iter()
                .any(|n| name == *n)
            {
                sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The crate a source file belongs to: the nearest folder with a Cargo.toml.
fn manifest_dir(file: &Path) -> PathBuf {
    let mut dir = file.parent().unwrap();
    while !dir.join("Cargo.toml").is_file() {
        dir = dir.parent().expect("a source outside every crate");
    }
    dir.to_owned()
}

/// `base` joined with `rel`, `..` resolved without touching the disk.
fn lexical_join(base: &Path, rel: &str) -> PathBuf {
    let mut p = base.to_owned();
    for c in Path::new(rel.trim_start_matches('/')).components() {
        match c {
            Component::ParentDir => {
                p.pop();
            }
            Component::Normal(n) => p.push(n),
            _ => {}
        }
    }
    p
}

/// The first string literal after `CARGO_MANIFEST_DIR")` at `at`: the path
/// joined or concatenated to the crate's folder.
fn path_after(text: &str, at: usize) -> Option<&str> {
    let rest = &text[at..];
    let rest = &rest[rest.find(')')? + 1..];
    let window = &rest[..rest.len().min(160)];
    let start = window.find('"')? + 1;
    let len = window[start..].find('"')?;
    Some(&window[start..start + len])
}

#[test]
fn no_source_reaches_outside_the_clone() {
    let root = root();
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 50, "found only {} sources", files.len());
    let this = Path::new(file!()).file_name().unwrap();
    let mut outside = Vec::new();
    for file in files.iter().filter(|f| f.file_name() != Some(this)) {
        let text = std::fs::read_to_string(file).unwrap();
        if text.contains("shared/corpora") {
            outside.push(format!("{}: names shared/corpora", file.display()));
        }
        let base = manifest_dir(file);
        for (at, _) in text.match_indices("CARGO_MANIFEST_DIR\")") {
            let Some(rel) = path_after(&text, at) else {
                continue;
            };
            let resolved = lexical_join(&base, rel);
            if !resolved.starts_with(&root) {
                outside.push(format!(
                    "{}: {rel:?} is {}",
                    file.display(),
                    resolved.display()
                ));
            }
        }
    }
    assert!(outside.is_empty(), "{outside:#?}");
}

#[test]
fn the_corpus_the_tests_use_is_in_the_repository() {
    let corpora = root().join("assets/corpora");
    for f in [
        "README.md",
        "oscat/oscat_basic_272_de.pdf",
        "plcopen/tc6_xml_v201.xsd",
    ] {
        assert!(
            corpora.join(f).is_file(),
            "{f} is missing from assets/corpora"
        );
    }
}

#[test]
fn an_escaping_path_is_caught() {
    let base = root().join("crates/knowledge");
    assert!(!lexical_join(&base, "../../../shared/corpora/oscat").starts_with(root()));
    assert!(lexical_join(&base, "../../assets/corpora/oscat").starts_with(root()));
    let text = r#"Path::new(env!("CARGO_MANIFEST_DIR")).join("../x")"#;
    let at = text.find("CARGO_MANIFEST_DIR\")").unwrap();
    assert_eq!(path_after(text, at), Some("../x"));
}
