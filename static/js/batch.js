// Batch generation of briefs from a CSV file: the file is read in the browser, shown as a table
// with each row's problems, and sent as one batch (POST /api/briefs/generate/batch), which the
// server validates whole before it queues anything. Then the dialog follows the batch's
// progress (GET /api/batches/{id}) until every job has ended, and can cancel it.
//
// Columns (a header row names them, in any order, case and spacing ignored): title, primary
// keyword, secondary keywords (separated by ";" or "|"), brand data (a brand-data file name).

import * as api from './api.js';
import { h, button, announce, replaceChildren } from './dom.js';
import { dialogShell, openDialog } from './dialogs.js';

const MAX_ITEMS = 100;
const COLUMNS = { title: 'title', 'primary keyword': 'primary_keyword', 'secondary keywords': 'secondary_keywords', 'brand data': 'brand_data' };

/** Rows of a CSV text (RFC 4180: quoted fields may hold commas, quotes as "" and newlines). */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  const src = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows.filter((r) => r.some((v) => v.trim() !== ''));
}

/** The brief requests a CSV holds, each with what is wrong with it (`problems`). */
export function briefRows(text, brandNames) {
  const [header = [], ...body] = parseCsv(text);
  const keys = header.map((name) => COLUMNS[name.trim().toLowerCase().replace(/[\s_-]+/g, ' ')]);
  const missing = Object.entries(COLUMNS).filter(([, key]) => key !== 'secondary_keywords' && !keys.includes(key)).map(([name]) => name);
  if (missing.length) return { error: `The first row must name the columns; missing: ${missing.join(', ')}.`, rows: [] };
  const rows = body.map((cells) => {
    const get = (key) => (cells[keys.indexOf(key)] ?? '').trim();
    const item = {
      title: get('title'),
      primary_keyword: get('primary_keyword'),
      secondary_keywords: get('secondary_keywords').split(/[;|]/).map((k) => k.trim()).filter(Boolean),
      brand_data: get('brand_data'),
    };
    const problems = [];
    if (!item.title) problems.push('no title');
    if (!item.primary_keyword) problems.push('no primary keyword');
    if (!item.brand_data) problems.push('no brand data');
    else if (!brandNames.has(item.brand_data)) problems.push(`no brand data named ${item.brand_data}`);
    return { item, problems };
  });
  if (rows.length > MAX_ITEMS) return { error: `A batch holds at most ${MAX_ITEMS} rows; this file has ${rows.length}.`, rows };
  return { rows };
}

export class BatchDialog {
  constructor(app) {
    this.app = app;
  }

  async open() {
    this.file = h('input', { type: 'file', accept: '.csv,text/csv', attrs: { 'data-field': 'csv', 'aria-label': 'CSV file' } });
    this.preview = h('div', { class: 'batch-preview' });
    this.submitBtn = button('Queue the briefs', { variant: 'primary', attrs: { 'data-action': 'submit-batch' } });
    this.submitBtn.disabled = true;
    this.status = h('div', { class: 'batch-status', attrs: { 'aria-live': 'polite' } });
    const body = h('div', { class: 'dialog-body' },
      h('p', { class: 'field-hint', text: 'Columns: title, primary keyword, secondary keywords (separated by ; or |), brand data. The first row names them.' }),
      this.file, this.preview, this.status,
      h('div', { class: 'dialog-actions' }, this.submitBtn));
    this.dialog = dialogShell({ title: 'Generate briefs from a CSV file', description: 'Check the table, then queue every row at once.', className: 'dialog-batch', body });
    this.file.addEventListener('change', () => this.read());
    this.submitBtn.addEventListener('click', () => this.submit());
    // Rows are checked against the brand data there is: a file chosen before the list has
    // arrived waits for it rather than finding no brand data at all.
    this.brands = api.listAllDocuments('brand-data').then((items) => new Set(items.map((i) => i.name)));
    this.brands.catch(() => {});
    await openDialog(this.dialog, { initialFocus: this.file });
    this.stopped = true;
    this.dialog.remove();
  }

