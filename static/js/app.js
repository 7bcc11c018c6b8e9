// Entry point: finds out who is signed in (GET /api/me) or shows the signed-out screens, then
// builds the page's parts and connects them. Each part gets `app`, the small interface below,
// instead of importing the others, so the modules stay independent.
//
// The address bar mirrors the open tab and document (#briefs/launch-plan.md), the job history
// (#jobs), the usage page (#usage) or the admin page (#admin; #tokens for everyone else's own tokens), so a reload or a
// shared link comes back to the same place. `#invite=<secret>` and `#signin=<code>` are one-time secrets handled before
// anything else (see auth.js). A 401 later on (the session expired or was ended) brings back the
// sign-in screen over the app, which is kept as it was: signing in again as the same person
// carries on; anyone else gets a fresh page.

import * as api from './api.js';
import { $, announce, COLLECTIONS } from './dom.js';
import { confirmDialog } from './dialogs.js';
import { Tabs } from './tabs.js';
import { DocumentsPanel } from './documents.js';
import { GenerateDialog } from './generate.js';
import { JobsPanel, PHONE } from './jobs.js';
import { JobState } from './jobstate.js';
import { LogViewer } from './logs.js';
import { HealthIndicator } from './health.js';
import { AuthScreen, readAuthFragment } from './auth.js';
import { UserMenu } from './usermenu.js';
import { AdminScreen } from './admin.js';
import { JobHistoryScreen } from './jobhistory.js';
import { JobNotifier } from './notify.js';
import { UsageScreen } from './usage.js';

const panels = {};
const selection = {};
let tabs;
let jobs;
let logs;
let generateDialog;
let jobState;
let me = null;
let started = false;
let view = 'documents';
let adminScreen = null;
let historyScreen = null;
let usageScreen = null;
/** Set while the page follows the address bar (so it does not write the address back). */
let routing = false;
/** Set when the page reloads on purpose (signing out), so no "unsaved changes" prompt stops it. */
let leaving = false;

const screens = { auth: $('#auth-main'), workspace: $('#workspace'), admin: $('#admin-main'), jobs: $('#jobs-main'), usage: $('#usage-main') };
const auth = new AuthScreen(screens.auth, { onShow: (kind) => setScreen(kind) });
// A notification's click opens what its job made, through `app` (defined below).
const notifier = new JobNotifier({ openDocument: (c, name) => app.openDocument(c, name), openLogs: (id) => app.openLogs(id) }, {
  onProblem: () => userMenu.showNotify?.(),
});
const userMenu = new UserMenu($('#user-menu'), { onSignOut: () => signOut(), notifier });

const app = {
  /** Who is signed in: `{kind, id, email, role, via}`. */
  get me() {
    return me;
  },
  /** Whether the signed-in person may change documents and jobs (editors and admins). */
  get canWrite() {
    return me?.role === 'editor' || me?.role === 'admin';
  },
  /** Switches to `collection`'s tab and opens `name` in its viewer. */
  async openDocument(collection, name) {
    if (!panels[collection]) return;
    showView('documents');
    tabs.select(collection);
    await panels[collection].open(name);
    panels[collection].reload();
  },
  openGenerate(collection, prefill) {
    if (app.canWrite) generateDialog.open(collection, prefill);
  },
  openLogs(jobId) {
    logs.open(jobId);
  },
  refreshJobs() {
    jobs.refresh();
  },
  /** `ids`: the job (or jobs) just queued from this page, watched until they end. */
  jobSubmitted(ids) {
    notifier.watch(ids);
    jobs.refresh();
    // On a phone the jobs bar shows the new count; its sheet would cover what the user was doing.
    if (window.matchMedia('(max-width: 1023px)').matches && !window.matchMedia(PHONE).matches) jobs.setExpanded(true);
  },
  /** Finished jobs may have produced documents: refresh listings that were loaded. */
  jobsUpdated(list) {
    const finishedNow = list.filter((j) => j.status === 'completed' && !seenCompleted.has(j.id));
    for (const job of finishedNow) {
      seenCompleted.add(job.id);
      if (!firstJobsLoad) for (const doc of job.output_documents ?? []) panels[doc.collection]?.loaded && panels[doc.collection].reload();
    }
    firstJobsLoad = false;
    notifier.jobsUpdated(list, me);
  },
  setCount(collection, count, more) {
    const el = $(`#tab-${collection} .tab-count`);
    if (el) el.textContent = more ? `${count}+` : String(count);
  },
  documentSelected(collection, name) {
    selection[collection] = name;
    if (name) lastOpened[collection] = name;
    if (tabs.selected === collection && view === 'documents') writeHash(collection, name);
  },
  /** The document of `collection` the user looked at last (to preselect it in pickers). */
  lastSelected(collection) {
    return lastOpened[collection] ?? null;
  },
};

