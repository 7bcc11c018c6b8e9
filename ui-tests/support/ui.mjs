// Page helpers shared by the test files: find a tab's panel, switch tabs, open documents,
// upload through the file chooser, create documents through the API, sign in and out through the
// UI, and run a test body in a fresh page that must end with no console errors, exceptions or CSP
// violations (signed in as admin unless `signIn` says otherwise; see harness.mjs `openApp`).

import assert from 'node:assert/strict';
import { openApp, apiFetch } from './harness.mjs';

export const panel = (page, collection) => page.locator(`#panel-${collection}`);

export async function selectTab(page, collection) {
  await page.click(`#tab-${collection}`);
  await page.locator(`#panel-${collection}`).waitFor({ state: 'visible' });
}

export function docItem(page, collection, name) {
  return panel(page, collection).locator(`.doc-item[data-name="${name}"]`);
}

/** Switches to the tab, waits for `name` in its list and opens it in the viewer. */
export async function openDocument(page, collection, name) {
  await selectTab(page, collection);
  const item = docItem(page, collection, name);
  await item.waitFor();
  await item.click();
  await panel(page, collection).locator('.viewer-name', { hasText: name }).waitFor();
  await panel(page, collection).locator('.viewer-body .loading').waitFor({ state: 'detached' });
}

/** Uploads files with the Upload button and the browser's file chooser. */
export async function uploadWithChooser(page, collection, files) {
  await selectTab(page, collection);
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    panel(page, collection).locator('[data-action="upload"]').click(),
  ]);
  assert.equal(chooser.isMultiple(), true, 'the chooser accepts several files');
  await chooser.setFiles(files.map((f) => ({ name: f.name, mimeType: f.mimeType, buffer: Buffer.from(f.content) })));
}

/** Drops files onto a tab panel as a browser drag-and-drop would. */
export async function dropFiles(page, collection, files) {
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([f.content], f.name, { type: f.mimeType }));
    return dt;
  }, files.map((f) => ({ name: f.name, mimeType: f.mimeType, content: f.content })));
  const target = panel(page, collection).locator('.doc-list-col');
  await target.dispatchEvent('dragenter', { dataTransfer });
  await target.dispatchEvent('dragover', { dataTransfer });
  await target.dispatchEvent('drop', { dataTransfer });
}

/** Fills in and sends the sign-in form (the page shows it), then waits for the app. */
export async function signInWithPassword(page, email, password) {
  await page.locator('body[data-screen="signin"]').waitFor();
  const form = page.locator('#auth-main form');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.locator('[data-action="sign-in"]').click();
  await page.locator('body.is-ready[data-screen="app"]').waitFor();
}

/** Signs out from the account menu and waits for the sign-in screen of the fresh page. */
export async function signOut(page) {
  await page.getByTestId('user-menu').click();
  await page.locator('#user-menu-panel [data-action="sign-out"]').click();
  await page.locator('body.is-ready[data-screen="signin"]').waitFor();
}

/** The text of the code editor (CodeMirror) inside `locator`, as the editor holds it. */
export async function codeEditorText(locator) {
  return locator.locator('.cm-editor').evaluate(async (el) => {
    const { EditorView } = await import('/vendor/codemirror.js');
    return EditorView.findFromDOM(el).state.doc.toString();
  });
}

/** The selection `[anchor, head]` of the code editor inside `locator`. */
export async function codeEditorSelection(locator) {
  return locator.locator('.cm-editor').evaluate(async (el) => {
    const { EditorView } = await import('/vendor/codemirror.js');
    const { anchor, head } = EditorView.findFromDOM(el).state.selection.main;
    return [anchor, head];
  });
}

/** Replaces the whole text of the code editor inside `locator` as a person does by selecting
 * all and pasting: the editor handles the paste itself. (Typing over a selection lets the
 * browser edit the page first, and Chrome then sometimes adds inline styles, which the CSP
 * refuses, before the editor puts its own rendering back.) */
export async function pasteIntoCodeEditor(locator, text) {
  const content = locator.locator('.cm-content');
  await content.focus();
  await content.press('ControlOrMeta+A');
  await content.evaluate((el, pasted) => {
    const data = new DataTransfer();
    data.setData('text/plain', pasted);
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}

export async function putDocument(baseUrl, collection, name, content, headers = {}) {
  const type = collection === 'brand-data' ? 'application/json' : 'text/markdown';
  const res = await apiFetch(baseUrl, 'PUT', `/api/${collection}/${encodeURIComponent(name)}`, { body: content, headers: { 'content-type': type, ...headers } });
  assert.ok(res.status === 200 || res.status === 201, `PUT ${name}: ${res.status} ${res.text}`);
  return res;
}

/**
 * Runs `body({ page, context })` in a fresh page and then checks that nothing went wrong in it:
 * no console errors, uncaught exceptions, CSP violations or missing static files. `options`
 * are openApp's (`viewport`, `hash`, `signIn`) plus `allow`, a list of patterns of expected messages.
 */
export async function withApp(browser, baseUrl, options, body) {
  const app = await openApp(browser, baseUrl, options);
  try {
    await body(app);
    // `allow`: messages a test provokes on purpose (e.g. a stream it cut).
    const problems = (await app.problems()).filter((p) => !(options.allow ?? []).some((re) => re.test(p)));
    assert.deepEqual(problems, [], 'no console errors, exceptions or CSP violations');
  } finally {
    await app.context.close();
  }
}

/** A brand-data document in the wrapped-leaf shape older brand data uses. */
export function brandJson(company, extra = {}) {
  return JSON.stringify({
    brandInfo: {
      companyName: { value: company },
      companyDomain: { value: 'https://acme.example' },
      brandDescription: { value: `${company} makes outdoor gear for people who walk a lot.` },
      otherProfiles: { value: ['https://www.linkedin.com/company/acme', 'https://twitter.com/acme'] },
    },
    targetAudience: {
      targetMarkets: { value: ['United Kingdom', 'Germany'] },
      customerPersonas: { value: [{ name: 'Weekend hiker', age: 34, needs: ['durable', 'light'] }] },
    },
    writingGuidelines: { toneOfVoice: { value: ['warm', 'practical', 'plain-spoken'] }, authorPersona: { value: null } },
    ...extra,
  }, null, 2) + '\n';
}
