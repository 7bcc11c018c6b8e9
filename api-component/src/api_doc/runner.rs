//! The description of the runner protocol (docs/runner-protocol.md): claims, heartbeats, log
//! chunks, outputs and the end of an attempt.

use super::*;
use protocol::limits::{MAX_LINES_PER_CHUNK, MAX_LOG_CHUNK_BYTES};
use protocol::{
    ActionResponse, ClaimRequest, ClaimResponse, FinishRequest, HeartbeatRequest,
    HeartbeatResponse, LogChunk, StopRequest,
};

pub(super) fn describe(endpoint: Endpoint, s: &mut Schemas) -> Described {
    use Endpoint::*;
    match endpoint {
        RunnerClaim => Described::new(
            "runnerClaim",
            "runner",
            "Claim up to `slots` queued jobs (long poll)",
        )
        .describe(
            "Runner protocol (docs/runner-protocol.md). Reaps attempts whose lease expired, then \
             takes queued jobs in FIFO order while fewer than `max_concurrent_jobs` run. Waits up \
             to `wait_ms` (capped by the `claim_wait_ms` setting) for a job.",
        )
        .body(json_body(s.of::<ClaimRequest>()))
        .answer(
            200,
            json_response("Claimed jobs (maybe none)", s.of::<ClaimResponse>()),
        )
        .refuse(
            400,
            "Not a claim, a bad runner name, or `slots` out of range",
        ),
        RunnerClaimStop => Described::new(
            "runnerClaimStop",
            "runner",
            "End this runner's waiting claims now",
        )
        .describe(
            "Claims of `runner` that are waiting answer at once, with the jobs they already took \
             (usually none); later claims wait as usual. A draining runner calls it so that it \
             need not wait out its long poll.",
        )
        .body(json_body(s.of::<StopRequest>()))
        .answer(
            204,
            ResponseBuilder::new()
                .description(
                    "Waiting claims of this runner answer within one poll interval (25 ms)",
                )
                .build(),
        )
        .refuse(400, "Not a stop request, or a bad runner name"),
        RunnerHeartbeat => {
            Described::new("runnerHeartbeat", "runner", "Extend leases; learn cancels")
                .describe(
                    "Each listed attempt that is still this runner's gets its lease extended and \
                 `continue` or `cancel` (stop it, finish as cancelled); any other gets `abandon` \
                 (no longer yours: kill it, report nothing).",
                )
                .body(json_body(s.of::<HeartbeatRequest>()))
                .answer(
                    200,
                    json_response("What to do with each attempt", s.of::<HeartbeatResponse>()),
                )
                .refuse(400, "Not a heartbeat, or a bad runner name")
        }
        RunnerLogChunk => Described::new(
            "runnerLogChunk",
            "runner",
            "Store log chunk `chunk` of an attempt",
        )
        .describe(format!(
            "Chunks are numbered from 0 and sent in order, each at most {} KiB with 1 to {} \
             lines. Sending a chunk again rewrites it (idempotent).",
            MAX_LOG_CHUNK_BYTES / 1024,
            MAX_LINES_PER_CHUNK
        ))
        .body(json_body(s.of::<LogChunk>()))
        .answer(200, json_response("Stored", s.of::<ActionResponse>()))
        .refuse(
            400,
            "Not a log chunk, no lines or too many, or a bad attempt or chunk number",
        )
        .refuse(404, "No job with this id")
        .refuse(
            409,
            "The attempt is no longer running here (stop it), or the previous chunk is missing",
        )
        .refuse(413, "The chunk is over its limit"),
        RunnerOutput => Described::new(
            "runnerOutput",
            "runner",
            "Stage output file `index` of an attempt",
        )
        .describe(
            "The file's bytes. Staged outputs become documents when the attempt finishes \
             `completed`.",
        )
        .body(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content("application/octet-stream", Content::new(Some(binary())))
                .build(),
        )
        .answer(200, json_response("Staged", s.of::<ActionResponse>()))
        .refuse(
            400,
            "A bad attempt or index, or the job has no output with this index",
        )
        .refuse(404, "No job with this id")
        .refuse(409, "The attempt is no longer running here: stop it")
        .refuse(
            413,
            "The file is over `max_document_bytes` (the claim's `max_output_bytes`)",
        ),
        RunnerFinish => Described::new("runnerFinish", "runner", "Report the end of an attempt")
            .describe(
                "Sent after the last log chunk was accepted. `completed` commits the staged \
                 outputs (all must be present and valid, else the job fails with the reason); \
                 `cancelled` without a cancel request gives the job back to the queue; \
                 `usage_limit` (with `resume_at_ms`, when the limit resets) makes the job \
                 `waiting` until then, without using up an attempt (or fails it when \
                 `resume_on_usage_limit` is off).",
            )
            .body(json_body(s.of::<FinishRequest>()))
            .answer(
                200,
                json_response("The job after this attempt", s.of::<JobView>()),
            )
            .refuse(
                400,
                "Not a finish report, a bad attempt number, or `resume_at_ms` missing with \
                 `usage_limit`, given with another status, or more than 8 days ahead",
            )
            .refuse(404, "No job with this id")
            .refuse(
                409,
                "The attempt is no longer running here, or has already ended",
            ),
        other => unreachable!("{other:?} is described elsewhere"),
    }
}
