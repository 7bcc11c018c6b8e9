"""What the Python benchmarks share: finding the `runner` binary, starting `runner serve` on a
fresh data dir, one keep-alive HTTP connection, and percentiles. Standard library only."""

import contextlib
import http.client
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADMIN = "bench-" + secrets.token_hex(16)
RUNNER_TOKEN = "bench-runner-" + secrets.token_hex(16)


def runner_binary():
    """`RUNNER`, else the release build, else the debug build."""
    if os.environ.get("RUNNER"):
        return os.environ["RUNNER"]
    for profile in ("release", "debug"):
        path = os.path.join(ROOT, "target", profile, "runner")
        if os.access(path, os.X_OK):
            return path
    sys.exit("no runner binary: cargo build --release -p runner (or set RUNNER)")


class Api:
    """One keep-alive connection; every call is timed and must answer 2xx."""

    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def call(self, method, path, body=None, token=ADMIN):
        """`body`: JSON-encoded unless it is already bytes. Returns (seconds, parsed JSON)."""
        headers = {"authorization": f"Bearer {token}"}
        data = None
        if isinstance(body, bytes):
            data = body
        elif body is not None:
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


@contextlib.contextmanager
def serve(variables=None):
    """`runner serve` on a free port and a fresh data dir, with the two tokens and
    `SPIN_VARIABLE_<NAME>` for each of `variables`; yields (binary, Api). Stopped and removed
    afterwards."""
    runner = runner_binary()
    data = tempfile.mkdtemp(prefix="cwm-bench-")
    env = dict(os.environ, SPIN_VARIABLE_ADMIN_TOKEN=ADMIN,
               SPIN_VARIABLE_RUNNER_TOKEN=RUNNER_TOKEN, RUST_LOG="warn")
    for name, value in (variables or {}).items():
        env[f"SPIN_VARIABLE_{name.upper()}"] = str(value)
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
        yield runner, Api(addr)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        subprocess.run(["rm", "-rf", data], check=False)


def percentile(sorted_ms, p):
    """The `p`-th percentile (nearest rank) of an ascending list."""
    rank = max(1, -(-len(sorted_ms) * p // 100))
    return sorted_ms[int(rank) - 1]


def load_figures():
    """The machine's load average, for the figures' context."""
    return open("/proc/loadavg").read().split()[:3]
