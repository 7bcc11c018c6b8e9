// The detail pane of a collection: a document's header (who created and last changed it) and
// actions (edit, download, delete, generate from it; only download for viewers), brand data as a
// tree, Markdown as the API's sanitized preview under its quality checklist (with "Fix with AI"
// for editors).

import { openHistory } from './history.js';
import { askRevision } from './review.js';
import { qualityPanel, fixInstructions } from './quality.js';
import * as api from './api.js';
import { h, button, icon, announce, formatBytes, formatNumber, timeEl, replaceChildren, COLLECTIONS } from './dom.js';
import { confirmDialog } from './dialogs.js';
import { jsonTree, setTreeOpen } from './jsontree.js';
import { DocumentEditor } from './editor.js';
import { previewFragment } from './preview.js';

export class DocumentViewer {
  constructor(container, collection, app, { onChanged, onDeleted, onClose }) {
    this.container = container;
    this.collection = collection;
    this.app = app;
    this.meta = COLLECTIONS[collection];
    this.callbacks = { onChanged, onDeleted, onClose };
    this.name = null;
    this.editor = null;
    this.token = 0;
    this.showPlaceholder();
  }

  setEditing(on) {
    this.container.closest('.tab-panel')?.classList.toggle('is-editing', on);
  }

  showPlaceholder() {
    this.name = null;
    this.editor = null;
    this.setEditing(false);
    replaceChildren(this.container, h('div', { class: 'placeholder' },
      icon('doc'),
      h('p', { class: 'placeholder-title', text: `Select a ${this.meta.singular} to read it` }),
      h('p', { class: 'muted', text: 'Pick one from the list, upload files, or generate a new one.' })));
  }

  /** True if it is fine to replace what is shown (asks first when an edit is unsaved). */
  async confirmLeave() {
    if (!this.editor || !this.editor.dirty) return true;
    const ok = await confirmDialog({
      title: 'Discard unsaved changes?',
      message: `Your changes to ${this.name} have not been saved.`,
      confirmLabel: 'Discard changes',
      danger: true,
    });
    if (ok) this.editor = null;
    return ok;
  }

  get hasUnsavedChanges() {
    return Boolean(this.editor?.dirty);
  }

  async show(name, item) {
    const token = ++this.token;
    this.name = name;
    this.editor = null;
    this.setEditing(false);
    this.item = item ?? null;
    this.quality = null;
    replaceChildren(this.container, this.header(name), h('div', { class: 'viewer-body' }, h('p', { class: 'muted loading', text: 'Loading…' })));
    try {
      const markdown = this.meta.format === 'markdown';
      // The checklist loads beside the text; a failure there leaves the text readable.
      const quality = markdown ? api.getQuality(this.collection, name).catch((err) => ({ error: err })) : null;
      const doc = await api.getDocument(this.collection, name);
      const preview = markdown ? await api.getPreview(this.collection, name) : null;
      this.quality = await quality;
      // Opened by a link before its listing page was loaded: its history says when and by whom.
      const known = this.item ?? await this.itemFromHistory(name, doc.text);
      if (token !== this.token) return;
      this.doc = doc;
      this.item = known;
      this.render(preview);
    } catch (err) {
      if (token !== this.token) return;
      const gone = err.status === 404;
      replaceChildren(this.container, this.header(name, { actions: false }), h('div', { class: 'viewer-body' },
        h('div', { class: 'notice notice-error', attrs: { role: 'alert' } },
          h('p', { text: gone ? `${name} no longer exists. It may have been deleted.` : `Could not open ${name}: ${err.message}` }),
          !gone && button('Try again', { variant: 'secondary', small: true, onClick: () => this.show(name, item) }))));
      if (gone) this.callbacks.onChanged();
    }
  }

  /** A listing item for a document known only by name: title from its text, dates and
   * authors from its versions (null if those cannot be read). */
  async itemFromHistory(name, text) {
    try {
      const { items } = await api.listVersions(this.collection, name);
      if (!items.length) return null;
      const [latest, first] = [items[0], items.at(-1)];
      let title = null;
      if (this.meta.format === 'markdown') title = /^#[ \t]+(.+?)[ \t#]*$/m.exec(text)?.[1] ?? null;
      else {
        try {
          const v = JSON.parse(text)?.brandInfo?.companyName;
          title = typeof v === 'string' ? v : (typeof v?.value === 'string' ? v.value : null);
        } catch { /* the name stands in */ }
      }
      return { name, size: latest.size, title: title ?? name, updated_at: latest.created_at, updated_by: latest.created_by, created_by: first.created_by, sources: null };
    } catch {
      return null;
    }
  }

