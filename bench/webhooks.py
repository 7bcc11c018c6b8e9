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
  back    answers 503 to the backlog's first attempts, then 200: an outage that ended. The
          timing starts once their retries are due (31 s later), so the first heartbeat's pass
          drains the backlog while the rest are timed.

Afterwards it reports how many deliveries were delivered and how many attempts were made, and
for `back` how long after the first timed request the last delivery was accepted.

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


def handler(delay, refuse_first=0):
    """Answers after `delay` s: 503 to the first `refuse_first` requests, then 200. Keeps the
    time of each 200 in `accepted`."""
    lock = threading.Lock()
    seen = [0]

    class Answer(http.server.BaseHTTPRequestHandler):
        accepted = []

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length", "0")))
            time.sleep(delay)
            with lock:
                seen[0] += 1
                status = 503 if seen[0] <= refuse_first else 200
                if status == 200:
                    Answer.accepted.append(time.perf_counter())
            try:
                self.send_response(status)
                self.end_headers()
            except OSError:
                pass

        def log_message(self, *_):
            pass

    Answer.seen = seen
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
        answer = handler(30 if kind == "slow" else 0, BACKLOG if kind == "back" else 0)
        server = Receiver(("127.0.0.1", 0), answer)
        server.answer = answer
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


def listing(api):
    """Every delivery, a page of 200 at a time."""
    items, cursor = [], ""
    while True:
        _, page = api.call("GET", f"/api/webhooks/deliveries?limit=200{cursor}")
        items += page["items"]
        if not page["next_cursor"]:
            return items
        cursor = f"&cursor={page['next_cursor']}"


def run(kind):
    variables, server = receiver(kind)
    with serve(variables) as (_, api):
        for i in range(BACKLOG):
            _, queued = api.call("POST", "/api/brand-data/generate",
                                 {"brand_name": f"Brand {i}", "urls": ["https://example.com"]})
            api.call("POST", f"/api/jobs/{queued['job_id']}/cancel")
        if kind == "back":
            # Their first attempts refused; nothing starts a pass until the retries are due.
            deadline = time.perf_counter() + 60
            while server.answer.seen[0] < BACKLOG and time.perf_counter() < deadline:
                time.sleep(0.05)
            time.sleep(31)
            api.conn.close()  # the server closes a connection idle that long; start a new one
        started = time.perf_counter()
        heartbeat = {"runner": "bench-1", "jobs": []}
        claim = {"runner": "bench-1", "slots": 1, "wait_ms": 0}
        figures = {
            "heartbeat": timed(lambda: api.call("POST", "/api/runner/heartbeat", heartbeat,
                                                token=RUNNER_TOKEN)),
            "claim": timed(lambda: api.call("POST", "/api/runner/claim", claim,
                                            token=RUNNER_TOKEN)),
        }
        drained = None
        if kind == "back":
            deadline = time.perf_counter() + 120
            while len(server.answer.accepted) < BACKLOG and time.perf_counter() < deadline:
                time.sleep(0.05)
            if server.answer.accepted:
                drained = (len(server.answer.accepted), server.answer.accepted[-1] - started)
        items = listing(api)
        if drained:
            # The last answers may still be being recorded.
            deadline = time.perf_counter() + 10
            while (sum(d["state"] == "delivered" for d in items) < drained[0]
                   and time.perf_counter() < deadline):
                time.sleep(0.1)
                items = listing(api)
        delivered = sum(d["state"] == "delivered" for d in items)
        attempts = sum(len(d["attempts"]) for d in items)
    if server:
        server.shutdown()
    return figures, (len(items), delivered, attempts), drained


def main():
    kinds = sys.argv[1:] or ["off", "ok", "slow", "down"]
    print(f"load before: {' '.join(load_figures())}; {SAMPLES} samples, backlog {BACKLOG}")
    print("| receiver | request   | p50      | p90      | max      | deliveries, delivered, attempts |")
    print("|----------|-----------|----------|----------|----------|---------------------------------|")
    drains = []
    for kind in kinds:
        figures, (count, delivered, attempts), drained = run(kind)
        for name, (p50, p90, top) in figures.items():
            print(f"| {kind:<8} | {name:<9} | {p50:6.2f}ms | {p90:6.2f}ms | {top:6.1f}ms | "
                  f"{count}, {delivered}, {attempts} |")
        if drained:
            drains.append(f"{kind}: {drained[0]} of {BACKLOG} accepted, the last "
                          f"{drained[1]:.2f} s after the first timed request")
    for line in drains:
        print(line)
    print(f"load after: {' '.join(load_figures())}")


if __name__ == "__main__":
    main()
