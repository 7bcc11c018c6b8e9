//! The embedded host: a wasmtime [`Engine`], a [`Linker`] that provides exactly the world in
//! `wit/`, and the per-instance [`HostState`] behind it.
//!
//! - [`component`] loads, checks and compiles the component (with a machine-code cache);
//! - [`world_check`] refuses a component that imports anything outside `wit/`;
//! - [`keyvalue`] + [`sqlite`] implement `wasi:keyvalue` on Spin's SQLite layout;
//! - [`config`] implements `wasi:config` from the manifest's variables;
//! - [`outbound`] sends the component's outgoing HTTP to `allowed_outbound_hosts` only;
//! - [`serve`] accepts HTTP connections and hands requests to component instances.

pub mod bindings;
pub mod component;
pub mod config;
pub mod keyvalue;
pub mod outbound;
pub mod redis_kv;
pub mod serve;
pub mod sqlite;
pub mod world_check;

use std::sync::Arc;

use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttp, WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use self::config::ConfigCtx;
use self::keyvalue::{KeyValueCtx, KeyValueView};
use self::outbound::{AllowedHosts, OutboundHttp};

/// State shared by every instance: the database, the component's settings, and where its
/// outgoing requests may go.
#[derive(Clone)]
pub struct SharedState {
    pub keyvalue: KeyValueCtx,
    pub config: ConfigCtx,
    pub outbound: Arc<AllowedHosts>,
}

/// What one component instance owns (the `T` of its `Store<T>`).
pub struct HostState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: OutboundHttp,
    keyvalue: KeyValueCtx,
    config: ConfigCtx,
}

impl HostState {
    /// A fresh state: no arguments, no environment, no preopened directories, no sockets,
    /// outgoing HTTP only to `allowed_outbound_hosts`; the guest's stdout and stderr go to the
    /// host's.
    pub fn new(shared: &SharedState) -> Self {
        let wasi = WasiCtxBuilder::new()
            .inherit_stdout()
            .inherit_stderr()
            .build();
        Self {
            table: ResourceTable::new(),
            wasi,
            http: WasiHttpCtx::new(),
            hooks: OutboundHttp {
                allowed: shared.outbound.clone(),
            },
            keyvalue: shared.keyvalue.clone(),
            config: shared.config.clone(),
        }
    }

    /// A store for one instance.
    pub fn new_store(engine: &Engine, shared: &SharedState) -> Store<HostState> {
        Store::new(engine, HostState::new(shared))
    }

