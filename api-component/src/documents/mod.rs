//! Documents in the key-value store: content, metadata and the newest-first index.
//!
//! Keys (all under 256 bytes; `{c}` is the collection segment):
//! - `doc/{c}/{name}/meta`: JSON [`DocMeta`].
//! - `doc/{c}/{name}/g{gen}/{i}`: content chunk `i` (see [`crate::blob`]) of generation `gen`;
//!   a replacement writes a new generation, then the meta; the old chunks stay as the previous
//!   version until [`versions`] prunes it. A reader never sees half of two versions, and values
//!   stay under the store's 1 MB limit.
//! - `idx/{c}/n`: counter handing out index slots; `idx/{c}/s/{slot}`: the name in that slot.
//!   Every write takes a fresh slot (so the listing is newest first) and a slot only counts while
//!   the meta points back at it. Listing reads slots downwards in batches: O(page), no key scan.
//! - `seq/gen`: global counter; a document version's generation is also its ETag.
//! - `ver/{c}/{name}/n` and `ver/{c}/{name}/v/{version}`: the document's versions (see
//!   [`versions`]); the newest is the current content, whose chunks it shares with the meta.
//! - `trash/...`: deleted documents, kept for `trash_days` (see [`trash`]).
//! - `srch/...`: the search index, updated by every write (see [`crate::search::index`]).
//! - `doc/{c}/{name}/if/{etag}`: latch for `If-Match`; the writer whose increment returns 1 wins
//!   the right to replace that version, so two editors of one version cannot both succeed. The
//!   winner deletes it with the old version's chunks; a later 1 is refused because the meta has
//!   moved on by then, so latches do not pile up.

pub mod grading;
mod listing;
mod meta;
pub mod reindex;
pub mod search;
pub mod trash;
pub mod versions;

pub use meta::{DocItem, DocMeta, DocPage, DocSources, rfc3339};
pub use versions::{Source, Write};

use crate::blob;
use crate::names::{Collection, DocName, Format};
use crate::render;
use crate::store::{Store, StoreError, StoreResult};

/// Most index slots one listing request reads before it returns a (possibly short) page.
const MAX_SLOTS_PER_PAGE: i64 = 2_000;
const GENERATION_KEY: &str = "seq/gen";

/// Why a document operation failed. The HTTP layer gives each its status
/// (`crate::error`); the messages are written for the people who sent the document.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("{collection}/{name} does not exist")]
    NotFound {
        collection: Collection,
        name: String,
    },
    /// The body cannot be read as the collection's format (empty, not UTF-8, not JSON).
    #[error("{name}: {why}")]
    Unreadable { name: String, why: String },
    /// The body parses but is not what the collection holds (brand data that is not an object).
    #[error("{name}: {why}")]
    Invalid { name: String, why: &'static str },
    #[error("body is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    /// The write's [`Precondition`] does not hold.
    #[error("{name}: {why}")]
    PreconditionFailed { name: String, why: &'static str },
    /// The request conflicts with what the store holds (restoring over a live document).
    #[error("{name}: {why}")]
    Conflict { name: String, why: &'static str },
    #[error("storage is unavailable")]
    Store(#[from] StoreError),
}

pub type DocResult<T> = Result<T, DocError>;

/// The condition a write is made under (the HTTP layer reads it from `If-Match`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Precondition {
    #[default]
    None,
    /// `If-Match: *`: the document must exist.
    Exists,
    /// `If-Match: "<etag>", ...`: the current version must be one of these generations.
    OneOf(Vec<i64>),
}

impl Precondition {
    /// Whether the version `generation` satisfies it (`None` names no version).
    pub fn names(&self, generation: i64) -> bool {
        match self {
            Precondition::None => false,
            Precondition::Exists => true,
            Precondition::OneOf(tags) => tags.contains(&generation),
        }
    }
}

/// Title and word count derived from validated content.
struct Derived {
    title: String,
    word_count: u64,
}

/// Checks a body against the collection's rules and derives its title and word count.
fn validate(collection: Collection, name: &DocName, body: &[u8], max: u64) -> DocResult<Derived> {
    let unreadable = |why: String| DocError::Unreadable {
        name: name.to_string(),
        why,
    };
    if body.is_empty() {
        return Err(unreadable("body is empty".into()));
    }
    if body.len() as u64 > max {
        return Err(DocError::TooLarge {
            size: body.len() as u64,
            limit: max,
        });
    }
    let text = std::str::from_utf8(body)
        .map_err(|e| unreadable(format!("body is not valid UTF-8 ({e})")))?;
    match collection.format() {
        Format::Markdown => Ok(Derived {
            title: render::markdown_title(text).unwrap_or_else(|| name.stem().to_owned()),
            word_count: render::markdown_word_count(text),
        }),
        Format::Json => {
            let value: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| unreadable(format!("body is not valid JSON ({e})")))?;
            if !value.is_object() {
                return Err(DocError::Invalid {
                    name: name.to_string(),
                    why: "brand data must be a JSON object",
                });
            }
            Ok(Derived {
                title: render::brand_title(&value).unwrap_or_else(|| name.stem().to_owned()),
                word_count: render::json_word_count(&value),
            })
        }
    }
}

/// One collection's documents.
pub struct Documents<'a> {
    store: &'a dyn Store,
    collection: Collection,
}

