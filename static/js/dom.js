// DOM helpers shared by every module: element construction (text only, never HTML strings),
// small icons, formatting of sizes, times and money, and the page's live status region.

/**
 * Creates an element. `props` keys: `class`, `text` (textContent), `dataset`, `attrs`
 * (setAttribute), `on` (event listeners), anything else is assigned as a property.
 * Children may be nodes, strings (added as text) or null/false (skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'attrs') for (const [a, v] of Object.entries(value)) { if (v !== null && v !== undefined && v !== false) el.setAttribute(a, v === true ? '' : String(v)); }
    else if (key === 'on') for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else el[key] = value;
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, strings as text, nested arrays; falsy values skipped). */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Removes every child of `el`, then appends `children`. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export const $ = (selector, root = document) => root.querySelector(selector);

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Stroke icons on a 24×24 grid: each entry is a list of SVG path `d` strings. */
const ICONS = {
  upload: ['M12 16V4', 'M7 9l5-5 5 5', 'M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3'],
  download: ['M12 4v12', 'M7 11l5 5 5-5', 'M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3'],
  trash: ['M4 7h16', 'M9 7V4h6v3', 'M6 7l1 13h10l1-13', 'M10 11v6', 'M14 11v6'],
  edit: ['M4 20h4L19 9l-4-4L4 16v4z', 'M13 7l4 4'],
  plus: ['M12 5v14', 'M5 12h14'],
  close: ['M6 6l12 12', 'M18 6L6 18'],
  spark: ['M12 3v4', 'M12 17v4', 'M3 12h4', 'M17 12h4', 'M6 6l2.5 2.5', 'M15.5 15.5L18 18', 'M6 18l2.5-2.5', 'M15.5 8.5L18 6'],
  logs: ['M4 5h16', 'M4 10h16', 'M4 15h10', 'M4 20h7'],
  retry: ['M4 12a8 8 0 1 0 2.3-5.6', 'M4 4v4h4'],
  stop: ['M7 7h10v10H7z'],
  back: ['M15 5l-7 7 7 7'],
  doc: ['M6 3h8l4 4v14H6z', 'M14 3v4h4'],
  search: ['M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z', 'M20 20l-4-4'],
  chevron: ['M9 6l6 6-6 6'],
  arrowDown: ['M12 5v14', 'M6 13l6 6 6-6'],
  refresh: ['M20 12a8 8 0 1 1-2.3-5.6', 'M20 4v4h-4'],
  send: ['M4 12l16-8-6 16-3-7z', 'M11 13l9-9'],
  bell: ['M6 16v-5a6 6 0 0 1 12 0v5l2 2H4z', 'M10 20a2 2 0 0 0 4 0'],
};

/** An inline SVG icon (decorative: hidden from assistive technology). */
export function icon(name) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of ICONS[name] ?? []) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

/** A button with an optional icon. `variant`: primary | secondary | ghost | danger. */
export function button(label, { icon: iconName, variant = 'secondary', small = false, title, onClick, type = 'button', iconOnly = false, attrs } = {}) {
  const btn = h('button', {
    type,
    class: ['btn', `btn-${variant}`, small && 'btn-sm', iconOnly && 'btn-icon'],
    title,
    attrs: { ...(iconOnly ? { 'aria-label': label } : {}), ...attrs },
  });
  if (iconName) btn.append(icon(iconName));
  if (!iconOnly) btn.append(h('span', { text: label }));
  if (onClick) btn.addEventListener('click', onClick);
  return btn;
}

/** A status badge: colour and text (never colour alone). */
export function statusBadge(status) {
  const labels = { queued: 'Queued', running: 'Running', waiting: 'Waiting', completed: 'Completed', failed: 'Failed', cancelled: 'Cancelled' };
  return h('span', { class: ['badge', `badge-${status}`], text: labels[status] ?? status });
}

