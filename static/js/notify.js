// Desktop notifications when a job the signed-in person submitted finishes. Opt-in: the account
// menu's toggle asks the browser for permission only when clicked, and the choice is remembered
// in this browser (localStorage). Turning them on shows one notification at once ("on"), so a
// browser that cannot show them from a page (Chrome on Android wants a service worker) is found
// out then and said, instead of a toggle that says On and never notifies.
//
// What is watched: every list the page's job state reads (jobstate.js, which keeps reading
// while the page is hidden as long as notifications are on) passes through `jobsUpdated`; and
// the jobs submitted from this browser, remembered (at most MAX_WATCHED, for WATCH_DAYS) until
// they end, so the early jobs of a big batch, older than the newest ones the page lists, are
// read too: with one listing of the person's own jobs, and one by one for any older still.
// Each job of yours that it saw queued or running and now sees completed, failed or cancelled
// (or that ended since the page loaded) is notified once. Clicking a notification opens the
// document the job made, or its log.

import * as api from './api.js';
import { jobTitle, JOB_TYPES } from './jobs.js';
import { whoLabel } from './usermenu.js';

const KEY = 'cwm.notify-finished-jobs';
const WATCH_KEY = 'cwm.watched-jobs';
/** Jobs remembered at most, and for how long. */
const MAX_WATCHED = 200;
const WATCH_DAYS = 7;
/** Jobs read one by one per list, when the person's own listing does not reach them. */
const SINGLE_READS = 3;
const FINAL = new Set(['completed', 'failed', 'cancelled']);
const ENDED = { completed: 'is ready', failed: 'failed', cancelled: 'was cancelled' };

export class JobNotifier {
  /** `app`: opens documents and logs (see app.js). `onProblem()` runs when notifications turn
   * out not to work here. */
  constructor(app, { onProblem = () => {} } = {}) {
    this.app = app;
    this.onProblem = onProblem;
    /** Last status seen per job id. */
    this.seen = new Map();
    /** When the first list arrived: jobs that ended before are history, not news. */
    this.since = null;
    /** Why a notification could not be shown in this browser, once one failed. */
    this.problem = null;
    this.checking = false;
  }

  /** Whether this browser can show notifications from a page at all. */
  get supported() {
    return typeof window.Notification === 'function';
  }

  /** 'on', 'off', 'blocked' (the browser refuses them), 'unavailable' (one could not be shown)
   * or 'unsupported'. */
  get state() {
    if (!this.supported) return 'unsupported';
    if (Notification.permission === 'denied') return 'blocked';
    if (this.problem) return 'unavailable';
    return Notification.permission === 'granted' && readChoice() ? 'on' : 'off';
  }

  /** Whether the page should keep reading jobs while it is hidden. */
  get wantsUpdates() {
    return this.state === 'on';
  }

  /** Turns notifications on, asking the browser's permission if it was never given, and shows
   * one to prove they work; the new state. */
  async enable() {
    if (!this.supported) return 'unsupported';
    const permission = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
    if (permission !== 'granted') return this.state;
    this.problem = null;
    const shown = this.notify('Job notifications are on', {
      body: 'You will be told here when a job you submitted finishes.', tag: 'cwm-notifications-on',
    });
    writeChoice(Boolean(shown));
    return this.state;
  }

  disable() {
    writeChoice(false);
    return this.state;
  }

  /** Remembers jobs submitted from this browser until they end. */
  watch(ids) {
    const list = readWatched();
    const fresh = [ids].flat().filter((id) => id && !list.some((w) => w.id === id));
    if (fresh.length) writeWatched([...list, ...fresh.map((id) => ({ id, at: Date.now() }))]);
  }

  /** Notifies for `me`'s jobs that ended since the last list, then reads the watched jobs the
   * list did not hold. */
  jobsUpdated(list, me) {
    const first = this.since === null;
    if (first) this.since = Date.now();
    for (const job of list) this.consider(job, me, first);
    if (me && this.state === 'on') this.checkWatched(list, me);
  }

