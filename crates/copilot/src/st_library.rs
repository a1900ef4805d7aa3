//! Library sources a user's Structured Text uses (OSCAT, a vendor's exports,
//! the plant's own blocks): read from files or folders, their declarations
//! made visible to checks and tests, their own diagnostics not reported — a
//! file that calls a library it uses must not drown in "unknown function".
//! The command line (`st check --lib`) and the app (the `st_libraries`
//! setting) read them here.

use std::path::{Path, PathBuf};

use millwright_iec61131::{sim, Parsed};

/// The source files one library path may hold, and all paths together.
const MAX_FILES: usize = 5_000;
const MAX_BYTES: u64 = 64 << 20;
/// Folders deeper than this are not searched (and a link loop ends here).
const MAX_DEPTH: usize = 16;

/// Why the library sources could not be read; each names the path or the limit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LibraryError {
    #[error("library {0}: no such file or folder")]
    NotFound(String),
    #[error("cannot read the library source {path}: {problem}")]
    Unreadable { path: String, problem: String },
    #[error("the libraries hold more than {max} source files; choose the folders the code uses")]
    TooMany { max: usize },
    #[error("the libraries hold more than {mib} MiB of sources; choose the folders the code uses")]
    TooLarge { mib: u64 },
}

/// The library sources, read: each file's name and text.
#[derive(Debug, Default, Clone)]
pub struct StLibrary {
    pub files: Vec<(String, String)>,
}

impl StLibrary {
    /// Reads every ST, export, PLCopen and TwinCAT file of each path (a file,
    /// or a folder searched in name order). A path that does not exist or a
    /// file that cannot be read is an error naming it; nothing is read past
    /// the limits.
    pub fn load(paths: &[PathBuf]) -> Result<StLibrary, LibraryError> {
        let mut found = Vec::new();
        for p in paths {
            source_files(p, 0, &mut found)?;
        }
        let mut files = Vec::with_capacity(found.len());
        let mut bytes = 0u64;
        for path in found {
            let name = path.display().to_string();
            let unreadable = |problem: String| LibraryError::Unreadable {
                path: name.clone(),
                problem,
            };
            let data = std::fs::read(&path).map_err(|e| unreadable(e.to_string()))?;
            bytes += data.len() as u64;
            if bytes > MAX_BYTES {
                return Err(LibraryError::TooLarge {
                    mib: MAX_BYTES >> 20,
                });
            }
            let text = millwright_iec61131::read_source(&name, &data)
                .map_err(|e| unreadable(e.to_string()))?;
            files.push((name, text));
        }
        Ok(StLibrary { files })
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    fn texts(&self) -> Vec<&str> {
        self.files.iter().map(|(_, t)| t.as_str()).collect()
    }

    /// Checks `texts` as one project with the library: each text's tree and
    /// diagnostics, and the names of library files whose syntax is broken
    /// (what they declare is not visible).
    pub fn check(&self, texts: &[&str]) -> (Vec<Parsed>, Vec<String>) {
        let all: Vec<&str> = texts.iter().copied().chain(self.texts()).collect();
        let mut results = millwright_iec61131::check_project(&all);
        let broken = self
            .files
            .iter()
            .zip(&results[texts.len()..])
            .filter(|(_, parsed)| {
                parsed.diagnostics.iter().any(|d| {
                    d.severity == millwright_iec61131::Severity::Error && d.code.is_syntax()
                })
            })
            .map(|((name, _), _)| name.clone())
            .collect();
        results.truncate(texts.len());
        (results, broken)
    }

    /// The simulator's program of `texts` with the library compiled in.
    pub fn load_program(&self, texts: &[&str]) -> Result<sim::Program, sim::LoadError> {
        sim::load_project(texts, &self.texts())
    }
}

fn source_files(path: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), LibraryError> {
    let too_many = || LibraryError::TooMany { max: MAX_FILES };
    if !path.is_dir() {
        if !path.exists() {
            return Err(LibraryError::NotFound(path.display().to_string()));
        }
        out.push(path.to_owned());
        return if out.len() > MAX_FILES {
            Err(too_many())
        } else {
            Ok(())
        };
    }
    if depth >= MAX_DEPTH {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| LibraryError::Unreadable {
            path: path.display().to_string(),
            problem: e.to_string(),
        })?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            source_files(&p, depth + 1, out)?;
        } else if is_source(&p) {
            out.push(p);
            if out.len() > MAX_FILES {
                return Err(too_many());
            }
        }
    }
    Ok(())
}

fn is_source(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["st", "exp", "xml", "tcpou"].contains(&e.to_ascii_lowercase().as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use millwright_iec61131::{Code, Severity};

    const USER: &str = "FUNCTION_BLOCK Use\nVAR_INPUT v : INT; END_VAR\nVAR_OUTPUT w : INT; END_VAR\nw := LIB_Twice(v);\nEND_FUNCTION_BLOCK\n";

    #[test]
    fn a_folder_of_sources_makes_its_declarations_visible() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("lib");
        std::fs::create_dir_all(lib.join("sub")).unwrap();
        std::fs::write(
            lib.join("sub/twice.st"),
            "FUNCTION LIB_Twice : INT\nVAR_INPUT x : INT; END_VAR\nLIB_Twice := x * 2 + missing;\nEND_FUNCTION\n",
        )
        .unwrap();
        std::fs::write(lib.join("broken.EXP"), "FUNCTION_BLOCK Half\nVAR x : ;\n").unwrap();
        std::fs::write(lib.join("notes.txt"), "not a source").unwrap();
        let l = StLibrary::load(&[lib]).unwrap();
        assert_eq!(l.files.len(), 2, "{:?}", l.files);

        let (parsed, broken) = l.check(&[USER]);
        assert_eq!(parsed.len(), 1);
        assert!(
            parsed[0].diagnostics.is_empty(),
            "the library's own error is not the user's: {:?}",
            parsed[0].diagnostics
        );
        assert_eq!(broken.len(), 1);
        assert!(broken[0].ends_with("broken.EXP"));

        let (alone, _) = StLibrary::default().check(&[USER]);
        assert!(alone[0]
            .diagnostics
            .iter()
            .any(|d| d.code == Code::UnknownFunction && d.severity == Severity::Error));
        // The library's checker error does not block a program that checks;
        // its missing variable blocks only what calls it.
        let Ok(prog) = l.load_program(&[USER]) else {
            panic!("the code checks with the library")
        };
        assert!(prog.by_name.contains_key("USE"));
    }

    #[test]
    fn a_missing_path_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("oscat");
        let e = StLibrary::load(&[missing]).unwrap_err();
        assert!(
            matches!(&e, LibraryError::NotFound(p) if p.ends_with("oscat")),
            "{e:?}"
        );
        assert!(
            e.to_string().contains("oscat: no such file or folder"),
            "{e}"
        );
    }
}
