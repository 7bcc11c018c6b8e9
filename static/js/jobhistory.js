// The Jobs view (#jobs): every job, newest first, filtered by status, type, creation dates and
// text (GET /api/jobs with `status`, `type`, `from`, `to`, `q`), paged with "Load more". Each
// row says what the job made, when and for whom, how long it took and what it cost (tokens on
// demand), the quality score of what it wrote, with its log, the documents it wrote and, for a
// revision, its review.
//
// The API examines a bounded number of jobs per request, so a rare filter can answer a short
// page that still has a cursor; the view follows such cursors a few times on its own before it
// offers "Load more" to look further back.

import * as api from './api.js';
import { h, button, icon, statusBadge, formatCost, formatDuration, formatNumber, timeEl, replaceChildren, debounce } from './dom.js';
import { JOB_TYPES, jobTitle, jobDuration, resumeText, waitingHelp } from './jobs.js';
import { qualityBadge } from './quality.js';
import { reviewProposal } from './review.js';

const PAGE = 25;
/** Requests one "page" may make while a filter leaves pages short. */
const MAX_FOLLOW = 4;
const STATUSES = { queued: 'Queued', running: 'Running', waiting: 'Waiting for a usage limit', completed: 'Completed', failed: 'Failed', cancelled: 'Cancelled' };

/** `YYYY-MM-DD` (a day in the browser's time zone) → the RFC 3339 time it starts, or ends. */
export function dayBound(day, end = false) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? '');
  if (!m) return null;
  const start = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (end ? 1 : 0));
  return new Date(start.getTime() - (end ? 1 : 0)).toISOString();
}

