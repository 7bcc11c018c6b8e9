//! What a running attempt sends while it runs: its log, chunk by chunk, and its output files.
//! Both answer with the action the runner should take (continue or cancel).

use protocol::limits::{MAX_CHUNKS, MAX_LINES_PER_CHUNK, MAX_LOG_CHUNK_BYTES};
use protocol::{ActionResponse, LogChunk};

use super::{action, live_attempt, parse_number};
use crate::Ctx;
use crate::blob;
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiResponse, json_body};
use crate::jobs::model::keys;

/// `PUT /api/runner/jobs/{id}/{attempt}/logs/{chunk}`: stores one chunk of log lines. Chunks
/// are numbered from 0 and must arrive in order; sending a chunk again rewrites the same key.
pub fn log_chunk(
    ctx: &Ctx,
    bound: Option<&str>,
    id: &str,
    attempt: &str,
    chunk: &str,
    body: &[u8],
) -> ApiResult<ApiResponse> {
    let attempt = parse_number(attempt, "attempt")?;
    let chunk = parse_number(chunk, "chunk")?;
    if chunk > MAX_CHUNKS {
        return Err(ApiError::BadRequest(format!(
            "chunk numbers stop at {MAX_CHUNKS}"
        )));
    }
    if body.len() > MAX_LOG_CHUNK_BYTES {
        return Err(ApiError::TooLarge {
            size: body.len() as u64,
            limit: MAX_LOG_CHUNK_BYTES as u64,
        });
    }
    let parsed: LogChunk = json_body(body)?;
    if parsed.lines.is_empty() || parsed.lines.len() > MAX_LINES_PER_CHUNK {
        return Err(ApiError::BadRequest(format!(
            "a chunk holds 1 to {MAX_LINES_PER_CHUNK} lines"
        )));
    }
    live_attempt(ctx, bound, id, attempt)?;
    if chunk > 0
        && ctx
            .store
            .get(&keys::log_chunk(id, attempt, chunk - 1))?
            .is_none()
    {
        return Err(ApiError::Conflict(format!(
            "log chunk {} is missing; send chunks in order",
            chunk - 1
        )));
    }
    let stored = serde_json::to_vec(&parsed).unwrap_or_default();
    ctx.store
        .set(&keys::log_chunk(id, attempt, chunk), &stored)?;
    Ok(ApiResponse::json(
        200,
        &ActionResponse {
            action: action(ctx, id)?,
        },
    ))
}

/// `PUT /api/runner/jobs/{id}/{attempt}/outputs/{index}`: stages output file `index`.
pub fn output(
    ctx: &Ctx,
    bound: Option<&str>,
    id: &str,
    attempt: &str,
    index: &str,
    body: &[u8],
) -> ApiResult<ApiResponse> {
    let attempt = parse_number(attempt, "attempt")?;
    let index = parse_number(index, "output index")? as usize;
    let max = ctx.settings.max_document_bytes;
    if body.len() as u64 > max {
        return Err(ApiError::TooLarge {
            size: body.len() as u64,
            limit: max,
        });
    }
    let record = live_attempt(ctx, bound, id, attempt)?;
    if index >= record.outputs.len() {
        return Err(ApiError::BadRequest(format!(
            "job {id} has {} output(s)",
            record.outputs.len()
        )));
    }
    let key = keys::staged_output(id, attempt, index);
    let (entries, count) = blob::chunk_entries(&format!("{key}/c"), body);
    if !entries.is_empty() {
        ctx.store.set_many(&entries)?;
    }
    ctx.store.set(&key, count.to_string().as_bytes())?;
    Ok(ApiResponse::json(
        200,
        &ActionResponse {
            action: action(ctx, id)?,
        },
    ))
}
