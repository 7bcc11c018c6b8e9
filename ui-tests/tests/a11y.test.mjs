// Automated accessibility checks (axe-core, WCAG 2.1 A and AA rules) on each screen: signing in
// (also with an error), accepting an invite (with errors), the three tabs, the viewers, both
// editors, the generate and confirmation dialogs, the account menu, the admin page with a new
// invite link and token shown, the phone layout with the jobs section open and of the sign-in
// and admin pages, and (on the mock, which can run jobs) the log viewer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApp, apiFetch, RUN_ID, DESKTOP, PHONE } from '../support/harness.mjs';
import { useTarget } from '../support/setup.mjs';
import { axeViolations } from '../support/axe.mjs';
import { panel, selectTab, openDocument, putDocument, brandJson } from '../support/ui.mjs';


let target;
let browser;
const BRAND = `${RUN_ID}-a11y.json`;
const BRIEF = `${RUN_ID}-a11y.md`;

useTarget(async (started) => {
  ({ target, browser } = started);
  await putDocument(target.url, 'brand-data', BRAND, brandJson('Accessible Outdoor'));
  await putDocument(target.url, 'briefs', BRIEF, '# Accessible brief\n\nSome **text** and a [link](https://example.com).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n');
});

/** The axe violations on the page now, as "rule: target" strings. */
async function violations(page, where) {
  return (await axeViolations(page)).map((f) => `[${where}] ${f}`);
}

