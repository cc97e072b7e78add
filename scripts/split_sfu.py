#!/usr/bin/env python3
"""Seeded, stratified 80/20 split of the SFU Constructiveness and Toxicity Corpus for the
`toxicity` head (the corpus has no official split). The text is CC BY-NC-SA 4.0 and is not
copied into this repository: this script writes the split from ../shared/data into
build/sfu/ (gitignored), and the validation ids are committed in
data/splits/sfu_toxicity_val_ids.txt so the split is recorded.

Label: `toxic` when the aggregated toxicity answer is mildly_toxic, toxic or very_toxic;
`not-toxic` when it is not_toxic (the corpus has too few toxic/very_toxic rows alone).
"""
import csv, os, random, sys

root = os.path.join(os.path.dirname(__file__), "..")
src = os.environ.get("SHARED_DATA", os.path.join(root, "..", "shared", "data"))
rows = list(csv.DictReader(open(os.path.join(src, "sfu_constructiveness_toxicity", "all.csv"), newline="", encoding="utf-8")))
for r in rows:
    r["label"] = "not-toxic" if r["toxicity_label"] == "not_toxic" else "toxic"
rng = random.Random(1121)
train, val = [], []
for label in ("not-toxic", "toxic"):
    g = sorted((r for r in rows if r["label"] == label), key=lambda r: r["id"])
    rng.shuffle(g)
    k = round(len(g) * 0.2)
    val += g[:k]; train += g[k:]
out = os.path.join(root, "build", "sfu"); os.makedirs(out, exist_ok=True)
for name, part in (("train", train), ("val", val)):
    with open(os.path.join(out, name + ".csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "text", "label"], lineterminator="\n", extrasaction="ignore")
        w.writeheader(); w.writerows(sorted(part, key=lambda r: r["id"]))
ids = sorted(r["id"] for r in val)
os.makedirs(os.path.join(root, "data", "splits"), exist_ok=True)
with open(os.path.join(root, "data", "splits", "sfu_toxicity_val_ids.txt"), "w") as f:
    f.write("\n".join(ids) + "\n")
print(f"toxicity split: {len(train)} train / {len(val)} val")
