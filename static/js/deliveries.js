// The admin page's webhook deliveries (GET /api/webhooks/deliveries): whether and where finished
// jobs are being sent, then each delivery, newest first (all, or one state), with its state, how
// many attempts it took, the last answer or error and when it is tried next; its attempts one by
// one on demand. "Send test" queues a `webhook.test` delivery (POST /api/webhooks/test); "Send
// again" gives a failed delivery a new day of attempts (POST /api/webhooks/deliveries/{id}/retry).

import * as api from './api.js';
import { h, button, announce, timeEl, formatDuration, replaceChildren } from './dom.js';
import { section, row, badge } from './tokens.js';
import { jobTitle, JOB_TYPES } from './jobs.js';

const PAGE = 20;
const JOB_ENDED = { completed: 'Job completed', failed: 'Job failed', cancelled: 'Job cancelled' };
/** The state filter: value and label. */
const SHOWN = [['', 'All deliveries'], ['pending', 'Pending'], ['delivered', 'Delivered'], ['failed', 'Failed']];
/** A retry this late (ms past its time) reads "Overdue by …" rather than "Due now". */
const OVERDUE_AFTER_MS = 60_000;

/** What an attempt came to, in words: "HTTP 500", or the error. */
export const attemptText = (a) => (a.status_code ? `HTTP ${a.status_code}` : a.error ?? 'no answer');

/** What a delivery is about: the job it reports (type and title), or a test. */
function subject(d) {
  const job = d.payload?.job;
  if (d.event === 'webhook.test' || !job) return 'Test delivery';
  return `${JOB_TYPES[job.type] ?? 'Job'} “${jobTitle(job)}”`;
}

/** What an empty list means. */
function emptyText(page, state) {
  if (state) return `No ${state} deliveries${page.next_cursor ? ' among the latest: load more to look further back' : ''}.`;
  return page.enabled || page.problem ? 'No deliveries yet: they appear here as jobs finish.' : 'Nothing is recorded while webhooks are off.';
}

/** "3 min", "2 h": a span of time as the list words it. */
function span(ms) {
  const min = Math.round(ms / 60_000);
  return min < 60 ? `${min} min` : `${Math.round(min / 60)} h`;
}

/** When a pending delivery is tried next: "Next try in 5 min", "Due now", "Overdue by 3 min". */
export function nextTry(iso, now = Date.now()) {
  const late = now - Date.parse(iso);
  if (!(late >= 0)) return h('span', {}, 'Next try ', timeEl(iso));
  const why = 'Deliveries go out beside the server’s own traffic (runner polls, jobs ending, this page): it goes with the next.';
  return h('span', { class: late >= OVERDUE_AFTER_MS ? 'delivery-overdue' : null, title: why, text: late >= OVERDUE_AFTER_MS ? `Overdue by ${span(late)}` : 'Due now' });
}

export class DeliveriesSection {
  constructor() {
    this.status = h('div', { class: 'webhook-status', attrs: { role: 'status', 'data-testid': 'webhook-status' } });
    this.list = h('ul', { class: 'admin-list', attrs: { role: 'list', 'aria-label': 'Webhook deliveries, newest first' } });
    this.more = button('Load more', { variant: 'secondary', onClick: () => this.load(this.cursor), attrs: { 'data-action': 'deliveries-more' } });
    this.more.classList.add('load-more');
    this.more.hidden = true;
    this.filter = h('select', { class: 'input', id: 'delivery-state', attrs: { 'data-action': 'delivery-state' } },
      SHOWN.map(([value, label]) => h('option', { value, text: label })));
    this.filter.addEventListener('change', () => this.load());
    this.test = button('Send test', { icon: 'send', variant: 'secondary', small: true, onClick: () => this.sendTest(), attrs: { 'data-action': 'webhook-test' } });
    const refresh = button('Refresh', { icon: 'refresh', variant: 'ghost', small: true, onClick: () => this.load(), attrs: { 'data-action': 'refresh-deliveries' } });
    this.element = section('webhooks', 'Webhook deliveries',
      'Each finished job is sent to your webhook, signed, and tried again for up to 24 hours until it is accepted.',
      h('div', { class: ['admin-toolbar', 'deliveries-toolbar'] },
        h('label', { class: 'delivery-filter', attrs: { for: 'delivery-state' } }, 'Show'), this.filter, this.test, refresh),
      this.status, this.list, this.more);
  }