test('no WCAG 2.1 A/AA violations on any screen', async () => {
  const problems = [];
  const signedOut = await openApp(browser, target.url, { viewport: DESKTOP, bypassCSP: true, signIn: false });
  try {
    const { page } = signedOut;
    await page.locator('body[data-screen="signin"]').waitFor();
    problems.push(...await violations(page, 'sign-in'));
    await page.locator('#auth-main [data-action="sign-in"]').click();
    await page.locator('#auth-main form').getByLabel('Email').fill(`${RUN_ID}-nobody@example.com`);
    await page.locator('#auth-main form').getByLabel('Password').fill('not the password');
    await page.locator('#auth-main [data-action="sign-in"]').click();
    await page.locator('#auth-main [role="alert"] .notice').waitFor();
    problems.push(...await violations(page, 'sign-in with an error'));
    const invited = await apiFetch(target.url, 'POST', '/api/users', {
      body: JSON.stringify({ email: `${RUN_ID}-a11y@example.com`.toLowerCase(), role: 'editor' }),
      headers: { 'content-type': 'application/json' },
    });
    await page.goto(invited.json().invite_url);
    await page.locator('body[data-screen="accept"]').waitFor();
    problems.push(...await violations(page, 'accept invite'));
    await page.locator('#auth-main form').getByLabel('New password').fill('short');
    await page.locator('#auth-main [data-action="accept"]').click();
    await page.locator('#auth-main .field-error', { hasText: 'at least' }).waitFor();
    problems.push(...await violations(page, 'accept invite with errors'));
  } finally {
    await signedOut.context.close();
  }

  const desktop = await openApp(browser, target.url, { viewport: DESKTOP, bypassCSP: true });
  try {
    const { page } = desktop;
    await openDocument(page, 'brand-data', BRAND);
    problems.push(...await violations(page, 'brand data viewer'));
    await panel(page, 'brand-data').locator('[data-action="edit"]').click();
    await panel(page, 'brand-data').locator('.cm-content').waitFor();
    problems.push(...await violations(page, 'JSON editor'));
    await openDocument(page, 'briefs', BRIEF);
    problems.push(...await violations(page, 'brief preview'));
    await panel(page, 'briefs').locator('[data-action="edit"]').click();
    problems.push(...await violations(page, 'Markdown editor'));
    await panel(page, 'briefs').locator('[data-action="cancel"]').click();
    await selectTab(page, 'drafts');
    problems.push(...await violations(page, 'drafts list'));
    await panel(page, 'drafts').getByRole('searchbox').fill('a11y');
    await panel(page, 'drafts').locator('.hint', { hasText: 'match' }).waitFor();
    problems.push(...await violations(page, 'search'));
    await panel(page, 'drafts').getByRole('searchbox').fill('');
    await panel(page, 'drafts').locator('[data-action="generate"]').click();
    await page.locator('dialog[open] [data-action="submit"]').click();
    problems.push(...await violations(page, 'draft form with errors'));
    await page.keyboard.press('Escape');
    await openDocument(page, 'briefs', BRIEF);
    await panel(page, 'briefs').locator('[data-action="delete"]').click();
    problems.push(...await violations(page, 'delete confirmation'));
    await page.keyboard.press('Escape');
    await page.getByTestId('user-menu').click();
    problems.push(...await violations(page, 'account menu'));
    await page.keyboard.press('Escape');
    await page.locator('#nav [data-view="admin"]').click();
    await page.locator('#users .admin-row, #users .empty-row').first().waitFor();
    await page.locator('[data-form="invite"]').getByLabel('Email').fill(`${RUN_ID}-a11y-2@example.com`.toLowerCase());
    await page.locator('[data-action="invite"]').click();
    await page.getByTestId('invite-url').waitFor();
    await page.locator('[data-form="token"]').getByLabel('Token name').fill('a11y');
    await page.locator('[data-action="create-token"]').click();
    await page.getByTestId('new-token').waitFor();
    await page.locator('#audit .audit-entry').first().waitFor();
    problems.push(...await violations(page, 'admin page'));
    await page.locator('#nav [data-view="jobs"]').click();
    await page.locator('#jobs-main h1').waitFor();
    await page.locator('#jobs-main .jh-table tbody tr, #jobs-main .empty-state').first().waitFor();
    problems.push(...await violations(page, 'job history'));
    await page.locator('#nav [data-view="usage"]').click();
    await page.locator('#usage-main svg.usage-svg').waitFor();
    await page.locator('#usage-main').getByText('Show as a table').click();
    problems.push(...await violations(page, 'usage page'));
    await page.locator('#nav [data-view="documents"]').click();
    await page.locator('#main').waitFor();

    if (target.kind === 'mock') {
      const res = await apiFetch(target.url, 'POST', '/api/briefs/generate', {
        body: JSON.stringify({ title: `${RUN_ID} a11y`, primary_keyword: 'a', secondary_keywords: [], brand_data: BRAND }),
        headers: { 'content-type': 'application/json' },
      });
      const { job_id: id } = res.json();
      await page.locator(`.job-card[data-job-id="${id}"] [data-action="logs"]`).click();
      await page.locator('[data-testid="log-summary"]').waitFor({ timeout: 20_000 });
      problems.push(...await violations(page, 'log viewer'));
      await page.keyboard.press('Escape');
      problems.push(...await violations(page, 'jobs panel'));
    }
  } finally {
    await desktop.context.close();
  }

  const phone = await openApp(browser, target.url, { viewport: PHONE, bypassCSP: true });
  try {
    const { page } = phone;
    await page.getByRole('button', { name: /^Jobs/ }).click();
    problems.push(...await violations(page, 'phone list with jobs open'));
    await page.goto('/#jobs');
    await page.locator('#jobs-main .jh-table tbody tr, #jobs-main .empty-state').first().waitFor();
    problems.push(...await violations(page, 'phone job history'));
    await page.goto('/#admin');
    await page.locator('#audit .audit-entry').first().waitFor();
    problems.push(...await violations(page, 'phone admin page'));
  } finally {
    await phone.context.close();
  }
  const phoneSignIn = await openApp(browser, target.url, { viewport: PHONE, bypassCSP: true, signIn: false });
  try {
    await phoneSignIn.page.locator('body[data-screen="signin"]').waitFor();
    problems.push(...await violations(phoneSignIn.page, 'phone sign-in'));
  } finally {
    await phoneSignIn.context.close();
  }
  assert.deepEqual(problems, []);
});
