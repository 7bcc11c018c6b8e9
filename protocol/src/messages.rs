//! Requests runners send and what the server answers (see [`crate::routes`] for where).

use serde::{Deserialize, Serialize};

use crate::usage::Usage;

/// `POST` [`crate::routes::CLAIM`]: up to `slots` queued jobs for `runner`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// The API description says it without the rustdoc link (the requests' routes are its paths).
#[cfg_attr(
    feature = "openapi",
    schema(description = "Up to `slots` queued jobs for `runner`.")
)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9._-]{1,64}$"))]
    pub runner: String,
    #[cfg_attr(feature = "openapi", schema(default = 1, minimum = 1, maximum = 64))]
    #[serde(default = "one")]
    pub slots: u32,
    /// How long to wait for a job before answering with none (the server caps it).
    #[serde(default)]
    pub wait_ms: u64,
}

fn one() -> u32 {
    1
}

/// The answer to a claim, with or without jobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimResponse {
    pub jobs: Vec<ClaimedJob>,
    /// How long the server keeps a job for this runner without a heartbeat.
    // Readers default the figures (an older server's answer); this server always sends them.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default)]
    pub lease_ms: u64,
    /// How often to heartbeat while jobs run.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default)]
    pub heartbeat_ms: u64,
    /// Largest output file the server stores (its `max_document_bytes`).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default)]
    pub max_output_bytes: u64,
}

/// What a job generates. Its schema (`schema.rs`) lists the known values only:
/// `Unknown` is what a reader makes of any other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobType {
    BrandData,
    Brief,
    Draft,
    /// A revision of a brief or draft by instructions; its output is a proposal to review, not
    /// a document.
    Revision,
    /// A type this side does not know (a newer server's).
    #[serde(other)]
    Unknown,
}

impl JobType {
    /// Every type but `Unknown`.
    pub const KNOWN: [JobType; 4] = [
        JobType::BrandData,
        JobType::Brief,
        JobType::Draft,
        JobType::Revision,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobType::BrandData => "brand_data",
            JobType::Brief => "brief",
            JobType::Draft => "draft",
            JobType::Revision => "revision",
            JobType::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for JobType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job handed to a runner: everything it needs to run it without further reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimedJob {
    pub id: String,
    pub attempt: u32,
    #[serde(rename = "type")]
    pub kind: JobType,
    pub prompt: String,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default)]
    pub inputs: Vec<InputFile>,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default)]
    pub outputs: Vec<OutputFile>,
}

/// An input document, to be written at `path` (relative to the job's workspace).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InputFile {
    pub collection: String,
    pub name: String,
    pub path: String,
    pub content: String,
}

/// A document the CLI must write, at `path` (relative to the job's workspace).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutputFile {
    pub collection: String,
    pub name: String,
    pub path: String,
}

/// `POST` [`crate::routes::CLAIM_STOP`]: the runner's waiting claims answer now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "The runner's waiting claims answer now.")
)]
#[serde(deny_unknown_fields)]
pub struct StopRequest {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9._-]{1,64}$"))]
    pub runner: String,
}

/// One attempt of one job.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AttemptRef {
    pub id: String,
    pub attempt: u32,
}

/// `POST` [`crate::routes::HEARTBEAT`]: the runner is alive and runs these attempts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "The runner is alive and runs these attempts.")
)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatRequest {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9._-]{1,64}$"))]
    pub runner: String,
    #[serde(default)]
    pub jobs: Vec<AttemptRef>,
}

/// The answer to a heartbeat: what to do with each attempt named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeartbeatResponse {
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default)]
    pub jobs: Vec<AttemptAction>,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default)]
    pub lease_ms: u64,
}

/// The server's word on one attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptAction {
    pub id: String,
    pub attempt: u32,
    pub action: Action,
}

/// What the server wants done with an attempt. Its schema (`schema.rs`) lists the
/// known values only: `Unknown` is what a reader makes of any other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Continue,
    /// A user cancelled the job: stop the process, finish as `cancelled`.
    Cancel,
    /// The attempt is no longer this runner's: stop the process, report nothing.
    Abandon,
    /// An action this side does not know; runners treat it as `continue`.
    #[serde(other)]
    Unknown,
}

impl Action {
    /// Every action but `Unknown`.
    pub const KNOWN: [Action; 3] = [Action::Continue, Action::Cancel, Action::Abandon];

    /// The action's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Continue => "continue",
            Action::Cancel => "cancel",
            Action::Abandon => "abandon",
            Action::Unknown => "unknown",
        }
    }
}

/// The answer to a log chunk or output upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionResponse {
    pub action: Action,
}

/// How an attempt ended, as its runner reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FinalStatus {
    Completed,
    Failed,
    Cancelled,
    /// The CLI stopped at a usage or rate limit that resets at the report's `resume_at_ms`:
    /// the job waits until then and runs again, without using up one of its attempts.
    UsageLimit,
}

impl FinalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FinalStatus::Completed => "completed",
            FinalStatus::Failed => "failed",
            FinalStatus::Cancelled => "cancelled",
            FinalStatus::UsageLimit => "usage_limit",
        }
    }
}

impl std::fmt::Display for FinalStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `POST` [`crate::routes::FINISH`]: the end of an attempt as its runner saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "The end of an attempt as its runner saw it.")
)]
#[serde(deny_unknown_fields)]
pub struct FinishRequest {
    pub status: FinalStatus,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub usage: Option<Usage>,
    /// Log chunks the server accepted for this attempt.
    #[serde(default)]
    pub log_chunks: u32,
    /// With `usage_limit` (and only with it): when the limit resets, in milliseconds since the
    /// Unix epoch, as the CLI announced it. A reset already past counts as a minute from now;
    /// one more than 8 days ahead is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_at_ms: Option<u64>,
}

impl FinishRequest {
    /// A report with no usage, no reset time and no log chunks (yet).
    pub fn new(status: FinalStatus, error: Option<String>) -> FinishRequest {
        FinishRequest {
            status,
            error,
            usage: None,
            log_chunks: 0,
            resume_at_ms: None,
        }
    }
}

#[cfg(test)]
mod tests;
