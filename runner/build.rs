//! Makes the `runner` binary self-contained: it builds `api-component` for `wasm32-wasip2`
//! (release, the same command as `spin build`) and writes `$OUT_DIR/embedded.rs`, which
//! `src/embedded.rs` includes. That file embeds the component bytes and every `.wit` file under
//! `wit/` with `include_bytes!`/`include_str!`, so an installed binary needs nothing on disk.
//!
//! # What keeps rebuilds fast
//! - This script re-runs only when an input of the component changes (`rerun-if-changed` on
//!   `api-component/{src,Cargo.toml,build.rs}`, `static/`, `wit/`, `Cargo.lock`) or when
//!   `CWM_COMPONENT_WASM` changes; editing the runner's own code never rebuilds the component.
//! - The nested cargo keeps its own target dir, `<target>/component`, next to the outer build's
//!   profile dirs. It persists, so after the first build the nested cargo only recompiles
//!   `api-component` itself (its dependencies stay compiled), and a no-op run takes well under a
//!   second. A separate dir is required anyway: the outer cargo holds the lock on its own.
//! - The nested cargo joins the outer build's jobserver (`CARGO_MAKEFLAGS` is passed through), so
//!   the two never oversubscribe the machine.
//! - `CWM_COMPONENT_WASM=/path/api_component.wasm` skips the nested build and embeds that file
//!   (CI builds the component once and reuses it).
//!
//! # A fresh machine
//! `rust-toolchain.toml` pins the toolchain and lists `wasm32-wasip2`, so rustup installs both when
//! the pinned toolchain is missing. When the toolchain is there but the target is not (rustup
//! does not add targets to an installed toolchain), this script notices before anything is
//! compiled for wasm, adds the target with rustup if rustup manages this toolchain, and otherwise
//! fails at once with the command that fixes it.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Environment variable naming a prebuilt component to embed instead of building one.
const COMPONENT_WASM_ENV: &str = "CWM_COMPONENT_WASM";
/// File name cargo gives the component.
const COMPONENT_FILE: &str = "api_component.wasm";
/// The target the component is built for.
const WASM_TARGET: &str = "wasm32-wasip2";
/// Variables the outer build sets that must not leak into the nested wasm build: flags meant for
/// the native target, a target dir whose lock the outer build holds, a clippy driver.
const LEAKY_ENV: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_ENCODED_RUSTDOCFLAGS",
    "RUSTDOCFLAGS",
    "__CARGO_FIX_PLZ",
    "CARGO_PRIMARY_PACKAGE",
];

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir
        .parent()
        .expect("runner/ lives in the workspace")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));

    println!("cargo:rerun-if-env-changed={COMPONENT_WASM_ENV}");
    let wasm = match env::var_os(COMPONENT_WASM_ENV) {
        Some(path) if !path.is_empty() => {
            let path = PathBuf::from(path);
            println!("cargo:rerun-if-changed={}", path.display());
            path
        }
        _ => build_component(&workspace, &out_dir),
    };
    let wasm = fs::canonicalize(&wasm)
        .unwrap_or_else(|e| panic!("component {} is not readable: {e}", wasm.display()));

    let wit_dir = workspace.join("wit");
    let mut wit_files = Vec::new();
    collect_wit_files(&wit_dir, &wit_dir, &mut wit_files);
    wit_files.sort();

    fs::write(
        out_dir.join("embedded.rs"),
        render(&wasm, &wit_dir, &wit_files),
    )
    .expect("write embedded.rs");
}

