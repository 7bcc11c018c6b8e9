//! The Claude Workflow Manager host: serves the api-component (embedded in the binary) over
//! HTTP with wasmtime, providing exactly the world in `wit/`, with state in Spin's SQLite
//! key-value layout so `spin up` and `runner` can take turns on the same data.
//!
//! # Layout
//! - [`cli`]: `runner serve` / `work` / `up` flags and environment variables → [`cli::Mode`].
//! - [`work`] and the worker half of `up`: the `worker` crate's job loop.
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
    let (server, listener, worker) = prepare(&settings).await?;
    let addr = host::serve::local_addr(&listener)?;
    println!("listening on http://{addr}");

    let stop = CancellationToken::new();
    let mut tasks = JoinSet::new();
    tasks.spawn(server.run(listener, stop.clone()));
    // Under `up` the server outlives the worker: a draining or aborting worker still reports
    // its jobs to it. The server stops after the first signal once the worker is done, or at
    // once if the worker fails: a host whose jobs cannot run must not look as if it serves.
    let worker_done = CancellationToken::new();
    match worker {
        Some(prepared) => {
            let done = worker_done.clone();
            let worker_shutdown =
                worker::Shutdown::on_signals().context("installing signal handlers")?;
            tasks.spawn(async move {
                let outcome = prepared
                    .run(worker_shutdown)
                    .await
                    .context("the job worker stopped");
                done.cancel();
                outcome
            });
        }
        None => worker_done.cancel(),
    }
    let trigger = stop.clone();
    tokio::spawn(async move {
        shutdown.await;
        worker_done.cancelled().await;
        trigger.cancel();
    });

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

/// `runner work`: the job worker alone, against the API in `--api` / `CWM_API`.
pub async fn work(args: cli::WorkArgs) -> anyhow::Result<()> {
    let (api, token) = args.api.resolve()?;
    let config = args.worker.config(api, token);
    let shutdown = worker::Shutdown::on_signals().context("installing signal handlers")?;
    worker::run(config, shutdown).await?;
    Ok(())
}

/// The work dir of `up` when none is given: inside its data dir, so two hosts on two data dirs
/// never share one (and `work`'s per-user default stays free for a `runner work`).
pub const UP_WORKDIR: &str = "worker";

/// The in-process worker of `up`: this server's address and token, then the worker's flags and
/// variables.
fn up_worker_config(
    args: &worker::WorkerArgs,
    addr: std::net::SocketAddr,
    token: &str,
    data_dir: &Path,
) -> anyhow::Result<worker::WorkerConfig> {
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        addr.ip().to_string()
    };
    let api = worker::parse_api(&format!("http://{host}:{}", addr.port()))?;
    let mut config = args.config(api, token);
    if args.workdir.is_none() {
        config.workdir = data_dir.join(UP_WORKDIR);
    }
    // The server's state is no business of the jobs it runs.
    config.sandbox_hide.push(data_dir.to_path_buf());
    Ok(config)
}

/// A fresh random runner token, for `up` when none is configured.
fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("no randomness for a runner token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Validates every setting and builds the server and, under `up`, the worker. Nothing is logged
/// until everything has succeeded, so a failure is the one line `main` prints. The port is
/// bound before the component is compiled: a port in use fails fast, and early clients wait in
/// the backlog. The worker is prepared (its work dir locked) right after: a worker that cannot
/// start stops `up` before it serves anything.
async fn prepare(
    settings: &Settings,
) -> anyhow::Result<(Server, TcpListener, Option<worker::Prepared>)> {
    let (mut component_settings, manifest) = load_component_settings(settings.manifest.as_deref())?;
    let token = component_settings
        .variables
        .get("runner_token")
        .cloned()
        .unwrap_or_default();
    let token = if token.is_empty() && settings.role == Role::Up {
        let token = random_token()?;
        component_settings
            .variables
            .insert("runner_token".to_owned(), token.clone());
        token
    } else {
        token
    };
    let db = Database::open(&settings.data_dir)?;
    let listener = host::serve::bind(settings.listen)?;
    let worker = match (&settings.role, &settings.worker) {
        (Role::Up, Some(args)) => {
            let addr = host::serve::local_addr(&listener)?;
            let config = up_worker_config(args, addr, &token, &settings.data_dir)?;
            Some(worker::prepare(config).context("the job worker cannot start")?)
        }
        _ => None,
    };

    // The runner lane admits its own requests on top of the general pool.
    let engine = host::engine(
        settings
            .limits
            .max_concurrent_requests
            .saturating_add(settings.limits.runner_requests),
    )?;
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
    Ok((server, listener, worker))
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
