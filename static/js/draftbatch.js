// Drafts from many briefs at once, in one dialog: choose the briefs (each with its brand data,
// preselected from what the brief was made from when it says, else the default chosen above the
// list) and one target length; preview what will be queued; then queue them as one batch
// (POST /api/drafts/generate/batch, validated whole by the server before anything is queued)
// and follow its progress until every draft has ended, as the CSV batch of briefs does; then say
// so, with a link to each new draft (and why any did not get written).

import * as api from './api.js';
import { h, button, announce, replaceChildren, formatNumber } from './dom.js';
import { jobTitle } from './jobs.js';
import { dialogShell, openDialog } from './dialogs.js';
import { followBatch } from './batch.js';

const MAX_ITEMS = 100;
const WORDS_MIN = 100;
const WORDS_MAX = 20000;
const WORDS_DEFAULT = 2000;
/** Jobs read at once when the batch has ended. */
const READS_AT_ONCE = 6;

/** The draft requests for the chosen briefs, each with what is wrong with it (`problems`). */
export function draftItems(chosen, { fallbackBrand, words, brandNames }) {
  return chosen.map(({ brief, brand }) => {
    const brandData = brand || fallbackBrand;
    const problems = [];
    if (!brandData) problems.push('no brand data: choose one for it or a default');
    else if (!brandNames.has(brandData)) problems.push(`no brand data named ${brandData}`);
    return { item: { brief, brand_data: brandData, target_word_count: words }, problems };
  });
}

export class DraftBatchDialog {
  constructor(app) {
    this.app = app;
  }

  async open() {
    this.body = h('div', { class: 'dialog-body' }, h('p', { class: 'muted loading', text: 'Loading the briefs…' }));
    this.dialog = dialogShell({
      title: 'Write drafts from briefs', className: 'dialog-batch dialog-draft-batch', body: this.body,
      description: 'Choose the briefs and the length, check the preview, then queue every draft at once.',
    });
    const closed = openDialog(this.dialog);
    try {
      const [briefs, brands] = await Promise.all([api.listAllDocuments('briefs'), api.listAllDocuments('brand-data')]);
      this.briefs = briefs;
      this.brands = brands;
      this.brandNames = new Set(brands.map((b) => b.name));
      this.choose();
    } catch (err) {
      replaceChildren(this.body, h('p', { class: 'notice notice-error', attrs: { role: 'alert' }, text: `Could not load the briefs: ${err.message}` }));
    }
    await closed;
    this.stopped = true;
    this.dialog.remove();
  }

  brandSelect(id, selected, firstLabel) {
    return h('select', { class: 'input', id },
      h('option', { value: '', text: firstLabel }),
      this.brands.map((b) => h('option', { value: b.name, text: b.title && b.title !== b.name ? `${b.title} (${b.name})` : b.name, selected: b.name === selected })));
  }

