// Accounts in the browser: an admin signed in through a one-time sign-in link invites an editor
// from the admin page; the editor sets a password from the invite link, signs out, signs in with
// email and password, generates a brief and sees the job; once signed out, the page's own
// requests are refused. Also: what a viewer sees (no write controls; the API refuses writes
// anyway), a session that ends while someone works, the sign-in limit's message, and the admin
// page's roles, tokens, runners and audit log.
//
// Runs against the mock API by default, or a real server (CWM_BASE_URL with CWM_ADMIN_TOKEN, or
// CWM_RUNNER_BIN); see support/harness.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, apiFetch, waitFor, RUN_ID, DESKTOP, PHONE } from '../support/harness.mjs';
import { useTarget } from '../support/setup.mjs';
import { panel, selectTab, openDocument, putDocument, withApp, brandJson, signInWithPassword, signOut } from '../support/ui.mjs';

let target;
let browser;
const id = RUN_ID.toLowerCase();
const BRAND = `${RUN_ID}-accounts.json`;
const BRIEF = `${RUN_ID}-accounts.md`;
const PASSWORD = 'a long and unremarkable passphrase';
const json = (value) => ({ body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });

/** A user with a password, made through the API as the admin (invite, then accept). */
async function addUser(email, role) {
  const created = await apiFetch(target.url, 'POST', '/api/users', json({ email, role }));
  assert.equal(created.status, 201, created.text);
  const invite = new URL(created.json().invite_url).hash.replace('#invite=', '');
  const accepted = await apiFetch(target.url, 'POST', '/api/auth/accept', { ...json({ invite, password: PASSWORD }), auth: false });
  assert.equal(accepted.status, 200, accepted.text);
  return created.json().user;
}

/** Who the account menu says is signed in, and with which role. */
async function whoAmI(page) {
  await page.getByTestId('user-menu').click();
  const who = await page.locator('#user-menu-panel [data-testid="who"]').textContent();
  const role = await page.locator('#user-menu-panel [data-testid="role"]').textContent();
  await page.keyboard.press('Escape');
  return { who, role };
}

useTarget(async (started) => {
  ({ target, browser } = started);
  await putDocument(target.url, 'brand-data', BRAND, brandJson('Account Outdoor'));
  await putDocument(target.url, 'briefs', BRIEF, '# Accounts brief\n\nWritten by the admin.\n');
});

