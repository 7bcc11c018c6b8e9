// The admin page's webhook deliveries (GET /api/webhooks/deliveries): whether and where finished
// jobs are being sent, then each delivery, newest first, with its state, how many attempts it
// took, the last answer or error and when it is tried next; its attempts one by one on demand.
// "Send test" queues a `webhook.test` delivery (POST /api/webhooks/test).

import * as api from './api.js';
import { h, button, announce, timeEl, formatDuration, replaceChildren } from './dom.js';
import { section, row, badge } from './tokens.js';
import { jobTitle, JOB_TYPES } from './jobs.js';

const PAGE = 20;
/** How a delivery's state reads: pending is "Sending" until its first attempt, then "Retrying". */
const STATES = { delivered: ['Delivered', 'success'], failed: ['Not delivered', 'danger'] };
const JOB_ENDED = { completed: 'Job completed', failed: 'Job failed', cancelled: 'Job cancelled' };

/** What an attempt came to, in words: "HTTP 500", or the error. */
export const attemptText = (a) => (a.status_code ? `HTTP ${a.status_code}` : a.error ?? 'no answer');

/** What a delivery is about: the job it reports (type and title), or a test. */
function subject(d) {
  const job = d.payload?.job;
  if (d.event === 'webhook.test' || !job) return 'Test delivery';
  return `${JOB_TYPES[job.type] ?? 'Job'} “${jobTitle(job)}”`;
}

/** What an empty list means. */
const emptyText = (page) => (page.enabled || page.problem ? 'No deliveries yet: they appear here as jobs finish.' : 'Nothing is recorded while webhooks are off.');

function stateBadge(d) {
  const [label, tone] = STATES[d.state] ?? (d.attempts.length ? ['Retrying', 'warning'] : ['Sending', 'info']);
  return badge(label, tone);
}

export class DeliveriesSection {
  constructor() {
    this.status = h('div', { class: 'webhook-status', attrs: { role: 'status', 'data-testid': 'webhook-status' } });
    this.list = h('ul', { class: 'admin-list', attrs: { role: 'list', 'aria-label': 'Webhook deliveries, newest first' } });
    this.more = button('Load more', { variant: 'secondary', onClick: () => this.load(this.cursor), attrs: { 'data-action': 'deliveries-more' } });
    this.more.classList.add('load-more');
    this.more.hidden = true;
    this.test = button('Send test', { icon: 'send', variant: 'secondary', small: true, onClick: () => this.sendTest(), attrs: { 'data-action': 'webhook-test' } });
    const refresh = button('Refresh', { icon: 'refresh', variant: 'ghost', small: true, onClick: () => this.load(), attrs: { 'data-action': 'refresh-deliveries' } });
    this.element = section('webhooks', 'Webhook deliveries',
      'Each finished job is sent to your webhook, signed, and tried again for up to 24 hours until it is accepted.',
      h('div', { class: 'admin-toolbar' }, this.test, refresh), this.status, this.list, this.more);
  }

  /** The first page, or with `cursor` the next one after what is shown. */
  async load(cursor = null) {
    this.more.disabled = true;
    try {
      const page = await api.listWebhookDeliveries({ limit: PAGE, cursor });
      this.showStatus(page);
      const rows = page.items.map((d) => this.renderDelivery(d));
      if (cursor) this.list.append(...rows);
      else replaceChildren(this.list, rows.length ? rows : h('li', { class: 'muted empty-row', text: emptyText(page) }));
      this.cursor = page.next_cursor;
      this.more.hidden = !page.next_cursor;
      if (cursor) announce(`Loaded ${rows.length} older deliveries`);
    } catch (err) {
      replaceChildren(this.status, h('p', { class: ['notice', 'notice-error'], text: `Could not load the deliveries: ${err.message}` }));
    } finally {
      this.more.disabled = false;
    }
  }

  showStatus(page) {
    this.test.disabled = !page.enabled;
    if (page.enabled) {
      replaceChildren(this.status, h('p', { class: 'webhook-target' }, 'Sending to ', h('code', { text: page.target })));
    } else if (page.problem) {
      replaceChildren(this.status, h('div', { class: ['notice', 'notice-warning'] },
        h('p', { class: 'notice-title', text: 'Deliveries are waiting: the webhook settings cannot be used' }),
        h('p', { text: page.problem })));
    } else {
      replaceChildren(this.status, h('p', { class: 'muted webhook-target', text: 'Webhooks are off. Set webhook_url, webhook_secret and webhook_outbound_host on the server to send each finished job to another system.' }));
    }
  }

  renderDelivery(d) {
    const last = d.attempts.at(-1);
    const meta = [
      JOB_ENDED[d.payload?.job?.status],
      h('span', {}, 'Queued ', timeEl(d.created_at)),
      d.attempts.length ? `${d.attempts.length} ${d.attempts.length === 1 ? 'attempt' : 'attempts'}` : 'Not sent yet',
      last && d.state !== 'delivered' && h('span', { class: 'delivery-error', text: `Last: ${attemptText(last)}` }),
      d.next_attempt_at && d.attempts.length > 0 && h('span', {}, 'Next try ', timeEl(d.next_attempt_at)),
    ];
    const item = row(subject(d), [stateBadge(d)], meta, [], { deliveryId: d.id, state: d.state });
    if (d.attempts.length) item.append(this.attempts(d));
    return item;
  }

  /** The attempts, oldest first, behind a disclosure. */
  attempts(d) {
    const list = h('ol', { class: 'attempt-list' }, d.attempts.map((a, i) => h('li', { class: 'attempt' },
      h('span', { class: 'attempt-n', text: `#${i + 1}` }),
      timeEl(a.at),
      h('span', { class: ['attempt-result', a.status_code >= 200 && a.status_code < 300 ? 'is-ok' : 'is-bad'], text: attemptText(a) }),
      h('span', { class: 'muted', text: a.duration_ms < 1000 ? `${a.duration_ms} ms` : formatDuration(a.duration_ms) }))));
    return h('details', { class: 'delivery-attempts' },
      h('summary', { text: 'Attempts' }),
      h('p', { class: 'muted delivery-id' }, 'Delivery ', h('code', { text: d.id }), ' (sent as X-CWM-Delivery)'),
      list);
  }

  async sendTest() {
    this.test.disabled = true;
    try {
      await api.testWebhook();
      announce('Test delivery queued', { tone: 'success' });
    } catch (err) {
      announce(`Could not queue a test: ${err.message}`, { tone: 'error' });
    }
    await this.load();
  }
}
