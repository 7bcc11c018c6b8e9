//! The job record and its public view, and the store keys of everything job-related.
//!
//! Who writes `job/{id}`: only the winner of a latch (an `increment` that returned 1), so two
//! writers never race on one record: the submitter creates it; the claim latch of an attempt
//! lets one runner (or one cancel) move it out of `queued` or `waiting`; the end latch of an
//! attempt lets one of finish / reap move it on (to the next attempt, queued or waiting, or to
//! its end). Everything else (leases, cancel flags, logs, staged outputs)
//! lives under keys of its own.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::templates::TemplateVersion;
use crate::documents::rfc3339;
use crate::names::Collection;
use crate::quality::Summary;

pub use protocol::{JobType, Usage};

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    Running,
    /// Stopped by a usage limit; queued again at `resume_at`.
    Waiting,
    Completed,
    Failed,
    Cancelled,
}

impl Status {
    pub fn is_final(self) -> bool {
        matches!(self, Status::Completed | Status::Failed | Status::Cancelled)
    }

    pub fn parse(s: &str) -> Option<Status> {
        serde_json::from_value(Value::String(s.to_owned())).ok()
    }
}

/// A document a job reads or writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocRef {
    pub collection: String,
    pub name: String,
}

impl DocRef {
    pub fn new(collection: Collection, name: &str) -> Self {
        DocRef {
            collection: collection.segment().to_owned(),
            name: name.to_owned(),
        }
    }

    pub fn collection(&self) -> Option<Collection> {
        Collection::from_segment(&self.collection)
    }

    /// Where the runner puts an input in the job's workspace.
    pub fn input_path(&self) -> String {
        format!("inputs/{}/{}", self.collection, self.name)
    }

    /// Where the CLI must write an output in the job's workspace.
    pub fn output_path(&self) -> String {
        format!("output/{}", self.name)
    }
}

/// Everything stored about a job.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: JobType,
    pub status: Status,
    /// 1-based; a lost runner's attempt is followed by the next one.
    pub attempt: u32,
    /// Queue ticket of the current attempt (FIFO order).
    pub ticket: i64,
    /// Creation order, for the newest-first listing.
    pub number: i64,
    pub runner: Option<String>,
    pub created_ms: i64,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    /// The request that created the job.
    pub params: Value,
    /// The full prompt, rendered at submit time. Stored apart (`job/{id}/prompt`) so that no
    /// hot path loads it; records written before that carry it here.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prompt: String,
    /// The running index entry of the running attempt (see [`crate::jobs::scan`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_slot: Option<i64>,
    /// When a `waiting` job may run again (epoch ms): the reset of the usage limit that
    /// stopped its last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_at_ms: Option<i64>,
    /// Attempts that ended at a usage limit: they do not count against `max_attempts`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub usage_limited: u32,
    pub inputs: Vec<DocRef>,
    /// The documents the job must produce.
    pub outputs: Vec<DocRef>,
    /// The documents it did produce.
    pub output_documents: Vec<DocRef>,
    pub error: Option<String>,
    pub usage: Option<Usage>,
    /// Log chunks per attempt, recorded when an attempt ends (index 0 = attempt 1).
    pub log_chunks: Vec<u32>,
    /// Who submitted the job (empty for jobs older than accounts).
    #[serde(default)]
    pub submitted_by: String,
    /// The batch it was queued in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
    /// The job whose success queued this one (a brief's follow-up draft).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_job_id: Option<String>,
    /// The jobs this one's success queued.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub child_job_ids: Vec<String>,
    /// The job this one retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_of: Option<String>,
    /// The job that retries this one (a job is retried once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retried_as: Option<String>,
    /// The instruction file its prompt was rendered from (absent in records older than that).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateVersion>,
    /// The quality of the brief or draft it wrote, graded when it completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<Summary>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl JobRecord {
    /// Attempts that count against `max_attempts`: all but those a usage limit ended.
    pub fn attempts_used(&self) -> u32 {
        self.attempt.saturating_sub(self.usage_limited)
    }
}

