// Form pieces shared by the generate dialogs, the sign-in screens and the admin page: a labelled
// field with its hint and error line, and a notice for what the API refused.

import { h, icon, replaceChildren } from './dom.js';

let uid = 0;

/** A labelled field: label, control, optional hint and an error line tied by aria-describedby. */
export function field(label, control, { hint, required = false } = {}) {
  const id = control.id || `f-${++uid}`;
  control.id = id;
  const hintEl = hint && h('p', { class: 'field-hint', id: `${id}-hint`, text: hint });
  const errorEl = h('p', { class: 'field-error', id: `${id}-error` });
  // A text field with a length limit says so once it is reached (a longer paste is cut there).
  const limited = control.tagName === 'INPUT' && control.type === 'text' && control.maxLength > 0;
  const limitEl = limited && h('p', { class: 'field-limit', id: `${id}-limit`, attrs: { 'aria-live': 'polite' } });
  if (limited) {
    control.addEventListener('input', () => {
      const full = control.value.length >= control.maxLength;
      limitEl.textContent = full ? `${control.maxLength.toLocaleString('en-US')} characters at most: anything longer is cut.` : '';
    });
  }
  control.setAttribute('aria-describedby', [hint && `${id}-hint`, limited && `${id}-limit`, `${id}-error`].filter(Boolean).join(' '));
  if (required) control.setAttribute('aria-required', 'true');
  const wrap = h('div', { class: 'field' },
    h('label', { class: 'field-label', htmlFor: id }, label, required && h('span', { class: 'req', attrs: { 'aria-hidden': 'true' }, text: ' *' })),
    control, hintEl, limitEl, errorEl);
  wrap.control = control;
  // A fixed field stops being flagged as soon as the user changes it.
  control.addEventListener(control.tagName === 'SELECT' ? 'change' : 'input', () => wrap.setError(null));
  wrap.setError = (msg) => {
    errorEl.textContent = msg ?? '';
    if (msg) control.setAttribute('aria-invalid', 'true'); else control.removeAttribute('aria-invalid');
  };
  return wrap;
}

/** Shows `message` in `host` (a `role="alert"` element) as an error notice; empty clears it. */
export function showFormError(host, message) {
  replaceChildren(host, message && h('div', { class: 'notice notice-error' }, icon('close'), h('p', { text: message })));
}
