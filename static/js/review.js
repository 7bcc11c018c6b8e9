// Revise with AI, in two dialogs: one asks for a revision of a brief or draft (instructions,
// sent with the version they were written for), the other reviews the proposal a finished
// revision left. The review shows the word-level changes side by side at desktop widths and
// inline on a phone; every change can be taken or left (all at once or one by one) before the
// chosen ones are applied as a new version. Nothing is written without that approval.

import * as api from './api.js';
import { h, button, announce, replaceChildren } from './dom.js';
import { dialogShell, openDialog } from './dialogs.js';
import { field } from './forms.js';

/** Asks for a revision of `collection/name` at version `etag`; `instructions` prefills it. */
export async function askRevision(app, collection, name, etag, { instructions: prefill = '', title = null } = {}) {
  const text = h('textarea', { class: 'input', rows: prefill ? 10 : 5, maxLength: 4000, attrs: { placeholder: 'e.g. Shorten the introduction and use the primary keyword in the first sentence.' } });
  text.value = prefill;
  const instructions = field('What should change?', text, { required: true, hint: 'Claude proposes the changes; you review them before anything is saved.' });
  const error = h('div', { attrs: { role: 'alert' } });
  const submit = button('Ask for a revision', { variant: 'primary', attrs: { 'data-action': 'submit-revision' } });
  const body = h('div', { class: 'dialog-body' }, instructions, error, h('div', { class: 'dialog-actions' }, submit));
  const dialog = dialogShell({ title: title ?? `Revise ${name} with AI`, className: 'dialog-revise', body });
  submit.addEventListener('click', async () => {
    const value = text.value.trim();
    instructions.setError(value ? null : 'Say what should change.');
    if (!value) return text.focus();
    submit.disabled = true;
    try {
      const res = await api.revise(collection, name, value, etag);
      dialog.close('submitted');
      announce(`Revision of ${name} queued; review it from the jobs panel when it is done`, { tone: 'success' });
      app.jobSubmitted(res.job_id);
    } catch (err) {
      replaceChildren(error, h('div', { class: 'notice notice-error', text: err.message }));
      submit.disabled = false;
    }
  });
  const opened = openDialog(dialog, { initialFocus: text });
  // Prefilled instructions are read from the top.
  text.setSelectionRange(0, 0);
  text.scrollTop = 0;
  await opened;
  dialog.remove();
}

/** Reviews the proposal of revision job `jobId`. */
export async function reviewProposal(app, jobId) {
  const body = h('div', { class: 'dialog-body' }, h('p', { class: 'muted loading', text: 'Loading…' }));
  const dialog = dialogShell({ title: 'Review the proposed changes', className: 'dialog-review', body });
  const closed = openDialog(dialog);
  try {
    const p = await api.getProposal(jobId);
    renderReview(app, dialog, body, p);
  } catch (err) {
    replaceChildren(body, h('div', { class: 'notice notice-error', text: `Could not load the proposal: ${err.message}` }));
  }
  await closed;
  dialog.remove();
}

