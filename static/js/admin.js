// The admin page (`#admin`): users (invite with a role, change roles, disable and enable), API
// tokens, runner tokens, the runners the API has seen, the webhook deliveries (deliveries.js),
// and the audit log, newest first. Someone
// who is not an admin gets the same page with their own API tokens only (`#tokens`).

import * as api from './api.js';
import { h, button, announce, timeEl, replaceChildren } from './dom.js';
import { confirmDialog } from './dialogs.js';
import { field, showFormError } from './forms.js';
import { ROLE_LABELS } from './usermenu.js';
import { ApiTokensSection, RunnerTokensSection, section, row, badge, roleSelect, secretBox } from './tokens.js';
import { DeliveriesSection } from './deliveries.js';

const AUDIT_PAGE = 50;

/** How the audit log words an action; `true` after it: the target says nothing new (it is the actor). */
const ACTIONS = {
  sign_in: ['signed in', true], sign_in_failed: ['failed to sign in', true], sign_out: ['signed out', true],
  invite_accepted: ['accepted the invite', true], sign_in_link_created: ['made a sign-in link', true],
  user_created: ['invited'], role_changed: ['changed the role of'], user_disabled: ['disabled'], user_enabled: ['enabled'],
  token_created: ['created the token'], token_revoked: ['revoked the token'], runner_token_created: ['created the runner token'],
  document_deleted: ['deleted'], job_cancelled: ['cancelled the job'], webhook_tested: ['sent a test webhook delivery', true],
  webhook_retried: ['sent again the webhook delivery'],
};

function auditText(e) {
  if (e.action === 'sign_in' && e.target === 'sign-in link') return ' signed in with a sign-in link';
  const [words, quiet] = ACTIONS[e.action] ?? [e.action.replace(/_/g, ' ')];
  return ` ${words}${e.target && !quiet ? ` ${e.target}` : ''}`;
}

export class AdminScreen {
  constructor(root, me) {
    this.root = root;
    this.me = me;
    const admin = me.role === 'admin';
    this.tokens = new ApiTokensSection(me);
    this.parts = admin ? [new UsersSection(me), this.tokens, new RunnerTokensSection(), new RunnersSection(), new DeliveriesSection(), new AuditSection()] : [this.tokens];
    replaceChildren(root,
      h('div', { class: 'panel-head' },
        h('div', { class: 'panel-heading' },
          h('h1', { class: 'panel-title', text: admin ? 'Administration' : 'API tokens' }),
          h('p', { class: 'panel-sub', text: admin ? 'Who can sign in and with which role, tokens for scripts and runners, the runners, webhook deliveries, and what happened.' : 'Tokens that let scripts act as you, with at most your role.' }))),
      h('div', { class: 'admin-grid' }, this.parts.map((p) => p.element)));
  }

  /** Loads every section afresh (each time the page is shown). */
  load() {
    for (const part of this.parts) part.load();
  }
}

/** Users: invite by email with a role (the invite link is shown once), change role, disable. */
class UsersSection {
  constructor(me) {
    this.me = me;
    this.email = field('Email', h('input', { class: 'input', type: 'email', autocomplete: 'off', spellcheck: false }), { required: true });
    this.role = field('Role', roleSelect('admin', 'editor'), { hint: 'Viewers read; editors also write and generate; admins also manage access.' });
    this.error = h('div', { class: 'form-error', attrs: { role: 'alert' } });
    this.invited = h('div', { class: 'secret-host' });
    this.list = h('ul', { class: 'admin-list', attrs: { role: 'list', 'aria-label': 'Users' } });
    const form = h('form', { class: 'admin-form', noValidate: true, attrs: { 'data-form': 'invite' } },
      this.email, this.role, h('div', { class: 'admin-form-submit' }, button('Invite', { variant: 'primary', type: 'submit', attrs: { 'data-action': 'invite' } })));
    form.addEventListener('submit', (e) => { e.preventDefault(); this.invite(); });
    this.element = section('users', 'Users', 'Invite people by email: they set their own password from the link.', this.error, form, this.invited, this.list);
  }

  async invite() {
    showFormError(this.error, null);
    const email = this.email.control.value.trim();
    this.email.setError(/^[^\s@]+@[^\s@]+$/.test(email) ? null : 'Enter an email address, such as name@example.com.');
    if (this.email.control.getAttribute('aria-invalid')) return this.email.control.focus();
    try {
      const res = await api.inviteUser(email, this.role.control.value);
      this.email.control.value = '';
      const hours = Math.round((res.invite_expires_in_s ?? 0) / 3600);
      replaceChildren(this.invited, secretBox(`Invite link for ${res.user.email} (${ROLE_LABELS[res.user.role]})`, res.invite_url,
        `Send it to them yourself: it works once${hours ? ` and expires in ${hours} hours` : ''}, and is not shown again.`, { testid: 'invite-url' }));
      this.invited.querySelector('[data-action="copy"]').focus();
      announce(`Invited ${res.user.email}. Copy the invite link now: it is shown only once.`, { tone: 'success' });
      this.load();
    } catch (err) {
      showFormError(this.error, `Could not invite ${email}: ${err.message}`);
    }
  }

