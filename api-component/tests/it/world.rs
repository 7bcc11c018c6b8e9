//! The built component imports nothing outside the world declared in `wit/`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The release `.wasm`, from `CWM_COMPONENT_WASM` or built here (into `target/component`, the
/// directory the runner's build script also uses, so the two share one build).
fn component_wasm() -> PathBuf {
    if let Some(path) = std::env::var_os("CWM_COMPONENT_WASM") {
        // Relative to the workspace, as the runner's build script reads it.
        return workspace().join(path);
    }
    let target_dir = workspace().join("target/component");
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "-p",
            "api-component",
            "--target",
            "wasm32-wasip2",
            "--release",
            "--target-dir",
        ])
        .arg(&target_dir)
        .current_dir(workspace())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .expect("run cargo");
    assert!(status.success(), "building the component failed");
    target_dir.join("wasm32-wasip2/release/api_component.wasm")
}

fn world() -> (wit_parser::Resolve, wit_parser::WorldId) {
    let mut resolve = wit_parser::Resolve::default();
    let (pkg, _) = resolve
        .push_dir(workspace().join("wit"))
        .expect("wit/ parses");
    let world = resolve
        .select_world(&[pkg], Some("api-component"))
        .expect("world api-component");
    (resolve, world)
}

#[test]
fn built_component_fits_the_declared_world() {
    let wasm = std::fs::read(component_wasm()).expect("read the built component");
    let (resolve, world) = world();
    wit_component::targets(&resolve, world, &wasm, true)
        .unwrap_or_else(|e| panic!("the component does not fit wit/world.wit: {e:?}"));
}

#[test]
fn the_check_refuses_an_import_outside_the_world() {
    // Same component, checked against a world missing one interface it uses.
    let wasm = std::fs::read(component_wasm()).expect("read the built component");
    let (mut resolve, world) = world();
    let key = resolve.worlds[world]
        .imports
        .keys()
        .find(|k| resolve.name_world_key(k) == "wasi:keyvalue/batch@0.2.0-draft2")
        .cloned()
        .expect("world imports batch");
    resolve.worlds[world].imports.shift_remove(&key);
    let err = wit_component::targets(&resolve, world, &wasm, true).expect_err("must be refused");
    assert!(
        format!("{err:?}").contains("wasi:keyvalue/batch"),
        "{err:?}"
    );
}
