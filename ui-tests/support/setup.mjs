// The set-up and tear-down every test file repeats, registered as the file's `before` and
// `after` hooks: the server under test (`useTarget`: the mock, a runner or a running server, as
// harness.mjs chooses) or, for a file that needs the mock's controls, a mock of its own
// (`useMock`); and a browser. What was started is handed to the file's `ready` callback, which
// keeps what it needs and adds the documents its tests share; after the file's tests both are
// closed.

import { before, after } from 'node:test';
import { startTarget, launchBrowser, setAdminToken } from './harness.mjs';
import { startMockServer } from './mock-api.mjs';

/** Whether the tests run against a real server (CWM_BASE_URL or CWM_RUNNER_BIN), not the mock. */
export const REAL_SERVER = Boolean(process.env.CWM_BASE_URL || process.env.CWM_RUNNER_BIN);

/** Before the file's tests, `ready({ target, browser })`: the server under test and a browser. */
export function useTarget(ready) {
  let target;
  let browser;
  before(async () => {
    target = await startTarget();
    browser = await launchBrowser();
    await ready({ target, browser });
  });
  after(async () => {
    await browser?.close();
    await target?.close();
  });
}

/**
 * For a file whose tests need the mock's controls. Returns the tests' `skip`: false on the mock,
 * `runs against the mock only (<why>)` against a real server. Unless skipped, before the file's
 * tests, `ready({ mock, url, browser })`: a mock of the file's own whose jobs take a step every
 * `jobStepMs`, its admin token known to `apiFetch`, and a browser.
 */
export function useMock(why, { jobStepMs }, ready) {
  const skip = REAL_SERVER ? `runs against the mock only (${why})` : false;
  let mock;
  let browser;
  before(async () => {
    if (skip) return;
    mock = await startMockServer({ jobStepMs });
    setAdminToken(mock.url, mock.adminToken);
    browser = await launchBrowser();
    await ready({ mock, url: mock.url, browser });
  });
  after(async () => {
    await browser?.close();
    await mock?.close();
  });
  return skip;
}
