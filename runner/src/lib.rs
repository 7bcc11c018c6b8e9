//! The Claude Workflow Manager host: serves the api-component (embedded in the binary) over
//! HTTP with wasmtime, providing exactly the world in `wit/`, with state in Spin's SQLite
//! key-value layout so `spin up` and `runner` can take turns on the same data.
//!
//! # Layout
//! - [`cli`]: `runner serve` / `work` / `up` flags and environment variables → [`cli::Mode`].
//! - [`work`] and the worker half of `up`: the `worker` crate's job loop.
//! - [`index`]: `runner index rebuild`, the search index recreated through a running API.
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
pub mod index;
pub mod logging;
pub mod manifest;
pub mod runtime_config;
pub mod settings;
pub mod shutdown;

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::host::SharedState;
use crate::host::config::ConfigCtx;
use crate::host::keyvalue::{Backend, KeyValueCtx};
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
    let (server, listener, worker, admin) = prepare(&settings).await?;
    let addr = host::serve::local_addr(&listener)?;
    println!("listening on http://{addr}");

    let stop = CancellationToken::new();
    let mut tasks = JoinSet::new();
    tasks.spawn(server.run(listener, stop.clone()));
    // `up` is someone's own machine; `serve` prints a link only when it made the token itself
    // (an operator who set one signs in with it).
    if let Some((token, own)) = admin
        && (own || settings.role == Role::Up)
    {
        tokio::spawn(print_sign_in_link(addr, token));
    }
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

/// Where `serve` and `up` keep the admin token they made when none is configured.
pub const ADMIN_TOKEN_FILE: &str = "admin-token";

/// The admin token from `<data-dir>/admin-token`, made (mode 0600) on first start. The
/// component is locked by default, and this is the way in for whoever runs the host.
fn admin_token_file(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join(ADMIN_TOKEN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    let token = random_token()?;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    write_private(&path, &token).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(token)
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, format!("{text}\n"))
}

/// Asks the API just started for a one-time sign-in link and prints it, so that the operator's
/// browser opens signed in as admin. Failing is not fatal: the admin token still works.
async fn print_sign_in_link(addr: std::net::SocketAddr, admin_token: String) {
    let host = if addr.ip().is_unspecified() {
        format!("127.0.0.1:{}", addr.port())
    } else {
        addr.to_string()
    };
    let answer = async {
        let resp = reqwest::Client::new()
            .post(format!("http://{host}/api/auth/signin-links"))
            .bearer_auth(&admin_token)
            .send()
            .await?
            .error_for_status()?;
        let body: serde_json::Value = resp.json().await?;
        anyhow::Ok(body["url"].as_str().unwrap_or_default().to_owned())
    };
    match answer.await {
        Ok(url) if !url.is_empty() => println!("sign-in link: {url}"),
        Ok(_) => tracing::warn!("no sign-in link in the API's answer"),
        Err(e) => tracing::warn!(error = %one_line(&e), "cannot make a sign-in link"),
    }
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
/// start stops `up` before it serves anything. Also returns the admin token, if auth is on, and
/// whether it is the host's own (from `<data-dir>/admin-token`).
async fn prepare(
    settings: &Settings,
) -> anyhow::Result<(
    Server,
    TcpListener,
    Option<worker::Prepared>,
    Option<(String, bool)>,
)> {
    let (mut component_settings, manifest) = load_component_settings(settings.manifest.as_deref())?;
    let locked = component_settings.variables.get("auth").map(String::as_str) != Some("off");
    let admin = match component_settings.variables.get("admin_token") {
        Some(t) if !t.is_empty() => Some((t.clone(), false)),
        _ if locked => {
            let token = admin_token_file(&settings.data_dir)?;
            component_settings
                .variables
                .insert("admin_token".to_owned(), token.clone());
            Some((token, true))
        }
        _ => None,
    };
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
    let store = match &settings.runtime_config {
        Some(path) => runtime_config::load(path)?,
        None => runtime_config::StoreConfig::Sqlite(None),
    };
    let backend = match store {
        runtime_config::StoreConfig::Sqlite(None) => {
            Backend::Sqlite(Database::open(&settings.data_dir)?)
        }
        runtime_config::StoreConfig::Sqlite(Some(file)) => {
            Backend::Sqlite(Database::open_file(&file)?)
        }
        runtime_config::StoreConfig::Redis { url } => {
            Backend::Redis(Arc::new(host::redis_kv::RedisKv::connect(&url).await?))
        }
    };
    let (outbound, outbound_warnings) =
        host::outbound::AllowedHosts::parse(&component_settings.allowed_outbound_hosts)
            .with_context(|| format!("in {manifest}"))?;
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

    for warning in outbound_warnings {
        tracing::warn!("{warning}");
    }
    tracing::info!(
        addr = %host::serve::local_addr(&listener)?,
        manifest,
        component = component_settings.id,
        store = %backend.describe(),
        instances = ?settings.instances,
        %loaded,
        outbound = ?outbound.describe(),
        "serving"
    );
    let shared = SharedState {
        keyvalue: KeyValueCtx::new(backend, component_settings.key_value_stores),
        config: ConfigCtx::new(component_settings.variables),
        outbound: Arc::new(outbound),
    };
    let server = Server::new(&component, shared, settings.instances, settings.limits)?;
    Ok((server, listener, worker, admin))
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
