//! Document versions. Every write numbers what it wrote (`ver/{c}/{name}/n`, an increment
//! counter per name) and records it at `ver/{c}/{name}/v/{version}`: generation, size, when,
//! who and why ([`Source`]). The content stays in its generation's chunks, which the current
//! meta shares with the newest version; older versions keep theirs until the write that makes
//! them more than `version_retention` versions old prunes them (a few per write, so a lowered
//! setting catches up over the next writes). Restoring a version writes its content again as a
//! new version, so no two versions ever share chunks.

use serde::{Deserialize, Serialize};

use super::{DocError, DocMeta, DocResult, Documents, not_found, rfc3339};
use crate::Ctx;
use crate::blob;
use crate::names::DocName;
use crate::store::StoreResult;

/// Versions past the retention looked at (and pruned) by one write.
pub(super) const PRUNE_SPAN: u64 = 4;

/// Why a version was written; shown as `source` (`upload`, `edit`, `job:<id>`,
/// `revision:<id>`, `restore:<version>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A file upload.
    Upload,
    /// A `PUT` of the whole document (the editor).
    Edit,
    /// The output of a generation job.
    Job(String),
    /// An approved AI revision (the proposal's job).
    Revision(String),
    /// A restored version (of this document, or of it in the trash).
    Restore(u64),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Upload => f.write_str("upload"),
            Source::Edit => f.write_str("edit"),
            Source::Job(id) => write!(f, "job:{id}"),
            Source::Revision(id) => write!(f, "revision:{id}"),
            Source::Restore(v) => write!(f, "restore:{v}"),
        }
    }
}

/// Who writes, when and why, and how many versions the document keeps.
pub struct Write<'a> {
    pub now_ms: i64,
    pub by: &'a str,
    pub source: Source,
    pub keep_versions: u64,
    /// What a job made the content from (`None`: the document keeps what it had).
    pub sources: Option<super::DocSources>,
}

impl<'a> Write<'a> {
    /// A write now, under the server's `version_retention`.
    pub fn new(ctx: &Ctx, by: &'a str, source: Source) -> Self {
        Write {
            now_ms: ctx.now_ms,
            by,
            source,
            keep_versions: ctx.settings.version_retention,
            sources: None,
        }
    }

    /// The same write, recording what a job made the content from.
    pub fn with_sources(self, sources: super::DocSources) -> Self {
        Write {
            sources: Some(sources),
            ..self
        }
    }
}

/// What is stored about one version.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(super) struct VersionMeta {
    pub version: u64,
    pub generation: i64,
    pub size: u64,
    pub chunks: u32,
    pub created_ms: i64,
    pub created_by: String,
    pub source: String,
}

/// A version as `GET /api/{collection}/{name}/versions` lists it.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionItem {
    /// 1 for the first write of the name, then one more per write.
    pub version: u64,
    /// The ETag the document had at this version.
    pub etag: String,
    pub size: u64,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    pub created_by: String,
    /// `upload`, `edit`, `job:<id>`, `revision:<id>` or `restore:<version>`.
    pub source: String,
}

/// `GET /api/{collection}/{name}/versions`: newest first; the first is the current content.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionList {
    pub items: Vec<VersionItem>,
}

impl VersionMeta {
    fn item(&self) -> VersionItem {
        VersionItem {
            version: self.version,
            etag: format!("\"{}\"", self.generation),
            size: self.size,
            created_at: rfc3339(self.created_ms),
            created_by: self.created_by.clone(),
            source: self.source.clone(),
        }
    }
}

