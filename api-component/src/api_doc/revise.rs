//! The description of revise with AI: a revision job, its proposal, and the review.

use super::*;
use crate::jobs::revise::{ApproveRequest, ProposalView, ReviseRequest, StaleProposal};

pub(super) fn describe(endpoint: Endpoint, s: &mut Schemas) -> Described {
    use Endpoint::*;
    match endpoint {
        Revise => Described::new(
            "revise",
            "jobs",
            "Ask for a revision of a brief or draft",
        )
        .describe(
            "Queues a `revision` job that rewrites the document as the instructions say. The job \
             never writes the document: its result is a proposal (`GET /api/proposals/{job_id}`) \
             to approve, in whole or by hunk, or reject. The text revised is the version named \
             by `base_etag` (the current one), kept with the job.",
        )
        .body(json_body(s.of::<ReviseRequest>()))
        .answer(
            202,
            json_response("Queued", s.of::<Queued>())
                .with_header("Location", "The proposal once ready: `/api/proposals/{job_id}`"),
        )
        .refuse(400, "No instructions, instructions over 4,000 characters, or a bad name")
        .refuse(404, "No such document, or brand data (revisions are for briefs and drafts)")
        .refuse(412, "`base_etag` is not the document's current version")
        .refuse(429, FULL_QUEUE),
        ProposalGet => Described::new("proposalGet", "jobs", "A revision's proposal")
            .describe(
                "The text revised (`base`), the text proposed, and `segments`: the two word by \
                 word, as runs both share and numbered hunks (`removed` → `added`).",
            )
            .answer(200, json_response("The proposal", s.of::<ProposalView>()))
            .refuse(
                404,
                "No proposal from this job: not a revision, not finished, or failed",
            ),
        ProposalApprove => Described::new(
            "proposalApprove",
            "jobs",
            "Write a proposal (or some of its hunks) as the new version",
        )
        .describe(
            "Without a body or `hunks`, the whole proposal; with `hunks`, the base with only \
             those changes. Written only while the document is still at the revised version \
             (source `revision:<job_id>`).",
        )
        .body(json_body(s.of::<ApproveRequest>()))
        .answer(200, stored_item("The new version", s))
        .answer(
            409,
            json_response(
                "The document changed since the revision was asked for (its text now is \
                 `current`), or the proposal was decided already; nothing was written",
                s.of::<StaleProposal>(),
            ),
        )
        .refuse(400, "A hunk index the proposal does not have")
        .refuse(404, "No proposal from this job"),
        ProposalReject => Described::new("proposalReject", "jobs", "Set a proposal aside")
            .answer(200, json_response("The proposal, rejected", s.of::<ProposalView>()))
            .refuse(404, "No proposal from this job")
            .refuse(409, "The proposal was decided already"),
        other => unreachable!("{other:?} is described elsewhere"),
    }
}
