// The header's account menu: who is signed in (an email, or "admin" for the holder of the admin
// token or a sign-in link), their role, a way to their API tokens or the admin page, the opt-in
// for desktop notifications when their jobs finish (notify.js), and "Sign out". A disclosure:
// the button opens a panel, Escape or a click elsewhere closes it.

import { h, icon, announce, replaceChildren } from './dom.js';

export const ROLE_LABELS = { viewer: 'Viewer', editor: 'Editor', admin: 'Admin' };

const VIA_LABELS = {
  session: 'signed in in this browser',
  token: 'using an API token',
  admin_token: 'using the admin token',
  proxy: 'signed in by the identity proxy',
  off: 'sign-in is turned off on this server',
};

const STATE_LABELS = { on: 'On', off: 'Off', blocked: 'Blocked', unavailable: 'Unavailable' };

/** Why notifications cannot be on, in words (shown under the toggle, not only on hover). */
const NOTIFY_HELP = {
  blocked: 'Your browser blocks notifications from this site. Allow them in the site settings (the icon beside the address), then turn this on.',
  unavailable: 'This browser cannot show notifications from this page (Chrome on Android shows them only for installed apps). Follow your jobs in the Jobs panel instead.',
};

/** How the header names `me`. */
export const whoLabel = (me) => (me.kind === 'admin' ? 'admin' : me.email ?? me.id ?? 'user');

export class UserMenu {
  /** `onSignOut()` runs when the user asks to sign out; `notifier` is a JobNotifier. */
  constructor(container, { onSignOut, notifier }) {
    this.container = container;
    this.onSignOut = onSignOut;
    this.notifier = notifier;
    document.addEventListener('click', (e) => { if (this.isOpen && !this.container.contains(e.target)) this.setOpen(false); });
    // Tabbing out of the menu closes it too.
    container.addEventListener('focusout', (e) => { if (this.isOpen && e.relatedTarget && !container.contains(e.relatedTarget)) this.setOpen(false); });
    container.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.isOpen) {
        e.stopPropagation();
        this.setOpen(false);
        this.toggle.focus();
      }
    });
  }

  get isOpen() {
    return this.toggle?.getAttribute('aria-expanded') === 'true';
  }

  setOpen(on) {
    this.toggle.setAttribute('aria-expanded', String(on));
    this.panel.hidden = !on;
    if (on) this.showNotify?.();
  }

  render(me) {
    const who = whoLabel(me);
    const role = ROLE_LABELS[me.role] ?? me.role;
    this.toggle = h('button', {
      type: 'button', class: 'user-menu-toggle',
      attrs: { 'aria-expanded': 'false', 'aria-controls': 'user-menu-panel', 'data-testid': 'user-menu' },
      on: { click: () => this.setOpen(!this.isOpen) },
    },
    h('span', { class: 'avatar', attrs: { 'aria-hidden': 'true' }, text: who.slice(0, 1).toUpperCase() }),
    h('span', { class: 'user-menu-name', text: who }),
    h('span', { class: ['role-badge', `role-${me.role}`], text: role }),
    icon('chevron'));
    const page = me.role === 'admin' ? ['#admin', 'Administration'] : ['#tokens', 'API tokens'];
    const signOut = h('button', { type: 'button', class: 'menu-item', attrs: { 'data-action': 'sign-out' }, on: { click: () => { this.setOpen(false); this.onSignOut(); } } },
      icon('back'), h('span', { text: 'Sign out' }));
    this.panel = h('div', { class: 'user-menu-panel', id: 'user-menu-panel', hidden: true },
      h('div', { class: 'user-menu-who' },
        h('p', { class: 'user-menu-email', dataset: { testid: 'who' }, text: who }),
        h('p', { class: 'muted' }, h('span', { dataset: { testid: 'role' }, text: role }), ` · ${VIA_LABELS[me.via] ?? me.via}`)),
      h('a', { class: 'menu-item', href: page[0], attrs: { 'data-action': 'open-access' }, on: { click: () => this.setOpen(false) } }, icon('logs'), h('span', { text: page[1] })),
      ...this.notifyToggle(),
      // Only a browser session can be ended from here; a token or a proxy stays valid.
      me.via === 'session' && signOut);
    replaceChildren(this.container, this.toggle, this.panel);
  }

  /** "Notify me when my jobs finish": on, off, or why it cannot be on, said in words below it. */
  notifyToggle() {
    const notifier = this.notifier;
    if (!notifier?.supported) return [];
    const state = h('span', { class: 'menu-item-state', attrs: { 'data-testid': 'notify-state' } });
    const help = h('p', { class: 'menu-item-help', id: 'notify-help', attrs: { 'data-testid': 'notify-help' } });
    const item = h('button', { type: 'button', class: 'menu-item', attrs: { 'data-action': 'notify-toggle', 'aria-describedby': 'notify-help' } },
      icon('bell'), h('span', { text: 'Notify me when my jobs finish' }), state);
    this.showNotify = () => {
      const now = notifier.state;
      item.setAttribute('aria-pressed', String(now === 'on'));
      state.textContent = STATE_LABELS[now] ?? '';
      help.textContent = NOTIFY_HELP[now] ?? '';
    };
    item.addEventListener('click', async () => {
      const was = notifier.state;
      const now = was === 'on' ? notifier.disable() : await notifier.enable();
      this.showNotify();
      if (now === 'on') announce('You will get a desktop notification when a job you submitted finishes', { tone: 'success' });
      else if (now === 'blocked' || now === 'unavailable') announce(NOTIFY_HELP[now], { tone: 'error' });
      else if (was === 'on') announce('Job notifications are off');
    });
    this.showNotify();
    return [item, help];
  }
}
