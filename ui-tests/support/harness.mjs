// Test harness: which server the tests talk to, the credentials the tests hold for it, the
// headless browser, pages that are signed in and record every console error, uncaught exception
// and CSP violation, and screenshots.
//
// Server, in order of preference:
//   CWM_BASE_URL=http://host:port   an already running server (the real host in CI); its admin
//                                   token in CWM_ADMIN_TOKEN
//   CWM_RUNNER_BIN=path/to/runner   spawn `runner serve --listen 127.0.0.1:0` on a fresh data dir,
//                                   with a fresh admin token (SPIN_VARIABLE_ADMIN_TOKEN)
//   (neither)                       the in-memory mock in support/mock-api.mjs
// Browser: CHROMIUM_PATH (default /usr/bin/chromium).
//
// Every /api request needs a credential. From Node, `apiFetch` sends the server's admin token as a
// bearer token (the harness remembers it per base URL). A page from `openApp` is signed in as
// admin the way a person would be: the harness asks the API for a one-time sign-in link and opens
// it, which exercises `#signin=` in the UI.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startMockServer } from './mock-api.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '../..');
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'ci-artifacts', 'screenshots');

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** A name unique to this run, so tests against a shared server never collide. */
export const RUN_ID = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;

/** Admin bearer tokens by base URL: what `apiFetch` and `signInLink` authenticate with. */
const adminTokens = new Map();

/** Remembers the admin token of the server at `baseUrl` (null forgets it). */
export function setAdminToken(baseUrl, token) {
  if (token) adminTokens.set(baseUrl, token); else adminTokens.delete(baseUrl);
}

export const adminToken = (baseUrl) => adminTokens.get(baseUrl) ?? null;

/**
 * Starts (or attaches to) the server under test. Resolves to
 * `{ url, kind: 'remote' | 'runner' | 'mock', adminToken, mock?, close() }`.
 */
export async function startTarget({ runnerArgs = ['serve'], env = {} } = {}) {
  if (process.env.CWM_BASE_URL) {
    const url = process.env.CWM_BASE_URL.replace(/\/$/, '');
    const token = process.env.CWM_ADMIN_TOKEN || null;
    setAdminToken(url, token);
    return { url, kind: 'remote', adminToken: token, close: async () => {} };
  }
  if (process.env.CWM_RUNNER_BIN) {
    return startRunner(process.env.CWM_RUNNER_BIN, runnerArgs, env, { adminToken: process.env.SPIN_VARIABLE_ADMIN_TOKEN || randomToken() });
  }
  const mock = await startMockServer();
  setAdminToken(mock.url, mock.adminToken);
  return { url: mock.url, kind: 'mock', adminToken: mock.adminToken, mock, close: () => mock.close() };
}

export const randomToken = () => crypto.randomBytes(24).toString('hex');

/**
 * Spawns the runner on an ephemeral port and waits for its "listening on" line. `adminToken`:
 * the admin token to configure; null lets the runner make its own, which the harness then reads
 * from `<data-dir>/admin-token` (or takes from an inherited SPIN_VARIABLE_ADMIN_TOKEN). The result
 * has `adminToken` (null if none could be found) and `signInLinkPrinted(ms)`, the link the runner
 * printed on stdout (`sign-in link: <url>`), or null if none came within `ms`.
 */
