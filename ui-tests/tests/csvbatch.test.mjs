// Briefs from a CSV file against the mock, whose queue a test can hold: the preview with every
// row checked (also when the file is chosen before the brand data list has arrived), one batch,
// then its progress.
//
// Mock only: the real host's batch endpoints have their API tests, and e2e.test.mjs runs jobs
// through the fake Claude CLI.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, apiFetch, DESKTOP, RUN_ID } from '../support/harness.mjs';
import { useMock } from '../support/setup.mjs';
import { panel, selectTab, putDocument, withApp, brandJson } from '../support/ui.mjs';

let browser;
let url;
const BRAND = `${RUN_ID}-acme.json`;

const control = (path) => apiFetch(url, 'POST', `/__mock/${path}`);

const skip = useMock('see the batch API tests for the real host', { jobStepMs: 150 }, async (started) => {
  ({ browser, url } = started);
  await putDocument(url, 'brand-data', BRAND, brandJson('Acme Outdoor'));
});

test('briefs from a CSV file: a preview with every row checked, one batch, then its progress', { skip }, async () => {
  await control('queue/pause');
  const lines = [
    'Title,Primary keyword,Secondary keywords,Brand data',
    `"${RUN_ID} Trail shoes, reviewed",trail shoes,grip; waterproof,${BRAND}`,
    `${RUN_ID} Hiking socks,hiking socks,,${BRAND}`,
    `${RUN_ID} No brand,boots,,missing.json`,
  ];
  const csv = (rows) => ({ name: 'briefs.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\r\n')) });
  try {
    await withApp(browser, url, { viewport: DESKTOP }, async ({ page }) => {
      await selectTab(page, 'briefs');
      await panel(page, 'briefs').locator('[data-action="batch"]').click();
      const dialog = page.locator('dialog.dialog-batch[open]');
      const file = dialog.locator('input[type="file"]');
      await file.setInputFiles(csv(lines));
      await dialog.locator('tr[data-row="2"]').waitFor();
      assert.equal(await dialog.locator('.batch-table tbody tr').count(), 3);
      assert.equal(await dialog.locator('.batch-table tbody tr.is-bad').count(), 1);
      assert.equal(await dialog.locator('tr[data-row="2"] .batch-check').textContent(), 'no brand data named missing.json');
      assert.equal(await dialog.locator('tr[data-row="0"] td').nth(1).textContent(), `${RUN_ID} Trail shoes, reviewed`);
      assert.equal(await dialog.locator('tr[data-row="0"] td').nth(3).textContent(), 'grip, waterproof');
      assert.equal(await dialog.locator('[data-action="submit-batch"]').isDisabled(), true, 'a bad row blocks the batch');

      await file.setInputFiles(csv(lines.slice(0, 3)));
      await dialog.getByText('2 briefs ready to queue.').waitFor();
      const posted = page.waitForRequest((r) => r.url().endsWith('/api/briefs/generate/batch'));
      await dialog.locator('[data-action="submit-batch"]').click();
      const { items } = JSON.parse((await posted).postData());
      assert.deepEqual(items, [
        { title: `${RUN_ID} Trail shoes, reviewed`, primary_keyword: 'trail shoes', secondary_keywords: ['grip', 'waterproof'], brand_data: BRAND },
        { title: `${RUN_ID} Hiking socks`, primary_keyword: 'hiking socks', secondary_keywords: [], brand_data: BRAND },
      ]);
      await dialog.locator('.batch-counts', { hasText: '2 briefs: 0 completed, 0 running, 2 queued' }).waitFor();
      await screenshot(page, 'batch-1280');
      await control('queue/resume');
      await dialog.locator('.batch-counts[data-done="true"]', { hasText: '2 completed' }).waitFor({ timeout: 30_000 });
    });
  } finally {
    await control('queue/resume');
  }
});

test('a CSV file chosen before the brand data list has arrived is checked against it once it has', { skip }, async () => {
  await withApp(browser, url, { viewport: DESKTOP }, async ({ page }) => {
    await selectTab(page, 'briefs');
    // From now on the brand data listing is held back until the file has been chosen.
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route((u) => u.pathname === '/api/brand-data', async (route) => {
      await held;
      await route.continue();
    });
    await panel(page, 'briefs').locator('[data-action="batch"]').click();
    const dialog = page.locator('dialog.dialog-batch[open]');
    const rows = ['Title,Primary keyword,Secondary keywords,Brand data', `${RUN_ID} Early pick,boots,,${BRAND}`];
    await dialog.locator('input[type="file"]').setInputFiles({ name: 'early.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) });
    release();
    await dialog.getByText('1 brief ready to queue.').waitFor();
    assert.equal(await dialog.locator('tr[data-row="0"] .batch-check').textContent(), 'OK');
    assert.equal(await dialog.locator('[data-action="submit-batch"]').isDisabled(), false);
    await dialog.locator('.dialog-close, [data-action="close"]').first().click();
  });
});
