// Job notifications in the browser, against the mock's simulated jobs and webhook receiver: the
// admin page's webhook deliveries (state, attempts, last error, a retry that gets through, a
// test delivery, settings that cannot be used), and the opt-in desktop notification when a job
// the signed-in person submitted finishes (permission asked only on click, the choice
// remembered, a click on the notification opening what the job made).
//
// Mock only: the receiver's answers are steered through /__mock/webhooks/*. Sending through the
// real host is tested in runner/tests/it/webhooks.rs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, apiFetch, waitFor, DESKTOP, PHONE, RUN_ID } from '../support/harness.mjs';
import { useMock } from '../support/setup.mjs';
import { panel, putDocument, withApp, brandJson } from '../support/ui.mjs';
import { axeViolations } from '../support/axe.mjs';


let mock;
let browser;
let url;
const BRAND = `${RUN_ID}-notify.json`;

const control = async (path) => assert.equal((await apiFetch(url, 'POST', `/__mock/${path}`)).status, 200);
const json = (value) => ({ body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });

/** Queues a brief as the admin (the token's holder); its id. */
async function brief(title) {
  const res = await apiFetch(url, 'POST', '/api/briefs/generate', json({ title, primary_keyword: 'walking boots', brand_data: BRAND }));
  assert.equal(res.status, 202, res.text);
  return res.json().job_id;
}

async function jobStatus(id) {
  return (await apiFetch(url, 'GET', `/api/jobs/${id}`)).json().status;
}

const finished = (id) => waitFor(async () => ['completed', 'failed', 'cancelled'].includes(await jobStatus(id)), { message: `job ${id} to finish` });

const skip = useMock('see runner/tests/it/webhooks.rs for the real host', { jobStepMs: 60 }, async (started) => {
  ({ mock, browser, url } = started);
  await putDocument(url, 'brand-data', BRAND, brandJson('Trailhead Outfitters'));
});

