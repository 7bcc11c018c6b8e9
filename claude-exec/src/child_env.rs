//! The child's environment, built from nothing: the CLI never inherits the runner's
//! environment, which may hold the runner token, cloud credentials or other API keys that a
//! prompt-injected model could otherwise get at.
//!
//! What the child gets, in order (later entries win):
//! 1. From the runner's environment, only [`PASSED`] names, [`PASSED_PREFIXES`] (locale),
//!    the first Claude credential of [`CREDENTIALS`] that is set (the one the CLI would use),
//!    and what the operator lists in `CWM_PASS_ENV` ([`ExecConfig::pass_env`]: names or
//!    `PREFIX*` patterns).
//! 2. [`ExecConfig::env`] (explicit settings, e.g. `CLAUDE_CODE_MAX_RETRIES`).
//! 3. Fixed by the run: `HOME` and `CLAUDE_CONFIG_DIR` of the slot, no auto-update, no
//!    non-essential traffic, the job marker.
//!
//! Names starting with [`NEVER_PASSED_PREFIXES`] (`CWM_*`, `SPIN_VARIABLE_*`) never reach the
//! child, whatever the lists say.

use std::ffi::{OsStr, OsString};

use crate::config::{self, ExecConfig, JobRun};

/// Variables always taken from the runner's environment when set: the search path, locale,
/// time zone, proxies and their certificates, and the API endpoint (not a secret).
pub const PASSED: &[&str] = &[
    "PATH",
    "LANG",
    "LANGUAGE",
    "TZ",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "ANTHROPIC_BASE_URL",
];
/// Prefixes of variables always taken (locale categories).
pub const PASSED_PREFIXES: &[&str] = &["LC_"];
/// Claude credentials in the CLI's own order of preference: only the first one set is passed.
pub const CREDENTIALS: &[&str] = &[
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_API_KEY",
    "CLAUDE_CODE_OAUTH_TOKEN",
];
/// Variables the child never sees: the runner's own settings (its token among them) and the
/// server's.
pub const NEVER_PASSED_PREFIXES: &[&str] = &["CWM_", "SPIN_VARIABLE_"];
/// `PATH` when the runner has none.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Never set for the child either, as the official SDK does: it can break the CLI.
const NEVER_PASSED_NAMES: &[&str] = &["NODE_OPTIONS"];

/// Whether `name` must never reach the child.
pub fn never_passed(name: &str) -> bool {
    NEVER_PASSED_PREFIXES.iter().any(|p| name.starts_with(p)) || NEVER_PASSED_NAMES.contains(&name)
}

