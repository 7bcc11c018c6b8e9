#!/usr/bin/env bash
# What signing in costs in the component: the time of POST /api/auth/login (one argon2id
# verification, m=19 MiB t=2 p=1, inside the .wasm) against GET /api/me with the session it
# made (the same request path without the hash), N of each, one after the other.
#
# Usage: bench/login.sh [N]
#   RUNNER=path/to/runner   use this binary (default: `cargo build --release -p runner`)
# Needs: curl.
set -euo pipefail

N="${1:-20}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -z "${RUNNER:-}" ]]; then
  cargo build --release -p runner --manifest-path "$ROOT/Cargo.toml" >&2
  RUNNER="${CARGO_TARGET_DIR:-$ROOT/target}/release/runner"
fi

WORK="$(mktemp -d)"
PID=""
cleanup() {
  if [[ -n "$PID" ]]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

ADMIN="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
SPIN_VARIABLE_ADMIN_TOKEN="$ADMIN" RUST_LOG=warn \
  "$RUNNER" serve --listen 127.0.0.1:0 --data-dir "$WORK/data" > "$WORK/out" 2> "$WORK/err" &
PID=$!
until grep -q '^listening on ' "$WORK/out"; do
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/err" >&2; exit 1; }
  sleep 0.05
done
BASE=$(sed -n 's/^listening on //p' "$WORK/out")
json=(-H 'content-type: application/json')

invite=$(curl -sf "${json[@]}" -H "authorization: Bearer $ADMIN" \
  -d '{"email":"bench@example.com","role":"viewer"}' "$BASE/api/users" |
  sed -n 's/.*#invite=\([0-9a-f]*\).*/\1/p')
curl -sf "${json[@]}" -d "{\"invite\":\"$invite\",\"password\":\"a bench password\"}" \
  -c "$WORK/jar" "$BASE/api/auth/accept" > /dev/null

login() {
  curl -sf -o /dev/null -w '%{time_total}\n' "${json[@]}" -c "$WORK/jar" \
    -d '{"email":"bench@example.com","password":"a bench password"}' "$BASE/api/auth/login"
}
me() {
  curl -sf -o /dev/null -w '%{time_total}\n' -b "$WORK/jar" "$BASE/api/me"
}
# Warm both paths (instances, caches) before measuring.
login > /dev/null; me > /dev/null
for _ in $(seq "$N"); do login; done > "$WORK/login"
for _ in $(seq "$N"); do me; done > "$WORK/me"

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.1f", 1000 * v[int((NR + 1) / 2)] }'; }
echo "runner: $RUNNER"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median of $N: POST /api/auth/login $(median "$WORK/login") ms, GET /api/me $(median "$WORK/me") ms"
