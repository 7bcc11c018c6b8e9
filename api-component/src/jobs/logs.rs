//! Job logs: chunks of lines stored per attempt (`job/{id}/log/{attempt}/{chunk}`), read back
//! as one sequence across attempts, and the Server-Sent Events stream built on that.
//!
//! A line's `seq` packs where it is stored: `attempt × 10¹² + chunk × 10⁵ + index`. Sequence
//! numbers are strictly increasing but not contiguous; `after=<seq>` resumes right after a line
//! with O(page) store reads, and so does the SSE `Last-Event-ID`.

use serde::Serialize;
use serde_json::json;

use super::model::{JobRecord, keys};
use super::{cancel_requested, load, queue};
use crate::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiRequest, ApiResponse};

const ATTEMPT_UNIT: i64 = 1_000_000_000_000;
const CHUNK_UNIT: i64 = 100_000;
/// Chunks read per store round trip.
const CHUNK_BATCH: u32 = 8;
pub const DEFAULT_LINES: usize = 500;
pub const MAX_LINES: usize = 5_000;

use protocol::{LogChunk, LogLine};

/// A line as clients read it.
#[derive(Debug, Serialize)]
pub struct SeqLine {
    pub seq: i64,
    #[serde(flatten)]
    pub line: LogLine,
}

/// Where reading resumes: the first line not yet returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Position {
    attempt: u32,
    chunk: u32,
    index: usize,
}

impl Position {
    fn start() -> Self {
        Position {
            attempt: 1,
            chunk: 0,
            index: 0,
        }
    }

    /// The position right after the line numbered `seq`.
    fn after(seq: i64) -> Self {
        if seq <= 0 {
            return Self::start();
        }
        Position {
            attempt: (seq / ATTEMPT_UNIT).max(1) as u32,
            chunk: ((seq % ATTEMPT_UNIT) / CHUNK_UNIT) as u32,
            index: (seq % CHUNK_UNIT) as usize + 1,
        }
    }

    fn seq(self) -> i64 {
        self.attempt as i64 * ATTEMPT_UNIT + self.chunk as i64 * CHUNK_UNIT + self.index as i64
    }
}

/// Lines after `after`, at most `limit`; whether the log is complete (job final, all read).
pub fn read(
    ctx: &Ctx,
    record: &JobRecord,
    after: Option<i64>,
    limit: usize,
) -> ApiResult<(Vec<SeqLine>, bool)> {
    let pos = after.map_or(Position::start(), Position::after);
    read_from(ctx, record, pos, limit).map(|(lines, done, _)| (lines, done))
}

/// Lines from `pos` on, at most `limit`; whether the log is complete; where to go on from.
/// Chunks never change once stored, so the next position is past every chunk read whole.
fn read_from(
    ctx: &Ctx,
    record: &JobRecord,
    mut pos: Position,
    limit: usize,
) -> ApiResult<(Vec<SeqLine>, bool, Position)> {
    let mut lines = Vec::new();
    let final_status = record.status.is_final();
    while lines.len() < limit && pos.attempt <= record.attempt {
        let chunks: Vec<u32> = (pos.chunk..pos.chunk + CHUNK_BATCH).collect();
        let keys: Vec<String> = chunks
            .iter()
            .map(|c| keys::log_chunk(&record.id, pos.attempt, *c))
            .collect();
        let mut reached_end = false;
        for (chunk, raw) in chunks.iter().zip(ctx.store.get_many(&keys)?) {
            let Some(parsed) = raw.and_then(|b| serde_json::from_slice::<LogChunk>(&b).ok()) else {
                reached_end = true;
                break;
            };
            for (index, line) in parsed.lines.into_iter().enumerate().skip(pos.index) {
                if lines.len() == limit {
                    let next = Position {
                        attempt: pos.attempt,
                        chunk: *chunk,
                        index,
                    };
                    return Ok((lines, false, next));
                }
                let at = Position {
                    attempt: pos.attempt,
                    chunk: *chunk,
                    index,
                };
                lines.push(SeqLine {
                    seq: at.seq(),
                    line,
                });
            }
            pos = Position {
                attempt: pos.attempt,
                chunk: chunk + 1,
                index: 0,
            };
        }
        if reached_end {
            // An earlier attempt is over; so is the current one once the job is final.
            if pos.attempt < record.attempt {
                pos = Position {
                    attempt: pos.attempt + 1,
                    chunk: 0,
                    index: 0,
                };
            } else {
                return Ok((lines, final_status, pos));
            }
        }
    }
    Ok((lines, false, pos))
}

/// `GET /api/jobs/{id}/logs?after=&limit=`.
pub fn logs_get(ctx: &Ctx, req: &ApiRequest, id: &str) -> ApiResult<ApiResponse> {
    let record = load(ctx.store, id)?;
    let after = parse_after(req.query_param("after").as_deref())?;
    let limit = req.limit_param("limit", DEFAULT_LINES, MAX_LINES)?;
    let (lines, done) = read(ctx, &record, after, limit)?;
    let next = lines.last().map_or(after.unwrap_or(0), |l| l.seq);
    Ok(ApiResponse::json(
        200,
        &json!({ "lines": lines, "next": next, "done": done }),
    ))
}

/// Parses `after` / `Last-Event-ID`: a sequence number this API returned.
pub fn parse_after(raw: Option<&str>) -> ApiResult<Option<i64>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| {
                ApiError::BadRequest("after must be a sequence number from this API".into())
            }),
    }
}

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
    pub fn preamble() -> &'static [u8] {
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
        if record.status != super::model::Status::Queued {
            self.polls_since_position = POLLS_PER_POSITION;
            return Ok(None);
        }
        if self.polls_since_position >= POLLS_PER_POSITION {
            self.queue_position = queue::positions(&queue::scan(ctx)?)
                .get(&record.id)
                .copied();
            self.polls_since_position = 0;
        }
        self.polls_since_position += 1;
        Ok(self.queue_position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_through_seq() {
        let p = Position {
            attempt: 2,
            chunk: 17,
            index: 42,
        };
        assert_eq!(
            Position::after(p.seq()),
            Position {
                attempt: 2,
                chunk: 17,
                index: 43
            }
        );
        assert_eq!(Position::after(0), Position::start());
        assert!(
            Position {
                attempt: 1,
                chunk: 9_999_999,
                index: 99_999
            }
            .seq()
                < Position {
                    attempt: 2,
                    chunk: 0,
                    index: 0
                }
                .seq()
        );
        assert!(
            Position {
                attempt: 9,
                chunk: 9_999_999,
                index: 99_999
            }
            .seq()
                < (1i64 << 53)
        );
    }
}
