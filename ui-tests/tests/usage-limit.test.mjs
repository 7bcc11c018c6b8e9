// A job stopped by the runner's usage limit, in the browser against the mock API: its card and
// the log viewer say "Waiting for the usage limit, resumes at 14:00" (local time, with the date
// when it is not today), editors can cancel it (it never runs again) and viewers cannot; once
// the limit resets it runs again and completes.
//
// Mock only: the real host's waiting jobs are covered by the API and worker tests in Rust, with
// the fake CLI's usage limit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, apiFetch, waitFor, DESKTOP, PHONE, RUN_ID } from '../support/harness.mjs';
import { useMock } from '../support/setup.mjs';
import { putDocument, withApp, brandJson, signInWithPassword } from '../support/ui.mjs';

let browser;
let url;
const BRAND = `${RUN_ID}-limits.json`;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const json = (value) => ({ body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });

const control = (path) => apiFetch(url, 'POST', `/__mock/${path}`);
const jobCard = (page, id) => page.locator(`.job-card[data-job-id="${id}"]`);
const job = async (id) => (await apiFetch(url, 'GET', `/api/jobs/${id}`)).json();

/** Submits a brief that meets the usage limit, resetting at `resetAt`; waits until it waits. */
async function limitedBrief(title, resetAt) {
  await control(`usage-limit/${resetAt}`);
  const res = await apiFetch(url, 'POST', '/api/briefs/generate', json({ title: `${RUN_ID} ${title} usage limit`, primary_keyword: 'boots', secondary_keywords: [], brand_data: BRAND }));
  assert.equal(res.status, 202, res.text);
  const id = res.json().job_id;
  await waitFor(async () => (await job(id)).status === 'waiting', { message: `${title} waiting` });
  return id;
}

/** The UTC midnight `days` from now: a day whose times the page, fixed on it, calls "today". */
function utcDay(days) {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days);
}

const skip = useMock('the Rust tests cover the real host', { jobStepMs: 100 }, async (started) => {
  ({ browser, url } = started);
  await putDocument(url, 'brand-data', BRAND, brandJson('Limit Outdoor'));
});

