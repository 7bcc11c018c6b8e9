// The active-jobs panel: queued jobs with their queue position, running jobs with a ticking
// elapsed time and their runner, jobs waiting for a usage limit with the time they resume,
// recently finished ones with duration, cost and tokens; cancel,
// retry (for editors and admins), logs, who submitted each job, a link to the document a job
// produced with its quality score, and (for editors) the prompt the job was given. It shows each
// snapshot of the page's job state (jobstate.js, which polls), the same one the header shows.
// Cards are updated in place so keyboard focus survives a refresh.
// Up to 1023 px the panel folds under a toggle above the documents; up to 600 px it is a bar
// fixed at the bottom of the screen ("2 running · 1 queued") that opens as a sheet.

import { reviewProposal } from './review.js';
import { qualityBadge } from './quality.js';
import { showPrompt } from './prompt.js';
import * as api from './api.js';
import { h, button, icon, announce, statusBadge, formatClock, formatDuration, formatCost, formatCompact, formatDateTime, formatTimeOfDay, replaceChildren } from './dom.js';
import { countsText } from './jobstate.js';
import { keepFocusInside } from './dialogs.js';

export const JOB_TYPES = { brand_data: 'Brand data', brief: 'Brief', draft: 'Draft', revision: 'Revision' };

/** A short human description of what a job makes, from its parameters. */
export function jobTitle(job) {
  const p = job.params ?? {};
  if (job.type === 'brand_data') return p.brand_name || 'Brand research';
  if (job.type === 'brief') return p.title || p.primary_keyword || 'Content brief';
  if (job.type === 'draft') return p.brief ? `Draft of ${p.brief}` : 'Article draft';
  if (job.type === 'revision') return p.name ? `Revision of ${p.name}` : 'Revision';
  return job.id;
}

/** Wall-clock duration of a job in ms (or null). */
export function jobDuration(job) {
  const start = Date.parse(job.started_at);
  const end = Date.parse(job.finished_at);
  if (Number.isFinite(start) && Number.isFinite(end)) return end - start;
  return job.usage?.duration_ms ?? null;
}

/** "resumes at 14:00" (local time; the date too when not today), "resuming now", or "". */
export function resumeText(job, now = new Date()) {
  const at = Date.parse(job.resume_at);
  if (!Number.isFinite(at)) return '';
  return at <= now.getTime() ? 'resuming now' : `resumes at ${formatTimeOfDay(job.resume_at, now)}`;
}

/** "Waiting for the usage limit, resumes at 14:00". */
export function waitingText(job, now = new Date()) {
  const resume = resumeText(job, now);
  return resume ? `Waiting for the usage limit, ${resume}` : 'Waiting for the usage limit';
}

/** What a waiting job's tooltip and log viewer add to `waitingText`. */
export function waitingHelp(job) {
  const who = job.runner ? `The runner ${job.runner}` : 'Its runner';
  const when = formatDateTime(job.resume_at);
  return `${who} reached its Claude usage limit. The job runs again${when ? ` when the limit resets (${when})` : ' when the limit resets'}, ahead of the queued jobs; nothing is lost and no attempt is used up.`;
}

/** "$0.0085 · 2.4k in / 84 out tokens · 3 turns" from a job's usage. */
export function usageText(usage) {
  if (!usage) return '';
  return [
    formatCost(usage.cost_usd),
    `${formatCompact(usage.input_tokens)} in / ${formatCompact(usage.output_tokens)} out tokens`,
    usage.num_turns ? `${usage.num_turns} ${usage.num_turns === 1 ? 'turn' : 'turns'}` : '',
  ].filter(Boolean).join(' · ');
}

/** Where the panel is a bar at the bottom of the screen. */
export const PHONE = '(max-width: 600px)';

export class JobsPanel {
  /** `state` is the page's JobState. */
  constructor(root, app, state) {
    this.root = root;
    this.app = app;
    this.state = state;
    this.jobs = [];
    this.cards = new Map();
    this.build();
    setInterval(() => this.tickClocks(), 1000);
    state.subscribe((snapshot) => this.show(snapshot));
  }

