// One tab panel per collection: the newest-first listing with "Load more", the search box (the
// server's search of the whole collection, with snippets; see search.js), uploads (button and
// drag-and-drop), and the detail pane that shows the viewer or an editor. Viewers (who may only
// read) get no upload or generate controls.

import { openTrash } from './history.js';
import { BatchDialog } from './batch.js';
import { DraftBatchDialog } from './draftbatch.js';
import * as api from './api.js';
import { h, button, icon, announce, formatBytes, formatNumber, timeEl, replaceChildren, COLLECTIONS } from './dom.js';
import { DocumentViewer } from './viewer.js';
import { qualityBadge } from './quality.js';
import { CollectionSearch, snippetElement } from './search.js';

const PAGE_SIZE = 50;

const DESCRIPTIONS = {
  'brand-data': 'What each brand is, who it serves and how it writes. Briefs and drafts build on it.',
  briefs: 'Research-backed outlines for articles: audience, strategy, outline and FAQ.',
  drafts: 'Full articles written from a brief in the brand’s voice.',
};

export class DocumentsPanel {
  /** `panel` is the tabpanel element; `app` gives access to the other parts of the page. */
  constructor(panel, collection, app) {
    this.panel = panel;
    this.collection = collection;
    this.app = app;
    this.meta = COLLECTIONS[collection];
    this.items = [];
    this.nextCursor = null;
    this.selected = null;
    this.loaded = false;
    this.loading = false;
    this.search = new CollectionSearch(collection, () => this.renderList());
    this.build();
    this.viewer = new DocumentViewer(this.detail, collection, app, {
      onChanged: () => this.reload(),
      onDeleted: (name) => this.removed(name),
      onClose: () => this.select(null),
    });
  }

  build() {
    const { label, ext } = this.meta;
    this.searchInput = h('input', {
      type: 'search', id: `search-${this.collection}`, class: 'input', placeholder: `Search ${label.toLowerCase()} for words in them`,
      attrs: { 'aria-describedby': `search-hint-${this.collection}`, autocomplete: 'off', 'aria-controls': `list-${this.collection}` },
      on: { input: () => this.search.set(this.searchInput.value) },
    });
    this.searchHint = h('p', { class: 'hint', id: `search-hint-${this.collection}`, attrs: { 'aria-live': 'polite' } });
    this.fileInput = h('input', {
      type: 'file', multiple: true, accept: ext, class: 'visually-hidden', tabIndex: -1,
      attrs: { 'aria-hidden': 'true', 'data-testid': `file-input-${this.collection}` },
      on: { change: () => { this.upload([...this.fileInput.files]); this.fileInput.value = ''; } },
    });
    this.list = h('ul', { class: 'doc-list', id: `list-${this.collection}`, attrs: { role: 'list', 'aria-label': `${label} documents` } });
    this.listStatus = h('div', { class: 'list-status' });
    this.loadMoreBtn = button('Load more', { variant: 'secondary', onClick: () => this.loadMore() });
    this.loadMoreBtn.classList.add('load-more');
    this.loadMoreBtn.hidden = true;
    this.detail = h('div', { class: 'doc-detail card', attrs: { 'aria-live': 'off' } });
    this.dropOverlay = h('div', { class: 'drop-overlay', attrs: { 'aria-hidden': 'true' } },
      h('div', { class: 'drop-overlay-inner' }, icon('upload'), h('span', { text: `Drop ${ext} files to upload to ${label}` })));

    const generateLabel = { 'brand-data': 'Generate brand data', briefs: 'Generate brief', drafts: 'Generate draft' }[this.collection];
    const write = this.app.canWrite;
    replaceChildren(this.panel,
      h('div', { class: 'panel-head' },
        h('div', { class: 'panel-heading' },
          h('h1', { class: 'panel-title', text: label }),
          h('p', { class: 'panel-sub', text: DESCRIPTIONS[this.collection] })),
        h('div', { class: 'panel-actions' },
          button('Trash', { icon: 'trash', variant: 'ghost', attrs: { 'data-action': 'trash' },
            onClick: () => openTrash(this.app, { onRestored: (collection, name) => this.app.openDocument(collection, name) }) }),
          write && button('Upload', { icon: 'upload', variant: 'secondary', onClick: () => this.fileInput.click(), attrs: { 'data-action': 'upload' } }),
          write && this.collection === 'briefs' && button('From CSV', { icon: 'upload', variant: 'secondary', attrs: { 'data-action': 'batch' },
            onClick: () => new BatchDialog(this.app).open() }),
          write && this.collection === 'drafts' && button('From several briefs', { icon: 'spark', variant: 'secondary', attrs: { 'data-action': 'draft-batch' },
            onClick: () => new DraftBatchDialog(this.app).open() }),
          write && button(generateLabel, { icon: 'spark', variant: 'primary', onClick: () => this.app.openGenerate(this.collection), attrs: { 'data-action': 'generate' } }))),
      h('div', { class: 'docs-layout' },
        h('div', { class: 'doc-list-col card' },
          h('div', { class: 'list-toolbar' },
            h('label', { class: 'visually-hidden', htmlFor: this.searchInput.id, text: `Search ${label}` }),
            h('div', { class: 'search-field' }, icon('search'), this.searchInput),
            this.searchHint),
          write && h('button', {
            type: 'button', class: 'dropzone', attrs: { 'data-testid': `dropzone-${this.collection}` },
            on: { click: () => this.fileInput.click() },
          }, icon('upload'), h('span', {}, h('strong', { text: 'Drop files here' }), ` or click to choose ${ext} files`)),
          this.listStatus,
          this.list,
          this.loadMoreBtn,
          write && this.fileInput),
        this.detail),
      write && this.dropOverlay);
    if (write) this.setupDragAndDrop();
  }

