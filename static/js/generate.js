// The three "generate" forms, each in a dialog: brand data from a brand name and its URLs, a brief
// from a title and keywords plus brand data, a draft from a brief plus brand data and a target
// length. Each validates before submitting and shows the API's error message if it refuses.

import * as api from './api.js';
import { h, button, icon, announce, replaceChildren } from './dom.js';
import { dialogShell, openDialog } from './dialogs.js';
import { field } from './forms.js';

const WORDS_MIN = 100;
const WORDS_MAX = 20000;
const WORDS_DEFAULT = 2000;

const FORMS = {
  'brand-data': { title: 'Generate brand data', description: 'Claude researches the brand from its websites and writes a brand data file.', submit: 'Start research' },
  briefs: { title: 'Generate a brief', description: 'Claude researches the topic and writes a content brief in the brand’s voice.', submit: 'Generate brief' },
  drafts: { title: 'Generate a draft', description: 'Claude writes a full article that follows the brief.', submit: 'Generate draft' },
};

let uid = 0;

function isHttpUrl(value) {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && Boolean(url.hostname) && url.hostname.includes('.');
  } catch {
    return false;
  }
}

export class GenerateDialog {
  constructor(app) {
    this.app = app;
  }

  /** Opens the form for `collection`, with optional prefilled values (e.g. `{brand_data}`). */
  async open(collection, prefill = {}) {
    const spec = FORMS[collection];
    this.collection = collection;
    this.formError = h('div', { class: 'form-error', attrs: { role: 'alert' } });
    this.submitBtn = button(spec.submit, { icon: 'spark', variant: 'primary', type: 'submit', attrs: { 'data-action': 'submit' } });
    const cancel = button('Cancel', { variant: 'secondary' });
    this.form = h('form', { class: 'gen-form', noValidate: true, attrs: { 'data-form': collection } });
    const fields = h('div', { class: 'gen-fields' });
    this.form.append(this.formError, fields, h('div', { class: 'dialog-actions' }, cancel, this.submitBtn));
    this.dialog = dialogShell({ title: spec.title, description: spec.description, className: 'dialog-form', body: h('div', { class: 'dialog-body' }, this.form) });
    cancel.addEventListener('click', () => this.dialog.close('cancel'));
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });

    if (collection === 'brand-data') this.buildBrandData(fields, prefill);
    else if (collection === 'briefs') this.buildBrief(fields, prefill);
    else this.buildDraft(fields, prefill);

    const closed = openDialog(this.dialog, { initialFocus: this.form.querySelector('input, select') });
    await closed;
    this.dialog.remove();
  }

  // ---- brand data ----

  buildBrandData(parent, prefill) {
    this.brandName = field('Brand name', h('input', { class: 'input', type: 'text', maxLength: 200, autocomplete: 'off', value: prefill.brand_name ?? '' }), { required: true });
    this.urlRows = h('div', { class: 'url-rows' });
    this.urlError = h('p', { class: 'field-error', id: `urls-error-${++uid}` });
    const add = button('Add another URL', { icon: 'plus', variant: 'ghost', small: true, onClick: () => this.addUrlRow('', true), attrs: { 'data-action': 'add-url' } });
    parent.append(this.brandName,
      h('fieldset', { class: 'field fieldset' },
        h('legend', { class: 'field-label' }, 'Websites to research', h('span', { class: 'req', attrs: { 'aria-hidden': 'true' }, text: ' *' })),
        h('p', { class: 'field-hint', text: 'The brand’s site, plus any profiles or articles that show how it writes.' }),
        this.urlRows, this.urlError, add));
    for (const url of prefill.urls?.length ? prefill.urls : ['']) this.addUrlRow(url);
  }

  addUrlRow(value, focus = false) {
    const n = this.urlRows.children.length + 1;
    const input = h('input', { class: 'input', type: 'url', inputMode: 'url', placeholder: 'https://example.com', value, autocomplete: 'off', attrs: { 'aria-label': `Website URL ${n}`, 'aria-describedby': this.urlError.id } });
    const remove = button(`Remove URL ${n}`, { icon: 'close', variant: 'ghost', iconOnly: true, small: true, attrs: { 'data-action': 'remove-url' } });
    input.addEventListener('input', () => {
      input.removeAttribute('aria-invalid');
      if (!this.urlRows.querySelector('[aria-invalid="true"]')) this.urlError.textContent = '';
    });
    const row = h('div', { class: 'url-row' }, input, remove);
    remove.addEventListener('click', () => {
      const rows = [...this.urlRows.children];
      const i = rows.indexOf(row);
      if (rows.length === 1) { input.value = ''; input.focus(); return; }
      row.remove();
      this.renumberUrls();
      const next = this.urlRows.children[Math.min(i, this.urlRows.children.length - 1)];
      next?.querySelector('input').focus();
    });
    this.urlRows.append(row);
    this.renumberUrls();
    if (focus) input.focus();
  }

  renumberUrls() {
    [...this.urlRows.children].forEach((row, i) => {
      row.querySelector('input').setAttribute('aria-label', `Website URL ${i + 1}`);
      row.querySelector('button').setAttribute('aria-label', `Remove URL ${i + 1}`);
    });
  }

  validateBrandData() {
    const name = this.brandName.control.value.trim();
    this.brandName.setError(name ? null : 'Enter the brand’s name.');
    const inputs = [...this.urlRows.querySelectorAll('input')];
    const urls = [];
    let bad = null;
    for (const input of inputs) {
      const v = input.value.trim();
      input.removeAttribute('aria-invalid');
      if (!v) continue;
      if (!isHttpUrl(v)) { input.setAttribute('aria-invalid', 'true'); bad ??= input; continue; }
      urls.push(v);
    }
    if (bad) this.urlError.textContent = `“${bad.value.trim()}” is not a web address. Use a full URL such as https://example.com.`;
    else if (!urls.length) { this.urlError.textContent = 'Add at least one website URL.'; bad = inputs[0]; bad.setAttribute('aria-invalid', 'true'); }
    else this.urlError.textContent = '';
    const invalid = !name ? this.brandName.control : bad;
    return invalid ? { invalid } : { params: { brand_name: name, urls } };
  }

  // ---- brief ----

  buildBrief(parent, prefill) {
    this.title = field('Article title', h('input', { class: 'input', type: 'text', maxLength: 300, autocomplete: 'off', value: prefill.title ?? '' }), { required: true });
    this.primary = field('Primary keyword', h('input', { class: 'input', type: 'text', maxLength: 200, autocomplete: 'off' }), { required: true, hint: 'The search phrase the article should rank for.' });
    this.chips = new ChipsInput('Secondary keywords');
    this.brandPicker = field('Brand data', h('select', { class: 'input' }), { required: true });
    // A pipeline: once the brief exists, the server queues its draft with the same brand data.
    this.thenDraft = h('input', { type: 'checkbox', id: `then-draft-${Date.now()}` });
    this.thenWords = field('Draft word count', h('input', { class: 'input input-narrow', type: 'number', min: WORDS_MIN, max: WORDS_MAX, step: 50, value: String(WORDS_DEFAULT), inputMode: 'numeric', disabled: true }),
      { hint: `Between ${WORDS_MIN.toLocaleString('en-US')} and ${WORDS_MAX.toLocaleString('en-US')} words.` });
    this.thenDraft.addEventListener('change', () => { this.thenWords.control.disabled = !this.thenDraft.checked; });
    const then = h('div', { class: 'field field-check' },
      h('label', { class: 'check-label', htmlFor: this.thenDraft.id }, this.thenDraft, ' Then write a draft from it'));
    parent.append(this.title, this.primary, this.chips.element, this.brandPicker, then, this.thenWords);
    this.fillPicker(this.brandPicker, 'brand-data', prefill.brand_data);
  }

  validateBrief() {
    const title = this.title.control.value.trim();
    const primary = this.primary.control.value.trim();
    const brand = this.brandPicker.control.value;
    this.title.setError(title ? null : 'Enter a title.');
    this.primary.setError(primary ? null : 'Enter the primary keyword.');
    this.brandPicker.setError(brand ? null : 'Choose the brand data to write for.');
    const raw = this.thenWords.control.value.trim();
    const words = Number(raw);
    const wordsOk = !this.thenDraft.checked || (/^\d+$/.test(raw) && words >= WORDS_MIN && words <= WORDS_MAX);
    this.thenWords.setError(wordsOk ? null : `Enter a whole number from ${WORDS_MIN} to ${WORDS_MAX.toLocaleString('en-US')}.`);
    const invalid = (!title && this.title.control) || (!primary && this.primary.control) || (!brand && this.brandPicker.control)
      || (!wordsOk && this.thenWords.control);
    if (invalid) return { invalid };
    const params = { title, primary_keyword: primary, secondary_keywords: this.chips.values(), brand_data: brand };
    if (this.thenDraft.checked) params.then_draft = { target_word_count: words };
    return { params };
  }

  // ---- draft ----

  buildDraft(parent, prefill) {
    this.briefPicker = field('Brief', h('select', { class: 'input' }), { required: true });
    this.brandPicker = field('Brand data', h('select', { class: 'input' }), { required: true });
    this.words = field('Target word count', h('input', { class: 'input input-narrow', type: 'number', min: WORDS_MIN, max: WORDS_MAX, step: 50, value: String(prefill.target_word_count ?? WORDS_DEFAULT), inputMode: 'numeric' }),
      { required: true, hint: `Between ${WORDS_MIN.toLocaleString('en-US')} and ${WORDS_MAX.toLocaleString('en-US')} words.` });
    parent.append(this.briefPicker, this.brandPicker, this.words);
    this.fillPicker(this.briefPicker, 'briefs', prefill.brief);
    this.fillPicker(this.brandPicker, 'brand-data', prefill.brand_data);
  }

  validateDraft() {
    const brief = this.briefPicker.control.value;
    const brand = this.brandPicker.control.value;
    const raw = this.words.control.value.trim();
    const words = Number(raw);
    const wordsOk = /^\d+$/.test(raw) && words >= WORDS_MIN && words <= WORDS_MAX;
    this.briefPicker.setError(brief ? null : 'Choose the brief to write from.');
    this.brandPicker.setError(brand ? null : 'Choose the brand data to write for.');
    this.words.setError(wordsOk ? null : `Enter a whole number from ${WORDS_MIN} to ${WORDS_MAX.toLocaleString('en-US')}.`);
    const invalid = (!brief && this.briefPicker.control) || (!brand && this.brandPicker.control) || (!wordsOk && this.words.control);
    return invalid ? { invalid } : { params: { brief, brand_data: brand, target_word_count: words } };
  }

  // ---- shared ----

  /** Fills a <select> from a collection's listing; `selected` is preselected if present. */
  async fillPicker(wrap, collection, selected) {
    const select = wrap.control;
    replaceChildren(select, h('option', { value: '', text: 'Loading…' }));
    select.disabled = true;
    try {
      const items = await api.listAllDocuments(collection);
      const noun = collection === 'briefs' ? 'brief' : 'brand data file';
      replaceChildren(select,
        h('option', { value: '', text: items.length ? `Choose a ${noun}…` : `No ${noun}s yet` }),
        items.map((i) => h('option', { value: i.name, text: i.title && i.title !== i.name ? `${i.title} (${i.name})` : i.name })));
      select.disabled = false;
      const preferred = selected ?? this.app.lastSelected(collection);
      if (preferred && items.some((i) => i.name === preferred)) select.value = preferred;
      else if (items.length === 1) select.value = items[0].name;
      if (!items.length) wrap.setError(collection === 'briefs' ? 'Upload or generate a brief first.' : 'Upload or generate brand data first.');
    } catch (err) {
      replaceChildren(select, h('option', { value: '', text: 'Could not load' }));
      wrap.setError(`Could not load the list: ${err.message}`);
    }
  }

  async submit() {
    this.formError.replaceChildren();
    const check = { 'brand-data': () => this.validateBrandData(), briefs: () => this.validateBrief(), drafts: () => this.validateDraft() }[this.collection]();
    if (check.invalid) {
      check.invalid.focus();
      return;
    }
    this.submitBtn.disabled = true;
    try {
      const res = await api.generate(this.collection, check.params);
      this.dialog.close('submitted');
      const kind = FORMS[this.collection].title.replace(/^Generate (a )?/, '').replace(/^./, (c) => c.toUpperCase());
      const what = check.params.title ?? check.params.brand_name ?? check.params.brief;
      announce(`${kind} job queued: “${what}”`, { tone: 'success' });
      this.app.jobSubmitted(res.job_id);
    } catch (err) {
      replaceChildren(this.formError, h('div', { class: 'notice notice-error' }, icon('close'), h('p', { text: err.message })));
      this.formError.querySelector('.notice').focus?.();
    } finally {
      this.submitBtn.disabled = false;
    }
  }
}

