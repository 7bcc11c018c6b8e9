// The Jobs view (#jobs): every job, newest first, filtered by status, type, who submitted it,
// creation dates and text (GET /api/jobs with `status`, `type`, `submitted_by`, `from`, `to`,
// `q`), paged with "Load more". Each row says what the job made, when and for whom, how long it
// took and what it cost (tokens on demand), the quality score of what it wrote, with its log, the
// documents it wrote and, for a revision, its review; editors cancel and retry from it.
//
// The filters live in the address (`#jobs?status=failed&type=draft&by=me`), so a reload, a
// shared link, Back and Forward come back to them. The view follows the page's job state
// (jobstate.js): a job it shows that changes is updated in its row, and a new job that matches
// the filters is added at the top, keeping what was scrolled to and the pages loaded.
//
// The API examines a bounded number of jobs per request, so a rare filter can answer a short
// page that still has a cursor; the view follows such cursors a few times on its own before it
// offers "Load more" to look further back.

import * as api from './api.js';
import { h, button, icon, formatCost, formatNumber, replaceChildren, debounce } from './dom.js';
import { JOB_TYPES } from './jobs.js';
import { jobRow } from './jobrow.js';
import { whoLabel } from './usermenu.js';

const PAGE = 25;
/** Requests one "page" may make while a filter leaves pages short. */
const MAX_FOLLOW = 4;
const STATUSES = { queued: 'Queued', running: 'Running', waiting: 'Waiting for a usage limit', completed: 'Completed', failed: 'Failed', cancelled: 'Cancelled' };
/** The filters, by their name in the address. */
const FILTERS = ['q', 'status', 'type', 'by', 'from', 'to'];

/** `YYYY-MM-DD` (a day in the browser's time zone) → the RFC 3339 time it starts, or ends. */
export function dayBound(day, end = false) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? '');
  if (!m) return null;
  const start = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (end ? 1 : 0));
  return new Date(start.getTime() - (end ? 1 : 0)).toISOString();
}

export class JobHistoryScreen {
  /** `state` is the page's JobState. */
  constructor(root, app, state) {
    this.root = root;
    this.app = app;
    this.items = [];
    this.rows = new Map();
    this.cursor = null;
    this.token = 0;
    this.loaded = false;
    this.build();
    state?.subscribe((snapshot) => this.follow(snapshot));
  }

