// A throwaway, in-memory stand-in for the API, for running the UI tests without the Rust host.
// It serves ../static with the same Content-Security-Policy as the real component and implements
// the documents contract, accounts and access (support/mock-auth.mjs: every /api request needs a
// session cookie or a bearer token, with the real roles), search and usage totals
// (support/mock-search.mjs), plus a simulated jobs backend (queue, runner, logs, SSE) and webhook
// deliveries (support/mock-webhooks.mjs) that tests steer through /__mock/* endpoints (which need
// no credential).
// The real host is the reference: tests run against it when CWM_BASE_URL or CWM_RUNNER_BIN is set,
// and every answer the mock gives is checked against its OpenAPI document (support/contract.mjs).
//
// Run on its own for manual work: `node support/mock-api.mjs [port]`; it prints a sign-in link.

import crypto from 'node:crypto';
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJobs } from './mock-jobs.mjs';
import { createAuth } from './mock-auth.mjs';
import { createWebhooks } from './mock-webhooks.mjs';
import { createContract } from './contract.mjs';
import { grade, summary } from './mock-quality.mjs';
import { createSearch } from './mock-search.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const STATIC_DIR = path.resolve(HERE, '../../static');

export const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

const COLLECTIONS = {
  'brand-data': { ext: '.json', type: 'application/json' },
  briefs: { ext: '.md', type: 'text/markdown; charset=utf-8' },
  drafts: { ext: '.md', type: 'text/markdown; charset=utf-8' },
};
const MAX_DOC_BYTES = 1024 * 1024;

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8',
};

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

export function validateName(collection, name) {
  const { ext } = COLLECTIONS[collection];
  if (!name || name.length > 120) throw new HttpError(400, 'invalid document name: must be 1 to 120 characters');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new HttpError(400, `invalid document name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-', starting with a letter or digit`);
  if (name.includes('..')) throw new HttpError(400, `invalid document name ${JSON.stringify(name)}: '..' is not allowed`);
  if (!name.endsWith(ext) || name.length === ext.length) throw new HttpError(400, `invalid document name ${JSON.stringify(name)}: must end in ${ext}`);
}

const SPELLED = { ß: 'ss', æ: 'ae', œ: 'oe', þ: 'th', ø: 'o', đ: 'd', ð: 'd', ł: 'l', ħ: 'h', ı: 'i' };

/** Lower case without accents, as the server folds names (`names.rs` `fold_accents`). */
export function foldAccents(text) {
  return text.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '').replace(/[ßæœþøđðłħı]/g, (c) => SPELLED[c]);
}

/** The name an uploaded file is stored under, as the server derives it (`names.rs`). */
export function nameFromFile(collection, file) {
  const base = file.split(/[\\/]/).pop();
  try { validateName(collection, base); return base; } catch { /* derive one below */ }
  const { ext } = COLLECTIONS[collection];
  const dot = base.lastIndexOf('.');
  const [stem, found] = dot < 0 ? [base, ''] : [base.slice(0, dot), base.slice(dot + 1).toLowerCase()];
  const accepted = collection === 'brand-data' ? ['json'] : ['md', 'markdown'];
  if (!accepted.includes(found)) throw new HttpError(400, `${collection} files must end in ${ext}`);
  const slug = foldAccents(stem).replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'untitled';
  validateName(collection, `${slug}${ext}`);
  return `${slug}${ext}`;
}

const unwrap = (v) => (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && 'value' in v ? v.value : v);