impl<'a> Documents<'a> {
    pub fn new(store: &'a dyn Store, collection: Collection) -> Self {
        Documents { store, collection }
    }

    fn meta_key(&self, name: &str) -> String {
        meta_key(self.collection, name)
    }

    fn chunk_prefix(&self, meta: &DocMeta) -> String {
        self.generation_prefix(&meta.name, meta.generation)
    }

    /// Where the chunks of one generation of `name` are.
    fn generation_prefix(&self, name: &str, generation: i64) -> String {
        format!("doc/{}/{name}/g{generation}", self.collection)
    }

    fn chunk_keys(&self, meta: &DocMeta) -> Vec<String> {
        blob::chunk_keys(&self.chunk_prefix(meta), meta.chunks)
    }

    /// The `If-Match` latch of one version (see the module's key list).
    fn latch_key(&self, name: &str, generation: i64) -> String {
        format!("doc/{}/{name}/if/{generation}", self.collection)
    }

    pub(crate) fn slot_key(&self, slot: i64) -> String {
        format!("idx/{}/s/{slot}", self.collection)
    }

    pub(crate) fn slot_counter_key(&self) -> String {
        format!("idx/{}/n", self.collection)
    }

    /// The metadata of `name`, if it exists.
    pub fn meta(&self, name: &DocName) -> DocResult<Option<DocMeta>> {
        Ok(self.meta_named(name.as_str())?)
    }

    /// The metadata of a document known by a stored name (an index entry, a posting).
    pub fn meta_named(&self, name: &str) -> StoreResult<Option<DocMeta>> {
        let raw = self.store.get(&self.meta_key(name))?;
        Ok(raw.and_then(|bytes| parse_meta(&bytes)))
    }

    /// The keys of the content chunks of the version `meta` describes, in order.
    pub fn content_keys(&self, meta: &DocMeta) -> Vec<String> {
        self.chunk_keys(meta)
    }

    /// The content of the version `meta` describes; `None` once that version is gone.
    pub fn content(&self, meta: &DocMeta) -> StoreResult<Option<Vec<u8>>> {
        blob::read(self.store, &self.chunk_prefix(meta), meta.chunks)
    }

    /// Checks a body without storing it (uploads validate every file before storing any).
    pub fn check(&self, name: &DocName, body: &[u8], max: u64) -> DocResult<()> {
        validate(self.collection, name, body, max).map(drop)
    }

    /// Metadata and content of `name`, or 404.
    pub fn get(&self, name: &DocName) -> DocResult<(DocMeta, Vec<u8>)> {
        // A concurrent replacement may delete the chunks we are about to read; the meta then
        // points at a newer generation, so read again.
        for _ in 0..5 {
            let meta = self
                .meta(name)?
                .ok_or_else(|| not_found(self.collection, name))?;
            if let Some(content) = blob::read(self.store, &self.chunk_prefix(&meta), meta.chunks)? {
                return Ok((meta, content));
            }
        }
        Err(not_found(self.collection, name))
    }

    /// Creates or replaces `name` as `write` says (who, when, why). Returns whether it was
    /// created, and the new metadata. The content becomes the document's newest version; the
    /// previous one stays as a version (see [`versions`]).
    pub fn put(
        &self,
        name: &DocName,
        body: &[u8],
        max: u64,
        precondition: &Precondition,
        write: &Write,
    ) -> DocResult<(bool, DocMeta)> {
        let derived = validate(self.collection, name, body, max)?;
        let old = self.meta(name)?;
        self.check_precondition(name, old.as_ref(), precondition)?;

        let generation = self.store.increment(GENERATION_KEY, 1)?;
        let slot = self.store.increment(&self.slot_counter_key(), 1)?;
        let version = self.next_version(name)?;
        let mut meta = DocMeta {
            name: name.as_str().to_owned(),
            size: body.len() as u64,
            created_ms: old.as_ref().map_or(write.now_ms, |m| m.created_ms),
            updated_ms: write.now_ms,
            title: derived.title,
            word_count: derived.word_count,
            generation,
            chunks: 0,
            slot,
            created_by: old
                .as_ref()
                .map_or_else(|| write.by.to_owned(), |m| m.created_by.clone()),
            updated_by: write.by.to_owned(),
            version,
            sources: write
                .sources
                .clone()
                .or_else(|| old.as_ref().and_then(|m| m.sources.clone())),
            quality: None,
        };
        meta.quality = self.grade_written(body, meta.sources.as_ref());
        let (mut entries, chunks) = blob::chunk_entries(&self.chunk_prefix(&meta), body);
        meta.chunks = chunks;
        entries.push((self.slot_key(slot), name.as_str().as_bytes().to_vec()));
        entries.push(self.version_entry(&meta, write));
        self.store.set_many(&entries)?;
        self.store.set(
            &self.meta_key(name.as_str()),
            &serde_json::to_vec(&meta).unwrap_or_default(),
        )?;
        if let Some(old) = &old {
            let mut stale = vec![
                self.slot_key(old.slot),
                self.latch_key(name.as_str(), old.generation),
            ];
            // Content from before versions has no version entry to keep it.
            if old.version == 0 {
                stale.extend(self.chunk_keys(old));
            }
            self.store.delete_many(&stale)?;
        }
        self.prune_versions(name, version, write.keep_versions)?;
        search::index(self.store, self.collection, &meta, body)?;
        Ok((old.is_none(), meta))
    }

