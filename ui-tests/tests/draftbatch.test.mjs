// Drafts from several briefs as one batch: each brief's brand data is preselected from what it
// was made from, a default covers the rest, the preview checks every item before anything is
// queued, and the dialog follows the batch until every draft has ended, then says so and links
// each new draft. Screenshots: draft-batch-choose-1280, draft-batch-preview-1280,
// draft-batch-progress-1280, draft-batch-390, draft-batch-done-390.
//
// Mock only: it runs the briefs' and drafts' jobs at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, apiFetch, waitFor, DESKTOP, PHONE, RUN_ID } from '../support/harness.mjs';
import { useMock } from '../support/setup.mjs';
import { panel, selectTab, putDocument, withApp, brandJson } from '../support/ui.mjs';

let browser;
let url;
const ACME = `${RUN_ID}-acme.json`;
const NORTH = `${RUN_ID}-north.json`;
const PLAIN = `${RUN_ID}-plain-notes.md`;
let alpha;
let beta;

/** Generates a brief with `brand` and waits for it; resolves to its document's name. */
async function brief(title, brand) {
  const res = await apiFetch(url, 'POST', '/api/briefs/generate', {
    body: JSON.stringify({ title, primary_keyword: 'boots', brand_data: brand }), headers: { 'content-type': 'application/json' },
  });
  const { job_id: id } = res.json();
  const job = await waitFor(async () => {
    const j = (await apiFetch(url, 'GET', `/api/jobs/${id}`)).json();
    return j.status === 'completed' && j;
  }, { message: `the brief “${title}”` });
  return job.output_documents[0].name;
}

const skip = useMock('its jobs finish at once', { jobStepMs: 40 }, async (started) => {
  ({ browser, url } = started);
  await putDocument(url, 'brand-data', ACME, brandJson('Acme Outdoor'));
  await putDocument(url, 'brand-data', NORTH, brandJson('North Trails'));
  alpha = await brief(`Alpha boots ${RUN_ID}`, ACME);
  beta = await brief(`Beta boots ${RUN_ID}`, NORTH);
  await putDocument(url, 'briefs', PLAIN, '# Plain notes\n\nWritten by hand.\n');
});

