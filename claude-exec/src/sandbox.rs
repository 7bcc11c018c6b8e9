//! The OS sandbox around a run: bubblewrap (`bwrap`), where the host has it.
//!
//! What a sandboxed CLI sees:
//! - the system read-only (`/` bound read-only, so `/usr`, `/etc`, `/lib` work as usual);
//! - empty, private `/tmp`, `/var/tmp`, `/run`, `/home`, `/root`, the runner's own home, and
//!   every path of [`Bwrap::hide`] (the runner's work dir and data dir): nothing of the runner's
//!   state, other slots, other jobs or the user's files;
//! - read-write: the job's workspace and its slot's directory (`HOME`, `CLAUDE_CONFIG_DIR`);
//! - read-only: the directory of the CLI executable (it may live under a hidden path);
//! - its own PID namespace with a fresh `/proc` (no other process's `environ` or `cmdline`), its
//!   own IPC and UTS namespaces, no capabilities, a minimal `/dev`;
//! - the network, which the CLI needs for the API.
//!
//! Mounts apply in order, so the writable binds come after the tmpfs mounts that hide their
//! parents.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Directories hidden behind an empty tmpfs in every sandbox (when they exist).
const HIDDEN: &[&str] = &["/tmp", "/var/tmp", "/run", "/home", "/root"];

/// How to wrap runs in bubblewrap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bwrap {
    /// The `bwrap` executable.
    pub program: PathBuf,
    /// Host paths hidden from jobs on top of [`HIDDEN`] and the runner's home (the runner's work
    /// dir, its data dir).
    pub hide: Vec<PathBuf>,
}

impl Bwrap {
    /// `bwrap` from `PATH`, hiding `hide`.
    pub fn new(hide: Vec<PathBuf>) -> Bwrap {
        Bwrap {
            program: PathBuf::from("bwrap"),
            hide,
        }
    }

    /// Checks that bwrap runs here and can create the namespaces a job needs; the error says
    /// why not (not installed, or no permission to create namespaces, as in some containers).
    pub fn probe(&self) -> Result<(), String> {
        let output = Command::new(&self.program)
            .args(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"])
            .args(["--unshare-pid", "--unshare-ipc", "--die-with-parent"])
            .args(["--", "/bin/sh", "-c", "exit 0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.program.display()))?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(format!(
            "{} cannot create a sandbox here ({}): {}",
            self.program.display(),
            output.status,
            stderr.trim()
        ))
    }

    /// The bwrap arguments (up to and including `--`) that run `claude` confined to
    /// `workdir` and `home`. Paths are made absolute and canonical, so a symlinked work dir
    /// is bound where it really is.
    pub fn args(&self, claude: &Path, workdir: &Path, home: &Path) -> Vec<String> {
        let real = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let text = |p: &Path| p.display().to_string();
        let mut args: Vec<String> = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
            .map(String::from)
            .to_vec();
        let mut hidden: Vec<PathBuf> = HIDDEN.iter().map(PathBuf::from).collect();
        if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            hidden.push(PathBuf::from(home));
        }
        hidden.extend(self.hide.iter().cloned());
        let mut hidden: Vec<PathBuf> = hidden
            .iter()
            .filter(|p| p.is_dir())
            .map(|p| real(p))
            .filter(|p| p != Path::new("/"))
            .collect();
        // Parents first: a tmpfs mounted later would hide one mounted inside it earlier.
        hidden.sort_by_key(|p| p.components().count());
        hidden.dedup();
        for dir in &hidden {
            args.extend(["--tmpfs".to_owned(), text(dir)]);
        }
        // Bind back what must stay reachable. The CLI's directory read-only; on a hidden path
        // /etc/resolv.conf may point into (/run/systemd/resolve), its target read-only too.
        let mut read_only = Vec::new();
        if let Some(dir) = real(claude).parent() {
            read_only.push(dir.to_path_buf());
        }
        if let Ok(resolv) = Path::new("/etc/resolv.conf").canonicalize()
            && hidden.iter().any(|h| resolv.starts_with(h))
        {
            read_only.push(resolv);
        }
        for path in read_only {
            args.extend(["--ro-bind".to_owned(), text(&path), text(&path)]);
        }
        for dir in [real(home), real(workdir)] {
            args.extend(["--bind".to_owned(), text(&dir), text(&dir)]);
        }
        args.extend(["--chdir".to_owned(), text(&real(workdir))]);
        args.extend(
            [
                "--unshare-pid",
                "--unshare-ipc",
                "--unshare-uts",
                "--unshare-cgroup-try",
                "--die-with-parent",
                "--cap-drop",
                "ALL",
                "--",
            ]
            .map(String::from),
        );
        args
    }
}

/// `program` as an absolute path: as given if it has a `/`, else looked up in `PATH`.
pub fn resolve_program(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 || program.is_absolute() {
        return Some(std::path::absolute(program).unwrap_or_else(|_| program.to_path_buf()));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_and_slot_are_bound_after_the_hidden_parents() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let work = root.join("work");
        let job = work.join("jobs/1-ab-a1");
        let slot = work.join("slots/0");
        for d in [&job, &slot] {
            std::fs::create_dir_all(d).unwrap();
        }
        let claude = root.join("bin/claude");
        std::fs::create_dir_all(claude.parent().unwrap()).unwrap();
        std::fs::write(&claude, "").unwrap();
        let args = Bwrap::new(vec![work.clone()]).args(&claude, &job, &slot);
        let at = |flag: &str, path: &Path| {
            args.windows(2)
                .position(|w| w[0] == flag && w[1] == path.display().to_string())
                .unwrap_or_else(|| panic!("no {flag} {} in {args:?}", path.display()))
        };
        let hide_work = at("--tmpfs", &work);
        assert!(at("--bind", &job) > hide_work && at("--bind", &slot) > hide_work);
        at("--ro-bind", claude.parent().unwrap());
        assert!(
            args.windows(2)
                .any(|w| w == ["--chdir", &job.display().to_string()])
        );
        assert_eq!(args.last().map(String::as_str), Some("--"));
        for flag in ["--unshare-pid", "--die-with-parent", "--proc"] {
            assert!(args.iter().any(|a| a == flag), "{flag}");
        }
        assert!(
            !args
                .iter()
                .any(|a| a == "--unshare-net" || a == "--unshare-all"),
            "the CLI needs the network"
        );
    }

    #[test]
    fn programs_are_resolved_to_absolute_paths() {
        assert_eq!(
            resolve_program(Path::new("/bin/sh")),
            Some(PathBuf::from("/bin/sh"))
        );
        assert!(resolve_program(Path::new("sh")).is_some_and(|p| p.is_absolute()));
        assert_eq!(resolve_program(Path::new("no-such-program-xyz")), None);
    }
}