const seenCompleted = new Set();
const lastOpened = {};
let firstJobsLoad = true;

/** Mirrors the tab and document in the address bar. A move the user made (a tab, a document)
 * is a new history entry, so Back returns to where they were; `replace` only corrects the
 * address (start-up, switching views). */
function writeHash(collection, name, { replace = false } = {}) {
  const hash = `#${collection}${name ? `/${encodeURIComponent(name)}` : ''}`;
  if (location.hash === hash) return;
  if (replace || !location.hash) history.replaceState(null, '', hash);
  else history.pushState(null, '', hash);
}

/** What the address bar asks for: the admin page, a tab and document, or null. */
function parseRoute(hash = location.hash) {
  const raw = hash.slice(1);
  if (raw === 'admin' || raw === 'tokens') return { view: 'admin' };
  if (raw === 'jobs' || raw.startsWith('jobs?')) return { view: 'jobs', query: raw.slice('jobs?'.length) };
  if (raw === 'usage') return { view: 'usage' };
  const [collection, name] = raw.split('/');
  if (!COLLECTIONS[collection]) return null;
  return { view: 'documents', collection, name: name ? decodeURIComponent(name) : null };
}

/** 'signin' or 'accept' (signed out) or 'app'; tests wait for `body.is-ready[data-screen]`. */
function setScreen(screen) {
  const signedIn = screen === 'app';
  document.body.dataset.screen = screen;
  screens.auth.hidden = signedIn;
  $('#health').hidden = !signedIn;
  $('#user-menu').hidden = !signedIn;
  $('#nav').hidden = !signedIn;
  $('#nav [data-view="admin"]').hidden = me?.role !== 'admin';
  if (signedIn) {
    showView(view);
  } else {
    screens.workspace.hidden = true;
    screens.admin.hidden = true;
    screens.jobs.hidden = true;
    screens.usage.hidden = true;
    setSkipTarget(screens.auth);
  }
  document.body.classList.add('is-ready');
}

