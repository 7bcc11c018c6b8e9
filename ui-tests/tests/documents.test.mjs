// The document features of the web UI, end to end in a real browser: uploads (file chooser and
// drag-and-drop), the brand-data tree, Markdown previews, the JSON and Markdown editors, ETag
// conflicts, deletion, downloads, search (the server's, with marked snippets), paging, keyboard
// use and the 390 px layout. Every test
// also fails on console errors, uncaught exceptions and CSP violations.
//
// Runs against the mock API by default, or a real server (CWM_BASE_URL / CWM_RUNNER_BIN); see
// support/harness.mjs. Document names carry a per-run prefix so a shared server is fine.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { startTarget, launchBrowser, screenshot, apiFetch, waitFor, RUN_ID, DESKTOP, PHONE } from '../support/harness.mjs';
import { panel, selectTab, docItem, openDocument, uploadWithChooser, dropFiles, putDocument, withApp, brandJson, codeEditorText, codeEditorSelection } from '../support/ui.mjs';

let target;
let browser;
const n = (stem, ext) => `${RUN_ID}-${stem}${ext}`;

before(async () => {
  target = await startTarget();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await target?.close();
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

test('the JSON editor opens pretty-printed, marks invalid JSON where it is wrong and refuses to save it', async () => {
  const name = n('editme', '.json');
  await putDocument(target.url, 'brand-data', name, JSON.stringify(JSON.parse(brandJson('Edit Me Ltd'))));
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    const puts = [];
    const vendor = [];
    page.on('request', (r) => {
      if (r.method() === 'PUT') puts.push(r.url());
      if (r.url().includes('/vendor/')) vendor.push(new URL(r.url()).pathname);
    });
    await openDocument(page, 'brand-data', name);
    assert.deepEqual(vendor, [], 'the editor bundle is fetched only for editing');
    const p = panel(page, 'brand-data');
    await p.locator('[data-action="edit"]').click();
    const host = p.getByTestId('json-editor');
    const content = host.locator('.cm-content');
    await content.waitFor();
    assert.deepEqual(vendor, ['/vendor/codemirror.js']);
    // The stored JSON was minified; the editor shows it with two-space indents, numbered lines.
    assert.equal(await codeEditorText(host), brandJson('Edit Me Ltd'));
    assert.ok(await host.locator('.cm-lineNumbers .cm-gutterElement', { hasText: /^12$/ }).count() === 1, 'line numbers');
    assert.ok(await host.locator('.cm-line span').count() > 10, 'highlighted tokens');
    await p.locator('.editor-status', { hasText: 'Valid JSON · no changes' }).waitFor();
    assert.equal(await content.getAttribute('aria-label'), 'Brand data (JSON)');

    await content.fill('{\n  "name": "Edit Me Ltd",\n  "markets": ["UK", "DE",]\n}\n');
    await p.locator('.editor-status', { hasText: 'Invalid JSON at line 3, column 26' }).waitFor();
    // Inline: a mark in the lint gutter and the place underlined, the message on it.
    await host.locator('.cm-lint-marker-error').waitFor();
    await host.locator('.cm-lintRange-error').waitFor();
    await host.locator('.cm-lint-marker-error').hover();
    await host.locator('.cm-tooltip', { hasText: 'Line 3, column 26: Remove the comma before “]”' }).waitFor();
    await p.locator('[data-action="save"]').click();
    await p.locator('.editor-error', { hasText: 'Not saved: the JSON is invalid at line 3, column 26' }).waitFor();
    assert.equal(await content.evaluate((c) => c.getRootNode().activeElement === c), true, 'focus goes to the error');
    const at = '{\n  "name": "Edit Me Ltd",\n  "markets": ["UK", "DE",'.length;
    assert.deepEqual(await codeEditorSelection(host), [at, at + 1]);
    // The message stays in view above the editor.
    const [status, editorTop] = await Promise.all([p.locator('.editor-status').boundingBox(), host.boundingBox()]);
    assert.ok(status.y < editorTop.y, 'the message is above the editor');
    await screenshot(page, 'json-editor-invalid-1280');

    await content.fill('["a list", "is not brand data"]');
    await p.locator('[data-action="save"]').click();
    await p.locator('.editor-error', { hasText: 'must be a JSON object' }).waitFor();
    assert.deepEqual(puts, [], 'nothing was sent while the JSON was invalid');

    await content.fill('{"name": "Renamed Brand", "markets": ["UK"]}');
    await p.locator('.editor-status', { hasText: 'Valid JSON · unsaved changes' }).waitFor();
    await host.locator('.cm-lint-marker-error').waitFor({ state: 'detached' });
    await p.locator('[data-action="format"]').click();
    assert.equal(await codeEditorText(host), '{\n  "name": "Renamed Brand",\n  "markets": [\n    "UK"\n  ]\n}\n');
    await content.click();
    await page.keyboard.press('Control+s');
    await p.locator('.viewer-title', { hasText: 'Renamed Brand' }).waitFor();
    assert.equal(puts.length, 1);
    const stored = await apiFetch(target.url, 'GET', `/api/brand-data/${name}`);
    assert.deepEqual(JSON.parse(stored.text), { name: 'Renamed Brand', markets: ['UK'] });
  });
});

