#!/usr/bin/env bash
# Browser tests of the web UI, as CI runs them on a fresh machine. Run from anywhere.
#
# Needs: Node.js 20+ with npm, Debian's chromium (installed here if missing), and for the
# real-host runs the binaries `cargo build -p runner -p fake-claude` makes.
#
#   1. every test file against the in-memory mock API (the jobs UI needs its steerable queue),
#      plus the end-to-end scenario, which starts `runner up` itself when target/debug/runner
#      exists and can run jobs;
#   2. the document, usage, health, accessibility and accounts tests again, against the real host
#      (`runner serve` on an ephemeral port, with a fresh admin token).
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(cd .. && pwd)"

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "== installing chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

echo "== npm ci"
npm ci --no-audit --no-fund

# Every runner the tests start compiles the component once; share that work between them.
CWM_CACHE_DIR="${CWM_CACHE_DIR:-$(mktemp -d)}"
export CWM_CACHE_DIR

RUNNER_BIN="${CWM_RUNNER_BIN:-$ROOT/target/debug/runner}"

echo "== UI tests: mock API (and the e2e scenario if the runner is built)"
CWM_BASE_URL= CWM_RUNNER_BIN= CWM_E2E_RUNNER_BIN="$RUNNER_BIN" node --test --test-concurrency=1 tests/
if [ -x "$RUNNER_BIN" ]; then
  echo "== UI document, JSON editor, usage, health, accessibility and accounts tests: real host ($RUNNER_BIN serve)"
  CWM_RUNNER_BIN="$RUNNER_BIN" node --test --test-concurrency=1 tests/documents-uploads.test.mjs tests/documents-editing.test.mjs tests/documents-navigation.test.mjs tests/jsoneditor.test.mjs tests/usage.test.mjs tests/health.test.mjs tests/a11y.test.mjs tests/accounts.test.mjs
else
  echo "== skipping the real-host document tests: no runner at $RUNNER_BIN (cargo build -p runner)"
fi