  build() {
    this.summary = h('span', { class: 'jobs-summary', text: 'Loading…' });
    this.toggle = h('button', {
      type: 'button', class: 'jobs-toggle', attrs: { 'aria-expanded': 'false', 'aria-controls': 'jobs-body' },
      on: { click: () => this.setExpanded(this.toggle.getAttribute('aria-expanded') !== 'true') },
    }, h('span', { class: 'jobs-toggle-label', text: 'Jobs' }), this.summary, icon('chevron'));
    // The phone's sheet is modal: Tab stays inside it, and Escape closes it, as a sheet does,
    // giving focus back to its bar.
    this.root.addEventListener('keydown', (event) => {
      if (!this.isSheet) return;
      if (event.key === 'Tab') keepFocusInside(this.root, event);
      if (event.key !== 'Escape') return;
      this.setExpanded(false);
      this.toggle.focus();
    });
    window.matchMedia(PHONE).addEventListener('change', () => this.setExpanded(this.expanded));
    this.notice = h('div', { class: 'jobs-notice', attrs: { role: 'status' } });
    this.sections = {
      running: this.section('Running'),
      waiting: this.section('Waiting for a usage limit'),
      queued: this.section('Queued'),
      recent: this.section('Recently finished'),
    };
    this.empty = h('div', { class: 'jobs-empty' },
      h('p', { class: 'empty-title', text: 'No jobs yet' }),
      h('p', { class: 'muted', text: 'Generate brand data, a brief or a draft and it will show up here with its live log.' }));
    this.more = h('p', { class: 'jobs-more muted', hidden: true });
    this.body = h('div', { class: 'jobs-body', id: 'jobs-body' },
      this.notice, this.sections.running.el, this.sections.waiting.el, this.sections.queued.el, this.more, this.sections.recent.el, this.empty,
      h('p', { class: 'jobs-history-link' }, h('a', { href: '#jobs', text: 'All jobs, with filters →' })));
    replaceChildren(this.root,
      h('div', { class: 'jobs-head' },
        h('h2', { class: 'jobs-title', id: 'jobs-title' }, 'Jobs ', h('span', { class: 'jobs-summary-wide' })),
        this.toggle),
      this.body);
    this.root.classList.add('is-collapsed');
  }

  section(title) {
    const list = h('ul', { class: 'job-list', attrs: { role: 'list' } });
    const count = h('span', { class: 'count-pill' });
    const el = h('section', { class: 'jobs-section', hidden: true }, h('h3', { class: 'jobs-section-title' }, title, count), list);
    return { el, list, count };
  }

  get expanded() {
    return this.toggle.getAttribute('aria-expanded') === 'true';
  }

  /** Whether the panel is open as the phone's sheet over the page. */
  get isSheet() {
    return this.expanded && window.matchMedia(PHONE).matches;
  }

  setExpanded(on) {
    this.toggle.setAttribute('aria-expanded', String(on));
    this.root.classList.toggle('is-collapsed', !on);
    if (this.isSheet) {
      this.root.setAttribute('role', 'dialog');
      this.root.setAttribute('aria-modal', 'true');
    } else {
      this.root.removeAttribute('role');
      this.root.removeAttribute('aria-modal');
    }
  }

  /** Reads the job state now (after a submit, cancel or retry). */
  refresh() {
    return this.state.refresh();
  }

  /** Shows a snapshot of the job state. */
  show(snapshot) {
    this.snapshot = snapshot;
    if (snapshot.jobsError) {
      this.setNotice(`Jobs are unavailable right now (${snapshot.jobsError.message}). Retrying…`, 'error');
    } else {
      this.setNotice(null);
    }
    if (snapshot.jobs) this.update(snapshot.jobs);
    else this.updateSummary();
  }

  setNotice(text, tone = 'info') {
    replaceChildren(this.notice, text && h('p', { class: ['notice', `notice-${tone}`], text }));
  }

