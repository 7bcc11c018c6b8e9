// The usage page in the browser: totals, the cost-per-day chart (an SVG image with its figures
// as a table too), breakdowns by user, brand, type and day behind ARIA tabs, a date range, and
// the page reachable from the navigation by a viewer. With the mock API, a month of ended jobs is
// added first (POST /__mock/usage) so that every figure can be checked against known sums; with a
// real server (CWM_RUNNER_BIN or CWM_BASE_URL) the figures must agree with each other.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, apiFetch, waitFor, RUN_ID, DESKTOP, PHONE } from '../support/harness.mjs';
import { useTarget } from '../support/setup.mjs';
import { withApp, signInWithPassword } from '../support/ui.mjs';

let target;
let browser;
const PASSWORD = 'a long and unremarkable passphrase';
const USERS = ['ana@example.com', 'ben@example.com', 'admin'];
const BRANDS = ['acme.json', 'zest.json', ''];
const TYPES = ['brief', 'draft', 'brand_data'];
const day = (back) => new Date(Date.now() - back * 86_400_000).toISOString().slice(0, 10);
/** Ended jobs over the last 30 days: 1 to 3 a day, costs in whole cents. */
const RECORDS = Array.from({ length: 30 }, (_, back) => Array.from({ length: 1 + (back % 3) }, (_, k) => ({
  day: day(back),
  user: USERS[(back + k) % 3],
  brand: BRANDS[(back * 2 + k) % 3],
  type: TYPES[(back + 2 * k) % 3],
  status: ['completed', 'completed', 'failed', 'cancelled'][(back + k) % 4],
  usage: { cost_usd: ((back * 7 + k * 13) % 40 + 5) / 100, input_tokens: 1000 + back, output_tokens: 200 + k, cache_read_input_tokens: 50, cache_creation_input_tokens: 5, duration_ms: 60_000 },
}))).flat();
const seededCost = RECORDS.reduce((sum, r) => sum + Math.round(r.usage.cost_usd * 100), 0) / 100;

const money = (text) => Number(text.replace(/[$,]/g, ''));

useTarget(async (started) => {
  ({ target, browser } = started);
  if (target.kind === 'mock') {
    const res = await fetch(`${target.url}/__mock/usage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: RECORDS }) });
    assert.equal(res.status, 200);
  }
});

test('the usage page shows totals, cost per day as a chart and a table, and breakdowns by user, brand, type and day', async () => {
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    await page.locator('#nav [data-view="usage"]').click();
    await page.locator('body[data-view="usage"] #usage-main h1', { hasText: 'Usage' }).waitFor();
    assert.match(page.url(), /#usage$/);
    const screen = page.locator('#usage-main');
    const stat = (label) => screen.locator('.usage-stat').filter({ has: page.locator('.usage-stat-label', { hasText: new RegExp(`^${label}$`) }) });
    const cost = stat('Cost').locator('.usage-stat-value');
    await cost.waitFor();
    // The chart: an image with a name and a description, one bar per day of the last 30.
    const chart = screen.locator('svg.usage-svg');
    await chart.waitFor();
    assert.equal(await chart.getAttribute('role'), 'img');
    assert.equal(await screen.locator('#usage-svg-title').textContent(), 'Cost per day');
    assert.equal(await chart.locator('rect.usage-bar').count(), 30);
    // The same figures as a table, and they add up to the total.
    await screen.getByText('Show as a table').click();
    const dayCells = await screen.locator('.usage-details tbody td:nth-child(3)').allTextContents();
    assert.equal(dayCells.length, 30);
    const sum = Math.round(dayCells.reduce((s, t) => s + money(t), 0) * 100) / 100;
    assert.equal(sum, money(await cost.textContent()));
    if (target.kind === 'mock') {
      assert.equal(money(await cost.textContent()), seededCost);
      assert.equal(await stat('Jobs').locator('.usage-stat-value').textContent(), String(RECORDS.length));
    }
    await screen.getByText('Show as a table').click();
    await screenshot(page, 'usage-1280');

    // Breakdowns behind tabs (arrow keys move between them); every table's rows add up. A server
    // where no job ended yet says so instead.
    const ended = Number((await stat('Jobs').locator('.usage-stat-value').textContent()).replace(/,/g, ''));
    const table = (group) => screen.locator(`#usage-panel-${group} table.usage-table`);
    const shown = (group) => (ended ? table(group) : screen.locator(`#usage-panel-${group}`).getByText('No job ended in these days.'));
    await shown('user').waitFor();
    for (const group of ['brand', 'type', 'day']) {
      await screen.locator(`#usage-tab-${group}`).click();
      await shown(group).waitFor();
      assert.equal(await screen.locator(`#usage-tab-${group}`).getAttribute('aria-selected'), 'true');
      if (!ended) continue;
      const costs = await table(group).locator('tbody td:nth-child(6)').allTextContents();
      const total = await table(group).locator('tfoot td:nth-child(6)').textContent();
      assert.equal(Math.round(costs.reduce((s, t) => s + money(t), 0) * 100) / 100, money(total), group);
    }
    await screen.locator('#usage-tab-day').focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'usage-tab-user');
    await shown('user').waitFor();
    if (target.kind === 'mock') {
      const users = await table('user').locator('tbody th').allTextContents();
      assert.deepEqual([...users].sort(), [...USERS].sort());
      await screen.locator('#usage-tab-brand').click();
      assert.ok((await table('brand').locator('tbody th').allTextContents()).includes('No brand data'));
    }

    // A shorter range: a week, one bar a day.
    await screen.locator('[data-days="7"]').click();
    await waitFor(async () => (await screen.locator('svg.usage-svg rect.usage-bar').count()) === 7, { message: 'seven bars' });
    await screen.getByLabel('From').fill(day(1));
    await screen.getByLabel('To').fill(day(3));
    await screen.locator('[data-action="usage-apply"]').click();
    await screen.getByText('“From” must not be after “To”.').waitFor();
  });
});

test('a viewer reaches the usage page from the navigation, on a phone too', async () => {
  const email = `${RUN_ID.toLowerCase()}-viewer@example.com`;
  const created = await apiFetch(target.url, 'POST', '/api/users', { body: JSON.stringify({ email, role: 'viewer' }), headers: { 'content-type': 'application/json' } });
  assert.equal(created.status, 201, created.text);
  const invite = new URL(created.json().invite_url).hash.replace('#invite=', '');
  const accepted = await apiFetch(target.url, 'POST', '/api/auth/accept', { body: JSON.stringify({ invite, password: PASSWORD }), headers: { 'content-type': 'application/json' }, auth: false });
  assert.equal(accepted.status, 200, accepted.text);
  await withApp(browser, target.url, { viewport: PHONE, signIn: false }, async ({ page }) => {
    await signInWithPassword(page, email, PASSWORD);
    assert.equal(await page.locator('#nav [data-view="admin"]').isHidden(), true);
    await page.locator('#nav [data-view="usage"]').click();
    await page.locator('#usage-main svg.usage-svg').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
    await screenshot(page, 'usage-390');
    await page.locator('#usage-panel-user').scrollIntoViewIfNeeded();
    await screenshot(page, 'usage-390-table');
  });
});
