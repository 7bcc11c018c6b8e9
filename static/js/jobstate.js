// The page's one record of job state. Every ~2 s (while the page is visible and someone is
// signed in) it asks for the newest jobs (GET /api/jobs) and the service's health (GET /health)
// together, and hands the pair to every part that shows jobs as one snapshot: the jobs panel and
// the header read the same numbers from the same snapshot, so they can never disagree.
//
// The counts of running, queued and waiting (for a usage limit) jobs are the server's own
// tallies from /health (they count every job, while the list holds only the newest ones);
// without them (health unreachable, or a server without a waiting tally) they are counted from
// the list. Health also gives the runners online, the concurrency limit and
// whether the service is degraded.

import * as api from './api.js';

const POLL_MS = 2000;
const MAX_POLL_MS = 15000;
/** Jobs the snapshot lists: the newest ones. */
export const LISTED_JOBS = 20;

/**
 * A snapshot: `{ jobs, jobsError, health, healthError, counts: {running, queued, waiting}, at }`.
 * `jobs` is null until the list was read once; `health` is null while it cannot be read.
 */
export class JobState {
  constructor() {
    this.listeners = new Set();
    this.snapshot = null;
    this.timer = null;
    this.delay = POLL_MS;
    this.enabled = true;
    document.addEventListener('visibilitychange', () => (document.hidden ? this.stop() : this.start()));
  }

  /** Calls `fn(snapshot)` with every snapshot from now on (and the current one, if any). */
  subscribe(fn) {
    this.listeners.add(fn);
    if (this.snapshot) fn(this.snapshot);
    return () => this.listeners.delete(fn);
  }

  start() {
    if (this.timer !== null || !this.enabled) return;
    this.timer = 0;
    this.poll();
  }

  stop() {
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

  /** Reads now (after a submit, cancel or retry), then keeps the usual rhythm. */
  refresh() {
    clearTimeout(this.timer);
    if (this.timer === null) return this.read();
    this.timer = 0;
    return this.poll();
  }

  async poll() {
    await this.read();
    if (this.timer !== null) this.timer = setTimeout(() => this.poll(), this.delay);
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
