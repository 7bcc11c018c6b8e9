// Editing a document: brand data in a code editor (jsoneditor.js: CodeMirror, line numbers,
// highlighting, errors marked where they are) that opens the JSON exactly as stored, reformats
// it only when asked (Format changes whitespace alone, jsonformat.js) and refuses invalid JSON
// before saving; briefs and drafts in a plain textarea (the browser's own spelling
// check and text handling suit prose) whose live preview the API renders (`POST /api/render`)
// exactly as it renders the saved document's preview.
// Saves are conditional on the ETag the document was opened with, so a concurrent edit is
// reported (HTTP 412) with a choice to reload or overwrite instead of being silently lost. A
// save with nothing changed writes nothing (no new version).

import * as api from './api.js';
import { h, button, announce, debounce, replaceChildren, COLLECTIONS } from './dom.js';
import { brandDataProblem, mountJsonEditor } from './jsoneditor.js';
import { formatJson, jsonCaveats } from './jsonformat.js';
import { lineColumn } from './jsoncheck.js';
import { previewFragment } from './preview.js';

/** Quiet time after a keystroke before the live preview is rendered again. */
const PREVIEW_DEBOUNCE_MS = 300;

export class DocumentEditor {
  constructor({ collection, name, text, etag, onSaved, onCancel }) {
    this.collection = collection;
    this.name = name;
    this.meta = COLLECTIONS[collection];
    this.original = text;
    this.etag = etag;
    this.onSaved = onSaved;
    this.onCancel = onCancel;
    this.saving = false;
    this.element = this.build(this.original);
  }

  get dirty() {
    return this.text() !== this.original;
  }

  /** The text being edited. */
  text() {
    if (this.meta.format !== 'json') return this.textarea.value;
    return this.code ? this.code.text() : this.original;
  }

  setText(text) {
    if (this.meta.format === 'json') this.code?.setText(text);
    else this.textarea.value = text;
  }

  async focus() {
    if (this.meta.format === 'json') {
      await this.ready;
      this.code?.focus();
      return;
    }
    this.textarea.focus();
    this.textarea.setSelectionRange(0, 0);
    this.textarea.scrollTop = 0;
  }

  build(text) {
    const isJson = this.meta.format === 'json';
    const id = `editor-${this.collection}`;
    this.textarea = !isJson && h('textarea', {
      id, class: ['code-input', isJson ? 'json-input' : 'md-input'], value: text, spellcheck: !isJson,
      attrs: { 'aria-describedby': `${id}-status`, autocapitalize: 'off', autocomplete: 'off' },
      on: {
        input: () => this.changed(),
        keydown: (e) => {
          if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') { e.preventDefault(); this.save(); }
        },
      },
    });
    this.status = h('p', { id: `${id}-status`, class: 'editor-status', attrs: { 'aria-live': 'polite' } });
    this.errorBox = h('div', { class: 'editor-error', attrs: { role: 'alert' } });
    this.formatNote = h('div', { class: 'editor-note', attrs: { role: 'status' } });
    this.conflictBox = h('div', { class: 'editor-conflict' });
    this.saveBtn = button('Save', { variant: 'primary', small: true, onClick: () => this.save(), title: 'Save (Ctrl+S)', attrs: { 'data-action': 'save' } });
    const actions = h('div', { class: 'viewer-actions' },
      isJson && button('Format', { variant: 'ghost', small: true, onClick: () => this.format(), attrs: { 'data-action': 'format' } }),
      button('Cancel', { variant: 'secondary', small: true, onClick: () => this.cancel(), attrs: { 'data-action': 'cancel' } }),
      this.saveBtn);
    const header = h('header', { class: 'viewer-header' },
      h('div', { class: 'viewer-title-row' },
        h('div', { class: 'viewer-titles' },
          h('h2', { class: 'viewer-title', text: `Editing ${this.name}` }),
          h('p', { class: 'viewer-meta' }, isJson ? 'Brand data must be a valid JSON object.' : 'Markdown with a live preview.',
            // A keyboard's shortcut: phones and tablets have none to press.
            h('span', { class: 'keyboard-hint', text: 'Ctrl+S saves.' }))),
        actions));
    let body;
    if (isJson) {
      // The message stays above the editor, where it is seen whatever the editor scrolls to.
      this.status.setAttribute('role', 'status');
      const host = h('div', { class: 'code-editor', id, attrs: { 'data-testid': 'json-editor' } },
        h('p', { class: 'muted loading', text: 'Loading the editor…' }));
      body = h('div', { class: 'editor-body' },
        h('p', { class: 'field-label', attrs: { 'aria-hidden': 'true' }, text: 'Brand data (JSON)' }),
        this.status, host);
      this.ready = mountJsonEditor(host, {
        text, label: 'Brand data (JSON)', onChange: () => this.changed(), onSave: () => this.save(),
      }).then((code) => { this.code = code; }, (err) => {
        host.replaceChildren(h('div', { class: 'notice notice-error', attrs: { role: 'alert' } },
          h('p', { text: `The editor could not be loaded (${err.message}). Reload the page to try again.` })));
      });
    } else {
      this.preview = h('div', { class: 'prose md-live', attrs: { 'aria-label': 'Live preview', role: 'region' } });
      this.previewAsked = 0;
      this.previewShown = 0;
      this.renderPreview = debounce(() => this.updatePreview(), PREVIEW_DEBOUNCE_MS);
      body = h('div', { class: 'editor-body md-split' },
        h('div', { class: 'md-pane' }, h('label', { class: 'field-label', htmlFor: id, text: 'Markdown' }), this.textarea),
        h('div', { class: 'md-pane' }, h('p', { class: 'field-label', attrs: { 'aria-hidden': 'true' }, text: 'Live preview' }), this.preview),
        this.status);
    }
    const root = h('div', { class: 'editor', attrs: { 'data-format': this.meta.format } }, header, this.conflictBox, this.errorBox, this.formatNote, body);
    if (isJson) this.validate(); else this.updatePreview();
    return root;
  }