function derive(collection, name, buf) {
  if (!buf.length) throw new HttpError(400, `${name}: body is empty`);
  if (buf.length > MAX_DOC_BYTES) throw new HttpError(413, `body is ${buf.length} bytes, over the limit of ${MAX_DOC_BYTES} bytes`);
  const text = buf.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(buf)) throw new HttpError(400, `${name}: body is not valid UTF-8`);
  const stem = name.replace(/\.[^.]+$/, '');
  if (collection === 'brand-data') {
    let value;
    try { value = JSON.parse(text); } catch (e) { throw new HttpError(400, `${name}: body is not valid JSON (${e.message})`); }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new HttpError(422, `${name}: brand data must be a JSON object`);
    const title = [unwrap(value.brandInfo?.companyName), unwrap(value.name)].find((t) => typeof t === 'string' && t.trim());
    const words = (v) => (typeof v === 'string' ? v.split(/\s+/).filter(Boolean).length : v && typeof v === 'object' ? Object.values(v).reduce((n, x) => n + words(x), 0) : 0);
    return { title: title?.trim() ?? stem, word_count: words(value) };
  }
  const h1 = text.match(/^#[ \t]+(.+?)[ \t#]*$/m);
  const plain = text.replace(/```[\s\S]*?```/g, ' ').replace(/[#>*_`|~-]+/g, ' ');
  return { title: h1 ? h1[1].replace(/[*_`]/g, '').trim() : stem, word_count: plain.split(/\s+/).filter(Boolean).length };
}

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

/** A deliberately small Markdown → HTML for previews (escaped; enough for tests and screenshots). */
function previewMarkdown(text) {
  const out = [];
  let list = null;
  const inline = (s) => escapeHtml(s).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/\*(.+?)\*/g, '<em>$1</em>').replace(/`(.+?)`/g, '<code>$1</code>');
  const closeList = () => { if (list) { out.push(`</${list}>`); list = null; } };
  for (const block of text.replace(/\r\n?/g, '\n').split(/\n{2,}/)) {
    for (const line of block.split('\n')) {
      let m;
      if ((m = line.match(/^(#{1,6})\s+(.*)$/))) { closeList(); out.push(`<h${m[1].length}>${inline(m[2])}</h${m[1].length}>`); }
      else if ((m = line.match(/^\s*[-*]\s+(.*)$/))) { if (list !== 'ul') { closeList(); out.push('<ul>'); list = 'ul'; } out.push(`<li>${inline(m[1])}</li>`); }
      else if ((m = line.match(/^\s*\d+\.\s+(.*)$/))) { if (list !== 'ol') { closeList(); out.push('<ol>'); list = 'ol'; } out.push(`<li>${inline(m[1])}</li>`); }
      else if (line.trim()) { closeList(); out.push(`<p>${inline(line)}</p>`); }
    }
    closeList();
  }
  return out.join('\n');
}

function parseMultipart(buf, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  if (!m) throw new HttpError(400, 'multipart body has no boundary');
  const delim = Buffer.from(`--${m[1] ?? m[2]}`);
  const files = [];
  let pos = buf.indexOf(delim);
  while (pos !== -1) {
    pos += delim.length;
    if (buf.subarray(pos, pos + 2).toString() === '--') break;
    pos += 2;
    const headerEnd = buf.indexOf('\r\n\r\n', pos);
    if (headerEnd === -1) break;
    const headers = buf.subarray(pos, headerEnd).toString();
    const next = buf.indexOf(delim, headerEnd + 4);
    if (next === -1) throw new HttpError(400, 'multipart body is truncated');
    const body = buf.subarray(headerEnd + 4, next - 2);
    const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
    const field = /\bname="([^"]*)"/.exec(disposition)?.[1];
    const filename = /filename="([^"]*)"/.exec(disposition)?.[1];
    if (field === 'file' && filename !== undefined) files.push({ filename, body: Buffer.from(body) });
    pos = next;
  }
  return files;
}

/** The in-memory documents of all collections. */
export function createDocuments() {
  const data = Object.fromEntries(Object.keys(COLLECTIONS).map((c) => [c, new Map()]));
  let gen = 0;
  let order = 0;
  const versions = new Map();
  const trash = new Map();
  const item = (d) => ({
    name: d.name, size: d.content.length, created_at: d.created, updated_at: d.updated, title: d.title, word_count: d.word_count,
    created_by: d.created_by, updated_by: d.updated_by, sources: d.sources ?? null, quality: d.quality ?? null,
  });
  return {
    data,
    item,
    get(collection, name) {
      validateName(collection, name);
      const doc = data[collection].get(name);
      if (!doc) throw new HttpError(404, `${collection}/${name} does not exist`);
      return doc;
    },
    exists: (collection, name) => data[collection].has(name),
    /** `by` names the writer (`created_by` stays the first writer's). */
    /** `sources`: what a job made it from; a write without keeps what the document had. */
    put(collection, name, content, ifMatch, by = 'admin', sources = undefined, source = 'edit') {
      validateName(collection, name);
      const existing = data[collection].get(name);
      if (ifMatch !== undefined) {
        const tags = ifMatch.trim() === '*' ? null : ifMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
        if (!existing || (tags && !tags.includes(`"${existing.gen}"`))) {
          throw new HttpError(412, `${name} has changed since it was read (or does not exist); reload it and try again`);
        }
      }
      const derived = derive(collection, name, content);
      const now = new Date().toISOString();
      const doc = {
        name, content, ...derived, gen: ++gen, order: ++order, created: existing?.created ?? now, updated: now,
        created_by: existing?.created_by ?? by, updated_by: by, sources: sources ?? existing?.sources ?? null,
      };
      data[collection].set(name, doc);
      // Every write grades the version it writes (briefs and drafts), as the server does.
      const graded = grade(this, collection, content.toString('utf8'), doc.sources);
      doc.quality = graded ? summary(graded) : null;
      // Every write is a version (the history outlives a delete, as on the server).
      const key = `${collection}/${name}`;
      const history = versions.get(key) ?? [];
      history.push({ version: (history.at(-1)?.version ?? 0) + 1, etag: `"${doc.gen}"`, size: content.length, created_at: now, created_by: by, source, content });
      versions.set(key, history);
      trash.delete(key);
      return { doc, created: !existing };
    },
    versions(collection, name) {
      this.get(collection, name);
      return [...(versions.get(`${collection}/${name}`) ?? [])].reverse();
    },
    version(collection, name, number) {
      const v = this.versions(collection, name).find((x) => x.version === number);
      if (!v) throw new HttpError(404, `${collection}/${name} version ${number} does not exist`);
      return v;
    },
    trashList() {
      return [...trash.values()].sort((a, b) => b.order - a.order).map(({ order, ...t }) => t);
    },
    restoreFromTrash(collection, name, by) {
      const key = `${collection}/${name}`;
      const entry = trash.get(key);
      if (!entry) throw new HttpError(404, `${collection}/${name} in the trash does not exist`);
      if (data[collection].has(name)) throw new HttpError(409, `${name}: a document of that name exists again; delete or rename it first`);
      const v = versions.get(key).find((x) => x.version === entry.version);
      return this.put(collection, name, v.content, undefined, by, undefined, `restore:${entry.version}`).doc;
    },
    check: (collection, name, content) => { validateName(collection, name); derive(collection, name, content); },
    delete(collection, name, by = 'admin') {
      validateName(collection, name);
      const doc = data[collection].get(name);
      if (!doc) throw new HttpError(404, `${collection}/${name} does not exist`);
      data[collection].delete(name);
      const deleted = new Date();
      const history = versions.get(`${collection}/${name}`) ?? [];
      trash.set(`${collection}/${name}`, {
        collection, name, title: doc.title, size: doc.content.length, version: history.at(-1)?.version ?? 1,
        deleted_at: deleted.toISOString(), deleted_by: by, purge_at: new Date(deleted.getTime() + 7 * 86_400_000).toISOString(), order: ++order,
      });
    },
    list(collection, limit, cursor) {
      const all = [...data[collection].values()].sort((a, b) => b.order - a.order);
      const start = cursor ? Number(cursor) : 0;
      const page = all.slice(start, start + limit);
      return { items: page.map(item), next_cursor: start + limit < all.length ? String(start + limit) : null };
    },
  };
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

function rawSend(res, status, body, headers = {}) {
  const isBuf = Buffer.isBuffer(body) || typeof body === 'string';
  const payload = body === null ? '' : isBuf ? body : JSON.stringify(body);
  res.writeHead(status, { 'x-content-type-options': 'nosniff', ...(isBuf || body === null ? {} : { 'content-type': 'application/json' }), ...headers });
  res.end(payload);
}

async function readJson(req) {
  const text = (await readBody(req)).toString('utf8');
  try {
    const value = JSON.parse(text || 'null');
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch { /* below */ }
  throw new HttpError(400, 'body is not a JSON object');
}

/** Starts the mock on 127.0.0.1; resolves to `{ url, adminToken, close, docs, jobs, auth }`. */
export async function startMockServer({ port = 0, staticDir = STATIC_DIR, jobStepMs = 150 } = {}) {
  // Every answer is held to the real API's OpenAPI document; close() fails on any violation.
  const contract = createContract();
  const send = (res, status, body, headers = {}) => {
    const { pathname } = new URL(res.req.url, 'http://localhost');
    contract.check(res.req.method, pathname, status, body);
    rawSend(res, status, body, headers);
  };
  const docs = createDocuments();
  let webhooks = null;
  const jobs = createJobs({ docs, stepMs: jobStepMs, HttpError, onFinished: (job) => webhooks.jobFinished(job) });
  const auth = createAuth({ HttpError, runners: () => jobs.runners() });
  webhooks = createWebhooks({ HttpError, audit: auth.audit });
  const finder = createSearch({ docs, jobs, HttpError });

  async function handleDocs(req, res, url, parts, by) {
    const collection = parts[1];
    const name = parts[2] ? decodeURIComponent(parts[2]) : null;
    const method = req.method;
    if (parts.length === 2 && method === 'GET' && url.searchParams.get('q')?.trim()) {
      return send(res, 200, finder.search(url, collection), { 'cache-control': 'no-store' });
    }
    if (parts.length === 2 && method === 'GET') {
      const limit = Number(url.searchParams.get('limit') ?? 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new HttpError(400, 'limit must be a whole number from 1 to 500');
      return send(res, 200, docs.list(collection, limit, url.searchParams.get('cursor')));
    }
    if (parts.length === 3 && name === 'upload' && method === 'POST') {
      const files = parseMultipart(await readBody(req), req.headers['content-type']);
      if (!files.length) throw new HttpError(400, 'upload has no `file` parts');
      const taken = new Set();
      const checked = files.map((f) => {
        try {
          const stored = nameFromFile(collection, f.filename);
          if (taken.has(stored)) throw new HttpError(400, `another file of this upload is stored as ${stored}`);
          docs.check(collection, stored, f.body);
          taken.add(stored);
          return { file: f.filename, name: stored, body: f.body };
        } catch (e) {
          return { file: f.filename, error: e.message, status: e.status };
        }
      });
      if (checked.every((c) => c.error)) {
        throw new HttpError(checked[0].status ?? 400, checked.map((c) => `file ${JSON.stringify(c.file)}: ${c.error}`).join('; '));
      }
      const items = checked.filter((c) => !c.error).map((c) => docs.item(docs.put(collection, c.name, c.body, undefined, by, undefined, 'upload').doc));
      return send(res, 201, { items, files: checked.map((c) => ({ file: c.file, name: c.error ? null : c.name, error: c.error ?? null })) });
    }
    if (parts.length === 4 && name === 'generate' && parts[3] === 'batch' && method === 'POST') {
      if (collection === 'brand-data') throw new HttpError(404, 'brand data is researched one brand at a time; batches are for briefs and drafts');
      let body;
      try { body = JSON.parse((await readBody(req)).toString() || 'null'); } catch { throw new HttpError(400, 'body is not valid JSON'); }
      const queued = jobs.submitBatch(collection, body?.items, by);
      return send(res, 202, queued, { location: `/api/batches/${queued.batch_id}` });
    }
    if (parts.length === 3 && name === 'generate' && method === 'POST') {
      let params;
      try { params = JSON.parse((await readBody(req)).toString() || 'null'); } catch { throw new HttpError(400, 'body is not valid JSON'); }
      return send(res, 202, jobs.submit(collection, params ?? {}, by));
    }
    if (parts.length === 4 && parts[3] === 'revise' && method === 'POST') {
      if (collection === 'brand-data') throw new HttpError(404, 'revisions are for briefs and drafts; edit brand data directly');
      let body;
      try { body = JSON.parse((await readBody(req)).toString() || 'null'); } catch { throw new HttpError(400, 'body is not valid JSON'); }
      const queued = jobs.submitRevision(collection, name, body?.instructions, body?.base_etag, by);
      return send(res, 202, queued, { location: `/api/proposals/${queued.job_id}` });
    }
    if (parts.length === 4 && parts[3] === 'versions' && method === 'GET') {
      return send(res, 200, { items: docs.versions(collection, name).map(({ content, ...v }) => v) }, { 'cache-control': 'no-cache' });
    }
    if (parts.length === 5 && parts[3] === 'versions' && method === 'GET') {
      const v = docs.version(collection, name, Number(parts[4]));
      return send(res, 200, v.content, { 'content-type': COLLECTIONS[collection].type, etag: v.etag, 'cache-control': 'no-cache' });
    }
    if (parts.length === 6 && parts[3] === 'versions' && parts[5] === 'restore' && method === 'POST') {
      const v = docs.version(collection, name, Number(parts[4]));
      const { doc } = docs.put(collection, name, v.content, req.headers['if-match'], by, undefined, `restore:${v.version}`);
      return send(res, 200, docs.item(doc), { etag: `"${doc.gen}"`, location: `/api/${collection}/${name}` });
    }
    if (parts.length === 4 && parts[3] === 'quality' && method === 'GET') {
      if (collection === 'brand-data') throw new HttpError(404, 'quality checks are for briefs and drafts');
      const doc = docs.get(collection, name);
      const q = Object.fromEntries(['primary_keyword', 'brief', 'brand_data', 'target_word_count'].map((k) => [k, url.searchParams.get(k) || undefined]));
      if (q.target_word_count !== undefined) q.target_word_count = Number(q.target_word_count);
      return send(res, 200, grade(docs, collection, doc.content.toString('utf8'), doc.sources, q), { 'cache-control': 'no-cache' });
    }
    if (parts.length === 4 && parts[3] === 'preview' && method === 'GET') {
      const doc = docs.get(collection, name);
      const text = doc.content.toString('utf8');
      const html = collection === 'brand-data' ? `<pre class="json"><code>${escapeHtml(JSON.stringify(JSON.parse(text), null, 2))}</code></pre>` : previewMarkdown(text);
      return send(res, 200, html, { 'content-type': 'text/html; charset=utf-8', etag: `"${doc.gen}"` });
    }
    if (parts.length !== 3) throw new HttpError(404, `no endpoint at ${url.pathname}`);
    if (method === 'GET' || method === 'HEAD') {
      const doc = docs.get(collection, name);
      return send(res, 200, method === 'HEAD' ? '' : doc.content, { 'content-type': COLLECTIONS[collection].type, etag: `"${doc.gen}"`, 'cache-control': 'no-cache' });
    }
    if (method === 'PUT') {
      const ct = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      const ok = collection === 'brand-data' ? ['application/json', 'text/json', 'text/plain', 'application/octet-stream', ''] : ['text/markdown', 'text/x-markdown', 'text/plain', 'application/octet-stream', ''];
      if (!ok.includes(ct)) throw new HttpError(415, `${collection} documents cannot be sent as ${ct}`);
      const { doc, created } = docs.put(collection, name, await readBody(req), req.headers['if-match'], by);
      return send(res, created ? 201 : 200, docs.item(doc), { etag: `"${doc.gen}"`, location: `/api/${collection}/${name}` });
    }
    if (method === 'DELETE') {
      docs.delete(collection, name, by);
      return send(res, 204, null);
    }
    throw new HttpError(405, `method ${method} is not allowed here`);
  }

  /** POST /api/render: the editor's unsaved text through the same renderer as `/preview`. */
  async function handleRender(req, res) {
    if (req.method !== 'POST') throw new HttpError(405, `method ${req.method} is not allowed here; allowed: POST`);
    const ct = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!['text/markdown', 'text/x-markdown', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded', ''].includes(ct)) {
      throw new HttpError(415, `Markdown to render cannot be sent as ${ct}; use text/markdown`);
    }
    const buf = await readBody(req);
    if (buf.length > MAX_DOC_BYTES) throw new HttpError(413, `body is ${buf.length} bytes, over the limit of ${MAX_DOC_BYTES} bytes`);
    const text = buf.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(buf)) throw new HttpError(400, 'body is not valid UTF-8');
    return send(res, 200, previewMarkdown(text), { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  }

  async function handleStatic(req, res, url) {
    const rel = url.pathname === '/' ? '/index.html' : decodeURIComponent(url.pathname);
    const file = path.resolve(staticDir, `.${rel}`);
    if (!file.startsWith(staticDir + path.sep)) throw new HttpError(404, `nothing at ${url.pathname}`);
    let body;
    try { body = await fs.readFile(file); } catch { throw new HttpError(404, `nothing at ${url.pathname}`); }
    const ext = path.extname(file);
    // As the component: revalidated each time, by an ETag that is a digest of the bytes.
    const etag = `"${crypto.createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
    const headers = { 'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream', 'cache-control': 'no-cache', etag };
    if (ext === '.html') Object.assign(headers, { 'content-security-policy': PAGE_CSP, 'referrer-policy': 'no-referrer' });
    const known = (req.headers['if-none-match'] ?? '').split(',').map((t) => t.trim().replace(/^W\//, ''));
    if (known.includes(etag)) return send(res, 304, '', headers);
    send(res, 200, body, headers);
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    try {
      if (url.pathname === '/health') {
        // The status for anyone; the figures only for a caller with a credential.
        const full = jobs.health();
        return send(res, 200, auth.admit(req, ['health']) ? full : { status: full.status });
      }
      if (parts[0] === '__mock' && parts[1] === 'webhooks') return webhooks.control(parts.slice(2), res, send);
      if (parts[0] === '__mock' && parts[1] === 'usage' && req.method === 'POST') {
        finder.seed((await readJson(req)).records ?? []);
        return rawSend(res, 200, { ok: true });
      }
      if (parts[0] === '__mock') return await jobs.control(req, res, parts.slice(1), send, readBody);
      if (parts[0] === 'api') {
        auth.checkOrigin(req);
        const principal = auth.admit(req, parts);
        auth.checkJson(req, parts);
        const by = auth.label(principal);
        if (parts[1] === 'jobs') return await jobs.handle(req, res, url, parts.slice(2), send, by);
        if (COLLECTIONS[parts[1]]) return await handleDocs(req, res, url, parts, by);
        if (parts[1] === 'proposals' && parts.length === 3 && req.method === 'GET') return send(res, 200, jobs.proposalView(decodeURIComponent(parts[2])));
        if (parts[1] === 'proposals' && parts.length === 4 && ['approve', 'reject'].includes(parts[3]) && req.method === 'POST') {
          const raw = (await readBody(req)).toString();
          let hunks;
          try { hunks = raw.trim() ? JSON.parse(raw).hunks : undefined; } catch { throw new HttpError(400, 'body is not valid JSON'); }
          const out = jobs.decide(decodeURIComponent(parts[2]), parts[3] === 'approve' ? 'approved' : 'rejected', by, hunks);
          return send(res, out.status, out.body, out.headers ?? {});
        }
        if (parts[1] === 'batches' && parts.length === 3 && req.method === 'GET') return send(res, 200, jobs.batchView(decodeURIComponent(parts[2])));
        if (parts[1] === 'batches' && parts.length === 4 && parts[3] === 'cancel' && req.method === 'POST') return send(res, 202, jobs.cancelBatch(decodeURIComponent(parts[2])));
        if (parts[1] === 'trash' && parts.length === 2 && req.method === 'GET') return send(res, 200, { items: docs.trashList(), next_cursor: null });
        if (parts[1] === 'trash' && parts.length === 5 && parts[4] === 'restore' && req.method === 'POST' && COLLECTIONS[parts[2]]) {
          const doc = docs.restoreFromTrash(parts[2], decodeURIComponent(parts[3]), by);
          return send(res, 201, docs.item(doc), { etag: `"${doc.gen}"`, location: `/api/${parts[2]}/${doc.name}` });
        }
        if (url.pathname === '/api/render') return await handleRender(req, res);
        if (parts[1] === 'webhooks') return webhooks.handle(req, res, url, parts, send, by);
        if (url.pathname === '/api/search' && req.method === 'GET') {
          const c = url.searchParams.get('collection');
          if (c && !COLLECTIONS[c]) throw new HttpError(400, `collection ${JSON.stringify(c)} is not one of brand-data, briefs, drafts`);
          return send(res, 200, finder.search(url, c || null), { 'cache-control': 'no-store' });
        }
        if (url.pathname === '/api/search/rebuild' && req.method === 'POST') return send(res, 200, finder.rebuild());
        if (url.pathname === '/api/usage' && req.method === 'GET') return send(res, 200, finder.usage(url), { 'cache-control': 'no-store' });
        if ((await auth.handle(req, res, url, parts, principal, send, () => readJson(req))) !== false) return;
        throw new HttpError(404, `no endpoint at ${url.pathname}`);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `method ${req.method} is not allowed here`);
      return await handleStatic(req, res, url);
    } catch (err) {
      if (!(err instanceof HttpError)) console.error(err);
      if (!res.headersSent) send(res, err.status ?? 500, { error: err instanceof HttpError ? err.message : 'internal error' }, err.headers ?? {});
      else res.end();
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    adminToken: auth.adminToken,
    docs,
    jobs,
    auth,
    webhooks,
    violations: contract.violations,
    close: () => new Promise((resolve, reject) => {
      jobs.stop();
      server.closeAllConnections?.();
      server.close(() => {
        if (contract.violations.length) {
          reject(new Error(`the mock broke the API's contract (api-component/openapi.json):\n${[...new Set(contract.violations)].join('\n')}`));
        } else {
          resolve();
        }
      });
    }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const mock = await startMockServer({ port: Number(process.argv[2] ?? 0), jobStepMs: Number(process.env.MOCK_JOB_STEP_MS ?? 700) });
  console.log(`listening on ${mock.url}`);
  const link = await fetch(`${mock.url}/api/auth/signin-links`, { method: 'POST', headers: { authorization: `Bearer ${mock.adminToken}` } });
  console.log(`sign-in link: ${(await link.json()).url}`);
  console.log(`admin token: ${mock.adminToken}`);
}