/** Keywords as removable chips: Enter or a comma adds one; pasted comma lists are split. */
class ChipsInput {
  constructor(label) {
    const id = `chips-${++uid}`;
    this.items = [];
    this.list = h('ul', { class: 'chips', attrs: { role: 'list', 'aria-label': 'Keywords added' } });
    this.input = h('input', {
      class: 'chips-input', id, type: 'text', autocomplete: 'off', placeholder: 'Type a keyword, then Enter or comma',
      attrs: { 'aria-describedby': `${id}-hint` },
      on: {
        keydown: (e) => this.keydown(e),
        input: () => { if (this.input.value.includes(',')) this.addFrom(this.input.value); },
        // Only when something is typed: re-rendering the chips on every blur would swallow a
        // click on a chip's remove button.
        blur: () => { if (this.input.value.trim()) this.addFrom(this.input.value); },
      },
    });
    this.element = h('div', { class: 'field' },
      h('label', { class: 'field-label', htmlFor: id, text: label }),
      h('div', { class: 'chips-box' }, this.list, this.input),
      h('p', { class: 'field-hint', id: `${id}-hint`, text: 'Optional. Separate with commas or press Enter after each.' }));
  }

  keydown(e) {
    if (e.key === 'Enter') {
      e.preventDefault();
      this.addFrom(this.input.value);
    } else if (e.key === 'Backspace' && !this.input.value && this.items.length) {
      this.remove(this.items.length - 1);
    }
  }

  addFrom(text) {
    const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
    for (const p of parts) if (!this.items.some((i) => i.toLowerCase() === p.toLowerCase())) this.items.push(p);
    this.input.value = '';
    this.render();
  }

  remove(index) {
    this.items.splice(index, 1);
    this.render();
    this.input.focus();
  }

  render() {
    replaceChildren(this.list, this.items.map((item) => h('li', { class: 'chip' },
      h('span', { text: item }),
      button(`Remove ${item}`, { icon: 'close', variant: 'ghost', iconOnly: true, small: true, onClick: () => this.remove(this.items.indexOf(item)) }))));
  }

  values() {
    this.addFrom(this.input.value);
    return [...this.items];
  }
}
