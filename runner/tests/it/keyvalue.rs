//! The host's `wasi:keyvalue` as the component sees it, one suite run against both backends:
//! SQLite in a data dir and a real Redis server. What the component relies on must hold on both;
//! where Spin's backends differ (how `get-many` reports a missing key, how a counter is
//! encoded), the suite asserts only what the component assumes.

use std::sync::Arc;

use runner::host::bindings::{atomics, batch, store};
use runner::host::keyvalue::{Backend, KeyValueCtx, KeyValueView};
use runner::host::redis_kv::RedisKv;
use runner::host::sqlite::Database;
use wasmtime::component::{Resource, ResourceTable};

use workspace_bins::redis::RedisServer;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs the suite on SQLite, and on Redis when a server could be started.
#[test]
fn sqlite_keeps_the_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::Sqlite(Database::open(dir.path()).unwrap());
    runtime().block_on(suite(backend));
}

#[test]
fn redis_keeps_the_semantics() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let rt = runtime();
    let backend = rt
        .block_on(async { Backend::Redis(Arc::new(RedisKv::connect(&server.url).await.unwrap())) });
    rt.block_on(suite(backend));
}

struct Kv {
    ctx: KeyValueCtx,
}

impl Kv {
    fn view<'a>(&'a self, table: &'a mut ResourceTable) -> KeyValueView<'a> {
        KeyValueView {
            ctx: &self.ctx,
            table,
        }
    }
}

async fn open(kv: &Kv, table: &mut ResourceTable) -> Resource<runner::host::keyvalue::Bucket> {
    let mut view = kv.view(table);
    store::Host::open(&mut view, "default".into())
        .await
        .unwrap()
        .unwrap()
}