  header(name, { actions = true } = {}) {
    const item = this.item;
    const text = this.doc && this.name === name ? this.doc.text : null;
    const size = item?.size ?? (text !== null ? new Blob([text]).size : null);
    const words = item?.word_count ?? (text !== null && this.meta.format === 'markdown' ? text.split(/\s+/).filter(Boolean).length : null);
    const metaParts = [
      size !== null && h('span', { text: formatBytes(size) }),
      words !== null && this.meta.format === 'markdown' && h('span', { text: `${formatNumber(words)} words` }),
      item?.updated_at && h('span', { class: 'viewer-updated' }, 'Updated ', timeEl(item.updated_at), item.updated_by ? ` by ${item.updated_by}` : ''),
      item?.created_by && item.created_by !== item.updated_by && h('span', { class: 'viewer-created' }, `Created by ${item.created_by}`),
    ].filter(Boolean);
    const sources = this.sourcesLine(item?.sources);
    const back = button('Back to list', { icon: 'back', variant: 'ghost', small: true, onClick: () => this.close() });
    back.classList.add('back-to-list');
    return h('header', { class: 'viewer-header' },
      back,
      h('div', { class: 'viewer-title-row' },
        h('div', { class: 'viewer-titles' },
          h('h2', { class: 'viewer-title', text: item?.title || name }),
          h('p', { class: 'viewer-name', text: name }),
          h('p', { class: 'viewer-meta' }, metaParts.flatMap((p, i) => (i ? [h('span', { class: 'dot', attrs: { 'aria-hidden': 'true' }, text: '·' }), p] : [p]))),
          sources),
        actions && this.actions(name)));
  }

  /** "Made from brief X with brand data Y, aiming at N words": what a job made it from. */
  sourcesLine(src) {
    if (!src) return null;
    const link = (collection, name) => h('a', { href: `#${collection}/${encodeURIComponent(name)}`, text: name });
    const parts = [];
    if (src.brief) parts.push('brief ', link('briefs', src.brief));
    if (src.brand_data) parts.push(parts.length ? ' with brand data ' : 'brand data ', link('brand-data', src.brand_data));
    if (src.target_word_count) parts.push(`, aiming at ${formatNumber(src.target_word_count)} words`);
    if (src.primary_keyword) {
      const keywords = [src.primary_keyword, ...(src.secondary_keywords ?? [])].join(', ');
      parts.push(`${parts.length ? ', ' : ''}keywords: ${keywords}`);
    }
    if (!parts.length) return null;
    return h('p', { class: 'viewer-sources', attrs: { 'data-job': src.job_id } }, 'Made from ', ...parts);
  }

  actions(name) {
    const download = h('a', {
      class: 'btn btn-secondary btn-sm', href: api.documentUrl(this.collection, name), download: name,
      attrs: { 'data-action': 'download' },
    }, icon('download'), h('span', { text: 'Download' }));
    // A draft from a brief starts with the brand data the brief was written for.
    const brand = this.item?.sources?.brand_data;
    const next = {
      'brand-data': ['Generate brief', 'briefs', { brand_data: name }],
      briefs: ['Generate draft', 'drafts', brand ? { brief: name, brand_data: brand } : { brief: name }],
    }[this.collection];
    const history = button('History', { icon: 'logs', variant: 'ghost', small: true, attrs: { 'data-action': 'history' },
      onClick: () => openHistory(this.app, this.collection, name, { onRestored: () => { this.show(name); this.callbacks.onChanged(); } }) });
    if (!this.app.canWrite) return h('div', { class: 'viewer-actions' }, download, history);
    const revise = this.meta.format === 'markdown' && button('Revise with AI', { icon: 'spark', variant: 'secondary', small: true, attrs: { 'data-action': 'revise' },
      onClick: () => askRevision(this.app, this.collection, name, this.doc?.etag) });
    return h('div', { class: 'viewer-actions' },
      revise,
      history,
      next && button(next[0], { icon: 'spark', variant: 'secondary', small: true, onClick: () => this.app.openGenerate(next[1], next[2]), attrs: { 'data-action': 'generate-next' } }),
      button('Edit', { icon: 'edit', variant: 'secondary', small: true, onClick: () => this.edit(), attrs: { 'data-action': 'edit' } }),
      download,
      button('Delete', { icon: 'trash', variant: 'danger-ghost', small: true, onClick: () => this.remove(), attrs: { 'data-action': 'delete' } }));
  }