  update(jobs) {
    this.jobs = jobs;
    const groups = { running: [], waiting: [], queued: [], recent: [] };
    for (const job of jobs) {
      if (job.status === 'running' || job.status === 'waiting' || job.status === 'queued') groups[job.status].push(job);
      else groups.recent.push(job);
    }
    groups.queued.sort((a, b) => (a.queue_position ?? 1e9) - (b.queue_position ?? 1e9));
    groups.waiting.sort((a, b) => String(a.resume_at).localeCompare(String(b.resume_at)));
    const seen = new Set();
    for (const [key, list] of Object.entries(groups)) {
      const section = this.sections[key];
      section.el.hidden = list.length === 0;
      section.count.textContent = String(list.length);
      const nodes = list.map((job) => { seen.add(job.id); return this.card(job); });
      syncChildren(section.list, nodes);
    }
    for (const id of [...this.cards.keys()]) if (!seen.has(id)) this.cards.delete(id);
    this.empty.hidden = jobs.length > 0;
    const counts = this.snapshot?.counts;
    const unseen = counts ? ['running', 'waiting', 'queued'].reduce((sum, status) => sum + Math.max(0, (counts[status] ?? 0) - groups[status].length), 0) : 0;
    this.more.hidden = unseen === 0;
    this.more.textContent = unseen ? `${unseen} more active ${unseen === 1 ? 'job is' : 'jobs are'} older than the ${jobs.length} shown here; see all jobs.` : '';
    this.updateSummary();
    this.tickClocks();
    this.app.jobsUpdated?.(jobs);
  }

  updateSummary() {
    const counts = this.snapshot?.counts ?? { running: 0, queued: 0, waiting: 0 };
    const text = countsText(counts);
    this.summary.textContent = text;
    this.root.querySelector('.jobs-summary-wide').textContent = counts.running || counts.queued || counts.waiting ? text : '';
    const health = this.snapshot?.health;
    const noRunner = health && Number(health.runners_online ?? 0) === 0 && counts.queued > 0;
    if (!this.notice.querySelector('.notice-error')) {
      this.setNotice(noRunner ? 'No runner is online, so queued jobs will wait until one connects.' : null, 'warning');
    }
  }

  /** The card for `job`, reusing the existing node when nothing visible changed. */
  card(job) {
    const signature = JSON.stringify([job.status, job.queue_position, job.runner, job.started_at, job.finished_at, job.resume_at, job.cancel_requested, job.error, job.usage, job.output_documents, job.attempt, job.submitted_by, job.retry_of, job.retried_as, job.quality]);
    const cached = this.cards.get(job.id);
    if (cached && cached.signature === signature) return cached.node;
    const node = this.renderCard(job);
    if (cached && cached.node.contains(document.activeElement)) {
      const action = document.activeElement.dataset?.action;
      queueMicrotask(() => (node.querySelector(`[data-action="${action}"]`) ?? node.querySelector('button'))?.focus());
    }
    this.cards.set(job.id, { signature, node });
    return node;
  }

  renderCard(job) {
    const actions = h('div', { class: 'job-actions' },
      button('Logs', { icon: 'logs', variant: 'ghost', small: true, onClick: () => this.app.openLogs(job.id), attrs: { 'data-action': 'logs', 'aria-label': `Logs of ${jobTitle(job)}` } }));
    const write = this.app.canWrite;
    actions.append(...jobControls(this.app, job));
    if (job.retry_of) actions.append(h('span', { class: 'job-link', attrs: { 'data-link': 'retry-of' }, text: 'Retry' }));
    if (write && job.template) {
      actions.append(button('Prompt', { icon: 'doc', variant: 'ghost', small: true, onClick: () => showPrompt(job), attrs: { 'data-action': 'prompt', 'aria-label': `Prompt of ${jobTitle(job)}` } }));
    }
    if (job.type === 'revision' && job.status === 'completed') {
      actions.append(button('Review changes', { icon: 'doc', variant: 'link', small: true, onClick: () => reviewProposal(this.app, job.id), attrs: { 'data-action': 'review' } }));
    }
    for (const doc of job.output_documents ?? []) {
      actions.append(button(`Open ${doc.name}`, { icon: 'doc', variant: 'link', small: true, onClick: () => this.app.openDocument(doc.collection, doc.name), attrs: { 'data-action': 'open-output' } }));
    }
    return h('li', { class: ['job-card', `is-${job.status}`], dataset: { jobId: job.id } },
      h('div', { class: 'job-top' },
        h('span', { class: 'job-type', text: JOB_TYPES[job.type] ?? job.type }),
        h('span', { class: 'job-badges' }, qualityBadge(job.quality), statusBadge(job.status))),
      h('p', { class: 'job-title', text: jobTitle(job), attrs: { title: jobTitle(job) } }),
      h('p', { class: 'job-detail', attrs: job.status === 'waiting' ? { title: waitingHelp(job) } : {} }, ...this.detail(job)),
      job.submitted_by && h('p', { class: 'job-by', text: `Submitted by ${job.submitted_by}` }),
      job.error && job.status === 'failed' && h('p', { class: 'job-error', text: job.error }),
      actions);
  }

