#!/usr/bin/env bash
# Benchmarks the runner host on this machine:
#   - start-up time with a cold and a warm compiled-code cache;
#   - requests/s and latency percentiles of GET /health and of a 50-item listing
#     (GET /api/briefs?limit=50) with 1,000 documents loaded,
#     for each instance mode (--instances reuse | per-request).
#
# Usage: bench/host.sh [DURATION_SECS] [CONNECTIONS]
#   RUNNER=path/to/runner   use this binary (default: build `cargo build --release -p runner`)
#   COMPONENT=path.wasm     serve this component instead of the embedded one
#   MODES="reuse per-request"
# Needs: wrk (Debian: apt-get install wrk), curl.
set -euo pipefail

DURATION="${1:-10}"
CONNECTIONS="${2:-32}"
THREADS="${THREADS:-2}"
DOCS="${DOCS:-1000}"
MODES="${MODES:-reuse per-request}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

if [[ -z "${RUNNER:-}" ]]; then
  cargo build --release -p runner --manifest-path "$ROOT/Cargo.toml" >&2
  RUNNER="${CARGO_TARGET_DIR:-$ROOT/target}/release/runner"
fi
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }

WORK="$(mktemp -d)"
# The API wants a credential; the benchmark is the admin.
ADMIN="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
AUTH="authorization: Bearer $ADMIN"
PID=""
cleanup() {
  if [[ -n "$PID" ]]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_host DATA_DIR MODE: starts the runner on a free port; sets PID and ADDR.
start_host() {
  local data="$1" mode="$2" started
  local args=(serve --listen 127.0.0.1:0 --data-dir "$data" --instances "$mode")
  [[ -n "${COMPONENT:-}" ]] && args+=(--component "$COMPONENT")
  : > "$WORK/out"
  started=$(date +%s.%N)
  SPIN_VARIABLE_ADMIN_TOKEN="$ADMIN" RUST_LOG=warn "$RUNNER" "${args[@]}" > "$WORK/out" 2> "$WORK/err" &
  PID=$!
  until grep -q '^listening on ' "$WORK/out"; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/err" >&2; exit 1; }
    sleep 0.01
  done
  ADDR=$(sed -n 's/^listening on http:\/\///p' "$WORK/out")
  STARTUP=$(awk -v a="$(date +%s.%N)" -v b="$started" 'BEGIN { printf "%.3f", a - b }')
}

stop_host() {
  kill -TERM "$PID"; wait "$PID" || true; PID=""
}

# measure NAME URL: one wrk run, printed as a table row.
measure() {
  local name="$1" url="$2" out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$AUTH" "$url")
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf '| %-12s | %-28s | %10s | %8s | %8s | %s |\n' "$MODE" "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

echo "runner: $RUNNER"
echo "machine: $(nproc) cores, $(uname -sr); wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# Start-up: cold cache compiles the component, warm cache maps the stored machine code.
start_host "$WORK/startup" reuse; COLD=$STARTUP; stop_host
start_host "$WORK/startup" reuse; WARM=$STARTUP; stop_host
printf 'start-up to "listening": cold cache %.2f s, warm cache %.3f s\n\n' "$COLD" "$WARM"

echo "| instances    | request                      |  req/s     | p50      | p99      | non-2xx |"
echo "|--------------|------------------------------|------------|----------|----------|---------|"
for MODE in $MODES; do
  data="$WORK/data-$MODE"
  start_host "$data" "$MODE"
  base="http://$ADDR"
  seq 1 "$DOCS" | xargs -P 8 -I{} curl -sf -o /dev/null -X PUT -H "$AUTH" \
    --data-binary "# Brief {}

Some words for brief number {}." "$base/api/briefs/brief-{}.md"
  count=$(curl -sf -H "$AUTH" "$base/api/briefs?limit=50" | grep -o '"name"' | wc -l)
  [[ "$count" == 50 ]] || { echo "listing returned $count items, expected 50" >&2; exit 1; }
  measure "GET /health" "$base/health"
  measure "GET /api/briefs?limit=50" "$base/api/briefs?limit=50"
  stop_host
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