function renderReview(app, dialog, body, p) {
  const taken = new Set(p.segments.filter((s) => s.kind === 'hunk').map((s) => s.index));
  const pending = p.status === 'pending' && app.canWrite;
  const toggles = [];
  const hunk = (s, side) => {
    const parts = [];
    if (side !== 'new' && s.removed) parts.push(h('del', { text: s.removed }));
    if (side !== 'old' && s.added) parts.push(h('ins', { text: s.added }));
    const el = h('span', { class: 'hunk', dataset: { hunk: String(s.index) } }, ...parts);
    if (pending && side !== 'old') {
      const t = h('button', { type: 'button', class: 'hunk-toggle', attrs: { 'aria-pressed': 'true', 'aria-label': `Change ${s.index + 1}: take it`, 'data-hunk': String(s.index) }, text: '✓' });
      t.addEventListener('click', () => { if (taken.has(s.index)) taken.delete(s.index); else taken.add(s.index); sync(); });
      toggles.push(t);
      el.append(t);
    }
    return el;
  };
  const column = (side) => h('div', { class: ['diff-text', `diff-${side}`] },
    p.segments.map((s) => (s.kind === 'same' ? document.createTextNode(s.text) : hunk(s, side))));
  const sideBySide = h('div', { class: 'diff-side' },
    h('section', { attrs: { 'aria-label': 'Current text' } }, h('h3', { text: 'Now' }), column('old')),
    h('section', { attrs: { 'aria-label': 'Proposed text' } }, h('h3', { text: 'Proposed' }), column('new')));
  const inline = h('div', { class: 'diff-inline', attrs: { 'aria-label': 'Changes' } }, column('merged'));
  const summary = h('p', { class: 'review-summary', attrs: { 'aria-live': 'polite' } });
  const notice = h('div', { attrs: { role: 'alert' } });
  const sync = () => {
    for (const el of dialog.querySelectorAll('.hunk')) el.classList.toggle('is-left', !taken.has(Number(el.dataset.hunk)));
    for (const t of dialog.querySelectorAll('.hunk-toggle')) {
      const on = taken.has(Number(t.dataset.hunk));
      t.setAttribute('aria-pressed', String(on));
      t.textContent = on ? '✓' : '✗';
      t.setAttribute('aria-label', `Change ${Number(t.dataset.hunk) + 1}: ${on ? 'take it' : 'leave it'}`);
    }
    // Which changes a decided proposal took is not kept: only a pending one counts them.
    summary.textContent = pending ? `${taken.size} of ${p.hunk_count} changes taken` : '';
    if (apply) apply.disabled = taken.size === 0;
  };
  let apply = null;
  const actions = h('div', { class: 'dialog-actions review-actions' });
  if (pending) {
    apply = button('Apply the changes taken', { variant: 'primary', attrs: { 'data-action': 'apply' } });
    apply.addEventListener('click', async () => {
      apply.disabled = true;
      try {
        await api.approveProposal(p.job_id, [...taken].sort((a, b) => a - b));
        announce(`Applied ${taken.size} of ${p.hunk_count} changes to ${p.name}`, { tone: 'success' });
        dialog.close('approved');
        app.openDocument(p.collection, p.name);
      } catch (err) {
        replaceChildren(notice, h('div', { class: 'notice notice-error' },
          h('p', { text: err.status === 409 ? `${p.name} changed since the revision was asked for; nothing was saved. Ask again from its current text.` : err.message })));
        apply.disabled = false;
      }
    });
    actions.append(
      button('Take all', { variant: 'ghost', small: true, attrs: { 'data-action': 'take-all' }, onClick: () => { for (const s of p.segments) if (s.kind === 'hunk') taken.add(s.index); sync(); } }),
      button('Leave all', { variant: 'ghost', small: true, attrs: { 'data-action': 'leave-all' }, onClick: () => { taken.clear(); sync(); } }),
      button('Reject the proposal', { variant: 'danger-ghost', attrs: { 'data-action': 'reject' }, onClick: async () => {
        try {
          await api.rejectProposal(p.job_id);
          announce(`Rejected the proposed changes to ${p.name}`);
          dialog.close('rejected');
        } catch (err) {
          replaceChildren(notice, h('div', { class: 'notice notice-error', text: err.message }));
        }
      } }),
      apply);
  }
  const decided = p.status === 'pending' ? null
    : `This proposal was ${p.status}${p.decided_by ? ` by ${p.decided_by}` : ''}${p.status === 'approved' ? ': its changes are in the document' : ''}.`;
  replaceChildren(body,
    h('p', { class: 'review-doc' }, 'Changes to ', h('strong', { text: p.name })),
    decided && h('p', { class: 'notice notice-info review-decided', attrs: { 'data-testid': 'review-decided' }, text: decided }),
    pending && p.hunk_count ? h('p', { class: 'review-hint muted', text: 'Every change is taken unless you leave it: press ✓ beside a change to leave it (✗), press again to take it back.' }) : null,
    p.hunk_count ? null : h('p', { class: 'notice notice-info', text: 'The proposal is the same as the current text.' }),
    sideBySide, inline, summary, notice, actions);
  sync();
}