/// The job as clients see it. Every field is always present (`null` when it does not apply).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: JobType,
    pub status: Status,
    /// 1 = next to run; `null` unless queued.
    #[cfg_attr(feature = "openapi", schema(required = true, minimum = 1))]
    pub queue_position: Option<u64>,
    /// 1-based; a lost runner's attempt is followed by the next one.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub attempt: u32,
    /// The runner of the running attempt, or of the one that ended the job (or stopped at a
    /// usage limit).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub runner: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "openapi", schema(required = true, format = DateTime))]
    pub started_at: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, format = DateTime))]
    pub finished_at: Option<String>,
    /// When a `waiting` job goes back to the queue (its usage limit resets); `null` unless
    /// waiting.
    #[cfg_attr(feature = "openapi", schema(required = true, format = DateTime))]
    pub resume_at: Option<String>,
    /// The generate request's fields, as validated (see the generate endpoint).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub params: Value,
    /// The documents the job produced.
    pub output_documents: Vec<DocRef>,
    /// Why the job failed or was cancelled.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub error: Option<String>,
    /// What the attempt that ended the job cost, as its runner reported it.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub usage: Option<Usage>,
    /// A cancel was asked for (a running job stops once its runner learns it).
    pub cancel_requested: bool,
    pub submitted_by: String,
    /// The batch it was queued in (`GET /api/batches/{id}`), or `null`.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub batch_id: Option<String>,
    /// The job whose success queued this one (a brief asked for its draft), or `null`.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub parent_job_id: Option<String>,
    /// The jobs this one's success queued (the draft a brief asked for).
    pub child_job_ids: Vec<String>,
    /// The failed or cancelled job this one retries, or `null`.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub retry_of: Option<String>,
    /// The job that retries this one, or `null` (a job is retried once).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub retried_as: Option<String>,
    /// The instruction file (`instructions/`) and its SHA-256 the prompt was rendered from
    /// (`GET /api/jobs/{id}/prompt` shows the prompt), or `null` for jobs older than that.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub template: Option<TemplateVersion>,
    /// The quality of the brief or draft the job wrote (score and failed checks, graded when it
    /// completed: `GET /api/{collection}/{name}/quality` has every check), or `null`.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub quality: Option<Summary>,
}

impl JobRecord {
    pub fn view(&self, queue_position: Option<u64>, cancel_requested: bool) -> JobView {
        JobView {
            id: self.id.clone(),
            kind: self.kind,
            status: self.status,
            queue_position: if self.status == Status::Queued {
                queue_position
            } else {
                None
            },
            attempt: self.attempt,
            runner: self.runner.clone(),
            created_at: rfc3339(self.created_ms),
            started_at: self.started_ms.map(rfc3339),
            finished_at: self.finished_ms.map(rfc3339),
            resume_at: match self.status {
                Status::Waiting => self.resume_at_ms.map(rfc3339),
                _ => None,
            },
            params: self.params.clone(),
            output_documents: self.output_documents.clone(),
            error: self.error.clone(),
            usage: self.usage.clone(),
            cancel_requested,
            submitted_by: self.submitted_by.clone(),
            batch_id: self.batch_id.clone(),
            parent_job_id: self.parent_job_id.clone(),
            child_job_ids: self.child_job_ids.clone(),
            retry_of: self.retry_of.clone(),
            retried_as: self.retried_as.clone(),
            template: self.template.clone(),
            quality: self.quality.clone(),
        }
    }
}

