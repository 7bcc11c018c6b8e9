// Quality gates in the UI: the score badge of a brief or draft (listings and job cards), the
// checklist the viewer shows (every check with its status and detail, the ones to fix first),
// and "Fix with AI": the checks that did not pass, turned into revise instructions that open
// prefilled in the revise dialog, so the result is a proposal to review, never a silent write.

import { h, button, replaceChildren } from './dom.js';

const STATUS_TEXT = { pass: 'Passed', warn: 'Warning', fail: 'Failed' };
const STATUS_MARK = { pass: '✓', warn: '!', fail: '✕' };
const ORDER = { fail: 0, warn: 1, pass: 2 };
/** The revise endpoint's limit on instructions. */
const MAX_INSTRUCTIONS = 4000;

/** good (nothing failed, 90+), fair (nothing failed) or poor (something failed). */
export function qualityTone({ score, failed }) {
  if (failed.length) return 'poor';
  return score >= 90 ? 'good' : 'fair';
}

/** The score badge of a stored summary `{score, failed}` (null: nothing to show). */
export function qualityBadge(summary) {
  if (!summary) return null;
  const n = summary.failed.length;
  const said = `Quality ${summary.score} of 100${n ? `, ${n} ${n === 1 ? 'check' : 'checks'} failed` : ''}`;
  return h('span', {
    class: ['quality-badge', `q-${qualityTone(summary)}`],
    attrs: { title: said, 'data-quality': String(summary.score) },
  },
  h('span', { class: 'visually-hidden', text: said }),
  h('span', { class: 'quality-badge-label', attrs: { 'aria-hidden': 'true' }, text: 'Q' }),
  h('span', { attrs: { 'aria-hidden': 'true' }, text: String(summary.score) }));
}

/** Revise instructions that ask for the checks that did not pass to be fixed, and no more. */
export function fixInstructions(report, kind) {
  const open = report.checks.filter((c) => c.status !== 'pass').sort((a, b) => ORDER[a.status] - ORDER[b.status]);
  if (!open.length) return '';
  let text = `Fix these quality-check findings in this ${kind}. Change nothing else: keep every other sentence, heading and link as it is.\n\n`;
  for (const c of open) {
    const line = `- ${c.label} (${c.status === 'fail' ? 'failed' : 'warning'}): ${c.detail}\n`;
    if (text.length + line.length > MAX_INSTRUCTIONS) break;
    text += line;
  }
  return text.trimEnd();
}

/**
 * The checklist of `report`. Checks to fix come first; passed ones are behind "Show all".
 * `onFix` (editors only) opens the revise flow with the fix instructions.
 */
export function qualityPanel(report, { onFix = null } = {}) {
  const counts = { pass: 0, warn: 0, fail: 0 };
  for (const c of report.checks) counts[c.status] += 1;
  const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
  const tone = qualityTone({ score: report.score, failed });
  const open = counts.warn + counts.fail;
  const summary = open
    ? [counts.fail && `${counts.fail} failed`, counts.warn && `${counts.warn} ${counts.warn === 1 ? 'warning' : 'warnings'}`, `${counts.pass} passed`].filter(Boolean).join(' · ')
    : `All ${report.checks.length} checks pass`;
  const sorted = [...report.checks].sort((a, b) => ORDER[a.status] - ORDER[b.status]);
  const list = h('ul', { class: 'quality-list', attrs: { role: 'list' } });
  let showAll = false;
  const toggle = button('', { variant: 'ghost', small: true, attrs: { 'data-action': 'quality-toggle', 'aria-expanded': 'false' } });
  const sync = () => {
    const shown = sorted.filter((c) => showAll || c.status !== 'pass');
    replaceChildren(list, ...shown.map(checkItem));
    list.hidden = shown.length === 0;
    toggle.querySelector('span').textContent = showAll ? 'Hide passed checks' : `Show all ${report.checks.length} checks`;
    toggle.setAttribute('aria-expanded', String(showAll));
  };
  toggle.addEventListener('click', () => { showAll = !showAll; sync(); });
  const fix = onFix && open > 0 && button('Fix with AI', { icon: 'spark', variant: 'primary', small: true, attrs: { 'data-action': 'fix-with-ai' }, onClick: () => onFix(report) });
  const panel = h('section', { class: ['quality-panel', `q-${tone}`], attrs: { 'aria-label': 'Quality checks', 'data-score': String(report.score) } },
    h('div', { class: 'quality-head' },
      h('span', { class: ['quality-score', `q-${tone}`], attrs: { 'aria-hidden': 'true' }, text: String(report.score) }),
      h('div', { class: 'quality-titles' },
        h('h3', { class: 'quality-title', text: `Quality ${report.score}/100` }),
        h('p', { class: 'quality-summary', text: summary })),
      h('div', { class: 'quality-actions' }, toggle, fix)),
    list);
  sync();
  return panel;
}

function checkItem(c) {
  return h('li', { class: ['quality-check', `is-${c.status}`], attrs: { 'data-check': c.id } },
    h('span', { class: 'quality-mark', attrs: { 'aria-hidden': 'true' }, text: STATUS_MARK[c.status] }),
    h('div', { class: 'quality-text' },
      h('p', { class: 'quality-label' }, h('span', { class: 'visually-hidden', text: `${STATUS_TEXT[c.status]}: ` }), c.label),
      h('p', { class: 'quality-detail', text: c.detail })));
}
