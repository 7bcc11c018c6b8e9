// The header's health pill: "Healthy", and "Degraded: <reason>" from /health while jobs are
// queued and no runner is online. Against `runner serve` (no worker) a queued job has no runner
// by itself; on the mock the simulated runner is taken offline.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiFetch, RUN_ID, DESKTOP } from '../support/harness.mjs';
import { useTarget } from '../support/setup.mjs';
import { putDocument, withApp, brandJson } from '../support/ui.mjs';

let target;
let browser;
const BRAND = `${RUN_ID}-health.json`;
const HEALTH_POLL = { timeout: 15_000 };

useTarget(async (started) => {
  ({ target, browser } = started);
  await putDocument(target.url, 'brand-data', BRAND, brandJson('Health Outdoor'));
});

test('the header shows "Degraded" with the reason while a queued job has no runner', async () => {
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    const pill = page.locator('#health .health-pill');
    await pill.filter({ hasText: /^Healthy$/ }).waitFor();

    if (target.kind === 'mock') await apiFetch(target.url, 'POST', '/__mock/runner/offline');
    const submitted = await apiFetch(target.url, 'POST', '/api/briefs/generate', {
      body: JSON.stringify({ title: 'Queued without a runner', primary_keyword: 'trail', brand_data: BRAND }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(submitted.status, 202, submitted.text);
    const { job_id: id } = submitted.json();

    await pill.filter({ hasText: 'Degraded: 1 job is queued and no runner is online' }).waitFor(HEALTH_POLL);
    assert.match(await pill.getAttribute('class'), /\bis-warn\b/);
    assert.equal(await pill.getAttribute('data-status'), 'degraded');

    // Nothing queued any more: healthy again.
    const cancelled = await apiFetch(target.url, 'POST', `/api/jobs/${encodeURIComponent(id)}/cancel`);
    assert.ok(cancelled.status < 300, `cancel: ${cancelled.status} ${cancelled.text}`);
    await pill.filter({ hasText: /^Healthy$/ }).waitFor(HEALTH_POLL);
  });
});
