//! `wasi:config/store@0.2.0-draft-2024-09-27`: the component's variables, resolved once at
//! start-up by [`crate::manifest`] (spin.toml defaults, `SPIN_VARIABLE_<NAME>` overrides).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::bindings::config_store;

/// The variables a component can read, by name.
#[derive(Clone, Debug, Default)]
pub struct ConfigCtx {
    values: Arc<BTreeMap<String, String>>,
}

impl ConfigCtx {
    pub fn new(values: BTreeMap<String, String>) -> Self {
        Self {
            values: Arc::new(values),
        }
    }
}

/// `HasData` marker for `add_to_linker`; the data is the context itself.
pub struct Config;

impl wasmtime::component::HasData for Config {
    type Data<'a> = &'a ConfigCtx;
}

/// Adds `wasi:config/store` to `linker`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    view: fn(&mut T) -> &ConfigCtx,
) -> wasmtime::Result<()> {
    config_store::add_to_linker::<T, Config>(linker, view)
}

impl config_store::Host for &ConfigCtx {
    fn get(
        &mut self,
        key: String,
    ) -> wasmtime::Result<Result<Option<String>, config_store::Error>> {
        Ok(Ok(self.values.get(&key).cloned()))
    }

    fn get_all(&mut self) -> wasmtime::Result<Result<Vec<(String, String)>, config_store::Error>> {
        Ok(Ok(self
            .values
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()))
    }
}
