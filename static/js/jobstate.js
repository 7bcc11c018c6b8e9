// The page's one record of job state. Every ~2 s (while someone is signed in) it asks for the
// newest jobs (GET /api/jobs) and the service's health (GET /health) together, and hands the
// pair to every part that shows jobs as one snapshot: the jobs panel and the header read the
// same numbers from the same snapshot, so they can never disagree.
//
// One timer drives it, and at most one read is under way: a refresh asked for during a read
// (after a submit, cancel or retry) is one read right after it, however many were asked. While
// the page is hidden it stops, unless `inBackground()` says someone needs news (desktop
// notifications are on): then it reads every 12 s.
//
// The counts of running, queued and waiting (for a usage limit) jobs are the server's own
// tallies from /health (they count every job, while the list holds only the newest ones);
// without them (health unreachable, or a server without a waiting tally) they are counted from
// the list. Health also gives the runners online, the concurrency limit and
// whether the service is degraded.

import * as api from './api.js';

const POLL_MS = 2000;
/** Between reads while the page is hidden and notifications are on. */
export const HIDDEN_POLL_MS = 12000;
const MAX_POLL_MS = 15000;
/** Jobs the snapshot lists: the newest ones. */
export const LISTED_JOBS = 20;

/**
 * A snapshot: `{ jobs, jobsError, health, healthError, counts: {running, queued, waiting}, at }`.
 * `jobs` is null until the list was read once; `health` is null while it cannot be read.
 */
export class JobState {
  /** `inBackground()`: whether to keep reading while the page is hidden. */
  constructor({ inBackground = () => false } = {}) {
    this.listeners = new Set();
    this.snapshot = null;
    this.inBackground = inBackground;
    this.timer = null;
    /** The read under way, and the one asked for after it. */
    this.reading = null;
    this.followUp = null;
    this.delay = POLL_MS;
    this.running = false;
    this.enabled = true;
    document.addEventListener('visibilitychange', () => this.visibilityChanged());
  }

  /** Calls `fn(snapshot)` with every snapshot from now on (and the current one, if any). */
  subscribe(fn) {
    this.listeners.add(fn);
    if (this.snapshot) fn(this.snapshot);
    return () => this.listeners.delete(fn);
  }

  start() {
    if (this.running || !this.enabled) return;
    this.running = true;
    if (!this.reading) this.refresh();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stops polling until `resume` (while nobody is signed in). */
  pause() {
    this.enabled = false;
    this.stop();
  }

  resume() {
    this.enabled = true;
    this.delay = POLL_MS;
    this.start();
  }

  visibilityChanged() {
    if (!document.hidden) {
      // Back in view: read now if the last snapshot is older than a visible page's rhythm.
      const stale = !this.snapshot || Date.now() - this.snapshot.at >= POLL_MS;
      if (this.running && stale) this.refresh();
      else this.start();
    } else if (!this.inBackground()) {
      this.stop();
    } else {
      this.schedule();
    }
  }

  /** Reads now (after a submit, cancel or retry), or right after the read under way; the
   * promise settles once a read begun after the call is published. */
  refresh() {
    if (this.reading) {
      const next = () => {
        this.followUp = null;
        return this.refresh();
      };
      this.followUp ??= this.reading.then(next, next);
      return this.followUp;
    }
    clearTimeout(this.timer);
    this.timer = null;
    this.reading = this.read().finally(() => {
      this.reading = null;
      this.schedule();
    });
    return this.reading;
  }

  /** The next read of the rhythm, unless one is under way or polling is stopped. */
  schedule() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.running || this.reading || this.followUp) return;
    if (document.hidden && !this.inBackground()) {
      this.running = false;
      return;
    }
    const wait = document.hidden ? Math.max(HIDDEN_POLL_MS, this.delay) : this.delay;
    this.timer = setTimeout(() => this.refresh(), wait);
  }

  async read() {
    const [list, health] = await Promise.allSettled([api.listJobs({ limit: LISTED_JOBS }), api.health()]);
    const previous = this.snapshot;
    const jobs = list.status === 'fulfilled' ? (list.value.items ?? []) : (previous?.jobs ?? null);
    this.delay = list.status === 'fulfilled' ? POLL_MS : Math.min(MAX_POLL_MS, this.delay * 2);
    this.publish({
      jobs,
      jobsError: list.status === 'rejected' ? list.reason : null,
      health: health.status === 'fulfilled' ? health.value : null,
      healthError: health.status === 'rejected' ? health.reason : null,
    });
  }

  publish({ jobs, jobsError, health, healthError }) {
    const counted = (status) => (jobs ?? []).filter((j) => j.status === status).length;
    const tally = (value, status) => (health && Number.isFinite(Number(value)) ? Number(value) : counted(status));
    const counts = {
      running: tally(health?.active_jobs, 'running'),
      queued: tally(health?.queued_jobs, 'queued'),
      waiting: tally(health?.waiting_jobs, 'waiting'),
    };
    this.snapshot = { jobs, jobsError, health, healthError, counts, at: Date.now() };
    for (const fn of this.listeners) fn(this.snapshot);
  }
}

/** "2 running · 1 queued" (and "· 1 waiting" while jobs wait for a usage limit), or "None active". */
export function countsText({ running, queued, waiting = 0 }) {
  if (!running && !queued && !waiting) return 'None active';
  return [`${running} running`, `${queued} queued`, waiting ? `${waiting} waiting` : ''].filter(Boolean).join(' · ');
}
