//! What is kept about a document besides its bytes ([`DocMeta`], with what a job made it from)
//! and how documents are shown to clients: an item, a page of a listing, times in RFC 3339.

use serde::{Deserialize, Serialize};

use crate::quality::Summary;

/// What is stored about a document besides its bytes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DocMeta {
    pub name: String,
    pub size: u64,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub title: String,
    pub word_count: u64,
    /// Content generation; also the ETag.
    pub generation: i64,
    pub chunks: u32,
    /// Index slot currently listing this document.
    pub slot: i64,
    /// Who created the document and who wrote it last (empty for documents older than
    /// accounts).
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub updated_by: String,
    /// The version this content is (0: written before documents kept versions).
    #[serde(default)]
    pub version: u64,
    /// What a job made it from; kept through later edits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<DocSources>,
    /// The quality of this version (briefs and drafts), graded when it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<Summary>,
}

/// What a generated document was made from: the job and its inputs.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocSources {
    /// The job that wrote it.
    pub job_id: String,
    /// The brief a draft was written from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brief: Option<String>,
    /// The brand data it was written for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_data: Option<String>,
    /// The length a draft was asked to have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_word_count: Option<u64>,
    /// The keywords a brief was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_keyword: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_keywords: Vec<String>,
}

/// A document as listed and returned by writes.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocItem {
    pub name: String,
    /// Bytes of content.
    pub size: u64,
    /// RFC 3339, UTC.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub updated_at: String,
    /// First `# ` heading, brand name, or the file stem.
    pub title: String,
    pub word_count: u64,
    pub created_by: String,
    pub updated_by: String,
    /// What a job made it from (`null` for documents people wrote).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub sources: Option<DocSources>,
    /// Briefs and drafts: the quality of this version, graded against its sources as they were
    /// when it was written (`GET /api/{collection}/{name}/quality` grades it now, with every
    /// check); `null` for brand data.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub quality: Option<Summary>,
}

impl DocMeta {
    pub fn item(&self) -> DocItem {
        DocItem {
            name: self.name.clone(),
            size: self.size,
            created_at: rfc3339(self.created_ms),
            updated_at: rfc3339(self.updated_ms),
            title: self.title.clone(),
            word_count: self.word_count,
            created_by: self.created_by.clone(),
            updated_by: self.updated_by.clone(),
            sources: self.sources.clone(),
            quality: self.quality.clone(),
        }
    }

    /// The quoted ETag header value.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.generation)
    }
}

/// Formats epoch milliseconds as RFC 3339 UTC with millisecond precision.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// One page of a listing, newest first.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocPage {
    pub items: Vec<DocItem>,
    /// Pass back as `cursor` for the next page; `null` at the end.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_cursor: Option<String>,
}