impl Documents<'_> {
    fn version_counter_key(&self, name: &str) -> String {
        format!("ver/{}/{name}/n", self.collection)
    }

    fn version_key(&self, name: &str, version: u64) -> String {
        format!("ver/{}/{name}/v/{version}", self.collection)
    }

    /// The number the next write of `name` gets.
    pub(super) fn next_version(&self, name: &DocName) -> StoreResult<u64> {
        let n = self
            .store
            .increment(&self.version_counter_key(name.as_str()), 1)?;
        Ok(n.max(1) as u64)
    }

    /// The version entry of the content `meta` describes, as a key and value to store.
    pub(super) fn version_entry(&self, meta: &DocMeta, write: &Write) -> (String, Vec<u8>) {
        let entry = VersionMeta {
            version: meta.version,
            generation: meta.generation,
            size: meta.size,
            chunks: meta.chunks,
            created_ms: write.now_ms,
            created_by: write.by.to_owned(),
            source: write.source.to_string(),
        };
        (
            self.version_key(&meta.name, meta.version),
            serde_json::to_vec(&entry).unwrap_or_default(),
        )
    }

    /// The stored versions among `numbers`, in that order.
    fn version_entries(&self, name: &str, numbers: &[u64]) -> StoreResult<Vec<VersionMeta>> {
        let keys: Vec<String> = numbers.iter().map(|v| self.version_key(name, *v)).collect();
        crate::store::read_json(self.store, &keys)
    }

    /// Removes the versions that `newest` pushed past `keep`, with their content.
    pub(super) fn prune_versions(&self, name: &DocName, newest: u64, keep: u64) -> StoreResult<()> {
        let Some(last) = newest.checked_sub(keep.max(1)).filter(|l| *l > 0) else {
            return Ok(());
        };
        let numbers: Vec<u64> = (last.saturating_sub(PRUNE_SPAN - 1).max(1)..=last).collect();
        self.remove_versions(name.as_str(), &numbers)
    }

    /// Deletes the versions among `numbers` that exist, entries and content.
    pub(super) fn remove_versions(&self, name: &str, numbers: &[u64]) -> StoreResult<()> {
        let mut doomed = Vec::new();
        for entry in self.version_entries(name, numbers)? {
            let prefix = self.generation_prefix(name, entry.generation);
            doomed.extend(blob::chunk_keys(&prefix, entry.chunks));
            doomed.push(self.version_key(name, entry.version));
        }
        if doomed.is_empty() {
            return Ok(());
        }
        self.store.delete_many(&doomed)
    }

    /// Removes the version counter of a name whose versions are all gone.
    pub(super) fn forget_versions(&self, name: &str) -> StoreResult<()> {
        self.store.delete(&self.version_counter_key(name))
    }

    /// The versions of a document that exists, newest first (at most `keep` plus the few a
    /// lowered setting has not pruned yet).
    pub fn versions(&self, name: &DocName, keep: u64) -> DocResult<VersionList> {
        let meta = self
            .meta(name)?
            .ok_or_else(|| not_found(self.collection, name))?;
        let newest = meta.version;
        let oldest = newest.saturating_sub(keep.max(1) + PRUNE_SPAN).max(1);
        let numbers: Vec<u64> = (oldest..=newest).rev().filter(|v| *v > 0).collect();
        let items = self
            .version_entries(name.as_str(), &numbers)?
            .iter()
            .map(VersionMeta::item)
            .collect();
        Ok(VersionList { items })
    }

    /// One version of a document that exists: its entry and content, or 404.
    pub fn version(&self, name: &DocName, version: u64) -> DocResult<(VersionItem, Vec<u8>)> {
        let missing = || DocError::NotFound {
            collection: self.collection,
            name: format!("{name} version {version}"),
        };
        if self.meta(name)?.is_none() {
            return Err(not_found(self.collection, name));
        }
        let entry = self
            .version_entries(name.as_str(), &[version])?
            .pop()
            .ok_or_else(missing)?;
        let prefix = self.generation_prefix(name.as_str(), entry.generation);
        let content = blob::read(self.store, &prefix, entry.chunks)?.ok_or_else(missing)?;
        Ok((entry.item(), content))
    }

    /// The content of a version whether or not the document exists now (the trash restores
    /// from it).
    pub(super) fn version_content(&self, name: &str, version: u64) -> StoreResult<Option<Vec<u8>>> {
        let Some(entry) = self.version_entries(name, &[version])?.pop() else {
            return Ok(None);
        };
        blob::read(
            self.store,
            &self.generation_prefix(name, entry.generation),
            entry.chunks,
        )
    }
}