/// Store keys. One function per key so the layout reads in one place.
pub mod keys {
    pub fn job(id: &str) -> String {
        format!("job/{id}")
    }
    /// Latch a retry of the job wins (one retry per job).
    pub fn retry_latch(id: &str) -> String {
        format!("job/{id}/retry")
    }
    /// Counter numbering jobs in creation order.
    pub const JOB_COUNTER: &str = "jobs/n";
    pub fn job_index(number: i64) -> String {
        format!("jobs/i/{number}")
    }
    /// The oldest job index entry that may still hold a job (the janitor's hint).
    pub const OLDEST_JOB: &str = "jobs/oldest";
    /// When (epoch ms) the janitor last ran.
    pub const SWEPT_AT: &str = "jobs/swept";
    /// Counter handing out queue tickets; a ticket names one attempt of one job.
    pub const TICKET_COUNTER: &str = "queue/tail";
    pub fn ticket(ticket: i64) -> String {
        format!("queue/t/{ticket}")
    }
    /// The value of a ticket whose submit failed: it names no job.
    pub const TICKET_TOMBSTONE: &[u8] = b"-:0";
    /// Lowest ticket that may still be queued: a hint that only saves reads.
    pub const QUEUE_HEAD: &str = "queue/head";
    /// The running attempts (`{id}:{attempt}`), appended when taken.
    pub const RUNNING_INDEX: crate::store::Slots = crate::store::Slots::new("run");
    /// Lowest running-index entry that may still be running: a hint like [`QUEUE_HEAD`].
    pub const RUNNING_LOW: &str = "run/low";
    /// The attempts waiting for a usage limit to reset (`{id}:{attempt}`), appended when an
    /// attempt stops at one.
    pub const WAITING_INDEX: crate::store::Slots = crate::store::Slots::new("wait");
    /// Lowest waiting-index entry that may still wait: a hint like [`QUEUE_HEAD`].
    pub const WAITING_LOW: &str = "wait/low";
    /// When (epoch ms) waiting attempts were last looked at.
    pub const WAITING_CHECKED_AT: &str = "wait/checked";
    /// When (epoch ms) expired leases were last looked for.
    pub const REAPED_AT: &str = "run/reaped";
    /// The rendered prompt of a job.
    pub fn job_prompt(id: &str) -> String {
        format!("job/{id}/prompt")
    }
    /// Jobs queued right now (moved only by latch winners).
    pub const QUEUED_COUNT: &str = "stats/queued";
    /// Jobs waiting for a usage limit to reset (moved only by latch winners, recounted by
    /// `scan::census` from the waiting index).
    pub const WAITING_COUNT: &str = "stats/waiting";
    /// Attempts running right now: the semaphore that caps concurrency.
    pub const RUNNING_COUNT: &str = "stats/running";
    /// Latch: who takes attempt `a` out of the queue or out of waiting (a runner, or a cancel).
    pub fn claim_latch(id: &str, attempt: u32) -> String {
        format!("job/{id}/a{attempt}/claim")
    }
    /// Latch: who ends attempt `a` (its runner's finish, or the reaper).
    pub fn end_latch(id: &str, attempt: u32) -> String {
        format!("job/{id}/a{attempt}/end")
    }
    /// When (epoch ms) attempt `a` was first seen half-done: a latch taken, the record not moved.
    pub fn stuck_since(id: &str, attempt: u32) -> String {
        format!("job/{id}/a{attempt}/stuck")
    }
    /// Latch: who repairs a half-done attempt.
    pub fn repair_latch(id: &str, attempt: u32) -> String {
        format!("job/{id}/a{attempt}/repair")
    }
    /// The last census of a counter: `{counter}:{observed}` (see `scan::census`).
    pub fn census(counter: &str) -> String {
        format!("{counter}/census")
    }
    /// Lease expiry (epoch ms, decimal) of a running attempt.
    pub fn lease(id: &str, attempt: u32) -> String {
        format!("job/{id}/a{attempt}/lease")
    }
    /// Non-zero once a cancel was requested.
    pub fn cancel_flag(id: &str) -> String {
        format!("job/{id}/cancel")
    }
    pub fn log_chunk(id: &str, attempt: u32, chunk: u32) -> String {
        format!("job/{id}/log/{attempt}/{chunk}")
    }
    /// Staged output `index` of an attempt: chunk count here, chunks under `.../c`.
    pub fn staged_output(id: &str, attempt: u32, index: usize) -> String {
        format!("job/{id}/a{attempt}/out/{index}")
    }
    /// The names of the runners seen, in the order first seen.
    pub const RUNNERS: crate::store::Slots = crate::store::Slots::new("runners");
    pub fn runner_registered(name: &str) -> String {
        format!("runner/{name}/reg")
    }
    pub fn runner_seen(name: &str) -> String {
        format!("runner/{name}/seen")
    }
    /// Bumped by `POST /api/runner/claim/stop`: waiting claims of that runner answer at once.
    pub fn runner_claim_stop(name: &str) -> String {
        format!("runner/{name}/stop")
    }
}
