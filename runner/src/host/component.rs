//! Loading the component: read it (embedded, or `--component PATH`), refuse anything that is not
//! a component fitting the world in `wit/`, and compile it to machine code.
//!
//! # Machine-code cache
//! Compiling the ~1.5 MB component with Cranelift takes seconds on a small machine (see
//! `docs/host.md` for the figures); loading the same code back takes milliseconds. So the
//! compiled code is kept in `<data-dir>/cache/api-component-<key>.cwasm`, written with
//! [`Component::serialize`] and loaded with [`Component::deserialize_file`] (memory-mapped). The
//! key hashes the component's bytes and the engine's compatibility hash (wasmtime version and
//! compilation settings), so a new component or a new runner never loads stale code; entries for
//! other keys are removed when a new one is written. A cache that cannot be written only costs
//! the next start-up its compile time. We chose this over wasmtime's own cache (`cache` feature)
//! because it needs no separate configuration file or directory outside the data dir, keeps one
//! entry instead of a growing directory, and its behaviour fits in this file.

use std::borrow::Cow;
use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use sha2::Digest as _;
use wasmtime::Engine;
use wasmtime::component::Component;

use super::world_check;

/// Default subdirectory of the data dir holding compiled code.
pub const CACHE_DIR: &str = "cache";
const CACHE_PREFIX: &str = "api-component-";
const CACHE_SUFFIX: &str = ".cwasm";

/// How the component's machine code was obtained, for the start-up log line.
#[derive(Debug, Clone, Copy)]
pub enum Loaded {
    FromCache(Duration),
    Compiled(Duration),
}

impl std::fmt::Display for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Loaded::FromCache(took) => write!(f, "from cache in {took:.1?}"),
            Loaded::Compiled(took) => write!(f, "compiled in {took:.1?}"),
        }
    }
}

/// Reads, checks and compiles the component (`path`, or the embedded one when `None`), using
/// and filling the machine-code cache in `cache_dir`.
pub fn load(
    engine: &Engine,
    path: Option<&Path>,
    cache_dir: &Path,
) -> anyhow::Result<(Component, Loaded)> {
    let (bytes, origin) = read(path)?;
    if !wasmparser::Parser::is_component(&bytes) {
        if wasmparser::Parser::is_core_wasm(&bytes) {
            bail!("{origin} is a core WebAssembly module, not a component");
        }
        bail!("{origin} is not a WebAssembly component");
    }
    world_check::check(&bytes).with_context(|| format!("{origin} cannot be served"))?;
    compile_cached(engine, &bytes, cache_dir).with_context(|| format!("{origin} does not compile"))
}

fn read(path: Option<&Path>) -> anyhow::Result<(Cow<'static, [u8]>, String)> {
    match path {
        None => Ok((
            Cow::Borrowed(crate::embedded::COMPONENT_WASM),
            "the embedded component".into(),
        )),
        Some(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read component {}", path.display()))?;
            Ok((Cow::Owned(bytes), format!("component {}", path.display())))
        }
    }
}

/// Loads compiled code from the cache, or compiles and stores it.
fn compile_cached(
    engine: &Engine,
    bytes: &[u8],
    cache_dir: &Path,
) -> anyhow::Result<(Component, Loaded)> {
    let cached = cache_dir.join(format!(
        "{CACHE_PREFIX}{}{CACHE_SUFFIX}",
        cache_key(engine, bytes)
    ));
    let started = Instant::now();
    if cached.is_file() {
        // SAFETY: the file was written by `Component::serialize` below, into a directory only
        // this host writes, under a key that includes the engine's compatibility hash; wasmtime
        // additionally checks the header and refuses code from another version or config.
        match unsafe { Component::deserialize_file(engine, &cached) } {
            Ok(component) => return Ok((component, Loaded::FromCache(started.elapsed()))),
            Err(error) => {
                tracing::warn!(path = %cached.display(), %error, "ignoring unusable cache entry")
            }
        }
    }
    let component = Component::new(engine, bytes)?;
    let loaded = Loaded::Compiled(started.elapsed());
    if let Err(error) = store(&component, cache_dir, &cached) {
        tracing::warn!(dir = %cache_dir.display(), error = %crate::one_line(&error), "could not cache compiled component");
    }
    Ok((component, loaded))
}

fn store(component: &Component, cache_dir: &Path, target: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(cache_dir)?;
    let code = component.serialize()?;
    // Write then rename, so a concurrent start-up never maps a half-written file.
    let partial = target.with_extension(format!("{}.partial", std::process::id()));
    std::fs::write(&partial, code)?;
    std::fs::rename(&partial, target)?;
    for stale in stale_entries(cache_dir, target)? {
        let _ = std::fs::remove_file(stale);
    }
    Ok(())
}

fn stale_entries(cache_dir: &Path, keep: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(cache_dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with(CACHE_PREFIX) && name.ends_with(CACHE_SUFFIX) && path != keep {
            stale.push(path);
        }
    }
    Ok(stale)
}

/// Hex digest of the component bytes and the engine's compatibility hash.
fn cache_key(engine: &Engine, bytes: &[u8]) -> String {
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    let mut digest = sha2::Sha256::new();
    digest.update(bytes);
    digest.update(engine_hash.finish().to_le_bytes());
    digest.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
