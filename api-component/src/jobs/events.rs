//! A job's live events as Server-Sent Events: its log lines as `log` events (with `id:` so a
//! browser resumes with `Last-Event-ID`), its view as `status` events whenever it changes, and a
//! final `done`. The host calls [`EventStream::poll`] every ~100 ms and sends what it returns;
//! reading the log is [`super::logs`]' business, framing it is this module's.

use super::logs::{DEFAULT_LINES, Position, parse_after, read_from};
use super::model::{JobRecord, Status};
use super::{cancel_requested, load, scan};
use crate::Ctx;
use crate::error::ApiResult;
use crate::http::ApiRequest;

/// The state of one SSE connection: what it has sent so far.
pub struct EventStream {
    pub job_id: String,
    /// The first line not sent yet.
    pos: Position,
    last_status: String,
    /// Queue position of a queued job and how many polls ago it was computed.
    queue_position: Option<u64>,
    polls_since_position: u32,
    finished: bool,
}

/// A queued job's position takes a queue scan: once a second (every 10th poll) is enough.
const POLLS_PER_POSITION: u32 = 10;

impl EventStream {
    /// Validates the job and the resume point (`Last-Event-ID` wins over `?after=`).
    pub fn open(ctx: &Ctx, req: &ApiRequest, id: &str) -> ApiResult<EventStream> {
        load(ctx.store, id)?;
        let after = match req.header("last-event-id") {
            Some(v) => parse_after(Some(v))?,
            None => parse_after(req.query_param("after").as_deref())?,
        };
        Ok(EventStream {
            job_id: id.to_owned(),
            pos: after.map_or(Position::start(), Position::after),
            last_status: String::new(),
            queue_position: None,
            polls_since_position: POLLS_PER_POSITION,
            finished: false,
        })
    }

    /// The first bytes of the stream: the reconnect delay browsers should use.
    pub const fn preamble() -> &'static [u8] {
        b"retry: 1000\n\n"
    }

    /// Everything new since the last call, as SSE bytes; `done` once the final event was sent.
    pub fn poll(&mut self, ctx: &Ctx) -> ApiResult<(Vec<u8>, bool)> {
        if self.finished {
            return Ok((Vec::new(), true));
        }
        let record = load(ctx.store, &self.job_id)?;
        let mut out = Vec::new();
        loop {
            let (lines, done, next) = read_from(ctx, &record, self.pos, DEFAULT_LINES)?;
            self.pos = next;
            for l in &lines {
                let data = serde_json::to_string(l).unwrap_or_default();
                out.extend_from_slice(
                    format!("event: log\nid: {}\ndata: {data}\n\n", l.seq).as_bytes(),
                );
            }
            if lines.len() < DEFAULT_LINES || done {
                let position = self.queue_position(ctx, &record)?;
                let view = serde_json::to_string(
                    &record.view(position, cancel_requested(ctx.store, &record.id)?),
                )
                .unwrap_or_default();
                if view != self.last_status {
                    out.extend_from_slice(format!("event: status\ndata: {view}\n\n").as_bytes());
                    self.last_status = view.clone();
                }
                if done {
                    out.extend_from_slice(format!("event: done\ndata: {view}\n\n").as_bytes());
                    self.finished = true;
                }
                return Ok((out, done));
            }
        }
    }

    /// The job's place in the queue while it is queued, recomputed every
    /// [`POLLS_PER_POSITION`] polls.
    fn queue_position(&mut self, ctx: &Ctx, record: &JobRecord) -> ApiResult<Option<u64>> {
        if record.status != Status::Queued {
            self.polls_since_position = POLLS_PER_POSITION;
            return Ok(None);
        }
        if self.polls_since_position >= POLLS_PER_POSITION {
            self.queue_position = scan::position(scan::head(ctx)?, record);
            self.polls_since_position = 0;
        }
        self.polls_since_position += 1;
        Ok(self.queue_position)
    }
}
