#!/usr/bin/env python3
"""Queue-length benchmark: what the hot paths cost as the queue grows.

Starts `runner serve` on a fresh data dir (no runner works, so jobs only pile up), then at each
queue length (default 100, 1,000, 10,000 queued jobs) times, one request at a time over one
keep-alive connection, the median and p90 of:

  heartbeat   POST /api/runner/heartbeat naming no jobs (a runner's idle heartbeat)
  claim       POST /api/runner/claim, slots 1, wait_ms 0 (takes one job each time; the taken
              jobs are then finished, untimed, so nothing runs at the next level)
  jobs page   GET /api/jobs?limit=50 (queued jobs newest first, with their queue positions)
  job         GET /api/jobs/{id} of the last job queued (its position is the queue's length)
  health      GET /health as a signed-in client (reads the queue counters)
  submit      POST /api/briefs/generate

Usage: bench/queue.py [LEVELS...]        e.g. bench/queue.py 100 1000 10000
  RUNNER=path/to/runner   the binary (default: target/release/runner, else target/debug/runner)
  SAMPLES=100             requests timed per figure
Python standard library only.
"""

import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = int(os.environ.get("SAMPLES", "100"))
ADMIN = "bench-" + secrets.token_hex(16)
RUNNER_TOKEN = "bench-runner-" + secrets.token_hex(16)


def runner_binary():
    if os.environ.get("RUNNER"):
        return os.environ["RUNNER"]
    for profile in ("release", "debug"):
        path = os.path.join(ROOT, "target", profile, "runner")
        if os.access(path, os.X_OK):
            return path
    sys.exit("no runner binary: cargo build --release -p runner (or set RUNNER)")


class Api:
    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def call(self, method, path, body=None, token=ADMIN):
        headers = {"authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        started = time.perf_counter()
        self.conn.request(method, path, body=data, headers=headers)
        resp = self.conn.getresponse()
        payload = resp.read()
        elapsed = time.perf_counter() - started
        if resp.status >= 300:
            raise RuntimeError(f"{method} {path}: {resp.status} {payload[:300]!r}")
        return elapsed, (json.loads(payload) if payload else None)


def timed(api, request, samples=SAMPLES):
    times = []
    for _ in range(samples):
        elapsed, _ = request()
        times.append(elapsed * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1]


def brief(i):
    return {"title": f"Benchmark brief {i}", "primary_keyword": "trail shoes",
            "secondary_keywords": ["running", "hiking"], "brand_data": "acme.json"}


def main():
    levels = [int(a) for a in sys.argv[1:]] or [100, 1000, 10000]
    runner = runner_binary()
    data = tempfile.mkdtemp(prefix="cwm-queue-bench-")
    env = dict(os.environ, SPIN_VARIABLE_ADMIN_TOKEN=ADMIN,
               SPIN_VARIABLE_RUNNER_TOKEN=RUNNER_TOKEN,
               SPIN_VARIABLE_MAX_CONCURRENT_JOBS="100000",
               SPIN_VARIABLE_MAX_QUEUED_JOBS="1000000", RUST_LOG="warn")
    proc = subprocess.Popen([runner, "serve", "--listen", "127.0.0.1:0", "--data-dir", data],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        addr = None
        for line in proc.stdout:
            if line.startswith("listening on http://"):
                addr = line.strip().removeprefix("listening on http://")
                break
        if addr is None:
            sys.exit("runner serve did not start")
        api = Api(addr)
        api.call("PUT", "/api/brand-data/acme.json", {"brandInfo": {"companyName": "Acme"}})
        print(f"runner: {runner}")
        print(f"machine: {os.cpu_count()} cores; load before: {open('/proc/loadavg').read().split()[:3]}")
        print(f"{SAMPLES} sequential requests per figure, one keep-alive connection; ms p50 / p90\n")
        print("| queued | heartbeat | claim | jobs page | job | health | submit |")
        print("|---|---|---|---|---|---|---|")
        queued = 0
        submitted = 0
        last_id = None
        for level in levels:
            while queued < level:
                _, answer = api.call("POST", "/api/briefs/generate", brief(submitted))
                last_id = answer["job_id"]
                submitted += 1
                queued += 1
            row = {}
            row["heartbeat"] = timed(api, lambda: api.call(
                "POST", "/api/runner/heartbeat", {"runner": "bench-1", "jobs": []}, RUNNER_TOKEN))
            row["jobs page"] = timed(api, lambda: api.call("GET", "/api/jobs?limit=50"))
            row["job"] = timed(api, lambda: api.call("GET", f"/api/jobs/{last_id}"))
            row["health"] = timed(api, lambda: api.call("GET", "/health"))
            claimed = []

            def claim():
                elapsed, answer = api.call(
                    "POST", "/api/runner/claim", {"runner": "bench-1", "slots": 1, "wait_ms": 0},
                    RUNNER_TOKEN)
                claimed.extend(answer["jobs"])
                return elapsed, answer
            row["claim"] = timed(api, claim)
            queued -= SAMPLES
            # Claimed jobs end (untimed), so that every level starts with nothing running.
            for job in claimed:
                api.call("POST", f"/api/runner/jobs/{job['id']}/{job['attempt']}/finish",
                         {"status": "failed", "error": "benchmark"}, RUNNER_TOKEN)

            def submit():
                nonlocal submitted
                submitted += 1
                return api.call("POST", "/api/briefs/generate", brief(submitted))
            row["submit"] = timed(api, submit)
            queued += SAMPLES
            cells = " | ".join(f"{row[k][0]:.2f} / {row[k][1]:.2f}" for k in
                               ("heartbeat", "claim", "jobs page", "job", "health", "submit"))
            print(f"| {level:,} | {cells} |", flush=True)
        print(f"\nload after: {open('/proc/loadavg').read().split()[:3]}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        subprocess.run(["rm", "-rf", data], check=False)


if __name__ == "__main__":
    main()
