//! Brief-to-draft pipelines: a brief request may carry `then_draft` (`{"target_word_count"}`).
//! When that brief completes, a draft job from the new brief and the same brand data is queued
//! by the same person, linked both ways (`parent_job_id` on the draft, `child_job_ids` on the
//! brief). The finish call that completes the brief does it, once: only the caller that won the
//! attempt's end latch gets here. Should the draft not be queueable (the brand data was deleted
//! meanwhile, the queue is full), the brief stays completed and its `error` says why.

use serde_json::json;

use super::enqueue::enqueue;
use super::model::{JobRecord, JobType, Status};
use super::save;
use super::submit::{GenerateRequest, prepare};
use crate::Ctx;
use crate::error::ApiResult;
use crate::names::Collection;

/// Queues what a just-finished job asked to follow it; returns the record as it then is.
pub fn follow_up(ctx: &Ctx, mut record: JobRecord) -> ApiResult<JobRecord> {
    if record.kind != JobType::Brief
        || record.status != Status::Completed
        || !record.child_job_ids.is_empty()
    {
        return Ok(record);
    }
    let Some(then) = record.params.get("then_draft").cloned() else {
        return Ok(record);
    };
    let Some(brief) = record.output_documents.first() else {
        return Ok(record);
    };
    let params = json!({
        "brief": brief.name,
        "brand_data": record.params["brand_data"],
        "target_word_count": then["target_word_count"],
    });
    let queued = GenerateRequest::from_params(Collection::Drafts, &params)
        .and_then(|request| prepare(ctx, request))
        .and_then(|mut submission| {
            submission.parent_job_id = Some(record.id.clone());
            enqueue(ctx, submission, &record.submitted_by)
        });
    match queued {
        Ok(child) => record.child_job_ids.push(child),
        Err(e) => {
            record.error = Some(format!(
                "the brief is done, but its draft could not be queued: {e}"
            ))
        }
    }
    save(ctx.store, &record)?;
    Ok(record)
}
