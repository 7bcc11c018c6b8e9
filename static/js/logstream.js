// A job's log as a stream of lines, whatever the transport: Server-Sent Events first (the browser
// resumes a dropped connection with Last-Event-ID; a stream we reopen ourselves passes ?after=),
// and polling GET /api/jobs/{id}/logs?after= when SSE keeps failing. Lines are de-duplicated by
// `seq`, which only ever increases, so a resume never shows a line twice or skips one.

import * as api from './api.js';

/** Consecutive SSE failures (errors with no message in between) before polling takes over. */
const SSE_FAILURES_BEFORE_POLLING = 3;
const POLL_IDLE_MS = 1000;
const POLL_PAGE = 500;

export class LogStream {
  /**
   * Handlers: `onLines(lines)`, `onStatus(job)`, `onDone(job)`, `onMode(mode)` where mode is
   * "connecting" | "live" | "reconnecting" | "polling" | "done" | "error".
   */
  constructor(jobId, handlers) {
    this.jobId = jobId;
    this.handlers = handlers;
    this.lastSeq = null;
    this.cursor = null;
    this.failures = 0;
    this.closed = false;
    this.source = null;
    this.pollTimer = null;
    this.mode = null;
  }

  start() {
    if (typeof EventSource === 'undefined') this.startPolling();
    else this.openSse();
  }

  close() {
    this.closed = true;
    this.source?.close();
    this.source = null;
    clearTimeout(this.pollTimer);
  }

  setMode(mode) {
    if (this.mode === mode) return;
    this.mode = mode;
    this.handlers.onMode?.(mode);
  }

  /** Hands on the lines not seen yet, in order. */
  accept(lines) {
    const fresh = [];
    for (const line of lines) {
      if (typeof line?.seq !== 'number') continue;
      if (this.lastSeq !== null && line.seq <= this.lastSeq) continue;
      this.lastSeq = line.seq;
      fresh.push(line);
    }
    if (fresh.length) this.handlers.onLines(fresh);
  }

  openSse() {
    if (this.closed) return;
    this.setMode(this.lastSeq === null ? 'connecting' : 'reconnecting');
    const source = new EventSource(api.jobEventsUrl(this.jobId, this.lastSeq));
    this.source = source;
    const progress = () => { this.failures = 0; this.setMode('live'); };
    source.addEventListener('open', progress);
    source.addEventListener('log', (event) => {
      progress();
      const line = parse(event.data);
      if (line) this.accept([line]);
    });
    source.addEventListener('status', (event) => {
      progress();
      const job = parse(event.data);
      if (job) this.handlers.onStatus?.(job);
    });
    source.addEventListener('done', (event) => {
      // The server closes the stream after `done`: close first so the browser does not reconnect.
      source.close();
      this.source = null;
      const job = parse(event.data);
      this.finish(job);
    });
    source.addEventListener('error', (event) => {
      if (this.closed || this.source !== source) return;
      // `event: error` from the server carries {"error": ...}; a dropped connection has no data.
      const reported = event.data ? parse(event.data)?.error : null;
      if (reported) this.handlers.onServerError?.(reported);
      this.failures++;
      if (source.readyState === EventSource.CLOSED || this.failures >= SSE_FAILURES_BEFORE_POLLING) {
        // The browser gave up (an HTTP error) or keeps failing: stop it and decide ourselves.
        source.close();
        this.source = null;
        if (this.failures >= SSE_FAILURES_BEFORE_POLLING) this.startPolling();
        else setTimeout(() => this.openSse(), 1000 * this.failures);
      } else {
        this.setMode('reconnecting');
      }
    });
  }

  async finish(job) {
    if (this.closed) return;
    this.closed = true;
    this.setMode('done');
    if (!job) {
      try { job = await api.getJob(this.jobId); } catch { job = null; }
    }
    this.handlers.onDone(job);
  }

  startPolling() {
    if (this.closed) return;
    this.setMode('polling');
    this.cursor = this.lastSeq;
    this.poll();
  }

  async poll() {
    if (this.closed) return;
    let delay = POLL_IDLE_MS;
    try {
      const [page, job] = await Promise.all([
        api.getJobLogs(this.jobId, { after: this.cursor, limit: POLL_PAGE }),
        api.getJob(this.jobId).catch(() => null),
      ]);
      if (this.closed) return;
      this.setMode('polling');
      this.accept(page.lines ?? []);
      if (page.next !== null && page.next !== undefined) this.cursor = page.next;
      else if (this.lastSeq !== null) this.cursor = this.lastSeq;
      if (job) this.handlers.onStatus?.(job);
      const finalJob = job && ['completed', 'failed', 'cancelled'].includes(job.status);
      const count = (page.lines ?? []).length;
      if ((page.done && count < POLL_PAGE) || (finalJob && !count)) {
        this.finish(job);
        return;
      }
      if (count >= POLL_PAGE) delay = 0;
    } catch (err) {
      if (err.status === 404) {
        this.setMode('error');
        this.handlers.onError?.(err);
        this.closed = true;
        return;
      }
      delay = POLL_IDLE_MS * 3;
    }
    this.pollTimer = setTimeout(() => this.poll(), delay);
  }
}

function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}
