//! The newest-first listing of one collection: index slots read downwards in batches, each
//! counting only while its document's meta points back at it (see the key list in
//! [`super`]); superseded slots are removed on the way.

use super::{DocMeta, DocPage, DocResult, Documents, MAX_SLOTS_PER_PAGE, parse_meta};
use crate::store::{StoreResult, page_down};

impl Documents<'_> {
    /// Newest first, `limit` items from `cursor` (a slot number, inclusive) downwards.
    pub fn list(&self, limit: usize, cursor: Option<i64>) -> DocResult<DocPage> {
        let top = match cursor {
            Some(c) => c,
            None => self.store.increment(&self.slot_counter_key(), 0)?,
        };
        let (items, next_cursor) = page_down(top, limit, MAX_SLOTS_PER_PAGE, |from, to| {
            let slots: Vec<i64> = (from..=to).rev().collect();
            let live = self.live_entries(&slots)?;
            Ok(live
                .into_iter()
                .map(|(slot, meta)| (slot, meta.item()))
                .collect())
        })?;
        Ok(DocPage { items, next_cursor })
    }

    /// The documents currently listed in `slots` (given in descending order), in that order.
    fn live_entries(&self, slots: &[i64]) -> StoreResult<Vec<(i64, DocMeta)>> {
        let slot_keys: Vec<String> = slots.iter().map(|s| self.slot_key(*s)).collect();
        let names = self.store.get_many(&slot_keys)?;
        let occupied: Vec<(i64, String)> = slots
            .iter()
            .zip(names)
            .filter_map(|(slot, name)| Some((*slot, String::from_utf8(name?).ok()?)))
            .collect();
        let meta_keys: Vec<String> = occupied.iter().map(|(_, n)| self.meta_key(n)).collect();
        let metas = self.store.get_many(&meta_keys)?;
        let mut live = Vec::with_capacity(occupied.len());
        let mut superseded = Vec::new();
        for ((slot, _), meta) in occupied.into_iter().zip(metas) {
            match meta.as_deref().and_then(parse_meta) {
                Some(meta) if meta.slot == slot => live.push((slot, meta)),
                // A later write moved the document to a higher slot: this one is garbage.
                // (A lower slot means a write is still in flight: leave it alone.)
                Some(meta) if meta.slot > slot => superseded.push(self.slot_key(slot)),
                _ => {}
            }
        }
        if !superseded.is_empty() {
            self.store.delete_many(&superseded)?;
        }
        Ok(live)
    }
}
