// The whole content workflow in a browser against the real stack: the `runner up` binary (the
// embedded .wasm API plus a worker) on an ephemeral port, with the fake Claude CLI writing the
// outputs. Upload brand data → generate a brief → watch its log to the end → open its preview →
// generate a draft from it → cancel a queued job → download the draft and compare bytes → the
// usage page counts those jobs. Then a revision: a draft is revised with AI, the fake CLI writes
// the revised text, the review shows the changes, some are taken and the approval writes a
// version whose source is the revision.
// Screenshots of each tab, of the log viewer and of the review at 1280 and 390 px go to
// ci-artifacts/screenshots/e2e-*.png.
//
// Signing in as its operator would: the browser opens the sign-in link `runner up` prints on
// stdout (`sign-in link: http://127.0.0.1:<port>/#signin=<code>`). The test itself calls the API
// with the admin token `runner up` keeps in <data-dir>/admin-token when none is configured (or
// SPIN_VARIABLE_ADMIN_TOKEN, if the environment sets one), and makes a link with it when none was
// printed. A runner that gives neither way in is skipped, saying so (a failure under
// CWM_E2E_REQUIRED).
//
// Binaries: CWM_E2E_RUNNER_BIN or CWM_RUNNER_BIN (default target/debug/runner, then
// target/release/runner) and CWM_FAKE_CLAUDE (default target/debug/fake-claude). The test is
// skipped, saying why, when a binary is missing or `runner up` cannot run jobs yet (a failure
// instead when CWM_E2E_REQUIRED is set, as in CI). CWM_E2E_RUNNER_ARGS (a JSON array) replaces
// the default `["up"]` if the command line ever needs more.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startRunner, launchBrowser, screenshot, apiFetch, waitFor, signInLink, REPO_ROOT, RUN_ID, DESKTOP, PHONE } from '../support/harness.mjs';
import { panel, selectTab, uploadWithChooser, withApp, brandJson, openDocument, putDocument } from '../support/ui.mjs';

const runnerBin = process.env.CWM_E2E_RUNNER_BIN || process.env.CWM_RUNNER_BIN ||
  ['target/debug/runner', 'target/release/runner'].map((p) => path.join(REPO_ROOT, p)).find(existsSync);
const fakeClaude = process.env.CWM_FAKE_CLAUDE || path.join(REPO_ROOT, 'target/debug/fake-claude');

/** Why the scenario cannot run here, or false. */
function skipReason() {
  if (process.env.CWM_BASE_URL) return 'CWM_BASE_URL is set: the scenario starts its own runner';
  if (!runnerBin || !existsSync(runnerBin)) return 'no runner binary (build it: cargo build -p runner)';
  if (!existsSync(fakeClaude)) return 'no fake-claude binary (build it: cargo build -p fake-claude)';
  let help = '';
  try { help = execFileSync(runnerBin, ['up', '--help'], { encoding: 'utf8' }); } catch (err) { help = String(err.stdout ?? ''); }
  if (!/--claude\b|CWM_CLAUDE/.test(help)) return '`runner up` has no job worker yet (no --claude option in its help)';
  return false;
}

const skip = skipReason();
// CI (scripts/test) sets CWM_E2E_REQUIRED: there a missing prerequisite is a failure, not a skip.
if (skip && process.env.CWM_E2E_REQUIRED) {
  throw new Error(`end-to-end scenario cannot run: ${skip}`);
}
const TOKEN = `e2e-${RUN_ID}`;
const BRAND = `${RUN_ID}-acme.json`;
const TITLE = `E2E trail shoes ${RUN_ID}`;
// The API names a brief after its title and a draft after its brief, so one output path serves
// both jobs: the fake CLI writes it, the worker uploads it as the job's output.
const SLUG = TITLE.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const OUTPUT = `# Trail shoes that last\n\nWritten by the fake CLI for ${RUN_ID}: “grip”, fit — and 🥾.\n\n## Outline\n\n- Grip\n- Fit\n`;