test('admins see each delivery with its state, attempts and last error, and can send a test', { skip }, async () => {
  const shipped = await brief('Autumn boot care');
  await finished(shipped);
  await control('webhooks/receiver/500');
  const refused = await brief('Winter layering fail');
  await finished(refused);
  await control('webhooks/receiver/0');
  const unreachable = await brief('Trail running shoes');
  await finished(unreachable);

  await withApp(browser, url, { viewport: DESKTOP, hash: '#admin' }, async ({ page }) => {
    const section = page.locator('#webhooks');
    await section.getByTestId('webhook-status').getByText('Sending to').waitFor();
    assert.equal(await section.locator('.webhook-target code').textContent(), 'https://hooks.example.com:443');
    const rows = section.locator('.admin-row');
    await waitFor(async () => (await rows.count()) === 3, { message: 'three deliveries' });
    // Newest first.
    const titles = await rows.locator('.row-name').allTextContents();
    assert.deepEqual(titles, ['Brief “Trail running shoes”', 'Brief “Winter layering fail”', 'Brief “Autumn boot care”']);
    const delivered = rows.nth(2);
    assert.equal(await delivered.getAttribute('data-state'), 'delivered');
    await delivered.getByText('Delivered').waitFor();
    await delivered.getByText('1 attempt').waitFor();
    const http500 = rows.nth(1);
    assert.equal(await http500.getAttribute('data-state'), 'pending');
    await http500.getByText('Job failed').waitFor();
    await http500.getByText('Retrying').waitFor();
    await http500.getByText('Last: HTTP 500').waitFor();
    await http500.getByText('Next try').waitFor();
    await rows.nth(0).getByText('Last: connection refused').waitFor();

    await http500.locator('details summary').click();
    await http500.locator('.delivery-id code').getByText(/^dlv_/).waitFor();
    const attempts = http500.locator('.attempt');
    assert.equal(await attempts.count(), 1);
    assert.match(await attempts.first().textContent(), /#1.*HTTP 500/);
    await screenshot(page, 'webhook-deliveries-1280');

    // The receiver recovers; the next attempt gets through and the refresh shows it.
    await control('webhooks/receiver/200');
    await control('webhooks/retry');
    await section.locator('[data-action="refresh-deliveries"]').click();
    const retried = section.locator('.admin-row', { hasText: 'Winter layering fail' });
    await retried.getByText('Delivered').waitFor();
    await retried.getByText('2 attempts').waitFor();
    await retried.locator('details summary').click();
    assert.deepEqual(await retried.locator('.attempt-result').allTextContents(), ['HTTP 500', 'HTTP 200']);

    // A test delivery, from the button.
    await section.locator('[data-action="webhook-test"]').click();
    const testRow = section.locator('.admin-row', { hasText: 'Test delivery' });
    await testRow.getByText('Delivered').waitFor();
    assert.equal(await rows.first().locator('.row-name').textContent(), 'Test delivery');
    const audit = (await apiFetch(url, 'GET', '/api/audit')).json();
    assert.equal(audit.entries[0].action, 'webhook_tested');
    await page.locator('[data-action="refresh-audit"]').click();
    await page.locator('#audit').getByText('sent a test webhook delivery').waitFor();
  });

  // A receiver down for a day: the delivery is failed for good.
  await control('webhooks/receiver/503');
  await finished(await brief('Spring hiking checklist'));
  await control('webhooks/expire');
  // Settings that cannot be used: the page says what to fix and offers no test.
  await control('webhooks/broken');
  await withApp(browser, url, { viewport: PHONE, hash: '#admin' }, async ({ page }) => {
    const section = page.locator('#webhooks');
    const failed = section.locator('.admin-row', { hasText: 'Spring hiking checklist' });
    assert.equal(await failed.getAttribute('data-state'), 'failed');
    await failed.getByText('Not delivered').waitFor();
    await failed.getByText('Last: HTTP 503').waitFor();
    await section.getByText('the webhook settings cannot be used').waitFor();
    await section.getByText('webhook_outbound_host allows only').waitFor();
    assert.equal(await section.locator('[data-action="webhook-test"]').isDisabled(), true);
    // The section's heading just below the sticky header.
    await page.locator('#webhooks-title').evaluate((el) => {
      el.scrollIntoView({ block: 'start' });
      window.scrollBy(0, -document.querySelector('.app-header, header').offsetHeight - 12);
    });
    await screenshot(page, 'webhook-deliveries-390');
    // Turned off: it says so and how to turn it on; what was recorded stays listed.
    await control('webhooks/off');
    await section.locator('[data-action="refresh-deliveries"]').click();
    await section.getByText('Webhooks are off. Set webhook_url').waitFor();
    assert.equal(await section.locator('[data-action="webhook-test"]').isDisabled(), true);
    assert.equal(await section.locator('.admin-row', { hasText: 'Spring hiking checklist' }).count(), 1);
  });
  await control('webhooks/on');

  // Every state on one page passes axe's WCAG 2.1 A/AA rules, attempts open.
  await control('webhooks/receiver/502');
  await finished(await brief('Gear list for a long weekend'));
  await control('webhooks/receiver/200');
  await withApp(browser, url, { viewport: DESKTOP, hash: '#admin', bypassCSP: true }, async ({ page }) => {
    const section = page.locator('#webhooks');
    for (const state of ['pending', 'delivered', 'failed']) await section.locator(`.admin-row[data-state="${state}"]`).first().waitFor();
    await section.getByText('Retrying').waitFor();
    for (const summary of await section.locator('details summary').all()) await summary.click();
    assert.deepEqual(await axeViolations(page, { within: '#webhooks' }), []);
  });
});

/** Replaces `Notification` with a recorder: the browser's own permission (granted to this
 * origin by the test's context) shows as `default` until the page asks for it (as a browser that
 * was never asked would), each request is counted, and each notification is kept
 * (`window.__notes`) with its click handler. Once asked, the grant outlives a reload. */
function recordNotifications() {
  const Real = window.Notification;
  window.__asked = 0;
  window.__notes = [];
  class Recorded {
    constructor(title, options = {}) {
      this.title = title;
      this.body = options.body;
      this.tag = options.tag;
      this.closed = false;
      window.__notes.push(this);
    }

    close() {
      this.closed = true;
    }

    static get permission() {
      return sessionStorage.getItem('recorder-asked') ? Real.permission : 'default';
    }

    static async requestPermission() {
      window.__asked += 1;
      sessionStorage.setItem('recorder-asked', '1');
      return Real.requestPermission();
    }
  }
  window.Notification = Recorded;
}

/** The notifications of finished jobs (the one that says they were turned on left out). */
const notes = (page) => page.evaluate(() => window.__notes.filter((n) => n.tag !== 'cwm-notifications-on').map(({ title, body, tag }) => ({ title, body, tag })));
const turnedOnNotes = (page) => page.evaluate(() => window.__notes.filter((n) => n.tag === 'cwm-notifications-on').map((n) => n.title));
const notifyState = (page) => page.locator('[data-action="notify-toggle"] [data-testid="notify-state"]').textContent();

test('an opted-in person is notified when a job they submitted finishes; a click opens what it made', { skip }, async () => {
  const options = { viewport: DESKTOP, permissions: ['notifications'], initScripts: [recordNotifications] };
  await withApp(browser, url, options, async ({ page }) => {
    // Off until asked for: a job finishing now notifies nobody, and no permission was asked.
    await finished(await brief('Before opting in'));
    await page.locator('.job-card', { hasText: 'Before opting in' }).locator('.badge-completed').waitFor();
    assert.deepEqual(await notes(page), []);
    assert.equal(await page.evaluate(() => window.__asked), 0, 'no permission asked before the click');

    await page.getByTestId('user-menu').click();
    const toggle = page.locator('[data-action="notify-toggle"]');
    assert.equal(await notifyState(page), 'Off');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.click();
    await waitFor(async () => (await notifyState(page)) === 'On', { message: 'the toggle to say On' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal(await page.evaluate(() => window.__asked), 1);
    assert.equal(await page.evaluate(() => localStorage.getItem('cwm.notify-finished-jobs')), 'on');
    assert.deepEqual(await turnedOnNotes(page), ['Job notifications are on'], 'one notification at once shows they work');
    await screenshot(page, 'notify-opt-in-1280');
    await page.keyboard.press('Escape');

    // Someone else's job ends: nothing. Mine: one notification each, failures with the reason.
    const theirs = mock.jobs.submit('briefs', { title: 'Not mine', primary_keyword: 'boots', brand_data: BRAND }, 'colleague@example.com').job_id;
    const mine = await brief('Waterproofing guide');
    const broken = await brief('Gaiters fail');
    await Promise.all([finished(theirs), finished(mine), finished(broken)]);
    await waitFor(async () => (await notes(page)).length === 2, { message: 'two notifications' });
    await page.locator('.job-card', { hasText: 'Not mine' }).locator('.badge-completed').waitFor();
    const shown = await notes(page);
    assert.equal(shown.length, 2, 'none for a colleague’s job');
    assert.deepEqual(shown.map((n) => n.title).sort(), ['Brief failed', 'Brief is ready']);
    assert.equal(shown.find((n) => n.title === 'Brief is ready').body, 'Waterproofing guide');
    assert.match(shown.find((n) => n.title === 'Brief failed').body, /^Gaiters fail: Claude exited with status 1/);
    assert.equal(new Set(shown.map((n) => n.tag)).size, 2);

    // Clicking the notification opens the brief the job wrote; a failed job's opens its log.
    await page.evaluate(() => window.__notes.find((n) => n.title === 'Brief is ready').onclick());
    await panel(page, 'briefs').locator('.viewer-name', { hasText: 'waterproofing-guide.md' }).waitFor();
    assert.equal(await page.evaluate(() => window.__notes.find((n) => n.title === 'Brief is ready').closed), true);
    await page.evaluate(() => window.__notes.find((n) => n.title === 'Brief failed').onclick());
    await page.locator('dialog.dialog-logs[open]').getByText('Gaiters fail').first().waitFor();
    await page.keyboard.press('Escape');
    await page.locator('dialog.dialog-logs[open]').waitFor({ state: 'detached' });

    // The choice is remembered: after a reload it is still on, without asking again.
    await page.reload();
    await page.waitForSelector('body.is-ready[data-screen="app"]');
    await page.getByTestId('user-menu').click();
    assert.equal(await notifyState(page), 'On');
    assert.equal(await page.evaluate(() => window.__asked), 0);

    // Turned off, nothing more is shown.
    await toggle.click();
    assert.equal(await notifyState(page), 'Off');
    assert.equal(await page.evaluate(() => localStorage.getItem('cwm.notify-finished-jobs')), 'off');
    await page.keyboard.press('Escape');
    await finished(await brief('After opting out'));
    await page.locator('.job-card', { hasText: 'After opting out' }).locator('.badge-completed').waitFor();
    assert.deepEqual(await notes(page), []);
  });
});

/** Turns notifications on from the account menu (the page records them, see above). */
async function turnOn(page) {
  await page.getByTestId('user-menu').click();
  await page.locator('[data-action="notify-toggle"]').click();
  await waitFor(async () => (await notifyState(page)) === 'On', { message: 'the toggle to say On' });
  await page.keyboard.press('Escape');
}

/** Tells the page it is hidden (another tab in front), or shown again. */
const setHidden = (page, hidden) => page.evaluate((on) => {
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => on });
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (on ? 'hidden' : 'visible') });
  document.dispatchEvent(new Event('visibilitychange'));
}, hidden);

