// The HTTP API client: one fetch wrapper that turns `{"error": "..."}` responses into ApiError,
// and one small function per endpoint the UI uses. The browser's session cookie (HttpOnly, set by
// the sign-in endpoints) goes with every same-origin request by itself; a 401 from any other
// endpoint means the session has ended, which the handler set with `onSessionEnded` hears.

/** An error response from the API (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(status, message, response = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.response = response;
    const retry = Number(response?.headers?.get('Retry-After'));
    /** Seconds to wait before trying again (429), if the API said. */
    this.retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  }
}

const enc = encodeURIComponent;

let sessionEnded = () => {};

/** `fn(error)` runs when a request is refused for want of a valid session (401). */
export function onSessionEnded(fn) {
  sessionEnded = fn;
}

/**
 * Sends a request. `json` is sent as a JSON body; `body` as-is. Resolves to the Response
 * for 2xx/304 and rejects with ApiError otherwise, carrying the API's error message.
 */
export async function request(method, path, { json, body, headers = {}, signal, signingIn = false } = {}) {
  const init = { method, headers: { ...headers }, signal, cache: 'no-store' };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'The server could not be reached. Check your connection and try again.');
  }
  if (res.ok || res.status === 304) return res;
  const error = new ApiError(res.status, await errorMessage(res), res);
  // A sign-in's own 401 is a wrong password, not an ended session.
  if (res.status === 401 && !signingIn) sessionEnded(error);
  throw error;
}

async function errorMessage(res) {
  const fallback = `${res.status} ${res.statusText || 'error'}`.trim();
  try {
    const text = await res.text();
    try {
      const data = JSON.parse(text);
      if (data && typeof data.error === 'string' && data.error) return data.error;
    } catch { /* not JSON: fall through */ }
    return text && text.length < 300 ? text : fallback;
  } catch {
    return fallback;
  }
}

async function getJson(path, opts) {
  return (await request('GET', path, opts)).json();
}

// ---- usage ----

/** `GET /api/usage`: `{group_by, from, to, rows, totals}`. */
export function getUsage({ groupBy = 'day', from, to } = {}) {
  const params = new URLSearchParams({ group_by: groupBy });
  if (from) params.set('from', from);
  if (to) params.set('to', to);
  return getJson(`/api/usage?${params}`);
}

// ---- health ----

export const health = () => getJson('/health');

// ---- documents ----

export function listDocuments(collection, { limit = 50, cursor = null } = {}) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set('cursor', cursor);
  return getJson(`/api/${collection}?${q}`);
}

/** All documents of a collection (for pickers), following cursors up to `max` items. */
/** The search in one collection (`GET /api/{collection}?q=`): `{items, next_cursor}`. */
export function searchDocuments(collection, { q, limit = 20, cursor = null, signal } = {}) {
  const params = new URLSearchParams({ q, limit: String(limit) });
  if (cursor) params.set('cursor', cursor);
  return getJson(`/api/${collection}?${params}`, { signal });
}

