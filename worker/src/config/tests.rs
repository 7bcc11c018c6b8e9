use super::*;

use clap::Parser as _;

/// The settings as `runner work` takes them.
#[derive(clap::Parser)]
struct Work {
    #[command(flatten)]
    api: ApiArgs,
    #[command(flatten)]
    worker: WorkerArgs,
}

fn parse(args: &[&str]) -> Result<(ApiArgs, WorkerArgs), clap::Error> {
    let cli = Work::try_parse_from(std::iter::once("work").chain(args.iter().copied()))?;
    Ok((cli.api, cli.worker))
}

fn config(args: &[&str]) -> Result<WorkerConfig, WorkerError> {
    let (api, worker) = parse(args).map_err(|e| config_error(e.to_string()))?;
    let (url, token) = api.resolve()?;
    Ok(worker.config(url, token))
}

#[test]
fn flags_fill_every_setting() {
    let c = config(&[
        "--api=http://127.0.0.1:3000/",
        "--token=t0k",
        "--name=box-1",
        "--slots=5",
        "--claude=/opt/claude",
        "--workdir=/srv/cwm",
        "--allowed-tools=Read, Write",
        "--job-timeout=10m",
        "--idle-timeout=90s",
        "--claim-wait=2s",
        "--claude-config-dir=/home/op/.claude-login",
        "--permission-mode=default",
        "--model=opus",
        "--log-buffer-bytes=1000",
        "--max-log-bytes=2000",
        "--keep-workspaces",
    ])
    .unwrap();
    assert_eq!(c.api.as_str(), "http://127.0.0.1:3000/");
    assert_eq!(
        (c.token.as_str(), c.name.as_str(), c.slots),
        ("t0k", "box-1", 5)
    );
    assert_eq!(c.claude.claude_path, PathBuf::from("/opt/claude"));
    assert_eq!(c.claude.allowed_tools, ["Read", "Write"]);
    assert_eq!(c.claude.timeout, Duration::from_secs(600));
    assert_eq!(c.claude.idle_timeout, Duration::from_secs(90));
    assert_eq!(c.claim_wait, Duration::from_secs(2));
    assert_eq!(
        (c.claude.permission_mode.as_str(), c.claude.model.as_deref()),
        ("default", Some("opus"))
    );
    assert_eq!((c.log_buffer_bytes, c.max_log_bytes), (1000, 2000));
    assert!(c.keep_workspaces);
    assert_eq!(
        c.credentials_dir,
        Some(PathBuf::from("/home/op/.claude-login"))
    );
    assert_eq!(c.job_dir("7-ab", 2), PathBuf::from("/srv/cwm/jobs/7-ab-a2"));
    assert_eq!(
        c.slot_config_dir(1),
        PathBuf::from("/srv/cwm/slots/1/claude-config")
    );
    c.validate().unwrap();
    assert!(
        !config(&["--api=http://x", "--token=t", "--keep-workspaces=0"])
            .unwrap()
            .keep_workspaces
    );
}

#[test]
fn unset_flags_give_the_defaults() {
    let c = config(&["--api=http://x", "--token=t"]).unwrap();
    let d = WorkerConfig::new(parse_api("http://x").unwrap(), "t");
    assert_eq!(format!("{c:?}"), format!("{d:?}"));
    assert_eq!(c.sandbox, SandboxMode::Auto);
    assert_eq!(c.slots, DEFAULT_SLOTS);
}

