//! Watching the output directory and reporting files as they appear or change.
//!
//! `notify` (inotify on Linux) feeds raw paths into a task that debounces them: a file is
//! reported once it has been quiet for `debounce`, and again only if its size or mtime changed.
//! Files that were already there when the watch started are not reported unless they change.
//! Paths with a component starting with `.` (e.g. `.claude/`, editor temp files) are ignored.
//! `finish` does a last full scan, so nothing is missed if the watcher could not start or
//! dropped an event.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use notify::{RecursiveMode, Watcher};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::ExecEvent;

type Signature = (u64, Option<SystemTime>);

/// A running watch. Drop stops notify; `finish` also flushes and scans.
pub(crate) struct OutputWatcher {
    dir: PathBuf,
    _watcher: Option<notify::RecommendedWatcher>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    /// Why notify is not running, if it is not (only the final scan will report files).
    pub error: Option<String>,
}

struct State {
    dir: PathBuf,
    events: mpsc::Sender<ExecEvent>,
    /// Last reported (or initial) signature of each file, by relative path.
    seen: HashMap<String, Signature>,
}

impl OutputWatcher {
    /// Starts watching `dir` (which must exist).
    pub fn start(dir: &Path, debounce: Duration, events: mpsc::Sender<ExecEvent>) -> OutputWatcher {
        let (raw_tx, raw_rx) = mpsc::unbounded_channel::<PathBuf>();
        let handler = move |res: notify::Result<notify::Event>| {
            if let Ok(event) = res {
                event.paths.into_iter().for_each(|p| drop(raw_tx.send(p)));
            }
        };
        let (watcher, error) = match notify::recommended_watcher(handler)
            .and_then(|mut w| w.watch(dir, RecursiveMode::Recursive).map(|_| w))
        {
            Ok(w) => (Some(w), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let seen = scan(dir).into_iter().collect();
        let state = State {
            dir: dir.to_path_buf(),
            events,
            seen,
        };
        let (stop, stop_rx) = oneshot::channel();
        let task = tokio::spawn(debounce_loop(state, raw_rx, stop_rx, debounce));
        OutputWatcher {
            dir: dir.to_path_buf(),
            _watcher: watcher,
            stop,
            task,
            error,
        }
    }

    /// Stops watching, reports whatever is new or changed, and returns every file in the dir.
    pub async fn finish(self) -> Vec<String> {
        let _ = self.stop.send(());
        let _ = self.task.await;
        scan(&self.dir).into_iter().map(|(rel, _)| rel).collect()
    }
}

async fn debounce_loop(
    mut state: State,
    mut raw: mpsc::UnboundedReceiver<PathBuf>,
    mut stop: oneshot::Receiver<()>,
    debounce: Duration,
) {
    let mut pending: BTreeMap<PathBuf, Instant> = BTreeMap::new();
    loop {
        let next = pending.values().min().copied();
        tokio::select! {
            _ = &mut stop => break,
            Some(path) = raw.recv() => { pending.insert(path, Instant::now() + debounce); }
            _ = tokio::time::sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => {
                let now = Instant::now();
                let due: Vec<PathBuf> = pending.iter().filter(|(_, t)| **t <= now).map(|(p, _)| p.clone()).collect();
                for path in due {
                    pending.remove(&path);
                    state.report_under(&path).await;
                }
            }
        }
    }
    // Final pass: everything in the directory, changed or new since last reported.
    let dir = state.dir.clone();
    state.report_under(&dir).await;
}

impl State {
    /// Reports the file at `path`, or every file under it if it is a directory.
    async fn report_under(&mut self, path: &Path) {
        let Ok(rel_root) = path.strip_prefix(&self.dir) else {
            return;
        };
        if is_hidden(rel_root) {
            return;
        }
        let files = if path.is_dir() {
            scan(path)
        } else {
            signature(path)
                .map(|s| (rel_root.to_string_lossy().into_owned(), s))
                .into_iter()
                .collect()
        };
        for (rel, sig) in files {
            let rel = if path.is_dir() && !rel_root.as_os_str().is_empty() {
                format!("{}/{rel}", rel_root.display())
            } else {
                rel
            };
            if self.seen.get(&rel) != Some(&sig) {
                self.seen.insert(rel.clone(), sig);
                let _ = self
                    .events
                    .send(ExecEvent::OutputFile { relative_path: rel })
                    .await;
            }
        }
    }
}

fn is_hidden(rel: &Path) -> bool {
    rel.components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
}

fn signature(path: &Path) -> Option<Signature> {
    let meta = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
    Some((meta.len(), meta.modified().ok()))
}

/// Every visible regular file under `dir`, as (path relative to `dir`, signature), sorted.
pub(crate) fn scan(dir: &Path) -> Vec<(String, Signature)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(rel) = path.strip_prefix(dir) else {
                continue;
            };
            if is_hidden(rel) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if let Some(sig) = signature(&path) {
                out.push((rel.to_string_lossy().into_owned(), sig));
            }
        }
    }
    out.sort();
    out
}
