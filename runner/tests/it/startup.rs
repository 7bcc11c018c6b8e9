//! Start-up failures: each ends the process with a non-zero status and one readable line on
//! stderr, before anything is served.

use std::path::Path;

use crate::harness::run_to_exit;

/// Asserts the failure shape every start-up error shares and returns the one line.
fn one_error_line(args: &[&str], data_dir: &Path) -> String {
    let (status, stderr) = run_to_exit(args, data_dir);
    assert!(
        !status.success(),
        "expected failure, got {status}; stderr:\n{stderr}"
    );
    assert_eq!(
        status.code(),
        Some(1),
        "an exit code, not a signal or panic:\n{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "exactly one line on stderr:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    lines[0].to_owned()
}

/// A component that imports an interface outside the world in wit/ (here wasi:filesystem,
/// which the host deliberately does not provide) is refused, naming the import.
#[test]
fn component_importing_outside_the_world_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = wat::parse_str(
        r#"(component
            (import "wasi:filesystem/preopens@0.2.12" (instance
                (export "get-directories" (func (result (list u32))))
            ))
        )"#,
    )
    .unwrap();
    let path = dir.path().join("foreign.wasm");
    std::fs::write(&path, wasm).unwrap();

    let line = one_error_line(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--component",
            path.to_str().unwrap(),
        ],
        &dir.path().join("data"),
    );
    assert!(line.contains("`wasi:filesystem/preopens@0.2.12`"), "{line}");
    assert!(line.contains("does not provide"), "{line}");
}

/// A `--component` path that does not exist.
#[test]
fn missing_component_file_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere/api_component.wasm");
    let line = one_error_line(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--component",
            missing.to_str().unwrap(),
        ],
        &dir.path().join("data"),
    );
    assert!(line.contains("cannot read component"), "{line}");
    assert!(line.contains("nowhere/api_component.wasm"), "{line}");
}

/// A file that is WebAssembly but not a component (a core module).
#[test]
fn core_module_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("core.wasm");
    std::fs::write(&path, wat::parse_str("(module)").unwrap()).unwrap();
    let line = one_error_line(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--component",
            path.to_str().unwrap(),
        ],
        &dir.path().join("data"),
    );
    assert!(
        line.contains("is a core WebAssembly module, not a component"),
        "{line}"
    );
}

/// The listen address is taken by another process.
#[test]
fn port_in_use_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let line = one_error_line(&["serve", "--listen", &addr], &dir.path().join("data"));
    assert!(line.contains(&format!("cannot listen on {addr}")), "{line}");
    assert!(
        line.to_lowercase().contains("address already in use"),
        "{line}"
    );
}

/// The data dir cannot be created (its parent is a file; running as root, permissions alone
/// would not stop us).
#[test]
fn unusable_data_dir_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let data = file.join("data");
    let line = one_error_line(&["serve", "--listen", "127.0.0.1:0"], &data);
    assert!(line.contains("cannot create data directory"), "{line}");
    assert!(line.contains("a-file/data"), "{line}");
}
