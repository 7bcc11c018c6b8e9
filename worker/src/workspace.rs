//! Directories on disk: the lock that keeps two workers off one work dir, each slot's private
//! CLI config dir (with the operator's login copied in), and each attempt's fresh workspace.
//!
//! ```text
//! <workdir>/worker.lock
//! <workdir>/slots/<n>/claude-config/        CLAUDE_CONFIG_DIR of slot n (.credentials.json)
//! <workdir>/jobs/<id>-a<attempt>/           the CLI's cwd
//!     inputs/<collection>/<name>            from the claim
//!     output/                               starts empty; the CLI writes here
//!     .worker/log-spill.jsonl               log lines waiting for the API
//! ```

use std::fs::File;
use std::path::{Component, Path, PathBuf};

use crate::api::ClaimedJob;
use crate::config::WorkerConfig;
use crate::error::WorkerError;

/// The CLI's login file inside a config dir.
pub const CREDENTIALS_FILE: &str = ".credentials.json";
const LOCK_FILE: &str = "worker.lock";
/// Folder of a workspace the CLI must write its outputs into.
pub const OUTPUT_DIR: &str = "output";
/// Folder of a workspace holding the job's input documents.
const INPUT_DIR: &str = "inputs";
/// The worker's own files inside a workspace.
const WORKER_DIR: &str = ".worker";

