#!/usr/bin/env python3
"""Scores a CSV (id,text) with a trained peer and writes id + one probability per label.
Reads and predicts in chunks of 10,000 rows (memory stays flat, as stance-score's batches).

  peer_score.py lr|ft MODEL INPUT.csv OUTPUT.csv
"""
import csv, pickle, re, sys

CHUNK = 10_000

def ft_clean(s):
    return re.sub(r"\s+", " ", s.replace("\n", " ")).strip().lower()

def main():
    system, model, inp, outp = sys.argv[1:5]
    csv.field_size_limit(sys.maxsize)
    if system == "lr":
        with open(model, "rb") as f:
            m = pickle.load(f)
        labels = [str(c) for c in m.classes_]
        def probs(texts):
            return m.predict_proba(texts).tolist()
    else:
        import fasttext
        m = fasttext.load_model(model)
        labels = sorted(l.replace("__label__", "") for l in m.get_labels())
        pos = {l: i for i, l in enumerate(labels)}
        def probs(texts):
            ls, ps = m.predict([ft_clean(t) for t in texts], k=-1)
            out = []
            for lab, p in zip(ls, ps):
                row = [0.0] * len(labels)
                for l, q in zip(lab, p):
                    row[pos[l.replace("__label__", "")]] = float(q)
                out.append(row)
            return out
    with open(inp, newline="", encoding="utf-8") as f, open(outp, "w", newline="", encoding="utf-8") as g:
        w = csv.writer(g); w.writerow(["id"] + [f"p_{l}" for l in labels])
        ids, texts = [], []
        def flush():
            for i, row in zip(ids, probs(texts)):
                w.writerow([i] + [f"{q:.4f}" for q in row])
            ids.clear(); texts.clear()
        for r in csv.DictReader(f):
            ids.append(r["id"]); texts.append(r["text"])
            if len(texts) == CHUNK:
                flush()
        if texts:
            flush()

main()
