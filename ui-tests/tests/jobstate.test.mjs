// One source of job state: the header's counts and the jobs panel's summary come from the same
// snapshot (static/js/jobstate.js), so as the queue changes they change together and never
// disagree, not even for a moment; and the panel as a bar at the bottom of a phone's screen
// that opens as a sheet.
//
// Mock only: the queue is held and released on demand (POST /__mock/queue/pause | resume).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, apiFetch, waitFor, DESKTOP, PHONE, RUN_ID } from '../support/harness.mjs';
import { useMock } from '../support/setup.mjs';
import { panel, putDocument, withApp, brandJson } from '../support/ui.mjs';

let browser;
let url;
const BRAND = `${RUN_ID}-state.json`;

const control = (path) => apiFetch(url, 'POST', `/__mock/${path}`);
const submitBrief = async (title) => (await apiFetch(url, 'POST', '/api/briefs/generate', {
  body: JSON.stringify({ title, primary_keyword: 'boots', brand_data: BRAND }), headers: { 'content-type': 'application/json' },
})).json();

const skip = useMock('its queue can be held', { jobStepMs: 120 }, async (started) => {
  ({ browser, url } = started);
  await putDocument(url, 'brand-data', BRAND, brandJson('State Outdoor'));
});

/** Records, after every change to the page, what the header and the panel say. */
async function recordCounts(page) {
  await page.evaluate(() => {
    window.__counts = [];
    const text = (sel) => document.querySelector(sel)?.textContent ?? null;
    const read = () => {
      const running = text('#health [data-stat="running"] .health-stat-value');
      const queued = text('#health [data-stat="queued"] .health-stat-value');
      const summary = text('#jobs .jobs-summary');
      if (running === null || queued === null || summary === null || summary === 'Loading…') return;
      const header = `${parseInt(running, 10)} running · ${queued} queued`;
      window.__counts.push({ header, panel: summary === 'None active' ? '0 running · 0 queued' : summary });
    };
    new MutationObserver(read).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

/** Waits until both say `expected` ("1 running · 2 queued"), reading both at the same instant. */
async function bothSay(page, expected) {
  await waitFor(async () => {
    const now = await page.evaluate(() => ({
      running: parseInt(document.querySelector('#health [data-stat="running"] .health-stat-value')?.textContent, 10),
      queued: document.querySelector('#health [data-stat="queued"] .health-stat-value')?.textContent,
      summary: document.querySelector('#jobs .jobs-summary')?.textContent,
    }));
    const panelSays = now.summary === 'None active' ? '0 running · 0 queued' : now.summary;
    return `${now.running} running · ${now.queued} queued` === expected && panelSays === expected;
  }, { message: `header and panel both at “${expected}”`, timeout: 15_000 });
}

test('the header and the jobs panel show the same counts at every step of the queue', { skip }, async () => {
  await control('queue/pause');
  await withApp(browser, url, { viewport: DESKTOP }, async ({ page }) => {
    await page.locator('#health [data-stat="queued"]').waitFor();
    await recordCounts(page);
    await bothSay(page, '0 running · 0 queued');

    const ids = [];
    for (const title of ['Boots one', 'Boots two', 'Boots three']) {
      ids.push((await submitBrief(`${title} ${RUN_ID}`)).job_id);
      await bothSay(page, `0 running · ${ids.length} queued`);
    }
    await apiFetch(url, 'POST', `/api/jobs/${ids[1]}/cancel`);
    await bothSay(page, '0 running · 2 queued');
    // The UI's own action moves both at once too.
    await page.locator(`.job-card[data-job-id="${ids[2]}"] [data-action="cancel"]`).click();
    await bothSay(page, '0 running · 1 queued');

    // Slow steps, so the one running job is seen running before it ends.
    await control('steps/500');
    await control('queue/resume');
    await bothSay(page, '1 running · 0 queued');
    await control('steps/60');
    await bothSay(page, '0 running · 0 queued');

    const seen = await page.evaluate(() => window.__counts);
    assert.ok(seen.length >= 6, `${seen.length} changes recorded`);
    const apart = seen.filter((c) => c.header !== c.panel);
    assert.deepEqual(apart, [], 'after every change the header and the panel agreed');
    const states = [...new Set(seen.map((c) => c.header))];
    for (const s of ['0 running · 3 queued', '0 running · 2 queued', '0 running · 1 queued', '1 running · 0 queued']) {
      assert.ok(states.includes(s), `passed through “${s}”: ${states.join(' | ')}`);
    }
  });
});

test('at 390 px the jobs panel is a bar at the bottom that opens as a sheet and closes with Escape', { skip }, async () => {
  await control('queue/pause');
  const ids = [(await submitBrief(`Phone one ${RUN_ID}`)).job_id, (await submitBrief(`Phone two ${RUN_ID}`)).job_id];
  try {
    await withApp(browser, url, { viewport: PHONE }, async ({ page }) => {
      const bar = page.locator('#jobs');
      const toggle = bar.locator('.jobs-toggle');
      await toggle.filter({ hasText: '0 running · 2 queued' }).waitFor();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
      const box = await bar.boundingBox();
      assert.equal(Math.round(box.y + box.height), PHONE.height, 'the bar sits on the bottom edge');
      assert.ok(box.height <= 64, `a slim bar (${box.height}px)`);
      assert.ok(box.x === 0 && Math.round(box.width) === PHONE.width, 'the full width');
      // The documents start at the top: nothing of the jobs is above them.
      const title = await panel(page, 'brand-data').locator('.panel-title').boundingBox();
      assert.ok(title.y < 240, `the collection's title at ${title.y}px`);
      await screenshot(page, 'jobs-bar-390');

      await toggle.click();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      const sheet = page.locator('#jobs-body');
      await sheet.locator(`.job-card[data-job-id="${ids[0]}"]`).waitFor();
      const open = await bar.boundingBox();
      assert.equal(Math.round(open.y + open.height), PHONE.height);
      assert.ok(open.height <= PHONE.height * 0.8, `the sheet leaves the page in sight (${open.height}px)`);
      const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(sideways, 0, 'nothing scrolls sideways');
      await screenshot(page, 'jobs-sheet-390');

      await sheet.locator(`.job-card[data-job-id="${ids[0]}"] [data-action="logs"]`).focus();
      await page.keyboard.press('Escape');
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
      assert.equal(await sheet.isVisible(), false);
      assert.equal(await toggle.evaluate((t) => document.activeElement === t), true, 'focus back on the bar');
      await page.keyboard.press('Enter');
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true', 'the bar is a button');
    });
  } finally {
    for (const id of ids) await apiFetch(url, 'POST', `/api/jobs/${id}/cancel`);
    await control('queue/resume');
  }
});

test('one polling loop: cancels during a slow read add one read right after it, never another loop', { skip }, async () => {
  await control('queue/pause');
  const ids = [];
  for (const title of ['Slow one', 'Slow two', 'Slow three']) ids.push((await submitBrief(`${title} ${RUN_ID}`)).job_id);
  try {
    await withApp(browser, url, { viewport: DESKTOP }, async ({ page }) => {
      for (const id of ids) await page.locator(`.job-card[data-job-id="${id}"] [data-action="cancel"]`).waitFor();
      // From now on every read of the job list takes 700 ms; count them, and how many overlap.
      const isRead = (u) => u.pathname === '/api/jobs' && u.searchParams.get('limit') === '20' && !u.searchParams.has('submitted_by');
      await page.route((u) => isRead(u), async (route) => {
        await new Promise((r) => setTimeout(r, 700));
        await route.continue().catch(() => {});
      });
      const reads = [];
      let open = 0;
      let most = 0;
      page.on('request', (r) => { if (isRead(new URL(r.url()))) { reads.push(Date.now()); open += 1; most = Math.max(most, open); } });
      const done = (r) => { if (isRead(new URL(r.url()))) open -= 1; };
      page.on('requestfinished', done);
      page.on('requestfailed', done);
      // Three cancels in a row, each asking for a refresh while a read is under way.
      for (const id of ids) await page.locator(`.job-card[data-job-id="${id}"] [data-action="cancel"]`).click();
      await bothSay(page, '0 running · 0 queued');
      const start = Date.now();
      await new Promise((r) => setTimeout(r, 9_000));
      const inWindow = reads.filter((t) => t >= start).length;
      assert.equal(most, 1, 'never two reads at once');
      // One loop: a read (0.7 s) then 2 s of rest, so at most four in 9 s; two loops would make six.
      assert.ok(inWindow <= 4, `${inWindow} reads in 9 s`);
      assert.ok(inWindow >= 2, `${inWindow} reads in 9 s: the loop goes on`);
    });
  } finally {
    await control('queue/resume');
  }
});

test('at 390 px the open jobs sheet is modal: Tab stays in it, and Escape gives focus back to its bar', { skip }, async () => {
  await control('queue/pause');
  const ids = [(await submitBrief(`Modal one ${RUN_ID}`)).job_id, (await submitBrief(`Modal two ${RUN_ID}`)).job_id];
  try {
    await withApp(browser, url, { viewport: PHONE }, async ({ page }) => {
      const sheet = page.locator('#jobs');
      const toggle = sheet.locator('.jobs-toggle');
      await toggle.filter({ hasText: '2 queued' }).waitFor();
      assert.equal(await sheet.getAttribute('role'), null, 'a bar is no dialog');
      await toggle.click();
      await sheet.locator(`.job-card[data-job-id="${ids[1]}"]`).waitFor();
      assert.equal(await sheet.getAttribute('role'), 'dialog');
      assert.equal(await sheet.getAttribute('aria-modal'), 'true');
      const inside = () => page.evaluate(() => document.getElementById('jobs').contains(document.activeElement));
      for (let i = 0; i < 16; i++) {
        await page.keyboard.press(i % 5 === 4 ? 'Shift+Tab' : 'Tab');
        assert.equal(await inside(), true, `focus stays in the sheet (step ${i})`);
      }
      await screenshot(page, 'jobs-sheet-modal-390');
      await page.keyboard.press('Escape');
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
      assert.equal(await sheet.getAttribute('aria-modal'), null);
      assert.equal(await toggle.evaluate((t) => document.activeElement === t), true, 'focus back on the bar');
    });
  } finally {
    for (const id of ids) await apiFetch(url, 'POST', `/api/jobs/${id}/cancel`);
    await control('queue/resume');
  }
});
