#!/usr/bin/env python3
"""Builds data/lexicon/words.tsv: the English word list (word, count) that the text
stage uses to split a run of spaced letters back into words (`f o l l o w i n g a l l`
-> `following all`, src/text/obfuscation.rs).

Counted from MIT-licensed text only: the VADER ground-truth snippets (Hutto & Gilbert
2014; train split) and the project-written comments in data/ceasefire. Lowercased runs
of ASCII letters, standing alone (not the `t` of `don't` or the `st` of `1st`); kept
when seen at least MIN_COUNT times.

  scripts/make-lexicon.py [SHARED_DATA_DIR]   (default ../shared/data)
"""
import collections, csv, os, re, sys

MIN_COUNT = 2
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "data")
sources = [os.path.join(shared, "vader_hutto2014_sentiment", "train.csv")] + sorted(
    os.path.join(root, "data", "ceasefire", f)
    for f in os.listdir(os.path.join(root, "data", "ceasefire"))
    if f.endswith(".csv")
)
counts = collections.Counter()
for path in sources:
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for key in ("text", "parent_text"):
                words = re.findall(r"[a-z0-9'’]+", (row.get(key) or "").lower())
                counts.update(w for w in words if re.fullmatch(r"[a-z]+", w))
out = os.path.join(root, "data", "lexicon", "words.tsv")
tmp = out + ".tmp"
with open(tmp, "w", encoding="utf-8") as f:
    for w, c in sorted(counts.items(), key=lambda x: (-x[1], x[0])):
        if c >= MIN_COUNT:
            f.write(f"{w}\t{c}\n")
os.replace(tmp, out)
print(f"{out}: {sum(1 for c in counts.values() if c >= MIN_COUNT)} words from {len(sources)} files")
