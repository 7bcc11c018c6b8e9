//! Recreating the search index from the documents, in bounded steps
//! (`POST /api/search/rebuild`): for stores written before the index existed, or by an older
//! index format. Each step walks the collections' listing slots upwards (oldest write first, so
//! the index's newest-first order follows the writes), indexes the live documents whose record
//! does not name their current version in the current format, and returns a cursor to go on
//! from. Documents already indexed cost two reads, so running it again is cheap and safe;
//! writes made meanwhile index themselves.

pub use protocol::admin::RebuildStep;

use super::{Documents, meta_key, parse_meta};
use crate::names::Collection;
use crate::search::index::{self, DocTerms, INDEX_FORMAT};
use crate::store::{Store, StoreResult};

/// Listing slots one step looks at, at most.
pub const STEP_SLOTS: i64 = 500;
/// Documents one step indexes, at most (each reads its content and writes its postings).
pub const STEP_DOCUMENTS: u64 = 50;

/// Where a rebuild goes on: a collection (its place in [`Collection::ALL`]) and its next
/// listing slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RebuildCursor {
    pub collection: usize,
    pub slot: i64,
}

impl RebuildCursor {
    pub const START: RebuildCursor = RebuildCursor {
        collection: 0,
        slot: 1,
    };

    pub fn parse(raw: &str) -> Option<RebuildCursor> {
        let (c, slot) = raw.split_once('.')?;
        let cursor = RebuildCursor {
            collection: c.parse().ok()?,
            slot: slot.parse().ok()?,
        };
        (cursor.collection < Collection::ALL.len() && cursor.slot > 0).then_some(cursor)
    }
}

impl std::fmt::Display for RebuildCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.collection, self.slot)
    }
}

/// One step from `cursor`.
pub fn step(store: &dyn Store, cursor: RebuildCursor) -> StoreResult<RebuildStep> {
    let mut out = RebuildStep::default();
    let mut at = cursor;
    let mut budget = STEP_SLOTS;
    while at.collection < Collection::ALL.len() && budget > 0 {
        let collection = Collection::ALL[at.collection];
        let top = store.increment(&Documents::new(store, collection).slot_counter_key(), 0)?;
        if at.slot > top {
            at = RebuildCursor {
                collection: at.collection + 1,
                slot: 1,
            };
            continue;
        }
        let last = top.min(at.slot + budget.min(100) - 1);
        let stopped = walk(store, collection, (at.slot, last), &mut out)?;
        let end = stopped.unwrap_or(last);
        budget -= end - at.slot + 1;
        at.slot = end + 1;
        if stopped.is_some() {
            break;
        }
    }
    out.done = at.collection >= Collection::ALL.len();
    out.next_cursor = (!out.done).then(|| at.to_string());
    Ok(out)
}

/// Indexes what needs it among the documents listed in slots `from..=to`; `Some(slot)` if it
/// stopped after that slot because the step's [`STEP_DOCUMENTS`] were indexed.
fn walk(
    store: &dyn Store,
    collection: Collection,
    (from, to): (i64, i64),
    out: &mut RebuildStep,
) -> StoreResult<Option<i64>> {
    let docs = Documents::new(store, collection);
    let slots: Vec<i64> = (from..=to).collect();
    let keys: Vec<String> = slots.iter().map(|s| docs.slot_key(*s)).collect();
    let listed: Vec<(i64, String)> = slots
        .into_iter()
        .zip(store.get_many(&keys)?)
        .filter_map(|(slot, name)| Some((slot, String::from_utf8(name?).ok()?)))
        .collect();
    let keys: Vec<String> = listed
        .iter()
        .flat_map(|(_, name)| [meta_key(collection, name), index::doc_key(collection, name)])
        .collect();
    let values = store.get_many(&keys)?;
    for ((slot, _), pair) in listed.into_iter().zip(values.chunks(2)) {
        // Only the slot the document's metadata points back at lists it.
        let Some(meta) = pair[0]
            .as_deref()
            .and_then(parse_meta)
            .filter(|m| m.slot == slot)
        else {
            continue;
        };
        let record: Option<DocTerms> = pair[1]
            .as_deref()
            .and_then(|raw| serde_json::from_slice(raw).ok());
        if record.is_some_and(|r| r.generation == meta.generation && r.v == INDEX_FORMAT) {
            out.current += 1;
            continue;
        }
        let Some(content) = docs.content(&meta)? else {
            // Replaced meanwhile: the write that replaced it indexed it.
            continue;
        };
        super::search::index(store, collection, &meta, &content)?;
        out.indexed += 1;
        if out.indexed == STEP_DOCUMENTS {
            return Ok(Some(slot));
        }
    }
    Ok(None)
}