let server;
let browser;
let workdir;
/** The link `runner up` printed (used once, by the first page), and why there is no way in. */
let printedLink = null;
let noWayIn = null;

before(async () => {
  if (skip) return;
  workdir = await fs.mkdtemp(path.join(os.tmpdir(), 'cwm-e2e-work-'));
  const args = process.env.CWM_E2E_RUNNER_ARGS ? JSON.parse(process.env.CWM_E2E_RUNNER_ARGS) : ['up'];
  server = await startRunner(runnerBin, args, {
    SPIN_VARIABLE_RUNNER_TOKEN: TOKEN,
    SPIN_VARIABLE_MAX_CONCURRENT_JOBS: '1',
    CWM_RUNNER_TOKEN: TOKEN,
    CWM_RUNNER_NAME: 'e2e-runner',
    CWM_SLOTS: '1',
    CWM_CLAUDE: fakeClaude,
    CWM_WORKDIR: workdir,
    // Jobs see only allowlisted variables: the fake CLI's knobs are passed on purpose.
    CWM_PASS_ENV: 'FAKE_CLAUDE_*',
    FAKE_CLAUDE_OUTPUT_FILE: `output/${SLUG}.md`,
    FAKE_CLAUDE_OUTPUT_CONTENT: OUTPUT,
    FAKE_CLAUDE_DELAY_MS: '400',
  });
  // A runner that made its own admin token prints a link soon; one given a token may not.
  printedLink = await server.signInLinkPrinted(server.adminToken && !process.env.SPIN_VARIABLE_ADMIN_TOKEN ? 60_000 : 3_000);
  if (!server.adminToken) {
    noWayIn = '`runner up` wrote no <data-dir>/admin-token (it predates sign-in; SPIN_VARIABLE_ADMIN_TOKEN=<token> gives it one)';
    return;
  }
  await waitFor(async () => Number((await (await apiFetch(server.url, 'GET', '/health')).json()).runners_online) >= 1,
    { timeout: 60_000, message: 'a runner online' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (workdir) await fs.rm(workdir, { recursive: true, force: true });
});

async function waitForJob(url, predicate, message) {
  return waitFor(async () => (await (await apiFetch(url, 'GET', '/api/jobs?limit=50')).json()).items.find(predicate), { timeout: 60_000, message });
}

test('content workflow: brand data → brief → live log → preview → draft → cancel → download', { skip, timeout: 240_000 }, async (t) => {
  if (noWayIn) {
    if (process.env.CWM_E2E_REQUIRED) throw new Error(`end-to-end scenario cannot sign in: ${noWayIn}`);
    return t.skip(noWayIn);
  }
  const url = server.url;
  let briefJobId;
  if (!printedLink) t.diagnostic('`runner up` printed no sign-in link; signing in with one made from the admin token');
  const link = printedLink ?? await signInLink(url);
  assert.ok(link.startsWith(`${url}/#signin=`), `the sign-in link points at the server: ${link}`);
  await withApp(browser, url, { viewport: DESKTOP, signIn: { link } }, async ({ page }) => {
    // 1. Upload brand data.
    await uploadWithChooser(page, 'brand-data', [{ name: BRAND, mimeType: 'application/json', content: brandJson('Acme Outdoor') }]);
    await panel(page, 'brand-data').locator('.viewer-title', { hasText: 'Acme Outdoor' }).waitFor();
    await page.locator('#health [data-stat="runners"]', { hasText: '1' }).waitFor();
    await screenshot(page, 'e2e-brand-data-1280');

    // 2. Generate a brief from it (the viewer's shortcut preselects the brand data).
    await panel(page, 'brand-data').locator('[data-action="generate-next"]').click();
    let dialog = page.locator('dialog[open]');
    await dialog.getByLabel('Article title').fill(TITLE);
    await dialog.getByLabel('Primary keyword').fill('trail running shoes');
    await dialog.getByRole('textbox', { name: 'Secondary keywords' }).fill('grip, waterproof,');
    // The pickers fill from the API after the dialog opens.
    await dialog.locator('select:enabled').first().waitFor();
    assert.equal(await dialog.getByLabel('Brand data').inputValue(), BRAND);
    await dialog.locator('[data-action="submit"]').click();
    await dialog.waitFor({ state: 'detached' });
    const briefJob = await waitForJob(url, (j) => j.type === 'brief' && j.params?.title === TITLE, 'the brief job');
    briefJobId = briefJob.id;

    // 3. Watch its log stream to completion.
    await page.locator(`.job-card[data-job-id="${briefJobId}"] [data-action="logs"]`).click();
    dialog = page.locator('dialog.dialog-logs[open]');
    await dialog.locator('.log-line').first().waitFor({ timeout: 30_000 });
    await dialog.locator('[data-testid="log-summary"]', { hasText: 'Completed' }).waitFor({ timeout: 90_000 });
    assert.ok(await dialog.locator('.log-line.kind-tool_call').count() >= 1, 'the Write tool call is marked');
    const shown = await dialog.locator('.log-line').evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
    const logs = (await (await apiFetch(url, 'GET', `/api/jobs/${briefJobId}/logs?limit=1000`)).json()).lines.map((l) => l.seq);
    assert.deepEqual(shown, logs, 'the live log shows every line once, in order');
    const summary = await dialog.locator('[data-testid="log-summary"]').textContent();
    assert.match(summary, /\$0\.0085/);
    assert.match(summary, /2,400 in \/ 84 out/);
    await screenshot(page, 'e2e-log-viewer-1280');

    // 4. Open the brief's preview from the job.
    await dialog.locator('[data-action="open-output"]').click();
    await dialog.waitFor({ state: 'detached' });
    const briefs = panel(page, 'briefs');
    await briefs.locator('.viewer-name', { hasText: `${SLUG}.md` }).waitFor();
    await briefs.locator('.md-preview h1', { hasText: 'Trail shoes that last' }).waitFor();
    assert.equal(await briefs.locator('.md-preview li').count(), 2);
    await screenshot(page, 'e2e-briefs-1280');

    // 5. Generate a draft from it, and queue one more job behind it to cancel.
    await briefs.locator('[data-action="generate-next"]').click();
    dialog = page.locator('dialog[open]');
    await waitFor(async () => (await dialog.locator('select:disabled').count()) === 0, { message: 'the pickers filled' });
    assert.equal(await dialog.getByLabel('Brief').inputValue(), `${SLUG}.md`);
    await dialog.getByLabel('Brand data').selectOption(BRAND);
    await dialog.getByLabel('Target word count').fill('1500');
    await dialog.locator('[data-action="submit"]').click();
    await dialog.waitFor({ state: 'detached' });
    const draftJob = await waitForJob(url, (j) => j.type === 'draft' && j.params?.brief === `${SLUG}.md`, 'the draft job');

    await selectTab(page, 'brand-data');
    await panel(page, 'brand-data').locator('[data-action="generate"]').click();
    dialog = page.locator('dialog[open]');
    await dialog.getByLabel('Brand name').fill(`Doomed ${RUN_ID}`);
    await dialog.getByLabel('Website URL 1').fill('https://doomed.example');
    await dialog.locator('[data-action="submit"]').click();
    await dialog.waitFor({ state: 'detached' });
    const doomed = await waitForJob(url, (j) => j.type === 'brand_data' && j.params?.brand_name === `Doomed ${RUN_ID}`, 'the extra job');
    const doomedCard = page.locator(`.job-card[data-job-id="${doomed.id}"]`);
    await doomedCard.getByText('in the queue').waitFor();
    await screenshot(page, 'e2e-jobs-queued-1280');
    await doomedCard.locator('[data-action="cancel"]').click();
    await doomedCard.locator('.badge', { hasText: 'Cancelled' }).waitFor();
    assert.equal((await (await apiFetch(url, 'GET', `/api/jobs/${doomed.id}`)).json()).status, 'cancelled');

    // 6. The draft finishes; open it and download it.
    const draftCard = page.locator(`.job-card[data-job-id="${draftJob.id}"]`);
    await draftCard.locator('.badge', { hasText: 'Completed' }).waitFor({ timeout: 90_000 });
    await draftCard.locator('[data-action="open-output"]').click();
    const drafts = panel(page, 'drafts');
    await drafts.locator('.viewer-name', { hasText: `${SLUG}.md` }).waitFor();
    await drafts.locator('.md-preview h1').waitFor();
    await screenshot(page, 'e2e-drafts-1280');
    const [download] = await Promise.all([page.waitForEvent('download'), drafts.locator('[data-action="download"]').click()]);
    const bytes = await fs.readFile(await download.path());
    const stored = (await apiFetch(url, 'GET', `/api/drafts/${SLUG}.md`)).body;
    assert.ok(bytes.equals(stored), 'the download is the stored draft, byte for byte');
    assert.equal(bytes.toString('utf8'), OUTPUT, 'and it is what the CLI wrote');

    // 7. The usage page counts the ended jobs once each, as the jobs themselves report them.
    const ended = (await (await apiFetch(url, 'GET', '/api/jobs?limit=50')).json()).items
      .filter((j) => ['completed', 'failed', 'cancelled'].includes(j.status));
    const sum = (field) => ended.reduce((n, j) => n + (j.usage?.[field] ?? 0), 0);
    const usage = (await apiFetch(url, 'GET', '/api/usage?group_by=type')).json();
    assert.equal(usage.totals.jobs, ended.length);
    assert.equal(usage.totals.cost_micro_usd, ended.reduce((n, j) => n + Math.round((j.usage?.cost_usd ?? 0) * 1e6), 0));
    for (const field of ['input_tokens', 'output_tokens', 'duration_ms']) assert.equal(usage.totals[field], sum(field), field);
    assert.deepEqual(usage.rows.map((r) => r.key).sort(), ['brand_data', 'brief', 'draft']);
    await page.locator('#nav [data-view="usage"]').click();
    const jobsStat = page.locator('#usage-main .usage-stat').filter({ has: page.locator('.usage-stat-label', { hasText: /^Jobs$/ }) });
    await jobsStat.locator('.usage-stat-value', { hasText: String(ended.length) }).waitFor();
    assert.match(await jobsStat.textContent(), /2 completed · 0 failed · 1 cancelled/);
    await page.locator('#usage-tab-type').click();
    await page.locator('#usage-panel-type tbody th', { hasText: 'Draft' }).waitFor();
    await screenshot(page, 'e2e-usage-1280');
  });

  // 8. The same screens at phone width (signed in with a fresh link: each works once).
  await withApp(browser, url, { viewport: PHONE }, async ({ page }) => {
    for (const c of ['brand-data', 'briefs', 'drafts']) {
      await selectTab(page, c);
      await panel(page, c).locator('.doc-item').first().waitFor();
      await screenshot(page, `e2e-${c}-390`);
    }
    await page.getByRole('button', { name: /^Jobs/ }).click();
    await screenshot(page, 'e2e-jobs-390');
    await page.locator(`.job-card[data-job-id="${briefJobId}"] [data-action="logs"]`).click();
    const dialog = page.locator('dialog.dialog-logs[open]');
    await dialog.locator('[data-testid="log-summary"]', { hasText: 'Completed' }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'e2e-log-viewer-390');
  });
});

test('revise with AI: the fake CLI rewrites a draft, the review shows its changes, some are taken and become a new version', { skip, timeout: 180_000 }, async (t) => {
  if (noWayIn) {
    if (process.env.CWM_E2E_REQUIRED) throw new Error(`end-to-end scenario cannot sign in: ${noWayIn}`);
    return t.skip(noWayIn);
  }
  const url = server.url;
  const name = `${SLUG}.md`;
  // The fake CLI writes OUTPUT at output/<name>, where a revision of <name> must leave its text:
  // a draft that says two things differently gets a proposal that says them as OUTPUT does.
  const base = OUTPUT.replace('Trail shoes that last', 'Trail shoes that wear out').replace('- Fit\n', '- Comfort\n');
  assert.notEqual(base, OUTPUT);
  await putDocument(url, 'drafts', name, base);
  let jobId;
  await withApp(browser, url, { viewport: DESKTOP }, async ({ page }) => {
    await openDocument(page, 'drafts', name);
    await panel(page, 'drafts').locator('[data-action="revise"]').click();
    const ask = page.locator('dialog.dialog-revise[open]');
    await ask.getByLabel('What should change?').fill('Make the title promise durability and list fit, not comfort.');
    await ask.locator('[data-action="submit-revision"]').click();
    await ask.waitFor({ state: 'detached' });
    const job = await waitForJob(url, (j) => j.type === 'revision' && j.params?.name === name, 'the revision job');
    jobId = job.id;
    await page.locator(`.job-card[data-job-id="${jobId}"] .badge`, { hasText: 'Completed' }).waitFor({ timeout: 90_000 });
  });

  // The review on a phone: the changes inline, each with its own toggle.
  await withApp(browser, url, { viewport: PHONE }, async ({ page }) => {
    await page.locator('#jobs .jobs-toggle').click();
    await page.locator(`.job-card[data-job-id="${jobId}"] [data-action="review"]`).click();
    const review = page.locator('dialog.dialog-review[open]');
    await review.locator('.diff-inline .hunk').first().waitFor();
    assert.equal(await review.locator('.diff-side').isHidden(), true, 'inline, not side by side');
    await screenshot(page, 'e2e-review-390');
  });

  await withApp(browser, url, { viewport: DESKTOP }, async ({ page }) => {
    await page.locator(`.job-card[data-job-id="${jobId}"] [data-action="review"]`).click();
    const review = page.locator('dialog.dialog-review[open]');
    await review.locator('.diff-side .hunk').first().waitFor();
    const proposal = (await apiFetch(url, 'GET', `/api/proposals/${jobId}`)).json();
    assert.equal(proposal.base, base, 'the proposal revises the text as it was asked for');
    assert.equal(proposal.proposed, OUTPUT, 'and proposes what the CLI wrote');
    assert.ok(proposal.hunk_count >= 2, `${proposal.hunk_count} changes`);
    const removed = await review.locator('.diff-old del').allTextContents();
    const added = await review.locator('.diff-new ins').allTextContents();
    assert.ok(removed.join(' ').includes('wear') && removed.join(' ').includes('Comfort'), `removed: ${removed}`);
    assert.ok(added.join(' ').includes('last') && added.join(' ').includes('Fit'), `added: ${added}`);
    await review.locator('.review-summary', { hasText: `${proposal.hunk_count} of ${proposal.hunk_count} changes taken` }).waitFor();
    await screenshot(page, 'e2e-review-1280');

    // Leave the first change, take the rest.
    await review.locator('.diff-new .hunk-toggle[data-hunk="0"]').click();
    await review.locator('.review-summary', { hasText: `${proposal.hunk_count - 1} of ${proposal.hunk_count} changes taken` }).waitFor();
    await review.locator('[data-action="apply"]').click();
    await review.waitFor({ state: 'detached' });
    await panel(page, 'drafts').locator('.viewer-name', { hasText: name }).waitFor();

    const expected = proposal.segments.map((seg) => (seg.kind === 'same' ? seg.text : seg.index === 0 ? seg.removed : seg.added)).join('');
    const stored = (await apiFetch(url, 'GET', `/api/drafts/${name}`)).text;
    assert.equal(stored, expected, 'the base with every change but the first');
    assert.notEqual(stored, base);
    assert.notEqual(stored, OUTPUT);
    const versions = (await apiFetch(url, 'GET', `/api/drafts/${name}/versions`)).json().items;
    assert.equal(versions[0].source, `revision:${jobId}`, 'the new version names the revision');
    assert.equal((await apiFetch(url, 'GET', `/api/proposals/${jobId}`)).json().status, 'approved');
    await panel(page, 'drafts').locator('.md-preview h1').waitFor();
  });
});
