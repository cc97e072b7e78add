#!/usr/bin/env bash
# Seed study of stance-audit's rankings (issue 27): for each data set and seed, flip a
# seeded 5% of the labels (as scripts/label-error-test.sh does; the seed also seeds the
# folds), compute out-of-fold probabilities once (examples/audit_study.rs, stance-audit's
# code and default flags unless flags are passed) and count the flips among the top k
# rows of each ranking (k = number flipped). Prints per-run lines to $OUT (TSV) and a
# table of the share found: mean ± std and min-max over seeds, per set and pooled.
# Usage: scripts/audit-seeds.sh FIRST_SEED LAST_SEED [audit_study flags...]
# Env: SETS (default "tweeteval_offensive tweeteval_hate tweeteval_sentiment"),
#      ROWS (default 4000; "all" = the whole training set), SHARE (default 0.05),
#      OUT (default target/audit-seeds.tsv), SHARED_DATA (default ../shared/data),
#      STUDY_BIN (a built audit_study to run instead of building it).
set -euo pipefail
cd "$(dirname "$0")/.."
FIRST=${1:?first seed}
LAST=${2:?last seed}
shift 2
SETS=${SETS:-tweeteval_offensive tweeteval_hate tweeteval_sentiment}
ROWS=${ROWS:-4000}
SHARE=${SHARE:-0.05}
OUT=${OUT:-target/audit-seeds.tsv}
if [ -z "${STUDY_BIN:-}" ]; then
  cargo build --release --quiet --example audit_study
  STUDY_BIN=target/release/examples/audit_study
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: > "$OUT"
for set in $SETS; do
  task=${set#tweeteval_}
  for seed in $(seq "$FIRST" "$LAST"); do
    python3 scripts/flip_labels.py "${SHARED_DATA:-../shared/data}/$set/train.csv" "$tmp" "$ROWS" "$SHARE" "$seed"
    "$STUDY_BIN" --data "$tmp/noisy.csv" --flipped "$tmp/flipped.txt" \
      --task "$task" --seed "$seed" "$@" | sed "s/^/$set\t$seed\t/" >> "$OUT"
  done
done
echo "seeds $FIRST-$LAST, ROWS=$ROWS, flags: ${*:-(defaults)}"
python3 - "$OUT" <<'PY'
import csv, statistics as st, sys
runs = [r for r in csv.reader(open(sys.argv[1]), delimiter="\t") if r[2] != "flagged"]
sets = list(dict.fromkeys(r[0] for r in runs))
ranks = list(dict.fromkeys(r[2] for r in runs))
def cell(vals):
    sd = st.stdev(vals) if len(vals) > 1 else 0.0
    return f"{st.mean(vals):.1%} ± {sd:.1%} ({min(vals):.1%}-{max(vals):.1%})"
print("| ranking | " + " | ".join(sets) + " | mean of sets |")
print("|---|" + "---:|" * (len(sets) + 1))
for k in ranks:
    per = {s: [int(r[3]) / int(r[4]) for r in runs if r[0] == s and r[2] == k] for s in sets}
    means = [st.mean(per[s]) for s in sets]
    print(f"| {k} | " + " | ".join(cell(per[s]) for s in sets) + f" | {st.mean(means):.1%} |")
PY