  render(previewHtml) {
    const body = h('div', { class: 'viewer-body' });
    if (this.meta.format === 'json') {
      let value;
      try {
        value = JSON.parse(this.doc.text);
      } catch {
        body.append(h('pre', { class: 'raw-json', text: this.doc.text }));
      }
      if (value !== undefined) body.append(this.brandDataView(value));
    } else {
      body.append(this.qualityView(), h('article', { class: 'md-preview prose' }, previewFragment(previewHtml)));
    }
    replaceChildren(this.container, this.header(this.name), body);
  }

  /** The checklist of the shown version, or why it could not be loaded. */
  qualityView() {
    const report = this.quality;
    if (!report) return null;
    if (report.error) {
      return h('p', { class: 'notice notice-info quality-unavailable', text: `Quality checks are unavailable: ${report.error.message}` });
    }
    const kind = this.collection === 'briefs' ? 'brief' : 'draft';
    const onFix = this.app.canWrite ? (r) => askRevision(this.app, this.collection, this.name, this.doc?.etag, {
      instructions: fixInstructions(r, kind),
      title: `Fix ${this.name} with AI`,
    }) : null;
    return qualityPanel(report, { onFix });
  }

  brandDataView(value) {
    const tree = jsonTree(value);
    const raw = h('pre', { class: 'raw-json', hidden: true, text: JSON.stringify(value, null, 2) });
    const toggle = button('Show raw JSON', { variant: 'ghost', small: true, attrs: { 'aria-pressed': 'false', 'data-action': 'toggle-raw' } });
    toggle.addEventListener('click', () => {
      const showRaw = raw.hidden;
      raw.hidden = !showRaw;
      tree.hidden = showRaw;
      toggle.setAttribute('aria-pressed', String(showRaw));
      toggle.querySelector('span').textContent = showRaw ? 'Show tree' : 'Show raw JSON';
    });
    return h('div', { class: 'brand-view' },
      h('div', { class: 'tree-toolbar' },
        button('Expand all', { variant: 'ghost', small: true, onClick: () => setTreeOpen(tree, true) }),
        button('Collapse all', { variant: 'ghost', small: true, onClick: () => setTreeOpen(tree, false) }),
        toggle),
      tree, raw);
  }

  edit() {
    if (!this.doc || !this.app.canWrite) return;
    this.editor = new DocumentEditor({
      collection: this.collection,
      name: this.name,
      text: this.doc.text,
      etag: this.doc.etag,
      onSaved: (saved) => {
        this.editor = null;
        this.item = saved.item;
        this.callbacks.onChanged();
        this.show(this.name, saved.item);
      },
      onCancel: async () => {
        if (await this.confirmLeave()) this.show(this.name, this.item);
      },
    });
    this.setEditing(true);
    replaceChildren(this.container, this.editor.element);
    this.editor.focus();
  }

  async close() {
    if (await this.confirmLeave()) this.callbacks.onClose();
  }

  async remove() {
    const name = this.name;
    const ok = await confirmDialog({
      title: `Delete ${name}?`,
      message: `The ${this.meta.singular} “${this.item?.title || name}” will be deleted permanently. Jobs that already used it are not affected.`,
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.deleteDocument(this.collection, name);
      announce(`Deleted ${name}`, { tone: 'success' });
    } catch (err) {
      if (err.status !== 404) {
        announce(`Could not delete ${name}: ${err.message}`, { tone: 'error' });
        return;
      }
    }
    this.callbacks.onDeleted(name);
  }
}
