// The HTTP API client: one fetch wrapper that turns `{"error": "..."}` responses into ApiError,
// and one small function per endpoint the UI uses.

/** An error response from the API (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(status, message, response = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.response = response;
  }
}

const enc = encodeURIComponent;

/**
 * Sends a request. `json` is sent as a JSON body; `body` as-is. Resolves to the Response
 * for 2xx/304 and rejects with ApiError otherwise, carrying the API's error message.
 */
export async function request(method, path, { json, body, headers = {}, signal } = {}) {
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
  throw new ApiError(res.status, await errorMessage(res), res);
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

// ---- health ----

export const health = () => getJson('/health');

// ---- documents ----

export function listDocuments(collection, { limit = 50, cursor = null } = {}) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set('cursor', cursor);
  return getJson(`/api/${collection}?${q}`);
}

/** All documents of a collection (for pickers), following cursors up to `max` items. */
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

export async function deleteDocument(collection, name) {
  await request('DELETE', documentUrl(collection, name));
}

// ---- jobs ----

/** Submits a generation job; resolves to `{job_id, status}`. */
export async function generate(collection, params) {
  return (await request('POST', `/api/${collection}/generate`, { json: params })).json();
}

export function listJobs({ limit = 20, status } = {}) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (status) q.set('status', status);
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

export function jobEventsUrl(id, after = null) {
  const base = `/api/jobs/${enc(id)}/events`;
  return after === null || after === undefined ? base : `${base}?after=${enc(String(after))}`;
}
