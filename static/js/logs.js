// The log viewer: a dialog showing one job's live log (via LogStream), its status and, once it
// ends, the final summary. Follows the newest line unless the reader scrolled up, in which case
// a "Jump to latest" button appears. Tool calls, tool errors and errors are marked by `kind`.

import * as api from './api.js';
import { h, button, announce, statusBadge, formatClock, formatDuration, formatTimeOfDay, replaceChildren, formatCost, formatNumber } from './dom.js';
import { dialogShell, openDialog } from './dialogs.js';
import { LogStream } from './logstream.js';
import { JOB_TYPES, jobTitle, jobDuration, waitingText, waitingHelp } from './jobs.js';

const KIND_LABELS = {
  text: 'Claude', tool_call: 'Tool', tool_ok: 'Done', tool_error: 'Tool error', retry: 'Retry',
  result: 'Result', error: 'Error', denied: 'Denied', info: 'Info', stderr: 'stderr',
};
const MAX_LINES = 5000;
const MODE_LABELS = {
  connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', polling: 'Live (polling)', done: 'Finished', error: 'Unavailable',
};

export class LogViewer {
  constructor(app) {
    this.app = app;
    this.stream = null;
    this.job = null;
    setInterval(() => this.tick(), 1000);
  }

  async open(jobId) {
    this.close();
    this.jobId = jobId;
    this.job = null;
    this.lineCount = 0;
    this.pending = [];
    this.follow = true;
    this.unseen = 0;
    this.build();
    this.stream = new LogStream(jobId, {
      onLines: (lines) => this.queue(lines),
      onStatus: (job) => this.setJob(job),
      onDone: (job) => this.done(job),
      onMode: (mode) => this.setMode(mode),
      onError: (err) => this.showError(err.message),
      onServerError: (message) => this.showError(`The log stream reported a problem: ${message}. Reconnecting…`),
    });
    this.stream.start();
    api.getJob(jobId).then((job) => { if (!this.job || this.job.id !== job.id) this.setJob(job); }).catch((err) => {
      if (err.status === 404) this.showError('This job no longer exists.');
    });
    openDialog(this.dialog, { initialFocus: this.logEl }).then(() => this.close());
  }

  close() {
    this.stream?.close();
    this.stream = null;
    this.resizeObserver?.disconnect();
    if (this.dialog) {
      const d = this.dialog;
      this.dialog = null;
      if (d.open) d.close();
      d.remove();
    }
  }

  build() {
    this.titleEl = null;
    this.badgeHost = h('span', { class: 'log-status' });
    this.modeEl = h('span', { class: 'log-mode', attrs: { 'aria-live': 'polite' } });
    this.stats = h('dl', { class: 'log-stats' });
    this.logEl = h('div', {
      class: 'log-view', tabIndex: 0,
      attrs: { role: 'log', 'aria-live': 'off', 'aria-label': 'Job log', 'data-testid': 'log-view' },
      on: { scroll: () => this.onScroll() },
    }, h('p', { class: 'log-placeholder muted', text: 'Waiting for output…' }));
    // Keep the newest line in view when the box changes size (e.g. the summary appears).
    this.resizeObserver = new ResizeObserver(() => { if (this.follow) this.scrollToEnd(); });
    this.resizeObserver.observe(this.logEl);
    this.jumpBtn = button('Jump to latest', { icon: 'arrowDown', variant: 'primary', small: true, onClick: () => this.jumpToLatest(), attrs: { 'data-action': 'jump' } });
    this.jumpBtn.classList.add('jump-latest');
    this.jumpBtn.hidden = true;
    this.summary = h('div', { class: 'log-summary', attrs: { 'aria-live': 'polite' } });
    this.actions = h('div', { class: 'log-actions' });
    const body = h('div', { class: 'dialog-body log-body' },
      h('div', { class: 'log-meta' }, this.badgeHost, this.modeEl, this.stats),
      h('div', { class: 'log-frame' }, this.logEl, this.jumpBtn),
      this.summary,
      this.actions);
    this.dialog = dialogShell({ title: 'Job log', description: ' ', className: 'dialog-logs', body });
    this.titleEl = this.dialog.querySelector('.dialog-title');
    this.descEl = this.dialog.querySelector('.dialog-description');
  }