  setupDragAndDrop() {
    let depth = 0;
    const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
    this.panel.addEventListener('dragenter', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      this.panel.classList.add('is-dragging');
    });
    this.panel.addEventListener('dragover', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    });
    this.panel.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (!depth) this.panel.classList.remove('is-dragging');
    });
    this.panel.addEventListener('drop', (e) => {
      e.preventDefault();
      depth = 0;
      this.panel.classList.remove('is-dragging');
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length) this.upload(files);
    });
  }

  /** Loads the first page the first time the tab is shown. */
  activate() {
    if (!this.loaded && !this.loading) this.reload();
  }

  async reload() {
    this.loading = true;
    if (!this.loaded) this.setStatus('Loading…');
    try {
      const page = await api.listDocuments(this.collection, { limit: PAGE_SIZE });
      this.items = page.items;
      this.nextCursor = page.next_cursor;
      this.loaded = true;
      this.setStatus('');
    } catch (err) {
      this.setStatus(`Could not load ${this.meta.label.toLowerCase()}: ${err.message}`, true);
    } finally {
      this.loading = false;
    }
    this.renderList();
    this.app.setCount(this.collection, this.items.length, Boolean(this.nextCursor));
    this.search.refresh();
  }

  async loadMore() {
    if (this.search.active) return this.search.more();
    if (!this.nextCursor) return;
    this.loadMoreBtn.disabled = true;
    try {
      const page = await api.listDocuments(this.collection, { limit: PAGE_SIZE, cursor: this.nextCursor });
      const known = new Set(this.items.map((i) => i.name));
      this.items.push(...page.items.filter((i) => !known.has(i.name)));
      this.nextCursor = page.next_cursor;
      announce(`Loaded ${page.items.length} more`);
    } catch (err) {
      announce(`Could not load more: ${err.message}`, { tone: 'error' });
    } finally {
      this.loadMoreBtn.disabled = false;
    }
    this.renderList();
    this.app.setCount(this.collection, this.items.length, Boolean(this.nextCursor));
  }

  setStatus(text, isError = false) {
    replaceChildren(this.listStatus, text && h('p', { class: isError ? 'error-text' : 'muted', text }));
  }

  renderList() {
    if (this.search.active) return this.renderMatches();
    this.searchHint.textContent = '';
    this.list.replaceChildren(...this.items.map((item) => this.renderItem(item)));
    this.loadMoreBtn.hidden = !this.nextCursor;
    this.loadMoreBtn.disabled = false;
    if (this.loaded && !this.items.length) {
      this.list.append(h('li', { class: 'empty-state' },
        h('p', { class: 'empty-title', text: `No ${this.meta.label.toLowerCase()} yet` }),
        h('p', { class: 'muted', text: !this.app.canWrite
          ? 'Editors add them by uploading or generating.'
          : this.collection === 'brand-data'
            ? 'Upload a brand data .json file, or generate one from a brand’s website.'
            : `Upload ${this.meta.ext} files, or generate one from ${this.collection === 'briefs' ? 'brand data' : 'a brief'}.` })));
    }
  }

  /** The search's matches, each with its snippet, and where the search stands. */
  renderMatches() {
    const { q, items, pending, error, nextCursor } = this.search;
    const label = this.meta.label.toLowerCase();
    const count = `${items.length}${nextCursor ? '+' : ''}`;
    this.searchHint.textContent = error
      ? `Search failed: ${error}`
      : pending && !items.length
        ? `Searching all ${label}…`
        : `${count} ${items.length === 1 && !nextCursor ? 'document matches' : 'documents match'} every word of “${q}”.`;
    this.searchHint.classList.toggle('error-text', Boolean(error));
    this.list.replaceChildren(...items.map((item) => this.renderItem(item, item.snippet)));
    this.loadMoreBtn.hidden = !nextCursor;
    this.loadMoreBtn.disabled = pending;
    if (!pending && !error && !items.length) {
      this.list.append(h('li', { class: 'empty-state' },
        h('p', { class: 'empty-title', text: `No ${label} match “${q}”` }),
        h('p', { class: 'muted', text: 'Every word must be in the title, the name or the text. Try fewer words.' })));
    }
  }

  renderItem(item, snippet = null) {
    const isJson = this.meta.format === 'json';
    const size = isJson ? formatBytes(item.size) : `${formatNumber(item.word_count)} words`;
    const current = item.name === this.selected;
    return h('li', {},
      h('button', {
        type: 'button', class: ['doc-item', current && 'is-selected'],
        attrs: { 'aria-current': current ? 'true' : null, 'data-name': item.name },
        on: { click: () => this.open(item.name) },
      },
      h('span', { class: 'doc-item-title', text: item.title || item.name }),
      h('span', { class: 'doc-item-name', text: item.name }),
      h('span', { class: 'doc-item-meta' }, h('span', { text: size }), h('span', { class: 'dot', attrs: { 'aria-hidden': 'true' }, text: '·' }), timeEl(item.updated_at), qualityBadge(item.quality)),
      snippet && snippet.text && snippetElement(snippet)));
  }

  /** Opens a document in the detail pane (it need not be in the loaded page). */
  async open(name) {
    if (!(await this.viewer.confirmLeave())) return;
    this.select(name);
    const known = this.items.find((i) => i.name === name) ?? this.search.items.find((i) => i.name === name);
    const shown = this.viewer.show(name, known);
    // On narrow screens the viewer replaces the list: bring its top into view.
    if (this.list.offsetParent === null) this.detail.scrollIntoView({ block: 'start' });
    await shown;
  }

  select(name) {
    this.selected = name;
    this.panel.classList.toggle('has-selection', Boolean(name));
    for (const btn of this.list.querySelectorAll('.doc-item')) {
      const on = btn.dataset.name === name;
      btn.classList.toggle('is-selected', on);
      if (on) btn.setAttribute('aria-current', 'true'); else btn.removeAttribute('aria-current');
    }
    this.app.documentSelected(this.collection, name);
    if (!name) this.viewer.showPlaceholder();
  }

  removed(name) {
    this.items = this.items.filter((i) => i.name !== name);
    this.search.removed(name);
    this.select(null);
    this.renderList();
    this.app.setCount(this.collection, this.items.length, Boolean(this.nextCursor));
  }

  // Files of the wrong type are named and left out; the server stores the rest, under a name
  // it derives when a file's name is not a valid document name, and says what became of each.
  async upload(files) {
    const { ext, label } = this.meta;
    const types = this.collection === 'brand-data' ? ['.json'] : ['.md', '.markdown'];
    const wrong = files.filter((f) => !types.some((t) => f.name.toLowerCase().endsWith(t)));
    const right = files.filter((f) => !wrong.includes(f));
    const skipped = wrong.length ? `${label} only accepts ${ext} files: ${wrong.map((f) => f.name).join(', ')}` : '';
    if (!right.length) {
      announce(skipped, { tone: 'error', timeout: 8000 });
      return;
    }
    this.setStatus(`Uploading ${right.length} ${right.length === 1 ? 'file' : 'files'}…`);
    try {
      const { items, files: outcomes = [] } = await api.uploadDocuments(this.collection, right);
      this.setStatus('');
      const renamed = outcomes.filter((o) => o.name && o.name !== o.file).map((o) => `${o.file} as ${o.name}`);
      const refused = outcomes.filter((o) => o.error).map((o) => `${o.file}: ${o.error}`);
      const parts = [`Uploaded ${items.map((i) => i.name).join(', ')}${renamed.length ? ` (${renamed.join(', ')})` : ''}.`];
      if (refused.length) parts.push(`Not uploaded: ${refused.join('; ')}.`);
      if (skipped) parts.push(`${skipped}.`);
      const problems = refused.length > 0 || Boolean(skipped);
      announce(parts.join(' '), { tone: problems ? 'error' : 'success', timeout: problems ? 12000 : 4500 });
      await this.reload();
      if (items.length === 1) await this.open(items[0].name);
    } catch (err) {
      this.setStatus('');
      announce(`Upload failed: ${err.message}${skipped ? `. ${skipped}` : ''}`, { tone: 'error', timeout: 10000 });
    }
  }
}