/// Each flag has its variable, named after it, and every variable of [`env`] has a flag:
/// a flag and its variable cannot drift apart.
#[test]
fn every_flag_is_its_variable() {
    use clap::CommandFactory as _;
    let command = Work::command();
    let vars: Vec<(String, String)> = command
        .get_arguments()
        .filter(|a| a.get_id() != "help")
        .map(|a| {
            let var = a.get_env().expect("a flag without a variable");
            (
                a.get_long().unwrap().to_owned(),
                var.to_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (flag, var) in &vars {
        let named = match flag.as_str() {
            "token" | "token-file" => {
                format!("CWM_RUNNER_{}", flag.to_uppercase().replace('-', "_"))
            }
            "name" => "CWM_RUNNER_NAME".to_owned(),
            "workdir" => "CWM_WORKDIR".to_owned(),
            "claude-config-dir" => "CLAUDE_CONFIG_DIR".to_owned(),
            _ => format!("CWM_{}", flag.to_uppercase().replace('-', "_")),
        };
        assert_eq!(var, &named, "--{flag}");
    }
    for var in [
        env::API,
        env::RUNNER_TOKEN,
        env::RUNNER_TOKEN_FILE,
        env::SANDBOX,
        env::PASS_ENV,
        env::MAX_LOG_BYTES,
        env::RUNNER_NAME,
        env::SLOTS,
        env::CLAUDE,
        env::WORKDIR,
        env::PERMISSION_MODE,
        env::ALLOWED_TOOLS,
        env::MODEL,
        env::JOB_TIMEOUT,
        env::IDLE_TIMEOUT,
        env::CLAIM_WAIT,
        env::LOG_BUFFER_BYTES,
        env::KEEP_WORKSPACES,
        env::CLAUDE_CONFIG_DIR,
    ] {
        assert!(vars.iter().any(|(_, v)| v == var), "{var} has no flag");
    }
}

#[test]
fn missing_and_bad_settings_are_named() {
    let err = config(&["--api=http://x"]).unwrap_err();
    assert!(err.to_string().contains("CWM_RUNNER_TOKEN"), "{err}");
    assert!(err.to_string().contains("CWM_RUNNER_TOKEN_FILE"), "{err}");
    let err = config(&["--token=t"]).unwrap_err();
    assert!(err.to_string().contains("CWM_API"), "{err}");
    let err = config(&["--api=ftp://x", "--token=t"]).unwrap_err();
    assert!(err.to_string().contains("http(s)"), "{err}");
    for bad in ["--slots=many", "--job-timeout=soon", "--max-log-bytes=-1"] {
        let err = parse(&["--api=http://x", "--token=t", bad]).unwrap_err();
        assert!(
            err.to_string().contains(bad.split('=').next().unwrap()),
            "{err}"
        );
    }
    let mut c = WorkerConfig::new(parse_api("http://x").unwrap(), "t");
    c.name = "bad name".into();
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .contains("runner name")
    );
    c.name = "ok".into();
    c.slots = 0;
    assert!(c.validate().unwrap_err().to_string().contains("slots"));
}

#[test]
fn the_token_can_come_from_a_file_and_sandbox_and_pass_env_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("token");
    std::fs::write(&file, "  from-file\n").unwrap();
    let path = file.to_str().unwrap();
    let c = config(&[
        "--api=http://x",
        "--token-file",
        path,
        "--sandbox=none",
        "--pass-env=FAKE_CLAUDE_*, AWS_REGION",
    ])
    .unwrap();
    assert_eq!(c.token, "from-file");
    assert_eq!(c.sandbox, SandboxMode::None);
    assert_eq!(c.claude.pass_env, ["FAKE_CLAUDE_*", "AWS_REGION"]);
    c.validate().unwrap();
    let c = config(&["--api=http://x", "--token=flag", "--token-file", path]).unwrap();
    assert_eq!(c.token, "flag", "the token itself wins over a file");
    let err = config(&["--api=http://x", "--token-file=/nonexistent/token"]).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/token"), "{err}");
    std::fs::write(&file, " \n").unwrap();
    let err = config(&["--api=http://x", "--token-file", path]).unwrap_err();
    assert!(err.to_string().contains("is empty"), "{err}");
    let err = parse(&["--api=http://x", "--token=t", "--sandbox=docker"]).unwrap_err();
    assert!(err.to_string().contains("auto, bwrap, none"), "{err}");
    let c = config(&["--api=http://x", "--token=t", "--pass-env=CWM_RUNNER_TOKEN"]).unwrap();
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .contains("CWM_PASS_ENV")
    );
}

#[test]
fn debug_hides_the_token() {
    let c = WorkerConfig::new(parse_api("http://x").unwrap(), "s3cret");
    assert!(!format!("{c:?}").contains("s3cret"));
    let (api, _) = parse(&["--api=http://x", "--token=s3cret"]).unwrap();
    assert!(!format!("{api:?}").contains("s3cret"));
}

#[test]
fn default_name_is_valid() {
    assert!(valid_name(&default_name()));
}
