//! Batches: up to [`MAX_BATCH_ITEMS`] generate requests of one collection queued together
//! (`POST /api/{briefs|drafts}/generate/batch`), followed as one (`GET /api/batches/{id}`) and
//! cancelled as one (`POST /api/batches/{id}/cancel`).
//!
//! Every item is validated, its inputs checked and its output named (no two items of a batch
//! get the same output) before any job is queued: one bad item refuses the batch with 400
//! naming its index, and nothing is queued. The queue must have room for the whole batch, else
//! 429. The batch is stored at `batch/{id}` with its job ids; each job names its batch.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::{JobRecord, Status, keys};
use super::submit::{GenerateRequest, prepare_among};
use super::{counter, enqueue, views};
use crate::Ctx;
use crate::documents::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiResponse, json_body};
use crate::names::Collection;

/// Most items one batch holds.
pub const MAX_BATCH_ITEMS: usize = 100;

/// `POST /api/{briefs|drafts}/generate/batch`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// 1 to 100 bodies of `POST /api/{collection}/generate`.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 100))]
    pub items: Vec<Value>,
}

/// The answer to a batch: its id and its jobs, in the order of the items.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchQueued {
    pub batch_id: String,
    pub job_ids: Vec<String>,
}

/// What is stored about a batch.
#[derive(Debug, Serialize, Deserialize)]
struct BatchRecord {
    id: String,
    collection: String,
    job_ids: Vec<String>,
    created_ms: i64,
    created_by: String,
}

/// How many of a batch's jobs are in each status.
#[derive(Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchCounts {
    pub queued: u64,
    pub running: u64,
    /// Stopped by a usage limit, queued again when it resets.
    pub waiting: u64,
    pub completed: u64,
    pub failed: u64,
    pub cancelled: u64,
}

/// `GET /api/batches/{id}`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchView {
    pub id: String,
    /// `briefs` or `drafts`.
    pub collection: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    pub created_by: String,
    pub total: u64,
    pub counts: BatchCounts,
    /// Every job of the batch is completed, failed or cancelled.
    pub done: bool,
    /// In the order of the items (jobs removed since are left out).
    pub job_ids: Vec<String>,
}

fn batch_key(id: &str) -> String {
    format!("batch/{id}")
}

/// `POST /api/{briefs|drafts}/generate/batch`: 202 with the batch and its jobs.
pub fn submit(ctx: &Ctx, collection: Collection, body: &[u8], by: &str) -> ApiResult<ApiResponse> {
    if collection == Collection::BrandData {
        return Err(ApiError::NotFound(
            "brand data is researched one brand at a time; batches are for briefs and drafts"
                .into(),
        ));
    }
    let request: BatchRequest = json_body(body)?;
    if request.items.is_empty() || request.items.len() > MAX_BATCH_ITEMS {
        return Err(ApiError::BadRequest(format!(
            "items must hold 1 to {MAX_BATCH_ITEMS} requests, not {}",
            request.items.len()
        )));
    }
    let mut reserved = Vec::new();
    let mut submissions = Vec::with_capacity(request.items.len());
    for (i, item) in request.items.iter().enumerate() {
        let prepared = match item {
            Value::Object(_) => GenerateRequest::from_params(collection, item)
                .and_then(|r| prepare_among(ctx, r, &mut reserved)),
            _ => Err(ApiError::BadRequest("must be a JSON object".into())),
        };
        submissions.push(prepared.map_err(|e| match e {
            ApiError::Store(_) => e,
            other => ApiError::BadRequest(format!("items[{i}]: {other}")),
        })?);
    }
    let waiting = counter(ctx.store, keys::QUEUED_COUNT)?;
    let room = ctx.settings.max_queued_jobs as i64 - waiting;
    if (submissions.len() as i64) > room {
        return Err(enqueue::queue_full(waiting, submissions.len()));
    }
    let number = ctx.store.increment("batch/n", 1)?;
    let id = format!("{number:x}-{:016x}", (ctx.random)());
    let mut job_ids = Vec::with_capacity(submissions.len());
    for mut submission in submissions {
        submission.batch_id = Some(id.clone());
        // A queue that filled up meanwhile stops the batch here: the jobs queued so far stay
        // (and are the batch), the answer says how far it got.
        match enqueue::enqueue(ctx, submission, by) {
            Ok(job) => job_ids.push(job),
            Err(e) if job_ids.is_empty() => return Err(e),
            Err(_) => break,
        }
    }
    let record = BatchRecord {
        id: id.clone(),
        collection: collection.segment().to_owned(),
        job_ids: job_ids.clone(),
        created_ms: ctx.now_ms,
        created_by: by.to_owned(),
    };
    ctx.store.set(
        &batch_key(&id),
        &serde_json::to_vec(&record).unwrap_or_default(),
    )?;
    let location = format!("/api/batches/{id}");
    Ok(ApiResponse::json(
        202,
        &BatchQueued {
            batch_id: id,
            job_ids,
        },
    )
    .with_header("location", location))
}

fn load(ctx: &Ctx, id: &str) -> ApiResult<BatchRecord> {
    let valid =
        !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    let raw = if valid {
        ctx.store.get(&batch_key(id))?
    } else {
        None
    };
    raw.and_then(|raw| serde_json::from_slice(&raw).ok())
        .ok_or_else(|| ApiError::NotFound(format!("no batch with id {id:?}")))
}

/// The batch's jobs that still exist, in its order.
fn jobs_of(ctx: &Ctx, batch: &BatchRecord) -> ApiResult<Vec<JobRecord>> {
    let keys: Vec<String> = batch.job_ids.iter().map(|id| keys::job(id)).collect();
    Ok(crate::store::read_json(ctx.store, &keys)?)
}

fn view(batch: BatchRecord, jobs: &[JobRecord]) -> BatchView {
    let mut counts = BatchCounts::default();
    for job in jobs {
        let slot = match job.status {
            Status::Queued => &mut counts.queued,
            Status::Running => &mut counts.running,
            Status::Waiting => &mut counts.waiting,
            Status::Completed => &mut counts.completed,
            Status::Failed => &mut counts.failed,
            Status::Cancelled => &mut counts.cancelled,
        };
        *slot += 1;
    }
    BatchView {
        id: batch.id,
        collection: batch.collection,
        created_at: rfc3339(batch.created_ms),
        created_by: batch.created_by,
        total: jobs.len() as u64,
        done: jobs.iter().all(|j| j.status.is_final()),
        counts,
        job_ids: jobs.iter().map(|j| j.id.clone()).collect(),
    }
}

/// `GET /api/batches/{id}`.
pub fn get(ctx: &Ctx, id: &str) -> ApiResult<ApiResponse> {
    let batch = load(ctx, id)?;
    let jobs = jobs_of(ctx, &batch)?;
    Ok(ApiResponse::json(200, &view(batch, &jobs)))
}

/// `POST /api/batches/{id}/cancel`: cancels every job of the batch that has not ended (as
/// `POST /api/jobs/{id}/cancel` does each); 202 with the batch as it is then.
pub fn cancel(ctx: &Ctx, id: &str) -> ApiResult<ApiResponse> {
    let batch = load(ctx, id)?;
    for job in jobs_of(ctx, &batch)? {
        if !job.status.is_final() {
            match views::job_cancel(ctx, &job.id) {
                // It ended meanwhile.
                Ok(_) | Err(ApiError::Conflict(_) | ApiError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    let jobs = jobs_of(ctx, &batch)?;
    Ok(ApiResponse::json(202, &view(batch, &jobs)))
}