test('in a hidden tab the jobs are still read, every 12 s, while notifications are on; not once they are off', { skip, timeout: 90_000 }, async () => {
  const options = { viewport: DESKTOP, permissions: ['notifications'], initScripts: [recordNotifications] };
  await withApp(browser, url, options, async ({ page }) => {
    await turnOn(page);
    const reads = [];
    page.on('request', (r) => { const u = new URL(r.url()); if (u.pathname === '/api/jobs' && u.searchParams.get('limit') === '20') reads.push(Date.now()); });
    await setHidden(page, true);
    const hiddenAt = Date.now();
    const id = await brief('Finished while away');
    await finished(id);
    await waitFor(async () => (await notes(page)).some((n) => n.body === 'Finished while away'), { message: 'the notification from the hidden tab', timeout: 30_000 });
    await new Promise((r) => setTimeout(r, Math.max(0, hiddenAt + 25_000 - Date.now())));
    const hiddenReads = reads.filter((t) => t >= hiddenAt).length;
    // Visible, it reads every 2 s (twelve or so in 25 s); hidden, every 12 s.
    assert.ok(hiddenReads >= 1 && hiddenReads <= 3, `${hiddenReads} reads in 25 s while hidden`);

    // Off: a hidden tab stops reading (after the one already planned, at most).
    await page.getByTestId('user-menu').click();
    await page.locator('[data-action="notify-toggle"]').click();
    assert.equal(await notifyState(page), 'Off');
    await page.keyboard.press('Escape');
    const offAt = Date.now();
    await new Promise((r) => setTimeout(r, 14_000));
    assert.ok(reads.filter((t) => t >= offAt).length <= 1, 'no more reads while hidden and off');
    // Back in front, it reads at once.
    const shownAt = Date.now();
    await setHidden(page, false);
    await waitFor(() => reads.some((t) => t >= shownAt), { message: 'a read when shown again', timeout: 1_500 });
  });
});

