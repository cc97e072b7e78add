#!/usr/bin/env python3
"""Turns a comment JSONL (e.g. bench-out/comments_100000.jsonl) into a threaded dump for
timing thread reading: with a fixed seed, 60% of rows answer an earlier row (up to 3,000
rows back, so many parents are in an earlier batch), 5% name a parent that is not in the
dump, 5% carry an explicit parent_text, the rest are top-level.

    python3 scripts/bench/make_threads.py IN.jsonl OUT.jsonl [--rows N] [--seed S]
"""
import argparse
import json
import random

ap = argparse.ArgumentParser()
ap.add_argument("src")
ap.add_argument("out")
ap.add_argument("--rows", type=int, default=20000)
ap.add_argument("--seed", type=int, default=5)
a = ap.parse_args()
random.seed(a.seed)
rows = []
with open(a.src, encoding="utf-8") as f:
    for line in f:
        if len(rows) == a.rows:
            break
        rows.append(json.loads(line))
with open(a.out, "w", encoding="utf-8") as out:
    for i, r in enumerate(rows):
        x = random.random()
        if i > 0 and x < 0.6:
            r["parent_id"] = rows[max(0, i - random.randint(1, 3000))]["id"]
        elif x < 0.65:
            r["parent_id"] = "t1_missing%d" % i
        elif x < 0.7 and i > 0:
            r["parent_text"] = rows[random.randint(0, i - 1)]["text"]
        out.write(json.dumps(r) + "\n")