  changed() {
    this.errorBox.replaceChildren();
    this.formatNote.replaceChildren();
    if (this.meta.format === 'json') this.validate();
    else {
      this.showDirty();
      this.renderPreview();
    }
    this.status.classList.toggle('is-dirty', this.dirty);
  }

  showDirty() {
    this.status.textContent = this.dirty ? 'Unsaved changes' : 'No changes';
  }

  /** Asks the API to render the text as it is now; an answer older than one shown is dropped. */
  async updatePreview() {
    this.showDirty();
    const asked = ++this.previewAsked;
    this.preview.setAttribute('aria-busy', 'true');
    let content;
    try {
      content = previewFragment(await api.renderMarkdown(this.text()));
    } catch (err) {
      content = h('p', { class: 'notice notice-error', text: `Preview unavailable: ${err.message}` });
    }
    // Answers counted, shown or not, so a test can tell a late one has come and gone.
    this.preview.dataset.answers = String(Number(this.preview.dataset.answers ?? 0) + 1);
    if (asked < this.previewShown) return;
    this.previewShown = asked;
    this.preview.replaceChildren(content);
    if (asked === this.previewAsked) this.preview.setAttribute('aria-busy', 'false');
  }

  /** Checks the JSON; says above the editor what is wrong and where. Returns the problem, or
   * null when the text is a JSON object. */
  validate() {
    const problem = brandDataProblem(this.text());
    const result = problem?.result;
    this.status.classList.toggle('is-invalid', Boolean(problem));
    if (problem && !result.ok) {
      this.status.textContent = `Invalid JSON at line ${result.line}, column ${result.column}: ${result.message}`;
    } else if (problem) {
      this.status.textContent = problem.message;
    } else {
      this.status.textContent = this.dirty ? 'Valid JSON · unsaved changes' : 'Valid JSON · no changes';
    }
    return problem;
  }

  /** Re-indents the JSON, changing only whitespace, and says what other programs may read
   * differently from how it is written (kept as it is). */
  format() {
    const problem = this.validate();
    if (problem && !problem.result.ok) { this.showJsonError(problem, 'Not formatted'); return; }
    const text = this.text();
    const formatted = formatJson(text);
    if (formatted !== text) this.setText(formatted);
    const caveats = jsonCaveats(formatted);
    const said = formatted === text ? 'Already formatted.' : 'Formatted: only spaces and line breaks changed.';
    if (!caveats.length) {
      replaceChildren(this.formatNote, h('p', { class: 'notice notice-info', text: `${said} Every value is kept as written.` }));
      return;
    }
    const where = (c) => `line ${lineColumn(formatted, c.at).line}`;
    const shown = caveats.slice(0, 5).map((c) => h('li', {
      text: c.kind === 'duplicate-key'
        ? `The key ${c.text} appears more than once in one object (${where(c)}): most programs keep only one of them.`
        : `${c.text} (${where(c)}) is read by most programs as ${String(Number(c.text))}.`,
    }));
    if (caveats.length > shown.length) shown.push(h('li', { text: `and ${caveats.length - shown.length} more.` }));
    replaceChildren(this.formatNote, h('div', { class: 'notice notice-warning' },
      h('p', { class: 'notice-title', text: `${said} Every value is kept exactly as written, including these:` }),
      h('ul', { class: 'editor-caveats' }, shown)));
  }

