#!/usr/bin/env python3
"""Listing benchmark: 1,000 documents read in two pages of 500.

Starts `runner serve` on a fresh data dir, stores DOCS briefs (default 1,000; realistic
Markdown of about 600 words each, so titles and word counts are real), then times, one request
at a time over one keep-alive connection, ROUNDS listings of the whole collection:
`GET /api/briefs?limit=500`, then the page its `next_cursor` names. Prints p50 / p95 / p99 per
page and per whole listing, and checks that every listing returned every document once.

Usage: bench/listing.py
  RUNNER=path/to/runner   the binary (default: target/release/runner, else target/debug/runner)
  DOCS=1000 ROUNDS=200 PAGE=500
Python standard library only.
"""

import os
import statistics

from serve import load_figures, percentile, serve

DOCS = int(os.environ.get("DOCS", "1000"))
ROUNDS = int(os.environ.get("ROUNDS", "200"))
PAGE = int(os.environ.get("PAGE", "500"))


def brief(i):
    section = ("Trail shoes for wet rock need a soft rubber compound and a lug depth of about "
               "four millimetres; runners who also hike want a rock plate and a wider last. ")
    body = "\n\n".join(f"## Section {s}\n\n" + section * 6 for s in range(5))
    return f"# Benchmark brief {i}: choosing trail shoes\n\n{body}\n".encode()


def row(label, ms):
    ms.sort()
    return (f"| {label} | {len(ms)} | {statistics.median(ms):.2f} | {percentile(ms, 95):.2f} | "
            f"{percentile(ms, 99):.2f} | {ms[-1]:.2f} |")


def main():
    with serve() as (runner, api):
        for i in range(DOCS):
            api.call("PUT", f"/api/briefs/brief-{i}.md", brief(i))
        print(f"runner: {runner}")
        print(f"machine: {os.cpu_count()} cores; load before: {load_figures()}")
        print(f"{DOCS} briefs, {ROUNDS} listings in pages of {PAGE}, one keep-alive connection\n")
        pages, listings = [], []
        for _ in range(ROUNDS):
            names, total, cursor = set(), 0.0, None
            while True:
                path = f"/api/briefs?limit={PAGE}" + (f"&cursor={cursor}" if cursor else "")
                elapsed, answer = api.call("GET", path)
                pages.append(elapsed * 1000)
                total += elapsed * 1000
                names.update(item["name"] for item in answer["items"])
                cursor = answer["next_cursor"]
                if not cursor:
                    break
            assert len(names) == DOCS, f"a listing returned {len(names)} of {DOCS} documents"
            listings.append(total)
        print("| request | n | p50 ms | p95 ms | p99 ms | max ms |")
        print("|---|---|---|---|---|---|")
        print(row(f"one page of {PAGE}", pages))
        print(row(f"whole listing ({DOCS})", listings))
        print(f"\nload after: {load_figures()}")


if __name__ == "__main__":
    main()
