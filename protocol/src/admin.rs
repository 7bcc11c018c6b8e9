//! What the `runner` binary's admin commands exchange with the API (`runner index rebuild`),
//! defined once for the component and the command.

use serde::{Deserialize, Serialize};

/// `POST /api/search/rebuild?cursor=`: recreates the search index, one bounded step per call.
pub const SEARCH_REBUILD: &str = "/api/search/rebuild";

/// What one step of the search rebuild did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RebuildStep {
    /// Documents indexed by this step.
    pub indexed: u64,
    /// Documents this step found indexed already.
    pub current: u64,
    /// Pass back as `cursor` to go on; `null` once every collection was walked.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_cursor: Option<String>,
    /// Whether the rebuild is complete (`next_cursor` is `null`).
    pub done: bool,
}