/// Runs `cargo build -p api-component --target wasm32-wasip2 --release` in a target dir of its
/// own and returns the path of the built `.wasm`.
fn build_component(workspace: &Path, out_dir: &Path) -> PathBuf {
    for input in [
        "api-component/src",
        "api-component/Cargo.toml",
        "api-component/build.rs",
        "static",
        "wit",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", workspace.join(input).display());
    }

    ensure_wasm_target();
    let target_dir = outer_target_dir(out_dir).join("component");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args([
            "build",
            "-p",
            "api-component",
            "--target",
            WASM_TARGET,
            "--release",
        ])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for var in LEAKY_ENV {
        cmd.env_remove(var);
    }
    // Profile overrides meant for the native runner (say, no LTO for a faster build) must not
    // change the component: it stays byte-for-byte what `spin build` makes.
    for (var, _) in env::vars_os() {
        if var
            .to_str()
            .is_some_and(|v| v.starts_with("CARGO_PROFILE_"))
        {
            cmd.env_remove(var);
        }
    }
    let output = cmd
        .output()
        .expect("could not start cargo for the nested component build");
    if !output.status.success() {
        // Cargo shows a build script's stderr only when it fails, which is exactly when it helps.
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        panic!(
            "building api-component for wasm32-wasip2 failed (see above). Is the target \
             installed (`rustup target add wasm32-wasip2`)? To embed a prebuilt component \
             instead, set {COMPONENT_WASM_ENV}=/path/to/{COMPONENT_FILE}."
        );
    }
    target_dir
        .join(WASM_TARGET)
        .join("release")
        .join(COMPONENT_FILE)
}

/// Makes sure the compiler building this crate has the standard library for [`WASM_TARGET`].
fn ensure_wasm_target() {
    if has_wasm_target() {
        return;
    }
    let fix = format!("rustup target add {WASM_TARGET}");
    // Set by rustup's proxies: the toolchain that runs this build, which may be the pinned one.
    let Some(toolchain) = env::var_os("RUSTUP_TOOLCHAIN") else {
        panic!(
            "the Rust standard library for {WASM_TARGET} is not installed for this compiler; \
             install it (with rustup: `{fix}`), or set {COMPONENT_WASM_ENV}=/path/to/{COMPONENT_FILE}"
        );
    };
    println!(
        "cargo:warning=adding the {WASM_TARGET} target to toolchain {} (rustup target add)",
        toolchain.to_string_lossy()
    );
    let status = Command::new("rustup")
        .args(["target", "add", WASM_TARGET, "--toolchain"])
        .arg(&toolchain)
        .status();
    match status {
        Ok(status) if status.success() && has_wasm_target() => {}
        Ok(status) => panic!(
            "`rustup target add {WASM_TARGET}` failed ({status}); run `{fix}` and build again"
        ),
        Err(e) => panic!("could not run rustup ({e}); run `{fix}` and build again"),
    }
}

/// Whether the compiler cargo uses (`RUSTC`) has the target's standard library in its sysroot.
fn has_wasm_target() -> bool {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .expect("could not run rustc --print sysroot");
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    Path::new(&sysroot)
        .join("lib/rustlib")
        .join(WASM_TARGET)
        .join("lib")
        .is_dir()
}

/// The outer build's target dir, found from `OUT_DIR` (`<target>/[<triple>/]<profile>/build/
/// <pkg>-<hash>/out`), so that the nested build follows `CARGO_TARGET_DIR` and `--target-dir`.
fn outer_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "build"))
        .and_then(|build| build.parent()?.parent())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out_dir.join("nested"))
}

/// Every `.wit` file under `dir`, as paths relative to `root`.
fn collect_wit_files(root: &Path, dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("read wit/ entry").path();
        if path.is_dir() {
            collect_wit_files(root, &path, files);
        } else if path.extension().is_some_and(|ext| ext == "wit") {
            files.push(path.strip_prefix(root).expect("under root").to_path_buf());
        }
    }
}

fn render(wasm: &Path, wit_dir: &Path, wit_files: &[PathBuf]) -> String {
    let mut src = String::new();
    writeln!(
        src,
        "/// The api-component, as built by the runner's build script."
    )
    .unwrap();
    writeln!(
        src,
        "pub const COMPONENT_WASM: &[u8] = include_bytes!({:?});",
        wasm
    )
    .unwrap();
    writeln!(
        src,
        "/// Every `.wit` file of the repository's `wit/`, as (relative path, text)."
    )
    .unwrap();
    writeln!(src, "pub const WIT_FILES: &[(&str, &str)] = &[").unwrap();
    for file in wit_files {
        let relative = file.to_str().expect("UTF-8 wit path").replace('\\', "/");
        writeln!(
            src,
            "    ({relative:?}, include_str!({:?})),",
            wit_dir.join(file)
        )
        .unwrap();
    }
    writeln!(src, "];").unwrap();
    src
}