  build() {
    const select = (label, key, options, any = `Any ${label.toLowerCase()}`) => {
      const el = h('select', { class: 'input', id: `jh-${key}`, on: { change: () => this.filtersChanged() } },
        h('option', { value: '', text: any }),
        Object.entries(options).map(([value, text]) => h('option', { value, text })));
      return { el, field: h('div', { class: 'field' }, h('label', { class: 'field-label', htmlFor: el.id, text: label }), el) };
    };
    const date = (label, key) => {
      const el = h('input', { class: 'input', type: 'date', id: `jh-${key}`, on: { change: () => this.filtersChanged() } });
      return { el, field: h('div', { class: 'field' }, h('label', { class: 'field-label', htmlFor: el.id, text: label }), el) };
    };
    const status = select('Status', 'status', STATUSES);
    const type = select('Type', 'type', JOB_TYPES);
    const by = select('Submitted by', 'by', { me: 'Me', other: 'Other' }, 'Anyone');
    this.byEmail = h('input', {
      class: 'input jh-by-email', type: 'email', id: 'jh-by-email', placeholder: 'name@example.com', maxLength: 320, autocomplete: 'off', hidden: true,
      attrs: { 'aria-label': 'Email of who submitted the jobs' },
      on: { input: debounce(() => this.filtersChanged({ typing: true }), 400) },
    });
    by.field.append(this.byEmail);
    const from = date('From', 'from');
    const to = date('To', 'to');
    const text = h('input', {
      class: 'input', type: 'search', id: 'jh-q', placeholder: 'Title, keyword, file or person', maxLength: 200, autocomplete: 'off',
      on: { input: debounce(() => this.filtersChanged({ typing: true }), 300) },
    });
    this.filters = { status: status.el, type: type.el, by: by.el, from: from.el, to: to.el, q: text };
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
        status.field, type.field, by.field, from.field, to.field,
        h('div', { class: 'jh-clear' }, button('Clear', { variant: 'ghost', attrs: { 'data-action': 'clear-filters' }, onClick: () => this.clear() }))),
      h('div', { class: 'jh-results card' }, this.summary, this.table, this.status, h('div', { class: 'jh-more' }, this.more)));
  }

  /** Shows the view with the filters `query` (the address's, after `#jobs?`) names. */
  show(query = '') {
    this.setFilters(new URLSearchParams(query));
    this.writeAddress({ replace: true });
    this.reload();
  }

  clear() {
    this.setFilters(new URLSearchParams());
    this.filtersChanged();
  }

  /** A filter changed: the address follows (a new history entry, except while typing). */
  filtersChanged({ typing = false } = {}) {
    this.byEmail.hidden = this.filters.by.value !== 'other';
    this.writeAddress({ replace: typing });
    this.reload();
  }

  /** The filters as the address holds them: `{q, status, type, by, from, to}`, unset left out. */
  filterValues() {
    const f = this.filters;
    const by = f.by.value === 'other' ? this.byEmail.value.trim() : f.by.value;
    const values = { q: f.q.value.trim(), status: f.status.value, type: f.type.value, by, from: f.from.value, to: f.to.value };
    return Object.fromEntries(Object.entries(values).filter(([, v]) => v));
  }

  setFilters(params) {
    const f = this.filters;
    for (const key of ['q', 'status', 'type', 'from', 'to']) {
      f[key].value = params.get(key) ?? '';
      // A value the control does not offer (a hand-edited address) is no filter.
      if (f[key].value !== (params.get(key) ?? '')) f[key].value = '';
    }
    const by = (params.get('by') ?? '').trim();
    f.by.value = !by ? '' : by === 'me' ? 'me' : 'other';
    this.byEmail.value = by === 'me' ? '' : by;
    this.byEmail.hidden = f.by.value !== 'other';
  }

  writeAddress({ replace }) {
    const values = this.filterValues();
    const query = new URLSearchParams(FILTERS.filter((k) => values[k]).map((k) => [k, values[k]])).toString();
    const hash = query ? `#jobs?${query}` : '#jobs';
    if (location.hash === hash) return;
    if (replace) history.replaceState(null, '', hash);
    else history.pushState(null, '', hash);
  }

  reload() {
    return this.load({ more: false });
  }

  /** The API's query for the filters. */
  query() {
    const { q = '', status = '', type = '', by = '', from, to } = this.filterValues();
    const me = this.app.me;
    return {
      status, type, q, submitted_by: by === 'me' ? (me ? whoLabel(me) : '') : by,
      from: dayBound(from), to: dayBound(to, true),
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
    this.loaded = true;
    this.render();
  }

  render(problem = null) {
    this.tbody.replaceChildren(...this.items.map((job) => this.row(job)));
    for (const id of [...this.rows.keys()]) if (!this.items.some((j) => j.id === id)) this.rows.delete(id);
    this.more.hidden = !this.cursor;
    this.more.disabled = false;
    this.updateSummary();
    const filtered = Object.values(this.query()).some(Boolean);
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

  updateSummary() {
    const cost = this.items.reduce((sum, j) => sum + Number(j.usage?.cost_usd ?? 0), 0);
    const count = `${formatNumber(this.items.length)} ${this.items.length === 1 ? 'job' : 'jobs'}${this.cursor ? ' so far' : ''}`;
    this.summary.textContent = this.items.length ? `${count} · ${cost ? `${formatCost(cost)} in all` : 'no cost'}` : '';
    this.table.hidden = !this.items.length;
  }

  /** The row of `job`, reused while nothing it shows changed. */
  row(job) {
    const signature = JSON.stringify(job);
    const cached = this.rows.get(job.id);
    if (cached && cached.signature === signature) return cached.node;
    const node = jobRow(this.app, job);
    if (cached) keepRowState(cached.node, node);
    this.rows.set(job.id, { signature, node });
    return node;
  }

  /** A snapshot of the page's job state: rows shown are updated in place, and new jobs that
   * match the filters are added at the top. */
  follow(snapshot) {
    if (!this.loaded || this.root.hidden || !snapshot.jobs) return;
    const shown = new Map(this.items.map((job, i) => [job.id, i]));
    for (const job of snapshot.jobs) {
      const i = shown.get(job.id);
      if (i === undefined) continue;
      this.items[i] = job;
      const old = this.rows.get(job.id)?.node;
      const node = this.row(job);
      if (old && old !== node) old.replaceWith(node);
    }
    this.updateSummary();
    const newest = Date.parse(this.items[0]?.created_at ?? '') || 0;
    if (snapshot.jobs.some((j) => !shown.has(j.id) && Date.parse(j.created_at) >= newest)) this.addNewer();
  }

  /** Reads the first page under the filters and puts the jobs newer than those shown on top. */
  async addNewer() {
    if (this.addingNewer) return;
    this.addingNewer = true;
    const token = this.token;
    try {
      const page = await api.listJobs({ ...this.query(), limit: PAGE });
      if (token !== this.token) return;
      const shown = new Set(this.items.map((j) => j.id));
      const fresh = [];
      for (const job of page.items) {
        if (shown.has(job.id)) break;
        fresh.push(job);
      }
      if (!fresh.length) return;
      const wasEmpty = !this.items.length;
      this.items.unshift(...fresh);
      if (wasEmpty) this.render();
      else {
        keepInView(this.tbody, () => this.tbody.prepend(...fresh.map((job) => this.row(job))));
        this.updateSummary();
      }
    } catch {
      // The next snapshot tries again.
    } finally {
      this.addingNewer = false;
    }
  }
}

/** Runs `change` (rows added above) so that, scrolled down, the rows in view stay where they
 * were; at the top of the page the new rows show. */
function keepInView(tbody, change) {
  const anchor = window.scrollY > 0 ? [...tbody.rows].find((tr) => tr.getBoundingClientRect().bottom > 0) : null;
  const top = anchor?.getBoundingClientRect().top;
  change();
  if (anchor) window.scrollBy(0, anchor.getBoundingClientRect().top - top);
}

/** Carries what the user opened or focused in a row over to its replacement. */
function keepRowState(old, node) {
  const open = old.querySelector('details[open]');
  if (open) node.querySelector('details')?.setAttribute('open', '');
  if (old.contains(document.activeElement)) {
    const action = document.activeElement.dataset?.action;
    queueMicrotask(() => (node.querySelector(`[data-action="${action}"]`) ?? node.querySelector('button, a'))?.focus());
  }
}
