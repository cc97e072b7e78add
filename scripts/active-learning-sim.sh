#!/usr/bin/env bash
# Active-learning simulation on TweetEval offensive (../shared/data, not shipped):
# start from 200 labelled training rows (seeded, stratified-free random pick), then for
# 10 rounds ask stance-suggest for the 100 pool rows most worth labelling, "label" them
# from the gold file, retrain, and report validation macro-F1 per round for each
# strategy (margin, entropy, random; same seed and same starting rows).
# Usage: scripts/active-learning-sim.sh [ROUNDS] [BATCH] [START]
set -euo pipefail
cd "$(dirname "$0")/.."
S=${SHARED_DATA:-../shared/data}/tweeteval_offensive
ROUNDS=${1:-10}
BATCH=${2:-100}
START=${3:-200}
SEED=${SEED:-42}
cargo build --release --quiet --bin stance-train --bin stance-suggest --bin stance-eval
B=target/release
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TRAIN_FLAGS=(--task offensive --c 1 --class-weight balanced --seed "$SEED" --quiet)

# Seeded starting set; the rest of train.csv is the unlabelled pool.
python3 - "$S/train.csv" "$tmp" "$START" "$SEED" <<'PY'
import csv, random, sys
src, tmp, start, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rows = list(csv.DictReader(open(src, newline="", encoding="utf-8")))
random.Random(seed).shuffle(rows)
def write(path, rs, cols):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f); w.writerow(cols)
        for r in rs: w.writerow([r[c] for c in cols])
write(f"{tmp}/start.csv", rows[:start], ["id", "text", "label"])
write(f"{tmp}/gold.csv", rows, ["id", "text", "label"])
PY

macro_f1() { $B/stance-eval --model "$1" --data "$S/val.csv" --json |
  python3 -c "import json,sys; print('%.4f' % json.load(sys.stdin)['macro_f1'])"; }

for strategy in margin entropy random; do
  cp "$tmp/start.csv" "$tmp/$strategy.labelled.csv"
  : > "$tmp/$strategy.f1"
  for round in $(seq 0 "$ROUNDS"); do
    $B/stance-train --data "$tmp/$strategy.labelled.csv" --out "$tmp/$strategy.model" "${TRAIN_FLAGS[@]}"
    macro_f1 "$tmp/$strategy.model" >> "$tmp/$strategy.f1"
    [ "$round" = "$ROUNDS" ] && break
    # Unlabelled pool: gold rows not yet labelled, without their labels.
    python3 - "$tmp/gold.csv" "$tmp/$strategy.labelled.csv" "$tmp/pool.csv" <<'PY'
import csv, sys
gold, lab, out = sys.argv[1:4]
have = {r["id"] for r in csv.DictReader(open(lab, newline="", encoding="utf-8"))}
with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f); w.writerow(["id", "text"])
    for r in csv.DictReader(open(gold, newline="", encoding="utf-8")):
        if r["id"] not in have: w.writerow([r["id"], r["text"]])
PY
    $B/stance-suggest --model "$tmp/$strategy.model" --data "$tmp/pool.csv" --n "$BATCH" \
      --strategy "$strategy" --seed "$((SEED + round))" --out "$tmp/ask.csv"
    # The oracle fills in the label column.
    python3 - "$tmp/gold.csv" "$tmp/ask.csv" "$tmp/$strategy.labelled.csv" <<'PY'
import csv, sys
gold, ask, lab = sys.argv[1:4]
g = {r["id"]: r for r in csv.DictReader(open(gold, newline="", encoding="utf-8"))}
with open(lab, "a", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    for r in csv.DictReader(open(ask, newline="", encoding="utf-8")):
        w.writerow([r["id"], g[r["id"]]["text"], g[r["id"]]["label"]])
PY
  done
done

echo "Validation macro-F1 (TweetEval offensive val.csv), start $START rows, +$BATCH per round, seed $SEED"
printf '| round | labelled | margin | entropy | random |\n|---:|---:|---:|---:|---:|\n'
paste "$tmp/margin.f1" "$tmp/entropy.f1" "$tmp/random.f1" | awk -v s="$START" -v b="$BATCH" \
  '{ printf "| %d | %d | %s | %s | %s |\n", NR - 1, s + (NR - 1) * b, $1, $2, $3 }'
