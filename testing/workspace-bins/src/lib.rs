//! The workspace's own binaries, for tests and benchmarks that start them as processes, and
//! the one outside server they need ([`redis::RedisServer`]).
//!
//! A test binary lives in `<target>/<profile>/deps/`; the binaries it needs are built with cargo
//! into the same target directory and profile (at most once per package and test process), so
//! `cargo test` in debug or release finds matching ones without a separate build step. An
//! environment variable naming a prebuilt binary skips the build: `CWM_RUNNER_BIN` for `runner`
//! (the same variable the browser tests read), `FAKE_CLAUDE_BIN` for `fake-claude`.
//!
//! ```no_run
//! let fake = workspace_bins::bin("fake-claude");
//! ```

pub mod redis;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The variable that overrides each binary.
const OVERRIDES: &[(&str, &str)] = &[
    ("runner", "CWM_RUNNER_BIN"),
    ("fake-claude", "FAKE_CLAUDE_BIN"),
];

/// The binary `name` (built by the package of the same name): the path in its override
/// variable if set and not empty, else built into the running executable's target directory
/// and profile.
///
/// Panics with the reason when the name is not one of the workspace's binaries, the variable
/// names a missing file or the build fails: a test cannot go on without its binary.
pub fn bin(name: &str) -> PathBuf {
    let env_var = OVERRIDES
        .iter()
        .find_map(|(bin, var)| (*bin == name).then_some(*var))
        .unwrap_or_else(|| panic!("{name} is not a binary of this workspace"));
    if let Some(path) = std::env::var_os(env_var).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{env_var}={} does not exist",
            path.display()
        );
        return path;
    }
    let profile_dir = profile_dir();
    build_once(&profile_dir, name);
    profile_dir.join(name)
}

/// `<target>/<profile>` of the running executable (a test in `deps/` or an example in
/// `examples/`).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the running executable's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("executables live in <target>/<profile>/<deps|examples>/")
        .to_path_buf()
}

/// The variables cargo sets for one package's compilation or tests, as opposed to settings of
/// cargo itself (`CARGO_HOME`, `CARGO_TARGET_DIR`, `CARGO_BUILD_*`, `CARGO_PROFILE_*`...).
fn is_package_variable(key: &str) -> bool {
    const EXACT: &[&str] = &[
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    EXACT.contains(&key) || key.starts_with("CARGO_PKG_") || key.starts_with("CARGO_BIN_EXE_")
}

/// Builds `package` once per process (cargo itself skips the work when nothing changed).
fn build_once(profile_dir: &Path, package: &str) {
    static BUILT: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let built = built.get_or_insert_with(HashSet::new);
    if built.contains(package) {
        return;
    }
    let target_dir = profile_dir.parent().expect("<target>/<profile>");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "-p", package, "--target-dir"])
        .arg(target_dir);
    // Cargo gives a test process the variables of the package under test (its manifest dir,
    // name, version...). Passed on, build scripts that watch them (ring, rustls, the runner's
    // own) see a change and rebuild everything below the binary on every test run.
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(is_package_variable) {
            cmd.env_remove(key);
        }
    }
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(other) => {
            cmd.args(["--profile", other]);
        }
    }
    let status = cmd
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build -p {package} failed");
    built.insert(package.to_string());
}

#[cfg(test)]
mod tests {
    use super::is_package_variable;

    #[test]
    fn only_package_variables_are_dropped() {
        for key in [
            "CARGO_MANIFEST_DIR",
            "CARGO_PKG_NAME",
            "CARGO_BIN_EXE_runner",
            "OUT_DIR",
        ] {
            assert!(is_package_variable(key), "{key}");
        }
        for key in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_PROFILE_DEV_DEBUG",
            "PATH",
        ] {
            assert!(!is_package_variable(key), "{key}");
        }
    }
}
