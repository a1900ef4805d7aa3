//! Keeping collections current: the folders added to the knowledge base are
//! watched, and a folder is added again (which indexes only what changed)
//! shortly after something under it changes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_mini::new_debouncer;

use crate::{AddReport, Error, KnowledgeBase};

/// Quiet time after the last change before a folder is re-indexed.
pub const SETTLE: Duration = Duration::from_secs(2);

/// Watches the folders of `collection` (or of every collection) until `stop`
/// is set, calling `on_update` after each re-index.
pub fn watch(
    kb: &mut KnowledgeBase,
    collection: Option<&str>,
    stop: &AtomicBool,
    on_update: &mut dyn FnMut(&AddReport),
) -> Result<(), Error> {
    let folders: Vec<(String, String)> = kb
        .folders()?
        .into_iter()
        .filter(|(c, _)| collection.is_none_or(|x| x == c))
        .collect();
    if folders.is_empty() {
        return Err(Error::Input(
            "no folders to watch; add a folder to the knowledge base first".into(),
        ));
    }
    let (tx, rx) = mpsc::channel();
    let mut debouncer =
        new_debouncer(SETTLE, tx).map_err(|e| Error::State(format!("cannot watch: {e}")))?;
    for (_, f) in &folders {
        debouncer
            .watcher()
            .watch(Path::new(f), RecursiveMode::Recursive)
            .map_err(|e| Error::State(format!("cannot watch {f}: {e}")))?;
    }
    while !stop.load(Ordering::Relaxed) {
        let events = match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(events)) => events,
            Ok(Err(e)) => return Err(Error::State(format!("watching failed: {e}"))),
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let touched: BTreeSet<(String, String)> = events
            .iter()
            .flat_map(|ev| {
                folders
                    .iter()
                    .filter(|(_, f)| ev.path.starts_with(f))
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect();
        for (coll, folder) in touched {
            let report = kb.add(&[PathBuf::from(&folder)], &coll, &mut |_| {})?;
            on_update(&report);
        }
    }
    Ok(())
}
