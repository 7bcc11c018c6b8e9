#!/usr/bin/env python3
"""Search benchmark: the first page of two-word queries over 10,000 documents.

Starts `runner serve` on a fresh data dir and stores DOCS drafts (default 10,000) of about 400
words each, written from a fixed-seed generator: every draft has a topic (one of 50, whose three
words appear in its title and text) and words drawn from a 2,000-word vocabulary with a Zipf
distribution, so some words are in most documents and others in a handful. Then, one request at
a time over one keep-alive connection, it times ROUNDS requests of the first page (limit 20) of:

- a topic's two words (200 documents hold both),
- two frequent words (each in most documents),
- a rare word and a frequent one,
- two words that never meet (an empty answer; the request stops after its bound of postings),

and checks every first page against the documents it knows it wrote: the newest matches, in
order (vocabulary words end in a vowel, so plural folding cannot blur what is expected).

Usage: bench/search.py
  RUNNER=path/to/runner   the binary (default: target/release/runner, else target/debug/runner)
  DOCS=10000 ROUNDS=200 LIMIT=20
Python standard library only.
"""

import os
import random
import statistics
import time

from serve import load_figures, percentile, serve

DOCS = int(os.environ.get("DOCS", "10000"))
ROUNDS = int(os.environ.get("ROUNDS", "200"))
LIMIT = int(os.environ.get("LIMIT", "20"))
TOPICS = 50


def pseudo_words(rng, n, syllables):
    """`n` distinct lower-case words of consonant-vowel syllables (so none ends in s)."""
    consonants, vowels = "bdfgklmnprtvz", "aeiou"
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.choice(syllables))))
    return sorted(words)


def corpus():
    """The drafts: (name, body, set of words), oldest first."""
    rng = random.Random(7)
    vocabulary = pseudo_words(rng, 2000, (2, 3))
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    topic_words = pseudo_words(random.Random(11), TOPICS * 3, (4,))
    docs = []
    for i in range(DOCS):
        topic = topic_words[(i % TOPICS) * 3:(i % TOPICS) * 3 + 3]
        paragraphs = []
        for _ in range(5):
            words = rng.choices(vocabulary, weights, k=80)
            words[rng.randrange(80)] = rng.choice(topic)
            paragraphs.append(" ".join(words).capitalize() + ".")
        title = f"Draft {i} on {' '.join(topic)}"
        body = f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n"
        words = set(body.lower().replace(".", " ").replace("#", " ").split())
        docs.append((f"draft-{i}.md", body.encode(), words | set(topic)))
    return vocabulary, topic_words, docs


def expected(docs, q):
    words = q.split()
    return [name for name, _, have in reversed(docs) if all(w in have for w in words)]


def row(label, matches, ms):
    ms.sort()
    return (f"| {label} | {matches} | {len(ms)} | {statistics.median(ms):.2f} | "
            f"{percentile(ms, 95):.2f} | {percentile(ms, 99):.2f} | {ms[-1]:.2f} |")


def main():
    vocabulary, topic_words, docs = corpus()
    queries = [
        ("topic pair", f"{topic_words[3]} {topic_words[4]}"),
        ("two frequent words", f"{vocabulary[3]} {vocabulary[8]}"),
        ("rare + frequent", f"{vocabulary[1500]} {vocabulary[0]}"),
        ("words that never meet", f"{topic_words[0]} {topic_words[3]}"),
    ]
    with serve() as (runner, api):
        started = time.perf_counter()
        for name, body, _ in docs:
            api.call("PUT", f"/api/drafts/{name}", body)
        loaded = time.perf_counter() - started
        print(f"runner: {runner}")
        print(f"machine: {os.cpu_count()} cores; load before: {load_figures()}")
        print(f"{DOCS} drafts stored in {loaded:.1f} s ({DOCS / loaded:.0f} writes/s, index included)")
        print(f"{ROUNDS} first pages (limit {LIMIT}) per query, one keep-alive connection\n")
        print("| query | matches | n | p50 ms | p95 ms | p99 ms | max ms |")
        print("|---|---|---|---|---|---|---|")
        for label, q in queries:
            want = expected(docs, q)
            path = f"/api/search?q={q.replace(' ', '+')}&limit={LIMIT}"
            ms = []
            for _ in range(ROUNDS):
                elapsed, page = api.call("GET", path)
                ms.append(elapsed * 1000)
            got = [item["name"] for item in page["items"]]
            if want:
                assert got == want[:LIMIT], f"{q}: got {got[:5]}..., want {want[:5]}..."
            else:
                assert got == [], f"{q}: got {got}"
            print(row(f"{label} (`{q}`)", len(want), ms))
        print(f"\nload after: {load_figures()}")


if __name__ == "__main__":
    main()
