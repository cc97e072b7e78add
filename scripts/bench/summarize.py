#!/usr/bin/env python3
"""Turns bench-out/runs.tsv + the train JSON lines into the results table (stdout + BENCH.md).

runs.tsv columns: system, input, threads, run, seconds, max_rss_kb, rows
train.jsonl: one object per system: system, accuracy, macro_f1, train_seconds
train_stance.jsonl (when present): one object per system: system, f_avg, train_seconds
"""
import json, statistics, sys
from collections import defaultdict

def main():
    out_dir, quick = sys.argv[1], sys.argv[2] == "1"
    runs = defaultdict(list)
    for line in open(f"{out_dir}/runs.tsv", encoding="utf-8"):
        if line.startswith("system\t"):
            continue
        system, inp, threads, _, secs, rss, rows = line.rstrip("\n").split("\t")
        runs[(system, inp, threads)].append((float(secs), int(rss), int(rows)))
    train = {}
    for line in open(f"{out_dir}/train.jsonl", encoding="utf-8"):
        if line.strip():
            j = json.loads(line); train[j["system"]] = j
    def med(key):
        r = runs.get(key)
        if not r:
            return None, None
        secs = statistics.median(x[0] for x in r)
        return r[0][2] / secs, max(x[1] for x in r) / 1024
    inputs = sorted({k[1] for k in runs if k[0] != "comment-stance-1t"}, key=lambda s: int(s.split("_")[1].split(".")[0]))
    names = {"comment-stance": "comment-stance", "ft": "fastText (Python API)", "lr": "scikit-learn TF-IDF+LR"}
    hdr = ["system", "val acc", "val macro-F1", "train s"]
    for i in inputs:
        hdr += [f"comments/s {i.split('_')[1].split('.')[0]}", f"peak MB {i.split('_')[1].split('.')[0]}"]
    lines = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    ours = {i: med(("comment-stance", i, "default"))[0] for i in inputs}
    for s in ["comment-stance", "ft", "lr"]:
        t = train.get(s, {})
        row = [names[s], f"{t.get('accuracy', float('nan')):.4f}", f"{t.get('macro_f1', float('nan')):.4f}",
               f"{t.get('train_seconds', float('nan')):.1f}"]
        for i in inputs:
            rate, mb = med((s, i, "default"))
            row += ["-" if rate is None else f"{rate:,.0f}", "-" if mb is None else f"{mb:,.0f}"]
        lines.append("| " + " | ".join(row) + " |")
    ratio = ["", "Ratio of comment-stance's comments/s to each peer's (same input, same run):", ""]
    for s in ["ft", "lr"]:
        parts = []
        for i in inputs:
            r = med((s, i, "default"))[0]
            if r and ours[i]:
                parts.append(f"{ours[i] / r:.2f}x on {i.split('_')[1].split('.')[0]}")
        tr = train.get("comment-stance", {}).get("train_seconds"); tp = train.get(s, {}).get("train_seconds")
        tr_txt = f"; training time ratio (peer / ours) {tp / tr:.2f}" if tr and tp else ""
        ratio.append(f"- vs {names[s]}: {', '.join(parts)}{tr_txt}")
    scal = ["", "comment-stance thread scaling (same input, RAYON_NUM_THREADS=1 vs default):", ""]
    for k in sorted(runs):
        if k[0] == "comment-stance-1t":
            one = runs[k][0][2] / statistics.median(x[0] for x in runs[k])
            many = ours.get(k[1])
            if many:
                scal.append(f"- {k[1]}: 1 thread {one:,.0f}/s, default {many:,.0f}/s, ratio {many / one:.2f}x")
    stance = {}
    try:
        for line in open(f"{out_dir}/train_stance.jsonl", encoding="utf-8"):
            if line.strip():
                j = json.loads(line); stance[j["system"]] = j
    except FileNotFoundError:
        pass
    st = []
    if stance:
        st = ["", "Training on the stance set (tweeteval_stance train, five targets; F_avg on its val; "
              "the peers train one model per target):", "",
              "| system | val F_avg | train s |", "|---|---|---|"]
        for s in ["comment-stance", "ft", "lr"]:
            if s in stance:
                t = stance[s]
                st.append(f"| {names[s]} | {t.get('f_avg', float('nan')):.4f} | {t['train_seconds']:.1f} |")
        tr = stance.get("comment-stance", {}).get("train_seconds")
        for s in ["ft", "lr"]:
            tp = stance.get(s, {}).get("train_seconds")
            if tr and tp:
                st.append(f"- training time ratio (peer / ours), {names[s]}: {tp / tr:.2f}")
    if not runs:
        mode = "training only"
    elif quick:
        mode = "quick mode (10,000 comments, 1 run)"
    else:
        sizes = [int(i.split("_")[1].split(".")[0]) for i in inputs]
        mode = " and ".join(f"{n:,}" for n in sizes) + " comments, median of 3 runs"
    text = "\n".join([f"# comment-stance benchmark ({mode})", "",
                      "Whole-process timings (read CSV, score, write probabilities); peak RSS from /usr/bin/time -v.",
                      "Validation: tweeteval_offensive val; train seconds include each system's parameter selection.",
                      ""] + lines + (ratio + scal if runs else []) + st) + "\n"
    open(f"{out_dir}/BENCH.md", "w", encoding="utf-8").write(text)
    print(text)

main()
