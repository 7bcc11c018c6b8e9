//! Search over the documents: keeping a document's index entry current as it is written, and
//! answering a query with the documents that hold every word asked for, newest first, a page
//! at a time, each with a snippet around its first match (the index itself: [`crate::search`]).
//!
//! The rarest term's postings (the one whose counter is lowest) are walked from the newest slot
//! down, in batches; each candidate is checked against its document's [`DocTerms`] (is the
//! posting's run the current one, and does it hold every other term?) and its metadata (does it
//! still exist at that version?). So a page costs reads in proportion to the rarest term's
//! postings walked and the page, never to the number of documents; a request walks at most
//! [`MAX_SLOTS_PER_PAGE`] postings and returns a cursor to go on from.

use std::collections::HashSet;

use serde::Serialize;

use super::{DocItem, DocMeta, Documents, meta_key, parse_meta};
use crate::names::Collection;
use crate::search::index::{self, DocTerms, INDEX_FORMAT, Indexed};
use crate::search::text::{self, Snippet};
use crate::store::{Store, StoreResult, page_down};

/// Postings one request walks at most before it returns a (possibly short) page.
pub const MAX_SLOTS_PER_PAGE: i64 = 2_000;
/// Longest `q`, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most distinct words in one query.
pub const MAX_QUERY_TERMS: usize = 16;

/// Indexes the version `meta` describes (its content is `content`), then makes sure the
/// document's record ends up naming its current version: a concurrent write may have had its
/// record overwritten by this one's, so the current version is indexed again (a few times at
/// most). Every write calls it ([`Documents::put`]); so does the rebuild.
pub fn index(
    store: &dyn Store,
    collection: Collection,
    meta: &DocMeta,
    content: &[u8],
) -> StoreResult<()> {
    let run = |meta: &DocMeta, content: &[u8]| {
        index::write_run(
            store,
            &Indexed {
                collection,
                name: &meta.name,
                title: &meta.title,
                generation: meta.generation,
                content,
            },
        )
    };
    run(meta, content)?;
    let docs = Documents::new(store, collection);
    for _ in 0..3 {
        let Some(current) = docs.meta_named(&meta.name)? else {
            return Ok(());
        };
        let record = index::read_doc_terms(store, collection, &meta.name)?;
        if record.is_some_and(|r| r.generation == current.generation && r.v == INDEX_FORMAT) {
            return Ok(());
        }
        let Some(content) = docs.content(&current)? else {
            // Replaced again meanwhile; that write indexes its own version.
            continue;
        };
        run(&current, &content)?;
    }
    Ok(())
}

/// A search as asked.
#[derive(Clone, Debug)]
pub struct Query {
    /// Distinct, sorted (a cursor names one by its place).
    pub terms: Vec<String>,
    /// Only this collection's documents.
    pub collection: Option<Collection>,
    pub limit: usize,
    pub cursor: Option<Cursor>,
}

/// Where the next page starts: the term whose postings are walked and the slot to go on from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub term: usize,
    pub slot: i64,
}

impl Cursor {
    /// A cursor this API returned for a query of `terms` terms.
    pub fn parse(raw: &str, terms: usize) -> Option<Cursor> {
        let (term, slot) = raw.split_once('.')?;
        let cursor = Cursor {
            term: term.parse().ok()?,
            slot: slot.parse().ok()?,
        };
        (cursor.term < terms && cursor.slot > 0).then_some(cursor)
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.term, self.slot)
    }
}

/// Why a `q` cannot be searched for.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("q is required: the words to look for")]
    Empty,
    #[error("q is over {MAX_QUERY_CHARS} characters")]
    TooLong,
    #[error("q has no words to look for (letters or digits)")]
    NoWords,
    #[error("q has more than {MAX_QUERY_TERMS} different words")]
    TooManyWords,
}

/// The distinct terms of `q`, sorted.
pub fn terms_of(q: &str) -> Result<Vec<String>, QueryError> {
    let q = q.trim();
    if q.is_empty() {
        return Err(QueryError::Empty);
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong);
    }
    let mut terms: Vec<String> = text::tokens(q).map(|t| t.term).collect();
    terms.sort_unstable();
    terms.dedup();
    match terms.len() {
        0 => Err(QueryError::NoWords),
        n if n > MAX_QUERY_TERMS => Err(QueryError::TooManyWords),
        _ => Ok(terms),
    }
}

/// A document that matches.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    /// `brand-data`, `briefs` or `drafts`.
    pub collection: String,
    /// The document as its collection lists it (`name`, `title`, `updated_at`...).
    #[serde(flatten)]
    pub item: DocItem,
    /// The passage around the first match in its text.
    pub snippet: Snippet,
}

/// One page of matches, newest first.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchPage {
    pub items: Vec<SearchHit>,
    /// Pass back as `cursor` (with the same `q`) for the next page; `null` at the end. A page
    /// may be short, even empty, and still have one: the request stopped after
    /// `MAX_SLOTS_PER_PAGE` postings.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_cursor: Option<String>,
}

