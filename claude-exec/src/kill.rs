//! Stopping the CLI and everything it started.
//!
//! The CLI runs in its own process group, so one `kill(-pgid)` reaches it and the tools that
//! stay in its group. Tool processes may leave the group or even the session (`setsid`), and
//! then outlive the CLI (G5). To find them after the job, `/proc` is walked and a process
//! belongs to the job if any of these holds:
//! - its environment carries the job's marker `CLAUDE_EXEC_JOB=<id>` (inherited through
//!   `setsid` and re-parenting; only a process that rebuilds its environment escapes it),
//! - its process group is the job's group,
//! - its parent belongs to the job (ancestry).
//!
//! Processes started before the CLI are never candidates (start time check), so a reused pid
//! or group id cannot hit an unrelated process. Found processes get SIGKILL and are reaped:
//! when the runner is a child subreaper (`set_child_subreaper`), orphans become its children
//! and `waitpid` on each of their pids removes them from `/proc`. Only those pids are waited
//! on, never `-1`, so other children of the runner (tokio's) are left alone.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// Makes this process a child subreaper: orphaned descendants are re-parented to it instead of
/// to init, so they can be found and reaped. Per process; call once at runner start.
pub fn set_child_subreaper() -> std::io::Result<()> {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER only sets a flag on this process.
    let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong, 0, 0, 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// What ties processes to one job.
#[derive(Clone, Debug)]
pub(crate) struct JobTies {
    /// The CLI's pid, which is also its process group id.
    pub leader: i32,
    /// `NAME=value` as it appears in `/proc/<pid>/environ`.
    pub marker: Vec<u8>,
    /// The CLI's start time in clock ticks since boot; older processes are never touched.
    pub min_start: u64,
}

impl JobTies {
    pub fn new(leader: i32, marker: Vec<u8>) -> Self {
        let min_start = read_stat(leader).map(|s| s.start).unwrap_or(0);
        JobTies {
            leader,
            marker,
            min_start,
        }
    }
}

/// Sends `signal` to the job's process group. Errors (group already gone) are ignored.
pub(crate) fn signal_group(pgid: i32, signal: i32) {
    if pgid > 1 {
        // SAFETY: kill with a negative pid signals a process group; no memory is involved.
        unsafe { libc::kill(-pgid, signal) };
    }
}

/// The fields of `/proc/<pid>/stat` that matter here.
#[derive(Clone, Copy, Debug)]
struct Stat {
    state: u8,
    ppid: i32,
    pgrp: i32,
    start: u64,
}

fn read_stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(Stat {
        state: *fields.first()?.as_bytes().first()?,
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        start: fields.get(19)?.parse().ok()?,
    })
}

fn has_marker(pid: i32, marker: &[u8]) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == marker))
}

fn all_processes() -> HashMap<i32, Stat> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| Some((pid, read_stat(pid)?)))
        .collect()
}

/// Every live or zombie process of the job, except this process.
fn job_processes(ties: &JobTies) -> HashMap<i32, Stat> {
    let me = std::process::id() as i32;
    let procs: HashMap<i32, Stat> = all_processes()
        .into_iter()
        .filter(|(pid, s)| *pid != me && *pid > 1 && s.start >= ties.min_start)
        .collect();
    let mut found: HashSet<i32> = procs
        .iter()
        .filter(|(pid, s)| {
            s.pgrp == ties.leader || **pid == ties.leader || has_marker(**pid, &ties.marker)
        })
        .map(|(pid, _)| *pid)
        .collect();
    loop {
        let more: Vec<i32> = procs
            .iter()
            .filter(|(pid, s)| !found.contains(pid) && found.contains(&s.ppid))
            .map(|(p, _)| *p)
            .collect();
        if more.is_empty() {
            break;
        }
        found.extend(more);
    }
    procs
        .into_iter()
        .filter(|(pid, _)| found.contains(pid))
        .collect()
}

/// SIGKILLs and reaps every process of the job until none is left or `limit` passes.
/// Returns how many distinct processes were killed. The leader itself is not waited on here
/// (its `Child` handle does that).
///
/// Found pids are remembered across rounds: a killed process turns into a zombie whose
/// environment can no longer be read, and it may be re-parented to this process only after
/// its parent died, so it must still be recognised (by pid and start time) to be reaped.
pub(crate) async fn sweep(ties: &JobTies, limit: Duration) -> usize {
    let deadline = Instant::now() + limit;
    let mut tracked: HashMap<i32, u64> = HashMap::new();
    let mut killed = HashSet::new();
    loop {
        tracked.extend(
            job_processes(ties)
                .into_iter()
                .map(|(pid, s)| (pid, s.start)),
        );
        let pending = sweep_round(ties, &mut tracked, &mut killed);
        if !pending || Instant::now() >= deadline {
            return killed.len();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One round: kill what lives, reap our zombies, forget what is gone. True if work is left.
fn sweep_round(ties: &JobTies, tracked: &mut HashMap<i32, u64>, killed: &mut HashSet<i32>) -> bool {
    let me = std::process::id() as i32;
    let snapshot: Vec<(i32, u64)> = tracked.iter().map(|(p, s)| (*p, *s)).collect();
    let mut pending = false;
    for (pid, start) in snapshot {
        let stat = read_stat(pid).filter(|s| s.start == start);
        match stat {
            None => {
                tracked.remove(&pid);
            }
            Some(s) if s.state != b'Z' => {
                // SAFETY: signalling a process of the job; no memory is involved.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                killed.insert(pid);
                pending = true;
            }
            Some(s) if s.ppid == me && pid != ties.leader => pending |= !reap(pid),
            // A zombie whose parent is still being killed will be re-parented to us; any other
            // zombie belongs to someone else to reap.
            Some(s) if tracked.contains_key(&s.ppid) => pending = true,
            Some(_) => {
                tracked.remove(&pid);
            }
        }
    }
    pending
}

/// `waitpid(pid, WNOHANG)`; true if the zombie is gone (or was not ours to wait for).
fn reap(pid: i32) -> bool {
    let mut status = 0;
    // SAFETY: waits on one specific pid, never -1, so other children are untouched.
    let rc = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    rc != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_stat() {
        let me = std::process::id() as i32;
        let stat = read_stat(me).expect("own stat");
        assert!(matches!(stat.state, b'R' | b'S'));
        assert!(stat.start > 0);
    }

    #[test]
    fn marker_matching_is_exact() {
        let me = std::process::id() as i32;
        assert!(!has_marker(me, b"CLAUDE_EXEC_JOB=not-set-here"));
    }
}