    fn keyvalue(&mut self) -> KeyValueView<'_> {
        KeyValueView {
            ctx: &self.keyvalue,
            table: &mut self.table,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl wasmtime_wasi_io::IoView for HostState {
    fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// A linker providing exactly the imports of the world `api-component` in `wit/`.
pub fn linker(engine: &Engine) -> wasmtime::Result<Linker<HostState>> {
    use wasmtime_wasi::cli::{WasiCli, WasiCliView as _};
    use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView as _};
    use wasmtime_wasi::random::{WasiRandom, WasiRandomView as _};
    use wasmtime_wasi::{p2::bindings as p2, p3::bindings as p3};

    let mut linker = Linker::new(engine);
    let l = &mut linker;

    // wasi:http/types@0.3.0 and the client (the handler export is called, not linked).
    wasmtime_wasi_http::p3::bindings::http::types::add_to_linker::<_, WasiHttp>(
        l,
        HostState::http,
    )?;
    wasmtime_wasi_http::p3::bindings::http::client::add_to_linker::<_, WasiHttp>(
        l,
        HostState::http,
    )?;

    // WASIp3 clocks and random.
    p3::clocks::types::add_to_linker::<_, WasiClocks>(l, |h| h.clocks())?;
    p3::clocks::monotonic_clock::add_to_linker::<_, WasiClocks>(l, |h| h.clocks())?;
    p3::clocks::system_clock::add_to_linker::<_, WasiClocks>(l, |h| h.clocks())?;
    p3::random::random::add_to_linker::<_, WasiRandom>(l, |h| h.random())?;

    // What Rust's standard library links on wasm32-wasip2 (WASIp2 io, clocks, random, cli).
    wasmtime_wasi_io::add_to_linker_async(l)?;
    p2::clocks::wall_clock::add_to_linker::<_, WasiClocks>(l, |h| h.clocks())?;
    p2::clocks::monotonic_clock::add_to_linker::<_, WasiClocks>(l, |h| h.clocks())?;
    p2::random::random::add_to_linker::<_, WasiRandom>(l, |h| h.random())?;
    p2::random::insecure_seed::add_to_linker::<_, WasiRandom>(l, |h| h.random())?;
    p2::cli::environment::add_to_linker::<_, WasiCli>(l, |h| h.cli())?;
    p2::cli::exit::add_to_linker::<_, WasiCli>(l, |h| h.cli())?;
    p2::cli::stdin::add_to_linker::<_, WasiCli>(l, |h| h.cli())?;
    p2::cli::stdout::add_to_linker::<_, WasiCli>(l, |h| h.cli())?;
    p2::cli::stderr::add_to_linker::<_, WasiCli>(l, |h| h.cli())?;
    p2::cli::terminal_input::add_to_linker::<_, WasiCli>(l, |h| h.cli())?;
    p2::cli::terminal_output::add_to_linker::<_, WasiCli>(l, |h| h.cli())?;
    p2::cli::terminal_stdin::add_to_linker::<_, WasiCli>(l, |h| h.cli())?;
    p2::cli::terminal_stdout::add_to_linker::<_, WasiCli>(l, |h| h.cli())?;
    p2::cli::terminal_stderr::add_to_linker::<_, WasiCli>(l, |h| h.cli())?;

    // State and settings, implemented here.
    keyvalue::add_to_linker(l, HostState::keyvalue)?;
    config::add_to_linker(l, |h| &h.config)?;
    Ok(linker)
}

/// The engine: Cranelift, component model with async (WASIp3), and the pooling allocator sized
/// for `max_instances` live instances (falling back to on-demand allocation where the address
/// space is too small for the pool).
pub fn engine(max_instances: usize) -> anyhow::Result<Engine> {
    let mut config = wasmtime::Config::new();
    config
        .wasm_component_model(true)
        .wasm_component_model_async(true);
    let pooled = {
        let mut pool = wasmtime::PoolingAllocationConfig::default();
        let instances = u32::try_from(max_instances).unwrap_or(u32::MAX).max(16);
        pool.total_component_instances(instances)
            .total_core_instances(instances.saturating_mul(4))
            .total_memories(instances.saturating_mul(2))
            .total_tables(instances.saturating_mul(4))
            // A fiber stack per in-flight guest task, with room for host-side calls.
            .total_stacks(instances.saturating_mul(2))
            // Room for 16 concurrent requests per instance each buffering an 8 MB upload.
            .max_memory_size(1 << 30);
        let mut pooled = config.clone();
        pooled.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        Engine::new(&pooled)
    };
    match pooled {
        Ok(engine) => Ok(engine),
        Err(error) => {
            tracing::warn!(error = %crate::one_line(&error), "pooling allocator unavailable; allocating on demand");
            Engine::new(&config).map_err(|e| anyhow::anyhow!("cannot create the wasm engine: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use wasmtime::component::Component;
    use wit_component::{ComponentEncoder, StringEncoding};
    use wit_parser::{LiftLowerAbi, ManglingAndAbi};

    /// A component importing every interface of the world in wit/ links: the linker provides
    /// the whole world (the start-up check makes sure a component asks for nothing more).
    #[test]
    fn linker_provides_every_import_of_the_world() {
        let (resolve, world) = super::world_check::load_world().unwrap();
        let abi = ManglingAndAbi::Legacy(LiftLowerAbi::AsyncCallback);
        let mut module = wit_component::dummy_module(&resolve, world, abi);
        wit_component::embed_component_metadata(
            &mut module,
            &resolve,
            world,
            StringEncoding::UTF8,
            false,
        )
        .unwrap();
        let wasm = ComponentEncoder::default()
            .module(&module)
            .unwrap()
            .validate(true)
            .encode()
            .unwrap();
        super::world_check::check(&wasm).unwrap();

        let engine = super::engine(16).unwrap();
        let component = Component::new(&engine, &wasm).unwrap();
        let linker = super::linker(&engine).unwrap();
        linker.instantiate_pre(&component).unwrap();
    }
}
