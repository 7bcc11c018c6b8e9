//! A job's live events as Server-Sent Events: its log lines as `log` events (with `id:` so a
//! browser resumes with `Last-Event-ID`), its view as `status` events whenever it changes, and a
//! final `done`. The host calls [`EventStream::poll`] every [`crate::serving::POLL_INTERVAL`] and
//! sends what it returns; reading the log is [`super::logs`]' business, framing it is this
//! module's.
//!
//! Every poll looks at one key, the log chunk that would come next. A new chunk (or every
//! [`POLLS_PER_RECORD`]-th poll) makes it a full poll that also loads the record and the cancel
//! flag (and the lines, when there are any). So a new line reaches the client within one interval
//! and a status change within [`POLLS_PER_RECORD`] intervals, and an idle stream reads one key per
//! interval plus two per full poll: at the 25 ms interval, 60 keys a second (a test counts them).

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
    /// Full polls since the position was computed, and polls since the last full poll.
    polls_since_position: u32,
    polls_since_record: u32,
    finished: bool,
}

/// A queued job's position reads the queue head: every 10th full poll is enough.
const POLLS_PER_POSITION: u32 = 10;
/// Polls between two loads of the record when no new chunk shows up.
pub const POLLS_PER_RECORD: u32 = 4;

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
            polls_since_record: POLLS_PER_RECORD,
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
        // A chunk read in part has more lines; otherwise look for the next one.
        let new_chunk =
            self.pos.mid_chunk() || ctx.store.get(&self.pos.chunk_key(&self.job_id))?.is_some();
        self.polls_since_record += 1;
        if !new_chunk && self.polls_since_record < POLLS_PER_RECORD {
            return Ok((Vec::new(), false));
        }
        self.polls_since_record = 0;
        let record = load(ctx.store, &self.job_id)?;
        // With no new chunk in the attempt being read, only a final job (or a new attempt) can
        // have lines to read: the record then says so.
        let lines_due =
            new_chunk || record.status.is_final() || record.attempt > self.pos.attempt();
        let mut out = Vec::new();
        loop {
            let (lines, done, next) = if lines_due {
                read_from(ctx, &record, self.pos, DEFAULT_LINES)?
            } else {
                (Vec::new(), false, self.pos)
            };
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
