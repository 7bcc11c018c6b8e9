//! The search index in the key-value store: postings per term, and what each document was
//! last indexed as. Written by every document write (`documents::Documents::put`, so edits,
//! uploads, restores, job outputs and approved revisions alike), read by `documents::search`,
//! recreated by `documents::reindex`.
//!
//! Keys (`{t}` is the term, or `#` and the hex SHA-256 of a term over [`MAX_TERM_KEY_BYTES`]):
//! - `srch/t/{t}/n`: counter handing out the term's posting slots; `srch/t/{t}/s/{i}`: one
//!   posting, `{run}:{collection}/{name}`. Slots only ever get appended (by `increment`, so
//!   concurrent writers never share one), so walking them downwards is newest first.
//! - `srch/runs`: counter numbering indexing runs; a run indexes one version of one document.
//! - `srch/d/{collection}/{name}`: JSON [`DocTerms`] of the document's last run: its number,
//!   the content generation it indexed and its sorted terms.
//!
//! A posting counts only while its run is the one its document's [`DocTerms`] names and that
//! run indexed the document's current generation. So a replaced document's old postings, and a
//! deleted one's, are never returned (they are removed when a query meets them), without any
//! compare-and-swap: the runs decide, and the last write of a [`DocTerms`] is checked against
//! the document afterwards (re-indexed when another write overtook it).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::text;
use crate::names::Collection;
use crate::store::{Store, StoreResult};

/// Distinct terms indexed per document, in the order they first appear (the name and the title
/// first). A 1 MiB document can hold far more; words past the first this many distinct ones are
/// not found by search. About 40,000 words of running English text fit.
pub const MAX_TERMS_PER_DOC: usize = 4_096;
/// Longest term kept as itself in a key; longer ones are hashed (keys stay under 256 bytes).
pub const MAX_TERM_KEY_BYTES: usize = 64;
/// What [`DocTerms::v`] says: records of an older format are re-indexed by a rebuild.
pub const INDEX_FORMAT: u32 = 1;
/// Postings written per `set-many` call.
const WRITE_BATCH: usize = 512;
const RUN_COUNTER: &str = "srch/runs";

/// What a document was last indexed as.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DocTerms {
    pub v: u32,
    pub run: i64,
    pub generation: i64,
    /// Sorted, distinct.
    pub terms: Vec<String>,
}

impl DocTerms {
    pub fn has_all(&self, terms: &[String]) -> bool {
        terms.iter().all(|t| self.terms.binary_search(t).is_ok())
    }
}

/// The part of a key that names a term.
fn term_key(term: &str) -> String {
    if term.len() <= MAX_TERM_KEY_BYTES {
        term.to_owned()
    } else {
        format!("#{}", crate::store::key_digest(term))
    }
}

pub fn counter_key(term: &str) -> String {
    format!("srch/t/{}/n", term_key(term))
}

pub fn slot_key(term: &str, slot: i64) -> String {
    format!("srch/t/{}/s/{slot}", term_key(term))
}

pub fn doc_key(collection: Collection, name: &str) -> String {
    format!("srch/d/{}/{name}", collection.segment())
}

/// A posting's value.
pub fn posting(run: i64, collection: Collection, name: &str) -> String {
    format!("{run}:{}/{name}", collection.segment())
}

/// A posting's run, collection and document name.
pub fn parse_posting(raw: &[u8]) -> Option<(i64, Collection, String)> {
    let raw = std::str::from_utf8(raw).ok()?;
    let (run, target) = raw.split_once(':')?;
    let (collection, name) = target.split_once('/')?;
    Some((
        run.parse().ok()?,
        Collection::from_segment(collection)?,
        name.to_owned(),
    ))
}

/// The terms of a document: its name (without the extension), its title and its text, at most
/// [`MAX_TERMS_PER_DOC`] distinct ones, sorted.
pub fn doc_terms(doc: &Indexed) -> Vec<String> {
    let collection = doc.collection;
    let stem = doc
        .name
        .strip_suffix(collection.extension())
        .unwrap_or(doc.name);
    let text = text::plain_text(collection.format(), &String::from_utf8_lossy(doc.content));
    let mut seen = HashSet::new();
    let mut terms = Vec::new();
    for source in [stem, doc.title, text.as_str()] {
        for token in text::tokens(source) {
            if terms.len() == MAX_TERMS_PER_DOC {
                break;
            }
            if seen.insert(token.term.clone()) {
                terms.push(token.term);
            }
        }
    }
    terms.sort_unstable();
    terms
}

/// What [`doc_key`] holds for a document, if anything readable.
pub fn read_doc_terms(
    store: &dyn Store,
    collection: Collection,
    name: &str,
) -> StoreResult<Option<DocTerms>> {
    Ok(store
        .get(&doc_key(collection, name))?
        .and_then(|raw| serde_json::from_slice(&raw).ok()))
}

/// What one indexing run is about: a document's version and its words.
pub struct Indexed<'a> {
    pub collection: Collection,
    pub name: &'a str,
    pub title: &'a str,
    /// The content generation (see `documents`) these are the words of.
    pub generation: i64,
    pub content: &'a [u8],
}

/// One indexing run: the postings first, then the record that makes them count. The caller
/// checks afterwards that the record names the document's current version (see
/// `documents::search::index`), since a concurrent write's run may have finished first.
pub fn write_run(store: &dyn Store, doc: &Indexed) -> StoreResult<()> {
    let terms = doc_terms(doc);
    let run = store.increment(RUN_COUNTER, 1)?;
    let value = posting(run, doc.collection, doc.name).into_bytes();
    let mut entries = Vec::with_capacity(terms.len().min(WRITE_BATCH));
    for term in &terms {
        let slot = store.increment(&counter_key(term), 1)?;
        entries.push((slot_key(term, slot), value.clone()));
        if entries.len() == WRITE_BATCH {
            store.set_many(&entries)?;
            entries.clear();
        }
    }
    if !entries.is_empty() {
        store.set_many(&entries)?;
    }
    let record = DocTerms {
        v: INDEX_FORMAT,
        run,
        generation: doc.generation,
        terms,
    };
    store.set(
        &doc_key(doc.collection, doc.name),
        &serde_json::to_vec(&record).unwrap_or_default(),
    )
}
