// The mock's webhook deliveries, after api-component/src/webhooks: every job that ends records a
// `job.finished` delivery of the job as the jobs API shows it, an admin lists them newest first
// (GET /api/webhooks/deliveries) and queues tests (POST /api/webhooks/test). Sending is simulated:
// each new delivery is tried at once against a pretend receiver whose answer tests set, and tried
// again only when a test says so. Controls (no credential needed):
//   POST /__mock/webhooks/receiver/<status>   what the receiver answers (0: the connection is refused)
//   POST /__mock/webhooks/retry               one more attempt for every pending delivery
//   POST /__mock/webhooks/expire              pending deliveries give up (as after 24 hours)
//   POST /__mock/webhooks/off | .../broken | .../on   webhook settings: unset, misconfigured, fine

import crypto from 'node:crypto';

const TARGET = 'https://hooks.example.com:443';
const BROKEN = 'webhook_url is on https://hooks.example.com:443, but webhook_outbound_host allows only https://hooks.example.org';
const FIRST_DELAY_MS = 30_000;
const MAX_DELAY_MS = 3_600_000;

export function createWebhooks({ HttpError, audit }) {
  /** Oldest first. */
  const deliveries = [];
  let settings = 'on';
  let receiver = 200;

  const iso = (ms = Date.now()) => new Date(ms).toISOString();

  function append(event, job) {
    const d = {
      id: `dlv_${crypto.randomBytes(16).toString('hex')}`, event, job_id: job?.id ?? null, created_at: iso(), state: 'pending',
      attempts: [], next_attempt_at: iso(), payload: { event, job: job ?? null },
    };
    deliveries.push(d);
    if (settings === 'on') attempt(d);
    return d;
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

  function page(limit, cursor) {
    const newest = cursor ? Number(cursor) : deliveries.length;
    const from = Math.max(0, newest - limit);
    return {
      items: deliveries.slice(from, newest).reverse(),
      next_cursor: from > 0 ? String(from) : null,
      enabled: settings === 'on',
      target: settings === 'off' ? null : TARGET,
      problem: settings === 'broken' ? BROKEN : null,
    };
  }

  /** `/api/webhooks/*` (admins; the caller was admitted already). */
  function handle(req, res, url, parts, send, by) {
    const path = parts.slice(2).join('/');
    if (path === 'deliveries' && req.method === 'GET') {
      const raw = url.searchParams.get('limit');
      const limit = raw === null ? 50 : Number(raw);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new HttpError(400, 'limit must be a whole number from 1 to 200');
      const cursor = url.searchParams.get('cursor');
      if (cursor && !(Number.isInteger(Number(cursor)) && Number(cursor) > 0)) throw new HttpError(400, 'cursor is not one this API returned');
      return send(res, 200, page(limit, cursor));
    }
    if (path === 'test' && req.method === 'POST') {
      if (settings === 'off') throw new HttpError(409, 'webhooks are off: set webhook_url, webhook_secret and webhook_outbound_host');
      if (settings === 'broken') throw new HttpError(409, BROKEN);
      const d = append('webhook.test', null);
      audit(by, 'webhook_tested', 'webhook_url', req);
      return send(res, 202, d);
    }
    throw new HttpError(404, `no endpoint at ${url.pathname}`);
  }

  /** `/__mock/webhooks/*`. */
  function control(parts, res, send) {
    const [what, arg] = parts;
    if (what === 'receiver') receiver = Number(arg);
    else if (what === 'retry') for (const d of deliveries) { if (d.state === 'pending' && settings === 'on') attempt(d); }
    else if (what === 'expire') for (const d of deliveries) { if (d.state === 'pending' && d.attempts.length) { d.state = 'failed'; d.next_attempt_at = null; } }
    else if (['on', 'off', 'broken'].includes(what)) settings = what;
    else throw new HttpError(404, `no mock control webhooks/${parts.join('/')}`);
    return send(res, 200, { ok: true });
  }

  return {
    /** A job just ended: `job` is its public view. Nothing while webhooks are off, as on the server. */
    jobFinished(job) {
      if (settings !== 'off') append('job.finished', job);
    },
    handle,
    control,
    deliveries,
  };
}
