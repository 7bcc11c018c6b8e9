// The mock's jobs backend: a FIFO queue with a concurrency limit, one simulated runner that plays
// a scripted Claude session per job (log lines, then an output document and usage figures),
// cancel and retry, the logs endpoint and the SSE stream. Tests steer it through /__mock/*:
//   POST /__mock/queue/pause | /__mock/queue/resume   hold queued jobs / let them run
//   POST /__mock/sse/drop                             cut every open event stream (test resume)
//   POST /__mock/sse/disable | /__mock/sse/enable     make /events fail (test polling fallback)
//   POST /__mock/steps/<ms>                           time between simulated log steps
//   POST /__mock/runner/offline | /__mock/runner/online  the simulated runner leaves / returns
//   POST /__mock/jobs/seed [{type, status, params, created_at, usage, …}]  finished jobs from the past
//   POST /__mock/usage-limit/<epoch ms>               when usage limits met from now on reset
// A brief whose title contains "fail" fails, to exercise errors and retry; one whose title
// contains "verbose" writes a long log, to exercise scrolling; one whose title contains
// "usage limit" meets the runner's usage limit on its first run and waits for its reset (an
// hour ahead unless set), then runs again ahead of the queued jobs, as the API does.

const MAX_CONCURRENT = 2;
/** Jobs one listing request examines at most, as on the server (jobs/views.rs). */
const MAX_EXAMINED = 500;
const RUNNER = 'mock-runner-1';
const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** The instruction files jobs are rendered from (names as the server's; digests made up). */
const TEMPLATES = {
  brand_data: { name: 'brand_data_generation_instructions.md', sha256: '1'.repeat(64) },
  brief: { name: 'brief_generation_instructions.md', sha256: '2'.repeat(64) },
  draft: { name: 'draft_generation_instructions.md', sha256: '3'.repeat(64) },
  revision: { name: 'revision_instructions.md', sha256: '4'.repeat(64) },
};

/** A prompt like the server's, from a job's parameters. */
function promptOf(job) {
  const p = job.params;
  const head = { brand_data: `# Brand data: ${p.brand_name}`, brief: `# Content brief: ${p.title}`, draft: '# Article draft', revision: '# Revise a document' }[job.type];
  const fields = Object.entries(p).filter(([k]) => k !== 'base').map(([k, v]) => `- ${k}: ${Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : v}`);
  return `${head}\n\n## Inputs\n\n${fields.join('\n')}\n`;
}

const slug = (s) => String(s).toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'untitled';

/** `onFinished(view)` hears of every job that ends (the webhook outbox, mock-webhooks.mjs). */
export function createJobs({ docs, stepMs, HttpError, onFinished = () => {} }) {
  const jobs = new Map();
  let counter = 0;
  let seqCounter = 100;
  let paused = false;
  let runnerOnline = true;
  let runnerSeen = new Date().toISOString();
  let sseEnabled = true;
  let limitResetsAt = null;
  const streams = new Set();
  const batches = new Map();
  const proposals = new Map();
  const timers = new Set();

  const later = (fn, ms) => {
    const t = setTimeout(() => { timers.delete(t); fn(); }, ms);
    timers.add(t);
  };

  function view(job) {
    const queued = [...jobs.values()].filter((j) => j.status === 'queued').sort((a, b) => a.ticket - b.ticket);
    const { lines, ticket, listeners, script, limitMet, due, ...rest } = job;
    return { ...rest, queue_position: job.status === 'queued' ? queued.indexOf(job) + 1 : null };
  }

  function emit(job, event, data) {
    for (const listener of job.listeners) listener(event, data);
  }

  function changed(job) {
    emit(job, FINAL.has(job.status) ? 'done' : 'status', view(job));
    // Queue positions of every other queued job may have moved.
    for (const other of jobs.values()) if (other !== job && other.status === 'queued') emit(other, 'status', view(other));
  }

  function log(job, kind, text, stream = 'stdout') {
    seqCounter += 1 + Math.floor(Math.random() * 3); // strictly increasing, not contiguous
    const line = { seq: seqCounter, ts: new Date().toISOString(), stream, kind, text };
    job.lines.push(line);
    emit(job, 'log', line);
  }

  function validate(collection, p) {
    const str = (v, field) => {
      if (typeof v !== 'string' || !v.trim()) throw new HttpError(400, `${field} must not be empty`);
      if (v.length > 500) throw new HttpError(400, `${field} is longer than 500 characters`);
      return v.trim();
    };
    const need = (c, name, field) => {
      str(name, field);
      if (!docs.exists(c, name)) throw new HttpError(422, `${field}: ${c}/${name} does not exist`);
    };
    if (collection === 'brand-data') {
      str(p.brand_name, 'brand_name');
      if (!Array.isArray(p.urls) || !p.urls.length) throw new HttpError(400, 'urls must list at least one URL');
      for (const u of p.urls) if (!/^https?:\/\/\S+$/.test(u)) throw new HttpError(400, `urls: ${u} is not an http(s) URL`);
      return { type: 'brand_data', output: { collection: 'brand-data', name: `${slug(p.brand_name)}.json` } };
    }
    if (collection === 'briefs') {
      str(p.title, 'title');
      str(p.primary_keyword, 'primary_keyword');
      need('brand-data', p.brand_data, 'brand_data');
      return { type: 'brief', output: { collection: 'briefs', name: `${slug(p.title)}.md` } };
    }
    need('briefs', p.brief, 'brief');
    need('brand-data', p.brand_data, 'brand_data');
    const words = p.target_word_count ?? 2000;
    if (!Number.isInteger(words) || words < 100 || words > 20000) throw new HttpError(400, 'target_word_count must be from 100 to 20000');
    return { type: 'draft', output: { collection: 'drafts', name: `${p.brief.replace(/\.md$/, '')}-draft.md` } };
  }

  function create(type, params, output, by, attempt = 1) {
    const id = `job_${String(++counter).padStart(4, '0')}${Math.random().toString(36).slice(2, 6)}`;
    const job = {
      id, type, status: 'queued', attempt, runner: null, created_at: new Date().toISOString(), started_at: null, finished_at: null, resume_at: null,
      params, output_documents: [], error: null, usage: null, cancel_requested: false, submitted_by: by,
      batch_id: null, parent_job_id: null, child_job_ids: [], retry_of: null, retried_as: null,
      template: TEMPLATES[type], quality: null,
      ticket: counter, lines: [], listeners: new Set(), script: { output },
    };
    jobs.set(id, job);
    log(job, 'info', `Queued (${type.replace('_', ' ')} job)`);
    schedule();
    return job;
  }

  function submit(collection, params, by) {
    const { type, output } = validate(collection, params);
    const job = create(type, params, output, by);
    return { job_id: job.id, status: 'queued' };
  }

  function schedule() {
    if (paused || !runnerOnline) return;
    const running = [...jobs.values()].filter((j) => j.status === 'running').length;
    const byTicket = (status) => [...jobs.values()].filter((j) => j.status === status && (status !== 'waiting' || j.due)).sort((a, b) => a.ticket - b.ticket);
    // Jobs whose usage limit has reset go first: they had reached the front of the line before.
    const next = [...byTicket('waiting'), ...byTicket('queued')];
    for (const job of next.slice(0, Math.max(0, MAX_CONCURRENT - running))) start(job);
  }

  /** The runner met its usage limit: the job waits for the reset without using up an attempt. */
  function waitForLimit(job) {
    const at = limitResetsAt ?? Date.now() + 3_600_000;
    const reset = new Date(at).toISOString().replace('T', ' ').slice(0, 16);
    log(job, 'error', `rate limit reached (five_hour), resets at ${reset} UTC`);
    log(job, 'error', `job stopped: usage limit reached, resets at ${reset} UTC`, 'system');
    job.limitMet = true;
    job.status = 'waiting';
    job.attempt += 1;
    job.resume_at = new Date(at).toISOString();
    job.started_at = null;
    job.usage = { cost_usd: 0, input_tokens: 0, output_tokens: 0, duration_ms: 227, num_turns: 1 };
    changed(job);
    later(() => {
      if (job.status !== 'waiting') return;
      job.due = true;
      schedule();
    }, Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1));
    schedule();
  }

  function content(job) {
    const p = job.params;
    if (job.type === 'brand_data') {
      return JSON.stringify({ brandInfo: { companyName: p.brand_name, companyDomain: p.urls[0], brandDescription: `${p.brand_name} makes thoughtful products for busy people.` }, writingGuidelines: { toneOfVoice: ['warm', 'clear', 'practical'] } }, null, 2) + '\n';
    }
    if (job.type === 'brief') {
      return `# ${p.title}\n\n## Audience and intent\n\nReaders searching for **${p.primary_keyword}** want practical advice.\n\n## Outline\n\n1. Introduction\n2. Key considerations\n3. Conclusion\n\n## Keywords\n\n- ${[p.primary_keyword, ...(p.secondary_keywords ?? [])].join('\n- ')}\n`;
    }
    return `# Draft: ${p.brief.replace(/\.md$/, '')}\n\n## Key takeaways\n\n- Short, useful, on brand.\n\n## Introduction\n\nThis draft targets about ${p.target_word_count} words and follows the brief *${p.brief}*.\n`;
  }

  function start(job) {
    job.status = 'running';
    job.runner = RUNNER;
    job.started_at = new Date().toISOString();
    job.resume_at = null;
    job.due = false;
    changed(job);
    const out = job.script.output;
    const limited = job.type === 'brief' && /usage limit/i.test(job.params.title ?? '') && !job.limitMet;
    const fails = job.type === 'brief' && /fail/i.test(job.params.title ?? '');
    const verbose = job.type === 'brief' && /verbose/i.test(job.params.title ?? '');
    const chatter = verbose ? Array.from({ length: 12 }, (_, s) => () => {
      for (let k = 0; k < 8; k++) log(job, 'text', `Reading source ${s * 8 + k + 1}: notes on the topic, the audience and what ranks today.`);
    }) : [];
    const steps = [
      () => log(job, 'info', `Started on ${RUNNER} (attempt ${job.attempt})`),
      () => log(job, 'text', `I'll research the topic and write output/${out.name}.`),
      () => log(job, 'tool_call', 'WebSearch: ' + (job.params.primary_keyword ?? job.params.brand_name ?? 'brief')),
      () => log(job, 'tool_ok', 'WebSearch returned 8 results'),
      ...chatter,
      ...(fails ? [
        () => log(job, 'retry', 'API overloaded (529); retrying in 2s (attempt 1 of 2)'),
        () => log(job, 'tool_error', 'Write failed: permission denied'),
        () => log(job, 'error', 'API Error: 529 Overloaded'),
      ] : [
        () => log(job, 'tool_call', `Write output/${out.name}`),
        () => log(job, 'tool_ok', `File created successfully at output/${out.name}`),
        () => log(job, 'text', `Created ${out.name}.`),
      ]),
    ];
    let i = 0;
    const step = () => {
      if (job.status !== 'running') return;
      if (job.cancel_requested) return finish(job, 'cancelled', 'Cancelled by request');
      if (limited && i === 2) return waitForLimit(job);
      if (i < steps.length) { steps[i++](); return later(step, stepMs); }
      if (fails) return finish(job, 'failed', 'Claude exited with status 1: API Error: 529 Overloaded');
      const p = job.params;
      if (job.type === 'revision') {
        // The proposal: the base with a sharper title and one more closing sentence.
        const proposed = p.base.replace(/^# (.*)$/m, '# $1, revised').replace(/\s*$/, '\n\nA closing sentence the revision added.\n');
        proposals.set(job.id, { job_id: job.id, collection: p.collection, name: p.name, base: p.base, proposed, base_gen: p.base_gen, status: 'pending', decided_by: null, created_at: new Date().toISOString() });
        log(job, 'result', 'Completed · proposal ready to review');
        return finish(job, 'completed');
      }
      const sources = job.type === 'draft'
        ? { job_id: job.id, brief: p.brief, brand_data: p.brand_data, target_word_count: p.target_word_count ?? 2000 }
        : { job_id: job.id, brand_data: p.brand_data, primary_keyword: p.primary_keyword, secondary_keywords: p.secondary_keywords ?? [] };
      const { doc } = docs.put(out.collection, out.name, Buffer.from(content(job)), undefined, `job ${job.id}`, job.type === 'brand_data' ? undefined : sources);
      job.output_documents = [out];
      job.quality = doc.quality ?? null;
      if (job.type === 'brief' && p.then_draft) {
        const child = submit('drafts', { brief: out.name, brand_data: p.brand_data, target_word_count: p.then_draft.target_word_count }, job.submitted_by);
        const draft = jobs.get(child.job_id);
        draft.parent_job_id = job.id;
        job.child_job_ids = [draft.id];
      }
      log(job, 'result', `Completed in ${(steps.length * stepMs / 1000).toFixed(1)}s · $0.0085 · 2400 in / 840 out tokens`);
      finish(job, 'completed');
    };
    later(step, stepMs);
  }

  function finish(job, status, error = null) {
    job.status = status;
    job.finished_at = new Date().toISOString();
    job.error = error;
    job.resume_at = null;
    if (status !== 'cancelled' || job.started_at) {
      job.usage = job.started_at ? { cost_usd: 0.0085, input_tokens: 2400, output_tokens: 840, duration_ms: Date.parse(job.finished_at) - Date.parse(job.started_at), num_turns: 3 } : null;
    }
    if (status === 'cancelled') log(job, 'info', 'Job cancelled');
    changed(job);
    onFinished(view(job));
    schedule();
  }

  function get(id) {
    const job = jobs.get(id);
    if (!job) throw new HttpError(404, `no job ${id}`);
    return job;
  }

  function events(req, res, job, url) {
    if (!sseEnabled) {
      // As the real host answers when too many streams are open.
      const refused = new HttpError(429, 'too many event streams are open');
      refused.headers = { 'retry-after': '5' };
      throw refused;
    }
    const header = req.headers['last-event-id'] ?? url.searchParams.get('after');
    const after = header !== undefined && header !== null && header !== '' ? Number(header) : -1;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write('retry: 300\n\n');
    const write = (event, data) => {
      const id = event === 'log' ? `id: ${data.seq}\n` : '';
      res.write(`event: ${event}\n${id}data: ${JSON.stringify(data)}\n\n`);
    };
    for (const line of job.lines) if (line.seq > after) write('log', line);
    if (FINAL.has(job.status)) { write('done', view(job)); res.end(); return; }
    write('status', view(job));
    const listener = (event, data) => {
      write(event, data);
      if (event === 'done') { cleanup(); res.end(); }
    };
    const cleanup = () => { job.listeners.delete(listener); streams.delete(res); };
    job.listeners.add(listener);
    streams.add(res);
    res.on('close', cleanup);
  }

  /** `GET /api/jobs`: filtered as the server filters (jobs/filter.rs), newest first, each page
   * examining at most MAX_EXAMINED jobs and saying where to go on from. */
  function list(params) {
    const filter = listFilter(params);
    const limit = Number(params.get('limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new HttpError(400, 'limit must be a whole number from 1 to 200');
    const rawCursor = params.get('cursor');
    if (rawCursor && !(Number(rawCursor) > 0 && Number.isInteger(Number(rawCursor)))) throw new HttpError(400, 'cursor is not one this API returned');
    const top = rawCursor ? Number(rawCursor) : counter;
    const byTicket = new Map([...jobs.values()].map((j) => [j.ticket, j]));
    const items = [];
    const floor = Math.max(0, top - MAX_EXAMINED);
    for (let n = top; n > floor; n--) {
      const job = byTicket.get(n);
      if (!job) continue;
      if (filter.from !== null && Date.parse(job.created_at) < filter.from - 60_000) return { items: items.map(view), next_cursor: null };
      if (!filter.matches(job)) continue;
      if (items.length === limit) return { items: items.map(view), next_cursor: String(n) };
      items.push(job);
    }
    return { items: items.map(view), next_cursor: floor > 0 ? String(floor) : null };
  }

  function listFilter(params) {
    const get = (name) => (params.get(name) ?? '').trim() || null;
    const status = get('status');
    if (status && !['queued', 'running', 'waiting', 'completed', 'failed', 'cancelled'].includes(status)) throw new HttpError(400, `status ${JSON.stringify(status)} is not one of queued, running, waiting, completed, failed, cancelled`);
    const type = get('type');
    if (type && !['brand_data', 'brief', 'draft', 'revision'].includes(type)) throw new HttpError(400, `type ${JSON.stringify(type)} is not one of brand_data, brief, draft, revision`);
    const q = get('q')?.toLowerCase() ?? null;
    if (q && q.length > 200) throw new HttpError(400, 'q is longer than 200 characters');
    const by = get('submitted_by')?.toLowerCase() ?? null;
    const instant = (name, end) => {
      const raw = get(name);
      if (!raw) return null;
      const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
      const ms = day ? Date.UTC(+day[1], +day[2] - 1, +day[3] + (end ? 1 : 0)) : (/^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) + (end ? 1 : 0) : NaN);
      if (!Number.isFinite(ms)) throw new HttpError(400, `${name} ${JSON.stringify(raw)} is not a date (YYYY-MM-DD) or an RFC 3339 time such as 2026-01-31T09:00:00Z`);
      return ms;
    };
    const from = instant('from', false);
    const before = instant('to', true);
    if (from !== null && before !== null && from >= before) throw new HttpError(400, 'from is after to: the window holds no time');
    const names = (j) => [j.params.title, j.params.primary_keyword, j.params.brand_name, j.params.brand_data, j.params.brief, j.params.name,
      ...(j.params.secondary_keywords ?? []), j.script.output?.name, ...j.output_documents.map((d) => d.name), j.submitted_by].filter((v) => typeof v === 'string');
    return {
      from,
      matches: (j) => (!status || j.status === status) && (!type || j.type === type) && (!by || j.submitted_by.toLowerCase() === by)
        && (from === null || Date.parse(j.created_at) >= from) && (before === null || Date.parse(j.created_at) < before)
        && (!q || names(j).some((v) => v.toLowerCase().includes(q))),
    };
  }

  /** `by` names the caller, for a retry's `submitted_by`. */
  async function handle(req, res, url, parts, send, by) {
    const method = req.method;
    if (!parts.length && method === 'GET') return send(res, 200, list(url.searchParams));
    const job = get(decodeURIComponent(parts[0]));
    if (parts.length === 1 && method === 'GET') return send(res, 200, view(job));
    if (parts[1] === 'cancel' && method === 'POST') {
      if (FINAL.has(job.status)) throw new HttpError(409, `job ${job.id} has already finished (${job.status})`);
      cancelNow(job);
      return send(res, 202, view(job));
    }
    if (parts[1] === 'retry' && method === 'POST') {
      if (job.status !== 'failed' && job.status !== 'cancelled') throw new HttpError(409, `only failed or cancelled jobs can be retried; ${job.id} is ${job.status}`);
      if (job.retried_as) throw new HttpError(409, `job ${job.id} was retried already, as job ${job.retried_as}; retry that one if it failed too`);
      const retry = create(job.type, job.params, job.script.output, by, job.attempt + 1);
      retry.retry_of = job.id;
      job.retried_as = retry.id;
      changed(job);
      return send(res, 202, { job_id: retry.id, status: 'queued', retry_of: job.id });
    }
    if (parts[1] === 'prompt' && method === 'GET') return send(res, 200, { job_id: job.id, template: job.template, prompt: promptOf(job) });
    if (parts[1] === 'logs' && method === 'GET') {
      const after = url.searchParams.has('after') ? Number(url.searchParams.get('after')) : -1;
      const limit = Number(url.searchParams.get('limit') ?? 500);
      const rest = job.lines.filter((l) => l.seq > after);
      const lines = rest.slice(0, limit);
      const next = lines.length ? lines[lines.length - 1].seq : (after >= 0 ? after : null);
      return send(res, 200, { lines, next, done: FINAL.has(job.status) && rest.length <= limit });
    }
    if (parts[1] === 'events' && method === 'GET') return events(req, res, job, url);
    throw new HttpError(404, `no endpoint at ${url.pathname}`);
  }

  /** Finished jobs from the past, as given (`[{type, status, params, created_at, usage, …}]`). */
  function seed(list) {
    for (const given of list) {
      const { output, ...fields } = given;
      const id = `job_${String(++counter).padStart(4, '0')}${Math.random().toString(36).slice(2, 6)}`;
      const created = fields.created_at ?? new Date().toISOString();
      const job = {
        id, type: 'brief', status: 'completed', attempt: 1, runner: RUNNER, created_at: created, started_at: created,
        finished_at: new Date(Date.parse(created) + 42_000).toISOString(), resume_at: null, params: {}, output_documents: [], error: null, usage: null,
        cancel_requested: false, submitted_by: 'admin', batch_id: null, parent_job_id: null, child_job_ids: [], retry_of: null, retried_as: null,
        template: TEMPLATES[fields.type ?? 'brief'] ?? null, quality: null,
        ...fields, ticket: counter, lines: [], listeners: new Set(), script: { output: output ?? null },
      };
      jobs.set(id, job);
      log(job, 'result', `Completed (${job.type})`);
    }
  }

  async function control(req, res, parts, send, readBody) {
    const action = parts.join('/');
    if (action === 'jobs/seed') seed(JSON.parse((await readBody(req)).toString()));
    else if (action === 'queue/pause') paused = true;
    else if (action === 'queue/resume') { paused = false; schedule(); }
    else if (action === 'sse/drop') { for (const s of streams) s.destroy(); streams.clear(); }
    else if (action === 'sse/disable') { sseEnabled = false; for (const s of streams) s.destroy(); streams.clear(); }
    else if (action === 'sse/enable') sseEnabled = true;
    else if (action === 'runner/offline') { runnerOnline = false; runnerSeen = new Date().toISOString(); }
    else if (action === 'runner/online') { runnerOnline = true; schedule(); }
    else if (parts[0] === 'steps' && Number(parts[1]) > 0) stepMs = Number(parts[1]);
    else if (parts[0] === 'usage-limit' && Number(parts[1]) > 0) limitResetsAt = Number(parts[1]);
    else throw new HttpError(404, `no mock control ${action}`);
    return send(res, 200, { ok: true });
  }

  /** The API's rule: degraded while jobs are queued and no runner is online. */
  function health() {
    const all = [...jobs.values()];
    const queued = all.filter((j) => j.status === 'queued').length;
    const runners = runnerOnline ? 1 : 0;
    const body = {
      status: 'healthy', timestamp: new Date().toISOString(), version: 'mock',
      active_jobs: all.filter((j) => j.status === 'running').length,
      queued_jobs: queued,
      waiting_jobs: all.filter((j) => j.status === 'waiting').length,
      max_concurrent_jobs: MAX_CONCURRENT, runners_online: runners,
    };
    if (queued > 0 && runners === 0) {
      body.status = 'degraded';
      body.reason = queued === 1 ? '1 job is queued and no runner is online' : `${queued} jobs are queued and no runner is online`;
    }
    return body;
  }

  /** `GET /api/runners`: the one simulated runner. */
  function runners() {
    return [{ name: RUNNER, last_seen: runnerOnline ? new Date().toISOString() : runnerSeen, online: runnerOnline }];
  }

  function stop() {
    for (const t of timers) clearTimeout(t);
    for (const s of streams) s.destroy();
  }

  /** Every item checked before any is queued, as the server does; one bad item queues nothing. */
  function submitBatch(collection, items, by) {
    if (!Array.isArray(items) || !items.length || items.length > 100) throw new HttpError(400, `items must hold 1 to 100 requests, not ${items?.length ?? 0}`);
    items.forEach((item, i) => {
      try { validate(collection, item ?? {}); } catch (e) { throw new HttpError(400, `items[${i}]: ${e.message}`); }
    });
    const id = `b${++counter}-${Math.random().toString(16).slice(2, 10)}`;
    const ids = items.map((item) => {
      const { job_id: jobId } = submit(collection, item, by);
      jobs.get(jobId).batch_id = id;
      return jobId;
    });
    batches.set(id, { id, collection, job_ids: ids, created_at: new Date().toISOString(), created_by: by });
    return { batch_id: id, job_ids: ids };
  }

  function batchView(id) {
    const batch = batches.get(id);
    if (!batch) throw new HttpError(404, `no batch with id ${JSON.stringify(id)}`);
    const members = batch.job_ids.map((j) => jobs.get(j)).filter(Boolean);
    const counts = { queued: 0, running: 0, waiting: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const j of members) counts[j.status] += 1;
    return { ...batch, total: members.length, counts, done: members.every((j) => FINAL.has(j.status)) };
  }

  function cancelBatch(id) {
    for (const jobId of batchView(id).job_ids) {
      const job = jobs.get(jobId);
      if (!FINAL.has(job.status)) cancelNow(job);
    }
    return batchView(id);
  }

  /** As the API cancels: a queued or waiting job at once, a running one once its runner stops. */
  function cancelNow(job) {
    job.cancel_requested = true;
    if (job.status === 'queued') finish(job, 'cancelled', 'cancelled before it started');
    else if (job.status === 'waiting') finish(job, 'cancelled', 'cancelled while waiting for the usage limit to reset');
    else changed(job);
  }

  /** A revision of a stored document at generation `gen`. */
  function submitRevision(collection, name, instructions, etag, by) {
    const doc = docs.get(collection, name);
    if (!instructions?.trim()) throw new HttpError(400, 'instructions is required');
    if (etag && etag.replace(/"/g, '') !== String(doc.gen)) throw new HttpError(412, `${name} was changed since you loaded it (ETag mismatch); reload it and ask again`);
    const job = create('revision', { collection, name, instructions: instructions.trim(), base: doc.content.toString('utf8'), base_gen: doc.gen }, { collection, name }, by);
    return { job_id: job.id, status: 'queued' };
  }

  /** Word-level runs between two texts (tokens are words and the whitespace between them). */
  function segments(base, proposed) {
    const a = base.split(/(\s+)/).filter((t) => t !== '');
    const b = proposed.split(/(\s+)/).filter((t) => t !== '');
    const lcs = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
    for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    const out = [];
    const push = (kind, removed, added) => {
      const last = out.at(-1);
      if (kind === 'same') { if (last?.kind === 'same') last.text += removed; else out.push({ kind, text: removed }); return; }
      if (last?.kind === 'hunk') { last.removed += removed; last.added += added; } else out.push({ kind: 'hunk', index: out.filter((s) => s.kind === 'hunk').length, removed, added });
    };
    let i = 0; let j = 0;
    while (i < a.length || j < b.length) {
      if (i < a.length && j < b.length && a[i] === b[j]) { push('same', a[i]); i++; j++; } else if (j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])) { push('hunk', '', b[j]); j++; } else { push('hunk', a[i], ''); i++; }
    }
    return out;
  }

  function proposalView(id) {
    const p = proposals.get(id);
    if (!p) throw new HttpError(404, `no proposal from job ${JSON.stringify(id)}: it is not a revision, has not finished, or failed`);
    const segs = segments(p.base, p.proposed);
    return { job_id: p.job_id, collection: p.collection, name: p.name, base_etag: `"${p.base_gen}"`, status: p.status, base: p.base, proposed: p.proposed, segments: segs, hunk_count: segs.filter((s) => s.kind === 'hunk').length, created_at: p.created_at, decided_by: p.decided_by };
  }

  function decide(id, status, by, hunks) {
    const view = proposalView(id);
    const p = proposals.get(id);
    if (p.status !== 'pending') return { status: 409, body: { error: `the proposal of job ${id} was ${p.status} already` } };
    if (status === 'approved') {
      const doc = docs.data[p.collection].get(p.name);
      if (!doc || doc.gen !== p.base_gen) return { status: 409, body: { error: `${p.name} changed since the revision was asked for; nothing was written`, current: doc ? doc.content.toString('utf8') : null, current_etag: doc ? `"${doc.gen}"` : null } };
      const take = hunks ? new Set(hunks) : null;
      const text = view.segments.map((s) => (s.kind === 'same' ? s.text : !take || take.has(s.index) ? s.added : s.removed)).join('');
      const { doc: written } = docs.put(p.collection, p.name, Buffer.from(text), undefined, by, undefined, `revision:${id}`);
      p.status = 'approved';
      p.decided_by = by;
      return { status: 200, body: docs.item(written), headers: { etag: `"${written.gen}"`, location: `/api/${p.collection}/${p.name}` } };
    }
    p.status = 'rejected';
    p.decided_by = by;
    return { status: 200, body: proposalView(id) };
  }

  return { submit, submitBatch, batchView, cancelBatch, submitRevision, proposalView, decide, handle, control, health, runners, stop, jobs };
}