  async load() {
    try {
      const { users } = await api.listUsers();
      replaceChildren(this.list, users.length ? users.map((u) => this.renderUser(u)) : h('li', { class: 'muted empty-row', text: 'No users yet: invite the first one above.' }));
    } catch (err) {
      replaceChildren(this.list, h('li', { class: 'error-text', text: `Could not load the users: ${err.message}` }));
    }
  }

  renderUser(u) {
    const select = roleSelect('admin', u.role);
    select.setAttribute('aria-label', `Role of ${u.email}`);
    select.dataset.action = 'role';
    select.addEventListener('change', () => this.change(u, { role: select.value }, `${u.email} is now ${ROLE_LABELS[select.value].toLowerCase()}`, () => { select.value = u.role; }));
    const toggle = u.disabled
      ? button('Enable', { variant: 'secondary', small: true, attrs: { 'data-action': 'enable', 'aria-label': `Enable ${u.email}` }, onClick: () => this.change(u, { disabled: false }, `Enabled ${u.email}`) })
      : button('Disable', { variant: 'danger-ghost', small: true, attrs: { 'data-action': 'disable', 'aria-label': `Disable ${u.email}` }, onClick: () => this.disable(u) });
    const status = u.disabled ? badge('Disabled', 'danger') : u.active ? badge('Active', 'success') : badge('Invited', 'muted');
    return row(u.email, [status], [`Added by ${u.created_by}`, timeEl(u.created_at)], [select, toggle], { userId: u.id, email: u.email });
  }

  async disable(u) {
    const self = this.me.kind === 'user' && this.me.id === u.id;
    const ok = await confirmDialog({
      title: `Disable ${u.email}?`,
      message: `${self ? 'You' : 'They'} are signed out at once, and ${self ? 'your' : 'their'} tokens stop working until an admin enables the account again.`,
      confirmLabel: 'Disable',
      danger: true,
    });
    if (ok) this.change(u, { disabled: true }, `Disabled ${u.email}`);
  }

  async change(u, patch, done, undo = () => {}) {
    try {
      await api.updateUser(u.id, patch);
      announce(done, { tone: 'success' });
    } catch (err) {
      undo();
      announce(`Could not change ${u.email}: ${err.message}`, { tone: 'error' });
    }
    this.load();
  }
}

/** The runners the API has seen: online, and when last. */
class RunnersSection {
  constructor() {
    this.list = h('ul', { class: 'admin-list', attrs: { role: 'list', 'aria-label': 'Runners' } });
    const refresh = button('Refresh', { icon: 'refresh', variant: 'ghost', small: true, onClick: () => this.load(), attrs: { 'data-action': 'refresh-runners' } });
    this.element = section('runners', 'Runners', 'Machines that run jobs. A runner is online while it keeps asking for work.', h('div', { class: 'admin-toolbar' }, refresh), this.list);
  }

  async load() {
    try {
      const { runners } = await api.listRunners();
      replaceChildren(this.list, runners.length ? runners.map((r) => row(r.name,
        [r.online ? badge('Online', 'success') : badge('Offline', 'muted')],
        [r.last_seen ? h('span', {}, 'Last seen ', timeEl(r.last_seen)) : 'Never seen'], [], { runner: r.name }))
        : h('li', { class: 'muted empty-row', text: 'No runner has connected yet.' }));
    } catch (err) {
      replaceChildren(this.list, h('li', { class: 'error-text', text: `Could not load the runners: ${err.message}` }));
    }
  }
}

/** The audit log, newest first, a page at a time. */
class AuditSection {
  constructor() {
    this.list = h('ol', { class: 'admin-list audit-list', attrs: { 'aria-label': 'Audit log, newest first' } });
    this.more = button('Load more', { variant: 'secondary', onClick: () => this.load(this.cursor), attrs: { 'data-action': 'audit-more' } });
    this.more.classList.add('load-more');
    this.more.hidden = true;
    this.status = h('p', { class: 'muted', attrs: { role: 'status' } });
    const refresh = button('Refresh', { icon: 'refresh', variant: 'ghost', small: true, onClick: () => this.load(), attrs: { 'data-action': 'refresh-audit' } });
    this.element = section('audit', 'Audit log', 'Sign-ins, invites, role changes, tokens, deleted documents and cancelled jobs.',
      h('div', { class: 'admin-toolbar' }, refresh), this.list, this.status, this.more);
  }

  /** The first page, or with `cursor` the next one after what is shown. */
  async load(cursor = null) {
    this.more.disabled = true;
    try {
      const page = await api.listAudit({ limit: AUDIT_PAGE, cursor });
      const rows = page.entries.map((e) => h('li', { class: 'audit-entry' },
        h('span', { class: 'audit-when' }, timeEl(e.at)),
        h('span', { class: 'audit-what' }, h('strong', { text: e.actor }), auditText(e)),
        e.client && h('span', { class: 'audit-client muted', text: `from ${e.client}` })));
      if (cursor) this.list.append(...rows); else replaceChildren(this.list, rows);
      this.cursor = page.next_cursor;
      this.more.hidden = !page.next_cursor;
      this.status.textContent = this.list.children.length ? '' : 'Nothing recorded yet.';
      if (cursor) announce(`Loaded ${rows.length} older entries`);
    } catch (err) {
      this.status.textContent = `Could not load the audit log: ${err.message}`;
    } finally {
      this.more.disabled = false;
    }
  }
}