test('a job waiting for the usage limit says when it resumes, and editors can cancel it', { skip }, async () => {
  // The page lives on a day three weeks ahead at 09:30 UTC; one job resumes at 14:00 that day,
  // the other at 09:00 the next.
  const day = utcDay(20);
  const today = await limitedBrief('Today', day + 14 * HOUR);
  const tomorrow = await limitedBrief('Tomorrow', day + DAY + 9 * HOUR);
  const tomorrowDate = new Date(day + DAY).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC', ...(new Date(day + DAY).getUTCFullYear() === new Date(day).getUTCFullYear() ? {} : { year: 'numeric' }) });

  await withApp(browser, url, { viewport: DESKTOP, timezoneId: 'UTC', fixedTime: day + 9.5 * HOUR }, async ({ page }) => {
    const first = jobCard(page, today);
    await first.locator('.badge', { hasText: 'Waiting' }).waitFor();
    assert.equal(await first.locator('.job-detail').textContent(), 'Waiting for the usage limit, resumes at 14:00');
    assert.equal(await jobCard(page, tomorrow).locator('.job-detail').textContent(), `Waiting for the usage limit, resumes at 09:00 on ${tomorrowDate}`);
    assert.match(await first.locator('.job-detail').getAttribute('title'), /mock-runner-1 reached its Claude usage limit/);
    const section = page.locator('.jobs-section', { has: first });
    assert.match(await section.locator('.jobs-section-title').textContent(), /^Waiting for a usage limit2$/);
    assert.match(await page.locator('.jobs-summary').textContent(), /2 waiting/);
    assert.equal(await page.locator('[data-stat="waiting"] .health-stat-value').textContent(), '2', 'the header counts them too');
    await screenshot(page, 'jobs-waiting-usage-limit-1280');

    // The log viewer: the attempt's log, why the job waits and until when, and Cancel.
    await first.locator('[data-action="logs"]').click();
    const dialog = page.locator('dialog.dialog-logs[open]');
    await dialog.locator('.log-line', { hasText: 'rate limit reached (five_hour)' }).waitFor();
    const notice = dialog.locator('[data-testid="log-waiting"]');
    assert.equal(await notice.locator('.notice-title').textContent(), 'Waiting for the usage limit, resumes at 14:00');
    assert.match(await notice.textContent(), /runs again when the limit resets/);
    assert.match(await dialog.locator('.log-stat', { hasText: 'Resumes' }).textContent(), /14:00/);
    await dialog.locator('[data-action="cancel"]').waitFor();
    await screenshot(page, 'log-viewer-waiting-1280');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // Cancel from the card: cancelled at once, and it never runs again.
    await first.locator('[data-action="cancel"]').click();
    await first.locator('.badge', { hasText: 'Cancelled' }).waitFor();
    await page.locator('#live-status', { hasText: 'Cancelled' }).waitFor();
    const cancelled = await job(today);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.error, 'cancelled while waiting for the usage limit to reset');
    assert.equal(cancelled.resume_at, null);
    assert.match(await page.locator('.jobs-summary').textContent(), /1 waiting/);
    assert.match(await first.locator('.job-detail').textContent(), /^Cancelled while waiting for the usage limit/);
  });

  await withApp(browser, url, { viewport: PHONE, timezoneId: 'UTC', fixedTime: day + 9.5 * HOUR }, async ({ page }) => {
    await page.locator('.jobs-toggle').click();
    await jobCard(page, tomorrow).getByText(`resumes at 09:00 on ${tomorrowDate}`).waitFor();
    await screenshot(page, 'jobs-waiting-usage-limit-390');
  });
  assert.equal((await apiFetch(url, 'POST', `/api/jobs/${tomorrow}/cancel`)).status, 202);
});

test('a viewer sees when a waiting job resumes but cannot cancel it', { skip }, async () => {
  const id = await limitedBrief('Viewer', Date.now() + 2 * HOUR);
  const email = `${RUN_ID.toLowerCase()}-limit-viewer@example.com`;
  const created = await apiFetch(url, 'POST', '/api/users', json({ email, role: 'viewer' }));
  assert.equal(created.status, 201, created.text);
  const invite = new URL(created.json().invite_url).hash.replace('#invite=', '');
  const password = 'a long and unremarkable passphrase';
  assert.equal((await apiFetch(url, 'POST', '/api/auth/accept', { ...json({ invite, password }), auth: false })).status, 200);
  await withApp(browser, url, { viewport: DESKTOP, signIn: false }, async ({ page }) => {
    await signInWithPassword(page, email, password);
    const card = jobCard(page, id);
    await card.getByText('Waiting for the usage limit, resumes at ').waitFor();
    assert.equal(await card.locator('[data-action="cancel"]').count(), 0);
    await card.locator('[data-action="logs"]').click();
    const dialog = page.locator('dialog.dialog-logs[open]');
    await dialog.locator('[data-testid="log-waiting"]').waitFor();
    assert.equal(await dialog.locator('[data-action="cancel"]').count(), 0);
  });
  assert.equal((await apiFetch(url, 'POST', `/api/jobs/${id}/cancel`)).status, 202);
});

test('once the usage limit resets, the waiting job runs again and completes', { skip }, async () => {
  await withApp(browser, url, { viewport: DESKTOP }, async ({ page }) => {
    const id = await limitedBrief('Resumes', Date.now() + 2_500);
    const card = jobCard(page, id);
    await card.getByText('Waiting for the usage limit, resumes at').waitFor();
    await card.locator('.badge', { hasText: 'Completed' }).waitFor({ timeout: 20_000 });
    assert.match(await card.locator('.job-detail').textContent(), /attempt 2/);
    const done = await job(id);
    assert.equal(done.attempt, 2);
    assert.equal(done.output_documents.length, 1);
  });
});
