// The usage page (`#usage`, everyone signed in): what ended jobs cost over a range of days
// (GET /api/usage). Totals, a bar chart of cost per day (an SVG drawn here, described for screen
// readers, with the same figures as a table under it), and a table grouped by user, brand, type
// or day, picked with tabs.

import * as api from './api.js';
import { h, button, formatCost, formatNumber, formatCompact, formatDuration, replaceChildren } from './dom.js';
import { Tabs } from './tabs.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const GROUPS = [
  ['user', 'User'],
  ['brand', 'Brand'],
  ['type', 'Type'],
  ['day', 'Day'],
];
const TYPE_LABELS = { brand_data: 'Brand data', brief: 'Brief', draft: 'Draft', revision: 'Revision' };
const RANGES = [7, 30, 90];

/** `YYYY-MM-DD` of a Date, in UTC (the server's days are UTC days). */
const isoDay = (date) => date.toISOString().slice(0, 10);
const daysBefore = (day, n) => isoDay(new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000));
/** "Dec 6" for a `YYYY-MM-DD`. */
const shortDay = (day) => new Date(`${day}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** Money as everywhere in the UI (nothing spent is "$0", as formatCost writes it). */
const money = formatCost;

/** An axis label: as many decimals as the step between labels needs. */
function axisMoney(v, step) {
  const decimals = [0, 1, 2, 3, 4, 5].find((d) => Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-9) ?? 5;
  return `$${v.toFixed(decimals)}`;
}

function keyLabel(group, key) {
  if (group === 'type') return TYPE_LABELS[key] ?? key;
  if (group === 'brand') return key || 'No brand data';
  if (group === 'day') return shortDay(key);
  return key;
}

export class UsageScreen {
  constructor(root) {
    this.root = root;
    const today = isoDay(new Date());
    this.range = { from: daysBefore(today, 29), to: today };
    this.group = 'user';
    this.fromInput = h('input', { type: 'date', class: 'input', id: 'usage-from', value: this.range.from, max: today });
    this.toInput = h('input', { type: 'date', class: 'input', id: 'usage-to', value: this.range.to, max: today });
    this.status = h('p', { class: 'hint', attrs: { role: 'status' } });
    this.summary = h('div', { class: 'usage-summary' });
    this.chart = h('div', { class: 'usage-chart' });
    this.panels = Object.fromEntries(GROUPS.map(([group]) => [group, h('div', {
      class: 'usage-table-wrap', id: `usage-panel-${group}`, hidden: group !== this.group,
      attrs: { role: 'tabpanel', 'aria-labelledby': `usage-tab-${group}`, tabindex: '0' },
    })]));
    const tablist = h('div', { class: 'usage-tabs', attrs: { role: 'tablist', 'aria-label': 'Group by' } },
      GROUPS.map(([group, label]) => h('button', {
        type: 'button', class: 'usage-tab', id: `usage-tab-${group}`,
        attrs: { role: 'tab', 'aria-selected': String(group === this.group), 'aria-controls': `usage-panel-${group}`, 'data-tab': group, tabindex: group === this.group ? '0' : '-1' },
      }, label)));
    this.tabs = new Tabs(tablist, (group) => {
      this.group = group;
      this.loadGroup();
    });
    const rangeForm = h('form', { class: 'usage-range', noValidate: true, on: { submit: (e) => { e.preventDefault(); this.apply(); } } },
      h('div', { class: 'field' }, h('label', { htmlFor: 'usage-from', text: 'From' }), this.fromInput),
      h('div', { class: 'field' }, h('label', { htmlFor: 'usage-to', text: 'To' }), this.toInput),
      button('Show', { variant: 'primary', type: 'submit', attrs: { 'data-action': 'usage-apply' } }),
      h('div', { class: 'usage-presets', attrs: { role: 'group', 'aria-label': 'Show the last' } }, RANGES.map((days) => button(`${days} days`, {
        variant: 'ghost', small: true, onClick: () => this.preset(days), attrs: { 'data-days': String(days) },
      }))));
    replaceChildren(root,
      h('div', { class: 'panel-head' },
        h('div', { class: 'panel-heading' },
          h('h1', { class: 'panel-title', text: 'Usage' }),
          h('p', { class: 'panel-sub', text: 'What jobs cost, counted as each one ends (completed, failed or cancelled). Days are UTC.' }))),
      h('section', { class: 'card usage-section' }, rangeForm, this.status, this.summary),
      h('section', { class: 'card usage-section', attrs: { 'aria-labelledby': 'usage-chart-title' } },
        h('h2', { class: 'admin-section-title', id: 'usage-chart-title', text: 'Cost per day' }), this.chart),
      h('section', { class: 'card usage-section', attrs: { 'aria-labelledby': 'usage-groups-title' } },
        h('div', { class: 'usage-section-head' },
          h('h2', { class: 'admin-section-title', id: 'usage-groups-title', text: 'Breakdown' }),
          tablist),
        Object.values(this.panels)));
  }

  /** Loads the figures afresh (each time the page is shown). */
  load() {
    this.refresh();
  }

  preset(days) {
    const today = isoDay(new Date());
    this.toInput.value = today;
    this.fromInput.value = daysBefore(today, days - 1);
    this.apply();
  }

  apply() {
    const from = this.fromInput.value;
    const to = this.toInput.value;
    if (!from || !to) return this.setStatus('Pick both days.', true);
    if (from > to) return this.setStatus('“From” must not be after “To”.', true);
    this.range = { from, to };
    this.refresh();
  }

  setStatus(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle('error-text', isError);
  }

  async refresh() {
    this.setStatus('Loading…');
    try {
      const days = await api.getUsage({ groupBy: 'day', ...this.range });
      this.days = days;
      this.renderSummary(days.totals);
      this.renderChart(days.rows);
      this.setStatus(`${shortDay(days.from)} – ${shortDay(days.to)}`);
    } catch (err) {
      this.setStatus(`Could not load usage: ${err.message}`, true);
      return;
    }
    this.loadGroup();
  }

  async loadGroup() {
    const group = this.group;
    try {
      const report = group === 'day' ? this.days : await api.getUsage({ groupBy: group, ...this.range });
      if (group !== this.group) return;
      const rows = group === 'day' ? [...report.rows].reverse().filter((r) => r.jobs) : report.rows;
      replaceChildren(this.panels[group], usageTable(group, rows, report.totals));
    } catch (err) {
      replaceChildren(this.panels[group], h('p', { class: 'error-text', text: `Could not load usage: ${err.message}` }));
    }
  }

  renderSummary(t) {
    const stat = (label, value, detail) => h('div', { class: 'usage-stat' },
      h('span', { class: 'usage-stat-label', text: label }),
      h('span', { class: 'usage-stat-value', text: value }),
      detail && h('span', { class: 'usage-stat-detail', text: detail }));
    replaceChildren(this.summary,
      stat('Cost', money(t.cost_usd), t.jobs ? `${money(t.cost_usd / t.jobs)} a job on average` : 'no jobs ended'),
      stat('Jobs', formatNumber(t.jobs), `${formatNumber(t.completed)} completed · ${formatNumber(t.failed)} failed · ${formatNumber(t.cancelled)} cancelled`),
      stat('Tokens', `${formatCompact(t.input_tokens)} in`, `${formatCompact(t.output_tokens)} out`),
      stat('Cache', `${formatCompact(t.cache_read_input_tokens)} read`, `${formatCompact(t.cache_creation_input_tokens)} written`),
      stat('Run time', formatDuration(t.duration_ms) || '0s', 'as the CLI measured it'));
  }

  /** Redraws the chart when its width changes (text in it keeps its size). */
  observeWidth() {
    if (this.resize || typeof ResizeObserver === 'undefined') return;
    let width = this.chart.clientWidth;
    this.resize = new ResizeObserver(() => {
      const now = this.chart.clientWidth;
      if (!now || Math.abs(now - width) < 8 || !this.chartRows) return;
      width = now;
      this.chart.querySelector('.usage-plot')?.replaceChildren(barChart(this.chartRows, this.chartSummary, now));
    });
    this.resize.observe(this.chart);
  }

  renderChart(rows) {
    const total = rows.reduce((sum, r) => sum + r.cost_usd, 0);
    const busiest = rows.reduce((best, r) => (r.cost_usd > (best?.cost_usd ?? 0) ? r : best), null);
    const summary = busiest
      ? `${money(total)} over ${rows.length} days; the most on ${shortDay(busiest.key)}, ${money(busiest.cost_usd)}.`
      : `No job ended between ${shortDay(rows[0].key)} and ${shortDay(rows.at(-1).key)}.`;
    const table = h('table', { class: 'usage-table' },
      h('caption', { class: 'visually-hidden', text: 'Cost per day' }),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Day' }), h('th', { scope: 'col', class: 'num', text: 'Jobs' }), h('th', { scope: 'col', class: 'num', text: 'Cost' }))),
      h('tbody', {}, rows.map((r) => h('tr', {}, h('th', { scope: 'row', text: shortDay(r.key) }), h('td', { class: 'num', text: formatNumber(r.jobs) }), h('td', { class: 'num', text: money(r.cost_usd) })))));
    this.chartRows = rows;
    this.chartSummary = summary;
    this.observeWidth();
    replaceChildren(this.chart,
      h('div', { class: 'usage-plot' }, barChart(rows, summary, this.chart.clientWidth)),
      h('details', { class: 'usage-details' }, h('summary', { text: 'Show as a table' }), h('div', { class: 'usage-table-wrap' }, table)));
  }
}

/** A rounded axis maximum and step for `max` (dollars). */
function scale(max) {
  if (max <= 0) return { top: 1, step: 0.25 };
  const raw = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  return { top: step * Math.ceil(max / step), step };
}

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/** Cost per day as bars: an image for screen readers, summed up in its description. */
function barChart(rows, summary, available) {
  const width = Math.max(280, Math.round(available || 720));
  const height = width < 500 ? 180 : 220;
  const pad = { left: 52, right: 8, top: 10, bottom: 26 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const { top, step } = scale(Math.max(...rows.map((r) => r.cost_usd)));
  const y = (v) => pad.top + plotH - (v / top) * plotH;
  const slot = plotW / rows.length;
  const barW = Math.max(1, Math.min(28, slot * 0.7));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'usage-svg', width, height, role: 'img', 'aria-labelledby': 'usage-svg-title usage-svg-desc' },
    svg('title', { id: 'usage-svg-title' }, 'Cost per day'),
    svg('desc', { id: 'usage-svg-desc' }, summary));
  for (let v = 0; v <= top + step / 2; v += step) {
    chart.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: 'usage-grid' }));
    chart.append(svg('text', { x: pad.left - 6, y: y(v) + 4, class: 'usage-axis', 'text-anchor': 'end' }, v === 0 ? '$0' : axisMoney(v, step)));
  }
  const labelEvery = Math.ceil(rows.length / Math.max(2, Math.floor(plotW / 80)));
  rows.forEach((r, i) => {
    const x = pad.left + i * slot + (slot - barW) / 2;
    const barH = Math.max(r.cost_usd > 0 ? 1.5 : 0, plotH - (y(r.cost_usd) - pad.top));
    chart.append(svg('rect', { x, y: pad.top + plotH - barH, width: barW, height: barH, rx: Math.min(3, barW / 3), class: 'usage-bar' },
      svg('title', {}, `${shortDay(r.key)}: ${money(r.cost_usd)}, ${r.jobs} ${r.jobs === 1 ? 'job' : 'jobs'}`)));
    if (i % labelEvery === 0) {
      chart.append(svg('text', { x: x + barW / 2, y: height - 8, class: 'usage-axis', 'text-anchor': 'middle' }, shortDay(r.key)));
    }
  });
  return h('figure', { class: 'usage-figure' }, chart, h('figcaption', { class: 'hint', text: summary }));
}

/** The breakdown table of `group`. */
function usageTable(group, rows, totals) {
  if (!rows.length) return h('p', { class: 'muted usage-empty', text: 'No job ended in these days.' });
  const heads = [[GROUPS.find(([g]) => g === group)[1], 'usage-key'],
    ['Jobs', 'num'], ['Completed', 'num'], ['Failed', 'num'], ['Cancelled', 'num'], ['Cost', 'num'],
    ['Input tokens', 'num'], ['Output tokens', 'num'], ['Cache read', 'num'], ['Cache written', 'num'], ['Run time', 'num']];
  const cells = (r) => [formatNumber(r.jobs), formatNumber(r.completed), formatNumber(r.failed), formatNumber(r.cancelled), money(r.cost_usd),
    formatNumber(r.input_tokens), formatNumber(r.output_tokens), formatNumber(r.cache_read_input_tokens), formatNumber(r.cache_creation_input_tokens),
    formatDuration(r.duration_ms) || '0s'];
  return h('table', { class: 'usage-table', attrs: { 'data-group': group } },
    h('thead', {}, h('tr', {}, heads.map(([text, cls]) => h('th', { scope: 'col', class: cls, text })))),
    h('tbody', {}, rows.map((r) => h('tr', {},
      h('th', { scope: 'row', class: ['usage-key', group === 'brand' && !r.key && 'muted'], text: keyLabel(group, r.key) }),
      cells(r).map((text) => h('td', { class: 'num', text }))))),
    h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', text: 'Total' }), cells(totals).map((text) => h('td', { class: 'num', text })))));
}
