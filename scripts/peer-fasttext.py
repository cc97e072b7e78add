"""fastText on the same splits as ../shared/peers/peers.py, whose grid crashes on OLID
(lr 0.5 diverges to NaN): the same settings (wordNgrams 2, dim 50, bucket 200000, seed 1,
one thread, the same text cleaning), with a diverging setting skipped instead of fatal.
    python scripts/peer-fasttext.py TRAIN.csv VALID.csv"""
import csv, json, os, re, sys, tempfile
import fasttext
from sklearn.metrics import f1_score, recall_score, accuracy_score

def read(p):
    rows = list(csv.DictReader(open(p, newline="", encoding="utf-8")))
    return [r["text"] for r in rows], [r["label"].strip().lower() for r in rows]

def clean(s): return re.sub(r"\s+", " ", s.replace("\n", " ")).strip().lower()

X, y = read(sys.argv[1]); Xv, yv = read(sys.argv[2])
fd, path = tempfile.mkstemp(suffix=".txt")
with os.fdopen(fd, "w", encoding="utf-8") as f:
    for x, l in zip(X, y): f.write(f"__label__{l} {clean(x)}\n")
best = None
for epoch, lr in [(5, 0.1), (10, 0.25), (25, 0.5), (25, 0.1)]:
    try:
        m = fasttext.train_supervised(path, epoch=epoch, lr=lr, wordNgrams=2, bucket=200000, dim=50, verbose=0, seed=1, thread=1)
    except RuntimeError as e:
        print(f"epoch {epoch} lr {lr}: {e}", file=sys.stderr); continue
    pred = [l[0].replace("__label__", "") for l in m.predict([clean(x) for x in Xv])[0]]
    r = {"epoch": epoch, "lr": lr, "accuracy": accuracy_score(yv, pred),
         "macro_f1": f1_score(yv, pred, average="macro"), "macro_recall": recall_score(yv, pred, average="macro")}
    if best is None or r["macro_f1"] > best["macro_f1"]: best = r
os.unlink(path)
print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in best.items()}))
