// Modal dialogs on the native <dialog> element: focus moves in on open, Tab and Shift+Tab stay
// inside, Escape closes (unless the caller vetoes), and focus returns to the opener on close.

import { h, button } from './dom.js';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"]), summary';

function focusables(root) {
  return [...root.querySelectorAll(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
}

/** For a keydown in `root`: keeps Tab and Shift+Tab cycling through `root`'s controls. */
export function keepFocusInside(root, event) {
  if (event.key !== 'Tab') return;
  const items = focusables(root);
  if (!items.length) { event.preventDefault(); return; }
  const first = items[0];
  const last = items[items.length - 1];
  if (event.shiftKey && (document.activeElement === first || !root.contains(document.activeElement))) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (document.activeElement === last || !root.contains(document.activeElement))) {
    event.preventDefault();
    first.focus();
  }
}

/**
 * Opens `dialog` modally. `onRequestClose` (optional) may return false (or a promise of false)
 * to keep it open when the user presses Escape or a close button. Resolves when it closes.
 */
export function openDialog(dialog, { initialFocus, onRequestClose } = {}) {
  const opener = document.activeElement;
  if (!dialog.isConnected) document.body.append(dialog);
  if (!dialog.dataset.trapped) {
    dialog.dataset.trapped = '1';
    dialog.addEventListener('keydown', (event) => keepFocusInside(dialog, event));
    dialog.addEventListener('cancel', async (event) => {
      event.preventDefault();
      const hook = dialog._onRequestClose;
      if (!hook || (await hook()) !== false) dialog.close('cancel');
    });
  }
  dialog._onRequestClose = onRequestClose;
  dialog.showModal();
  const target = typeof initialFocus === 'string' ? dialog.querySelector(initialFocus) : initialFocus;
  (target ?? focusables(dialog)[0] ?? dialog).focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(dialog.returnValue);
    }, { once: true });
  });
}

/** Asks the dialog to close, honouring its `onRequestClose` veto. */
export async function requestClose(dialog) {
  const hook = dialog._onRequestClose;
  if (!hook || (await hook()) !== false) dialog.close('cancel');
}

/** A dialog shell: title, optional description, body and a close button. */
export function dialogShell({ title, description, className, body, labelId }) {
  const id = labelId ?? `dlg-${Math.random().toString(36).slice(2, 9)}`;
  const dialog = h('dialog', { class: ['dialog', className], attrs: { 'aria-labelledby': `${id}-title` } });
  const closeBtn = button('Close', { icon: 'close', variant: 'ghost', iconOnly: true, onClick: () => requestClose(dialog) });
  closeBtn.classList.add('dialog-close');
  dialog.append(
    h('header', { class: 'dialog-header' },
      h('div', {},
        h('h2', { id: `${id}-title`, class: 'dialog-title', text: title }),
        description && h('p', { class: 'dialog-description', text: description })),
      closeBtn),
    body,
  );
  return dialog;
}

/** Asks a yes/no question; resolves to true if confirmed. */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false }) {
  const cancel = button('Cancel', { variant: 'secondary' });
  const ok = button(confirmLabel, { variant: danger ? 'danger' : 'primary' });
  const body = h('div', { class: 'dialog-body' },
    h('p', { text: message }),
    h('div', { class: 'dialog-actions' }, cancel, ok));
  const dialog = dialogShell({ title, body, className: 'dialog-confirm' });
  dialog.setAttribute('role', 'alertdialog');
  cancel.addEventListener('click', () => dialog.close('cancel'));
  ok.addEventListener('click', () => dialog.close('confirm'));
  return openDialog(dialog, { initialFocus: cancel }).then((value) => {
    dialog.remove();
    return value === 'confirm';
  });
}
