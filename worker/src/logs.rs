//! Live logs of one job: lines from claude-exec become protocol lines `{ts, stream, kind, text}`,
//! wait in a bounded queue ([`crate::spill`]), and one uploader task sends them as numbered
//! chunks.
//!
//! - Lines collect for about `log_flush` (25 ms) before a chunk goes out; a backlog goes out at
//!   once, in chunks of at most [`MAX_CHUNK_BYTES`] serialized.
//! - A chunk is built once and sent with the same number and the same bytes until the server
//!   accepts it, so retries never duplicate or reorder lines; chunk n+1 is built only after
//!   chunk n was accepted.
//! - A line too big for a chunk on its own has its text cut to fit, with a marker saying so.
//! - [`LogSink::close`] lets the uploader send what is left and end with the number of chunks
//!   accepted (the `log_chunks` of the finish call).

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use claude_exec::{LogKind, LogLine, LogStream};
use protocol::Timestamp;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::api::{Api, AttemptRef, CallError};
use crate::jobs::JobControl;
use crate::spill::LineQueue;

/// Largest chunk body the API accepts.
pub const MAX_CHUNK_BYTES: usize = protocol::limits::MAX_LOG_CHUNK_BYTES;
/// Lines per chunk at most (the protocol allows more; smaller chunks keep retries cheap).
const MAX_CHUNK_LINES: usize = 10_000;
/// Largest serialized line: one line alone must fit in a chunk.
const MAX_LINE_BYTES: usize = MAX_CHUNK_BYTES - protocol::log::CHUNK_FRAME_BYTES;