export class JobHistoryScreen {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.items = [];
    this.cursor = null;
    this.token = 0;
    this.build();
  }

  build() {
    const select = (label, key, options) => {
      const el = h('select', { class: 'input', id: `jh-${key}`, on: { change: () => this.reload() } },
        h('option', { value: '', text: `Any ${label.toLowerCase()}` }),
        Object.entries(options).map(([value, text]) => h('option', { value, text })));
      return { el, field: h('div', { class: 'field' }, h('label', { class: 'field-label', htmlFor: el.id, text: label }), el) };
    };
    const date = (label, key) => {
      const el = h('input', { class: 'input', type: 'date', id: `jh-${key}`, on: { change: () => this.reload() } });
      return { el, field: h('div', { class: 'field' }, h('label', { class: 'field-label', htmlFor: el.id, text: label }), el) };
    };
    const status = select('Status', 'status', STATUSES);
    const type = select('Type', 'type', JOB_TYPES);
    const from = date('From', 'from');
    const to = date('To', 'to');
    const text = h('input', {
      class: 'input', type: 'search', id: 'jh-q', placeholder: 'Title, keyword, brand or document', maxLength: 200, autocomplete: 'off',
      on: { input: debounce(() => this.reload(), 300) },
    });
    this.filters = { status: status.el, type: type.el, from: from.el, to: to.el, q: text };
    this.summary = h('p', { class: 'jh-summary', attrs: { 'aria-live': 'polite' } });
    this.tbody = h('tbody');
    this.table = h('table', { class: 'jh-table' },
      h('caption', { class: 'visually-hidden', text: 'Jobs, newest first' }),
      h('thead', {}, h('tr', {}, ['Job', 'Status', 'Submitted', 'Took', 'Cost', 'Links'].map((t) => h('th', { attrs: { scope: 'col' }, text: t })))),
      this.tbody);
    this.status = h('div', { class: 'jh-status' });
    this.more = button('Load more', { variant: 'secondary', attrs: { 'data-action': 'load-more' }, onClick: () => this.load({ more: true }) });
    this.more.hidden = true;
    replaceChildren(this.root,
      h('div', { class: 'panel-head' },
        h('div', { class: 'panel-heading' },
          h('h1', { class: 'panel-title', text: 'Jobs' }),
          h('p', { class: 'panel-sub', text: 'Every job, newest first: what it made, for whom, how long it took and what it cost.' })),
        h('div', { class: 'panel-actions' },
          button('Refresh', { icon: 'refresh', variant: 'secondary', attrs: { 'data-action': 'refresh' }, onClick: () => this.reload() }))),
      h('form', { class: 'jh-filters card', attrs: { role: 'search', 'aria-label': 'Filter jobs' }, on: { submit: (e) => { e.preventDefault(); this.reload(); } } },
        h('div', { class: 'field jh-text' }, h('label', { class: 'field-label', htmlFor: 'jh-q', text: 'Search' }),
          h('div', { class: 'search-field' }, icon('search'), text)),
        status.field, type.field, from.field, to.field,
        h('div', { class: 'jh-clear' }, button('Clear', { variant: 'ghost', attrs: { 'data-action': 'clear-filters' }, onClick: () => this.clear() }))),
      h('div', { class: 'jh-results card' }, this.summary, this.table, this.status, h('div', { class: 'jh-more' }, this.more)));
  }

  /** Shows the view: the first page under the current filters. */
  show() {
    this.reload();
  }

  clear() {
    for (const el of Object.values(this.filters)) el.value = '';
    this.reload();
  }

  reload() {
    return this.load({ more: false });
  }

  query() {
    const f = this.filters;
    return {
      status: f.status.value, type: f.type.value, q: f.q.value.trim(),
      from: dayBound(f.from.value), to: dayBound(f.to.value, true),
    };
  }

  async load({ more }) {
    const token = ++this.token;
    const query = this.query();
    if (query.from && query.to && query.from > query.to) {
      this.items = [];
      this.cursor = null;
      this.render('“From” is after “To”: no day is in between.');
      return;
    }
    let cursor = more ? this.cursor : null;
    const found = more ? [...this.items] : [];
    const wanted = found.length + PAGE;
    this.more.disabled = true;
    if (!more) replaceChildren(this.status, h('p', { class: 'muted loading', text: 'Loading…' }));
    try {
      for (let asked = 0; asked < MAX_FOLLOW && found.length < wanted; asked++) {
        const page = await api.listJobs({ ...query, limit: wanted - found.length, cursor });
        if (token !== this.token) return;
        found.push(...page.items);
        cursor = page.next_cursor;
        if (!cursor) break;
      }
    } catch (err) {
      if (token !== this.token) return;
      replaceChildren(this.status, h('p', { class: 'notice notice-error', attrs: { role: 'alert' }, text: `Could not load jobs: ${err.message}` }));
      this.more.disabled = false;
      return;
    }
    this.items = found;
    this.cursor = cursor;
    this.render();
  }

  render(problem = null) {
    this.tbody.replaceChildren(...this.items.map((job) => this.row(job)));
    this.more.hidden = !this.cursor;
    this.more.disabled = false;
    const filtered = Object.values(this.query()).some(Boolean);
    const cost = this.items.reduce((sum, j) => sum + Number(j.usage?.cost_usd ?? 0), 0);
    const count = `${formatNumber(this.items.length)} ${this.items.length === 1 ? 'job' : 'jobs'}${this.cursor ? ' so far' : ''}`;
    this.summary.textContent = this.items.length ? `${count} · ${formatCost(cost)} in all` : '';
    this.table.hidden = !this.items.length;
    let note = null;
    if (problem) note = h('p', { class: 'notice notice-error', attrs: { role: 'alert' }, text: problem });
    else if (!this.items.length) {
      note = h('div', { class: 'empty-state' },
        h('p', { class: 'empty-title', text: filtered ? 'No job matches these filters' : 'No jobs yet' }),
        h('p', { class: 'muted', text: filtered
          ? (this.cursor ? 'None among the most recent jobs. Load more to look further back, or change the filters.' : 'Change or clear the filters to see more.')
          : 'Jobs show up here once brand data, a brief or a draft is generated.' }));
    } else if (this.cursor && filtered) {
      note = h('p', { class: 'muted jh-hint', text: 'Older jobs may match too: load more to look further back.' });
    }
    replaceChildren(this.status, note);
  }

  row(job) {
    const title = jobTitle(job);
    const usage = job.usage;
    const links = h('div', { class: 'jh-links' },
      button('Logs', { icon: 'logs', variant: 'ghost', small: true, attrs: { 'data-action': 'logs', 'aria-label': `Logs of ${title}` }, onClick: () => this.app.openLogs(job.id) }),
      job.type === 'revision' && job.status === 'completed' && button('Review', { icon: 'doc', variant: 'link', small: true, attrs: { 'data-action': 'review' }, onClick: () => reviewProposal(this.app, job.id) }),
      (job.output_documents ?? []).map((doc) => h('a', {
        class: 'btn btn-link btn-sm', href: `#${doc.collection}/${encodeURIComponent(doc.name)}`, attrs: { 'data-action': 'open-output' },
      }, icon('doc'), h('span', { text: doc.name }))));
    const duration = jobDuration(job);
    return h('tr', { class: `is-${job.status}`, dataset: { jobId: job.id } },
      h('td', { class: 'jh-job', dataset: { label: 'Job' } }, h('div', { class: 'jh-job-text' },
        h('span', { class: 'job-type', text: JOB_TYPES[job.type] ?? job.type }),
        h('span', { class: 'jh-title', text: title }),
        h('span', { class: 'jh-id', text: job.id }))),
      h('td', { dataset: { label: 'Status' } }, h('span', { class: 'job-badges' }, statusBadge(job.status), qualityBadge(job.quality)),
        job.error && job.status === 'failed' && h('span', { class: 'jh-error', text: job.error }),
        job.status === 'waiting' && h('span', { class: 'jh-waiting', attrs: { title: waitingHelp(job) }, text: capitalized(resumeText(job)) })),
      h('td', { class: 'jh-when', dataset: { label: 'Submitted' } }, timeEl(job.created_at),
        job.submitted_by && h('span', { class: 'muted', text: ` by ${job.submitted_by}` })),
      h('td', { class: 'jh-num', dataset: { label: 'Took' }, text: duration !== null && job.finished_at ? formatDuration(duration) : '—' }),
      h('td', { class: 'jh-num jh-cost', dataset: { label: 'Cost' } }, usage ? formatCost(usage.cost_usd) : '—', usage && tokens(usage)),
      h('td', { dataset: { label: 'Links' } }, links));
  }
}

function capitalized(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** The token counts behind a cost, folded away until asked for. */
function tokens(usage) {
  const facts = [
    ['Input', usage.input_tokens], ['Output', usage.output_tokens],
    ['Cache read', usage.cache_read_input_tokens], ['Cache write', usage.cache_creation_input_tokens],
    ['Web searches', usage.web_search_requests], ['Turns', usage.num_turns],
  ].filter(([, v]) => v !== undefined && v !== null);
  return h('details', { class: 'jh-tokens' },
    h('summary', { text: 'Tokens' }),
    h('dl', {}, facts.map(([label, value]) => h('div', {}, h('dt', { text: label }), h('dd', { text: formatNumber(value) })))));
}