test('the editor bundle is served as JavaScript, revalidated by its ETag, with its licence beside it', async () => {
  const js = await apiFetch(target.url, 'GET', '/vendor/codemirror.js', { auth: false });
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  assert.equal(js.headers.get('cache-control'), 'no-cache');
  const etag = js.headers.get('etag');
  assert.match(etag ?? '', /^"[0-9a-f]{16,}"$/, 'a strong ETag');
  const again = await apiFetch(target.url, 'GET', '/vendor/codemirror.js', { auth: false, headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  const licence = await apiFetch(target.url, 'GET', '/vendor/codemirror.LICENSE.txt', { auth: false });
  assert.equal(licence.status, 200);
  assert.match(licence.text, /@codemirror\/view .*\(MIT\)/);
});

test('the Markdown editor previews unsaved text exactly as the saved preview shows it, then saves', async () => {
  const name = n('live-preview', '.md');
  await putDocument(target.url, 'briefs', name, '# Draft title\n\nFirst version.\n');
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    await openDocument(page, 'briefs', name);
    const p = panel(page, 'briefs');
    await p.locator('[data-action="edit"]').click();
    const live = p.locator('.md-live');
    const settled = p.locator('.md-live[aria-busy="false"]');
    await live.locator('h1', { hasText: 'Draft title' }).waitFor();
    const source = [
      '# Live heading', '', 'Some **bold**, *italic* and `code` with a [safe link](https://example.com/docs).', '',
      '- one', '- two', '', '| Col A | Col B |', '| --- | ---: |', '| 1 | 2 |', '',
      '[bad link](javascript:alert(1)) <img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script>',
      '', 'Last line.',
    ].join('\n');
    const renders = [];
    page.on('request', (req) => { if (new URL(req.url()).pathname === '/api/render') renders.push(req.postData()); });
    await p.locator('textarea.md-input').fill(source);
    await live.locator('h1', { hasText: 'Live heading' }).waitFor();
    await settled.waitFor();
    assert.deepEqual(renders, [source], 'one render of the text as typed');
    assert.equal(await live.locator('strong').textContent(), 'bold');
    if (target.kind !== 'mock') {
      // The API's renderer (the mock's is smaller): links, and GFM tables.
      assert.equal(await live.locator('a', { hasText: 'safe link' }).getAttribute('href'), 'https://example.com/docs');
      assert.equal(await live.locator('.table-wrap > table td').nth(1).textContent(), '2');
    }
    // Raw HTML is sanitized away and script URLs lose their href.
    assert.equal(await live.locator('a[href^="javascript"], img, script, [onerror]').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    const liveHtml = await live.innerHTML();
    await screenshot(page, 'markdown-editor-1280');

    // Saved unchanged, the viewer's preview is the same markup the editor showed.
    await page.keyboard.press('Control+s');
    const saved = p.locator('.md-preview');
    await saved.locator('h1', { hasText: 'Live heading' }).waitFor();
    assert.equal(await saved.innerHTML(), liveHtml);
    assert.equal((await apiFetch(target.url, 'GET', `/api/briefs/${name}`)).text, source);
    await docItem(page, 'briefs', name).filter({ hasText: 'Live heading' }).waitFor();
  });
});

test('typing renders the live preview after a pause, and a late answer never replaces a newer one', async () => {
  const name = n('debounced', '.md');
  await putDocument(target.url, 'drafts', name, '# Start\n');
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    await openDocument(page, 'drafts', name);
    const p = panel(page, 'drafts');
    await p.locator('[data-action="edit"]').click();
    const live = p.locator('.md-live');
    await live.locator('h1', { hasText: 'Start' }).waitFor();
    const textarea = p.locator('textarea.md-input');

    const renders = [];
    page.on('request', (req) => { if (new URL(req.url()).pathname === '/api/render') renders.push(req.postData()); });
    await textarea.fill('');
    await textarea.pressSequentially('# Typed quickly');
    await live.locator('h1', { hasText: 'Typed quickly' }).waitFor();
    await p.locator('.md-live[aria-busy="false"]').waitFor();
    assert.ok(renders.length < 'Typed quickly'.length / 2, `${renders.length} renders for one burst of typing`);
    assert.equal(renders.at(-1), '# Typed quickly');

    // The answer for "Slow" is held back until the one for "Fast" has been shown.
    let releaseSlow;
    const slowHeld = new Promise((resolve) => { releaseSlow = resolve; });
    await page.route('**/api/render', async (route) => {
      if (route.request().postData()?.includes('Slow')) await slowHeld;
      await route.continue();
    });
    const slowAsked = page.waitForRequest((req) => req.url().endsWith('/api/render') && req.postData().includes('Slow'));
    await textarea.fill('# Slow');
    await slowAsked;
    await textarea.fill('# Fast');
    await live.locator('h1', { hasText: 'Fast' }).waitFor();
    const answered = Number(await live.getAttribute('data-answers'));
    releaseSlow();
    await p.locator(`.md-live[data-answers="${answered + 1}"]`).waitFor();
    assert.equal(await live.locator('h1').textContent(), 'Fast');
    assert.equal(await live.getAttribute('aria-busy'), 'false');
  });
});