  /** Says in the status line, above the editor, why the JSON was refused, and selects where. */
  showJsonError(problem, refused = 'Not saved') {
    const { line, column, message } = problem.result;
    this.status.textContent = `${refused}: invalid JSON at line ${line}, column ${column}: ${message}`;
    this.code?.select(problem.from, problem.to);
  }

  showError(message) {
    replaceChildren(this.errorBox, h('div', { class: 'notice notice-error' }, h('p', { text: message })));
  }

  async save({ overwrite = false } = {}) {
    if (this.saving) return;
    const text = this.text();
    if (this.meta.format === 'json') {
      const problem = this.validate();
      if (problem && !problem.result.ok) { this.showJsonError(problem); return; }
      if (problem) {
        this.status.textContent = 'Not saved: brand data must be a JSON object ({ … }), not a list or a single value.';
        this.code?.select(0);
        return;
      }
    }
    if (!text.trim()) { this.showError('Not saved: the document is empty.'); return; }
    if (!overwrite && !this.dirty) {
      announce(`No changes to save: ${this.name} is as it was`);
      this.cancel();
      return;
    }
    this.setSaving(true);
    try {
      let etag = this.etag;
      if (overwrite) etag = await this.currentEtag();
      const saved = await api.putDocument(this.collection, this.name, text, { etag, mime: this.meta.mime });
      this.original = text;
      announce(`Saved ${this.name}`, { tone: 'success' });
      this.onSaved(saved);
    } catch (err) {
      if (err.status === 412) this.showConflict();
      else this.showError(`Not saved: ${err.message}`);
    } finally {
      this.setSaving(false);
    }
  }

  /** The document's ETag now, or null if it has been deleted meanwhile (the save re-creates it). */
  async currentEtag() {
    try {
      return (await api.getDocument(this.collection, this.name)).etag;
    } catch (err) {
      if (err.status === 404) return null;
      throw err;
    }
  }

  setSaving(on) {
    this.saving = on;
    this.saveBtn.disabled = on;
    this.saveBtn.querySelector('span').textContent = on ? 'Saving…' : 'Save';
  }

  showConflict() {
    const reload = button('Reload their version', { variant: 'secondary', small: true, attrs: { 'data-action': 'conflict-reload' } });
    const overwrite = button('Overwrite with mine', { variant: 'danger', small: true, attrs: { 'data-action': 'conflict-overwrite' } });
    const keep = button('Keep editing', { variant: 'ghost', small: true, onClick: () => this.conflictBox.replaceChildren() });
    reload.addEventListener('click', () => this.reloadTheirs());
    overwrite.addEventListener('click', () => { this.conflictBox.replaceChildren(); this.save({ overwrite: true }); });
    replaceChildren(this.conflictBox, h('div', { class: 'notice notice-warning', attrs: { role: 'alert' } },
      h('p', { class: 'notice-title', text: 'Someone else changed this document' }),
      h('p', { text: `${this.name} was saved by someone else after you opened it, so your changes were not saved. Reload their version (your edits will be lost), or overwrite it with yours.` }),
      h('div', { class: 'notice-actions' }, reload, overwrite, keep)));
    reload.focus();
  }

  async reloadTheirs() {
    try {
      const doc = await api.getDocument(this.collection, this.name);
      this.original = doc.text;
      this.etag = doc.etag;
      this.setText(this.original);
      this.conflictBox.replaceChildren();
      this.changed();
      announce(`Reloaded the latest version of ${this.name}`);
      this.focus();
    } catch (err) {
      this.showError(`Could not reload: ${err.message}`);
    }
  }

  cancel() {
    this.onCancel();
  }
}
