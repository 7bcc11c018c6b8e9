//! The description of the job listing: newest first, filtered by status, type, text, submitter
//! and creation time, paged with a cursor, each page examining a bounded number of jobs.

use super::*;
use crate::jobs::filter::{MAX_QUERY_CHARS, MAX_SUBMITTER_CHARS};
use crate::jobs::model::JobType;

pub(super) fn describe(endpoint: Endpoint, s: &mut Schemas) -> Described {
    match endpoint {
        Endpoint::JobsList => Described::new("jobsList", "jobs", "List jobs, newest first")
            .describe(format!(
                "Filters combine: a job is listed when it matches every one given (an empty \
                 value is no filter). `from` and `to` take a date (`YYYY-MM-DD`, a whole UTC \
                 day) or an RFC 3339 time (send a `+` in its offset as `%2B`), on the job's \
                 `created_at`; both ends are included. A page examines at most {} jobs: when \
                 filters skip that many, it comes back short (even empty) with a `next_cursor` \
                 to go on from, so one request never walks the whole history. `next_cursor` is \
                 `null` once no older job is left, or none can be in the window.",
                views::MAX_EXAMINED
            ))
            .parameter(query(
                "status",
                "Only jobs with this status",
                s.of::<Status>(),
            ))
            .parameter(query("type", "Only jobs of this type", s.of::<JobType>()))
            .parameter(query(
                "q",
                &format!(
                    "Only jobs whose title, keywords, brand name, brief, brand data, document \
                     names or submitter (`submitted_by`) contain this text, ignoring case (at \
                     most {MAX_QUERY_CHARS} characters)"
                ),
                string(),
            ))
            .parameter(query(
                "submitted_by",
                &format!(
                    "Only jobs submitted by this person (`submitted_by` of the job, ignoring \
                     case; at most {MAX_SUBMITTER_CHARS} characters)"
                ),
                string(),
            ))
            .parameter(query(
                "from",
                "Only jobs created at or after this date or time",
                string(),
            ))
            .parameter(query(
                "to",
                "Only jobs created at or before this time, or on or before this date",
                string(),
            ))
            .parameter(limit(views::DEFAULT_LIMIT, views::MAX_LIMIT))
            .parameter(cursor())
            .answer(200, json_response("One page", s.of::<JobPage>()))
            .refuse(
                400,
                "An unknown status or type, a text over its limit, a date that is no date, \
                 `from` after `to`, or a bad limit or cursor",
            ),
        other => unreachable!("{other:?} is described elsewhere"),
    }
}