test('a concurrent edit is reported (412) and can be overwritten or reloaded', async () => {
  const name = n('contested', '.md');
  await putDocument(target.url, 'drafts', name, '# Original\n');
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    await openDocument(page, 'drafts', name);
    const p = panel(page, 'drafts');
    await p.locator('[data-action="edit"]').click();
    await p.locator('textarea.md-input').fill('# Mine\n');
    await putDocument(target.url, 'drafts', name, '# Theirs\n');

    await p.locator('[data-action="save"]').click();
    const conflict = p.locator('.editor-conflict');
    await conflict.getByText('Someone else changed this document').waitFor();
    assert.equal((await apiFetch(target.url, 'GET', `/api/drafts/${name}`)).text, '# Theirs\n', 'nothing was overwritten');
    assert.equal(await p.locator('textarea.md-input').inputValue(), '# Mine\n', 'my edit is kept');
    await screenshot(page, 'conflict-1280');

    await conflict.locator('[data-action="conflict-overwrite"]').click();
    await p.locator('.md-preview h1', { hasText: 'Mine' }).waitFor();
    assert.equal((await apiFetch(target.url, 'GET', `/api/drafts/${name}`)).text, '# Mine\n');

    // Second round: this time take their version.
    await p.locator('[data-action="edit"]').click();
    await p.locator('textarea.md-input').fill('# Mine again\n');
    await putDocument(target.url, 'drafts', name, '# Theirs again\n');
    await p.locator('[data-action="save"]').click();
    await conflict.locator('[data-action="conflict-reload"]').click();
    await waitFor(async () => (await p.locator('textarea.md-input').inputValue()) === '# Theirs again\n', { message: 'their version in the editor' });
    await p.locator('[data-action="save"]').click();
    await p.locator('.md-preview h1', { hasText: 'Theirs again' }).waitFor();
  });
});

