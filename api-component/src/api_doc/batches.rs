//! The description of batches: many generate requests queued, followed and cancelled as one.

use super::*;
use crate::jobs::batches::{BatchQueued, BatchRequest, BatchView, MAX_BATCH_ITEMS};

pub(super) fn describe(endpoint: Endpoint, s: &mut Schemas) -> Described {
    use Endpoint::*;
    match endpoint {
        GenerateBatch => Described::new(
            "generateBatch",
            "jobs",
            "Queue up to 100 briefs or drafts at once",
        )
        .describe(format!(
            "`items` holds 1 to {MAX_BATCH_ITEMS} bodies of `POST /api/{{collection}}/generate` \
             (`BriefRequest`s or `DraftRequest`s). Every item is validated, its inputs checked \
             and its output named (no two items get the same name) before any job is queued: \
             one bad item refuses the batch with 400 naming its index (`items[3]: ...`) and \
             nothing is queued. The queue must have room for every item."
        ))
        .body(json_body(s.of::<BatchRequest>()))
        .answer(
            202,
            json_response(
                "Queued, jobs in the order of the items",
                s.of::<BatchQueued>(),
            )
            .with_header("Location", "The batch: `/api/batches/{batch_id}`"),
        )
        .refuse(
            400,
            "No items, more than 100, or an invalid item (named by its index)",
        )
        .refuse(404, "Brand data has no batches")
        .refuse(429, FULL_QUEUE),
        BatchGet => Described::new("batchGet", "jobs", "A batch's progress")
            .answer(
                200,
                json_response("Counts by status and the jobs", s.of::<BatchView>()),
            )
            .refuse(404, "No batch with this id"),
        BatchCancel => Described::new("batchCancel", "jobs", "Cancel every job of a batch")
            .describe(
                "Each job that has not ended is cancelled as `POST /api/jobs/{id}/cancel` would \
                 (queued ones at once, running ones once their runner learns it).",
            )
            .answer(
                202,
                json_response("The batch after the cancels", s.of::<BatchView>()),
            )
            .refuse(404, "No batch with this id"),
        other => unreachable!("{other:?} is described elsewhere"),
    }
}