test('invite an editor, who sets a password, signs out and in, generates a brief; signed out, the API says 401', async () => {
  const editor = `${id}-editor@example.com`;
  let inviteUrl;
  await withApp(browser, target.url, { viewport: DESKTOP }, async ({ page }) => {
    assert.deepEqual(await whoAmI(page), { who: 'admin', role: 'Admin' });
    await page.locator('#nav [data-view="admin"]').click();
    await page.locator('body[data-view="admin"] #admin-main h1', { hasText: 'Administration' }).waitFor();
    assert.match(page.url(), /#admin$/);
    const form = page.locator('[data-form="invite"]');
    await form.getByLabel('Email').fill('not an address');
    await form.locator('[data-action="invite"]').click();
    await form.getByText('Enter an email address').waitFor();
    await form.getByLabel('Email').fill(editor);
    await form.getByLabel('Role').selectOption('editor');
    await form.locator('[data-action="invite"]').click();
    const shown = page.getByTestId('invite-url');
    inviteUrl = await shown.inputValue();
    assert.ok(inviteUrl.startsWith(`${target.url}/#invite=`), inviteUrl);
    const row = page.locator(`#users .admin-row[data-email="${editor}"]`);
    await row.getByText('Invited').waitFor();
    assert.equal(await row.getByLabel(`Role of ${editor}`).inputValue(), 'editor');
    await screenshot(page, 'admin-invite-1280');
  });

  await withApp(browser, target.url, { viewport: DESKTOP, signIn: false, hash: new URL(inviteUrl).hash }, async ({ page }) => {
    await page.locator('body[data-screen="accept"]').waitFor();
    const form = page.locator('#auth-main form');
    await form.getByLabel('New password').fill('too short');
    await form.getByLabel('Repeat the password').fill('too short');
    await form.locator('[data-action="accept"]').click();
    await form.getByText('Use at least 10 characters.').waitFor();
    await form.getByLabel('New password').fill(PASSWORD);
    await form.locator('[data-action="accept"]').click();
    await form.getByText('The passwords do not match.').waitFor();
    await form.getByLabel('Repeat the password').fill(PASSWORD);
    await screenshot(page, 'accept-invite-1280');
    await form.locator('[data-action="accept"]').click();
    await page.locator('body.is-ready[data-screen="app"]').waitFor();
    assert.doesNotMatch(page.url(), /invite=/, 'the invite leaves the address bar');
    assert.deepEqual(await whoAmI(page), { who: editor, role: 'Editor' });
    assert.equal(await page.locator('#nav [data-view="admin"]').isHidden(), true, 'no admin page for an editor');
    assert.equal(await page.locator('#nav [data-view="jobs"]').isVisible(), true, 'the job history is for everyone');
    assert.equal(await page.locator('#nav [data-view="usage"]').isVisible(), true, 'the usage page is for everyone');

    await signOut(page);
    const wrong = page.locator('#auth-main form');
    await wrong.getByLabel('Email').fill(editor);
    await wrong.getByLabel('Password').fill(`${PASSWORD}!`);
    await wrong.locator('[data-action="sign-in"]').click();
    await page.locator('#auth-main [role="alert"]', { hasText: 'Wrong email or password.' }).waitFor();
    await screenshot(page, 'sign-in-error-1280');
    await signInWithPassword(page, editor, PASSWORD);

    // Generate a brief from the brand data the admin uploaded.
    const title = `Brief by the editor ${RUN_ID}`;
    await selectTab(page, 'briefs');
    await panel(page, 'briefs').locator('[data-action="generate"]').click();
    const dialog = page.locator('dialog[open]');
    await dialog.getByLabel('Article title').fill(title);
    await dialog.getByLabel('Primary keyword').fill('walking boots');
    await dialog.getByLabel('Brand data').selectOption(BRAND);
    await dialog.locator('[data-action="submit"]').click();
    await dialog.waitFor({ state: 'detached' });
    const job = await waitFor(async () => (await (await apiFetch(target.url, 'GET', '/api/jobs?limit=50')).json()).items.find((j) => j.params?.title === title), { message: 'the job' });
    assert.equal(job.submitted_by, editor);
    const card = page.locator(`.job-card[data-job-id="${job.id}"]`);
    await card.getByText(`Submitted by ${editor}`).waitFor();

    await signOut(page);
    const status = await page.evaluate(async () => (await fetch('/api/briefs')).status);
    assert.equal(status, 401, 'signed out, the page gets nothing');
  });
});

test('a viewer sees no upload, edit, delete, generate, cancel or retry, and the API refuses them anyway', async () => {
  const viewer = `${id}-viewer@example.com`;
  await addUser(viewer, 'viewer');
  if (target.kind === 'mock') await apiFetch(target.url, 'POST', '/__mock/queue/pause');
  const submit = async (title) => (await apiFetch(target.url, 'POST', '/api/briefs/generate', json({ title, primary_keyword: 'kw', brand_data: BRAND }))).json().job_id;
  const queued = await submit(`${RUN_ID} stays queued`);
  const cancelled = await submit(`${RUN_ID} is cancelled`);
  assert.ok((await apiFetch(target.url, 'POST', `/api/jobs/${cancelled}/cancel`)).status < 300);
  try {
    await withApp(browser, target.url, { viewport: DESKTOP, signIn: false }, async ({ page }) => {
      await signInWithPassword(page, viewer, PASSWORD);
      assert.deepEqual(await whoAmI(page), { who: viewer, role: 'Viewer' });
      for (const c of ['brand-data', 'briefs', 'drafts']) {
        await selectTab(page, c);
        const p = panel(page, c);
        assert.equal(await p.locator('[data-action="upload"], [data-action="generate"], .dropzone, input[type="file"]').count(), 0, `${c}: no upload or generate`);
      }
      await openDocument(page, 'briefs', BRIEF);
      const p = panel(page, 'briefs');
      await p.locator('[data-action="download"]').waitFor();
      assert.equal(await p.locator('[data-action="edit"], [data-action="delete"], [data-action="generate-next"]').count(), 0, 'only download');
      await p.locator('.viewer-meta', { hasText: 'by admin' }).waitFor();

      const queuedCard = page.locator(`.job-card[data-job-id="${queued}"]`);
      const cancelledCard = page.locator(`.job-card[data-job-id="${cancelled}"]`);
      await queuedCard.locator('[data-action="logs"]').waitFor();
      await cancelledCard.locator('.badge', { hasText: 'Cancelled' }).waitFor();
      assert.equal(await page.locator('.job-card [data-action="cancel"], .job-card [data-action="retry"]').count(), 0, 'no cancel or retry');
      await queuedCard.locator('[data-action="logs"]').click();
      const log = page.locator('dialog.dialog-logs[open]');
      await log.locator('.log-meta .badge').waitFor();
      assert.equal(await log.locator('[data-action="cancel"], [data-action="retry"]').count(), 0, 'none in the log viewer either');
      await page.keyboard.press('Escape');
      await screenshot(page, 'viewer-1280');

      // The controls are only hidden; the API is what refuses.
      const refused = await page.evaluate(async (name) => {
        const put = await fetch(`/api/briefs/${name}`, { method: 'PUT', headers: { 'Content-Type': 'text/markdown' }, body: '# Mine now\n' });
        const del = await fetch(`/api/briefs/${name}`, { method: 'DELETE' });
        return [put.status, del.status];
      }, BRIEF);
      assert.deepEqual(refused, [403, 403]);

      // A viewer manages their own API tokens, with at most their role.
      await page.goto('/#tokens');
      const tokens = page.locator('#api-tokens');
      await page.locator('#admin-main h1', { hasText: 'API tokens' }).waitFor();
      assert.deepEqual(await tokens.getByLabel('Role').locator('option').allTextContents(), ['Viewer']);
      assert.equal(await page.locator('#users, #runner-tokens, #runners, #audit').count(), 0, 'nothing else of the admin page');
      await tokens.getByLabel('Token name').fill('reading script');
      await tokens.locator('[data-action="create-token"]').click();
      const secret = await page.getByTestId('new-token').inputValue();
      assert.match(secret, /^cwm_/);
      const asToken = await apiFetch(target.url, 'GET', '/api/me', { headers: { authorization: `Bearer ${secret}` } });
      assert.equal(asToken.json().email, viewer);
    });
  } finally {
    if (target.kind === 'mock') await apiFetch(target.url, 'POST', '/__mock/queue/resume');
    await apiFetch(target.url, 'POST', `/api/jobs/${queued}/cancel`);
  }
});

test('when the session ends the sign-in screen returns, and signing in again carries on with the unsaved edit', async () => {
  const editor = `${id}-returning@example.com`;
  const user = await addUser(editor, 'editor');
  await withApp(browser, target.url, { viewport: DESKTOP, signIn: false }, async ({ page }) => {
    await signInWithPassword(page, editor, PASSWORD);
    await openDocument(page, 'briefs', BRIEF);
    const p = panel(page, 'briefs');
    await p.locator('[data-action="edit"]').click();
    await p.locator('textarea.md-input').fill('# Not saved yet\n');

    // Disabling the account ends what its sessions may do at once; the next poll hears 401.
    const patch = (disabled) => apiFetch(target.url, 'PATCH', `/api/users/${user.id}`, json({ disabled }));
    assert.equal((await patch(true)).status, 200);
    await page.locator('body[data-screen="signin"]').waitFor({ timeout: 15_000 });
    await page.locator('#auth-main', { hasText: 'Your session has ended' }).waitFor();
    assert.equal(await page.locator('#workspace').isHidden(), true);
    const form = page.locator('#auth-main form');
    await form.getByLabel('Email').fill(editor);
    await form.getByLabel('Password').fill(PASSWORD);
    await form.locator('[data-action="sign-in"]').click();
    await page.locator('#auth-main [role="alert"]', { hasText: 'Wrong email or password.' }).waitFor();

    assert.equal((await patch(false)).status, 200);
    await signInWithPassword(page, editor, PASSWORD);
    assert.equal(await p.locator('textarea.md-input').inputValue(), '# Not saved yet\n', 'the edit is still there');
    await p.locator('[data-action="save"]').click();
    await p.locator('.md-preview h1', { hasText: 'Not saved yet' }).waitFor();
    await p.locator('.viewer-meta', { hasText: `by ${editor}` }).waitFor();
    await p.locator('.viewer-meta', { hasText: 'Created by admin' }).waitFor();
  });
});

test('too many failed sign-ins: the form says how long to wait', async () => {
  const email = `${id}-forgetful@example.com`;
  for (let i = 0; i < 10; i++) {
    const res = await apiFetch(target.url, 'POST', '/api/auth/login', { ...json({ email, password: `guess number ${i}` }), auth: false });
    assert.equal(res.status, 401, res.text);
  }
  await withApp(browser, target.url, { viewport: PHONE, signIn: false }, async ({ page }) => {
    const form = page.locator('#auth-main form');
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill('one more guess');
    await form.locator('[data-action="sign-in"]').click();
    await page.locator('#auth-main [role="alert"]', { hasText: /^Too many failed sign-ins\. Try again in \d+ (minutes?|seconds?)\.$/ }).waitFor();
    await screenshot(page, 'sign-in-limited-390');
  });
});

test('the admin page changes roles, disables users, makes and revokes tokens, lists runners and pages the audit log', async () => {
  const person = `${id}-promoted@example.com`;
  const user = await addUser(person, 'viewer');
  // More than one page of audit entries (each link made is one).
  for (let i = 0; i < 52; i++) await apiFetch(target.url, 'POST', '/api/auth/signin-links');
  await withApp(browser, target.url, { viewport: DESKTOP, hash: '#admin' }, async ({ page }) => {
    const row = page.locator(`#users .admin-row[data-email="${person}"]`);
    await row.getByText('Active').waitFor();
    await row.getByLabel(`Role of ${person}`).selectOption('editor');
    await page.locator('#live-status', { hasText: `${person} is now editor` }).waitFor();
    const roleOf = async () => (await (await apiFetch(target.url, 'GET', '/api/users')).json()).users.find((u) => u.id === user.id);
    assert.equal((await roleOf()).role, 'editor');
    await row.locator('[data-action="disable"]').click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Disable' }).click();
    await row.getByText('Disabled').waitFor();
    assert.equal((await roleOf()).disabled, true);
    await row.locator('[data-action="enable"]').click();
    await row.getByText('Active').waitFor();

    // An API token: shown once, works, revoked, stops working.
    const tokens = page.locator('#api-tokens');
    await tokens.getByLabel('Token name').fill(`ci ${RUN_ID}`);
    await tokens.getByLabel('Role').selectOption('editor');
    await tokens.locator('[data-action="create-token"]').click();
    const secret = await page.getByTestId('new-token').inputValue();
    const me = (token) => apiFetch(target.url, 'GET', '/api/me', { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await me(secret)).json().role, 'editor');
    const tokenRow = tokens.locator('.admin-row', { hasText: `ci ${RUN_ID}` });
    await tokenRow.locator('[data-action="revoke"]').click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke' }).click();
    await tokenRow.locator('.pill', { hasText: 'Revoked' }).waitFor();
    assert.equal((await me(secret)).status, 401, 'a revoked token lets no one in');
    assert.equal(await page.getByTestId('new-token').count(), 1, 'the secret stays until dismissed');
    await tokens.locator('.secret-box [data-action="dismiss"]').click();
    assert.equal(await page.getByTestId('new-token').count(), 0);

    // A runner token, bound to one name.
    const runners = page.locator('#runner-tokens');
    await runners.getByLabel('Runner name').fill(`ui-${id}`);
    await runners.locator('[data-action="create-runner-token"]').click();
    assert.match(await page.getByTestId('new-runner-token').inputValue(), /^cwm_/);
    const runnerRow = runners.locator('.admin-row', { hasText: `Runner ui-${id}` });
    await runnerRow.locator('[data-action="revoke"]').click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke' }).click();
    await runnerRow.locator('.pill', { hasText: 'Revoked' }).waitFor();

    // Runners: the mock's simulated one; `runner serve` has none.
    if (target.kind === 'mock') await page.locator('#runners .admin-row[data-runner="mock-runner-1"]', { hasText: 'Online' }).waitFor();
    else await page.locator('#runners', { hasText: /No runner has connected yet|Last seen/ }).waitFor();

    // The audit log, newest first, then older pages.
    const audit = page.locator('#audit');
    await audit.locator('[data-action="refresh-audit"]').click();
    await audit.locator('.audit-entry').first().filter({ hasText: 'revoked the token' }).waitFor();
    await audit.locator('[data-action="audit-more"]').waitFor();
    const first = await audit.locator('.audit-entry').count();
    assert.equal(first, 50);
    await audit.locator('[data-action="audit-more"]').click();
    await waitFor(async () => (await audit.locator('.audit-entry').count()) > first, { message: 'older entries' });
    const times = await audit.locator('.audit-entry time').evaluateAll((els) => els.map((e) => Date.parse(e.getAttribute('datetime'))));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
    await screenshot(page, 'admin-1280');
  });

  await withApp(browser, target.url, { viewport: PHONE, hash: '#admin' }, async ({ page }) => {
    await page.locator('#users .admin-row').first().waitFor();
    const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(m.scroll <= m.client, `the admin page is ${m.scroll}px wide in a ${m.client}px viewport`);
    await screenshot(page, 'admin-390');
  });
});
