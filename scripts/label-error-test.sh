#!/usr/bin/env bash
# Label-error test on TweetEval offensive (DATASET=tweeteval_hate etc. for another set; ../shared/data, not shipped): flip a seeded
# 5% of the labels of the first 4,000 training rows, run stance-audit, and report what
# share of the top-ranked rows (as many as were flipped) are flipped ones, for each
# ranking (the default, self-confidence, first).
# Usage: scripts/label-error-test.sh [ROWS] [SHARE]
set -euo pipefail
cd "$(dirname "$0")/.."
S=${SHARED_DATA:-../shared/data}/${DATASET:-tweeteval_offensive}
ROWS=${1:-4000}
SHARE=${2:-0.05}
SEED=${SEED:-42}
cargo build --release --quiet --bin stance-audit
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 scripts/flip_labels.py "$S/train.csv" "$tmp" "$ROWS" "$SHARE" "$SEED"
k=$(wc -l < "$tmp/flipped.txt")
echo "$ROWS rows, $k labels flipped (seed $SEED); stance-audit --folds 5 --c 1 --class-weight balanced"
printf '| ranking | flipped in top %d | share |\n|---|---:|---:|\n' "$k"
for rank in self-confidence margin normalized; do
  target/release/stance-audit --data "$tmp/noisy.csv" --task offensive --folds 5 --c 1 \
    --class-weight balanced --seed "$SEED" --rank "$rank" --all --out "$tmp/all.csv" --quiet
  python3 - "$tmp/all.csv" "$tmp/flipped.txt" "$rank" <<'PY'
import csv, sys
allf, flipped, rank = sys.argv[1:4]
flip = {l.strip() for l in open(flipped) if l.strip()}
ranked = [r["id"] for r in csv.DictReader(open(allf, newline="", encoding="utf-8"))]
hits = sum(1 for i in ranked[:len(flip)] if i in flip)
print(f"| {rank} | {hits} of {len(flip)} | {hits / len(flip):.1%} |")
PY
done
