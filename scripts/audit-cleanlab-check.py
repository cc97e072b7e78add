"""Cross-check of `stance-audit --rank confident` against cleanlab (issue 27).

Reads the out-of-fold probabilities `examples/audit_study.rs --probs-out` writes and
prints how many rows cleanlab's `find_label_issues(filter_by="prune_by_noise_rate")`
flags, its confident joint, and how many of the planted flips its top-k (ranked by
self-confidence) holds. Needs numpy and cleanlab (`pip install cleanlab`).
Usage: python scripts/audit-cleanlab-check.py OOF.csv
"""
import csv
import sys

import numpy as np
from cleanlab.count import compute_confident_joint
from cleanlab.filter import find_label_issues

rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
cols = [c for c in rows[0] if c.startswith("p_")]
probs = np.array([[float(r[c]) for c in cols] for r in rows])
probs = probs / probs.sum(axis=1, keepdims=True)
labels = np.array([int(r["given"]) for r in rows])
flipped = np.array([r["flipped"] == "1" for r in rows])
k = int(flipped.sum())
print("confident joint (uncalibrated):", compute_confident_joint(labels, probs).tolist())
mask = find_label_issues(labels, probs, filter_by="prune_by_noise_rate")
ranked = find_label_issues(
    labels, probs, filter_by="prune_by_noise_rate", return_indices_ranked_by="self_confidence"
)
top = list(ranked[:k])
if len(top) < k:
    rest = [i for i in np.argsort(probs[np.arange(len(labels)), labels], kind="stable") if not mask[i]]
    top += rest[: k - len(top)]
print(f"cleanlab flagged {int(mask.sum())}; flips in its top {k}: {int(flipped[top].sum())}")
print("flagged indices hash:", hash(tuple(np.flatnonzero(mask).tolist())) % 10**8)
