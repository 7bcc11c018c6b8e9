// Entry point: builds the page's parts and connects them. Each part gets `app`, the small
// interface below, instead of importing the others, so the modules stay independent.
//
// The address bar mirrors the open tab and document (#briefs/launch-plan.md), so a reload or a
// shared link comes back to the same place.

import { $, COLLECTIONS } from './dom.js';
import { Tabs } from './tabs.js';
import { DocumentsPanel } from './documents.js';
import { GenerateDialog } from './generate.js';
import { JobsPanel } from './jobs.js';
import { LogViewer } from './logs.js';
import { HealthIndicator } from './health.js';

const panels = {};
const selection = {};
let tabs;
let jobs;
let logs;
let generateDialog;
let health;
let lastCounts = '';

const app = {
  /** Switches to `collection`'s tab and opens `name` in its viewer. */
  async openDocument(collection, name) {
    if (!panels[collection]) return;
    tabs.select(collection);
    await panels[collection].open(name);
    panels[collection].reload();
  },
  openGenerate(collection, prefill) {
    generateDialog.open(collection, prefill);
  },
  openLogs(jobId) {
    logs.open(jobId);
  },
  refreshJobs() {
    jobs.refresh();
  },
  jobSubmitted() {
    jobs.refresh();
    if (window.matchMedia('(max-width: 1023px)').matches) jobs.setExpanded(true);
  },
  /** Finished jobs may have produced documents: refresh listings that were loaded. */
  jobsUpdated(list) {
    const counts = `${list.filter((j) => j.status === 'running').length}/${list.filter((j) => j.status === 'queued').length}`;
    if (counts !== lastCounts) {
      lastCounts = counts;
      health.refresh();
    }
    const finishedNow = list.filter((j) => j.status === 'completed' && !seenCompleted.has(j.id));
    for (const job of finishedNow) {
      seenCompleted.add(job.id);
      if (!firstJobsLoad) for (const doc of job.output_documents ?? []) panels[doc.collection]?.loaded && panels[doc.collection].reload();
    }
    firstJobsLoad = false;
  },
  setCount(collection, count, more) {
    const el = $(`#tab-${collection} .tab-count`);
    if (el) el.textContent = more ? `${count}+` : String(count);
  },
  documentSelected(collection, name) {
    selection[collection] = name;
    if (name) lastOpened[collection] = name;
    if (tabs.selected === collection) writeHash(collection, name);
  },
  /** The document of `collection` the user looked at last (to preselect it in pickers). */
  lastSelected(collection) {
    return lastOpened[collection] ?? null;
  },
};

const seenCompleted = new Set();
const lastOpened = {};
let firstJobsLoad = true;

function writeHash(collection, name) {
  const hash = `#${collection}${name ? `/${encodeURIComponent(name)}` : ''}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

function readHash() {
  const [collection, name] = location.hash.slice(1).split('/');
  if (!COLLECTIONS[collection]) return { collection: 'brand-data', name: null };
  return { collection, name: name ? decodeURIComponent(name) : null };
}

function init() {
  for (const panel of document.querySelectorAll('[role="tabpanel"][data-collection]')) {
    const collection = panel.dataset.collection;
    panels[collection] = new DocumentsPanel(panel, collection, app);
  }
  tabs = new Tabs($('[role="tablist"]'), (collection) => {
    panels[collection].activate();
    writeHash(collection, selection[collection]);
  });
  jobs = new JobsPanel($('#jobs'), app);
  logs = new LogViewer(app);
  generateDialog = new GenerateDialog(app);
  health = new HealthIndicator($('#health'), { onUpdate: (data) => jobs.setHealth(data) });

  const start = readHash();
  tabs.select(start.collection);
  if (start.name) panels[start.collection].open(start.name);
  for (const c of Object.keys(panels)) if (c !== start.collection) panels[c].activate();
  health.start();
  jobs.start();

  window.addEventListener('beforeunload', (event) => {
    if (Object.values(panels).some((p) => p.viewer.hasUnsavedChanges)) {
      event.preventDefault();
      event.returnValue = '';
    }
  });
  document.body.classList.add('is-ready');
}

init();
