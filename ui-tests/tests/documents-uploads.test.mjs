// Getting documents in and finding them, in a real browser: uploads (file chooser and
// drag-and-drop, names derived from any file name, the good files stored when one is bad), the
// brand-data tree and the Markdown preview of what was uploaded, byte-exact downloads, search
// (the server's, with marked snippets), paging with "Load more", and a link to a document
// beyond the first page.
//
// Runs against the mock API by default, or a real server (CWM_BASE_URL / CWM_RUNNER_BIN); see
// support/harness.mjs. Document names carry a per-run prefix so a shared server is fine. Every
// test also fails on console errors, uncaught exceptions and CSP violations.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { screenshot, apiFetch, waitFor, RUN_ID, DESKTOP, PHONE } from '../support/harness.mjs';
import { useTarget } from '../support/setup.mjs';
import { panel, selectTab, docItem, openDocument, uploadWithChooser, dropFiles, putDocument, withApp, brandJson } from '../support/ui.mjs';

let target;
let browser;
const n = (stem, ext) => `${RUN_ID}-${stem}${ext}`;

useTarget((started) => {
  ({ target, browser } = started);
});

test('uploads brand data with the file chooser and shows it as a collapsible tree', async () => {
  const name = n('acme', '.json');
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    await uploadWithChooser(page, 'brand-data', [{ name, mimeType: 'application/json', content: brandJson('Acme Outdoor') }]);
    const p = panel(page, 'brand-data');
    await docItem(page, 'brand-data', name).waitFor();
    await p.locator('.viewer-title', { hasText: 'Acme Outdoor' }).waitFor();
    await page.locator('#live-status', { hasText: `Uploaded ${name}` }).waitFor();

    const tree = p.locator('.json-tree');
    await tree.locator('.json-key', { hasText: 'Company name' }).waitFor();
    assert.equal(await tree.locator('.json-leaf', { hasText: 'Company name' }).locator('.json-value').textContent(), 'Acme Outdoor');
    assert.equal(await tree.locator('a.json-link', { hasText: 'https://acme.example' }).getAttribute('href'), 'https://acme.example/');
    assert.equal(await tree.locator('.json-leaf', { hasText: 'Author persona' }).locator('.json-null').textContent(), 'empty');

    // Branches collapse and expand, one at a time or all at once.
    const brandInfo = tree.locator('details', { has: page.locator('summary .json-key', { hasText: 'Brand info' }) }).first();
    assert.equal(await brandInfo.evaluate((d) => d.open), true);
    await brandInfo.locator('summary').first().click();
    assert.equal(await brandInfo.evaluate((d) => d.open), false);
    await p.getByRole('button', { name: 'Expand all' }).click();
    assert.equal(await tree.locator('details:not([open])').count(), 0);
    await screenshot(page, 'brand-data-1280');
    await p.getByRole('button', { name: 'Collapse all' }).click();
    assert.equal(await tree.locator('details[open]').count(), 0);

    await p.locator('[data-action="toggle-raw"]').click();
    assert.deepEqual(JSON.parse(await p.locator('pre.raw-json').textContent()), JSON.parse(brandJson('Acme Outdoor')));
    assert.equal(await tree.isHidden(), true);
  });
});

test('drag-and-drop uploads Markdown and the viewer shows the API’s sanitized preview', async () => {
  const guide = n('trail-guide', '.md');
  const notes = n('notes', '.md');
  const markdown = '# Trail running guide\n\nPick shoes with **grip** and *room*.\n\n- Grip\n- Fit\n- Weight\n\n' +
    '<script>window.__pwned = 1</script>\n\n<img src="x" onerror="window.__pwned = 2">\n';
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    await selectTab(page, 'briefs');
    await dropFiles(page, 'briefs', [
      { name: guide, mimeType: 'text/markdown', content: markdown },
      { name: notes, mimeType: 'text/markdown', content: '# Notes\n\nShort.\n' },
    ]);
    await docItem(page, 'briefs', guide).waitFor();
    await docItem(page, 'briefs', notes).waitFor();
    assert.match(await docItem(page, 'briefs', guide).textContent(), /Trail running guide/);

    await openDocument(page, 'briefs', guide);
    const preview = panel(page, 'briefs').locator('.md-preview');
    await preview.locator('h1', { hasText: 'Trail running guide' }).waitFor();
    assert.equal(await preview.locator('li').count(), 3);
    assert.equal(await preview.locator('strong').textContent(), 'grip');
    assert.equal(await preview.locator('script, [onerror]').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    await screenshot(page, 'briefs-1280');

    // Only the tab's own file type is accepted.
    await dropFiles(page, 'briefs', [{ name: n('wrong', '.json'), mimeType: 'application/json', content: '{}' }]);
    await page.locator('#live-status', { hasText: 'only accepts .md files' }).waitFor();
  });
});