test('delete asks for confirmation first', async () => {
  const name = n('doomed', '.md');
  await putDocument(target.url, 'briefs', name, '# Doomed brief\n');
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    await openDocument(page, 'briefs', name);
    const p = panel(page, 'briefs');
    const del = p.locator('[data-action="delete"]');
    await del.click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText(`Delete ${name}?`).waitFor();
    assert.equal(await dialog.getByRole('button', { name: 'Cancel' }).evaluate((b) => b === document.activeElement), true, 'the safe choice has focus');
    await screenshot(page, 'delete-confirm-1280');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await del.evaluate((b) => b === document.activeElement), true, 'focus returns to Delete');
    assert.equal((await apiFetch(target.url, 'GET', `/api/briefs/${name}`)).status, 200);

    await del.click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await docItem(page, 'briefs', name).waitFor({ state: 'detached' });
    await p.locator('.placeholder').waitFor();
    assert.equal((await apiFetch(target.url, 'GET', `/api/briefs/${name}`)).status, 404);
  });
});

test('the history shows and restores any version, and the trash brings a deleted document back', async () => {
  const name = n('history', '.md');
  await putDocument(target.url, 'briefs', name, '# History\n\nthe first words\n');
  await putDocument(target.url, 'briefs', name, '# History\n\nthe second words\n');
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    await openDocument(page, 'briefs', name);
    const p = panel(page, 'briefs');
    await p.locator('[data-action="history"]').click();
    const dialog = page.locator('dialog.dialog-history[open]');
    await dialog.locator('.version-row[data-version="1"]').waitFor();
    assert.equal(await dialog.locator('.version-row').count(), 2);
    assert.match(await dialog.locator('.version-row').first().textContent(), /^Version 2 \(current\) · Edited by /);
    assert.equal(await dialog.locator('.version-row[data-version="2"] [data-action="restore-version"]').count(), 0, 'the current version is not offered');
    await dialog.locator('.version-row[data-version="1"] [data-action="show-version"]').click();
    await dialog.locator('.version-content', { hasText: 'the first words' }).waitFor();
    await screenshot(page, 'history-1280');
    await dialog.locator('.version-row[data-version="1"] [data-action="restore-version"]').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('#live-status', { hasText: `Restored ${name} to version 1` }).waitFor();
    await p.locator('.md-preview', { hasText: 'the first words' }).waitFor();
    const versions = (await apiFetch(target.url, 'GET', `/api/briefs/${name}/versions`)).json().items;
    assert.deepEqual(versions.map((v) => v.source), ['restore:1', 'edit', 'edit']);

    await p.locator('[data-action="delete"]').click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await docItem(page, 'briefs', name).waitFor({ state: 'detached' });
    await p.locator('[data-action="trash"]').click();
    const trash = page.locator('dialog.dialog-trash[open]');
    const row = trash.locator(`.trash-row[data-name="${name}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /deleted by /);
    await screenshot(page, 'trash-1280');
    await row.locator('[data-action="restore-trash"]').click();
    await trash.waitFor({ state: 'detached' });
    await p.locator('.viewer-name', { hasText: name }).waitFor();
    await p.locator('.md-preview', { hasText: 'the first words' }).waitFor();
    assert.equal((await apiFetch(target.url, 'GET', `/api/briefs/${name}`)).status, 200);
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