export async function listAllDocuments(collection, max = 2000) {
  const items = [];
  let cursor = null;
  do {
    const page = await listDocuments(collection, { limit: 500, cursor });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

export const documentUrl = (collection, name) => `/api/${collection}/${enc(name)}`;

/** The stored content and its ETag. */
export async function getDocument(collection, name) {
  const res = await request('GET', documentUrl(collection, name));
  return { text: await res.text(), etag: res.headers.get('ETag') };
}

/** The sanitized HTML preview fragment rendered by the API. */
export async function getPreview(collection, name) {
  return (await request('GET', `${documentUrl(collection, name)}/preview`)).text();
}

/** Unsaved Markdown rendered as its saved preview would be (same renderer, same sanitizer). */
export async function renderMarkdown(text, { signal } = {}) {
  const headers = { 'Content-Type': 'text/markdown; charset=utf-8' };
  return (await request('POST', '/api/render', { body: text, headers, signal })).text();
}

/** Creates or replaces a document; `etag` makes the write conditional (412 on conflict). */
export async function putDocument(collection, name, text, { etag, mime } = {}) {
  const headers = { 'Content-Type': mime };
  if (etag) headers['If-Match'] = etag;
  const res = await request('PUT', documentUrl(collection, name), { body: text, headers });
  return { item: await res.json(), etag: res.headers.get('ETag'), created: res.status === 201 };
}

export async function uploadDocuments(collection, files) {
  const form = new FormData();
  for (const file of files) form.append('file', file, file.name);
  return (await request('POST', `/api/${collection}/upload`, { body: form })).json();
}

// ---- history: versions and the trash ----

/** `{items: [{version, etag, size, created_at, created_by, source}]}`, newest (current) first. */
export async function listVersions(collection, name) {
  return (await request('GET', `${documentUrl(collection, name)}/versions`)).json();
}

/** One version's content. */
export async function getVersion(collection, name, version) {
  return (await request('GET', `${documentUrl(collection, name)}/versions/${version}`)).text();
}

/** Makes `version` current again, provided the document is still at `etag`. */
export async function restoreVersion(collection, name, version, etag) {
  const headers = etag ? { 'If-Match': etag } : {};
  return (await request('POST', `${documentUrl(collection, name)}/versions/${version}/restore`, { headers })).json();
}

/** A page of deleted documents, newest deletion first. */
export async function listTrash(cursor) {
  return (await request('GET', `/api/trash?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json();
}

/** Brings a deleted document back. */
export async function restoreFromTrash(collection, name) {
  return (await request('POST', `/api/trash/${collection}/${encodeURIComponent(name)}/restore`)).json();
}

export async function deleteDocument(collection, name) {
  await request('DELETE', documentUrl(collection, name));
}

// ---- jobs ----

/** Queues many generate requests at once; resolves to `{batch_id, job_ids}`. */
export async function generateBatch(collection, items) {
  return (await request('POST', `/api/${collection}/generate/batch`, { json: { items } })).json();
}

export async function getBatch(id) {
  return (await request('GET', `/api/batches/${encodeURIComponent(id)}`)).json();
}

export async function cancelBatch(id) {
  return (await request('POST', `/api/batches/${encodeURIComponent(id)}/cancel`)).json();
}

/** Asks for a revision of a brief or draft at version `etag`; resolves to `{job_id}`. */
export async function revise(collection, name, instructions, etag) {
  return (await request('POST', `${documentUrl(collection, name)}/revise`, { json: { instructions, base_etag: etag } })).json();
}

export async function getProposal(jobId) {
  return (await request('GET', `/api/proposals/${encodeURIComponent(jobId)}`)).json();
}

/** Applies the hunks numbered in `hunks` of a proposal. */
export async function approveProposal(jobId, hunks) {
  return (await request('POST', `/api/proposals/${encodeURIComponent(jobId)}/approve`, { json: { hunks } })).json();
}

export async function rejectProposal(jobId) {
  return (await request('POST', `/api/proposals/${encodeURIComponent(jobId)}/reject`)).json();
}

/** Every quality check of a brief or draft: `{score, checks: [{id, label, status, detail}]}`. */
export async function getQuality(collection, name) {
  return (await request('GET', `${documentUrl(collection, name)}/quality`)).json();
}

/** The prompt a job was given and its template: `{job_id, template, prompt}` (editors). */
export async function getJobPrompt(jobId) {
  return (await request('GET', `/api/jobs/${encodeURIComponent(jobId)}/prompt`)).json();
}

/** Submits a generation job; resolves to `{job_id, status}`. */
export async function generate(collection, params) {
  return (await request('POST', `/api/${collection}/generate`, { json: params })).json();
}

/** A page of jobs, newest first. Filters (each optional): `status`, `type`, `q` (text),
 * `submitted_by`, `from` and `to` (dates or RFC 3339 times); `cursor` from the last page. */
export function listJobs({ limit = 20, cursor = null, ...filters } = {}) {
  const q = new URLSearchParams({ limit: String(limit) });
  for (const [name, value] of Object.entries(filters)) if (value) q.set(name, value);
  if (cursor) q.set('cursor', cursor);
  return getJson(`/api/jobs?${q}`);
}

export const getJob = (id) => getJson(`/api/jobs/${enc(id)}`);
export const cancelJob = (id) => request('POST', `/api/jobs/${enc(id)}/cancel`);
export async function retryJob(id) {
  return (await request('POST', `/api/jobs/${enc(id)}/retry`)).json();
}

export function getJobLogs(id, { after = null, limit = 500 } = {}) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (after !== null && after !== undefined) q.set('after', String(after));
  return getJson(`/api/jobs/${enc(id)}/logs?${q}`);
}

// ---- accounts and access ----

/** Who is signed in: `{kind, id, email, role, via}`. */
export const me = () => getJson('/api/me');

const signIn = async (path, json) => (await request('POST', path, { json, signingIn: true })).json();
export const login = (email, password) => signIn('/api/auth/login', { email, password });
export const acceptInvite = (invite, password) => signIn('/api/auth/accept', { invite, password });
export const signInWithLink = (code) => signIn('/api/auth/link', { code });
export const logout = () => request('POST', '/api/auth/logout', { signingIn: true });

export const listUsers = () => getJson('/api/users');
/** Resolves to `{user, invite_url, invite_expires_in_s}`. */
export async function inviteUser(email, role) {
  return (await request('POST', '/api/users', { json: { email, role } })).json();
}
export async function updateUser(id, change) {
  return (await request('PATCH', `/api/users/${enc(id)}`, { json: change })).json();
}

export const listTokens = () => getJson('/api/tokens');
/** Resolves to `{id, token, name, role}`; the token is shown this once. */
export async function createToken(name, role) {
  return (await request('POST', '/api/tokens', { json: { name, role } })).json();
}
/** Revokes an API or runner token. */
export async function revokeToken(id) {
  return (await request('DELETE', `/api/tokens/${enc(id)}`)).json();
}
export const listRunnerTokens = () => getJson('/api/runners/tokens');
/** Resolves to `{id, token, runner, name}`; the token is shown this once. */
export async function createRunnerToken(runner, name) {
  return (await request('POST', '/api/runners/tokens', { json: name ? { runner, name } : { runner } })).json();
}
export const listRunners = () => getJson('/api/runners');

export function listAudit({ limit = 50, cursor = null } = {}) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set('cursor', cursor);
  return getJson(`/api/audit?${q}`);
}

/** `state`: `pending`, `delivered` or `failed` to list only those; empty for all. */
export function listWebhookDeliveries({ limit = 20, cursor = null, state = '' } = {}) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set('cursor', cursor);
  if (state) q.set('state', state);
  return getJson(`/api/webhooks/deliveries?${q}`);
}

/** Sends a failed delivery again; resolves to the delivery, pending once more. */
export async function retryWebhookDelivery(id) {
  return (await request('POST', `/api/webhooks/deliveries/${enc(id)}/retry`)).json();
}

export async function testWebhook() {
  return (await request('POST', '/api/webhooks/test')).json();
}

export function jobEventsUrl(id, after = null) {
  const base = `/api/jobs/${enc(id)}/events`;
  return after === null || after === undefined ? base : `${base}?after=${enc(String(after))}`;
}
