// The mock's webhook deliveries, after api-component/src/webhooks: every job that ends records a
// `job.finished` delivery of the job as the jobs API shows it (also while the settings cannot be
// used, as on the server), an admin lists them newest first, optionally of one state
// (GET /api/webhooks/deliveries), queues tests (POST /api/webhooks/test) and sends a failed one
// again (POST /api/webhooks/deliveries/{id}/retry: it moves to the top, pending). Sending is
// simulated: each new (or resent) delivery is tried at once against a pretend receiver whose
// answer tests set, and tried again only when a test says so. Controls (no credential needed):
//   POST /__mock/webhooks/receiver/<status>   what the receiver answers (0: the connection is refused)
//   POST /__mock/webhooks/retry               one more attempt for every pending delivery
//   POST /__mock/webhooks/expire              pending deliveries give up (as after 24 hours)
//   POST /__mock/webhooks/overdue/<minutes>   pending retries were due that many minutes ago
//   POST /__mock/webhooks/off | .../broken | .../on   webhook settings: unset, misconfigured, fine

import crypto from 'node:crypto';

const TARGET = 'https://hooks.example.com:443';
const BROKEN = 'webhook_url is on https://hooks.example.com:443, but webhook_outbound_host allows only https://hooks.example.org:443';
const OFF = 'webhooks are off: set webhook_url, webhook_secret and webhook_outbound_host';
const STATES = ['pending', 'delivered', 'failed'];
const FIRST_DELAY_MS = 30_000;
const MAX_DELAY_MS = 3_600_000;
/** Slots one listing reads at most beyond a page, as on the server. */
const MAX_SLOTS_PER_PAGE = 2000;

export function createWebhooks({ HttpError, audit }) {
  /** Oldest first; a delivery's slot is its place here plus one. A resent one leaves a hole. */
  const slots = [];
  let settings = 'on';
  let receiver = 200;

  const iso = (ms = Date.now()) => new Date(ms).toISOString();

  function append(d) {
    slots.push(d);
    if (settings === 'on') attempt(d);
    return d;
  }

  function record(event, job) {
    return append({
      id: `dlv_${crypto.randomBytes(16).toString('hex')}`, event, job_id: job?.id ?? null, created_at: iso(), state: 'pending',
      attempts: [], next_attempt_at: iso(), payload: { event, job: job ?? null },
    });
  }

  /** One try against the pretend receiver, as the server's pass records it. */
  function attempt(d) {
    const now = Date.now();
    const ok = receiver >= 200 && receiver < 300;
    d.attempts.push({ at: iso(now), status_code: receiver || null, error: receiver ? null : 'connection refused', duration_ms: 40 + d.attempts.length * 7 });
    if (ok) {
      d.state = 'delivered';
      d.next_attempt_at = null;
    } else {
      d.next_attempt_at = iso(now + Math.min(FIRST_DELAY_MS * 2 ** (d.attempts.length - 1), MAX_DELAY_MS));
    }
  }

  /** Newest first from slot `top` down, `state` only if given, as `outbox::page` reads. */
  function page(limit, top, state) {
    const items = [];
    const floor = Math.max(0, top - MAX_SLOTS_PER_PAGE - limit);
    let next = top;
    while (next > floor && items.length < limit) {
      const d = slots[next - 1];
      next -= 1;
      if (d && (!state || d.state === state)) items.push(d);
    }
    return {
      items: items.map((d) => structuredClone(d)),
      next_cursor: next > 0 ? String(next) : null,
      enabled: settings === 'on',
      target: settings === 'off' ? null : TARGET,
      problem: settings === 'broken' ? BROKEN : null,
    };
  }

  function refusal() {
    if (settings === 'off') return new HttpError(409, OFF);
    if (settings === 'broken') return new HttpError(409, BROKEN);
    return null;
  }

  function list(url) {
    const state = (url.searchParams.get('state') ?? '').trim();
    if (state && !STATES.includes(state)) throw new HttpError(400, `state "${state}" is not one of ${STATES.join(', ')}`);
    const raw = url.searchParams.get('limit');
    const limit = raw === null ? 50 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new HttpError(400, 'limit must be a whole number from 1 to 200');
    const cursor = url.searchParams.get('cursor');
    if (cursor && !(Number.isInteger(Number(cursor)) && Number(cursor) > 0 && Number(cursor) <= slots.length)) {
      throw new HttpError(400, 'cursor is not one this API returned');
    }
    return page(limit, cursor ? Number(cursor) : slots.length, state);
  }

  function retry(id) {
    const at = slots.findIndex((d) => d?.id === id);
    if (at < 0) throw new HttpError(404, `no delivery ${/^dlv_[0-9a-f]{32}$/.test(id) ? id : JSON.stringify(id)}`);
    const refused = refusal();
    if (refused) throw refused;
    const d = slots[at];
    if (d.state !== 'failed') throw new HttpError(409, `delivery ${id} is ${d.state}: only a failed delivery can be sent again`);
    slots[at] = null;
    Object.assign(d, { state: 'pending', next_attempt_at: iso() });
    const answer = structuredClone(d);
    append(d);
    return answer;
  }

  /** `/api/webhooks/*` (admins; the caller was admitted already). */
  function handle(req, res, url, parts, send, by) {
    const path = parts.slice(2).join('/');
    if (path === 'deliveries' && req.method === 'GET') return send(res, 200, list(url));
    if (path === 'test' && req.method === 'POST') {
      const refused = refusal();
      if (refused) throw refused;
      const d = structuredClone(record('webhook.test', null));
      audit(by, 'webhook_tested', 'webhook_url', req);
      return send(res, 202, d);
    }
    const [what, id, verb] = parts.slice(2);
    if (what === 'deliveries' && verb === 'retry' && parts.length === 5 && req.method === 'POST') {
      const d = retry(decodeURIComponent(id));
      audit(by, 'webhook_retried', d.id, req);
      return send(res, 202, d);
    }
    throw new HttpError(404, `no endpoint at ${url.pathname}`);
  }

  const pending = () => slots.filter((d) => d?.state === 'pending');

  /** `/__mock/webhooks/*`. */
  function control(parts, res, send) {
    const [what, arg] = parts;
    if (what === 'receiver') receiver = Number(arg);
    else if (what === 'retry') { if (settings === 'on') pending().forEach(attempt); }
    else if (what === 'expire') for (const d of pending()) { d.state = 'failed'; d.next_attempt_at = null; }
    else if (what === 'overdue') for (const d of pending()) { if (d.attempts.length) d.next_attempt_at = iso(Date.now() - Number(arg) * 60_000); }
    else if (['on', 'off', 'broken'].includes(what)) settings = what;
    else throw new HttpError(404, `no mock control webhooks/${parts.join('/')}`);
    return send(res, 200, { ok: true });
  }

  return {
    /** A job just ended: `job` is its public view. Nothing while webhooks are off, as on the server. */
    jobFinished(job) {
      if (settings !== 'off') record('job.finished', job);
    },
    handle,
    control,
    get deliveries() {
      return slots.filter(Boolean);
    },
  };
}
