//! The recipes under `deploy/` are read as their tools would read them, and each setting, flag
//! and pinned version in them is one this project has: none was run for real here (no
//! Kubernetes, container engine or systemd on the test machines).

use std::path::{Path, PathBuf};

use clap::Parser as _;
use runner::cli::Cli;
use runner::runtime_config::{self, StoreConfig};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A systemd unit's `[section]` → `Key=value` lines.
fn unit(path: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut entries = Vec::new();
    for line in read(path).lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{path}: not a Key=value line: {line}"));
        entries.push((section.clone(), key.to_owned(), value.to_owned()));
    }
    entries
}

fn parses_as_runner(path: &str, command: &str) {
    let argv: Vec<&str> = command.split_whitespace().collect();
    assert!(argv[0].ends_with("/runner"), "{path}: {command}");
    if let Err(e) = Cli::try_parse_from(argv) {
        panic!("{path}: `{command}` is not a runner command line: {e}");
    }
}

#[test]
fn the_runner_serve_runtime_config_names_redis() {
    let store = runtime_config::load(&repo().join("deploy/runner-serve/runtime-config.toml"));
    assert!(
        matches!(store, Ok(StoreConfig::Redis { ref url }) if url.starts_with("redis://")),
        "{store:?}"
    );
}

#[test]
fn the_systemd_units_run_valid_runner_commands() {
    for (path, role) in [
        ("deploy/systemd/cwm-serve.service", "serve"),
        ("deploy/systemd/cwm-runner.service", "work"),
    ] {
        let entries = unit(path);
        for section in ["Unit", "Service", "Install"] {
            assert!(
                entries.iter().any(|(s, _, _)| s == section),
                "{path}: no [{section}]"
            );
        }
        let exec: Vec<&String> = entries
            .iter()
            .filter(|(s, k, _)| s == "Service" && k == "ExecStart")
            .map(|(_, _, v)| v)
            .collect();
        assert_eq!(exec.len(), 1, "{path}");
        assert_eq!(exec[0].split_whitespace().nth(1), Some(role), "{path}");
        parses_as_runner(path, exec[0]);
    }
}

#[test]
fn the_container_recipe_pins_the_tested_cli_and_runs_the_runner() {
    let recipe = read("deploy/container/Containerfile");
    let pinned = read("testing/install-claude-cli.sh")
        .lines()
        .find_map(|l| l.trim().strip_prefix("version=\"${CLAUDE_CLI_VERSION:-"))
        .and_then(|rest| rest.strip_suffix("}\""))
        .expect("the tests' pinned CLI version")
        .to_owned();
    assert!(
        recipe.contains(&format!("ARG CLAUDE_CLI_VERSION={pinned}")),
        "the container must install the CLI version the tests run ({pinned})"
    );
    assert_eq!(recipe.lines().filter(|l| l.starts_with("FROM ")).count(), 2);
    assert!(recipe.contains("RUN cargo build --release -p runner"));
    assert!(recipe.contains(r#"ENTRYPOINT ["/usr/local/bin/runner"]"#));
    parses_as_runner(
        "deploy/container/Containerfile",
        "/usr/local/bin/runner work",
    );
}

#[test]
fn the_spinapp_sets_only_known_variables_and_spins_redis_mode() {
    let app: serde_json::Value =
        serde_json::from_str(&read("deploy/spinkube/spinapp.json")).unwrap();
    assert_eq!(app["kind"], "SpinApp");
    assert_eq!(app["apiVersion"], "core.spinkube.dev/v1alpha1");
    let manifest: toml::Table = read("spin.toml").parse().unwrap();
    let declared = manifest["variables"].as_table().unwrap();
    let variables = app["spec"]["variables"].as_array().unwrap();
    for v in variables {
        let name = v["name"].as_str().unwrap();
        assert!(
            declared.contains_key(name),
            "{name} is not a variable of spin.toml"
        );
    }
    // Spin's Redis backend traps on get-many: the README's rule.
    assert!(
        variables
            .iter()
            .any(|v| v["name"] == "kv_batch_reads" && v["value"] == "off"),
        "kv_batch_reads must be off on Spin's Redis backend"
    );
    let stores = app["spec"]["runtimeConfig"]["keyValueStores"]
        .as_array()
        .unwrap();
    assert_eq!(stores.len(), 1);
    assert_eq!(
        (stores[0]["name"].as_str(), stores[0]["type"].as_str()),
        (Some("default"), Some("redis"))
    );
    assert_eq!(stores[0]["options"][0]["name"], "url");
}
