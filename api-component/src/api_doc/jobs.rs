//! The description of one job from the content team's side: queueing it, reading it, its logs
//! and live events, cancelling, retrying and removing it.

use utoipa::openapi::schema::OneOfBuilder;

use super::*;
use crate::jobs::logs::{self, LogPage};
use crate::jobs::submit::{BrandRequest, BriefRequest, DraftRequest};

pub(super) fn describe(endpoint: Endpoint, s: &mut Schemas) -> Described {
    use Endpoint::*;
    match endpoint {
        JobGet => Described::new("jobGet", "jobs", "One job")
            .answer(200, json_response("The job", s.of::<JobView>()))
            .refuse(404, "No job with this id"),
        JobDelete => Described::new("jobDelete", "jobs", "Remove a finished job")
            .describe(
                "Removes the job with its logs, staged outputs and bookkeeping; the documents \
                 it produced stay. Finished jobs are also removed by themselves once \
                 `job_retention_days` old.",
            )
            .answer(204, ResponseBuilder::new().description("Removed").build())
            .refuse(404, "No job with this id")
            .refuse(
                409,
                "The job is queued, running or waiting: cancel it first",
            ),
        JobCancel => Described::new("jobCancel", "jobs", "Cancel a job")
            .describe(
                "A queued or waiting job is cancelled at once (it never runs again); a running \
                 one is flagged, its runner learns it within a heartbeat (1 s) and the job \
                 becomes `cancelled` once the process is gone.",
            )
            .answer(
                202,
                json_response("Cancelled, or cancelling", s.of::<JobView>()),
            )
            .refuse(404, "No job with this id")
            .refuse(409, "The job is already completed, failed or cancelled"),
        JobRetry => Described::new(
            "jobRetry",
            "jobs",
            "Queue a new job with the same parameters",
        )
        .describe("Only failed or cancelled jobs can be retried.")
        .answer(202, json_response("The new job, queued", s.of::<Queued>()))
        .refuse(404, "No job with this id")
        .refuse(
            409,
            "The job is not failed or cancelled, or its type is unknown to this server",
        )
        .refuse(422, "An input document of the job no longer exists")
        .refuse(429, FULL_QUEUE),
        JobLogs => Described::new("jobLogs", "jobs", "Log lines after a sequence number")
            .describe(
                "`seq` numbers are strictly increasing, not contiguous. Pass `next` back as \
                 `after`. `done` is true once the job is final and every line was returned.",
            )
            .parameter(after("Return the lines after this `seq`"))
            .parameter(limit(logs::DEFAULT_LINES, logs::MAX_LINES))
            .answer(200, json_response("Lines", s.of::<LogPage>()))
            .refuse(400, "A bad `after` or limit")
            .refuse(404, "No job with this id"),
        JobEvents => {
            // Named so that clients find the schema of each event's data.
            s.of::<JobView>();
            s.of::<logs::SeqLine>();
            Described::new("jobEvents", "jobs", "Live events (Server-Sent Events)")
                .describe(
                    "`event: log` (`id:` = `seq`, data = a `SeqLine`) for each line, `event: \
                     status` (data = the `JobView`) whenever the job changes, and a final `event: \
                     done` (data = the `JobView`) before the server closes the stream; an `event: \
                     error` (data = an `ErrorBody`) ends it if storage fails. Resumes after \
                     `Last-Event-ID` (or else `?after=`) without gaps or repeats. Streams end \
                     after 5 minutes; clients reconnect.",
                )
                .parameter(after("Start after this `seq`"))
                .parameter(header(
                    "Last-Event-ID",
                    "The `id` of the last event received: resume after it (wins over `after`)",
                ))
                .answer(
                    200,
                    ResponseBuilder::new()
                        .description("The event stream")
                        .content("text/event-stream", Content::new(Some(string())))
                        .build(),
                )
                .refuse(400, "A bad `after` or `Last-Event-ID`")
                .refuse(404, "No job with this id")
                .refuse(
                    429,
                    "The host has too many event streams open (from this client, or in all); \
                     see `Retry-After`, and poll `/logs` meanwhile",
                )
        }
        Generate => Described::new(
            "generate",
            "jobs",
            "Queue a job generating a document into this collection",
        )
        .describe(
            "`brand-data` takes a `BrandRequest`, `briefs` a `BriefRequest`, `drafts` a \
             `DraftRequest`. The output document's name is chosen now (from the brand name, \
             title or brief, made unique), and the prompt is rendered from `instructions/` and \
             stored with the job.",
        )
        .body({
            let one_of = OneOfBuilder::new()
                .item(s.of::<BrandRequest>())
                .item(s.of::<BriefRequest>())
                .item(s.of::<DraftRequest>());
            json_body(one_of.into())
        })
        .answer(
            202,
            json_response("Queued", s.of::<Queued>())
                .with_header("Location", "The job: `/api/jobs/{job_id}`"),
        )
        .refuse(400, "A missing or invalid field")
        .refuse(409, "Too many documents already carry the output's name")
        .refuse(429, FULL_QUEUE)
        .refuse(
            422,
            "An input document (`brand_data`, `brief`) does not exist",
        ),
        other => unreachable!("{other:?} is described elsewhere"),
    }
}