test('uploads derive a name from any file name and store the good files when one is bad', async () => {
  const files = [
    { name: `${RUN_ID} Brand Data (final).json`, mimeType: 'application/json', content: brandJson('Final Brand') },
    { name: `${RUN_ID}-Globex.JSON`, mimeType: 'application/json', content: brandJson('Globex') },
    { name: `${RUN_ID}-broken.json`, mimeType: 'application/json', content: '{ not json' },
  ];
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    await uploadWithChooser(page, 'brand-data', files);
    const toast = page.locator('.toast-error', { hasText: 'Not uploaded' });
    await toast.waitFor();
    const text = await toast.textContent();
    assert.ok(text.includes(`${RUN_ID} Brand Data (final).json as ${RUN_ID}-brand-data-final.json`), text);
    assert.ok(text.includes(`${RUN_ID}-Globex.JSON as ${RUN_ID}-globex.json`), text);
    assert.match(text, new RegExp(`${RUN_ID}-broken\\.json: .*not valid JSON`));
    await docItem(page, 'brand-data', `${RUN_ID}-brand-data-final.json`).waitFor();
    await docItem(page, 'brand-data', `${RUN_ID}-globex.json`).waitFor();
    assert.equal(await docItem(page, 'brand-data', `${RUN_ID}-broken.json`).count(), 0);
    const stored = await apiFetch(target.url, 'GET', `/api/brand-data/${RUN_ID}-globex.json`);
    assert.equal(stored.status, 200);
  });
});

test('download saves exactly the stored bytes', async () => {
  const md = n('bytes', '.md');
  const json = n('bytes', '.json');
  const mdBytes = Buffer.from('# Naïve café — “quotes” ✓\r\n\r\nTabs\tand trailing spaces  \r\n', 'utf8');
  const jsonBytes = Buffer.from('{"name":"Zoë & Co","emoji":"🚀","n":1.50}', 'utf8');
  await putDocument(target.url, 'drafts', md, mdBytes);
  await putDocument(target.url, 'brand-data', json, jsonBytes);
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    for (const [collection, name, bytes] of [['drafts', md, mdBytes], ['brand-data', json, jsonBytes]]) {
      await openDocument(page, collection, name);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        panel(page, collection).locator('[data-action="download"]').click(),
      ]);
      assert.equal(download.suggestedFilename(), name);
      const saved = await fs.readFile(await download.path());
      assert.ok(saved.equals(bytes), `${name}: downloaded bytes equal the stored ones`);
    }
  });
});