  setMode(mode) {
    if (!this.modeEl) return;
    if (mode === 'live' || mode === 'polling') this.summary.querySelector('.notice-error')?.remove();
    this.modeEl.className = `log-mode mode-${mode}`;
    this.modeEl.textContent = MODE_LABELS[mode] ?? mode;
  }

  setJob(job) {
    if (!this.dialog || !job || job.id !== this.jobId) return;
    this.job = job;
    this.titleEl.textContent = jobTitle(job);
    this.descEl.textContent = `${JOB_TYPES[job.type] ?? job.type} job · ${job.id}`;
    replaceChildren(this.badgeHost, statusBadge(job.status));
    const placeholder = this.logEl.querySelector('.log-placeholder');
    if (placeholder) {
      placeholder.textContent = job.status === 'queued'
        ? `Waiting in the queue${job.queue_position ? ` (#${job.queue_position})` : ''}. The log starts when a runner picks the job up.`
        : job.status === 'running' ? 'Waiting for output…'
          : job.status === 'waiting' ? 'Waiting for the usage limit to reset.' : 'This job wrote no log lines.';
    }
    this.renderWaiting();
    this.renderStats();
    this.renderActions();
  }

  /** While the job waits for a usage limit: why, and when it runs again. */
  renderWaiting() {
    const shown = this.summary.querySelector('[data-testid="log-waiting"]');
    if (this.job.status !== 'waiting') {
      shown?.remove();
      return;
    }
    replaceChildren(this.summary, h('div', { class: 'notice notice-warning', attrs: { 'data-testid': 'log-waiting' } },
      h('p', { class: 'notice-title', text: waitingText(this.job) }),
      h('p', { text: waitingHelp(this.job) })));
  }

  renderStats() {
    const job = this.job;
    const items = [];
    if (job.status === 'queued') items.push(['Queue', job.queue_position ? `#${job.queue_position}` : 'waiting']);
    if (job.status === 'waiting' && job.resume_at) items.push(['Resumes', formatTimeOfDay(job.resume_at)]);
    if (job.runner) items.push(['Runner', job.runner]);
    if (job.status === 'running') items.push(['Elapsed', h('span', { class: 'log-elapsed', text: this.elapsed() })]);
    const duration = jobDuration(job);
    if (job.finished_at && duration !== null) items.push(['Duration', formatDuration(duration)]);
    if (job.attempt > 1) items.push(['Attempt', String(job.attempt)]);
    if (job.submitted_by) items.push(['Submitted by', job.submitted_by]);
    replaceChildren(this.stats, items.map(([k, v]) => h('div', { class: 'log-stat' }, h('dt', { text: k }), h('dd', {}, v))));
  }

  elapsed() {
    const start = Date.parse(this.job?.started_at);
    return Number.isFinite(start) ? formatClock(Date.now() - start) : '0:00';
  }

  tick() {
    const el = this.dialog?.querySelector('.log-elapsed');
    if (el) el.textContent = this.elapsed();
  }

  renderActions() {
    const job = this.job;
    const items = [];
    const write = this.app.canWrite;
    if ((job.status === 'queued' || job.status === 'running' || job.status === 'waiting') && write) {
      const cancel = button(job.cancel_requested ? 'Cancelling…' : 'Cancel job', { icon: 'stop', variant: 'secondary', small: true, attrs: { 'data-action': 'cancel' } });
      cancel.disabled = Boolean(job.cancel_requested);
      cancel.addEventListener('click', async () => {
        try { await api.cancelJob(job.id); announce(`Cancel requested for “${jobTitle(job)}”`); } catch (err) { announce(`Could not cancel: ${err.message}`, { tone: 'error' }); }
        this.app.refreshJobs();
      });
      items.push(cancel);
    }
    if ((job.status === 'failed' || job.status === 'cancelled') && write && !job.retried_as) {
      items.push(button('Retry', { icon: 'retry', variant: 'secondary', small: true, attrs: { 'data-action': 'retry' }, onClick: async () => {
        try {
          const { job_id: newId } = await api.retryJob(job.id);
          announce(`Retry queued for “${jobTitle(job)}”`, { tone: 'success' });
          this.app.refreshJobs();
          if (newId) this.open(newId);
        } catch (err) { announce(`Could not retry: ${err.message}`, { tone: 'error' }); }
      } }));
    }
    for (const doc of job.output_documents ?? []) {
      items.push(button(`Open ${doc.name}`, { icon: 'doc', variant: 'primary', small: true, attrs: { 'data-action': 'open-output' }, onClick: () => {
        this.close();
        this.app.openDocument(doc.collection, doc.name);
      } }));
    }
    replaceChildren(this.actions, items);
  }

  done(job) {
    if (!this.dialog) return;
    this.summary.replaceChildren();
    this.flush();
    if (job) this.setJob(job);
    const j = this.job;
    if (!j) return;
    const usage = j.usage;
    const facts = [
      ['Status', statusBadge(j.status)],
      ['Duration', formatDuration(jobDuration(j)) || '—'],
      ['Cost', usage ? formatCost(usage.cost_usd) : '—'],
      ['Tokens', usage ? `${formatNumber(usage.input_tokens)} in / ${formatNumber(usage.output_tokens)} out` : '—'],
      ['Turns', usage ? String(usage.num_turns) : '—'],
      ...(usage && usage.permission_denials ? [['Denied', String(usage.permission_denials)]] : []),
    ];
    replaceChildren(this.summary, h('div', { class: ['summary-card', `is-${j.status}`], attrs: { 'data-testid': 'log-summary' } },
      h('h3', { class: 'summary-title', text: j.status === 'completed' ? 'Finished' : j.status === 'cancelled' ? 'Cancelled' : 'Failed' }),
      h('dl', { class: 'summary-facts' }, facts.map(([k, v]) => h('div', {}, h('dt', { text: k }), h('dd', {}, v)))),
      j.error && j.status === 'failed' && h('p', { class: 'job-error', text: j.error })));
    announce(`Job ${j.status}: ${jobTitle(j)}`, { tone: j.status === 'completed' ? 'success' : j.status === 'failed' ? 'error' : 'info' });
    this.app.refreshJobs();
  }

  showError(message) {
    if (!this.dialog) return;
    replaceChildren(this.summary, h('div', { class: 'notice notice-error', attrs: { role: 'alert' } }, h('p', { text: message })));
  }

  // ---- lines ----

  queue(lines) {
    this.pending.push(...lines);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    cancelAnimationFrame(this.frame);
    this.frame = null;
    if (!this.dialog || !this.pending.length) return;
    const lines = this.pending;
    this.pending = [];
    this.logEl.querySelector('.log-placeholder')?.remove();
    const frag = document.createDocumentFragment();
    for (const line of lines) frag.append(renderLine(line));
    this.logEl.append(frag);
    this.lineCount += lines.length;
    while (this.logEl.childElementCount > MAX_LINES) this.logEl.firstElementChild.remove();
    if (this.follow) {
      this.scrollToEnd();
    } else {
      this.unseen += lines.length;
      this.jumpBtn.hidden = false;
      this.jumpBtn.querySelector('span').textContent = `Jump to latest (${this.unseen} new)`;
    }
  }

  scrollToEnd() {
    this.logEl.scrollTop = this.logEl.scrollHeight;
    this.ownScrollTop = this.logEl.scrollTop;
  }

  onScroll() {
    const el = this.logEl;
    // Our own scrolling (following new lines) is not the reader scrolling away.
    if (this.follow && Math.abs(el.scrollTop - this.ownScrollTop) < 2) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    this.follow = atBottom;
    if (atBottom) {
      this.unseen = 0;
      this.jumpBtn.hidden = true;
    } else if (this.lineCount) {
      this.jumpBtn.hidden = false;
      this.jumpBtn.querySelector('span').textContent = this.unseen ? `Jump to latest (${this.unseen} new)` : 'Jump to latest';
    }
  }

  jumpToLatest() {
    this.follow = true;
    this.unseen = 0;
    this.scrollToEnd();
    this.jumpBtn.hidden = true;
    this.logEl.focus();
  }
}

function renderLine(line) {
  const kind = KIND_LABELS[line.kind] ? line.kind : 'info';
  const ts = Date.parse(line.ts);
  const time = Number.isFinite(ts) ? new Date(ts).toLocaleTimeString('en-GB', { hour12: false }) : '';
  return h('div', { class: ['log-line', `kind-${kind}`, line.stream === 'stderr' && 'is-stderr'], dataset: { seq: String(line.seq), kind } },
    h('span', { class: 'log-time', text: time }),
    h('span', { class: 'log-kind', text: KIND_LABELS[kind] }),
    h('span', { class: 'log-text', text: line.text ?? '' }));
}

