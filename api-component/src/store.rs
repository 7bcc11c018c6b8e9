//! The storage seam: a small key-value trait shaped like `wasi:keyvalue` (store, atomics, batch),
//! with an in-memory implementation for native tests. The wasm entry point adapts the real
//! `wasi:keyvalue` bucket to it; nothing else in the crate knows which store it talks to.
//!
//! Deliberately absent: compare-and-swap and key listing. Spin's CAS is unsafe on Redis and SQLite
//! and `list-keys` scans the whole store, so the API never needs either (see `documents`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A failure reported by the underlying store; its text is logged, never shown to clients.
#[derive(Debug, thiserror::Error)]
#[error("key-value store: {0}")]
pub struct StoreError(pub String);

pub type StoreResult<T> = Result<T, StoreError>;

/// The operations the API uses, one-to-one with `wasi:keyvalue` store/atomics/batch functions.
pub trait Store {
    fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    fn set(&self, key: &str, value: &[u8]) -> StoreResult<()>;
    fn delete(&self, key: &str) -> StoreResult<()>;
    /// Atomically adds `delta` to the integer stored at `key` (missing counts as 0) and returns
    /// the new value. The one primitive used to decide races.
    fn increment(&self, key: &str, delta: i64) -> StoreResult<i64>;
    /// Values for `keys`, one per key asked (a key asked twice is answered twice), in the same
    /// order, `None` where absent.
    fn get_many(&self, keys: &[String]) -> StoreResult<Vec<Option<Vec<u8>>>>;
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> StoreResult<()>;
    fn delete_many(&self, keys: &[String]) -> StoreResult<()>;
}

/// A process-local store for tests and benchmarks.
#[derive(Default)]
pub struct MemoryStore {
    map: Mutex<HashMap<String, Vec<u8>>>,
    /// Keys and value bytes read so far (`get`, `get_many`), for tests of what a request costs.
    keys_read: AtomicU64,
    bytes_read: AtomicU64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys held; lets tests check that failed requests wrote nothing.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `(keys, bytes)` read so far by `get` and `get_many`, found or not.
    pub fn reads(&self) -> (u64, u64) {
        (
            self.keys_read.load(Ordering::Relaxed),
            self.bytes_read.load(Ordering::Relaxed),
        )
    }