/// Creates the work dir and locks it for this process; the lock lasts as long as the file.
pub fn lock_workdir(workdir: &Path) -> Result<File, WorkerError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        WorkerError::Workdir(format!("cannot {what} work dir {}: {e}", workdir.display()))
    };
    std::fs::create_dir_all(workdir).map_err(|e| fail("create", &e))?;
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(workdir.join(LOCK_FILE))
        .map_err(|e| fail("lock", &e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(WorkerError::Workdir(format!(
            "work dir {} is used by another worker; give each worker its own (--workdir / CWM_WORKDIR)",
            workdir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(fail("lock", &e)),
    }
}

/// Removes workspaces a previous worker on this dir left behind (it died mid-job).
pub fn clear_stale_jobs(workdir: &Path) {
    let jobs = workdir.join("jobs");
    if jobs.exists()
        && let Err(e) = std::fs::remove_dir_all(&jobs)
    {
        tracing::warn!(dir = %jobs.display(), "cannot remove old job workspaces: {e}");
    }
}

/// Creates every slot's config dir and copies the operator's login into it.
pub fn prepare_slots(config: &WorkerConfig) -> Result<(), WorkerError> {
    for n in 0..config.slots as usize {
        let dir = config.slot_config_dir(n);
        std::fs::create_dir_all(&dir)
            .map_err(|e| WorkerError::Workdir(format!("cannot create {}: {e}", dir.display())))?;
        refresh_credentials(config, n);
    }
    Ok(())
}

/// Copies `.credentials.json` from the operator's config dir into slot `n`'s when the slot has
/// none or the operator's is newer (a fresh login). A copy the CLI refreshed itself is newer
/// and kept.
pub fn refresh_credentials(config: &WorkerConfig, n: usize) {
    let Some(source) = config
        .credentials_dir
        .as_ref()
        .map(|d| d.join(CREDENTIALS_FILE))
    else {
        return;
    };
    let Ok(source_meta) = std::fs::metadata(&source) else {
        return;
    };
    let target = config.slot_config_dir(n).join(CREDENTIALS_FILE);
    let stale = std::fs::metadata(&target)
        .and_then(|t| Ok(source_meta.modified()? > t.modified()?))
        .unwrap_or(true);
    if !stale {
        return;
    }
    // fs::copy keeps the 0600 mode of the original.
    match std::fs::copy(&source, &target) {
        Ok(_) => {
            tracing::info!(slot = n, from = %source.display(), "copied the CLI login into the slot")
        }
        Err(e) => {
            tracing::warn!(slot = n, from = %source.display(), "cannot copy the CLI login: {e}")
        }
    }
}

/// A prepared workspace.
pub struct Workspace {
    pub dir: PathBuf,
    /// The CLI's output folder (`<dir>/output`).
    pub output_dir: PathBuf,
    /// The claim's outputs relative to `output_dir`, in claim order (index = output index).
    pub expected: Vec<String>,
}

/// Where a workspace's log lines wait while the API is away.
pub fn spill_file(dir: &Path) -> PathBuf {
    dir.join(WORKER_DIR).join("log-spill.jsonl")
}

/// Creates a fresh workspace in `dir` for `job`: inputs written, `output/` empty.
pub fn prepare_job(dir: &Path, job: &ClaimedJob) -> Result<Workspace, String> {
    let expected = job
        .outputs
        .iter()
        .map(|o| output_relative(&o.path))
        .collect::<Result<Vec<_>, _>>()?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    let output_dir = dir.join(OUTPUT_DIR);
    for d in [&output_dir, &dir.join(WORKER_DIR)] {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    for input in &job.inputs {
        let relative = safe_relative(&input.path)
            .ok_or_else(|| format!("input path {:?} is not allowed", input.path))?;
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &input.content)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(Workspace {
        dir: dir.to_path_buf(),
        output_dir,
        expected,
    })
}

use protocol::limits::{MAX_JOB_FILES as MAX_FILES, MAX_JOB_ID_LEN as MAX_ID_LEN, valid_job_id};

/// Highest attempt number accepted from a claim.
const MAX_ATTEMPT: u32 = 1_000_000;

/// A claimed job this runner will not run, and whether its id is usable to say so.
#[derive(Debug)]
pub struct BadClaim {
    /// The job's id when it is well-formed (the refusal can then be reported).
    pub id: Option<String>,
    pub why: String,
}

/// Checks everything of a claim answer that becomes a path or a URL before any of it is used:
/// the id and attempt (they name the workspace), input paths (plain relative paths under
/// `inputs/`), output paths (under `output/`).
pub fn check_claimed(job: &ClaimedJob) -> Result<(), BadClaim> {
    if !valid_job_id(&job.id) {
        return Err(BadClaim {
            id: None,
            why: format!(
                "job id {:?} is not 1-{MAX_ID_LEN} characters of [0-9a-f-]",
                job.id.chars().take(80).collect::<String>()
            ),
        });
    }
    let bad = |why: String| BadClaim {
        id: Some(job.id.clone()),
        why,
    };
    if !(1..=MAX_ATTEMPT).contains(&job.attempt) {
        return Err(bad(format!("attempt {} is out of range", job.attempt)));
    }
    if job.inputs.len() > MAX_FILES || job.outputs.len() > MAX_FILES {
        return Err(bad(format!("more than {MAX_FILES} inputs or outputs")));
    }
    for input in &job.inputs {
        let inside = safe_relative(&input.path)
            .is_some_and(|p| p.starts_with(INPUT_DIR) && p.components().count() > 1);
        if !inside {
            return Err(bad(format!(
                "input path {:?} is not inside {INPUT_DIR}/",
                input.path
            )));
        }
    }
    for output in &job.outputs {
        output_relative(&output.path).map_err(bad)?;
    }
    Ok(())
}

/// Removes a workspace once its job was reported.
pub fn remove_job(dir: &Path) {
    if let Err(e) = std::fs::remove_dir_all(dir) {
        tracing::warn!(dir = %dir.display(), "cannot remove the job workspace: {e}");
    }
}

/// `output/x/y.md` → `x/y.md`; anything not inside `output/` is refused.
fn output_relative(path: &str) -> Result<String, String> {
    let relative = safe_relative(path)
        .and_then(|p| p.strip_prefix(OUTPUT_DIR).ok().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty());
    relative
        .and_then(|p| p.to_str().map(str::to_owned))
        .ok_or_else(|| format!("output path {path:?} is not inside {OUTPUT_DIR}/"))
}

/// A relative path of plain names only (no `..`, no root).
fn safe_relative(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    let plain = !path.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
    plain.then(|| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{InputFile, OutputFile};

    fn job(inputs: &[(&str, &str)], outputs: &[&str]) -> ClaimedJob {
        ClaimedJob {
            id: "1-ab".into(),
            attempt: 1,
            kind: protocol::JobType::Brief,
            prompt: "p".into(),
            inputs: inputs
                .iter()
                .map(|(p, c)| InputFile {
                    collection: "brand-data".into(),
                    name: "acme.json".into(),
                    path: p.to_string(),
                    content: c.to_string(),
                })
                .collect(),
            outputs: outputs
                .iter()
                .map(|p| OutputFile {
                    collection: "briefs".into(),
                    name: "b.md".into(),
                    path: p.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn workspace_is_fresh_with_inputs_and_an_empty_output_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("jobs/1-ab-a1");
        std::fs::create_dir_all(dir.join("output")).unwrap();
        std::fs::write(dir.join("output/old.md"), "stale").unwrap();
        let ws = prepare_job(
            &dir,
            &job(
                &[("inputs/brand_data/acme.json", "{}")],
                &["output/topic-1.md"],
            ),
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("inputs/brand_data/acme.json")).unwrap(),
            "{}"
        );
        assert_eq!(std::fs::read_dir(&ws.output_dir).unwrap().count(), 0);
        assert_eq!(ws.expected, ["topic-1.md"]);
    }

    #[test]
    fn paths_leaving_the_workspace_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("w");
        for bad in ["../x", "/etc/passwd", "inputs/../../x", ""] {
            assert!(
                prepare_job(&dir, &job(&[(bad, "x")], &[])).is_err(),
                "{bad}"
            );
        }
        for bad in ["brief.md", "output", "output/../x.md", "/output/x.md"] {
            assert!(prepare_job(&dir, &job(&[], &[bad])).is_err(), "{bad}");
        }
    }

    #[test]
    fn claims_with_ids_or_paths_that_could_escape_are_refused() {
        let good = job(&[("inputs/brand_data/acme.json", "{}")], &["output/x.md"]);
        assert!(check_claimed(&good).is_ok());
        for id in ["../x", "", "1-AB", "a/b", "1-ab\n", &"a".repeat(65)] {
            let mut j = good.clone();
            j.id = id.to_string();
            let err = check_claimed(&j).unwrap_err();
            assert_eq!(err.id, None, "{id:?}");
        }
        let mut j = good.clone();
        j.attempt = 0;
        assert_eq!(check_claimed(&j).unwrap_err().id.as_deref(), Some("1-ab"));
        for (inputs, outputs) in [
            (vec![("../etc/passwd", "x")], vec!["output/x.md"]),
            (vec![("/etc/passwd", "x")], vec!["output/x.md"]),
            (vec![("brand.json", "x")], vec!["output/x.md"]),
            (vec![("inputs", "x")], vec!["output/x.md"]),
            (vec![], vec!["/tmp/x.md"]),
            (vec![], vec!["output/../../x.md"]),
        ] {
            let j = job(&inputs, &outputs);
            let err = check_claimed(&j).unwrap_err();
            assert_eq!(err.id.as_deref(), Some("1-ab"), "{inputs:?} {outputs:?}");
        }
    }

    #[test]
    fn a_second_worker_cannot_take_the_same_workdir() {
        let tmp = tempfile::tempdir().unwrap();
        let _held = lock_workdir(tmp.path()).unwrap();
        let err = lock_workdir(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("another worker"), "{err}");
    }

    #[test]
    fn credentials_are_copied_unless_the_slot_has_a_newer_copy() {
        let tmp = tempfile::tempdir().unwrap();
        let login = tmp.path().join("login");
        std::fs::create_dir_all(&login).unwrap();
        std::fs::write(login.join(CREDENTIALS_FILE), "v1").unwrap();
        let mut config = WorkerConfig::new(reqwest::Url::parse("http://x").unwrap(), "t");
        config.workdir = tmp.path().join("work");
        config.credentials_dir = Some(login.clone());
        config.slots = 2;
        prepare_slots(&config).unwrap();
        let slot1 = config.slot_config_dir(1).join(CREDENTIALS_FILE);
        assert_eq!(std::fs::read_to_string(&slot1).unwrap(), "v1");
        // The CLI refreshed its copy: kept.
        std::fs::write(&slot1, "refreshed").unwrap();
        refresh_credentials(&config, 1);
        assert_eq!(std::fs::read_to_string(&slot1).unwrap(), "refreshed");
        // The operator logged in again: copied.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::write(login.join(CREDENTIALS_FILE), "v2").unwrap();
        File::options()
            .write(true)
            .open(login.join(CREDENTIALS_FILE))
            .unwrap()
            .set_modified(later)
            .unwrap();
        refresh_credentials(&config, 1);
        assert_eq!(std::fs::read_to_string(&slot1).unwrap(), "v2");
    }
}
