#!/usr/bin/env python3
"""Writes a copy of a labelled training CSV with a seeded share of its labels flipped, for
the label-error tests (scripts/label-error-test.sh, scripts/audit-seeds.sh).

  python3 scripts/flip_labels.py SRC OUT_DIR ROWS SHARE SEED

ROWS: the first ROWS rows of SRC ("all": every row). Writes OUT_DIR/noisy.csv (id, text,
label) and OUT_DIR/flipped.txt (the ids whose label was flipped, one per line). A flipped
row gets another label, chosen with its own seed.
"""
import csv, random, sys

src, tmp, n, share, seed = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
rows = list(csv.DictReader(open(src, newline="", encoding="utf-8")))
if n != "all":
    rows = rows[:int(n)]
labels = sorted({r["label"] for r in rows})
flip = set(random.Random(seed).sample(range(len(rows)), round(len(rows) * share)))
with open(f"{tmp}/noisy.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f); w.writerow(["id", "text", "label"])
    for i, r in enumerate(rows):
        l = r["label"]
        if i in flip:
            l = random.Random(seed * 1000003 + i).choice([x for x in labels if x != l])
        w.writerow([r["id"], r["text"], l])
with open(f"{tmp}/flipped.txt", "w") as f:
    for i in sorted(flip): f.write(rows[i]["id"] + "\n")