/// `line` serialized for a chunk, its text cut (with a marker) if it would not fit in one.
pub fn serialize_line(line: &LogLine, ts: String) -> Vec<u8> {
    let wire = |text: &str| {
        let w = protocol::LogLine {
            ts: Timestamp::Text(ts.clone()),
            stream: line.stream,
            kind: line.kind,
            text: text.to_owned(),
        };
        serde_json::to_vec(&w).expect("a line always serializes")
    };
    let bytes = wire(&line.text);
    if bytes.len() <= MAX_LINE_BYTES {
        return bytes;
    }
    // First guess in proportion to how much escaping grew the text, then cut what still sticks
    // out: escaping only ever grows text, so cutting `n` raw bytes saves at least `n`.
    let text = line.text.as_str();
    let frame = wire("").len() + 64;
    let escaped = bytes.len() - wire("").len();
    let guess = text.len() as u128 * (MAX_LINE_BYTES - frame) as u128 / escaped as u128;
    let mut keep = floor_boundary(text, guess as usize);
    loop {
        let cut = text.len() - keep;
        let bytes = wire(&format!(
            "{} … [line truncated: {cut} bytes cut]",
            &text[..keep]
        ));
        if bytes.len() <= MAX_LINE_BYTES || keep == 0 {
            return bytes;
        }
        keep = floor_boundary(text, keep.saturating_sub(bytes.len() - MAX_LINE_BYTES));
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Now as RFC 3339 with milliseconds, UTC.
pub fn timestamp() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

struct State {
    queue: LineQueue,
    closed: bool,
    /// The uploader is gone (fenced, stopped): new lines are dropped.
    ended: bool,
    /// Bytes of lines taken so far, against [`Limits::max_bytes`].
    bytes: usize,
    /// Lines of the CLI dropped because the attempt's log reached its limit.
    cut_lines: usize,
    max_bytes: usize,
}

/// How one attempt's log is batched and bounded.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// How long lines collect before a chunk goes out.
    pub flush: Duration,
    /// Log bytes held in memory before lines go to the spill file.
    pub buffer_bytes: usize,
    /// Most bytes of the CLI's lines the attempt's log takes; later ones are dropped after one
    /// notice (the worker's own lines still go).
    pub max_bytes: usize,
}

struct Shared {
    state: Mutex<State>,
    wake: Notify,
}

/// The producer side: where a job's lines go. Cheap to clone.
#[derive(Clone)]
pub struct LogSink {
    shared: Arc<Shared>,
}

impl LogSink {
    /// Queues a line from claude-exec.
    pub fn push(&self, line: &LogLine) {
        let bytes = serialize_line(line, timestamp());
        let mut state = self.shared.state.lock().expect("log state");
        if state.ended || state.closed {
            return;
        }
        if line.stream != LogStream::System && state.bytes + bytes.len() > state.max_bytes {
            if state.cut_lines == 0 {
                let notice = format!(
                    "log truncated: this attempt's log reached its limit of {} bytes; later lines of the CLI are not kept",
                    state.max_bytes
                );
                state.queue.push(serialize_line(
                    &system_line(LogKind::Error, notice),
                    timestamp(),
                ));
            }
            state.cut_lines += 1;
            return;
        }
        state.bytes += bytes.len();
        state.queue.push(bytes);
        drop(state);
        self.shared.wake.notify_one();
    }

    /// Queues a line of the worker's own (`system` stream).
    pub fn system(&self, kind: LogKind, text: impl Into<String>) {
        self.push(&LogLine::new(LogStream::System, kind, text));
    }

    /// No more lines: the uploader sends what is queued and ends.
    pub fn close(&self) {
        let mut state = self.shared.state.lock().expect("log state");
        if state.cut_lines > 0 && !state.closed {
            let notice = format!(
                "{} lines of the CLI were dropped after the log limit",
                state.cut_lines
            );
            state.queue.push(serialize_line(
                &system_line(LogKind::Info, notice),
                timestamp(),
            ));
        }
        state.closed = true;
        drop(state);
        self.shared.wake.notify_one();
    }
}

/// Sends one job's lines as chunks, in order, exactly once.
pub struct LogUploader {
    shared: Arc<Shared>,
    api: Api,
    job: AttemptRef,
    flush: Duration,
    control: Arc<JobControl>,
}

fn system_line(kind: LogKind, text: String) -> LogLine {
    LogLine::new(LogStream::System, kind, text)
}

/// A sink and its uploader for one attempt; the queue spills to `spill_path` beyond
/// `limits.buffer_bytes`.
pub fn channel(
    api: Api,
    control: Arc<JobControl>,
    limits: Limits,
    spill_path: std::path::PathBuf,
) -> (LogSink, LogUploader) {
    let flush = limits.flush;
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: LineQueue::new(limits.buffer_bytes, spill_path),
            closed: false,
            ended: false,
            bytes: 0,
            cut_lines: 0,
            max_bytes: limits.max_bytes,
        }),
        wake: Notify::new(),
    });
    let job = control.attempt.clone();
    (
        LogSink {
            shared: shared.clone(),
        },
        LogUploader {
            shared,
            api,
            job,
            flush,
            control,
        },
    )
}

/// What the uploader does next.
enum Next {
    Send(Vec<u8>),
    Done,
}

impl LogUploader {
    /// Runs until the sink is closed and everything was accepted (`Ok(chunks accepted)`), or
    /// until the attempt is fenced off or silenced (`Err`).
    pub async fn run(self) -> Result<u32, CallError> {
        let result = self.upload().await;
        self.shared.state.lock().expect("log state").ended = true;
        result
    }

    async fn upload(&self) -> Result<u32, CallError> {
        let mut chunk = 0u32;
        let mut last_sent: Option<Instant> = None;
        loop {
            let body = match self.next_chunk(last_sent).await {
                Next::Done => return Ok(chunk),
                Next::Send(body) => body,
            };
            match self
                .api
                .put_log(&self.job, chunk, body.into(), &self.control.quiet)
                .await
            {
                Ok(action) => {
                    self.control.on_action(action);
                    chunk += 1;
                    last_sent = Some(Instant::now());
                }
                Err(CallError::Rejected { status, message }) => {
                    // Not stored, so the number stays free; these lines cannot be sent as they are.
                    tracing::error!(job = %self.job.id, chunk, status, "log chunk refused, its lines are dropped: {message}");
                }
                Err(e) => {
                    self.control.on_error(&e);
                    return Err(e);
                }
            }
        }
    }

