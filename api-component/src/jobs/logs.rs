//! Job logs: chunks of lines stored per attempt (`job/{id}/log/{attempt}/{chunk}`), read back
//! as one sequence across attempts, and `GET /api/jobs/{id}/logs`. The live stream built on
//! this reading is [`super::events`].
//!
//! A line's `seq` packs where it is stored: `attempt × 10¹² + chunk × 10⁵ + index`. Sequence
//! numbers are strictly increasing but not contiguous; `after=<seq>` resumes right after a line
//! with O(page) store reads, and so does the SSE `Last-Event-ID`.

use serde::Serialize;

use super::load;
use super::model::{JobRecord, keys};
use crate::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiRequest, ApiResponse};
use crate::store::StoreResult;

const ATTEMPT_UNIT: i64 = 1_000_000_000_000;
const CHUNK_UNIT: i64 = 100_000;
/// Chunks read per store round trip.
const CHUNK_BATCH: u32 = 8;
pub const DEFAULT_LINES: usize = 500;
pub const MAX_LINES: usize = 5_000;

use protocol::{LogChunk, LogKind, LogLine, LogStream, Timestamp};

/// A line as clients read it: the runner's line with its sequence number.
// Spelt out rather than a flattened `LogLine`, whose schema refuses fields it does not name
// (`seq` included), so that the schema of this one can hold.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeqLine {
    pub seq: i64,
    pub ts: Timestamp,
    pub stream: LogStream,
    pub kind: LogKind,
    pub text: String,
}

impl SeqLine {
    fn new(seq: i64, line: LogLine) -> Self {
        SeqLine {
            seq,
            ts: line.ts,
            stream: line.stream,
            kind: line.kind,
            text: line.text,
        }
    }
}

/// `GET /api/jobs/{id}/logs`: lines in order.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogPage {
    pub lines: Vec<SeqLine>,
    /// Pass back as `after` for the lines that follow.
    pub next: i64,
    /// The job is final and every line was returned.
    pub done: bool,
}

/// Where reading resumes: the first line not yet returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Position {
    attempt: u32,
    chunk: u32,
    index: usize,
}

impl Position {
    pub(super) fn start() -> Self {
        Position {
            attempt: 1,
            chunk: 0,
            index: 0,
        }
    }

    /// The position right after the line numbered `seq`.
    pub(super) fn after(seq: i64) -> Self {
        if seq <= 0 {
            return Self::start();
        }
        Position {
            attempt: (seq / ATTEMPT_UNIT).max(1) as u32,
            chunk: ((seq % ATTEMPT_UNIT) / CHUNK_UNIT) as u32,
            index: (seq % CHUNK_UNIT) as usize + 1,
        }
    }

    /// Part of the chunk at this position was read already: the rest of it is there.
    pub(super) fn mid_chunk(self) -> bool {
        self.index > 0
    }

    pub(super) fn attempt(self) -> u32 {
        self.attempt
    }

    /// The key of the chunk this position is in (the next one to show up, when it is at 0).
    pub(super) fn chunk_key(self, job_id: &str) -> String {
        keys::log_chunk(job_id, self.attempt, self.chunk)
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
) -> StoreResult<(Vec<SeqLine>, bool)> {
    let pos = after.map_or(Position::start(), Position::after);
    read_from(ctx, record, pos, limit).map(|(lines, done, _)| (lines, done))
}

/// Lines from `pos` on, at most `limit`; whether the log is complete; where to go on from.
/// Chunks never change once stored, so the next position is past every chunk read whole.
pub(super) fn read_from(
    ctx: &Ctx,
    record: &JobRecord,
    mut pos: Position,
    limit: usize,
) -> StoreResult<(Vec<SeqLine>, bool, Position)> {
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
                lines.push(SeqLine::new(at.seq(), line));
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
    Ok(ApiResponse::json(200, &LogPage { lines, next, done }))
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
