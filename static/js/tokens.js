// Bearer tokens on the admin page: everyone's own API tokens (an admin sees all of them), and, for
// admins, runner tokens bound to one runner name. A new token is shown once, in a box with a copy
// button; the API keeps only its hash. Also the pieces the admin page's sections share.

import * as api from './api.js';
import { h, button, announce, timeEl, replaceChildren } from './dom.js';
import { confirmDialog } from './dialogs.js';
import { field, showFormError } from './forms.js';
import { ROLE_LABELS } from './usermenu.js';

const ROLES = ['viewer', 'editor', 'admin'];

/** A titled card of the admin page. */
export function section(id, title, sub, ...children) {
  return h('section', { class: 'card admin-section', id, attrs: { 'aria-labelledby': `${id}-title` } },
    h('div', { class: 'admin-section-head' },
      h('h2', { class: 'admin-section-title', id: `${id}-title`, text: title }),
      sub && h('p', { class: 'muted admin-section-sub', text: sub })),
    ...children);
}

/** One row of a list: a title line with badges, a line of facts, and controls. */
export function row(title, badges, meta, actions, dataset = {}) {
  return h('li', { class: 'admin-row', dataset },
    h('div', { class: 'row-main' },
      h('p', { class: 'row-title' }, h('span', { class: 'row-name', text: title }), ...badges),
      h('p', { class: 'row-meta' }, ...meta.filter(Boolean).flatMap((m, i) => (i ? [h('span', { class: 'dot', attrs: { 'aria-hidden': 'true' }, text: '·' }), m] : [m])))),
    actions.some(Boolean) && h('div', { class: 'row-actions' }, ...actions));
}

export const badge = (text, tone) => h('span', { class: ['pill', `pill-${tone}`], text });

/** A role <select> of the roles up to `max`. */
export function roleSelect(max = 'admin', value = 'viewer') {
  const select = h('select', { class: 'input' },
    ROLES.slice(0, ROLES.indexOf(max) + 1).map((r) => h('option', { value: r, text: ROLE_LABELS[r] })));
  select.value = ROLES.includes(value) && ROLES.indexOf(value) <= ROLES.indexOf(max) ? value : 'viewer';
  return select;
}

/** A secret shown once: what it is, the value in a read-only field, and a copy button. */
export function secretBox(label, value, hint, { testid } = {}) {
  const id = `secret-${Math.random().toString(36).slice(2, 9)}`;
  const input = h('input', { class: 'input secret-value', id, readOnly: true, value, spellcheck: false, attrs: { 'data-testid': testid, autocomplete: 'off' } });
  const copy = button('Copy', { variant: 'secondary', small: true, attrs: { 'data-action': 'copy' }, onClick: async () => {
    try {
      await navigator.clipboard.writeText(value);
      announce('Copied to the clipboard', { tone: 'success' });
    } catch {
      input.select();
      // Without clipboard access (plain http on another host), the selected text can be copied.
      const copied = document.execCommand?.('copy');
      announce(copied ? 'Copied to the clipboard' : 'Press Ctrl+C (⌘C) to copy the selected text', { tone: copied ? 'success' : 'info' });
    }
  } });
  const box = h('div', { class: 'secret-box' },
    h('label', { class: 'field-label', htmlFor: id, text: label }),
    h('div', { class: 'secret-row' }, input, copy),
    h('p', { class: 'field-hint', text: hint }),
    button('Done', { variant: 'ghost', small: true, attrs: { 'data-action': 'dismiss' }, onClick: () => box.remove() }));
  return box;
}

const revokedOr = (t, onRevoke, label) => (t.revoked_at
  ? null
  : button('Revoke', { variant: 'danger-ghost', small: true, attrs: { 'data-action': 'revoke', 'aria-label': `Revoke ${label}` }, onClick: onRevoke }));

async function revoke(token, what, reload) {
  const ok = await confirmDialog({
    title: `Revoke ${token.name}?`,
    message: `${what} stops working at once. This cannot be undone; make a new token if it is still needed.`,
    confirmLabel: 'Revoke',
    danger: true,
  });
  if (!ok) return;
  try {
    await api.revokeToken(token.id);
    announce(`Revoked ${token.name}`, { tone: 'success' });
  } catch (err) {
    announce(`Could not revoke ${token.name}: ${err.message}`, { tone: 'error' });
  }
  reload();
}

/** The caller's API tokens (everyone's, for an admin): create one with a role, list, revoke. */
export class ApiTokensSection {
  constructor(me) {
    this.me = me;
    const admin = me.role === 'admin';
    this.name = field('Token name', h('input', { class: 'input', type: 'text', maxLength: 100, autocomplete: 'off', placeholder: 'e.g. CI publishing' }), { required: true });
    this.role = field('Role', roleSelect(me.role, 'viewer'), { hint: 'At most your own role.' });
    this.error = h('div', { class: 'form-error', attrs: { role: 'alert' } });
    this.created = h('div', { class: 'secret-host' });
    this.list = h('ul', { class: 'admin-list', attrs: { role: 'list', 'aria-label': 'API tokens' } });
    const form = h('form', { class: 'admin-form', noValidate: true, attrs: { 'data-form': 'token' } },
      this.name, this.role, h('div', { class: 'admin-form-submit' }, button('Create token', { variant: 'primary', type: 'submit', attrs: { 'data-action': 'create-token' } })));
    form.addEventListener('submit', (e) => { e.preventDefault(); this.create(); });
    this.element = section('api-tokens', admin ? 'API tokens' : 'Your API tokens',
      `Bearer tokens for scripts and CI: send them as "Authorization: Bearer …".${admin ? ' You see everyone’s.' : ''}`,
      this.error, form, this.created, this.list);
  }