test('drafts from several briefs: brand data from each brief, a default for the rest, a preview, one batch, its progress', { skip }, async () => {
  const batches = [];
  await withApp(browser, url, { viewport: DESKTOP }, async ({ page }) => {
    page.on('request', (r) => { if (r.url().endsWith('/api/drafts/generate/batch')) batches.push(JSON.parse(r.postData())); });
    await selectTab(page, 'drafts');
    await panel(page, 'drafts').locator('[data-action="draft-batch"]').click();
    const dialog = page.locator('dialog.dialog-draft-batch[open]');
    const row = (name) => dialog.locator(`tr[data-brief="${name}"]`);
    await row(PLAIN).waitFor();
    // Preselected from what each brief was made from; the hand-written one takes the default.
    assert.equal(await row(alpha).locator('select').inputValue(), ACME);
    assert.equal(await row(beta).locator('select').inputValue(), NORTH);
    assert.equal(await row(PLAIN).locator('select').inputValue(), '');
    const previewBtn = dialog.locator('[data-action="preview-drafts"]');
    assert.equal(await previewBtn.isDisabled(), true, 'nothing chosen yet');

    await dialog.getByLabel('Default brand data').selectOption('');
    for (const name of [alpha, beta, PLAIN]) await row(name).locator('input[type="checkbox"]').check();
    await dialog.locator('.db-count', { hasText: '3 briefs chosen' }).waitFor();
    await dialog.getByLabel('Target word count').fill('1200');
    await screenshot(page, 'draft-batch-choose-1280');
    await previewBtn.click();
    // Without a default, the hand-written brief has no brand data: nothing can be queued.
    await dialog.locator('tr.is-bad', { hasText: PLAIN }).waitFor();
    await dialog.locator('.notice-error', { hasText: '1 of 3 need brand data' }).waitFor();
    assert.equal(await dialog.locator('[data-action="submit-batch"]').isDisabled(), true);

    await dialog.locator('[data-action="back"]').click();
    assert.equal(await row(alpha).locator('input[type="checkbox"]').isChecked(), true, 'the choices are kept');
    await dialog.getByLabel('Default brand data').selectOption(ACME);
    await dialog.locator('[data-action="preview-drafts"]').click();
    await dialog.locator('.notice-info', { hasText: '3 drafts of about 1,200 words ready to queue' }).waitFor();
    assert.equal(await dialog.locator('tbody tr.is-bad').count(), 0);
    await screenshot(page, 'draft-batch-preview-1280');
    assert.deepEqual(batches, [], 'nothing queued before the click');

    await dialog.locator('[data-action="submit-batch"]').click();
    await dialog.locator('.batch-counts[data-done="true"]', { hasText: 'Finished: all 3 drafts have ended. 3 completed, 0 failed, 0 cancelled.' }).waitFor({ timeout: 20_000 });
    assert.equal(await dialog.locator('[data-action="back"], [data-action="submit-batch"]').count(), 0, 'no way back once queued');
    // The page's job state was read again as the batch moved: the header agrees with the dialog.
    await page.locator('#health [data-stat="running"] .health-stat-value', { hasText: /^0 / }).waitFor();
    // Finished: it says so, with the counts, and links each new draft.
    await dialog.locator('.notice-info', { hasText: 'Queued 3 drafts as one batch. All have ended: 3 drafts were written.' }).waitFor();
    assert.equal(await dialog.getByText('Closing this leaves them running').count(), 0);
    const links = dialog.locator('[data-action="open-draft"]');
    await links.nth(2).waitFor();
    const draftOf = (brief) => `Open ${brief.replace(/\.md$/, '')}-draft.md`;
    assert.deepEqual((await links.allTextContents()).sort(), [alpha, beta, PLAIN].map(draftOf).sort());
    await screenshot(page, 'draft-batch-progress-1280');
    await links.filter({ hasText: draftOf(beta) }).click();
    await dialog.waitFor({ state: 'detached' });
    await panel(page, 'drafts').locator('.viewer-name', { hasText: draftOf(beta).slice('Open '.length) }).waitFor();
  });
  assert.equal(batches.length, 1);
  const byBrief = (a, b) => a.brief.localeCompare(b.brief);
  assert.deepEqual([...batches[0].items].sort(byBrief), [
    { brief: alpha, brand_data: ACME, target_word_count: 1200 },
    { brief: beta, brand_data: NORTH, target_word_count: 1200 },
    { brief: PLAIN, brand_data: ACME, target_word_count: 1200 },
  ].sort(byBrief));
  const drafts = (await apiFetch(url, 'GET', '/api/jobs?type=draft&limit=10')).json().items;
  assert.equal(drafts.length, 3);
  assert.ok(drafts.every((d) => d.batch_id && d.batch_id === drafts[0].batch_id && d.status === 'completed'));
});

test('at 390 px the drafts dialog fits the screen', { skip }, async () => {
  await withApp(browser, url, { viewport: PHONE }, async ({ page }) => {
    await selectTab(page, 'drafts');
    await panel(page, 'drafts').locator('[data-action="draft-batch"]').click();
    const dialog = page.locator('dialog.dialog-draft-batch[open]');
    await dialog.locator(`tr[data-brief="${PLAIN}"]`).waitFor();
    await dialog.locator(`tr[data-brief="${alpha}"] input[type="checkbox"]`).check();
    const box = await dialog.boundingBox();
    assert.ok(box.width <= PHONE.width, `${box.width}px wide`);
    const sideways = await dialog.evaluate((d) => d.scrollWidth - d.clientWidth);
    assert.equal(sideways, 0, 'the dialog does not scroll sideways');
    await screenshot(page, 'draft-batch-390');
  });
});

test('at 390 px a finished batch says so, with a link to its draft', { skip }, async () => {
  await withApp(browser, url, { viewport: PHONE }, async ({ page }) => {
    await selectTab(page, 'drafts');
    await panel(page, 'drafts').locator('[data-action="draft-batch"]').click();
    const dialog = page.locator('dialog.dialog-draft-batch[open]');
    await dialog.locator(`tr[data-brief="${alpha}"] input[type="checkbox"]`).check();
    await dialog.locator('[data-action="preview-drafts"]').click();
    await dialog.locator('[data-action="submit-batch"]').click();
    await dialog.locator('.batch-counts[data-done="true"]').waitFor({ timeout: 20_000 });
    await dialog.locator('.notice', { hasText: 'Queued 1 draft as one batch. It has ended: 1 draft was written.' }).waitFor();
    await dialog.locator('[data-action="open-draft"]').waitFor();
    await dialog.locator('.db-results').evaluate((el) => el.scrollIntoView({ block: 'end' }));
    for (const close of await page.locator('.toast button').all()) await close.click();
    const sideways = await dialog.evaluate((d) => d.scrollWidth - d.clientWidth);
    assert.equal(sideways, 0);
    await screenshot(page, 'draft-batch-done-390');
  });
});
