//! Byte strings larger than one store value: split into numbered chunks of at most
//! [`CHUNK_BYTES`] under a key prefix (`{prefix}/{i}`), so values stay under the 1 MB limit of
//! hosted key-value stores.

use crate::store::{Store, StoreResult};

/// Largest value written for one chunk.
pub const CHUNK_BYTES: usize = 512 * 1024;

/// Keys of the `count` chunks under `prefix`.
pub fn chunk_keys(prefix: &str, count: u32) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}/{i}")).collect()
}

/// The entries that store `bytes` under `prefix`, and how many chunks they are.
pub fn chunk_entries(prefix: &str, bytes: &[u8]) -> (Vec<(String, Vec<u8>)>, u32) {
    let entries: Vec<(String, Vec<u8>)> = bytes
        .chunks(CHUNK_BYTES)
        .enumerate()
        .map(|(i, c)| (format!("{prefix}/{i}"), c.to_vec()))
        .collect();
    let count = entries.len() as u32;
    (entries, count)
}

/// Reads `count` chunks back; `None` if any is missing (deleted or not yet written).
pub fn read(store: &dyn Store, prefix: &str, count: u32) -> StoreResult<Option<Vec<u8>>> {
    let chunks = store.get_many(&chunk_keys(prefix, count))?;
    if chunks.iter().any(Option::is_none) {
        return Ok(None);
    }
    Ok(Some(chunks.into_iter().flatten().flatten().collect()))
}
