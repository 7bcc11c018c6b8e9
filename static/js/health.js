// The header's service health: healthy, or degraded with the API's reason (e.g. jobs queued and
// no runner online); runners online, running and queued jobs against the concurrency limit, from
// GET /health every few seconds (paused while the page is hidden).

import * as api from './api.js';
import { h, replaceChildren } from './dom.js';

const POLL_MS = 5000;

export class HealthIndicator {
  constructor(container, { onUpdate } = {}) {
    this.container = container;
    this.onUpdate = onUpdate;
    this.timer = null;
    this.lastOk = null;
    this.enabled = true;
    document.addEventListener('visibilitychange', () => (document.hidden ? this.stop() : this.start()));
  }

  start() {
    if (this.timer !== null || !this.enabled) return;
    this.timer = 0;
    this.tick();
  }

  /** Checks again now (e.g. when the jobs list shows the counts have moved). */
  refresh() {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = 0;
    this.tick();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stops polling until `resume` (while nobody is signed in). */
  pause() {
    this.enabled = false;
    this.stop();
  }

  resume() {
    this.enabled = true;
    this.start();
  }

  async tick() {
    try {
      this.render(await api.health());
    } catch (err) {
      this.renderDown(err);
    }
    if (this.timer !== null) this.timer = setTimeout(() => this.tick(), POLL_MS);
  }

  render(data) {
    const runners = Number(data.runners_online ?? 0);
    const running = Number(data.active_jobs ?? 0);
    const queued = Number(data.queued_jobs ?? 0);
    const max = Number(data.max_concurrent_jobs ?? 0);
    const healthy = data.status === 'healthy';
    const label = healthy ? 'Healthy' : capitalize(String(data.status ?? 'Unknown'));
    const text = !healthy && data.reason ? `${label}: ${data.reason}` : label;
    this.lastOk = data;
    const title = [!healthy && data.reason ? text : null, data.version ? `API version ${data.version}` : null].filter(Boolean).join(' · ');
    replaceChildren(this.container,
      h('span', { class: ['health-pill', healthy ? 'is-ok' : 'is-warn'], title: title || null, dataset: { status: String(data.status ?? '') } },
        h('span', { class: 'health-dot', attrs: { 'aria-hidden': 'true' } }),
        h('span', { class: 'health-pill-text', text })),
      stat('Runners', String(runners), runners === 0 ? 'warn' : null, 'runners', ' online'),
      stat('Running', max ? `${running} / ${max}` : String(running), null, 'running'),
      stat('Queued', String(queued), null, 'queued'));
    this.container.title = runners === 0 ? 'No runner is online: new jobs wait in the queue until one connects.' : '';
    this.onUpdate?.(data);
  }

  renderDown(err) {
    replaceChildren(this.container,
      h('span', { class: ['health-pill', 'is-down'] },
        h('span', { class: 'health-dot', attrs: { 'aria-hidden': 'true' } }),
        h('span', { text: 'API unreachable' })));
    this.container.title = err.message;
    this.onUpdate?.(null);
  }
}

function stat(label, value, tone, key, suffix = '') {
  return h('span', { class: ['health-stat', tone && `is-${tone}`], dataset: { stat: key } },
    h('span', { class: 'health-stat-label', text: label }),
    h('span', { class: 'health-stat-value', text: value }),
    suffix && h('span', { class: 'health-stat-suffix', text: suffix }));
}

function capitalize(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}
