// The brand-data JSON editor keeps the data as it is written: it opens the text exactly as stored
// (no round trip through JSON.parse that would round 12345678901234567890, shorten 1.50 or drop
// the first of two equal keys), a Save with nothing changed writes nothing (no new version),
// Format changes whitespace only and says what other programs may read differently. And it keeps
// quiet: a refused save says why once, selecting the bad comma does not light up every comma,
// and phones are not told about Ctrl+S.
//
// Runs against the mock or the real host (CWM_BASE_URL / CWM_RUNNER_BIN), where the stored bytes
// and the version history are the server's own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, apiFetch, RUN_ID, DESKTOP, PHONE } from '../support/harness.mjs';
import { useTarget } from '../support/setup.mjs';
import { panel, openDocument, putDocument, withApp, codeEditorText, pasteIntoCodeEditor } from '../support/ui.mjs';

let target;
let browser;

useTarget((started) => {
  ({ target, browser } = started);
});

const STORED = '{"name": "Acme Outdoor", "id": 12345678901234567890, "price": 1.50, "dup": 1, "dup": 2}';
const FORMATTED = '{\n  "name": "Acme Outdoor",\n  "id": 12345678901234567890,\n  "price": 1.50,\n  "dup": 1,\n  "dup": 2\n}\n';

const stored = async (name) => (await apiFetch(target.url, 'GET', `/api/brand-data/${name}`)).text;
const versions = async (name) => (await apiFetch(target.url, 'GET', `/api/brand-data/${name}/versions`)).json().items;

/** Opens `name` in the JSON editor; the editor's host. */
async function edit(page, name) {
  await openDocument(page, 'brand-data', name);
  const p = panel(page, 'brand-data');
  await p.locator('[data-action="edit"]').click();
  const host = p.getByTestId('json-editor');
  await host.locator('.cm-content').waitFor();
  return host;
}

for (const [label, viewport] of [['1280', DESKTOP], ['390', PHONE]]) {
  test(`at ${label} px the JSON editor opens the stored text, saves nothing unchanged and formats without changing a value`, async () => {
    const name = `${RUN_ID}-exact-${label}.json`;
    await putDocument(target.url, 'brand-data', name, STORED);
    await withApp(browser, target.url, { viewport }, async ({ page }) => {
      const puts = [];
      page.on('request', (r) => { if (r.method() === 'PUT') puts.push(r.url()); });
      const p = panel(page, 'brand-data');
      const host = await edit(page, name);
      assert.equal(await codeEditorText(host), STORED, 'the bytes as stored, not a re-serialization');
      await p.locator('.editor-status', { hasText: 'Valid JSON · no changes' }).waitFor();
      await screenshot(page, `json-editor-as-stored-${label}`);

      // Save with nothing changed: nothing is written, no version is added.
      await p.locator('[data-action="save"]').click();
      await page.locator('.toast', { hasText: `No changes to save: ${name} is as it was` }).waitFor();
      await p.locator('[data-action="edit"]').waitFor();
      assert.deepEqual(puts, [], 'no PUT');
      assert.equal(await stored(name), STORED);
      assert.equal((await versions(name)).length, 1, 'no new version');

      // Format: whitespace only; every token as written; what others may read differently said.
      await p.locator('[data-action="edit"]').click();
      await host.locator('.cm-content').waitFor();
      await p.locator('[data-action="format"]').click();
      assert.equal(await codeEditorText(host), FORMATTED);
      const note = p.locator('.editor-note .notice-warning');
      await note.getByText('Formatted: only spaces and line breaks changed. Every value is kept exactly as written, including these:').waitFor();
      await note.getByText('The key "dup" appears more than once in one object (line 6): most programs keep only one of them.').waitFor();
      await note.getByText('12345678901234567890 (line 3) is read by most programs as 12345678901234567000.').waitFor();
      assert.equal(await note.locator('li', { hasText: '1.50' }).count(), 0, '1.50 means 1.5 to everyone: no note');
      await screenshot(page, `json-editor-formatted-${label}`);
      // Format again: nothing to do, and it says so.
      await p.locator('[data-action="format"]').click();
      await note.getByText(/^Already formatted\./).waitFor();
      assert.equal(await codeEditorText(host), FORMATTED);

      await p.locator('[data-action="save"]').click();
      await p.locator('[data-action="edit"]').waitFor();
      assert.equal(puts.length, 1);
      assert.equal(await stored(name), FORMATTED, 'the formatted text, every value as written');
      const history = await versions(name);
      assert.equal(history.length, 2);
      assert.equal(history[0].source, 'edit');
    });
  });
}

test('a refused save says why once, selects the bad comma alone, and phones are not told about Ctrl+S', async () => {
  const name = `${RUN_ID}-noise.json`;
  await putDocument(target.url, 'brand-data', name, '{\n  "name": "Acme",\n  "tone": ["bold", "warm"],\n  "markets": ["UK", "DE"]\n}\n');
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    const p = panel(page, 'brand-data');
    const host = await edit(page, name);
    assert.equal(await p.getByText('Ctrl+S saves.').isVisible(), true, 'a keyboard shortcut on a desktop');
    // A comma after the closing brace, as a paste might leave it.
    await pasteIntoCodeEditor(host, '{\n  "name": "Acme",\n  "tone": ["bold", "warm"],\n  "markets": ["UK", "DE"]\n},\n');
    await p.locator('[data-action="save"]').click();
    const said = 'Not saved: invalid JSON at line 5, column 2: Unexpected “,” after the end of the JSON value';
    await p.locator('.editor-status', { hasText: said }).waitFor();
    const outside = await p.locator('.editor').evaluate((el) => {
      const copy = el.cloneNode(true);
      copy.querySelector('[data-testid="json-editor"]').remove();
      return copy.textContent;
    });
    assert.equal(outside.split('line 5, column 2').length - 1, 1, `the place is said once: ${outside}`);
    assert.equal(await p.locator('.editor-error').textContent(), '', 'no second message');
    // The bad comma is selected; the other six commas are not lit up with it.
    assert.deepEqual(await host.locator('.cm-editor').evaluate(async (el) => {
      const { EditorView } = await import('/vendor/codemirror.js');
      const { from, to } = EditorView.findFromDOM(el).state.selection.main;
      return [from, to];
    }), [75, 76]);
    await host.locator('.cm-selectionBackground').first().waitFor({ state: 'attached' });
    assert.equal(await host.locator('.cm-selectionMatch').count(), 0, 'no selection-match highlighting');
    await screenshot(page, 'json-editor-refused-1280');
  });
  await withApp(browser, target.url, { viewport: PHONE }, async ({ page }) => {
    const p = panel(page, 'brand-data');
    await edit(page, name);
    await p.locator('.viewer-meta', { hasText: 'Brand data must be a valid JSON object.' }).waitFor();
    assert.equal(await p.getByText('Ctrl+S saves.').isVisible(), false, 'no keyboard shortcut on a phone');
    await screenshot(page, 'json-editor-open-390');
  });
});