    fn count_read<'a>(&self, values: impl IntoIterator<Item = &'a Option<Vec<u8>>>) {
        for v in values {
            self.keys_read.fetch_add(1, Ordering::Relaxed);
            let len = v.as_ref().map_or(0, Vec::len) as u64;
            self.bytes_read.fetch_add(len, Ordering::Relaxed);
        }
    }

    /// Every key, sorted: for test assertions only (the API itself never lists keys).
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.lock().keys().cloned().collect();
        keys.sort();
        keys
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<u8>>> {
        // A panic while holding the lock cannot leave the map half-written, so poison is harmless.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let value = self.lock().get(key).cloned();
        self.count_read([&value]);
        Ok(value)
    }

    fn set(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        self.lock().insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> StoreResult<()> {
        self.lock().remove(key);
        Ok(())
    }

    fn increment(&self, key: &str, delta: i64) -> StoreResult<i64> {
        let mut map = self.lock();
        let current = match map.get(key) {
            None => 0,
            Some(bytes) => decode_counter(bytes)?,
        };
        let next = current.wrapping_add(delta);
        map.insert(key.to_owned(), next.to_le_bytes().to_vec());
        Ok(next)
    }

    fn get_many(&self, keys: &[String]) -> StoreResult<Vec<Option<Vec<u8>>>> {
        let map = self.lock();
        let values: Vec<_> = keys.iter().map(|k| map.get(k).cloned()).collect();
        drop(map);
        self.count_read(&values);
        Ok(values)
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> StoreResult<()> {
        let mut map = self.lock();
        for (k, v) in entries {
            map.insert(k.clone(), v.clone());
        }
        Ok(())
    }

    fn delete_many(&self, keys: &[String]) -> StoreResult<()> {
        let mut map = self.lock();
        for k in keys {
            map.remove(k);
        }
        Ok(())
    }
}

/// A list in the store, which cannot list keys: a counter `{name}/n` and numbered slots
/// `{name}/s/{i}` from 1. [`Slots::push`] takes the next number atomically, so concurrent
/// writers never share a slot; a reader may meet a slot whose value is not written yet and skips
/// it.
#[derive(Clone, Copy, Debug)]
pub struct Slots {
    name: &'static str,
}

impl Slots {
    pub const fn new(name: &'static str) -> Self {
        Slots { name }
    }

    pub fn counter_key(&self) -> String {
        format!("{}/n", self.name)
    }

    pub fn slot_key(&self, i: i64) -> String {
        format!("{}/s/{i}", self.name)
    }

    /// How many slots were taken.
    pub fn len(&self, store: &dyn Store) -> StoreResult<i64> {
        store.increment(&self.counter_key(), 0)
    }

    /// Appends `value`; returns its number.
    pub fn push(&self, store: &dyn Store, value: &[u8]) -> StoreResult<i64> {
        let i = store.increment(&self.counter_key(), 1)?;
        store.set(&self.slot_key(i), value)?;
        Ok(i)
    }

    /// The written slots numbered `from..=to`, in that order.
    pub fn read(&self, store: &dyn Store, from: i64, to: i64) -> StoreResult<Vec<(i64, Vec<u8>)>> {
        let numbers: Vec<i64> = (from.max(1)..=to).collect();
        let keys: Vec<String> = numbers.iter().map(|i| self.slot_key(*i)).collect();
        Ok(numbers
            .into_iter()
            .zip(store.get_many(&keys)?)
            .filter_map(|(i, v)| Some((i, v?)))
            .collect())
    }

    /// Slots `from..=to` hold ids; the JSON records `record_key(id)` names, in slot order
    /// (`newest_first` reverses it). Records that are missing or do not parse are skipped.
    pub fn records<T: serde::de::DeserializeOwned>(
        &self,
        store: &dyn Store,
        (from, to): (i64, i64),
        newest_first: bool,
        record_key: impl Fn(&str) -> String,
    ) -> StoreResult<Vec<T>> {
        let mut ids = self.read(store, from, to)?;
        if newest_first {
            ids.reverse();
        }
        let keys: Vec<String> = ids
            .iter()
            .map(|(_, id)| record_key(&String::from_utf8_lossy(id)))
            .collect();
        read_json(store, &keys)
    }
}

/// The JSON values stored at `keys`, in that order; keys that are missing or do not parse are
/// left out.
pub fn read_json<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    keys: &[String],
) -> StoreResult<Vec<T>> {
    Ok(store
        .get_many(keys)?
        .into_iter()
        .flatten()
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect())
}

/// One page of a newest-first listing over numbered slots: walks down from `top` in batches
/// (twice what is still wanted, 16 to 500), asking `live(from, to)` what the slots `from..=to`
/// still stand for, highest first, until `limit` items or `max_slots` slots beyond a page were
/// read. Returns the items and the cursor of the next page (the highest slot not consumed;
/// `None` at the bottom).
pub fn page_down<T>(
    top: i64,
    limit: usize,
    max_slots: i64,
    mut live: impl FnMut(i64, i64) -> StoreResult<Vec<(i64, T)>>,
) -> StoreResult<(Vec<T>, Option<String>)> {
    let floor = (top - max_slots - limit as i64).max(0);
    let mut items = Vec::with_capacity(limit);
    let mut next = top;
    while next > floor && items.len() < limit {
        let batch = ((limit - items.len()) as i64 * 2)
            .clamp(16, 500)
            .min(next - floor);
        let from = next - batch + 1;
        let found = live(from, next)?;
        next = from - 1;
        for (slot, item) in found {
            if items.len() == limit {
                next = slot;
                break;
            }
            items.push(item);
        }
    }
    Ok((items, (next > 0).then(|| next.to_string())))
}