  /** The notification decision for one job as now read. */
  consider(job, me, first = false) {
    const before = this.seen.get(job.id);
    this.seen.set(job.id, job.status);
    const mine = me && job.submitted_by === whoLabel(me);
    if (mine && !FINAL.has(job.status)) this.watch(job.id);
    if (FINAL.has(job.status)) unwatch(job.id);
    if (first || !FINAL.has(job.status) || (before && FINAL.has(before))) return;
    // Unseen before: news only if it ended after the page started watching.
    if (!before && !(Date.parse(job.finished_at) >= this.since)) return;
    if (mine && this.state === 'on') this.show(job);
  }

  /** Reads the watched jobs `list` did not hold: the person's newest own jobs in one listing,
   * then the few still missing one by one (one check at a time). */
  async checkWatched(list, me) {
    const listed = new Set(list.map((j) => j.id));
    let missing = readWatched().filter((w) => !listed.has(w.id));
    if (!missing.length || this.checking) return;
    this.checking = true;
    try {
      const own = await api.listJobs({ submitted_by: whoLabel(me), limit: Math.min(MAX_WATCHED, missing.length + LISTED_OWN) });
      for (const job of own.items ?? []) this.consider(job, me);
      const found = new Set((own.items ?? []).map((j) => j.id));
      missing = missing.filter((w) => !found.has(w.id));
      for (const w of missing.slice(0, SINGLE_READS)) {
        try {
          this.consider(await api.getJob(w.id), me);
        } catch (err) {
          if (err.status === 404) unwatch(w.id);
        }
      }
    } catch {
      // The next list tries again.
    } finally {
      this.checking = false;
    }
  }

  show(job) {
    const kind = JOB_TYPES[job.type] ?? 'Job';
    const body = job.status === 'failed' && job.error ? `${jobTitle(job)}: ${job.error}` : jobTitle(job);
    const note = this.notify(`${kind} ${ENDED[job.status] ?? job.status}`, { body, tag: `job-${job.id}` });
    if (!note) return;
    note.onclick = () => {
      window.focus();
      const doc = job.output_documents?.[0];
      if (doc) this.app.openDocument(doc.collection, doc.name);
      else this.app.openLogs(job.id);
      note.close();
    };
  }

  /** A notification, or null (and the reason kept in `problem`) when this browser refuses to
   * show one from a page: Chrome on Android only notifies from a service worker. */
  notify(title, options) {
    try {
      return new Notification(title, { icon: '/favicon.svg', ...options });
    } catch (err) {
      this.problem = err?.message || String(err);
      this.onProblem(this.problem);
      return null;
    }
  }
}

/** Own jobs one listing reads beyond the watched ones missing from the page's list. */
const LISTED_OWN = 20;

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

/** The watched jobs when storage is refused. */
let watchedHere = [];

/** Watched jobs `[{id, at}]`, oldest first, without those watched too long. */
function readWatched() {
  let list = watchedHere;
  try {
    const raw = JSON.parse(localStorage.getItem(WATCH_KEY) ?? '[]');
    if (Array.isArray(raw)) list = raw.filter((w) => typeof w?.id === 'string' && Number.isFinite(w.at));
  } catch {
    // Storage refused or spoilt: what this page kept.
  }
  const oldest = Date.now() - WATCH_DAYS * 86_400_000;
  return list.filter((w) => w.at >= oldest);
}

function writeWatched(list) {
  watchedHere = list.slice(-MAX_WATCHED);
  try {
    localStorage.setItem(WATCH_KEY, JSON.stringify(watchedHere));
  } catch {
    // Kept in `watchedHere` instead.
  }
}

function unwatch(id) {
  const list = readWatched();
  if (list.some((w) => w.id === id)) writeWatched(list.filter((w) => w.id !== id));
}
