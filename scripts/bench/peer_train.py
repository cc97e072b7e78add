#!/usr/bin/env python3
"""Trains one peer (lr = scikit-learn TF-IDF + LogisticRegression, ft = fastText) on a CSV
train split, picks its parameter on the validation split (the recipe and grids of
../shared/peers/peers.py), saves it and prints one JSON line: valid accuracy, macro-F1 and
train seconds (the whole selection grid, as stance-train's time includes its C grid).

  peer_train.py lr|ft TRAIN.csv VALID.csv MODEL_OUT [--single]
"""
import csv, json, os, pickle, re, sys, tempfile, time

def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"].strip().lower() for r in rows]

def metrics(y, p):
    labels = sorted(set(y)); f1 = []
    for l in labels:
        tp = sum(a == l and b == l for a, b in zip(y, p)); fp = sum(a != l and b == l for a, b in zip(y, p))
        fn = sum(a == l and b != l for a, b in zip(y, p))
        pr = tp / (tp + fp) if tp + fp else 0; rc = tp / (tp + fn) if tp + fn else 0
        f1.append(2 * pr * rc / (pr + rc) if pr + rc else 0)
    return {"accuracy": sum(a == b for a, b in zip(y, p)) / len(y), "macro_f1": sum(f1) / len(f1)}

def ft_clean(s):
    return re.sub(r"\s+", " ", s.replace("\n", " ")).strip().lower()

def fit_lr(C, X, y):
    from sklearn.pipeline import Pipeline, FeatureUnion
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    vec = FeatureUnion([("w", TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True, min_df=1)),
                        ("c", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2))])
    clf = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
    return Pipeline([("v", vec), ("c", clf)]).fit(X, y)

def fit_ft(p, X, y):
    import fasttext
    fd, path = tempfile.mkstemp(suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        for x, l in zip(X, y):
            f.write(f"__label__{l} {ft_clean(x)}\n")
    m = fasttext.train_supervised(path, epoch=p[0], lr=p[1], wordNgrams=2, bucket=200000, dim=50,
                                  verbose=0, seed=1, thread=1)
    os.unlink(path)
    return m

def main():
    system, train, valid, out = sys.argv[1:5]
    single = "--single" in sys.argv
    X, y = read(train); Xv, yv = read(valid)
    if system == "lr":
        grid = [2] if single else [0.5, 2, 8, 32]
        fit, pred = fit_lr, (lambda m, T: list(m.predict(T)))
    else:
        grid = [(10, 0.25)] if single else [(5, 0.1), (10, 0.25), (25, 0.5)]
        fit = fit_ft
        pred = lambda m, T: [l[0].replace("__label__", "") for l in m.predict([ft_clean(t) for t in T])[0]]
    t0 = time.perf_counter(); best = None
    for p in grid:
        m = fit(p, X, y)
        r = metrics(yv, pred(m, Xv))
        if best is None or r["macro_f1"] > best[0]["macro_f1"]:
            best = (r, p, m)
    secs = time.perf_counter() - t0
    r, p, m = best
    if system == "lr":
        with open(out, "wb") as f:
            pickle.dump(m, f)
    else:
        m.save_model(out)
    print(json.dumps({"system": system, "param": p, "train_seconds": round(secs, 3),
                      "accuracy": round(r["accuracy"], 4), "macro_f1": round(r["macro_f1"], 4)}))

main()
