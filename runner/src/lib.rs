//! The Claude Workflow Manager host: serves the api-component (embedded in the binary) over
//! HTTP with wasmtime, providing exactly the world in `wit/`, with state in Spin's SQLite
//! key-value layout so `spin up` and `runner` can take turns on the same data.
//!
//! # Layout
//! - [`cli`]: `runner serve` / `runner up` flags and environment variables → [`Settings`].
//! - [`settings`]: the settings [`run`] takes, however they were given.
//! - [`manifest`]: variables and key-value stores from `spin.toml` (or its embedded copy).
//! - [`host`]: the wasmtime side: engine and linker ([`host::linker`]), the world check,
//!   component loading and its compiled-code cache, `wasi:keyvalue` on SQLite, `wasi:config`,
//!   and the HTTP server ([`host::serve`]).
//! - [`embedded`]: the component bytes and `wit/` files the build script embeds.
//! - [`logging`], [`shutdown`]: process plumbing used by `main`.
//!
//! [`run`] prepares everything (and fails with one readable line if anything is wrong) before
//! it listens, then runs the server — and, under `up`, the tasks added beside it — until the
//! shutdown future resolves.

pub mod cli;
pub mod embedded;
pub mod host;
pub mod logging;
pub mod manifest;
pub mod settings;
pub mod shutdown;

use std::path::Path;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::host::SharedState;
use crate::host::config::ConfigCtx;
use crate::host::keyvalue::KeyValueCtx;
use crate::host::serve::Server;
use crate::host::sqlite::Database;
use crate::manifest::{ComponentSettings, EMBEDDED_SPIN_TOML, Manifest};
pub use crate::settings::{Role, Settings};

/// Manifest looked for in the working directory when none is given.
pub const DEFAULT_MANIFEST: &str = "spin.toml";

/// Runs the host until `shutdown` resolves, then shuts down gracefully.
///
/// Prints `listening on http://ADDR` to stdout once the server accepts connections.
pub async fn run(
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (server, listener) = prepare(&settings).await?;
    let addr = host::serve::local_addr(&listener)?;
    println!("listening on http://{addr}");

    let stop = CancellationToken::new();
    let trigger = stop.clone();
    tokio::spawn(async move {
        shutdown.await;
        trigger.cancel();
    });

    let mut tasks = JoinSet::new();
    tasks.spawn(server.run(listener, stop.clone()));
    if settings.role == Role::Up {
        // The job worker joins the server here, on the same `stop` token.
    }

    let mut outcome = Ok(());
    while let Some(finished) = tasks.join_next().await {
        let result = finished.unwrap_or_else(|join| Err(anyhow::anyhow!("task panicked: {join}")));
        if let Err(error) = result {
            stop.cancel();
            outcome = outcome.and(Err(error));
        }
    }
    tracing::info!("stopped");
    outcome
}

/// Validates every setting and builds the server. Nothing is logged until everything has
/// succeeded, so a failure is the one line `main` prints. The port is bound before the
/// component is compiled: a port in use fails fast, and early clients wait in the backlog.
async fn prepare(settings: &Settings) -> anyhow::Result<(Server, TcpListener)> {
    let (component_settings, manifest) = load_component_settings(settings.manifest.as_deref())?;
    let db = Database::open(&settings.data_dir)?;
    let listener = host::serve::bind(settings.listen)?;

    let engine = host::engine(settings.limits.max_concurrent_requests)?;
    let cache_dir = settings.cache_dir();
    let wasm = settings.component.clone();
    let (component, loaded) = tokio::task::spawn_blocking(move || {
        host::component::load(&engine, wasm.as_deref(), &cache_dir)
    })
    .await??;

    tracing::info!(
        addr = %host::serve::local_addr(&listener)?,
        manifest,
        component = component_settings.id,
        database = %db.path().display(),
        instances = ?settings.instances,
        %loaded,
        "serving"
    );
    let shared = SharedState {
        keyvalue: KeyValueCtx::new(db, component_settings.key_value_stores),
        config: ConfigCtx::new(component_settings.variables),
    };
    let server = Server::new(&component, shared, settings.instances, settings.limits)?;
    Ok((server, listener))
}

/// The HTTP component's settings, and where they came from.
fn load_component_settings(manifest: Option<&Path>) -> anyhow::Result<(ComponentSettings, String)> {
    let (text, origin) = match manifest {
        Some(path) => (read_manifest(path)?, path.display().to_string()),
        None if Path::new(DEFAULT_MANIFEST).is_file() => (
            read_manifest(Path::new(DEFAULT_MANIFEST))?,
            DEFAULT_MANIFEST.to_owned(),
        ),
        None => (
            EMBEDDED_SPIN_TOML.to_owned(),
            "the embedded spin.toml".to_owned(),
        ),
    };
    let settings = Manifest::parse(&text, &origin)?
        .component_settings(|name| std::env::var(name).ok())
        .with_context(|| format!("in {origin}"))?;
    Ok((settings, origin))
}

fn read_manifest(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read manifest {}", path.display()))
}

/// An error and its causes on one line (`outer: inner: root`), for stderr and logs.
pub fn one_line(error: &dyn std::fmt::Display) -> String {
    let text = format!("{error:#}");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