  /** Step 1: the briefs with a checkbox and brand data each, the default brand and the length. */
  choose() {
    if (!this.briefs.length) {
      replaceChildren(this.body, h('div', { class: 'empty-state' },
        h('p', { class: 'empty-title', text: 'No briefs yet' }),
        h('p', { class: 'muted', text: 'Upload or generate briefs first; drafts are written from them.' })));
      return;
    }
    const last = this.app.lastSelected('brand-data');
    this.fallback ??= this.brandSelect('db-default-brand', this.brandNames.has(last) ? last : (this.brands.length === 1 ? this.brands[0].name : ''), 'None: each brief names its own');
    this.words ??= h('input', { class: 'input input-narrow', id: 'db-words', type: 'number', min: WORDS_MIN, max: WORDS_MAX, step: 50, value: String(WORDS_DEFAULT), inputMode: 'numeric' });
    this.rows ??= this.briefs.map((brief, i) => {
      const own = brief.sources?.brand_data;
      const check = h('input', { type: 'checkbox', id: `db-pick-${i}`, attrs: { 'data-brief': brief.name } });
      const brand = this.brandSelect(`db-brand-${i}`, this.brandNames.has(own) ? own : '', 'The default');
      brand.setAttribute('aria-label', `Brand data for ${brief.name}`);
      const tr = h('tr', { dataset: { brief: brief.name } },
        h('td', { class: 'db-check' }, check),
        h('td', {}, h('label', { htmlFor: check.id, class: 'db-brief' },
          h('span', { class: 'db-title', text: brief.title || brief.name }), h('span', { class: 'db-name', text: brief.name }))),
        h('td', {}, brand));
      check.addEventListener('change', () => this.updateCount());
      return { brief, check, brand, tr };
    });
    this.search ??= h('input', { class: 'input', type: 'search', id: 'db-search', placeholder: 'Filter the briefs', autocomplete: 'off',
      on: { input: () => this.filterRows() } });
    this.all ??= h('input', { type: 'checkbox', attrs: { 'aria-label': 'Choose every brief shown' }, on: { change: () => {
      for (const r of this.rows) if (!r.tr.hidden) r.check.checked = this.all.checked;
      this.updateCount();
    } } });
    this.next = button('Preview', { variant: 'primary', attrs: { 'data-action': 'preview-drafts' }, onClick: () => this.preview() });
    this.error = h('div', { attrs: { role: 'alert' } });
    const label = (id, text) => h('label', { class: 'field-label', htmlFor: id, text });
    replaceChildren(this.body,
      h('div', { class: 'db-settings' },
        h('div', { class: 'field' }, label('db-default-brand', 'Default brand data'), this.fallback,
          h('p', { class: 'field-hint', text: 'For the briefs that do not say which brand data they were written for.' })),
        h('div', { class: 'field' }, label('db-words', 'Target word count'), this.words,
          h('p', { class: 'field-hint', text: `Every draft; ${formatNumber(WORDS_MIN)} to ${formatNumber(WORDS_MAX)} words.` }))),
      h('div', { class: 'field db-search' }, label('db-search', 'Briefs'), this.search),
      h('div', { class: 'batch-preview db-list' }, h('table', { class: 'batch-table' },
        h('thead', {}, h('tr', {}, h('th', { class: 'db-check', attrs: { scope: 'col' } }, this.all), h('th', { attrs: { scope: 'col' }, text: 'Brief' }), h('th', { attrs: { scope: 'col' }, text: 'Brand data' }))),
        h('tbody', {}, this.rows.map((r) => r.tr)))),
      this.error,
      h('div', { class: 'dialog-actions' }, h('span', { class: 'db-count muted', attrs: { 'aria-live': 'polite' } }), this.next));
    this.updateCount();
  }

  filterRows() {
    const q = this.search.value.trim().toLowerCase();
    for (const r of this.rows) r.tr.hidden = Boolean(q) && !`${r.brief.title} ${r.brief.name}`.toLowerCase().includes(q);
  }

  chosen() {
    return this.rows.filter((r) => r.check.checked).map((r) => ({ brief: r.brief.name, brand: r.brand.value }));
  }

  updateCount() {
    const n = this.chosen().length;
    this.body.querySelector('.db-count').textContent = n ? `${n} ${n === 1 ? 'brief' : 'briefs'} chosen` : 'Choose at least one brief';
    this.next.disabled = n === 0;
  }

  /** Step 2: what will be queued, each item checked; back, or queue them. */
  preview() {
    const raw = this.words.value.trim();
    const words = Number(raw);
    if (!/^\d+$/.test(raw) || words < WORDS_MIN || words > WORDS_MAX) {
      replaceChildren(this.error, h('p', { class: 'notice notice-error', text: `Enter a target word count from ${formatNumber(WORDS_MIN)} to ${formatNumber(WORDS_MAX)}.` }));
      this.words.setAttribute('aria-invalid', 'true');
      this.words.focus();
      return;
    }
    this.words.removeAttribute('aria-invalid');
    this.items = draftItems(this.chosen(), { fallbackBrand: this.fallback.value, words, brandNames: this.brandNames });
    const bad = this.items.filter((r) => r.problems.length).length;
    const tooMany = this.items.length > MAX_ITEMS;
    const summary = tooMany
      ? `A batch holds at most ${MAX_ITEMS} drafts; ${this.items.length} briefs are chosen.`
      : bad ? `${bad} of ${this.items.length} need brand data before the batch can be queued.`
        : `${this.items.length} ${this.items.length === 1 ? 'draft' : 'drafts'} of about ${formatNumber(words)} words ready to queue.`;
    this.submitBtn = button(`Queue ${this.items.length} ${this.items.length === 1 ? 'draft' : 'drafts'}`, { variant: 'primary', attrs: { 'data-action': 'submit-batch' }, onClick: () => this.submit() });
    this.submitBtn.disabled = tooMany || bad > 0;
    this.status = h('div', { class: 'batch-status', attrs: { 'aria-live': 'polite' } });
    this.results = h('div', { class: 'db-results' });
    const back = button('Back', { variant: 'secondary', attrs: { 'data-action': 'back' }, onClick: () => this.choose() });
    this.summary = h('p', { class: tooMany || bad ? 'notice notice-error' : 'notice notice-info', text: summary });
    replaceChildren(this.body,
      this.summary,
      h('div', { class: 'batch-preview' }, h('table', { class: 'batch-table' },
        h('thead', {}, h('tr', {}, ['#', 'Brief', 'Brand data', 'Words', 'Check'].map((t) => h('th', { attrs: { scope: 'col' }, text: t })))),
        h('tbody', {}, this.items.map((r, i) => h('tr', { class: r.problems.length ? 'is-bad' : '', dataset: { row: String(i) } },
          h('td', { text: String(i + 1) }), h('td', { text: r.item.brief }), h('td', { text: r.item.brand_data || '—' }),
          h('td', { text: formatNumber(r.item.target_word_count) }),
          h('td', { class: 'batch-check', text: r.problems.length ? r.problems.join('; ') : 'OK' })))))),
      this.status,
      this.results,
      h('div', { class: 'dialog-actions' }, back, this.submitBtn));
    this.submitBtn.focus();
  }

