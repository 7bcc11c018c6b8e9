// Moving around the documents, in a real browser: ARIA tabs from the keyboard, Back and Forward
// through tabs and documents, dialogs that keep focus, the 390 px layout with nothing scrolling
// sideways, and the page's security headers with no inline code.
//
// Runs against the mock API by default, or a real server (CWM_BASE_URL / CWM_RUNNER_BIN); see
// support/harness.mjs. Document names carry a per-run prefix so a shared server is fine. Every
// test also fails on console errors, uncaught exceptions and CSP violations.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, apiFetch, DESKTOP, PHONE, RUN_ID } from '../support/harness.mjs';
import { useTarget } from '../support/setup.mjs';
import { panel, selectTab, docItem, openDocument, putDocument, withApp, brandJson } from '../support/ui.mjs';

let target;
let browser;
const n = (stem, ext) => `${RUN_ID}-${stem}${ext}`;

useTarget((started) => {
  ({ target, browser } = started);
});

test('tabs follow the ARIA pattern: arrows, Home and End, one tab stop', async () => {
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    const selected = () => page.evaluate(() => ({
      tab: document.querySelector('[role="tab"][aria-selected="true"]').dataset.tab,
      focused: document.activeElement.dataset.tab,
      tabStops: [...document.querySelectorAll('[role="tab"]')].filter((t) => t.tabIndex === 0).length,
      visible: [...document.querySelectorAll('[role="tabpanel"]')].filter((p) => !p.hidden).map((p) => p.dataset.collection),
    }));
    await page.focus('#tab-brand-data');
    await page.keyboard.press('ArrowRight');
    assert.deepEqual(await selected(), { tab: 'briefs', focused: 'briefs', tabStops: 1, visible: ['briefs'] });
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.deepEqual(await selected(), { tab: 'brand-data', focused: 'brand-data', tabStops: 1, visible: ['brand-data'] });
    await page.keyboard.press('End');
    assert.equal((await selected()).tab, 'drafts');
    await page.keyboard.press('Home');
    assert.equal((await selected()).tab, 'brand-data');
    await page.keyboard.press('ArrowLeft');
    assert.equal((await selected()).tab, 'drafts');
    assert.match(page.url(), /#drafts$/, 'the address follows the tab');
    // Tab leaves the tab list for the panel's controls, with a visible focus ring.
    await page.keyboard.press('Tab');
    const focus = await page.evaluate(() => {
      const el = document.activeElement;
      return { inPanel: Boolean(el.closest('#panel-drafts')), outline: getComputedStyle(el).outlineStyle };
    });
    assert.deepEqual(focus, { inPanel: true, outline: 'solid' });
  });
});

test('Back and Forward walk through tabs and documents, and an edited address is followed', async () => {
  const first = n('history-one', '.md');
  const second = n('history-two', '.md');
  await putDocument(target.url, 'briefs', first, '# History one\n');
  await putDocument(target.url, 'briefs', second, '# History two\n');
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    const hash = () => page.evaluate(() => decodeURIComponent(location.hash));
    const viewing = (name) => panel(page, 'briefs').locator('.viewer-name', { hasText: name }).waitFor();
    await selectTab(page, 'brand-data');
    await openDocument(page, 'briefs', first);
    await openDocument(page, 'briefs', second);
    assert.equal(await hash(), `#briefs/${second}`);

    await page.goBack();
    await viewing(first);
    assert.equal(await hash(), `#briefs/${first}`);
    await page.goBack();
    await page.locator('#tab-briefs[aria-selected="true"]').waitFor();
    assert.equal(await hash(), '#briefs');
    await page.goBack();
    await page.locator('#tab-brand-data[aria-selected="true"]').waitFor();
    assert.ok(page.url().startsWith(target.url), 'Back stayed in the app');
    await page.goForward();
    await page.goForward();
    await viewing(first);

    // A hand-edited address opens what it names.
    await page.evaluate((name) => { location.hash = `#briefs/${encodeURIComponent(name)}`; }, second);
    await viewing(second);
    assert.equal(await hash(), `#briefs/${second}`);
  });
});

test('dialogs keep focus inside and close with Escape', async () => {
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    await selectTab(page, 'briefs');
    const opener = panel(page, 'briefs').locator('[data-action="generate"]');
    await opener.click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press(i % 4 === 3 ? 'Shift+Tab' : 'Tab');
      assert.equal(await page.evaluate(() => Boolean(document.activeElement.closest('dialog[open]'))), true, `focus stays in the dialog (step ${i})`);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await opener.evaluate((b) => b === document.activeElement), true, 'focus returns to the opener');
  });
});

test('at 390 px nothing scrolls sideways and every tab is usable', async () => {
  const brand = n('phone', '.json');
  const brief = n('phone', '.md');
  await putDocument(target.url, 'brand-data', brand, brandJson('Phone-sized Brand With A Rather Long Company Name'));
  await putDocument(target.url, 'briefs', brief, `# A brief with a long title that has to wrap on a phone screen\n\n${'Words and more words. '.repeat(40)}\n\n| a | b | c | d | e | f |\n|---|---|---|---|---|---|\n| ${'wide cell '.repeat(6)} | 2 | 3 | 4 | 5 | 6 |\n`);
  await withApp(browser, target.url, { viewport: PHONE }, async ({ page }) => {
    const noSideScroll = async (where) => {
      const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      assert.ok(m.scroll <= m.client, `${where}: page is ${m.scroll}px wide in a ${m.client}px viewport`);
    };
    for (const c of ['brand-data', 'briefs', 'drafts']) {
      await selectTab(page, c);
      await noSideScroll(`${c} list`);
      await screenshot(page, `${c}-390`);
    }
    await openDocument(page, 'brand-data', brand);
    assert.equal(await panel(page, 'brand-data').locator('.doc-list-col').isHidden(), true, 'the viewer replaces the list');
    await noSideScroll('brand-data viewer');
    await screenshot(page, 'brand-data-viewer-390');
    await panel(page, 'brand-data').getByRole('button', { name: 'Back to list' }).click();
    await docItem(page, 'brand-data', brand).waitFor();

    await openDocument(page, 'briefs', brief);
    await noSideScroll('brief viewer');
    await screenshot(page, 'briefs-viewer-390');
    await panel(page, 'briefs').locator('[data-action="edit"]').click();
    await noSideScroll('markdown editor');
    await panel(page, 'briefs').locator('[data-action="cancel"]').click();

    await page.getByRole('button', { name: /^Jobs/ }).click();
    assert.equal(await page.locator('#jobs-body').isVisible(), true, 'the jobs section expands');
    await noSideScroll('jobs expanded');
    await panel(page, 'briefs').locator('[data-action="generate"]').click();
    await page.locator('dialog[open]').waitFor();
    await noSideScroll('generate dialog');
    await screenshot(page, 'generate-brief-390');
    await page.keyboard.press('Escape');
  });
});

test('the page loads with the UI’s security headers and no inline code', async () => {
  const res = await apiFetch(target.url, 'GET', '/');
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.doesNotMatch(res.text, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline <script>');
  assert.doesNotMatch(res.text, /\son[a-z]+\s*=/i, 'no inline event handlers');
  assert.doesNotMatch(res.text, /\sstyle\s*=/i, 'no inline styles');
});