export async function startRunner(bin, args, env = {}, { adminToken: configured = null } = {}) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cwm-ui-'));
  const childEnv = { ...process.env, ...env };
  if (configured) childEnv.SPIN_VARIABLE_ADMIN_TOKEN = configured;
  const child = spawn(bin, [...args, '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  let output = '';
  const started = new Promise((resolve, reject) => {
    // A debug build compiles the component on first start (about a minute); later starts reuse
    // the cache (CWM_CACHE_DIR, else inside the fresh data dir).
    const timer = setTimeout(() => reject(new Error(`runner did not report its address in 180 s:\n${output}`)), 180_000);
    const onData = (chunk) => {
      output += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`runner exited with ${code}:\n${output}`)); });
  });
  let url;
  try {
    url = await started;
  } catch (err) {
    child.kill('SIGKILL');
    await fs.rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  // Written before the runner listens, so it is there now if the runner makes one.
  const ownToken = configured ? null : await fs.readFile(path.join(dataDir, 'admin-token'), 'utf8').then((t) => t.trim(), () => null);
  const token = configured || ownToken || childEnv.SPIN_VARIABLE_ADMIN_TOKEN || null;
  setAdminToken(url, token);
  return {
    url,
    kind: 'runner',
    dataDir,
    adminToken: token,
    output: () => output,
    signInLinkPrinted: async (ms = 30_000) => {
      const link = () => /^sign-in link: (\S+)/m.exec(stdout)?.[1] ?? null;
      const deadline = Date.now() + ms;
      while (!link() && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      return link();
    },
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Headless Chromium; playwright gives every launch a fresh temporary profile. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

/** A fresh one-time sign-in link (`<origin>/#signin=<code>`), asked for with the admin token. */
export async function signInLink(baseUrl) {
  const res = await apiFetch(baseUrl, 'POST', '/api/auth/signin-links');
  if (res.status !== 201) throw new Error(`POST /api/auth/signin-links: ${res.status} ${res.text} (is the admin token known? CWM_ADMIN_TOKEN for CWM_BASE_URL)`);
  return res.json().url;
}

/**
 * Opens the app in a new context. Returns `{ context, page, problems }`, where `problems()`
 * lists console errors (other than the browser's note on API responses with an error status,
 * which the UI handles on purpose), uncaught exceptions, CSP violations and failed static files.
 *
 * `signIn`: 'admin' (default) opens a fresh sign-in link first; `{ link }` opens that link;
 * false opens the page signed out (it shows the sign-in screen, or what `hash` asks for).
 * Then `hash` (e.g. '#briefs/a.md') is opened. `permissions` are granted to the page's origin
 * (e.g. ['notifications']); `initScripts` run in the page before its own scripts. `timezoneId`
 * sets the page's time zone and `fixedTime` (ms or a Date) the time its `Date` shows.
 */
export async function openApp(browser, baseUrl, { viewport = DESKTOP, hash = '', bypassCSP = false, signIn = 'admin', permissions = [], initScripts = [], timezoneId, fixedTime } = {}) {
  // bypassCSP only for injecting test tools (axe); the other tests keep the page's real policy.
  const context = await browser.newContext({ viewport, acceptDownloads: true, baseURL: baseUrl, reducedMotion: 'reduce', bypassCSP, timezoneId });
  if (permissions.length) await context.grantPermissions(permissions, { origin: baseUrl });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  // The page's `Date` stands still at `fixedTime` (its timers still run), for texts that name a day.
  if (fixedTime !== undefined) await page.clock.setFixedTime(fixedTime);
  const found = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const apiStatus = /^Failed to load resource: the server responded with a status of \d+/.test(text) && /\/(api\/|health)/.test(msg.location()?.url ?? '');
    if (!apiStatus) found.push(`console: ${text} (${msg.location()?.url ?? ''})`);
  });
  page.on('pageerror', (err) => found.push(`uncaught: ${err.message}`));
  for (const script of initScripts) await page.addInitScript(script);
  page.on('response', (res) => {
    const url = new URL(res.url());
    if (res.status() >= 400 && !url.pathname.startsWith('/api/') && url.pathname !== '/health') found.push(`HTTP ${res.status()} for ${url.pathname}`);
  });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  if (signIn) {
    await page.goto(signIn === 'admin' ? await signInLink(baseUrl) : signIn.link);
    await page.waitForSelector('body.is-ready[data-screen="app"]');
    if (page.url().includes('#signin=')) found.push('the sign-in link stayed in the address bar');
    if (hash) await page.goto(`/${hash}`);
  } else {
    await page.goto(`/${hash}`);
  }
  await page.waitForSelector('body.is-ready');
  const problems = async () => {
    const csp = page.isClosed() ? [] : await page.evaluate(() => window.__csp ?? []).catch(() => []);
    return [...found, ...csp.map((c) => `CSP: ${c}`)];
  };
  return { context, page, problems };
}

export async function screenshot(page, name) {
  await fs.mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/**
 * Calls the API directly (test setup and checks, outside the browser), with the server's admin
 * token unless `headers` carry an authorization or `auth` is false.
 */
export async function apiFetch(baseUrl, method, pathname, { body, headers = {}, auth = true } = {}) {
  const token = adminToken(baseUrl);
  const hasAuth = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
  const sent = auth && token && !hasAuth ? { ...headers, authorization: `Bearer ${token}` } : headers;
  const res = await fetch(`${baseUrl}${pathname}`, { method, body, headers: sent });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body: buf, text: buf.toString('utf8'), json: () => JSON.parse(buf.toString('utf8')) };
}

/** Polls `fn` until it returns a truthy value (or throws after `timeout` ms). */
export async function waitFor(fn, { timeout = 15_000, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message} (last: ${last})`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