  async submit() {
    this.submitBtn.disabled = true;
    try {
      const { batch_id: id, job_ids: ids } = await api.generateBatch('drafts', this.items.map((r) => r.item));
      const queued = `Queued ${ids.length} ${ids.length === 1 ? 'draft' : 'drafts'}`;
      announce(queued, { tone: 'success' });
      this.summary.textContent = `${queued} as one batch. Closing this leaves them running.`;
      this.app.jobSubmitted(ids);
      // Queued: the only way on is to close (the batch goes on without the dialog).
      const close = button('Close', { variant: 'secondary', attrs: { 'data-action': 'close' }, onClick: () => this.dialog.close('done') });
      this.submitBtn.replaceWith(close);
      this.body.querySelector('[data-action="back"]')?.remove();
      close.focus();
      followBatch({
        status: this.status, id, noun: 'drafts', stopped: () => this.stopped, onChange: () => this.app.refreshJobs(),
        onDone: (batch) => this.finished(batch, queued),
      });
    } catch (err) {
      const row = /^items\[(\d+)\]/.exec(err.message)?.[1];
      if (row !== undefined) this.body.querySelector(`tr[data-row="${row}"]`)?.classList.add('is-bad');
      replaceChildren(this.status, h('p', { class: 'notice notice-error', text: err.message }));
      this.submitBtn.disabled = false;
    }
  }

  /** Every draft has ended: says so, and lists what each one left. */
  async finished(batch, queued) {
    const { completed, failed, cancelled } = batch.counts;
    const missed = [failed && `${failed} failed`, cancelled && `${cancelled} cancelled`].filter(Boolean).join(' and ');
    this.summary.textContent = `${queued} as one batch. ${batch.total === 1 ? 'It has' : 'All have'} ended: ${completed} ${completed === 1 ? 'draft was' : 'drafts were'} written${missed ? `, ${missed}` : ''}.`;
    this.summary.className = missed ? 'notice notice-warning' : 'notice notice-info';
    const jobs = [];
    for (let i = 0; i < batch.job_ids.length; i += READS_AT_ONCE) {
      jobs.push(...await Promise.all(batch.job_ids.slice(i, i + READS_AT_ONCE).map((id) => api.getJob(id).catch(() => null))));
    }
    if (this.stopped) return;
    const open = (doc) => {
      this.dialog.close('done');
      this.app.openDocument(doc.collection, doc.name);
    };
    replaceChildren(this.results, h('p', { class: 'field-label', id: 'db-results-title', text: 'The batch’s drafts' }),
      h('ul', { class: 'db-result-list', attrs: { 'aria-labelledby': 'db-results-title' } },
      jobs.filter(Boolean).map((job) => h('li', { class: `is-${job.status}` },
        job.output_documents?.length
          ? job.output_documents.map((doc) => button(`Open ${doc.name}`, { icon: 'doc', variant: 'link', small: true, attrs: { 'data-action': 'open-draft' }, onClick: () => open(doc) }))
          : h('span', { text: `${jobTitle(job)}: ${job.status}${job.error ? ` (${job.error})` : ''}` })))));
  }
}