export function formatBytes(n) {
  if (!Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function formatNumber(n) {
  return Number(n ?? 0).toLocaleString('en-US');
}

/** 1234 → "1.2k" for compact token counts. */
export function formatCompact(n) {
  const v = Number(n ?? 0);
  if (v < 1000) return String(v);
  if (v < 1_000_000) return `${(v / 1000).toFixed(v < 10_000 ? 1 : 0)}k`;
  return `${(v / 1_000_000).toFixed(1)}M`;
}

/** US dollars as money: four decimals under a dollar (jobs cost cents), two above; nothing
 * spent is "$0", and an amount too small for four decimals "< $0.0001" (not "$0.0000"). */
export function formatCost(usd) {
  if (usd === null || usd === undefined) return '';
  const v = Number(usd);
  if (v === 0) return '$0';
  if (v > 0 && v < 0.00005) return '< $0.0001';
  return v < 1 ? `$${v.toFixed(4)}` : `$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** Milliseconds → "42s", "3m 05s", "1h 02m". */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Milliseconds → "1:05" or "1:02:05" for ticking clocks. */
export function formatClock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** An RFC 3339 time as "just now", "5 min ago", "yesterday", or a date; a time to come as
 * "in 30 s", "in 5 min", "in 2 h". */
export function formatRelative(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const s = Math.round((now - t) / 1000);
  if (s < -5) {
    const ahead = -s;
    if (ahead < 60) return `in ${ahead} s`;
    if (ahead < 3600) return `in ${Math.round(ahead / 60)} min`;
    if (ahead < 86400) return `in ${Math.round(ahead / 3600)} h`;
  }
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  if (s < 172800) return 'yesterday';
  return new Date(t).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
}

export function formatDateTime(iso) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  return new Date(t).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** An RFC 3339 time in local time as "14:00" on the day of `now`, else "14:00 on 3 Dec" (with the year when it differs). */
export function formatTimeOfDay(iso, now = new Date()) {
  const t = new Date(Date.parse(iso));
  if (!Number.isFinite(t.getTime())) return '';
  const time = t.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  if (t.toDateString() === now.toDateString()) return time;
  const year = t.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' };
  return `${time} on ${t.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', ...year })}`;
}

/** A <time> element showing relative time, with the exact time as a tooltip. */
export function timeEl(iso) {
  return h('time', { attrs: { datetime: iso }, title: formatDateTime(iso), text: formatRelative(iso) });
}

/** Announces a message politely to screen readers and shows it as a toast. */
export function announce(message, { tone = 'info', timeout = 4500 } = {}) {
  const live = document.getElementById('live-status');
  if (live) {
    live.textContent = '';
    // A fresh text node after clearing makes repeated identical messages heard again.
    requestAnimationFrame(() => { live.textContent = message; });
  }
  const host = document.getElementById('toasts');
  if (!host) return;
  // The same message again replaces the one shown instead of stacking a copy.
  for (const old of host.querySelectorAll('.toast')) if (old.dataset.message === message) old.remove();
  const dismiss = () => toast.remove();
  const toast = h('div', { class: ['toast', `toast-${tone}`], dataset: { message } },
    h('span', { text: message }),
    button('Dismiss', { icon: 'close', variant: 'ghost', small: true, iconOnly: true, onClick: dismiss }));
  host.append(toast);
  while (host.children.length > 3) host.firstElementChild.remove();
  placeToasts(host);
  if (timeout) setTimeout(dismiss, timeout);
}

/** A modal dialog covers (and makes inert) everything outside it, so while one is open the
 * toasts live inside it; when it closes they return to the page. */
function placeToasts(host) {
  if (!host.dataset.placed) {
    host.dataset.placed = 'yes';
    document.addEventListener('close', (event) => {
      if (host.parentElement === event.target) placeToasts(host);
    }, true);
  }
  const modal = [...document.querySelectorAll('dialog[open]')].filter((d) => d.matches(':modal')).pop();
  const parent = modal ?? document.body;
  if (host.parentElement !== parent) parent.append(host);
}

/** Returns the URL if it is an absolute http(s) URL, otherwise null. */
export function safeUrl(raw) {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** Runs `fn` at most once per `ms`, on the trailing edge. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Human label of a collection segment. */
export const COLLECTIONS = {
  'brand-data': { label: 'Brand Data', singular: 'brand data file', ext: '.json', format: 'json', mime: 'application/json' },
  briefs: { label: 'Briefs', singular: 'brief', ext: '.md', format: 'markdown', mime: 'text/markdown' },
  drafts: { label: 'Drafts', singular: 'draft', ext: '.md', format: 'markdown', mime: 'text/markdown' },
};
