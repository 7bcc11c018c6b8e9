// The mock's quality gates: the same check ids, labels, statuses and score formula as the
// component (api-component/src/quality), answered in the same shape, with simpler logic
// (line-based Markdown, substring keyword matching, no stemming). Enough for the UI tests:
// a good document passes, a careless one fails, and the checklist has something to show.

const unwrap = (v) => (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && 'value' in v ? v.value : v);

function parse(text) {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const headings = [];
  lines.forEach((line, i) => {
    const m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) headings.push({ level: m[1].length, text: m[2].replace(/[*_`]/g, ''), line: i });
  });
  return { lines, headings };
}

/** The lines under the first heading at `level` whose text matches `re`. */
function section(doc, level, re) {
  const at = doc.headings.findIndex((hd) => hd.level === level && re.test(hd.text.toLowerCase()));
  if (at < 0) return null;
  const next = doc.headings.slice(at + 1).find((hd) => hd.level <= level);
  return doc.lines.slice(doc.headings[at].line + 1, next ? next.line : doc.lines.length);
}

const has = (text, keyword) => Boolean(keyword) && text.toLowerCase().includes(keyword.toLowerCase().replace(/s$/, ''));
const words = (text) => text.replace(/[#>*_`|[\]()-]+/g, ' ').split(/\s+/).filter(Boolean);
const check = (id, label, status, detail) => ({ id, label, status, detail });
const NO_KEYWORD = 'No primary keyword is known for this document';

const SECTIONS = [
  ['audience & intent', /audience|intent/], ['competitors', /competitor|competition|serp/], ['strategy', /strategy|angle/],
  ['outline', /outline|structure/], ['FAQ', /faq|frequently asked|questions/], ['guidelines', /guideline|writing|tone|style/],
];

function sectionLevel(doc) {
  return Math.min(...doc.headings.map((hd) => hd.level).filter((l) => l > 1), 6);
}

function h1Check(id, doc, keyword) {
  const label = 'Primary keyword in the H1';
  if (!keyword) return check(id, label, 'warn', NO_KEYWORD);
  const h1 = doc.headings.find((hd) => hd.level === 1);
  if (!h1) return check(id, label, 'fail', 'There is no H1 (`# ` title)');
  return has(h1.text, keyword) ? check(id, label, 'pass', `“${h1.text}” contains “${keyword}”`) : check(id, label, 'fail', `“${h1.text}” does not contain “${keyword}”`);
}

const outlineOf = (doc) => (section(doc, sectionLevel(doc), /outline/) ?? []).map((l) => /^\W*H2\W+(.+?)\**$/.exec(l)?.[1]).filter(Boolean);
const targetOf = (text) => Number(/(\d[\d,]{2,})\s*words/i.exec(text)?.[1]?.replace(/,/g, '')) || null;

function metaCheck(id, label, key, max, text) {
  const value = new RegExp(`${key}\\W*:\\s*(.+)`, 'i').exec(text)?.[1]?.replace(/[*"“”]/g, '').trim();
  if (!value) return check(id, label, 'fail', `No ${key} is suggested`);
  return check(id, label, value.length <= max ? 'pass' : 'fail', `“${value}”: ${value.length} characters${value.length <= max ? ` (at most ${max})` : `; at most ${max}`}`);
}

export function briefChecks(text, { primary }) {
  const doc = parse(text);
  const level = sectionLevel(doc);
  const missing = SECTIONS.filter(([, re]) => !section(doc, level, re)).map(([n]) => n);
  const competitors = section(doc, level, SECTIONS[1][1]) ?? [];
  const rows = competitors.filter((l) => /^\s*(\||[-*]|\d+\.)/.test(l) && !/^\s*\|?\s*-{3}/.test(l) && !/^\s*\|\s*url\s*\|/i.test(l));
  const withUrl = rows.filter((l) => /https?:\/\//.test(l)).length;
  const faq = (section(doc, level, SECTIONS[4][1]) ?? []).filter((l) => l.includes('?')).length;
  const outline = outlineOf(doc);
  const target = targetOf(text);
  return [
    check('brief.sections', 'Sections in order', missing.length ? 'fail' : 'pass', missing.length ? `Missing: ${missing.join(', ')}` : 'All six sections, in order'),
    h1Check('brief.h1_keyword', doc, primary),
    check('brief.competitors', '1–5 competitors, each with a URL', rows.length >= 1 && rows.length <= 5 && withUrl === rows.length ? 'pass' : 'fail', `${rows.length} listed, ${withUrl} with a URL`),
    check('brief.faq', '1–6 FAQ questions', faq >= 1 && faq <= 6 ? 'pass' : 'fail', faq ? `${faq} questions` : 'There is no FAQ section'),
    metaCheck('brief.meta_title', 'Meta title', 'meta title', 60, text),
    metaCheck('brief.meta_description', 'Meta description', 'meta description', 155, text),
    check('brief.outline', 'Outline with at least 3 H2 sections', outline.length >= 3 ? 'pass' : 'fail', `${outline.length} H2 sections`),
    check('brief.word_target', 'Suggested word count', target ? 'pass' : 'fail', target ? `Suggests about ${target} words` : 'No suggested word count is stated'),
  ];
}

/**
 * The words to avoid of brand data in either shape: `writingGuidelines.vocabularyPreferences.
 * avoid`, or the "Avoid: …" / "Never use …" sentences of a `vocabularyPreferences` list.
 */
function avoidList(brand) {
  const prefs = unwrap(unwrap(brand?.writingGuidelines)?.vocabularyPreferences);
  if (Array.isArray(prefs)) {
    return prefs.map(unwrap).filter((t) => typeof t === 'string')
      .map((t) => /^\s*(?:avoid|don't use|do not use|never use|banned)\s*:?\s*(.*)$/i.exec(t)?.[1])
      .filter(Boolean).flatMap((t) => t.split(/[,;]/)).map((t) => t.replace(/["'“”]/g, '').trim()).filter(Boolean);
  }
  const avoid = unwrap(prefs?.avoid);
  return Array.isArray(avoid) ? avoid.map(unwrap).filter((t) => typeof t === 'string') : [];
}

export function draftChecks(text, { primary, target, brief, brand }) {
  const doc = parse(text);
  const all = words(text);
  const n = all.length;
  const keywordCheck = (id, label, ok, pass, fail) => (!primary ? check(id, label, 'warn', NO_KEYWORD) : check(id, label, ok ? 'pass' : 'fail', ok ? pass : fail));
  const off = target ? ((n - target) / target) * 100 : null;
  const intro = (section(doc, 2, /introduction/) ?? doc.lines).join(' ');
  const h2 = doc.headings.find((hd) => hd.level === 2 && has(hd.text, primary));
  const planned = brief ? outlineOf(parse(brief)) : [];
  const missing = planned.filter((p) => !doc.headings.some((hd) => hd.level <= 3 && has(hd.text, p)));
  const h1s = doc.headings.filter((hd) => hd.level === 1).length;
  const skipped = doc.headings.some((hd, i) => i > 0 && hd.level > doc.headings[i - 1].level + 1);
  const uses = primary ? text.toLowerCase().split(primary.toLowerCase()).length - 1 : 0;
  const density = primary && n ? (uses * primary.split(/\s+/).length * 100) / n : 0;
  const placeholders = ['TODO', '[insert', 'lorem ipsum', 'as an AI'].filter((p) => (p === 'TODO' ? /\bTODO\b/.test(text) : text.toLowerCase().includes(p.toLowerCase())));
  const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !l.startsWith('#'));
  const bad = links.filter((l) => !/^https?:\/\/[^\s/]+\.[^\s/]+/.test(l));
  const used = avoidList(brand).filter((t) => new RegExp(`\\b${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'i').test(text));
  return [
    target ? check('draft.word_count', 'Length within 10 % of the target', Math.abs(off) <= 10 ? 'pass' : Math.abs(off) <= 20 ? 'warn' : 'fail', `${n} words for a target of ${target} (${off >= 0 ? '+' : ''}${off.toFixed(1)} %)`)
      : check('draft.word_count', 'Length within 10 % of the target', 'warn', `${n} words; no target is known`),
    h1Check('draft.h1_keyword', doc, primary),
    keywordCheck('draft.intro_keyword', 'Primary keyword in the first 100 words', has(words(intro).slice(0, 100).join(' '), primary), `The introduction uses “${primary}” early`, `“${primary}” is not in the first 100 words of the introduction`),
    keywordCheck('draft.h2_keyword', 'Primary keyword in an H2', Boolean(h2), `“${h2?.text}”`, `No H2 contains “${primary}”`),
    !brief ? check('draft.outline_coverage', 'Every H2 of the brief\'s outline', 'warn', 'No brief is known to compare with')
      : check('draft.outline_coverage', 'Every H2 of the brief\'s outline', missing.length ? 'fail' : 'pass', missing.length ? `Missing ${missing.length} of ${planned.length}: ${missing.map((m) => `“${m}”`).join('; ')}` : `All ${planned.length} H2 sections of the brief are here`),
    section(doc, 2, /faq|frequently asked|questions/) ? check('draft.faq', 'FAQ answering the brief\'s questions', 'pass', 'Questions answered') : check('draft.faq', 'FAQ answering the brief\'s questions', 'fail', 'There is no FAQ section'),
    check('draft.heading_levels', 'One H1, no skipped heading levels', h1s === 1 && !skipped ? 'pass' : 'fail', h1s === 1 && !skipped ? 'One H1; every heading one level at most below the one before' : `${h1s} H1 headings${skipped ? '; a heading level is skipped' : ''}`),
    keywordCheck('draft.keyword_density', 'Keyword density at most 2.5 %', density <= 2.5, `${density.toFixed(1)} %`, `${density.toFixed(1)} %: “${primary}” ${uses} times in ${n} words`),
    check('draft.readability', 'Readability for the audience', 'pass', 'Flesch reading ease 65, grade level 7.5; reading ease 40–80 expected'),
    check('draft.placeholders', 'No placeholders or AI boilerplate', placeholders.length ? 'fail' : 'pass', placeholders.length ? placeholders.map((p) => `“${p}”`).join('; ') : 'None found'),
    check('draft.links', 'Well-formed, distinct links', bad.length ? 'fail' : 'pass', bad.length ? `Not absolute http(s) addresses: ${bad.map((b) => `“${b}”`).join('; ')}` : `${links.length} links, all well-formed and distinct`),
    check('draft.banned_terms', 'None of the brand\'s words to avoid', used.length ? 'fail' : 'pass', used.length ? `Uses ${used.map((u) => `“${u}”`).join('; ')}` : 'None of the words to avoid is used'),
  ];
}

/** `{score, checks}`: pass 1, warn ½, fail 0, averaged × 100, rounded half up. */
export function report(checks) {
  const halves = checks.reduce((n, c) => n + ({ pass: 2, warn: 1, fail: 0 }[c.status]), 0);
  return { score: checks.length ? Math.floor((halves * 100 + checks.length) / (2 * checks.length)) : 100, checks };
}

export const summary = (r) => ({ score: r.score, failed: r.checks.filter((c) => c.status === 'fail').map((c) => c.id) });

/**
 * Grades a stored brief or draft against its sources (or `against`, the query's overrides),
 * reading its brief and brand data through `docs`. Null for brand data.
 */
export function grade(docs, collection, text, sources, against = {}) {
  if (collection === 'brand-data') return null;
  const text$ = (c, n) => (n && docs.exists(c, n) ? docs.get(c, n).content.toString('utf8') : null);
  let primary = against.primary_keyword ?? sources?.primary_keyword ?? null;
  if (collection === 'briefs') return report(briefChecks(text, { primary }));
  const briefName = against.brief ?? sources?.brief;
  const brief = text$('briefs', briefName);
  primary ??= (briefName && docs.exists('briefs', briefName) ? docs.get('briefs', briefName).sources?.primary_keyword : null)
    ?? (brief ? /primary keyword\W*:\s*(.+)/i.exec(brief)?.[1]?.replace(/[*"“”]/g, '').trim() : null) ?? null;
  let brand = null;
  try { brand = JSON.parse(text$('brand-data', against.brand_data ?? sources?.brand_data) ?? 'null'); } catch { /* unknown */ }
  const target = against.target_word_count ?? sources?.target_word_count ?? (brief ? targetOf(brief) : null);
  return report(draftChecks(text, { primary, target, brief, brand }));
}
