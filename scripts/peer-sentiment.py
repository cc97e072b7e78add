"""Sentiment peers (scikit-learn LogisticRegression and fastText) on a CSV train/valid pair, with the
settings of ../shared/peers/peers.py (LR: TF-IDF word 1-3 + char_wb 2-5, sublinear tf, class_weight
balanced, C in 0.5/2/8/32) and of scripts/peer-fasttext.py (wordNgrams 2, dim 50, bucket 200000,
seed 1, one thread, (epoch, lr) grid with a diverging setting skipped). Each system's setting is
chosen on VALID by macro-F1, as peers.py does. Prints accuracy, macro-F1 and macro-recall on VALID,
overall and, with --group-col (e.g. VADER's `domain`), per group.
    python scripts/peer-sentiment.py TRAIN.csv VALID.csv [--group-col domain] [--systems lr,ft]"""
import argparse, csv, os, re, sys, tempfile
from sklearn.metrics import accuracy_score, f1_score, recall_score

LR_GRID = [0.5, 2, 8, 32]                              # peers.py grids["lr"]
FT_GRID = [(5, 0.1), (10, 0.25), (25, 0.5), (25, 0.1)]  # scripts/peer-fasttext.py

def read(path, group_col):
    rows = list(csv.DictReader(open(path, newline="", encoding="utf-8")))
    return ([r["text"] for r in rows], [r["label"].strip().lower() for r in rows],
            [r[group_col] for r in rows] if group_col else None)

def scores(y, p):
    return {"accuracy": accuracy_score(y, p), "macro_f1": f1_score(y, p, average="macro"),
            "macro_recall": recall_score(y, p, average="macro")}

def lr_runs(X, y, Xv):
    from sklearn.pipeline import FeatureUnion
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    # peers.py refits this (deterministic) vectorizer per C; fitting it once gives the same features.
    vec = FeatureUnion([("w", TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True, min_df=1)),
                        ("c", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2))])
    F, Fv = vec.fit_transform(X), vec.transform(Xv)
    for C in LR_GRID:
        clf = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(F, y)
        yield f"C={C}", list(clf.predict(Fv))

def clean(s): return re.sub(r"\s+", " ", s.replace("\n", " ")).strip().lower()

def ft_runs(X, y, Xv):
    import fasttext
    fd, path = tempfile.mkstemp(suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        for x, l in zip(X, y): f.write(f"__label__{l} {clean(x)}\n")
    try:
        for epoch, lr in FT_GRID:
            try:
                m = fasttext.train_supervised(path, epoch=epoch, lr=lr, wordNgrams=2, bucket=200000, dim=50,
                                              verbose=0, seed=1, thread=1)
            except RuntimeError as e:
                print(f"ft epoch {epoch} lr {lr}: {e}", file=sys.stderr); continue
            yield f"epoch={epoch},lr={lr}", [l[0].replace("__label__", "") for l in m.predict([clean(x) for x in Xv])[0]]
    finally:
        os.unlink(path)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("train"); ap.add_argument("valid")
    ap.add_argument("--group-col"); ap.add_argument("--systems", default="lr,ft")
    a = ap.parse_args()
    X, y, _ = read(a.train, None); Xv, yv, gv = read(a.valid, a.group_col)
    groups = sorted(set(gv)) if gv else []
    print("| system | setting | accuracy | macro-F1 | macro-recall |" + "".join(f" {g} macro-F1 |" for g in groups))
    print("|---|---|---:|---:|---:|" + "---:|" * len(groups))
    for system in a.systems.split(","):
        runs = {"lr": lr_runs, "ft": ft_runs}[system](X, y, Xv)
        best = None
        for setting, p in runs:
            r = scores(yv, p)
            print(f"{system} {setting}: " + " ".join(f"{k} {v:.4f}" for k, v in r.items()), file=sys.stderr, flush=True)
            if best is None or r["macro_f1"] > best[1]["macro_f1"]: best = (setting, r, p)
        setting, r, p = best
        per = [100 * f1_score([t for t, g in zip(yv, gv) if g == grp], [q for q, g in zip(p, gv) if g == grp],
                              average="macro") for grp in groups]
        print(f"| {system} | {setting} | {100 * r['accuracy']:.1f} | {100 * r['macro_f1']:.1f} | "
              f"{100 * r['macro_recall']:.1f} |" + "".join(f" {v:.1f} |" for v in per), flush=True)

main()
