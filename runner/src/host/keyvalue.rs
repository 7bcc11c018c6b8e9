//! `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2` on top of [`super::sqlite`] or
//! [`super::redis_kv`] (see [`Backend`]), with Spin's semantics: a component may open only the stores its manifest lists in `key_value_stores`
//! (anything else is `access-denied`); of those, only `default` exists here (the rest are
//! `no-such-store`). `list-keys` returns every key at once and refuses a cursor, as Spin does.

use std::sync::Arc;

use wasmtime::component::{Resource, ResourceTable};

use super::bindings::{atomics, batch, store};
use super::redis_kv::RedisKv;
use super::sqlite::{self, Database, Swap};

/// The one store this host provides, as Spin names its default store.
pub const DEFAULT_STORE: &str = "default";

/// Where the `default` store lives.
#[derive(Clone)]
pub enum Backend {
    /// Spin's SQLite layout in the data dir.
    Sqlite(Arc<Database>),
    /// A Redis server (the runtime config's `type = "redis"`).
    Redis(Arc<RedisKv>),
}

impl Backend {
    /// For the log: the database file or the server.
    pub fn describe(&self) -> String {
        match self {
            Backend::Sqlite(db) => db.path().display().to_string(),
            Backend::Redis(redis) => redis.describe(),
        }
    }
}

/// Per-host key-value state shared by every instance.
#[derive(Clone)]
pub struct KeyValueCtx {
    backend: Backend,
    allowed_stores: Arc<[String]>,
}

impl KeyValueCtx {
    /// `allowed_stores` is the component's `key_value_stores` from the manifest.
    pub fn new(backend: Backend, allowed_stores: Vec<String>) -> Self {
        Self {
            backend,
            allowed_stores: allowed_stores.into(),
        }
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }
}

/// An open store (`wasi:keyvalue/store.bucket`).
pub struct Bucket {
    store: String,
}

/// A compare-and-swap handle (`wasi:keyvalue/atomics.cas`): the value seen when it was made.
pub struct Cas {
    store: String,
    key: String,
    seen: Option<Vec<u8>>,
}

/// What the generated `Host` traits are implemented on: the shared context plus this
/// instance's resource table.
pub struct KeyValueView<'a> {
    pub ctx: &'a KeyValueCtx,
    pub table: &'a mut ResourceTable,
}

/// `HasData` marker for `add_to_linker`.
pub struct KeyValue;

impl wasmtime::component::HasData for KeyValue {
    type Data<'a> = KeyValueView<'a>;
}

/// Adds the three key-value interfaces to `linker`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    view: fn(&mut T) -> KeyValueView<'_>,
) -> wasmtime::Result<()> {
    store::add_to_linker::<T, KeyValue>(linker, view)?;
    atomics::add_to_linker::<T, KeyValue>(linker, view)?;
    batch::add_to_linker::<T, KeyValue>(linker, view)?;
    Ok(())
}

type KvResult<T> = wasmtime::Result<Result<T, store::Error>>;

fn to_guest_error(error: impl std::fmt::Display) -> store::Error {
    tracing::warn!(%error, "key-value operation failed");
    store::Error::Other(error.to_string())
}

impl KeyValueView<'_> {
    fn store_of(&self, bucket: &Resource<Bucket>) -> wasmtime::Result<String> {
        Ok(self.table.get(bucket)?.store.clone())
    }

    fn backend(&self) -> Backend {
        self.ctx.backend.clone()
    }
}

/// One operation on either backend, each given as a closure; errors become `error::other`.
/// (Free functions: the resource table is not `Sync`, so no `&self` may live across an await.)
async fn on_backend<R: Send + 'static, F>(
    backend: Backend,
    sqlite_op: impl FnOnce(&mut rusqlite::Connection) -> sqlite::DbResult<R> + Send + 'static,
    redis_op: impl FnOnce(Arc<RedisKv>) -> F,
) -> KvResult<R>
where
    F: Future<Output = redis::RedisResult<R>>,
{
    Ok(match backend {
        Backend::Sqlite(db) => db.run(sqlite_op).await.map_err(to_guest_error),
        Backend::Redis(redis) => redis_op(redis).await.map_err(to_guest_error),
    })
}

impl store::Host for KeyValueView<'_> {
    async fn open(&mut self, identifier: String) -> KvResult<Resource<Bucket>> {
        if !self.ctx.allowed_stores.contains(&identifier) {
            return Ok(Err(store::Error::AccessDenied));
        }
        if identifier != DEFAULT_STORE {
            return Ok(Err(store::Error::NoSuchStore));
        }
        Ok(Ok(self.table.push(Bucket { store: identifier })?))
    }
}