async fn suite(backend: Backend) {
    let kv = Kv {
        ctx: KeyValueCtx::new(backend, vec!["default".into(), "other".into()]),
    };
    let mut table = ResourceTable::new();

    // Only the listed stores open, and of those only `default` exists.
    {
        let mut view = kv.view(&mut table);
        assert!(matches!(
            store::Host::open(&mut view, "secret".into()).await.unwrap(),
            Err(store::Error::AccessDenied)
        ));
        assert!(matches!(
            store::Host::open(&mut view, "other".into()).await.unwrap(),
            Err(store::Error::NoSuchStore)
        ));
    }

    // Values are bytes, any bytes.
    let b = open(&kv, &mut table).await;
    let mut view = kv.view(&mut table);
    let rep = || Resource::<runner::host::keyvalue::Bucket>::new_borrow(b.rep());
    let bytes = vec![0u8, 255, 10, 13, 0x80];
    assert_eq!(
        store::HostBucket::get(&mut view, rep(), "k".into())
            .await
            .unwrap()
            .unwrap(),
        None
    );
    store::HostBucket::set(&mut view, rep(), "k".into(), bytes.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store::HostBucket::get(&mut view, rep(), "k".into())
            .await
            .unwrap()
            .unwrap(),
        Some(bytes.clone())
    );
    assert!(
        store::HostBucket::exists(&mut view, rep(), "k".into())
            .await
            .unwrap()
            .unwrap()
    );
    store::HostBucket::delete(&mut view, rep(), "k".into())
        .await
        .unwrap()
        .unwrap();
    assert!(
        !store::HostBucket::exists(&mut view, rep(), "k".into())
            .await
            .unwrap()
            .unwrap()
    );
    store::HostBucket::delete(&mut view, rep(), "never-there".into())
        .await
        .unwrap()
        .expect("deleting a missing key is not an error");

    // Batches: set-many, get-many (every present key answered with its value; a missing one
    // absent or none, as the two Spin backends differ), delete-many.
    let entries: Vec<(String, Vec<u8>)> = (0..50)
        .map(|i| (format!("b/{i}"), format!("v{i}").into_bytes()))
        .collect();
    batch::Host::set_many(&mut view, rep(), entries.clone())
        .await
        .unwrap()
        .unwrap();
    let mut asked: Vec<String> = entries.iter().map(|(k, _)| k.clone()).rev().collect();
    asked.push("b/missing".into());
    let got = batch::Host::get_many(&mut view, rep(), asked.clone())
        .await
        .unwrap()
        .unwrap();
    for (k, v) in &entries {
        let found: Vec<_> = got.iter().filter(|(gk, _)| gk == k).collect();
        assert_eq!(found.len(), 1, "{k} answered once");
        assert_eq!(found[0].1.as_ref(), Some(v), "{k}");
    }
    assert!(got.iter().all(|(k, v)| k != "b/missing" || v.is_none()));
    let doomed: Vec<String> = entries.iter().take(25).map(|(k, _)| k.clone()).collect();
    batch::Host::delete_many(&mut view, rep(), doomed.clone())
        .await
        .unwrap()
        .unwrap();
    let got = batch::Host::get_many(&mut view, rep(), asked)
        .await
        .unwrap()
        .unwrap();
    let present: Vec<&String> = got
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| k)
        .collect();
    assert_eq!(present.len(), 25);
    assert!(present.iter().all(|k| !doomed.contains(k)));

    // Counters: start at zero, go both ways, read with a zero delta; a value written with
    // `set` is no counter.
    assert_eq!(
        atomics::Host::increment(&mut view, rep(), "n".into(), 5)
            .await
            .unwrap()
            .unwrap(),
        5
    );
    assert_eq!(
        atomics::Host::increment(&mut view, rep(), "n".into(), -7)
            .await
            .unwrap()
            .unwrap(),
        -2
    );
    assert_eq!(
        atomics::Host::increment(&mut view, rep(), "n".into(), 0)
            .await
            .unwrap()
            .unwrap(),
        -2
    );
    // Reading a counter that does not exist yet creates it at zero, as Spin does.
    assert_eq!(
        atomics::Host::increment(&mut view, rep(), "fresh".into(), 0)
            .await
            .unwrap()
            .unwrap(),
        0
    );
    assert!(
        store::HostBucket::exists(&mut view, rep(), "fresh".into())
            .await
            .unwrap()
            .unwrap()
    );
    store::HostBucket::set(&mut view, rep(), "text".into(), b"hello".to_vec())
        .await
        .unwrap()
        .unwrap();
    for delta in [1, 0] {
        assert!(
            atomics::Host::increment(&mut view, rep(), "text".into(), delta)
                .await
                .unwrap()
                .is_err(),
            "increment by {delta} of a value that is no counter"
        );
    }

    // Compare-and-swap sees a change made after it read.
    let cas = atomics::HostCas::new(&mut view, rep(), "c".into())
        .await
        .unwrap()
        .unwrap();
    atomics::Host::swap(&mut view, cas, b"1".to_vec())
        .await
        .unwrap()
        .expect("unchanged: swapped");
    let stale = atomics::HostCas::new(&mut view, rep(), "c".into())
        .await
        .unwrap()
        .unwrap();
    store::HostBucket::set(&mut view, rep(), "c".into(), b"2".to_vec())
        .await
        .unwrap()
        .unwrap();
    assert!(
        atomics::Host::swap(&mut view, stale, b"3".to_vec())
            .await
            .unwrap()
            .is_err()
    );
    assert_eq!(
        store::HostBucket::get(&mut view, rep(), "c".into())
            .await
            .unwrap()
            .unwrap(),
        Some(b"2".to_vec())
    );

    // `list-keys` answers everything at once and refuses a cursor, as Spin does.
    let listed = store::HostBucket::list_keys(&mut view, rep(), None)
        .await
        .unwrap()
        .unwrap();
    assert!(listed.keys.contains(&"b/49".to_string()) && listed.cursor.is_none());
    assert!(
        store::HostBucket::list_keys(&mut view, rep(), Some("x".into()))
            .await
            .unwrap()
            .is_err()
    );

    // Concurrent increments from many tasks never hand out a value twice.
    let ctx = kv.ctx.clone();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let ctx = ctx.clone();
            tokio::spawn(async move {
                let mut table = ResourceTable::new();
                let mut view = KeyValueView {
                    ctx: &ctx,
                    table: &mut table,
                };
                let bucket = store::Host::open(&mut view, "default".into())
                    .await
                    .unwrap()
                    .unwrap();
                let mut seen = Vec::new();
                for _ in 0..50 {
                    let r = Resource::<runner::host::keyvalue::Bucket>::new_borrow(bucket.rep());
                    seen.push(
                        atomics::Host::increment(&mut view, r, "race".into(), 1)
                            .await
                            .unwrap()
                            .unwrap(),
                    );
                }
                seen
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    assert_eq!(all, (1..=200).collect::<Vec<i64>>());
}
