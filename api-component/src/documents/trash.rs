//! The trash: a deleted document leaves its collection's listing but keeps its versions for
//! `trash_days`, listed by `GET /api/trash` and brought back by
//! `POST /api/trash/{collection}/{name}/restore`.
//!
//! Keys: `trash/e/{c}/{name}` is the JSON [`TrashEntry`] of the name's latest deletion;
//! `trash/n` and `trash/s/{slot}` ([`Slots`]) list deletions newest first, a slot counting only
//! while the entry points back at it (as the documents' index does). A janitor walks the slots
//! from the oldest (`trash/oldest`), at most [`SWEEP_BATCH`] per pass and one pass per
//! [`SWEEP_EVERY_MS`] (`trash/swept`), inside deletes, trash listings and claim passes: an
//! entry past `trash_days` goes with its versions and their counter (a later document of that
//! name starts again at version 1), unless a document of that name exists again (then the
//! versions are that document's history and it prunes them).

use serde::{Deserialize, Serialize};

use super::versions::{Source, Write};
use super::{DocError, DocMeta, DocResult, Documents, Precondition, rfc3339};
use crate::Ctx;
use crate::names::{Collection, DocName};
use crate::store::{Slots, StoreResult, page_down};

const SLOTS: Slots = Slots::new("trash");
const OLDEST_KEY: &str = "trash/oldest";
const SWEPT_KEY: &str = "trash/swept";
/// Slots one janitor pass looks at.
const SWEEP_BATCH: i64 = 16;
/// Least time between two janitor passes.
const SWEEP_EVERY_MS: i64 = 10_000;
/// Slots one listing request reads at most before it returns a (possibly short) page.
const MAX_SLOTS_PER_PAGE: i64 = 2_000;

/// What is kept about a deleted document.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct TrashEntry {
    collection: String,
    name: String,
    title: String,
    size: u64,
    /// The version that was current when it was deleted: what a restore brings back.
    version: u64,
    deleted_ms: i64,
    deleted_by: String,
    slot: i64,
}

/// A deleted document as `GET /api/trash` lists it.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrashItem {
    /// `brand-data`, `briefs` or `drafts`.
    pub collection: String,
    pub name: String,
    pub title: String,
    pub size: u64,
    /// The version a restore brings back.
    pub version: u64,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub deleted_at: String,
    pub deleted_by: String,
    /// When the janitor removes it for good (`trash_days` after the deletion).
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub purge_at: String,
}

/// `GET /api/trash`: newest deletion first.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrashPage {
    pub items: Vec<TrashItem>,
    /// Pass back as `cursor` for the next page; `null` at the end.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_cursor: Option<String>,
}

fn entry_key(collection: &str, name: &str) -> String {
    format!("trash/e/{collection}/{name}")
}

fn read_entry(store: &dyn crate::store::Store, key: &str) -> StoreResult<Option<TrashEntry>> {
    Ok(store
        .get(key)?
        .and_then(|raw| serde_json::from_slice(&raw).ok()))
}

impl Documents<'_> {
    /// Records `meta`'s deletion (content written before versions cannot be restored, so it
    /// is not kept).
    pub(super) fn to_trash(&self, meta: &DocMeta, (now_ms, by): (i64, &str)) -> StoreResult<()> {
        if meta.version == 0 {
            return Ok(());
        }
        let slot = SLOTS.push(
            self.store,
            format!("{}/{}", self.collection.segment(), meta.name).as_bytes(),
        )?;
        let entry = TrashEntry {
            collection: self.collection.segment().to_owned(),
            name: meta.name.clone(),
            title: meta.title.clone(),
            size: meta.size,
            version: meta.version,
            deleted_ms: now_ms,
            deleted_by: by.to_owned(),
            slot,
        };
        self.store.set(
            &entry_key(self.collection.segment(), &meta.name),
            &serde_json::to_vec(&entry).unwrap_or_default(),
        )
    }

    /// Brings `name` back from the trash as a new version of the one that was deleted: 404
    /// if it is not in the trash, 409 if a document of that name exists again.
    pub fn restore_from_trash(&self, ctx: &Ctx, name: &DocName, by: &str) -> DocResult<DocMeta> {
        let segment = self.collection.segment();
        let key = entry_key(segment, name.as_str());
        let not_in_trash = || DocError::NotFound {
            collection: self.collection,
            name: format!("{name} in the trash"),
        };
        let entry = read_entry(self.store, &key)?.ok_or_else(not_in_trash)?;
        if self.meta(name)?.is_some() {
            return Err(DocError::Conflict {
                name: name.to_string(),
                why: "a document of that name exists again; delete or rename it first",
            });
        }
        let content = self
            .version_content(name.as_str(), entry.version)?
            .ok_or_else(not_in_trash)?;
        let write = Write::new(ctx, by, Source::Restore(entry.version));
        let max = ctx.settings.max_document_bytes.max(content.len() as u64);
        let (_, meta) = self.put(name, &content, max, &Precondition::None, &write)?;
        self.store.delete_many(&[key, SLOTS.slot_key(entry.slot)])?;
        Ok(meta)
    }
}