  async create() {
    showFormError(this.error, null);
    const name = this.name.control.value.trim();
    this.name.setError(name ? null : 'Give the token a name, so you know later what uses it.');
    if (!name) return this.name.control.focus();
    try {
      const t = await api.createToken(name, this.role.control.value);
      this.name.control.value = '';
      replaceChildren(this.created, secretBox(`New token “${t.name}” (${ROLE_LABELS[t.role] ?? t.role})`, t.token,
        'Copy it now: it is shown only this once.', { testid: 'new-token' }));
      this.created.querySelector('[data-action="copy"]').focus();
      announce(`Created the token ${t.name}. Copy it now: it is shown only once.`, { tone: 'success' });
      this.load();
    } catch (err) {
      showFormError(this.error, `Could not create the token: ${err.message}`);
    }
  }

  async load() {
    try {
      const { tokens } = await api.listTokens();
      const admin = this.me.role === 'admin';
      replaceChildren(this.list, tokens.length ? tokens.map((t) => row(t.name,
        [badge(ROLE_LABELS[t.role] ?? t.role, t.role), t.revoked_at && badge('Revoked', 'muted')],
        [admin && `Owner ${t.owner}`, h('span', {}, 'Created ', timeEl(t.created_at)), t.revoked_at && h('span', {}, 'revoked ', timeEl(t.revoked_at))],
        [revokedOr(t, () => revoke(t, 'Anything using this token', () => this.load()), t.name)],
        { tokenId: t.id })) : h('li', { class: 'muted empty-row', text: 'No API tokens yet.' }));
    } catch (err) {
      replaceChildren(this.list, h('li', { class: 'error-text', text: `Could not load the tokens: ${err.message}` }));
    }
  }
}

/** Runner tokens (admin): one per runner name, so a leaked one is revoked without the others. */
export class RunnerTokensSection {
  constructor() {
    this.runner = field('Runner name', h('input', { class: 'input', type: 'text', maxLength: 64, autocomplete: 'off', placeholder: 'e.g. build-box-1' }),
      { required: true, hint: 'Letters, digits, ".", "_" and "-". The token works only for this name.' });
    this.label = field('Label', h('input', { class: 'input', type: 'text', maxLength: 100, autocomplete: 'off' }), { hint: 'Optional.' });
    this.error = h('div', { class: 'form-error', attrs: { role: 'alert' } });
    this.created = h('div', { class: 'secret-host' });
    this.list = h('ul', { class: 'admin-list', attrs: { role: 'list', 'aria-label': 'Runner tokens' } });
    const form = h('form', { class: 'admin-form', noValidate: true, attrs: { 'data-form': 'runner-token' } },
      this.runner, this.label, h('div', { class: 'admin-form-submit' }, button('Create runner token', { variant: 'primary', type: 'submit', attrs: { 'data-action': 'create-runner-token' } })));
    form.addEventListener('submit', (e) => { e.preventDefault(); this.create(); });
    this.element = section('runner-tokens', 'Runner tokens', 'What a runner presents to claim and report jobs. Only for the runner protocol.',
      this.error, form, this.created, this.list);
  }

  async create() {
    showFormError(this.error, null);
    const runner = this.runner.control.value.trim();
    this.runner.setError(runner ? null : 'Enter the runner’s name.');
    if (!runner) return this.runner.control.focus();
    try {
      const t = await api.createRunnerToken(runner, this.label.control.value.trim() || null);
      this.runner.control.value = '';
      this.label.control.value = '';
      replaceChildren(this.created, secretBox(`Token for runner ${t.runner}`, t.token,
        `Copy it now: it is shown only this once. Give it to the runner as CWM_RUNNER_TOKEN with CWM_RUNNER_NAME=${t.runner}.`, { testid: 'new-runner-token' }));
      this.created.querySelector('[data-action="copy"]').focus();
      announce(`Created a token for runner ${t.runner}. Copy it now: it is shown only once.`, { tone: 'success' });
      this.load();
    } catch (err) {
      showFormError(this.error, `Could not create the runner token: ${err.message}`);
    }
  }

  async load() {
    try {
      const { tokens } = await api.listRunnerTokens();
      replaceChildren(this.list, tokens.length ? tokens.map((t) => row(t.name,
        [badge(`Runner ${t.runner}`, 'info'), t.revoked_at && badge('Revoked', 'muted')],
        [`Owner ${t.owner}`, h('span', {}, 'Created ', timeEl(t.created_at)), t.revoked_at && h('span', {}, 'revoked ', timeEl(t.revoked_at))],
        [revokedOr(t, () => revoke(t, `Runner ${t.runner}`, () => this.load()), t.name)],
        { tokenId: t.id })) : h('li', { class: 'muted empty-row', text: 'No runner tokens yet. Runners may also use the shared runner token.' }));
    } catch (err) {
      replaceChildren(this.list, h('li', { class: 'error-text', text: `Could not load the runner tokens: ${err.message}` }));
    }
  }
}
