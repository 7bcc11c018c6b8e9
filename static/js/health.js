// The header's service health: healthy, or degraded with the API's reason (e.g. jobs queued and
// no runner online); runners online, running and queued jobs against the concurrency limit, and
// the jobs waiting for a usage limit while there are any. It polls nothing itself: it shows each
// snapshot of the page's job state (jobstate.js), the same snapshot the jobs panel shows, so the
// two always give the same counts.

import { h, replaceChildren } from './dom.js';

export class HealthIndicator {
  /** `state` is the page's JobState. */
  constructor(container, state) {
    this.container = container;
    state.subscribe((snapshot) => this.render(snapshot));
  }

  render({ health, healthError, counts }) {
    if (!health) {
      this.renderDown(healthError);
      return;
    }
    const runners = Number(health.runners_online ?? 0);
    const max = Number(health.max_concurrent_jobs ?? 0);
    const healthy = health.status === 'healthy';
    const label = healthy ? 'Healthy' : capitalize(String(health.status ?? 'Unknown'));
    const text = !healthy && health.reason ? `${label}: ${health.reason}` : label;
    const title = [!healthy && health.reason ? text : null, health.version ? `API version ${health.version}` : null].filter(Boolean).join(' · ');
    replaceChildren(this.container,
      h('span', { class: ['health-pill', healthy ? 'is-ok' : 'is-warn'], title: title || null, dataset: { status: String(health.status ?? '') } },
        h('span', { class: 'health-dot', attrs: { 'aria-hidden': 'true' } }),
        h('span', { class: 'health-pill-text', text })),
      stat('Runners', String(runners), runners === 0 ? 'warn' : null, 'runners', ' online'),
      stat('Running', max ? `${counts.running} / ${max}` : String(counts.running), null, 'running'),
      stat('Queued', String(counts.queued), null, 'queued'),
      // Only while jobs wait for a usage limit to reset: rare, and worth seeing then.
      counts.waiting > 0 && stat('Waiting', String(counts.waiting), 'warn', 'waiting', '', 'Jobs waiting for a Claude usage limit to reset'));
    this.container.title = runners === 0 ? 'No runner is online: new jobs wait in the queue until one connects.' : '';
  }

  renderDown(err) {
    replaceChildren(this.container,
      h('span', { class: ['health-pill', 'is-down'] },
        h('span', { class: 'health-dot', attrs: { 'aria-hidden': 'true' } }),
        h('span', { text: 'API unreachable' })));
    this.container.title = err?.message ?? '';
  }
}

function stat(label, value, tone, key, suffix = '', title = null) {
  return h('span', { class: ['health-stat', tone && `is-${tone}`], dataset: { stat: key }, title },
    h('span', { class: 'health-stat-label', text: label }),
    h('span', { class: 'health-stat-value', text: value }),
    suffix && h('span', { class: 'health-stat-suffix', text: suffix }));
}

function capitalize(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}