    /// Waits for lines (and for the batching window), then takes the next chunk's lines.
    async fn next_chunk(&self, last_sent: Option<Instant>) -> Next {
        loop {
            let waiting = {
                let mut guard = self.shared.state.lock().expect("log state");
                let state = &mut *guard;
                let q = &mut state.queue;
                if q.is_empty() && state.closed {
                    return Next::Done;
                }
                let ready = state.closed
                    || q.has_at_least(MAX_CHUNK_BYTES)
                    || window_over(last_sent, self.flush);
                if !q.is_empty() && ready {
                    return Next::Send(take_chunk(q));
                }
                !q.is_empty()
            };
            match last_sent {
                Some(at) if waiting => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at + self.flush) => {}
                        _ = self.shared.wake.notified() => {}
                    }
                }
                _ => self.shared.wake.notified().await,
            }
        }
    }
}

fn window_over(last_sent: Option<Instant>, flush: Duration) -> bool {
    last_sent.is_none_or(|at| at.elapsed() >= flush)
}

/// Removes the oldest lines that fit in one chunk and returns the chunk's body. Lines the
/// queue had to drop (no room in memory or on disk) are announced first.
fn take_chunk(queue: &mut LineQueue) -> Vec<u8> {
    let mut body = Vec::with_capacity(4096);
    body.extend_from_slice(b"{\"lines\":[");
    let mut lines = 0;
    let dropped = queue.take_dropped();
    if dropped > 0 {
        let notice = format!(
            "{dropped} log lines were dropped: the API was unreachable and the spill file could not be written"
        );
        body.extend_from_slice(&serialize_line(
            &system_line(LogKind::Error, notice),
            timestamp(),
        ));
        lines += 1;
    }
    while let Some(line) = queue.front() {
        let needed = line.len() + usize::from(lines > 0);
        if lines == MAX_CHUNK_LINES || body.len() + needed + 2 > MAX_CHUNK_BYTES {
            break;
        }
        if lines > 0 {
            body.push(b',');
        }
        body.extend_from_slice(line);
        queue.pop_front();
        lines += 1;
    }
    body.extend_from_slice(b"]}");
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> LogLine {
        LogLine::new(LogStream::Stdout, LogKind::Text, text)
    }

    #[test]
    fn lines_serialize_with_rfc3339_time() {
        let bytes = serialize_line(&line("héllo \"q\""), timestamp());
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["text"], "héllo \"q\"");
        assert_eq!(
            (v["stream"].as_str(), v["kind"].as_str()),
            (Some("stdout"), Some("text"))
        );
        let ts = v["ts"].as_str().unwrap();
        assert!(
            humantime::parse_rfc3339(ts).is_ok() && ts.ends_with('Z'),
            "{ts}"
        );
    }

    #[test]
    fn a_giant_line_is_cut_to_fit_one_chunk() {
        for text in [
            "x".repeat(300_000),
            "\u{1}é\"".repeat(50_000),
            "é".repeat(40_000),
        ] {
            let bytes = serialize_line(&line(&text), timestamp());
            assert!(bytes.len() <= MAX_LINE_BYTES, "{}", bytes.len());
            assert!(
                bytes.len() > MAX_LINE_BYTES - 2_000,
                "not cut more than needed: {}",
                bytes.len()
            );
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert!(v["text"].as_str().unwrap().contains("[line truncated:"));
        }
    }

    #[test]
    fn chunks_hold_whole_lines_and_stay_under_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let mut q = LineQueue::new(usize::MAX, dir.path().join("s"));
        let texts: Vec<String> = (0..3_000)
            .map(|i| format!("{i} {}", "y".repeat(i % 300)))
            .collect();
        for t in &texts {
            q.push(serialize_line(&line(t), "t".into()));
        }
        let mut got = Vec::new();
        while !q.is_empty() {
            let body = take_chunk(&mut q);
            assert!(body.len() <= MAX_CHUNK_BYTES);
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            got.extend(
                v["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l["text"].as_str().unwrap().to_owned()),
            );
        }
        assert_eq!(got, texts);
    }
}