test('every job of a big batch submitted here is notified, the early ones too', { skip, timeout: 90_000 }, async () => {
  await control('queue/pause');
  const options = { viewport: DESKTOP, permissions: ['notifications'], initScripts: [recordNotifications] };
  try {
    await withApp(browser, url, options, async ({ page }) => {
      await turnOn(page);
      const rows = Array.from({ length: 25 }, (_, i) => `Batch note ${String(i + 1).padStart(2, '0')},walking boots,,${BRAND}`);
      await page.locator('#tab-briefs').click();
      await panel(page, 'briefs').locator('[data-action="batch"]').click();
      const dialog = page.locator('dialog.dialog-batch[open]');
      await dialog.locator('input[type="file"]').setInputFiles({ name: 'notes.csv', mimeType: 'text/csv', buffer: Buffer.from(['Title,Primary keyword,Secondary keywords,Brand data', ...rows].join('\n')) });
      await dialog.getByText('25 briefs ready to queue.').waitFor();
      await dialog.locator('[data-action="submit-batch"]').click();
      await dialog.locator('.batch-counts', { hasText: '25 briefs: 0 completed' }).waitFor();
      // The page lists the newest 20; the five oldest (first to run) are read as watched jobs.
      await page.locator('.job-card', { hasText: 'Batch note 25' }).waitFor();
      assert.equal(await page.locator('.job-card', { hasText: 'Batch note 01' }).count(), 0, 'the first jobs are not in the page’s list');
      await control('queue/resume');
      await dialog.locator('.batch-counts[data-done="true"]').waitFor({ timeout: 60_000 });
      await waitFor(async () => (await notes(page)).length === 25, { message: '25 notifications', timeout: 20_000 });
      const bodies = (await notes(page)).map((n) => n.body).sort();
      assert.deepEqual(bodies, rows.map((r) => r.split(',')[0]).sort());
      assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem('cwm.watched-jobs'))), [], 'nothing left to watch');
    });
  } finally {
    await control('queue/resume');
  }
});

