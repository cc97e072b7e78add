#!/usr/bin/env python3
"""Splits the project-written ceasefire data into train / validation, seeded and stratified.

Stance comments (data/ceasefire/part_a.csv + part_b.csv, two writers) -> comments_train.csv /
comments_val.csv (80/20 per label). Threads (data/ceasefire/threads.csv) are split by whole
thread (80/20) -> threads_train.csv / threads_val.csv, so no reply is validated on a thread
whose other comments were trained on. Run once; the outputs are committed.
"""
import csv, random, sys, os

D = os.path.join(os.path.dirname(__file__), "..", "data", "ceasefire")
rng = random.Random(20250313)

def read(p):
    with open(p, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))

def write(p, rows, cols):
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
        w.writeheader(); w.writerows(rows)

rows = read(os.path.join(D, "part_a.csv")) + read(os.path.join(D, "part_b.csv"))
train, val = [], []
for label in sorted({r["label"] for r in rows}):
    group = [r for r in rows if r["label"] == label]
    rng.shuffle(group)
    k = round(len(group) * 0.2)
    val += group[:k]; train += group[k:]
key = lambda r: r["id"]
write(os.path.join(D, "comments_train.csv"), sorted(train, key=key), ["id", "target", "text", "label"])
write(os.path.join(D, "comments_val.csv"), sorted(val, key=key), ["id", "target", "text", "label"])

threads = read(os.path.join(D, "threads.csv"))
roots = sorted({r["id"].split("-")[0] for r in threads})
rng.shuffle(roots)
val_roots = set(roots[: round(len(roots) * 0.2)])
cols = ["id", "parent_id", "target", "text", "label", "relation"]
write(os.path.join(D, "threads_train.csv"), [r for r in threads if r["id"].split("-")[0] not in val_roots], cols)
write(os.path.join(D, "threads_val.csv"), [r for r in threads if r["id"].split("-")[0] in val_roots], cols)
print(len(train), "train /", len(val), "val comments;", len(roots) - len(val_roots), "/", len(val_roots), "threads")
