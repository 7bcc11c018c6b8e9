// Changing documents, in a real browser: the JSON editor (CodeMirror, fetched only when editing)
// opening the text as stored, formatting it on request and refusing invalid JSON (the data kept
// as written: jsoneditor.test.mjs), the editor bundle's content type, ETag and licence, the Markdown
// editor's live preview rendered by the API exactly as the saved preview and never overwritten
// by a late answer, If-Match conflicts, delete confirmation, and the history and the trash.
//
// Runs against the mock API by default, or a real server (CWM_BASE_URL / CWM_RUNNER_BIN); see
// support/harness.mjs. Document names carry a per-run prefix so a shared server is fine. Every
// test also fails on console errors, uncaught exceptions and CSP violations.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, apiFetch, waitFor, DESKTOP, RUN_ID } from '../support/harness.mjs';
import { useTarget } from '../support/setup.mjs';
import { panel, docItem, openDocument, putDocument, withApp, brandJson, codeEditorText, codeEditorSelection, pasteIntoCodeEditor } from '../support/ui.mjs';

let target;
let browser;
const n = (stem, ext) => `${RUN_ID}-${stem}${ext}`;

useTarget((started) => {
  ({ target, browser } = started);
});

test('the JSON editor opens the text as stored, formats on request, marks invalid JSON where it is wrong and refuses to save it', async () => {
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
    // The stored JSON was minified; the editor shows it as stored, and Format gives it two-space
    // indents, one member a line.
    const minified = JSON.stringify(JSON.parse(brandJson('Edit Me Ltd')));
    assert.equal(await codeEditorText(host), minified);
    await p.locator('.editor-status', { hasText: 'Valid JSON · no changes' }).waitFor();
    await p.locator('[data-action="format"]').click();
    assert.equal(await codeEditorText(host), brandJson('Edit Me Ltd'));
    await p.locator('.editor-note', { hasText: 'Formatted: only spaces and line breaks changed. Every value is kept as written.' }).waitFor();
    assert.ok(await host.locator('.cm-lineNumbers .cm-gutterElement', { hasText: /^12$/ }).count() === 1, 'line numbers');
    assert.ok(await host.locator('.cm-line span').count() > 10, 'highlighted tokens');
    await p.locator('.editor-status', { hasText: 'Valid JSON · unsaved changes' }).waitFor();
    assert.equal(await content.getAttribute('aria-label'), 'Brand data (JSON)');

    await pasteIntoCodeEditor(host, '{\n  "name": "Edit Me Ltd",\n  "markets": ["UK", "DE",]\n}\n');
    await p.locator('.editor-status', { hasText: 'Invalid JSON at line 3, column 26' }).waitFor();
    // Inline: a mark in the lint gutter and the place underlined, the message on it.
    await host.locator('.cm-lint-marker-error').waitFor();
    await host.locator('.cm-lintRange-error').waitFor();
    await host.locator('.cm-lint-marker-error').hover();
    await host.locator('.cm-tooltip', { hasText: 'Line 3, column 26: Remove the comma before “]”' }).waitFor();
    await p.locator('[data-action="save"]').click();
    await p.locator('.editor-status', { hasText: 'Not saved: invalid JSON at line 3, column 26: Remove the comma before “]”' }).waitFor();
    assert.equal(await content.evaluate((c) => c.getRootNode().activeElement === c), true, 'focus goes to the error');
    const at = '{\n  "name": "Edit Me Ltd",\n  "markets": ["UK", "DE",'.length;
    assert.deepEqual(await codeEditorSelection(host), [at, at + 1]);
    // The message stays in view above the editor.
    const [status, editorTop] = await Promise.all([p.locator('.editor-status').boundingBox(), host.boundingBox()]);
    assert.ok(status.y < editorTop.y, 'the message is above the editor');
    await screenshot(page, 'json-editor-invalid-1280');

    await pasteIntoCodeEditor(host, '["a list", "is not brand data"]');
    await p.locator('[data-action="save"]').click();
    await p.locator('.editor-status', { hasText: 'Not saved: brand data must be a JSON object' }).waitFor();
    assert.deepEqual(puts, [], 'nothing was sent while the JSON was invalid');

    await pasteIntoCodeEditor(host, '{"name": "Renamed Brand", "markets": ["UK"]}');
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
