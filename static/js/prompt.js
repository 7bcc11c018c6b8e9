// The prompt a job was given (editors): the instruction file it was rendered from, with its
// SHA-256, and the full text, so a result can be traced to what asked for it.

import * as api from './api.js';
import { h, replaceChildren } from './dom.js';
import { dialogShell, openDialog } from './dialogs.js';

/** Shows the prompt of `job` in a dialog. */
export async function showPrompt(job) {
  const body = h('div', { class: 'dialog-body' }, h('p', { class: 'muted loading', text: 'Loading…' }));
  const dialog = dialogShell({ title: 'The prompt of this job', className: 'dialog-prompt', body });
  const closed = openDialog(dialog);
  try {
    const p = await api.getJobPrompt(job.id);
    replaceChildren(body,
      p.template && h('p', { class: 'prompt-template' },
        'Rendered from ', h('code', { text: `instructions/${p.template.name}` }),
        ', version ', h('code', { class: 'prompt-sha', attrs: { title: p.template.sha256 }, text: p.template.sha256.slice(0, 12) })),
      h('pre', { class: 'prompt-text', attrs: { tabindex: '0', 'aria-label': 'Prompt' }, text: p.prompt }));
  } catch (err) {
    replaceChildren(body, h('div', { class: 'notice notice-error', text: `Could not load the prompt: ${err.message}` }));
  }
  await closed;
  dialog.remove();
}
