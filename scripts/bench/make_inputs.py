#!/usr/bin/env python3
"""Seeded benchmark inputs: N comments sampled (with replacement) from several datasets'
train splits, written as CSV and JSONL with columns id,text.

  make_inputs.py --data ../shared/data --out bench-out --seed 7 100000 1000000
"""
import argparse, csv, json, os, random, sys

SOURCES = ["tweeteval_offensive", "tweeteval_sentiment", "tweeteval_hate", "tweeteval_stance",
           "debagreement", "rumoureval2017_sdqc", "vast", "semeval2016_task6_stance"]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True); ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7); ap.add_argument("sizes", type=int, nargs="+")
    a = ap.parse_args()
    csv.field_size_limit(sys.maxsize)
    pool = []
    for name in SOURCES:
        path = os.path.join(a.data, name, "train.csv")
        if not os.path.exists(path):
            continue
        with open(path, newline="", encoding="utf-8") as f:
            pool.extend(r["text"] for r in csv.DictReader(f) if r.get("text", "").strip())
    if not pool:
        sys.exit(f"no texts found under {a.data}")
    os.makedirs(a.out, exist_ok=True)
    for n in a.sizes:
        rng = random.Random(a.seed)  # same seed per size: the 100k rows prefix the 1M rows
        texts = [pool[rng.randrange(len(pool))] for _ in range(n)]
        with open(os.path.join(a.out, f"comments_{n}.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f); w.writerow(["id", "text"])
            for i, t in enumerate(texts):
                w.writerow([f"c{i}", t])
        with open(os.path.join(a.out, f"comments_{n}.jsonl"), "w", encoding="utf-8") as f:
            for i, t in enumerate(texts):
                f.write(json.dumps({"id": f"c{i}", "text": t}, ensure_ascii=False) + "\n")
        print(f"comments_{n}: {n} rows from a pool of {len(pool)} texts", file=sys.stderr)

main()
