// The mock API's search and usage totals, answering in the shapes of the real ones
// (api-component/src/documents/search.rs, search/text.rs and jobs/usage.rs; the answers are held
// to openapi.json like every other). Search folds words as the server does (case, accents,
// English plurals) and scans the documents, which is fine for a test double; usage is summed
// from the mock's ended jobs plus records tests add with `POST /__mock/usage`.

const SPECIAL = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', ł: 'l', ı: 'i', þ: 'th' };

/** A word as the index keeps it: lower case, accents dropped, a possessive gone, singular. */
export function fold(word) {
  const bare = word.replace(/['’][sS]$/, '').toLowerCase().normalize('NFD')
    .replace(/\p{M}|['’]/gu, '').replace(/[ßæœøđðłıþ]/g, (c) => SPECIAL[c]);
  if (bare.length < 4 || !/^\p{L}+$/u.test(bare)) return bare;
  if (bare.endsWith('ies')) return bare.length > 4 ? `${bare.slice(0, -3)}y` : bare.slice(0, -1);
  if (['sses', 'xes', 'ches', 'shes', 'zzes'].some((s) => bare.endsWith(s))) return bare.slice(0, -2);
  if (bare.endsWith('s') && !['ss', 'us', 'is'].some((s) => bare.endsWith(s))) return bare.slice(0, -1);
  return bare;
}

/** The words of `text` with their [start, end) offsets (UTF-16, as JavaScript counts). */
export function tokens(text) {
  return [...text.matchAll(/[\p{L}\p{N}][\p{L}\p{N}\p{M}]*(?:['’][\p{L}\p{N}][\p{L}\p{N}\p{M}]*)*/gu)]
    .map((m) => ({ start: m.index, end: m.index + m[0].length, term: fold(m[0]) }));
}

function plainText(collection, content) {
  if (collection === 'brand-data') {
    const leaves = [];
    const walk = (v) => {
      if (typeof v === 'string' && v.trim()) leaves.push(v);
      else if (typeof v === 'number') leaves.push(String(v));
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    try { walk(JSON.parse(content)); } catch { leaves.push(content); }
    return leaves.join(' · ').replace(/\s+/g, ' ').trim();
  }
  return content.replace(/```/g, ' ').replace(/[#>*_`|~]+/g, ' ').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/\s+/g, ' ').trim();
}

function snippet(text, terms) {
  const all = tokens(text);
  const first = all.find((t) => terms.has(t.term));
  let from = 0;
  if (first) {
    const back = Math.max(0, first.start - 60);
    from = back === 0 ? 0 : (all.find((t) => t.start >= back && (t.start > back || !/[\p{L}\p{N}]/u.test(text[back - 1] ?? ''))) ?? first).start;
  }
  let to = Math.min(text.length, from + 200);
  if (to < text.length) to = all.filter((t) => t.start >= from && t.end <= to).at(-1)?.end ?? to;
  const lead = from > 0 ? '…' : '';
  const matches = all.filter((t) => t.start >= from && t.end <= to && terms.has(t.term))
    .map((t) => [t.start - from + lead.length, t.end - from + lead.length]);
  return { text: `${lead}${text.slice(from, to)}${to < text.length ? '…' : ''}`, matches };
}

const FIELDS = ['jobs', 'completed', 'failed', 'cancelled', 'cost_micro_usd', 'input_tokens', 'output_tokens',
  'cache_read_input_tokens', 'cache_creation_input_tokens', 'duration_ms'];

const emptyRow = (key) => ({ key, ...Object.fromEntries(FIELDS.map((f) => [f, 0])), cost_usd: 0 });

function addTo(row, record) {
  const u = record.usage ?? {};
  row.jobs += 1;
  row[record.status] += 1;
  row.cost_micro_usd += Math.round((u.cost_usd ?? 0) * 1e6);
  row.cost_usd = row.cost_micro_usd / 1e6;
  for (const f of FIELDS.slice(5)) row[f] += u[f] ?? 0;
}

function day(value, name, HttpError) {
  if (value === null || value === '') return null;
  const ok = /^\d{4}-\d{2}-\d{2}$/.test(value) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);
  if (!ok) throw new HttpError(400, `${name} ${JSON.stringify(value)} is not a date (YYYY-MM-DD)`);
  return value;
}

const addDays = (d, n) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

export function createSearch({ docs, jobs, HttpError }) {
  const seeded = [];

  function search(url, collection) {
    const q = (url.searchParams.get('q') ?? '').trim();
    if (!q) throw new HttpError(400, 'q is required: the words to look for');
    if ([...q].length > 500) throw new HttpError(400, 'q is over 500 characters');
    const terms = new Set(tokens(q).map((t) => t.term));
    if (!terms.size) throw new HttpError(400, 'q has no words to look for (letters or digits)');
    if (terms.size > 16) throw new HttpError(400, 'q has more than 16 different words');
    const limit = Number(url.searchParams.get('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new HttpError(400, 'limit must be a whole number from 1 to 100');
    const cursor = url.searchParams.get('cursor');
    const start = cursor ? Number(cursor) : 0;
    if (!Number.isInteger(start) || start < 0) throw new HttpError(400, 'cursor is not one this API returned for this q');
    const candidates = [];
    for (const c of collection ? [collection] : Object.keys(docs.data)) {
      for (const doc of docs.data[c].values()) candidates.push({ collection: c, doc });
    }
    const matches = candidates
      .map(({ collection: c, doc }) => {
        const text = plainText(c, doc.content.toString('utf8'));
        const have = new Set([doc.name.replace(/\.[^.]+$/, ''), doc.title, text].flatMap((s) => tokens(s).map((t) => t.term)));
        return [...terms].every((t) => have.has(t)) ? { collection: c, doc, text } : null;
      })
      .filter(Boolean)
      .sort((a, b) => b.doc.order - a.doc.order);
    const page = matches.slice(start, start + limit);
    return {
      items: page.map(({ collection: c, doc, text }) => ({ collection: c, ...docs.item(doc), snippet: snippet(text, terms) })),
      next_cursor: start + limit < matches.length ? String(start + limit) : null,
    };
  }

  function usage(url) {
    const group = url.searchParams.get('group_by') ?? 'day';
    if (!['day', 'user', 'brand', 'type'].includes(group)) throw new HttpError(400, `group_by ${JSON.stringify(group)} is not one of day, user, brand, type`);
    const to = day(url.searchParams.get('to'), 'to', HttpError) ?? new Date().toISOString().slice(0, 10);
    const from = day(url.searchParams.get('from'), 'from', HttpError) ?? addDays(to, -29);
    const span = Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1;
    if (span < 1) throw new HttpError(400, 'from is after to');
    if (span > 366) throw new HttpError(400, `from and to are ${span} days apart; a report covers at most 366`);
    const ended = [...jobs.jobs.values()]
      .filter((j) => ['completed', 'failed', 'cancelled'].includes(j.status) && j.finished_at)
      .map((j) => ({
        day: j.finished_at.slice(0, 10), user: j.submitted_by || '(unknown)', type: j.type, status: j.status, usage: j.usage,
        brand: j.params?.brand_data ?? (j.type === 'brand_data' ? j.output_documents?.[0]?.name ?? '' : ''),
      }))
      .concat(seeded)
      .filter((r) => r.day >= from && r.day <= to);
    const rows = new Map();
    if (group === 'day') for (let i = 0; i < span; i++) rows.set(addDays(from, i), emptyRow(addDays(from, i)));
    const totals = emptyRow('');
    for (const r of ended) {
      const key = r[group];
      if (!rows.has(key)) rows.set(key, emptyRow(key));
      addTo(rows.get(key), r);
      addTo(totals, r);
    }
    let list = [...rows.values()];
    if (group !== 'day') list = list.sort((a, b) => b.cost_micro_usd - a.cost_micro_usd || b.jobs - a.jobs || a.key.localeCompare(b.key));
    return { group_by: group, from, to, rows: list, totals };
  }

  return {
    search,
    usage,
    /** The mock keeps no index: every document is always "current". */
    rebuild: () => ({ indexed: 0, current: Object.values(docs.data).reduce((n, m) => n + m.size, 0), next_cursor: null, done: true }),
    /** `POST /__mock/usage` `{records: [{day, user, brand, type, status, usage}]}`: ended jobs for the totals. */
    seed(records) {
      seeded.push(...records);
    },
  };
}
