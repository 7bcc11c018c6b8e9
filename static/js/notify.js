// Desktop notifications when a job the signed-in person submitted finishes. Opt-in: the account
// menu's toggle asks the browser for permission only when clicked, and the choice is remembered
// in this browser (localStorage). The jobs panel already polls GET /api/jobs; each list it gets
// passes through `jobsUpdated`, which notifies once for every job of yours that it saw queued or
// running and now sees completed, failed or cancelled (or that ended since the page loaded).
// Clicking a notification opens the document the job made, or its log.

import { jobTitle, JOB_TYPES } from './jobs.js';
import { whoLabel } from './usermenu.js';

const KEY = 'cwm.notify-finished-jobs';
const FINAL = new Set(['completed', 'failed', 'cancelled']);
const ENDED = { completed: 'is ready', failed: 'failed', cancelled: 'was cancelled' };

export class JobNotifier {
  /** `app`: opens documents and logs (see app.js). */
  constructor(app) {
    this.app = app;
    /** Last status seen per job id. */
    this.seen = new Map();
    /** When the first list arrived: jobs that ended before are history, not news. */
    this.since = null;
  }

  /** Whether this browser can show notifications from a page at all. */
  get supported() {
    return typeof window.Notification === 'function';
  }

  /** 'on', 'off', 'blocked' (the browser refuses them) or 'unsupported'. */
  get state() {
    if (!this.supported) return 'unsupported';
    if (Notification.permission === 'denied') return 'blocked';
    return Notification.permission === 'granted' && readChoice() ? 'on' : 'off';
  }

  /** Turns notifications on, asking the browser's permission if it was never given; the new state. */
  async enable() {
    if (!this.supported) return 'unsupported';
    const permission = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
    if (permission === 'granted') writeChoice(true);
    return this.state;
  }

  disable() {
    writeChoice(false);
    return this.state;
  }

  /** Notifies for `me`'s jobs that ended since the last list. */
  jobsUpdated(list, me) {
    const now = Date.now();
    const first = this.since === null;
    if (first) this.since = now;
    for (const job of list) {
      const before = this.seen.get(job.id);
      this.seen.set(job.id, job.status);
      if (first || !FINAL.has(job.status) || (before && FINAL.has(before))) continue;
      // Unseen before: news only if it ended after the page started watching.
      if (!before && !(Date.parse(job.finished_at) >= this.since)) continue;
      if (me && job.submitted_by === whoLabel(me) && this.state === 'on') this.show(job);
    }
  }

  show(job) {
    const kind = JOB_TYPES[job.type] ?? 'Job';
    const body = job.status === 'failed' && job.error ? `${jobTitle(job)}: ${job.error}` : jobTitle(job);
    let note;
    try {
      note = new Notification(`${kind} ${ENDED[job.status] ?? job.status}`, { body, tag: `job-${job.id}`, icon: '/favicon.svg' });
    } catch {
      // Some browsers (Chrome on Android) only notify from a service worker; the page has none.
      return;
    }
    note.onclick = () => {
      window.focus();
      const doc = job.output_documents?.[0];
      if (doc) this.app.openDocument(doc.collection, doc.name);
      else this.app.openLogs(job.id);
      note.close();
    };
  }
}

/** The choice when storage is refused (it then lasts for this page only). */
let unsaved = null;

function readChoice() {
  try {
    return (localStorage.getItem(KEY) ?? unsaved) === 'on';
  } catch {
    return unsaved === 'on';
  }
}

function writeChoice(on) {
  unsaved = on ? 'on' : 'off';
  try {
    localStorage.setItem(KEY, unsaved);
  } catch {
    // Kept in `unsaved` instead.
  }
}