impl store::HostBucket for KeyValueView<'_> {
    async fn get(&mut self, bucket: Resource<Bucket>, key: String) -> KvResult<Option<Vec<u8>>> {
        let store = self.store_of(&bucket)?;
        let k = key.clone();
        on_backend(
            self.backend(),
            move |c| sqlite::get(c, &store, &k),
            |r| async move { r.get(&key).await },
        )
        .await
    }

    async fn set(&mut self, bucket: Resource<Bucket>, key: String, value: Vec<u8>) -> KvResult<()> {
        let store = self.store_of(&bucket)?;
        let (k, v) = (key.clone(), value.clone());
        on_backend(
            self.backend(),
            move |c| sqlite::set(c, &store, &k, &v),
            |r| async move { r.set(&key, &value).await },
        )
        .await
    }

    async fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> KvResult<()> {
        let store = self.store_of(&bucket)?;
        let k = key.clone();
        on_backend(
            self.backend(),
            move |c| sqlite::delete(c, &store, &k),
            |r| async move { r.delete(&key).await },
        )
        .await
    }

    async fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> KvResult<bool> {
        let store = self.store_of(&bucket)?;
        let k = key.clone();
        on_backend(
            self.backend(),
            move |c| sqlite::exists(c, &store, &k),
            |r| async move { r.exists(&key).await },
        )
        .await
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<String>,
    ) -> KvResult<store::KeyResponse> {
        if cursor.is_some() {
            return Ok(Err(store::Error::Other(
                "list-keys: cursor not supported".into(),
            )));
        }
        let store = self.store_of(&bucket)?;
        let keys = on_backend(
            self.backend(),
            move |c| sqlite::list_keys(c, &store),
            |r| async move { r.list_keys().await },
        )
        .await?;
        Ok(keys.map(|keys| store::KeyResponse { keys, cursor: None }))
    }

    async fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl batch::Host for KeyValueView<'_> {
    async fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> KvResult<Vec<(String, Option<Vec<u8>>)>> {
        let store = self.store_of(&bucket)?;
        if keys.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        let k = keys.clone();
        on_backend(
            self.backend(),
            move |c| sqlite::get_many(c, &store, k),
            |r| async move { r.get_many(keys).await },
        )
        .await
    }

    async fn set_many(
        &mut self,
        bucket: Resource<Bucket>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> KvResult<()> {
        let store = self.store_of(&bucket)?;
        if key_values.is_empty() {
            return Ok(Ok(()));
        }
        let kv = key_values.clone();
        on_backend(
            self.backend(),
            move |c| sqlite::set_many(c, &store, &kv),
            |r| async move { r.set_many(&key_values).await },
        )
        .await
    }

    async fn delete_many(&mut self, bucket: Resource<Bucket>, keys: Vec<String>) -> KvResult<()> {
        let store = self.store_of(&bucket)?;
        if keys.is_empty() {
            return Ok(Ok(()));
        }
        let k = keys.clone();
        on_backend(
            self.backend(),
            move |c| sqlite::delete_many(c, &store, &k),
            |r| async move { r.delete_many(&keys).await },
        )
        .await
    }
}

impl atomics::Host for KeyValueView<'_> {
    async fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: i64,
    ) -> KvResult<i64> {
        let store = self.store_of(&bucket)?;
        let k = key.clone();
        on_backend(
            self.backend(),
            move |c| sqlite::increment(c, &store, &k, delta),
            |r| async move { r.increment(&key, delta).await },
        )
        .await
    }

    async fn swap(
        &mut self,
        cas: Resource<Cas>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let Cas { store, key, seen } = self.table.delete(cas)?;
        let outcome = match self.backend() {
            Backend::Sqlite(db) => {
                let (store, key) = (store.clone(), key.clone());
                db.run(move |c| sqlite::compare_and_swap(c, &store, &key, seen.as_deref(), &value))
                    .await
                    .map_err(to_guest_error)
            }
            Backend::Redis(redis) => redis
                .compare_and_swap(&key, seen.as_deref(), &value)
                .await
                .map_err(to_guest_error),
        };
        Ok(match outcome {
            Ok(Swap::Done) => Ok(()),
            Ok(Swap::Conflict(now)) => {
                let retry = self.table.push(Cas {
                    store,
                    key,
                    seen: now,
                })?;
                Err(atomics::CasError::CasFailed(retry))
            }
            Err(error) => Err(atomics::CasError::StoreError(error)),
        })
    }
}

impl atomics::HostCas for KeyValueView<'_> {
    async fn new(&mut self, bucket: Resource<Bucket>, key: String) -> KvResult<Resource<Cas>> {
        let store = self.store_of(&bucket)?;
        let seen = {
            let (store, key) = (store.clone(), key.clone());
            let k = key.clone();
            let read = on_backend(
                self.backend(),
                move |c| sqlite::get(c, &store, &k),
                |r| async move { r.get(&key).await },
            );
            match read.await? {
                Ok(seen) => seen,
                Err(error) => return Ok(Err(error)),
            }
        };
        Ok(Ok(self.table.push(Cas { store, key, seen })?))
    }

    async fn current(&mut self, cas: Resource<Cas>) -> KvResult<Option<Vec<u8>>> {
        Ok(Ok(self.table.get(&cas)?.seen.clone()))
    }

    async fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}