    fn check_precondition(
        &self,
        name: &DocName,
        current: Option<&DocMeta>,
        precondition: &Precondition,
    ) -> DocResult<()> {
        let failed = |why| {
            Err(DocError::PreconditionFailed {
                name: name.to_string(),
                why,
            })
        };
        match (precondition, current) {
            (Precondition::None, _) => Ok(()),
            (Precondition::Exists, Some(_)) => Ok(()),
            (_, None) => failed("the document does not exist"),
            (Precondition::OneOf(tags), Some(meta)) => {
                if !tags.contains(&meta.generation) {
                    return failed("it was changed since you loaded it (ETag mismatch)");
                }
                let latch = self.latch_key(name.as_str(), meta.generation);
                if self.store.increment(&latch, 1)? != 1 {
                    return failed("it is being changed by someone else");
                }
                // The winner of a version's latch deletes it once its own meta is written (see
                // `put`), so a 1 can also come after that: the meta then has moved on.
                if self.meta(name)?.map(|m| m.generation) != Some(meta.generation) {
                    self.store.delete(&latch)?;
                    return failed("it was changed since you loaded it (ETag mismatch)");
                }
                Ok(())
            }
        }
    }

    /// Deletes `name` (or 404): it leaves the listing for the trash, with its versions, until
    /// [`trash`] purges it or someone restores it.
    pub fn delete(&self, name: &DocName, (now_ms, by): (i64, &str)) -> DocResult<DocMeta> {
        let meta = self
            .meta(name)?
            .ok_or_else(|| not_found(self.collection, name))?;
        self.to_trash(&meta, (now_ms, by))?;
        let mut keys = vec![
            self.meta_key(name.as_str()),
            self.slot_key(meta.slot),
            self.latch_key(name.as_str(), meta.generation),
            // Its postings stop counting with it (see `search::index`).
            crate::search::index::doc_key(self.collection, name.as_str()),
        ];
        // Content from before versions has no version entry to keep it.
        if meta.version == 0 {
            keys.extend(self.chunk_keys(&meta));
        }
        self.store.delete_many(&keys)?;
        Ok(meta)
    }
}

/// Where the metadata of `name` in `collection` is.
pub fn meta_key(collection: Collection, name: &str) -> String {
    format!("doc/{collection}/{name}/meta")
}

pub(crate) fn parse_meta(bytes: &[u8]) -> Option<DocMeta> {
    serde_json::from_slice(bytes).ok()
}

fn not_found(collection: Collection, name: &DocName) -> DocError {
    DocError::NotFound {
        collection,
        name: name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    /// Two writers hold version g; the first replaces it and removes g's latch before the second
    /// increments it. The second gets a 1 and is refused all the same, leaving no latch behind.
    #[test]
    fn a_latch_won_after_the_version_moved_on_is_refused() {
        let store = MemoryStore::new();
        let docs = Documents::new(&store, Collection::Briefs);
        let name = DocName::parse(Collection::Briefs, "e.md").unwrap();
        let how = Write {
            now_ms: 1,
            by: "u",
            source: Source::Edit,
            keep_versions: 20,
            sources: None,
        };
        let write =
            |body: &str, pre: &Precondition| docs.put(&name, body.as_bytes(), 1 << 20, pre, &how);
        let (_, v1) = write("# v1", &Precondition::None).unwrap();
        let held = Precondition::OneOf(vec![v1.generation]);
        // What the second writer read before the first one wrote.
        let seen = docs.meta(&name).unwrap();
        write("# v2", &held).unwrap();
        let late = docs.check_precondition(&name, seen.as_ref(), &held);
        assert!(
            matches!(late, Err(DocError::PreconditionFailed { .. })),
            "{late:?}"
        );
        assert_eq!(docs.get(&name).unwrap().1, b"# v2");
        assert!(
            store.keys().iter().all(|k| !k.contains("/if/")),
            "{:?}",
            store.keys()
        );
    }
}
