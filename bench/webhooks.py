#!/usr/bin/env python3
"""Webhook benchmark: what a slow or dead receiver costs the runner protocol.

For each receiver, starts `runner serve` on a fresh data dir with webhooks pointed at it (or
off), records BACKLOG finished jobs (brand-data jobs cancelled while queued, each one delivery),
then times, one request at a time over one keep-alive connection, the median, p90 and max of:

  heartbeat   POST /api/runner/heartbeat naming no jobs (each starts a webhook pass at most
              once a second, beside its answer)
  claim       POST /api/runner/claim, slots 1, wait_ms 0 (nothing queued: answers empty)

Receivers (on 127.0.0.1):
  off     webhook_url empty: no deliveries, no passes
  ok      answers 200 at once
  slow    answers after 30 s (each attempt gives up after 10 s)
  down    nothing listens on the port (connection refused)

Afterwards it reports how many deliveries were delivered and how many attempts were made.

Usage: bench/webhooks.py [RECEIVERS...]   e.g. bench/webhooks.py off ok slow down
  RUNNER=path/to/runner   the binary (default: target/release/runner, else target/debug/runner)
  SAMPLES=200             requests timed per figure
  BACKLOG=40              finished jobs recorded before timing
Python standard library only.
"""

import http.server
import os
import socket
import statistics
import sys
import threading
import time

from serve import RUNNER_TOKEN, load_figures, percentile, serve

SAMPLES = int(os.environ.get("SAMPLES", "200"))
BACKLOG = int(os.environ.get("BACKLOG", "40"))


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True


def handler(delay):
    class Answer(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length", "0")))
            time.sleep(delay)
            try:
                self.send_response(200)
                self.end_headers()
            except OSError:
                pass

        def log_message(self, *_):
            pass

    return Answer


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def receiver(kind):
    """The webhook variables for `kind`, and the server to stop afterwards (or None)."""
    if kind == "off":
        return {}, None
    if kind == "down":
        port, server = free_port(), None
    else:
        server = Receiver(("127.0.0.1", 0), handler(30 if kind == "slow" else 0))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
    origin = f"http://127.0.0.1:{port}"
    variables = {"webhook_url": f"{origin}/hook", "webhook_secret": "bench",
                 "webhook_outbound_host": origin}
    return variables, server


def timed(request):
    times = []
    for _ in range(SAMPLES):
        elapsed, _ = request()
        times.append(elapsed * 1000)
    times.sort()
    return statistics.median(times), percentile(times, 90), times[-1]


def run(kind):
    variables, server = receiver(kind)
    with serve(variables) as (_, api):
        for i in range(BACKLOG):
            _, queued = api.call("POST", "/api/brand-data/generate",
                                 {"brand_name": f"Brand {i}", "urls": ["https://example.com"]})
            api.call("POST", f"/api/jobs/{queued['job_id']}/cancel")
        heartbeat = {"runner": "bench-1", "jobs": []}
        claim = {"runner": "bench-1", "slots": 1, "wait_ms": 0}
        figures = {
            "heartbeat": timed(lambda: api.call("POST", "/api/runner/heartbeat", heartbeat,
                                                token=RUNNER_TOKEN)),
            "claim": timed(lambda: api.call("POST", "/api/runner/claim", claim,
                                            token=RUNNER_TOKEN)),
        }
        _, page = api.call("GET", "/api/webhooks/deliveries?limit=200")
        delivered = sum(d["state"] == "delivered" for d in page["items"])
        attempts = sum(len(d["attempts"]) for d in page["items"])
    if server:
        server.shutdown()
    return figures, (len(page["items"]), delivered, attempts)


def main():
    kinds = sys.argv[1:] or ["off", "ok", "slow", "down"]
    print(f"load before: {' '.join(load_figures())}; {SAMPLES} samples, backlog {BACKLOG}")
    print("| receiver | request   | p50      | p90      | max      | deliveries, delivered, attempts |")
    print("|----------|-----------|----------|----------|----------|---------------------------------|")
    for kind in kinds:
        figures, (count, delivered, attempts) = run(kind)
        for name, (p50, p90, top) in figures.items():
            print(f"| {kind:<8} | {name:<9} | {p50:6.2f}ms | {p90:6.2f}ms | {top:6.1f}ms | "
                  f"{count}, {delivered}, {attempts} |")
    print(f"load after: {' '.join(load_figures())}")


if __name__ == "__main__":
    main()
