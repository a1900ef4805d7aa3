//! Writing files the user chose in a save dialog. The UI cannot write anywhere
//! else: the path must be absolute, its folder must exist, and the extension
//! must be one the app exports.

use std::path::Path;

const EXPORTS: &[&str] = &["st", "xml", "md", "json", "txt"];

pub fn check_export_path(path: &Path) -> Result<(), String> {
    if !path.is_absolute() {
        return Err(format!("{}: the path must be absolute", path.display()));
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !EXPORTS.contains(&ext.as_str()) {
        return Err(format!(
            "{}: the app saves only .st, .xml, .md, .json and .txt files",
            path.display()
        ));
    }
    match path.parent() {
        Some(dir) if dir.is_dir() => Ok(()),
        _ => Err(format!("{}: the folder does not exist", path.display())),
    }
}

#[tauri::command]
pub async fn save_text(path: String, text: String) -> Result<(), String> {
    super::blocking(move || {
        let p = Path::new(&path);
        check_export_path(p)?;
        // Write beside and rename, so a crash never leaves half a file.
        let tmp = p.with_extension("millwright-tmp");
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, p))
            .map_err(|e| format!("{}: {e}", p.display()))
    })
    .await
}
