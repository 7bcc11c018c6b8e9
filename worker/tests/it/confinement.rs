//! What a job can see of its host, probed by a stand-in CLI that has a shell (as a job would
//! if an operator widened its tools to `Bash`, or if the CLI had a bug): it records its
//! environment, what it can read and list outside its workspace, and whether a write outside
//! lands, into the job's output document.
//!
//! Without a sandbox only the environment is confined (the CLI's own path rules do the rest,
//! tested with the real CLI in testing/mock-anthropic); with bubblewrap the runner's work dir,
//! other slots, the runner's processes and the host's files outside the system are out of
//! sight too.

use std::path::Path;
use std::time::Duration;

use claude_exec::sandbox::Bwrap;

use crate::harness::{Client, Server, WorkerProcess, serial};

const SECRET: &str = "s3cret-runner-environment-7f3a";
const FILE_SECRET: &str = "s3cret-file-on-the-host-91c2";
const SLOT_SECRET: &str = "s3cret-slot-login-44d0";

/// A stand-in `claude` that writes what it observed to `output/probe.md`, then prints a
/// minimal stream-json run.
const PROBE: &str = r###"#!/bin/sh
cat > /dev/null
{
  echo "# Probe"
  echo "## env"
  env | sort
  echo "## secret file"
  cat "$PROBE_SECRET_FILE" 2>&1
  echo
  echo "## slots"
  ls "$PROBE_WORKDIR/slots" 2>&1
  echo "## other slot"
  cat "$PROBE_WORKDIR"/slots/*/claude-config/.credentials.json 2>&1
  echo
  echo "## environ"
  for f in /proc/[0-9]*/environ; do
    tr '\0' '\n' < "$f" 2>/dev/null | grep -q '^CWM_PROBE_SECRET=' && echo "seen in $f"
  done
  echo "## write"
  if echo pwned > "$PROBE_OUTSIDE" 2>/dev/null; then echo wrote; else echo refused; fi
  echo "## end"
} > output/probe.md 2>&1
printf '%s\n' '{"type":"system","subtype":"init","cwd":"'"$PWD"'","session_id":"s","tools":[],"model":"probe","permissionMode":"acceptEdits","claude_code_version":"probe"}'
printf '%s\n' '{"type":"result","subtype":"success","is_error":false,"num_turns":1,"result":"probed","total_cost_usd":0,"duration_ms":1,"usage":{"input_tokens":1,"output_tokens":1}}'
"###;

/// The lines of the probe's section `name` in `doc`.
fn section(doc: &str, name: &str) -> String {
    let heading = format!("## {name}");
    let mut lines = doc.lines().skip_while(|l| *l != heading);
    assert!(lines.next().is_some(), "no section {name} in:\n{doc}");
    lines
        .take_while(|l| !l.starts_with("## "))
        .map(|l| format!("{l}\n"))
        .collect()
}

struct Probed {
    doc: String,
    job: serde_json::Value,
    logs: String,
    outside: std::path::PathBuf,
}

async fn probe(root: &Path, sandbox: &str) -> Probed {
    let server = Server::native(&[]);
    let client = Client::new(&server);
    client.put_brand("acme.json").await;
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let claude = bin.join("claude-probe");
    std::fs::write(&claude, PROBE).unwrap();
    std::fs::set_permissions(&claude, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let workdir = root.join("work");
    let login = root.join("login");
    std::fs::create_dir_all(&login).unwrap();
    std::fs::write(login.join(".credentials.json"), SLOT_SECRET).unwrap();
    let secret_file = root.join("host-secret.txt");
    std::fs::write(&secret_file, FILE_SECRET).unwrap();
    let outside = root.join("outside.txt");
    let env = [
        ("CWM_PROBE_SECRET", SECRET),
        ("CWM_SANDBOX", sandbox),
        ("CLAUDE_CONFIG_DIR", login.to_str().unwrap()),
        ("CWM_PASS_ENV", "PROBE_*"),
        ("PROBE_SECRET_FILE", secret_file.to_str().unwrap()),
        ("PROBE_WORKDIR", workdir.to_str().unwrap()),
        ("PROBE_OUTSIDE", outside.to_str().unwrap()),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ];
    let mut worker = WorkerProcess::with_claude(&server, "probe-box", &workdir, 2, &claude, &env);
    let id = client.submit_brief("Probe", "acme.json").await;
    let job = client
        .wait_status(&id, "completed", Duration::from_secs(90))
        .await;
    let logs = client.log_texts(&id).await.join("\n");
    assert_eq!(
        job["status"],
        "completed",
        "{job}\n{logs}\n{}",
        worker.stderr()
    );
    let doc = client.text("/api/briefs/probe.md").await;
    assert!(doc.contains("## end"), "the probe ran to its end:\n{doc}");
    worker.sigterm();
    let _ = worker.wait_exit(Duration::from_secs(30));
    Probed {
        doc,
        job,
        logs,
        outside,
    }
}

fn assert_no_secret(p: &Probed) {
    for text in [&p.doc, &p.logs, &p.job.to_string()] {
        assert!(
            !text.contains(SECRET),
            "the runner's secret reached the job:\n{text}"
        );
        assert!(
            !text.contains(crate::harness::TOKEN),
            "the runner token reached the job:\n{text}"
        );
    }
    let env = section(&p.doc, "env");
    for name in ["CWM_", "SPIN_VARIABLE_", "AWS_SECRET_ACCESS_KEY"] {
        assert!(
            !env.contains(name),
            "{name} in the job's environment:\n{env}"
        );
    }
    assert!(env.contains("PROBE_WORKDIR="), "CWM_PASS_ENV works:\n{env}");
    assert!(
        env.lines()
            .any(|l| l.starts_with("HOME=") && l.contains("/slots/")),
        "HOME is the slot's:\n{env}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_sandbox_the_job_gets_only_allowlisted_variables() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let p = probe(tmp.path(), "none").await;
    assert_no_secret(&p);
    assert!(
        p.logs.contains("no OS sandbox"),
        "an unsandboxed job says so in its log:\n{}",
        p.logs
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_sandbox_the_job_sees_nothing_of_the_runner_or_the_host() {
    let _serial = serial().await;
    if let Err(why) = Bwrap::new(vec![]).probe() {
        eprintln!("SKIPPED: bubblewrap cannot create a sandbox on this machine: {why}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let p = probe(tmp.path(), "bwrap").await;
    assert_no_secret(&p);
    assert!(!p.logs.contains("no OS sandbox"), "{}", p.logs);
    assert!(p.logs.contains("in the bubblewrap sandbox"), "{}", p.logs);
    let doc = &p.doc;
    assert!(
        !doc.contains(FILE_SECRET),
        "a host file was readable:\n{doc}"
    );
    let slots = section(doc, "slots");
    assert_eq!(
        slots.split_whitespace().count(),
        1,
        "only the job's own slot is visible:\n{slots}"
    );
    assert!(
        section(doc, "environ").trim().is_empty(),
        "the runner's process is visible:\n{doc}"
    );
    assert!(
        !p.outside.exists(),
        "a write outside the workspace reached the host"
    );
    // The job's own slot login stays usable (the CLI needs it); at most one copy is visible.
    assert!(doc.matches(SLOT_SECRET).count() <= 1, "{doc}");
}
