//! Host-side bindings for the two interface families this crate implements itself:
//! `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2` and `wasi:config/store@0.2.0-draft-2024-09-27`,
//! generated from the repository's `wit/` (the same files the component is built against).
//! Everything else in the world comes from `wasmtime-wasi` and `wasmtime-wasi-http`.

wasmtime::component::bindgen!({
    inline: "
        package cwm:runner-host;

        world storage-and-settings {
            import wasi:keyvalue/store@0.2.0-draft2;
            import wasi:keyvalue/atomics@0.2.0-draft2;
            import wasi:keyvalue/batch@0.2.0-draft2;
            import wasi:config/store@0.2.0-draft-2024-09-27;
        }
    ",
    path: "../wit",
    // Key-value calls run SQLite on the blocking pool; settings are answered from memory.
    imports: {
        "wasi:config/store": trappable,
        default: async | trappable,
    },
    with: {
        "wasi:keyvalue/store.bucket": crate::host::keyvalue::Bucket,
        "wasi:keyvalue/atomics.cas": crate::host::keyvalue::Cas,
    },
});

pub use wasi::config::store as config_store;
pub use wasi::keyvalue::{atomics, batch, store};