/// Checks operator-given `CWM_PASS_ENV` entries: names or `PREFIX*` patterns of
/// `[A-Za-z0-9_]`, none of which may name the runner's or the server's settings.
pub fn check_pass_env(entries: &[String]) -> Result<(), String> {
    for entry in entries {
        let stem = entry.strip_suffix('*').unwrap_or(entry);
        let plain = !stem.is_empty() && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain {
            return Err(format!(
                "CWM_PASS_ENV entry {entry:?} must be a variable name or a PREFIX* pattern"
            ));
        }
        let forbidden = NEVER_PASSED_PREFIXES
            .iter()
            .any(|p| stem.starts_with(p) || (entry.ends_with('*') && p.starts_with(stem)));
        if forbidden {
            return Err(format!(
                "CWM_PASS_ENV entry {entry:?} would pass the runner's own settings (CWM_*, SPIN_VARIABLE_*) to jobs"
            ));
        }
    }
    Ok(())
}

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// The child's whole environment for `job`, from the runner's environment `parent`.
pub fn build(
    parent: impl IntoIterator<Item = (OsString, OsString)>,
    config: &ExecConfig,
    job: &JobRun,
    marker: &str,
) -> Vec<(OsString, OsString)> {
    let parent: Vec<(OsString, OsString)> = parent.into_iter().collect();
    let lookup = |name: &str| {
        parent
            .iter()
            .find(|(k, _)| k == OsStr::new(name))
            .map(|(_, v)| v.clone())
    };
    let mut env: Vec<(OsString, OsString)> = Vec::new();
    let mut set = |name: &OsStr, value: OsString| {
        env.retain(|(k, _)| k != name);
        env.push((name.to_owned(), value));
    };
    for (name, value) in &parent {
        let Some(text) = name.to_str() else { continue };
        let wanted = PASSED.contains(&text)
            || PASSED_PREFIXES.iter().any(|p| text.starts_with(p))
            || config.pass_env.iter().any(|p| matches(p, text));
        if wanted && !never_passed(text) {
            set(name, value.clone());
        }
    }
    if let Some((name, value)) = CREDENTIALS
        .iter()
        .find_map(|name| lookup(name).filter(|v| !v.is_empty()).map(|v| (*name, v)))
    {
        set(OsStr::new(name), value);
    }
    if lookup("PATH").is_none() {
        set(OsStr::new("PATH"), DEFAULT_PATH.into());
    }
    for (name, value) in &config.env {
        if !never_passed(name) {
            set(OsStr::new(name), value.into());
        }
    }
    set(OsStr::new("HOME"), job.home_dir.clone().into());
    set(
        OsStr::new(config::ENV_CONFIG_DIR),
        job.config_dir.clone().into(),
    );
    set(OsStr::new(config::ENV_DISABLE_AUTOUPDATER), "1".into());
    set(
        OsStr::new(config::ENV_DISABLE_NONESSENTIAL_TRAFFIC),
        "1".into(),
    );
    set(OsStr::new(config::ENV_JOB_MARKER), marker.into());
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> JobRun {
        JobRun {
            workdir: "/w/jobs/1-a1".into(),
            prompt: String::new(),
            config_dir: "/w/slots/0/claude-config".into(),
            home_dir: "/w/slots/0".into(),
            output_dir: "/w/jobs/1-a1/output".into(),
            expected_outputs: vec![],
        }
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs.iter().map(|(k, v)| (k.into(), v.into())).collect()
    }

    fn get<'a>(env: &'a [(OsString, OsString)], name: &str) -> Option<&'a str> {
        env.iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.to_str())
    }

    #[test]
    fn only_the_allowlist_passes_and_secrets_stay_behind() {
        let parent = vars(&[
            ("PATH", "/usr/bin"),
            ("LANG", "C.UTF-8"),
            ("LC_TIME", "de_DE"),
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("ANTHROPIC_API_KEY", "sk-key"),
            ("CLAUDE_CODE_OAUTH_TOKEN", "sk-oat"),
            ("CWM_RUNNER_TOKEN", "runner-secret"),
            ("SPIN_VARIABLE_ADMIN_TOKEN", "admin-secret"),
            ("AWS_SECRET_ACCESS_KEY", "aws"),
            ("HOME", "/root"),
            ("CLAUDE_CONFIG_DIR", "/root/.claude"),
            ("NODE_OPTIONS", "--require /x.js"),
            ("GITHUB_TOKEN", "ghp"),
        ]);
        let env = build(parent, &ExecConfig::default(), &job(), "m1");
        assert_eq!(get(&env, "PATH"), Some("/usr/bin"));
        assert_eq!(get(&env, "LANG"), Some("C.UTF-8"));
        assert_eq!(get(&env, "LC_TIME"), Some("de_DE"));
        assert_eq!(get(&env, "HTTPS_PROXY"), Some("http://proxy:3128"));
        assert_eq!(get(&env, "ANTHROPIC_API_KEY"), Some("sk-key"));
        assert_eq!(
            get(&env, "CLAUDE_CODE_OAUTH_TOKEN"),
            None,
            "one credential only"
        );
        assert_eq!(get(&env, "HOME"), Some("/w/slots/0"));
        assert_eq!(
            get(&env, "CLAUDE_CONFIG_DIR"),
            Some("/w/slots/0/claude-config")
        );
        assert_eq!(get(&env, "CLAUDE_EXEC_JOB"), Some("m1"));
        for secret in [
            "CWM_RUNNER_TOKEN",
            "SPIN_VARIABLE_ADMIN_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "NODE_OPTIONS",
            "GITHUB_TOKEN",
        ] {
            assert_eq!(get(&env, secret), None, "{secret}");
        }
    }

    #[test]
    fn the_operator_can_pass_more_but_never_the_runners_settings() {
        let parent = vars(&[
            ("FAKE_CLAUDE_SCENARIO", "hang"),
            ("FAKE_CLAUDE_DELAY_MS", "5"),
            ("AWS_REGION", "eu-west-1"),
            ("CWM_SLOTS", "3"),
        ]);
        let config = ExecConfig {
            pass_env: vec!["FAKE_CLAUDE_*".into(), "AWS_REGION".into()],
            env: vec![
                ("CLAUDE_CODE_MAX_RETRIES".into(), "2".into()),
                ("CWM_RUNNER_TOKEN".into(), "x".into()),
                ("HOME".into(), "/elsewhere".into()),
            ],
            ..ExecConfig::default()
        };
        let env = build(parent, &config, &job(), "m");
        assert_eq!(get(&env, "FAKE_CLAUDE_SCENARIO"), Some("hang"));
        assert_eq!(get(&env, "FAKE_CLAUDE_DELAY_MS"), Some("5"));
        assert_eq!(get(&env, "AWS_REGION"), Some("eu-west-1"));
        assert_eq!(get(&env, "CLAUDE_CODE_MAX_RETRIES"), Some("2"));
        assert_eq!(get(&env, "CWM_SLOTS"), None);
        assert_eq!(get(&env, "CWM_RUNNER_TOKEN"), None);
        assert_eq!(
            get(&env, "HOME"),
            Some("/w/slots/0"),
            "the job decides HOME"
        );
        assert!(get(&env, "PATH").is_some(), "a default PATH");
    }

    #[test]
    fn pass_env_entries_are_checked() {
        let ok = |e: &[&str]| check_pass_env(&e.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(ok(&["FAKE_CLAUDE_*", "AWS_REGION", "X1"]).is_ok());
        for bad in [
            "CWM_RUNNER_TOKEN",
            "CWM_*",
            "SPIN_VARIABLE_*",
            "C*",
            "*",
            "",
            "A-B",
            "$X",
        ] {
            assert!(ok(&[bad]).is_err(), "{bad}");
        }
    }
}
