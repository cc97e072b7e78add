#!/usr/bin/env python3
"""Peer for stance toward targets absent from training: scikit-learn TF-IDF (word 1-3 +
char_wb 2-5, sublinear tf, as ../shared/peers/peers.py) + LogisticRegression (balanced),
one joint model for all targets with the target prepended as a token, so that it can score
any target. Trained on the given files; with --cv FILE, C is chosen from --c by
leave-article-out 4-fold CV on that file (grouped by article_id), else the first --c is
used (scripts/new-targets.py passes 4, the CV choice on data/articles/train). Then scored
on each --test file. Prints one JSON line per test file: n, F_avg (mean F1 of favor and
against), macro-F1, per target F_avg.

usage: peer-new-targets.py --train A.csv ... [--cv data/articles/train/comments.csv] [--c 0.5,1,4] --test X.csv ...
"""
import argparse, csv, json, re, sys
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import FeatureUnion
from sklearn.model_selection import GroupKFold

def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f)]

def tok(t):
    return "tgt_" + re.sub(r"[^a-z0-9]+", "_", t.lower()).strip("_")

def text(r):
    return tok(r.get("target", "")) + " " + r["text"]

def favg(y, p):
    return 100 * float(np.mean(f1_score(y, p, labels=["favor", "against"], average=None, zero_division=0)))

def fit(rows, C):
    vec = FeatureUnion([("w", TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True, min_df=1)),
                        ("c", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2))])
    X = vec.fit_transform([text(r) for r in rows])
    m = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(X, [r["label"] for r in rows])
    return lambda rs: list(m.predict(vec.transform([text(r) for r in rs])))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", action="append", required=True)
    ap.add_argument("--cv", help="the multi-article training file (one of --train) to group folds by article_id")
    ap.add_argument("--test", action="append", default=[])
    ap.add_argument("--c", default="0.5,1,4")
    a = ap.parse_args()
    cs = [float(c) for c in a.c.split(",")]
    if a.cv:
        base = [r for p in a.train if p != a.cv for r in read(p)]
        arts = read(a.cv)
        groups = [r["article_id"] for r in arts]
        scores = {}
        for C in cs:
            fs = []
            for tr, te in GroupKFold(n_splits=4).split(arts, groups=groups):
                pred = fit(base + [arts[i] for i in tr], C)
                held = [arts[i] for i in te]
                fs.append(favg([r["label"] for r in held], pred(held)))
            scores[C] = (float(np.mean(fs)), float(np.std(fs)))
            print(json.dumps({"system": "sklearn-joint-lr", "C": C, "cv_leave_article_out_f_avg": round(scores[C][0], 1), "sd": round(scores[C][1], 1)}), flush=True)
        C = max(scores, key=lambda c: scores[c][0])
    else:
        base, arts, C = [r for p in a.train for r in read(p)], [], cs[0]
    pred = fit(base + arts, C)
    for path in a.test:
        rows = read(path)
        p = pred(rows)
        y = [r["label"] for r in rows]
        per = {}
        for t in sorted(set(r["target"] for r in rows)):
            idx = [i for i, r in enumerate(rows) if r["target"] == t]
            per[t] = round(favg([y[i] for i in idx], [p[i] for i in idx]), 1)
        print(json.dumps({"system": "sklearn-joint-lr", "C": C, "test": path, "n": len(rows),
                          "f_avg": round(favg(y, p), 1),
                          "macro_f1": round(100 * f1_score(y, p, average="macro"), 1), "per_target": per}), flush=True)

if __name__ == "__main__":
    main()