  /** The first page, or with `cursor` the next one after what is shown. */
  async load(cursor = null) {
    this.more.disabled = true;
    const state = this.filter.value;
    try {
      const page = await api.listWebhookDeliveries({ limit: PAGE, cursor, state });
      this.showStatus(page);
      const rows = page.items.map((d) => this.renderDelivery(d));
      if (cursor) this.list.append(...rows);
      else replaceChildren(this.list, rows.length ? rows : h('li', { class: 'muted empty-row', text: emptyText(page, state) }));
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
    this.page = page;
    this.test.disabled = !page.enabled;
    if (page.enabled) {
      replaceChildren(this.status, h('p', { class: 'webhook-target' }, 'Sending to ', h('code', { text: page.target })));
    } else if (page.problem) {
      replaceChildren(this.status, h('div', { class: ['notice', 'notice-warning'] },
        h('p', { class: 'notice-title', text: 'Deliveries are waiting: the webhook settings cannot be used' }),
        h('p', { text: page.problem }),
        h('p', { class: 'muted', text: 'Finished jobs are still recorded. Each waits up to 24 hours for the settings to be fixed, then is given up.' })));
    } else {
      replaceChildren(this.status, h('p', { class: 'muted webhook-target', text: 'Webhooks are off. Set webhook_url, webhook_secret and webhook_outbound_host on the server to send each finished job to another system.' }));
    }
  }

  /** The badge, and why a delivery waits or is not delivered, as the settings stand. */
  stateOf(d) {
    const tried = d.attempts.length > 0;
    if (d.state === 'delivered') return [badge('Delivered', 'success')];
    if (d.state === 'failed') return [badge('Not delivered', 'danger'), !tried && 'Never sent: given up after 24 hours'];
    if (!this.page.enabled) {
      const why = this.page.problem ? 'until the webhook settings are fixed' : 'until webhooks are turned on';
      return [badge('Waiting', 'neutral'), `Waits ${why}`];
    }
    return tried ? [badge('Retrying', 'warning'), d.next_attempt_at && nextTry(d.next_attempt_at)] : [badge('Sending', 'info')];
  }

  renderDelivery(d) {
    const last = d.attempts.at(-1);
    const [stateBadge, why] = this.stateOf(d);
    const meta = [
      JOB_ENDED[d.payload?.job?.status],
      h('span', {}, 'Queued ', timeEl(d.created_at)),
      d.attempts.length ? `${d.attempts.length} ${d.attempts.length === 1 ? 'attempt' : 'attempts'}` : 'Not sent yet',
      last && d.state !== 'delivered' && h('span', { class: 'delivery-error', text: `Last: ${attemptText(last)}` }),
      why,
    ];
    const again = d.state === 'failed' && button('Send again', {
      icon: 'send', variant: 'secondary', small: true, onClick: () => this.sendAgain(d, again),
      title: this.page.enabled ? 'Try it again, for up to 24 more hours' : 'Fix the webhook settings first',
      attrs: { 'data-action': 'retry-delivery', 'aria-label': `Send again: ${subject(d)}` },
    });
    if (again) again.disabled = !this.page.enabled;
    const item = row(subject(d), [stateBadge], meta, [again], { deliveryId: d.id, state: d.state });
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

  async sendAgain(d, control) {
    control.disabled = true;
    try {
      await api.retryWebhookDelivery(d.id);
      announce(`${subject(d)}: sending again`, { tone: 'success' });
    } catch (err) {
      announce(`Could not send it again: ${err.message}`, { tone: 'error' });
    }
    await this.load();
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
