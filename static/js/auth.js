// The signed-out screens, shown instead of the app: signing in with email and password, setting
// a password from an invite link (`#invite=<secret>`), and exchanging a one-time sign-in link
// (`#signin=<code>`, which `runner up` prints). Each resolves with the API's `Me` once someone is
// signed in; the session itself is an HttpOnly cookie the browser keeps.

import * as api from './api.js';
import { h, button, replaceChildren } from './dom.js';
import { field, showFormError } from './forms.js';

/** Shortest password the API accepts. */
export const MIN_PASSWORD_CHARS = 10;

/** `{invite}` or `{signin}` from the address bar's fragment, or null. */
export function readAuthFragment(hash = location.hash) {
  const m = /^#(invite|signin)=([^&]+)$/.exec(hash);
  if (!m) return null;
  return { [m[1]]: decodeURIComponent(m[2]) };
}

/** Takes a one-time secret out of the address bar (and so out of history and reloads). */
export function dropFragment() {
  history.replaceState(null, '', location.pathname + location.search);
}

/** "15 minutes" from seconds, for "try again in …". */
function waitText(seconds) {
  if (seconds < 60) return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
}

/** What to tell someone whose sign-in the API refused. */
export function signInError(err) {
  if (err.status === 401) return 'Wrong email or password.';
  if (err.status === 429) {
    return err.retryAfter
      ? `Too many failed sign-ins. Try again in ${waitText(err.retryAfter)}.`
      : 'Too many failed sign-ins. Wait a few minutes, then try again.';
  }
  if (err.status === 403) return `${sentence(err.message)} Ask an admin to enable it.`;
  return sentence(err.message);
}

const sentence = (s) => {
  const t = String(s ?? '').trim();
  if (!t) return 'Something went wrong.';
  return t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.');
};

export class AuthScreen {
  /** `root` is the screen's <main>; `onShow(kind)` runs when it shows 'signin' or 'accept'. */
  constructor(root, { onShow }) {
    this.root = root;
    this.onShow = onShow;
  }

  /** Shows the sign-in form; resolves with `Me` when the user has signed in. */
  showSignIn({ notice = null, error = null } = {}) {
    return new Promise((resolve) => {
      const email = field('Email', h('input', { class: 'input', type: 'email', autocomplete: 'username', spellcheck: false, name: 'email' }), { required: true });
      const password = field('Password', h('input', { class: 'input', type: 'password', autocomplete: 'current-password', name: 'password' }), { required: true });
      const formError = h('div', { class: 'form-error', attrs: { role: 'alert' } });
      const submit = button('Sign in', { variant: 'primary', type: 'submit', attrs: { 'data-action': 'sign-in' } });
      const form = h('form', { class: 'auth-form', noValidate: true, attrs: { 'aria-labelledby': 'auth-title' } },
        formError, email, password, h('div', { class: 'auth-actions' }, submit));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        showFormError(formError, null);
        const address = email.control.value.trim();
        email.setError(address ? null : 'Enter your email address.');
        password.setError(password.control.value ? null : 'Enter your password.');
        if (!address || !password.control.value) {
          (address ? password : email).control.focus();
          return;
        }
        submit.disabled = true;
        try {
          resolve(await api.login(address, password.control.value));
        } catch (err) {
          showFormError(formError, signInError(err));
          password.control.select();
          password.control.focus();
        } finally {
          submit.disabled = false;
        }
      });
      this.render('signin', 'Sign in', 'Brand data, briefs and drafts, written with Claude.', [
        notice && h('p', { class: 'notice notice-info', attrs: { role: 'status' }, text: notice }),
        form,
        h('p', { class: 'auth-help muted', text: 'No account yet? Ask an admin to invite you. Whoever runs the server signs in with the link `runner up` prints.' }),
      ]);
      if (error) showFormError(formError, error);
      email.control.focus();
    });
  }

  /** Shows the form that sets a password from an invite; resolves with `Me` once accepted. */
  showAccept(invite) {
    return new Promise((resolve) => {
      const first = field('New password', h('input', { class: 'input', type: 'password', autocomplete: 'new-password', name: 'new-password' }),
        { required: true, hint: `At least ${MIN_PASSWORD_CHARS} characters. A few unrelated words make a good one.` });
      const second = field('Repeat the password', h('input', { class: 'input', type: 'password', autocomplete: 'new-password', name: 'repeat-password' }), { required: true });
      const formError = h('div', { class: 'form-error', attrs: { role: 'alert' } });
      const submit = button('Set password and sign in', { variant: 'primary', type: 'submit', attrs: { 'data-action': 'accept' } });
      const form = h('form', { class: 'auth-form', noValidate: true, attrs: { 'aria-labelledby': 'auth-title' } },
        formError, first, second, h('div', { class: 'auth-actions' }, submit));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        showFormError(formError, null);
        const pw = first.control.value;
        const short = [...pw].length < MIN_PASSWORD_CHARS;
        first.setError(short ? `Use at least ${MIN_PASSWORD_CHARS} characters.` : null);
        second.setError(!short && second.control.value !== pw ? 'The passwords do not match.' : null);
        if (short) return first.control.focus();
        if (second.control.value !== pw) return second.control.focus();
        submit.disabled = true;
        try {
          const me = await api.acceptInvite(invite, pw);
          dropFragment();
          resolve(me);
        } catch (err) {
          showFormError(formError, sentence(err.message));
          submit.disabled = false;
        }
      });
      const toSignIn = button('Sign in with a password instead', { variant: 'link', small: true, attrs: { 'data-action': 'to-sign-in' }, onClick: () => {
        dropFragment();
        this.showSignIn().then(resolve);
      } });
      this.render('accept', 'Set your password', 'You have been invited to the Workflow Manager. Choose a password to finish setting up your account.', [
        form,
        h('p', { class: 'auth-help muted' }, 'Already set one? ', toSignIn),
      ]);
      first.control.focus();
    });
  }

  /** Exchanges a sign-in link's code for a session; resolves with `Me`, or signs in by form. */
  async useLink(code) {
    dropFragment();
    this.render('signin', 'Signing you in…', 'One moment.', [h('p', { class: 'muted', attrs: { role: 'status' }, text: 'Checking the sign-in link…' })]);
    try {
      return await api.signInWithLink(code);
    } catch (err) {
      // Already signed in (say, the link was opened twice): carry on as that person.
      const current = await api.me().catch(() => null);
      if (current) return current;
      const why = err.status === 400 ? 'This sign-in link is unknown, used or expired: each link works once, for 15 minutes.' : sentence(err.message);
      return this.showSignIn({ error: `${why} Sign in with your password, or ask for a new link.` });
    }
  }

  render(kind, title, sub, body) {
    replaceChildren(this.root, h('div', { class: 'auth-card card' },
      h('h1', { class: 'auth-title', id: 'auth-title', text: title }),
      h('p', { class: 'auth-sub muted', text: sub }),
      body));
    this.onShow(kind);
  }
}
