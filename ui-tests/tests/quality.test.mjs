// Quality gates in the UI, against the mock (which grades as the API does, in its shape): the
// score badge in the documents list and on job cards, the checklist in the viewer with each
// check's detail, and "Fix with AI", which opens the revise dialog prefilled with the checks to
// fix and leads to a proposal to review, not to a write.
//
// Mock only: a draft written by a job is made here with its sources through the mock's own
// store; against a real server the same endpoint is covered by the API's tests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { screenshot, apiFetch, waitFor, DESKTOP, PHONE, RUN_ID, REPO_ROOT } from '../support/harness.mjs';
import { useMock } from '../support/setup.mjs';
import { panel, selectTab, docItem, openDocument, withApp, signInWithPassword } from '../support/ui.mjs';

const FIXTURES = path.join(REPO_ROOT, 'api-component/tests/fixtures/quality');
const fixture = (name) => fs.readFileSync(path.join(FIXTURES, name));

let mock;
let browser;
let url;
const BRAND = `${RUN_ID}-crumb.json`;
const BRIEF = `${RUN_ID}-starter.md`;
const DRAFT = `${RUN_ID}-starter-draft.md`;
const jobCard = (page, id) => page.locator(`.job-card[data-job-id="${id}"]`);

const skip = useMock('the API tests cover the real checks', { jobStepMs: 100 }, async (started) => {
  ({ mock, browser, url } = started);
  mock.docs.put('brand-data', BRAND, fixture('brand.json'));
  mock.docs.put('briefs', BRIEF, fixture('good-brief.md'), undefined, 'job b1', { job_id: 'b1', brand_data: BRAND, primary_keyword: 'sourdough starter', secondary_keywords: [] });
  // A draft as a job would have written it: its brief, brand data and target are its sources.
  mock.docs.put('drafts', DRAFT, fixture('bad-draft.md'), undefined, 'job d1', { job_id: 'd1', brief: BRIEF, brand_data: BRAND, target_word_count: 450 });
});

test('the list and job cards show the score; the viewer shows every check with its detail', { skip }, async () => {
  const report = (await apiFetch(url, 'GET', `/api/drafts/${DRAFT}/quality`)).json();
  const failing = report.checks.filter((c) => c.status === 'fail');
  assert.ok(failing.length >= 5, JSON.stringify(report));
  await withApp(browser, url, { viewport: DESKTOP }, async ({ page }) => {
    await selectTab(page, 'drafts');
    const badge = docItem(page, 'drafts', DRAFT).locator('.quality-badge');
    assert.equal(await badge.getAttribute('data-quality'), String(report.score));
    assert.equal(await badge.locator('.visually-hidden').textContent(), `Quality ${report.score} of 100, ${failing.length} checks failed`);
    assert.match(await badge.getAttribute('class'), /q-poor/);

    await openDocument(page, 'drafts', DRAFT);
    const checklist = panel(page, 'drafts').locator('.quality-panel');
    await checklist.waitFor();
    assert.equal(await checklist.getAttribute('data-score'), String(report.score));
    await checklist.getByText(`Quality ${report.score}/100`).waitFor();
    // The checks to fix are listed first, each with what was found.
    const shown = checklist.locator('.quality-check');
    assert.equal(await shown.count(), report.checks.filter((c) => c.status !== 'pass').length);
    assert.match(await shown.first().getAttribute('class'), /is-fail/);
    const placeholders = checklist.locator('[data-check="draft.placeholders"]');
    assert.match(await placeholders.locator('.quality-detail').textContent(), /TODO/);
    assert.match(await placeholders.textContent(), /Failed: No placeholders or AI boilerplate/);
    await checklist.locator('[data-action="quality-toggle"]').click();
    assert.equal(await shown.count(), 12, 'every check once shown all');
    assert.equal(await checklist.locator('[data-action="quality-toggle"]').getAttribute('aria-expanded'), 'true');
    await checklist.locator('[data-action="quality-toggle"]').click();
    await screenshot(page, 'quality-1280');

    // A job that writes a brief shows the score of what it wrote.
    const res = await apiFetch(url, 'POST', '/api/briefs/generate', {
      body: JSON.stringify({ title: `${RUN_ID} Rye starters`, primary_keyword: 'rye starter', brand_data: BRAND }),
      headers: { 'content-type': 'application/json' },
    });
    const { job_id: jobId } = res.json();
    const done = await waitFor(async () => {
      const job = (await apiFetch(url, 'GET', `/api/jobs/${jobId}`)).json();
      return job.status === 'completed' && job;
    }, { timeout: 20_000, message: 'the brief job to complete' });
    assert.equal(done.template.name, 'brief_generation_instructions.md');
    await page.getByRole('button', { name: /^Jobs/ }).click().catch(() => {});
    const cardBadge = jobCard(page, jobId).locator('.quality-badge');
    await cardBadge.waitFor();
    assert.equal(await cardBadge.getAttribute('data-quality'), String(done.quality.score));
    // Editors see the prompt the job was given, with its template.
    await jobCard(page, jobId).locator('[data-action="prompt"]').click();
    const prompt = page.locator('dialog.dialog-prompt[open]');
    await prompt.locator('.prompt-text', { hasText: `# Content brief: ${RUN_ID} Rye starters` }).waitFor();
    await prompt.getByText('instructions/brief_generation_instructions.md').waitFor();
    await page.keyboard.press('Escape');
    await prompt.waitFor({ state: 'detached' });
  });
  await withApp(browser, url, { viewport: PHONE }, async ({ page }) => {
    await openDocument(page, 'drafts', DRAFT);
    await panel(page, 'drafts').locator('.quality-panel [data-check="draft.links"]').waitFor();
    const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(m.scroll <= m.client, 'no sideways scroll at 390 px');
    await screenshot(page, 'quality-390');
  });
});