test('search finds documents by any word in them, with the matched words marked, and pages on', async () => {
  const word = `x${RUN_ID.toLowerCase()}`;
  const names = [n('alpha-hiking', '.md'), n('beta-cycling', '.md'), n('gamma-boots', '.md')];
  await putDocument(target.url, 'briefs', names[0], `# Hiking for beginners\n\nPack light. The Café at the trailhead sells ${word} maps.\n`);
  await putDocument(target.url, 'briefs', names[1], `# Cycling commutes\n\nRain jackets and ${word} lights for dark mornings.\n`);
  await putDocument(target.url, 'briefs', names[2], '# Boots that last\n\nResoled boots outlive their owners.\n');
  const many = Array.from({ length: 23 }, (_, i) => n(`many-${String(i).padStart(2, '0')}`, '.md'));
  for (const name of many) await putDocument(target.url, 'drafts', name, `# Draft ${name}\n\nAbout ${word} and more.\n`);
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    await selectTab(page, 'briefs');
    const p = panel(page, 'briefs');
    const search = p.getByRole('searchbox');
    const hint = p.locator('.hint');
    // A word of the text, in another case and without its accent; every word must match.
    await search.fill(`${word.toUpperCase()} cafe`);
    await docItem(page, 'briefs', names[0]).waitFor();
    await waitFor(async () => (await p.locator('.doc-item').count()) === 1, { message: 'one match for both words' });
    const marked = await docItem(page, 'briefs', names[0]).locator('.doc-item-snippet mark').allTextContents();
    assert.deepEqual(marked, ['Café', word]);
    assert.match(await hint.textContent(), /1 document matches every word/);
    await screenshot(page, 'search-1280');
    // One word: both briefs that hold it, newest first, never the third.
    await search.fill(word);
    await docItem(page, 'briefs', names[1]).waitFor();
    await waitFor(async () => (await p.locator('.doc-item').count()) === 2, { message: 'two matches' });
    assert.equal(await p.locator('.doc-item').first().getAttribute('data-name'), names[1]);
    // Opening a match shows the document.
    await docItem(page, 'briefs', names[1]).click();
    await p.locator('.viewer-name', { hasText: names[1] }).waitFor();
    // Plurals: "boot" finds "boots".
    await search.fill('resoled boot');
    await docItem(page, 'briefs', names[2]).waitFor();
    await search.fill(`${word} nothinglikethis`);
    await p.locator('.empty-state', { hasText: 'No briefs match' }).waitFor();
    // Cleared: the listing is back.
    await search.fill('');
    await docItem(page, 'briefs', names[0]).waitFor();
    assert.equal(await hint.textContent(), '');

    // More matches than a page: "Load more" follows the cursor, no repeats.
    await selectTab(page, 'drafts');
    const d = panel(page, 'drafts');
    await d.getByRole('searchbox').fill(word);
    await waitFor(async () => (await d.locator('.doc-item').count()) === 20, { message: 'a first page of 20' });
    assert.match(await d.locator('.hint').textContent(), /20\+ documents match/);
    assert.equal(await d.locator('.doc-item').first().getAttribute('data-name'), many[22], 'newest first');
    await d.getByRole('button', { name: 'Load more' }).click();
    await waitFor(async () => (await d.locator('.doc-item').count()) === 23, { message: 'all 23' });
    const shown = await d.locator('.doc-item').evaluateAll((els) => els.map((e) => e.dataset.name));
    assert.deepEqual(shown, [...many].reverse());
    assert.equal(await d.getByRole('button', { name: 'Load more' }).isHidden(), true);
  });
  await withApp(browser, target.url, { viewport: PHONE }, async ({ page }) => {
    await selectTab(page, 'briefs');
    const p = panel(page, 'briefs');
    await p.getByRole('searchbox').fill(`${word} jackets`);
    await docItem(page, 'briefs', names[1]).locator('mark').first().waitFor();
    await screenshot(page, 'search-390');
  });
});

test('"Load more" pages through a long listing, newest first', async () => {
  const names = Array.from({ length: 55 }, (_, i) => n(`page-${String(i).padStart(2, '0')}`, '.md'));
  for (const name of names) await putDocument(target.url, 'drafts', name, `# Page ${name}\n`);
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    await selectTab(page, 'drafts');
    const p = panel(page, 'drafts');
    await docItem(page, 'drafts', names[54]).waitFor();
    assert.equal(await p.locator('.doc-item').count(), 50);
    assert.equal(await p.locator('.doc-item').first().getAttribute('data-name'), names[54], 'newest first');
    assert.equal(await docItem(page, 'drafts', names[0]).count(), 0);
    assert.match(await page.locator('#tab-drafts .tab-count').textContent(), /^50\+$/);
    await p.getByRole('button', { name: 'Load more' }).click();
    await docItem(page, 'drafts', names[0]).waitFor();
    await screenshot(page, 'drafts-1280');
    const shown = await p.locator('.doc-item').evaluateAll((els) => els.map((e) => e.dataset.name));
    assert.equal(new Set(shown).size, shown.length, 'no duplicates across pages');
  });
});

test('a link to a document beyond the first page shows its title, date and author', async () => {
  const name = n('deep-link', '.md');
  await putDocument(target.url, 'briefs', name, '# Deep link heading\n\nSome words.\n');
  // Fifty newer briefs push it off the first page of the listing.
  await Promise.all(Array.from({ length: 50 }, (_, i) => putDocument(target.url, 'briefs', n(`filler-${i}`, '.md'), `# Filler ${i}\n`)));
  await withApp(browser, target.url, { viewport: DESKTOP, hash: `#briefs/${encodeURIComponent(name)}` }, async ({ page }) => {
    const p = panel(page, 'briefs');
    await p.locator('.viewer-name', { hasText: name }).waitFor();
    await p.locator('.viewer-title', { hasText: 'Deep link heading' }).waitFor();
    await p.locator('.viewer-updated', { hasText: 'by admin' }).waitFor();
    assert.equal(await docItem(page, 'briefs', name).count(), 0, 'not in the loaded page');
  });
});