/// A short stand-in for text that may be too long (or hold any character) for a key: the first
/// 32 hex digits of its SHA-256. Keys stay under the 256 bytes hosted stores allow.
pub fn key_digest(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A decimal number written with `set` (a time, a position: not a counter), if `key` holds one.
pub fn read_number(store: &dyn Store, key: &str) -> StoreResult<Option<i64>> {
    Ok(store
        .get(key)?
        .and_then(|b| String::from_utf8(b).ok()?.parse().ok()))
}

/// Whether a periodic pass whose last start is recorded at `key` is due at `now_ms` (at least
/// `every_ms` later, or the clock went back); if so, records `now_ms` as its start. Concurrent
/// callers may both see it due: the passes it gates are safe to run twice.
pub fn due(store: &dyn Store, key: &str, now_ms: i64, every_ms: i64) -> StoreResult<bool> {
    let last = read_number(store, key)?.unwrap_or(0);
    if (0..every_ms).contains(&(now_ms - last)) {
        return Ok(false);
    }
    store.set(key, now_ms.to_string().as_bytes())?;
    Ok(true)
}

/// How the in-memory store (and Spin's SQLite backend) encode a counter: 8 little-endian bytes.
/// Redis keeps a decimal string instead, so the API never reads a counter with `get`; it reads
/// one with `increment(key, 0)`, which every backend answers the same way.
pub fn decode_counter(bytes: &[u8]) -> StoreResult<i64> {
    let arr: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError(format!("counter holds {} bytes, expected 8", bytes.len())))?;
    Ok(i64::from_le_bytes(arr))
}

/// A host's store as the component uses it: with `batch_reads` off (the `kv_batch_reads`
/// setting) its `get-many` is never called, since Spin's Redis backend traps the instance on it;
/// [`Store::get_many`] is then one `get` per key, so a page still costs a bounded number of
/// calls, only more of them. Every other call goes through unchanged.
pub struct Backend<S> {
    pub store: S,
    pub batch_reads: bool,
}

impl<S: Store> Store for Backend<S> {
    fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.store.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        self.store.set(key, value)
    }
    fn delete(&self, key: &str) -> StoreResult<()> {
        self.store.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> StoreResult<i64> {
        self.store.increment(key, delta)
    }
    fn get_many(&self, keys: &[String]) -> StoreResult<Vec<Option<Vec<u8>>>> {
        if self.batch_reads {
            self.store.get_many(keys)
        } else {
            keys.iter().map(|k| self.store.get(k)).collect()
        }
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> StoreResult<()> {
        self.store.set_many(entries)
    }
    fn delete_many(&self, keys: &[String]) -> StoreResult<()> {
        self.store.delete_many(keys)
    }
}

/// Puts a `wasi:keyvalue` `get-many` answer in the shape [`Store::get_many`] promises. Hosts
/// differ: some omit absent keys, some answer in another order, some answer a repeated key once.
pub fn in_asked_order(
    keys: &[String],
    found: Vec<(String, Option<Vec<u8>>)>,
) -> Vec<Option<Vec<u8>>> {
    let mut by_key: HashMap<String, Option<Vec<u8>>> = found.into_iter().collect();
    let mut asked: HashMap<&str, usize> = HashMap::new();
    for k in keys {
        *asked.entry(k.as_str()).or_default() += 1;
    }
    // Values move out on a key's last occurrence; only a repeated key is copied.
    keys.iter()
        .map(|k| {
            let left = asked.get_mut(k.as_str()).expect("counted above");
            *left -= 1;
            if *left == 0 {
                by_key.remove(k).flatten()
            } else {
                by_key.get(k).cloned().flatten()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn memory_get_many_answers_every_key_asked() {
        let store = MemoryStore::new();
        store.set("a", b"1").unwrap();
        store.set("b", b"2").unwrap();
        let got = store.get_many(&keys(&["b", "a", "missing", "b"])).unwrap();
        assert_eq!(
            got,
            vec![
                Some(b"2".to_vec()),
                Some(b"1".to_vec()),
                None,
                Some(b"2".to_vec())
            ]
        );
    }

    #[test]
    fn host_answers_are_put_in_the_asked_order() {
        let asked = keys(&["b", "a", "missing", "b"]);
        // Out of order, the absent key left out and the repeated key answered once.
        let found = vec![
            ("a".to_string(), Some(b"1".to_vec())),
            ("b".to_string(), Some(b"2".to_vec())),
        ];
        let store = MemoryStore::new();
        store.set("a", b"1").unwrap();
        store.set("b", b"2").unwrap();
        assert_eq!(
            in_asked_order(&asked, found),
            store.get_many(&asked).unwrap(),
            "the adapter and the in-memory store must answer alike"
        );
        // A host that lists absent keys with `None` gives the same.
        let with_absent = vec![
            ("missing".to_string(), None),
            ("b".to_string(), Some(b"2".to_vec())),
            ("a".to_string(), Some(b"1".to_vec())),
            ("b".to_string(), Some(b"2".to_vec())),
        ];
        assert_eq!(
            in_asked_order(&asked, with_absent),
            store.get_many(&asked).unwrap()
        );
    }
}
