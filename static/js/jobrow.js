// One row of the Jobs view (jobhistory.js): what the job made and its id, its status (why it
// failed, when a waiting job resumes), when and by whom it was submitted, how long it took, what
// it cost with the tokens on demand, and its links: the log, the review of a revision, each
// document it wrote (its collection, a title read from its name, the name itself) and, for
// editors, Cancel or Retry as the jobs panel offers them.

import { h, button, icon, statusBadge, formatCost, formatDuration, formatNumber, timeEl, COLLECTIONS } from './dom.js';
import { JOB_TYPES, jobTitle, jobDuration, jobControls, resumeText, waitingHelp } from './jobs.js';
import { qualityBadge } from './quality.js';
import { reviewProposal } from './review.js';

/** What a collection holds, one of them: "Brief", "Draft", "Brand data". */
const KINDS = { 'brand-data': 'Brand data', briefs: 'Brief', drafts: 'Draft' };

/** A document name read as words: `trail-shoes-for-wet-rock.md` → "Trail shoes for wet rock". */
export function titleFromName(name) {
  const words = name.replace(/\.[^.]+$/, '').replace(/[-_.]+/g, ' ').trim();
  return words ? words[0].toUpperCase() + words.slice(1) : name;
}

export function jobRow(app, job) {
  const title = jobTitle(job);
  const usage = job.usage;
  const duration = jobDuration(job);
  const links = h('div', { class: 'jh-links' },
    button('Logs', { icon: 'logs', variant: 'ghost', small: true, attrs: { 'data-action': 'logs', 'aria-label': `Logs of ${title}` }, onClick: () => app.openLogs(job.id) }),
    job.type === 'revision' && job.status === 'completed' && button('Review', { icon: 'doc', variant: 'link', small: true, attrs: { 'data-action': 'review' }, onClick: () => reviewProposal(app, job.id) }),
    jobControls(app, job));
  const outputs = (job.output_documents ?? []).map((doc) => h('a', {
    class: 'jh-output', href: `#${doc.collection}/${encodeURIComponent(doc.name)}`,
    attrs: { 'data-action': 'open-output' },
  }, icon('doc'), h('span', { class: 'jh-output-text' },
    h('span', { class: 'jh-output-title' }, h('span', { class: 'jh-output-kind', text: `${KINDS[doc.collection] ?? COLLECTIONS[doc.collection]?.label ?? doc.collection}: ` }), titleFromName(doc.name)),
    h('span', { class: 'jh-output-name', text: doc.name }))));
  return h('tr', { class: `is-${job.status}`, dataset: { jobId: job.id } },
    h('td', { class: 'jh-job', dataset: { label: 'Job' } }, h('div', { class: 'jh-job-text' },
      h('span', { class: 'job-type', text: JOB_TYPES[job.type] ?? job.type }),
      h('span', { class: 'jh-title', text: title }),
      h('span', { class: 'jh-id', text: job.id }))),
    h('td', { class: 'jh-state', dataset: { label: 'Status' } }, h('span', { class: 'job-badges' }, statusBadge(job.status), qualityBadge(job.quality)),
      job.error && job.status === 'failed' && h('span', { class: 'jh-error', text: job.error }),
      job.status === 'waiting' && h('span', { class: 'jh-waiting', attrs: { title: waitingHelp(job) }, text: capitalized(resumeText(job)) })),
    h('td', { class: 'jh-when', dataset: { label: 'Submitted' } }, timeEl(job.created_at),
      job.submitted_by && h('span', { class: 'muted jh-by', text: ` by ${job.submitted_by}` })),
    h('td', { class: 'jh-num jh-took', dataset: { label: 'Took' }, text: duration !== null && job.finished_at ? formatDuration(duration) : '—' }),
    h('td', { class: 'jh-num jh-cost', dataset: { label: 'Cost' } }, usage ? formatCost(usage.cost_usd) : '—', usage && tokens(usage)),
    h('td', { class: 'jh-linkcell', dataset: { label: 'Links' } }, links, outputs.length ? h('div', { class: 'jh-outputs' }, outputs) : null));
}

function capitalized(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** The token counts behind a cost, folded away until asked for. */
function tokens(usage) {
  const facts = [
    ['Input', usage.input_tokens], ['Output', usage.output_tokens],
    ['Cache read', usage.cache_read_input_tokens], ['Cache write', usage.cache_creation_input_tokens],
    ['Web searches', usage.web_search_requests], ['Turns', usage.num_turns],
  ].filter(([, v]) => v !== undefined && v !== null);
  return h('details', { class: 'jh-tokens' },
    h('summary', { text: 'Tokens' }),
    h('dl', {}, facts.map(([label, value]) => h('div', {}, h('dt', { text: label }), h('dd', { text: formatNumber(value) })))));
}
