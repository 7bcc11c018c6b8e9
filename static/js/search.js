// Server-side search of one collection (`GET /api/{collection}?q=`) for its panel's search box:
// typing is debounced, an older request is aborted by a newer one, pages come with a cursor,
// and each match has a snippet whose matched words are marked from the server's offsets.

import * as api from './api.js';
import { h } from './dom.js';

/** How long typing must pause before a search is sent. */
export const SEARCH_DEBOUNCE_MS = 250;
const PAGE = 20;
/** Requests one search or "Load more" follows when pages come back short but with a cursor
 * (the server bounds the work of each request, so a page may hold fewer than asked). */
const MAX_REQUESTS = 4;

/**
 * A snippet as a span (it sits inside the item's button): its text as text nodes and each matched word in a <mark>, built
 * from the `[start, end)` offsets (UTF-16 code units, as JavaScript strings count); never HTML.
 */
export function snippetElement(snippet) {
  const p = h('span', { class: 'doc-item-snippet' });
  const text = snippet?.text ?? '';
  let at = 0;
  for (const [start, end] of snippet?.matches ?? []) {
    if (!(start >= at && end > start && end <= text.length)) continue;
    p.append(text.slice(at, start), h('mark', { text: text.slice(start, end) }));
    at = end;
  }
  p.append(text.slice(at));
  return p;
}

/** The search state of one collection; `onChange` runs whenever it changes. */
export class CollectionSearch {
  constructor(collection, onChange) {
    this.collection = collection;
    this.onChange = onChange;
    this.q = '';
    this.items = [];
    this.nextCursor = null;
    this.pending = false;
    this.error = null;
    this.timer = null;
    this.controller = null;
  }

  get active() {
    return Boolean(this.q);
  }

  /** Searches for `text` once typing pauses (an empty text ends the search). */
  set(text) {
    const q = text.trim();
    if (q === this.q) return;
    clearTimeout(this.timer);
    this.q = q;
    this.controller?.abort();
    this.controller = null;
    this.items = [];
    this.nextCursor = null;
    this.error = null;
    this.pending = Boolean(q);
    if (q) this.timer = setTimeout(() => this.run(), SEARCH_DEBOUNCE_MS);
    this.onChange();
  }

  /** The same search again (documents changed). */
  refresh() {
    if (!this.q) return;
    clearTimeout(this.timer);
    this.run();
  }

  async run() {
    this.pending = true;
    this.onChange();
    const found = await this.fetch(null);
    if (!found) return;
    if (!found.error) {
      this.items = found.items;
      this.nextCursor = found.nextCursor;
    }
    this.onChange();
  }

  /** The next matches, after those shown. */
  async more() {
    if (!this.nextCursor || this.pending) return;
    this.pending = true;
    this.onChange();
    const found = await this.fetch(this.nextCursor);
    if (!found) return;
    if (found.error) return this.onChange();
    const known = new Set(this.items.map((i) => i.name));
    this.items.push(...found.items.filter((i) => !known.has(i.name)));
    this.nextCursor = found.nextCursor;
    this.onChange();
  }

  /** Up to a page of matches from `cursor` (or `{error}`, also kept in `error`); null if a
   * newer search replaced this one. */
  async fetch(cursor) {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const q = this.q;
    const items = [];
    let next = cursor;
    try {
      for (let i = 0; i < MAX_REQUESTS && items.length < PAGE; i++) {
        const page = await api.searchDocuments(this.collection, { q, limit: PAGE - items.length, cursor: next, signal: controller.signal });
        items.push(...page.items);
        next = page.next_cursor;
        if (!next) break;
      }
      this.error = null;
      return { items, nextCursor: next };
    } catch (err) {
      if (err.name === 'AbortError') return null;
      this.error = err.message;
      return { error: err.message };
    } finally {
      if (this.controller === controller) {
        this.pending = false;
        this.controller = null;
      }
    }
  }

  /** Forgets a document that was deleted. */
  removed(name) {
    this.items = this.items.filter((i) => i.name !== name);
  }
}