  async read() {
    const file = this.file.files[0];
    if (!file) return;
    // Only the latest file chosen is shown, whichever read finishes last.
    const turn = (this.reading = (this.reading ?? 0) + 1);
    let brands;
    let text;
    try {
      [brands, text] = await Promise.all([this.brands, file.text()]);
    } catch (err) {
      if (turn !== this.reading) return;
      replaceChildren(this.preview, h('p', { class: 'notice notice-error', text: `Could not read the file or the brand data to check its rows against: ${err.message}` }));
      this.submitBtn.disabled = true;
      return;
    }
    if (turn !== this.reading) return;
    const { rows, error } = briefRows(text, brands);
    this.rows = rows;
    const bad = rows.filter((r) => r.problems.length).length;
    const table = h('table', { class: 'batch-table' },
      h('thead', {}, h('tr', {}, ['#', 'Title', 'Primary keyword', 'Secondary keywords', 'Brand data', 'Check'].map((t) => h('th', { text: t, attrs: { scope: 'col' } })))),
      h('tbody', {}, rows.map((r, i) => h('tr', { class: r.problems.length ? 'is-bad' : '', dataset: { row: String(i) } },
        h('td', { text: String(i + 1) }), h('td', { text: r.item.title }), h('td', { text: r.item.primary_keyword }),
        h('td', { text: r.item.secondary_keywords.join(', ') }), h('td', { text: r.item.brand_data }),
        h('td', { class: 'batch-check', text: r.problems.length ? r.problems.join('; ') : 'OK' })))));
    const summary = error ?? (bad
      ? `${bad} of ${rows.length} ${rows.length === 1 ? 'row' : 'rows'} ${bad === 1 ? 'needs' : 'need'} fixing before the batch can be queued.`
      : `${rows.length} ${rows.length === 1 ? 'brief' : 'briefs'} ready to queue.`);
    replaceChildren(this.preview, h('p', { class: error || bad ? 'notice notice-error' : 'notice notice-info', text: summary }), rows.length ? table : null);
    this.submitBtn.disabled = Boolean(error) || bad > 0 || !rows.length;
  }

  async submit() {
    this.submitBtn.disabled = true;
    try {
      const { batch_id: id, job_ids: ids } = await api.generateBatch('briefs', this.rows.map((r) => r.item));
      announce(`Queued ${ids.length} briefs`, { tone: 'success' });
      this.app.jobSubmitted(ids);
      this.follow(id);
    } catch (err) {
      const row = /^items\[(\d+)\]/.exec(err.message)?.[1];
      if (row !== undefined) this.preview.querySelector(`tr[data-row="${row}"]`)?.classList.add('is-bad');
      replaceChildren(this.status, h('p', { class: 'notice notice-error', text: err.message }));
      this.submitBtn.disabled = false;
    }
  }

  follow(id) {
    return followBatch({ status: this.status, id, noun: 'briefs', stopped: () => this.stopped, onChange: () => this.app.refreshJobs() });
  }
}

/** Shows a batch's counts in `status` until every job has ended (or `stopped()`), offering to
 * cancel the rest meanwhile, then says it is finished. `noun`: what its jobs make ("briefs",
 * "drafts"); `onChange()` runs when the counts move (the page's job state is read again then,
 * so it agrees); `onDone(batch)` once every job has ended. */
export async function followBatch({ status, id, noun, stopped, onChange, onDone }) {
  let last = null;
  const cancel = button('Cancel the batch', { variant: 'danger-ghost', small: true, attrs: { 'data-action': 'cancel-batch' },
    onClick: async () => { await api.cancelBatch(id); announce(`Cancelled the batch\u2019s remaining ${noun}`); } });
  while (!stopped()) {
    let batch;
    try { batch = await api.getBatch(id); } catch (err) { replaceChildren(status, h('p', { class: 'notice notice-error', text: err.message })); return; }
    const c = batch.counts;
    const counts = JSON.stringify(c);
    if (last !== null && counts !== last) onChange?.();
    last = counts;
    const ended = batch.total === 1 ? `Finished: the ${noun.replace(/s$/, '')} has ended` : `Finished: all ${batch.total} ${noun} have ended`;
    replaceChildren(status,
      h('p', { class: 'batch-counts', dataset: { done: String(batch.done) } }, batch.done
        ? `${ended}. ${c.completed} completed, ${c.failed} failed, ${c.cancelled} cancelled.`
        : `${batch.total} ${noun}: ${c.completed} completed, ${c.running} running, ${c.queued} queued, ${c.waiting ? `${c.waiting} waiting for a usage limit, ` : ''}${c.failed} failed, ${c.cancelled} cancelled`),
      !batch.done && cancel);
    if (batch.done) {
      onDone?.(batch);
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
