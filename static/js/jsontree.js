// Brand data as a readable, collapsible tree. Objects and arrays are <details> elements (native
// keyboard support); leaves show their value as text. Leaves wrapped as {"value": x}, the shape
// older brand data uses, are shown as plain leaves.

import { h, safeUrl } from './dom.js';

/** Builds the tree for a parsed JSON value; levels below `openDepth` start collapsed. */
export function jsonTree(value, { openDepth = 2 } = {}) {
  const root = h('div', { class: 'json-tree' });
  if (isContainer(unwrap(value))) {
    appendChildren(root, unwrap(value), 0, openDepth);
  } else {
    root.append(leaf(null, unwrap(value)));
  }
  return root;
}

/** Opens or closes every branch of a tree. */
export function setTreeOpen(tree, open) {
  for (const d of tree.querySelectorAll('details')) d.open = open;
}

function unwrap(value) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'value') return value.value;
  }
  return value;
}

const isContainer = (v) => v !== null && typeof v === 'object';

/** Turns `companyName` or `target_markets` into "Company name" / "Target markets". */
export function humanKey(key) {
  const words = String(key).replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').trim();
  return words ? words[0].toUpperCase() + words.slice(1).toLowerCase() : String(key);
}

function appendChildren(parent, value, depth, openDepth) {
  const list = h('ul', { class: 'json-children', attrs: { role: 'list' } });
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  if (!entries.length) {
    list.append(h('li', { class: 'json-empty', text: Array.isArray(value) ? 'No items' : 'No fields' }));
  }
  for (const [key, raw] of entries) {
    const v = unwrap(raw);
    const label = typeof key === 'number' ? `${key + 1}` : key;
    list.append(h('li', {}, isContainer(v) ? branch(label, key, v, depth + 1, openDepth) : leaf(label, v, typeof key === 'number')));
  }
  parent.append(list);
}

function branch(label, key, value, depth, openDepth) {
  const count = Array.isArray(value) ? value.length : Object.keys(value).length;
  const noun = Array.isArray(value) ? (count === 1 ? 'item' : 'items') : (count === 1 ? 'field' : 'fields');
  const details = h('details', { class: 'json-branch', open: depth <= openDepth },
    h('summary', {},
      h('span', { class: typeof key === 'number' ? 'json-index' : 'json-key', text: typeof key === 'number' ? `#${label}` : humanKey(label), title: String(label) }),
      h('span', { class: 'json-count', text: `${count} ${noun}` })));
  appendChildren(details, value, depth, openDepth);
  return details;
}

function leaf(label, value, indexed = false) {
  const row = h('div', { class: 'json-leaf' });
  if (label !== null) {
    row.append(h('span', { class: indexed ? 'json-index' : 'json-key', text: indexed ? `#${label}` : humanKey(label), title: String(label) }));
  }
  row.append(leafValue(value));
  return row;
}

function leafValue(value) {
  if (value === null) return h('span', { class: 'json-value json-null', text: 'empty' });
  if (typeof value === 'boolean') return h('span', { class: 'json-value json-bool', text: value ? 'yes' : 'no' });
  if (typeof value === 'number') return h('span', { class: 'json-value json-number', text: String(value) });
  const text = String(value);
  const url = /^https?:\/\//i.test(text) ? safeUrl(text) : null;
  if (url) {
    return h('a', { class: 'json-value json-link', href: url, text, rel: 'noopener noreferrer', target: '_blank' });
  }
  if (text === '') return h('span', { class: 'json-value json-null', text: 'empty' });
  return h('span', { class: 'json-value json-string', text });
}