/** A browser that grants the permission but refuses `new Notification` from a page, as Chrome on
 * Android does. */
function refuseNotifications() {
  class Refused {
    constructor() {
      throw new TypeError("Failed to construct 'Notification': Illegal constructor. Use ServiceWorkerRegistration.showNotification() instead.");
    }

    static get permission() {
      return 'granted';
    }

    static async requestPermission() {
      return 'granted';
    }
  }
  window.Notification = Refused;
}

/** A browser whose notifications this site may not show. */
function blockNotifications() {
  window.Notification = class Blocked {
    static get permission() {
      return 'denied';
    }

    static async requestPermission() {
      return 'denied';
    }
  };
}

test('a browser that cannot show notifications from the page, or blocks them, is said so in words, not a toggle saying On', { skip }, async () => {
  for (const [label, viewport] of [['1280', DESKTOP], ['390', PHONE]]) {
    await withApp(browser, url, { viewport, initScripts: [refuseNotifications] }, async ({ page }) => {
      await page.getByTestId('user-menu').click();
      await page.locator('[data-action="notify-toggle"]').click();
      await waitFor(async () => (await notifyState(page)) === 'Unavailable', { message: 'the toggle to say Unavailable' });
      const help = page.getByTestId('notify-help');
      assert.match(await help.textContent(), /^This browser cannot show notifications from this page/);
      assert.equal(await help.isVisible(), true, 'said in visible text');
      assert.equal(await page.locator('[data-action="notify-toggle"]').getAttribute('aria-pressed'), 'false');
      assert.notEqual(await page.evaluate(() => localStorage.getItem('cwm.notify-finished-jobs')), 'on');
      await page.locator('.toast-error', { hasText: 'This browser cannot show notifications' }).waitFor();
      await screenshot(page, `notify-unavailable-${label}`);
    });
    await withApp(browser, url, { viewport, initScripts: [blockNotifications] }, async ({ page }) => {
      await page.getByTestId('user-menu').click();
      assert.equal(await notifyState(page), 'Blocked');
      const help = page.getByTestId('notify-help');
      assert.equal(await help.isVisible(), true);
      assert.match(await help.textContent(), /blocks notifications from this site\. Allow them in the site settings/);
      assert.equal(await page.locator('[data-action="notify-toggle"]').getAttribute('aria-describedby'), 'notify-help');
      await screenshot(page, `notify-blocked-${label}`);
    });
  }
});