/// `GET /api/trash?limit=&cursor=`: deleted documents not yet purged, newest deletion first.
pub fn list(ctx: &Ctx, limit: usize, cursor: Option<i64>) -> StoreResult<TrashPage> {
    sweep_if_due(ctx)?;
    let top = match cursor {
        Some(c) => c,
        None => SLOTS.len(ctx.store)?,
    };
    let keep_ms = ctx.settings.trash_ms();
    // Entries past `trash_days` are hidden at once; the janitor removes them soon after.
    let (items, next_cursor) = page_down(top, limit, MAX_SLOTS_PER_PAGE, |from, to| {
        let slots = SLOTS.read(ctx.store, from, to)?;
        Ok(live(ctx, slots)?
            .into_iter()
            .rev()
            .filter(|(_, e)| e.deleted_ms + keep_ms > ctx.now_ms)
            .map(|(slot, e)| {
                let item = TrashItem {
                    collection: e.collection,
                    name: e.name,
                    title: e.title,
                    size: e.size,
                    version: e.version,
                    deleted_at: rfc3339(e.deleted_ms),
                    deleted_by: e.deleted_by,
                    purge_at: rfc3339(e.deleted_ms + keep_ms),
                };
                (slot, item)
            })
            .collect())
    })?;
    Ok(TrashPage { items, next_cursor })
}

/// The entries that `slots` (ascending) still stand for, in that order.
fn live(ctx: &Ctx, slots: Vec<(i64, Vec<u8>)>) -> StoreResult<Vec<(i64, TrashEntry)>> {
    let keys: Vec<String> = slots
        .iter()
        .map(|(_, target)| {
            let target = String::from_utf8_lossy(target);
            let (c, n) = target.split_once('/').unwrap_or_default();
            entry_key(c, n)
        })
        .collect();
    Ok(slots
        .into_iter()
        .zip(ctx.store.get_many(&keys)?)
        .filter_map(|((slot, _), raw)| {
            let entry: TrashEntry = serde_json::from_slice(&raw?).ok()?;
            (entry.slot == slot).then_some((slot, entry))
        })
        .collect())
}

/// A janitor pass if the last one was [`SWEEP_EVERY_MS`] ago or more.
pub fn sweep_if_due(ctx: &Ctx) -> StoreResult<usize> {
    if !crate::store::due(ctx.store, SWEPT_KEY, ctx.now_ms, SWEEP_EVERY_MS)? {
        return Ok(0);
    }
    sweep(ctx)
}

/// Purges, oldest deletion first, the entries past `trash_days` among the next
/// [`SWEEP_BATCH`] slots, stopping at the first that must stay. Returns how many went.
pub fn sweep(ctx: &Ctx) -> StoreResult<usize> {
    let newest = SLOTS.len(ctx.store)?;
    let oldest = crate::store::read_number(ctx.store, OLDEST_KEY)?
        .unwrap_or(1)
        .clamp(1, newest + 1);
    let last = newest.min(oldest + SWEEP_BATCH - 1);
    if last < oldest {
        return Ok(0);
    }
    let slots = SLOTS.read(ctx.store, oldest, last)?;
    let live = live(ctx, slots.clone())?;
    let cutoff = ctx.now_ms - ctx.settings.trash_ms();
    let mut next = last + 1;
    let mut purged = 0;
    let mut doomed: Vec<String> = Vec::new();
    for slot in oldest..=last {
        match live.iter().find(|(s, _)| *s == slot) {
            Some((_, entry)) if entry.deleted_ms > cutoff => {
                next = slot;
                break;
            }
            Some((_, entry)) => {
                purge(ctx, entry)?;
                purged += 1;
            }
            // Restored, deleted again later, or never written (a deleter that died).
            None => {}
        }
        doomed.push(SLOTS.slot_key(slot));
    }
    ctx.store.delete_many(&doomed)?;
    ctx.store.set(OLDEST_KEY, next.to_string().as_bytes())?;
    Ok(purged)
}

/// Removes a deleted document for good: its entry and, unless the name is in use again, its
/// versions.
fn purge(ctx: &Ctx, entry: &TrashEntry) -> StoreResult<()> {
    let Some(collection) = Collection::from_segment(&entry.collection) else {
        return ctx.store.delete(&entry_key(&entry.collection, &entry.name));
    };
    let docs = Documents::new(ctx.store, collection);
    let in_use = match DocName::parse(collection, &entry.name) {
        Ok(name) => docs.meta(&name).map_err(|e| match e {
            DocError::Store(e) => e,
            other => crate::store::StoreError(other.to_string()),
        })?,
        Err(_) => None,
    }
    .is_some();
    if !in_use {
        let keep = ctx.settings.version_retention.max(1) + super::versions::PRUNE_SPAN;
        let numbers: Vec<u64> =
            (entry.version.saturating_sub(keep).max(1)..=entry.version).collect();
        docs.remove_versions(&entry.name, &numbers)?;
        docs.forget_versions(&entry.name)?;
    }
    ctx.store.delete(&entry_key(&entry.collection, &entry.name))
}