test('Fix with AI asks for the failing checks to be fixed and yields a proposal to review', { skip }, async () => {
  const before = (await apiFetch(url, 'GET', `/api/drafts/${DRAFT}`)).text;
  await withApp(browser, url, { viewport: DESKTOP }, async ({ page }) => {
    await openDocument(page, 'drafts', DRAFT);
    await panel(page, 'drafts').locator('[data-action="fix-with-ai"]').click();
    const ask = page.locator('dialog.dialog-revise[open]');
    await ask.getByText(`Fix ${DRAFT} with AI`).waitFor();
    const prefilled = await ask.getByLabel('What should change?').inputValue();
    assert.match(prefilled, /^Fix these quality-check findings in this draft\. Change nothing else/);
    assert.match(prefilled, /- No placeholders or AI boilerplate \(failed\): .*TODO/);
    assert.match(prefilled, /- None of the brand's words to avoid \(failed\): Uses “game-changer”/);
    assert.ok(!/Well-formed.*\(passed\)/.test(prefilled), 'passed checks are left out');
    await screenshot(page, 'quality-fix-1280');
    const posted = page.waitForRequest((r) => r.url().endsWith(`/drafts/${DRAFT}/revise`));
    await ask.locator('[data-action="submit-revision"]').click();
    const sent = JSON.parse((await posted).postData());
    assert.equal(sent.instructions, prefilled.trim());
    assert.match(sent.base_etag, /^"\d+"$/);
    assert.equal((await apiFetch(url, 'GET', `/api/drafts/${DRAFT}`)).text, before, 'nothing written by asking');

    const job = await waitFor(async () => {
      const items = (await apiFetch(url, 'GET', '/api/jobs?limit=100')).json().items;
      return items.find((j) => j.type === 'revision' && j.params.name === DRAFT && j.status === 'completed');
    }, { timeout: 20_000, message: 'the revision to complete' });
    assert.equal(job.params.instructions, sent.instructions);
    await jobCard(page, job.id).locator('[data-action="review"]').click();
    const review = page.locator('dialog.dialog-review[open]');
    await review.locator('.diff-new ins').first().waitFor();
    assert.equal((await apiFetch(url, 'GET', `/api/drafts/${DRAFT}`)).text, before, 'nothing written before approval');
    await review.locator('[data-action="apply"]').click();
    await review.waitFor({ state: 'detached' });
    const after = (await apiFetch(url, 'GET', `/api/drafts/${DRAFT}`)).text;
    assert.notEqual(after, before, 'the approved proposal is the new version');
    await panel(page, 'drafts').locator('.quality-panel').waitFor();
  });
});

test('a viewer reads the checklist but is offered no Fix with AI, and the prompt is for editors', { skip }, async () => {
  const email = `${RUN_ID}-quality-viewer@example.com`;
  const password = 'viewer password 123';
  const json = (body) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const created = await apiFetch(url, 'POST', '/api/users', json({ email, role: 'viewer' }));
  assert.equal(created.status, 201, created.text);
  const invite = new URL(created.json().invite_url).hash.replace('#invite=', '');
  assert.equal((await apiFetch(url, 'POST', '/api/auth/accept', { ...json({ invite, password }), auth: false })).status, 200);
  await withApp(browser, url, { viewport: DESKTOP, signIn: false, allow: [/403/] }, async ({ page }) => {
    await signInWithPassword(page, email, password);
    await openDocument(page, 'drafts', DRAFT);
    const checklist = panel(page, 'drafts').locator('.quality-panel');
    await checklist.locator('[data-check="draft.links"]').waitFor();
    assert.equal(await checklist.locator('[data-action="fix-with-ai"]').count(), 0);
    const jobId = (await apiFetch(url, 'GET', '/api/jobs?limit=1')).json().items[0].id;
    const prompt = await page.evaluate(async (id) => (await fetch(`/api/jobs/${id}/prompt`)).status, jobId);
    assert.equal(prompt, 403, 'a viewer may not read prompts');
  });
});