  detail(job) {
    const attempt = job.attempt > 1 ? ` · attempt ${job.attempt}` : '';
    if (job.status === 'queued') {
      const pos = job.queue_position;
      return [pos ? `#${pos} in the queue` : 'Waiting in the queue', attempt];
    }
    if (job.status === 'waiting') return [waitingText(job)];
    if (job.status === 'running') {
      return [
        'Running ',
        h('span', { class: 'job-elapsed', dataset: { started: job.started_at ?? '' }, text: '0:00' }),
        job.runner ? ` on ${job.runner}` : '',
        attempt,
      ];
    }
    // Its last attempt was stopped by the limit at once: no figures worth showing.
    if (job.status === 'cancelled' && !job.started_at && job.error === 'cancelled while waiting for the usage limit to reset') {
      return ['Cancelled while waiting for the usage limit', attempt];
    }
    const parts = [];
    const duration = jobDuration(job);
    if (duration !== null) parts.push(`Took ${formatDuration(duration)}`);
    const usage = usageText(job.usage);
    if (usage) parts.push(usage);
    return [parts.join(' · ') || (job.status === 'cancelled' ? 'Cancelled before it ran' : ''), attempt];
  }

  tickClocks() {
    const now = Date.now();
    for (const el of this.root.querySelectorAll('.job-elapsed')) {
      const started = Date.parse(el.dataset.started);
      el.textContent = Number.isFinite(started) ? formatClock(now - started) : '0:00';
    }
  }

}

/** Cancel for an active job, Retry for a failed or cancelled one (once: then "Retried"), for
 * editors; the jobs panel and the Jobs view offer the same. */
export function jobControls(app, job) {
  const controls = [];
  const write = app.canWrite;
  if ((job.status === 'queued' || job.status === 'running' || job.status === 'waiting') && write) {
    const cancel = button(job.cancel_requested ? 'Cancelling…' : 'Cancel', { icon: 'stop', variant: 'ghost', small: true, attrs: { 'data-action': 'cancel', 'aria-label': `Cancel ${jobTitle(job)}` } });
    cancel.disabled = Boolean(job.cancel_requested);
    cancel.addEventListener('click', () => cancelJob(app, job));
    controls.push(cancel);
  }
  // A job is retried once; it then says so instead of offering a second retry.
  if ((job.status === 'failed' || job.status === 'cancelled') && write && !job.retried_as) {
    controls.push(button('Retry', { icon: 'retry', variant: 'ghost', small: true, onClick: () => retryJob(app, job), attrs: { 'data-action': 'retry', 'aria-label': `Retry ${jobTitle(job)}` } }));
  }
  if (job.retried_as) controls.push(h('span', { class: 'job-link', attrs: { 'data-link': 'retried-as' }, text: 'Retried' }));
  return controls;
}

async function cancelJob(app, job) {
  try {
    await api.cancelJob(job.id);
    announce(job.status === 'running' ? `Stopping “${jobTitle(job)}”…` : `Cancelled “${jobTitle(job)}”`);
  } catch (err) {
    announce(`Could not cancel: ${err.message}`, { tone: 'error' });
  }
  app.refreshJobs();
}

async function retryJob(app, job) {
  try {
    await api.retryJob(job.id);
    announce(`Retrying “${jobTitle(job)}”`, { tone: 'success' });
  } catch (err) {
    announce(`Could not retry: ${err.message}`, { tone: 'error' });
  }
  app.refreshJobs();
}

/** Makes `parent`'s children exactly `nodes`, moving only what changed (keeps focus intact). */
function syncChildren(parent, nodes) {
  nodes.forEach((node, i) => {
    if (parent.children[i] !== node) parent.insertBefore(node, parent.children[i] ?? null);
  });
  while (parent.children.length > nodes.length) parent.lastElementChild.remove();
}