/** The documents (tabs and jobs panel), the job history, the usage page or the admin page. */
function showView(next) {
  view = next;
  screens.workspace.hidden = next !== 'documents';
  screens.admin.hidden = next !== 'admin';
  screens.jobs.hidden = next !== 'jobs';
  screens.usage.hidden = next !== 'usage';
  document.body.dataset.view = next;
  for (const link of document.querySelectorAll('#nav [data-view]')) {
    if (link.dataset.view === next) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  if (tabs) $('#nav [data-view="documents"]').href = `#${tabs.selected}`;
  setSkipTarget(next === 'documents' ? $('#main') : screens[next]);
  if (next === 'admin' && me) {
    adminScreen ??= new AdminScreen(screens.admin, me);
    adminScreen.load();
    const hash = me.role === 'admin' ? '#admin' : '#tokens';
    if (location.hash !== hash) history.replaceState(null, '', hash);
  } else if (next === 'jobs' && me) {
    historyScreen ??= new JobHistoryScreen(screens.jobs, app, jobState);
    // The view writes its filters into the address (#jobs?status=failed…) itself.
    historyScreen.show(parseRoute()?.query ?? '');
  } else if (next === 'usage' && me) {
    usageScreen ??= new UsageScreen(screens.usage);
    usageScreen.load();
    if (location.hash !== '#usage') history.replaceState(null, '', '#usage');
  } else if (next === 'documents' && tabs && !routing) {
    writeHash(tabs.selected, selection[tabs.selected], { replace: true });
  }
}

function setSkipTarget(main) {
  $('.skip-link').href = `#${main.id}`;
}

function init() {
  for (const panel of document.querySelectorAll('[role="tabpanel"][data-collection]')) {
    const collection = panel.dataset.collection;
    panels[collection] = new DocumentsPanel(panel, collection, app);
  }
  tabs = new Tabs($('[role="tablist"]'), (collection) => {
    panels[collection].activate();
    if (view === 'documents' && !routing) writeHash(collection, selection[collection]);
    $('#nav [data-view="documents"]').href = `#${collection}`;
  });
  jobState = new JobState({ inBackground: () => notifier.wantsUpdates });
  jobs = new JobsPanel($('#jobs'), app, jobState);
  logs = new LogViewer(app);
  generateDialog = new GenerateDialog(app);
  new HealthIndicator($('#health'), jobState);

  const route = parseRoute() ?? { view: 'documents', collection: 'brand-data', name: null };
  view = route.view;
  tabs.select(route.collection ?? 'brand-data');
  if (route.name) panels[route.collection].open(route.name);
  for (const c of Object.keys(panels)) if (c !== tabs.selected) panels[c].activate();
  jobState.start();
}

const sameAccount = (a, b) => a && b && a.kind === b.kind && a.id === b.id && a.role === b.role;

/** Shows the app for `next` (who just signed in), building it the first time. */
function start(next) {
  if (started && !sameAccount(me, next)) {
    // Someone else: nothing of the last person's page may stay.
    leaving = true;
    location.reload();
    return;
  }
  me = next;
  userMenu.render(me);
  if (!started) {
    started = true;
    init();
  } else {
    jobState.resume();
    panels[tabs.selected].reload();
  }
  setScreen('app');
}

/** A request was refused for want of a session: sign in again over the kept page. */
function sessionEnded() {
  if (!started || document.body.dataset.screen !== 'app') return;
  jobState.pause();
  logs.close();
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close('cancel');
  auth.showSignIn({ notice: 'Your session has ended. Sign in again to carry on where you were.' }).then(start);
}

async function signOut() {
  if (Object.values(panels).some((p) => p.viewer.hasUnsavedChanges)) {
    const ok = await confirmDialog({
      title: 'Sign out and discard your changes?',
      message: 'An edit has not been saved. Signing out discards it.',
      confirmLabel: 'Sign out',
      danger: true,
    });
    if (!ok) return;
  }
  try {
    await api.logout();
  } catch (err) {
    announce(`Could not sign out: ${err.message}`, { tone: 'error' });
    return;
  }
  leaving = true;
  // A fresh page: nothing of this person's documents stays in it.
  location.reload();
}

function onHashChange() {
  // A sign-in or invite link pasted into this tab: handle it as on a fresh load.
  if (readAuthFragment()) return location.reload();
  if (!started || document.body.dataset.screen !== 'app') return;
  const route = parseRoute();
  if (!route) return;
  if (route.view !== 'documents') return showView(route.view);
  // Back, Forward or a hand-edited address: show what it names, without writing it again.
  routing = true;
  try {
    showView('documents');
    tabs.select(route.collection);
  } finally {
    routing = false;
  }
  const panel = panels[route.collection];
  if (route.name && route.name !== selection[route.collection]) panel.open(route.name);
  else if (!route.name && selection[route.collection]) panel.select(null);
}

/** Who is signed in, after the one-time link or invite in the address bar if there is one. */
async function signedIn() {
  const fragment = readAuthFragment();
  if (fragment?.signin) return auth.useLink(fragment.signin);
  if (fragment?.invite) return auth.showAccept(fragment.invite);
  try {
    return await api.me();
  } catch (err) {
    return auth.showSignIn({ error: err.status === 401 ? null : `Could not check who is signed in: ${err.message}` });
  }
}

async function boot() {
  api.onSessionEnded(sessionEnded);
  window.addEventListener('hashchange', onHashChange);
  // The skip link moves focus without touching the address bar, which routes the page.
  $('.skip-link').addEventListener('click', (event) => {
    event.preventDefault();
    document.getElementById($('.skip-link').getAttribute('href').slice(1))?.focus();
  });
  window.addEventListener('beforeunload', (event) => {
    if (!leaving && Object.values(panels).some((p) => p.viewer.hasUnsavedChanges)) {
      event.preventDefault();
      event.returnValue = '';
    }
  });
  start(await signedIn());
}

boot();
