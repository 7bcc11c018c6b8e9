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

import os
import statistics
import sys

from serve import RUNNER_TOKEN, load_figures, percentile, serve

SAMPLES = int(os.environ.get("SAMPLES", "100"))


def timed(api, request, samples=SAMPLES):
    times = []
    for _ in range(samples):
        elapsed, _ = request()
        times.append(elapsed * 1000)
    times.sort()
    return statistics.median(times), percentile(times, 90)


def brief(i):
    return {"title": f"Benchmark brief {i}", "primary_keyword": "trail shoes",
            "secondary_keywords": ["running", "hiking"], "brand_data": "acme.json"}


def main():
    levels = [int(a) for a in sys.argv[1:]] or [100, 1000, 10000]
    limits = {"max_concurrent_jobs": 100000, "max_queued_jobs": 1000000}
    with serve(limits) as (runner, api):
        api.call("PUT", "/api/brand-data/acme.json", {"brandInfo": {"companyName": "Acme"}})
        print(f"runner: {runner}")
        print(f"machine: {os.cpu_count()} cores; load before: {load_figures()}")
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
        print(f"\nload after: {load_figures()}")


if __name__ == "__main__":
    main()