/// A candidate that passed: its collection and current metadata.
type Hit = (Collection, DocMeta);

/// One page of `query`'s matches.
pub fn search(store: &dyn Store, query: &Query) -> StoreResult<SearchPage> {
    let (driver, top) = match query.cursor {
        Some(c) => (c.term, c.slot),
        None => rarest(store, &query.terms)?,
    };
    let term = &query.terms[driver];
    let mut stale = Vec::new();
    let (hits, next) = page_down(top, query.limit, MAX_SLOTS_PER_PAGE, |from, to| {
        let slots: Vec<i64> = (from..=to).rev().collect();
        let keys: Vec<String> = slots.iter().map(|s| index::slot_key(term, *s)).collect();
        let candidates: Vec<(i64, i64, Collection, String)> = slots
            .iter()
            .zip(store.get_many(&keys)?)
            .filter_map(|(slot, raw)| {
                let (run, collection, name) = index::parse_posting(&raw?)?;
                query
                    .collection
                    .is_none_or(|c| c == collection)
                    .then_some((*slot, run, collection, name))
            })
            .collect();
        verify(store, query, term, candidates, &mut stale)
    })?;
    if !stale.is_empty() {
        store.delete_many(&stale)?;
    }
    let items = with_snippets(store, &query.terms, hits)?;
    let next_cursor = next.and_then(|slot| {
        Some(
            Cursor {
                term: driver,
                slot: slot.parse().ok()?,
            }
            .to_string(),
        )
    });
    Ok(SearchPage { items, next_cursor })
}

/// The term with the fewest postings (its place in `terms`) and its newest slot.
fn rarest(store: &dyn Store, terms: &[String]) -> StoreResult<(usize, i64)> {
    let mut best = (0, i64::MAX);
    for (i, term) in terms.iter().enumerate() {
        let n = store.increment(&index::counter_key(term), 0)?;
        if n < best.1 {
            best = (i, n);
        }
    }
    Ok(best)
}

/// The candidates (slot, run, collection, name; highest slot first) whose posting counts and
/// whose document holds every term. Postings that will never count again go to `stale`.
fn verify(
    store: &dyn Store,
    query: &Query,
    term: &str,
    candidates: Vec<(i64, i64, Collection, String)>,
    stale: &mut Vec<String>,
) -> StoreResult<Vec<(i64, Hit)>> {
    let keys: Vec<String> = candidates
        .iter()
        .flat_map(|(_, _, c, name)| [index::doc_key(*c, name), meta_key(*c, name)])
        .collect();
    let values = store.get_many(&keys)?;
    let mut hits = Vec::new();
    for ((slot, run, collection, _), pair) in candidates.into_iter().zip(values.chunks(2)) {
        let record: Option<DocTerms> = pair[0]
            .as_deref()
            .and_then(|raw| serde_json::from_slice(raw).ok());
        let meta = pair[1].as_deref().and_then(parse_meta);
        match (record, meta) {
            (Some(r), Some(m)) if r.run == run && r.generation == m.generation => {
                if r.has_all(&query.terms) {
                    hits.push((slot, (collection, m)));
                }
            }
            // Superseded by a later run, or the document is gone (postings are written after
            // the metadata, so no write is under way): this posting never counts again.
            (Some(r), _) if r.run > run => stale.push(index::slot_key(term, slot)),
            (_, None) => stale.push(index::slot_key(term, slot)),
            // A run still being written.
            _ => {}
        }
    }
    Ok(hits)
}

/// The hits as returned, each with its snippet (all their contents read in one batch).
fn with_snippets(
    store: &dyn Store,
    terms: &[String],
    hits: Vec<Hit>,
) -> StoreResult<Vec<SearchHit>> {
    let wanted: HashSet<String> = terms.iter().cloned().collect();
    let keys: Vec<Vec<String>> = hits
        .iter()
        .map(|(c, meta)| Documents::new(store, *c).content_keys(meta))
        .collect();
    let mut values = store.get_many(&keys.concat())?.into_iter();
    let mut items = Vec::with_capacity(hits.len());
    for ((collection, meta), keys) in hits.into_iter().zip(&keys) {
        let chunks: Vec<Option<Vec<u8>>> = values.by_ref().take(keys.len()).collect();
        // Replaced since it was checked: its old content may be gone; the snippet is then empty.
        let content: Vec<u8> = if chunks.iter().all(Option::is_some) {
            chunks.into_iter().flatten().flatten().collect()
        } else {
            Vec::new()
        };
        let plain = text::plain_text(collection.format(), &String::from_utf8_lossy(&content));
        items.push(SearchHit {
            collection: collection.segment().to_owned(),
            item: meta.item(),
            snippet: text::snippet(&plain, &wanted),
        });
    }
    Ok(items)
}
