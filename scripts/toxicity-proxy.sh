#!/usr/bin/env bash
# Which head answers Perspective's TOXICITY (and how IDENTITY_ATTACK's hate head does),
# measured on the data we have, no hand-picking: each candidate head scores
#  - SFU Constructiveness and Toxicity, our seeded validation split (224 news comments,
#    whole-comment toxicity: toxic = mildly toxic or worse): ROC AUC and macro-F1 at 0.5;
#  - Civil Comments toxic spans val (690 posts, all toxic by the raters): share flagged
#    at p >= 0.5 (recall), and ROC AUC of each head for the identity_attack type.
#  - both pooled (news comments both: the Globe and Mail and Civil Comments' sites):
#    positives = SFU toxic + every Civil post, negatives = SFU not-toxic; ROC AUC with a
#    95% bootstrap interval (1,000 seeded resamples). The head with the best pooled AUC
#    answers TOXICITY.
# The toxicity head was trained on SFU's other 80%; offensive (OLID) and hate (HatEval)
# never saw either set. Needs ../shared/data and target/release/stance-score.
#   scripts/toxicity-proxy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
S=${SHARED_DATA:-../shared/data}
BIN=${STANCE_BIN_DIR:-target/release}
python3 scripts/split_sfu.py >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for head in offensive hate toxicity; do
  "$BIN/stance-score" --model "models/$head.model" --format jsonl build/sfu/val.csv >"$out/sfu_$head.jsonl"
  "$BIN/stance-score" --model "models/$head.model" --format jsonl "$S/civil_comments_toxic_spans/val.csv" >"$out/civil_$head.jsonl"
done
python3 - "$out" "$S" <<'PY'
import csv, json, sys
out, S = sys.argv[1], sys.argv[2]
pos = {"offensive": "offensive", "hate": "hate", "toxicity": "toxic"}
def auc(scores, labels):
    pairs = sorted(zip(scores, labels))
    # Mann-Whitney U with ties at half.
    n1 = sum(labels); n0 = len(labels) - n1
    rank, i, r1 = 0, 0, 0.0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        avg = (i + 1 + j) / 2
        r1 += avg * sum(l for _, l in pairs[i:j])
        i = j
    return (r1 - n1 * (n1 + 1) / 2) / (n1 * n0)
def macro_f1(pred, gold):
    f = []
    for c in (0, 1):
        tp = sum(p == c and g == c for p, g in zip(pred, gold))
        fp = sum(p == c and g != c for p, g in zip(pred, gold))
        fn = sum(p != c and g == c for p, g in zip(pred, gold))
        f.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f) / 2
sfu_gold = [1 if r["label"] == "toxic" else 0 for r in csv.DictReader(open("build/sfu/val.csv"))]
civil = list(csv.DictReader(open(f"{S}/civil_comments_toxic_spans/val.csv")))
ia = [int(r["identity_attack"]) for r in civil]
import random
def boot(scores, labels, n=1000):
    rng = random.Random(26)
    idx = range(len(scores)); vals = []
    for _ in range(n):
        s = [rng.randrange(len(scores)) for _ in idx]
        l = [labels[i] for i in s]
        if 0 < sum(l) < len(l):
            vals.append(auc([scores[i] for i in s], l))
    vals.sort()
    return vals[int(0.025 * len(vals))], vals[int(0.975 * len(vals)) - 1]
print(f"| head | pooled ROC AUC [95% CI] (n={len(sfu_gold)+len(civil)}) | SFU val ROC AUC (n={len(sfu_gold)}, {sum(sfu_gold)} toxic) | SFU macro-F1 at 0.5 | SFU not-toxic flagged at 0.5 | Civil toxic posts flagged at 0.5 (n={len(civil)}) | identity_attack ROC AUC on Civil ({sum(ia)} of {len(civil)}) |")
print("|---|---:|---:|---:|---:|---:|---:|")
for head, label in pos.items():
    p_sfu = [json.loads(l)[head]["p"][label] for l in open(f"{out}/sfu_{head}.jsonl")]
    p_civ = [json.loads(l)[head]["p"][label] for l in open(f"{out}/civil_{head}.jsonl")]
    pooled_s, pooled_l = p_sfu + p_civ, sfu_gold + [1] * len(p_civ)
    lo, hi = boot(pooled_s, pooled_l)
    neg = [p for p, g in zip(p_sfu, sfu_gold) if g == 0]
    print(f"| {head} | {auc(pooled_s, pooled_l):.3f} [{lo:.3f}, {hi:.3f}] | {auc(p_sfu, sfu_gold):.3f} | {100*macro_f1([int(p >= .5) for p in p_sfu], sfu_gold):.1f} | {100*sum(p >= .5 for p in neg)/len(neg):.1f}% | {100*sum(p >= .5 for p in p_civ)/len(p_civ):.1f}% | {auc(p_civ, ia):.3f} |")
PY
