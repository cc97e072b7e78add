#!/usr/bin/env bash
# Obfuscation robustness: for each kind of obfuscation (examples/perturb.rs), score the
# shipped models on a clean and a seeded perturbed copy of a validation set and print
# the metric on each and the drop in points.
#   offensive: models/offensive.model on tweeteval_offensive/val.csv, macro-F1
#   stance:    models/stance.model on tweeteval_stance/val.csv, F_avg
# Usage: scripts/obfuscation-table.sh [SHARED_DATA_DIR]   (default ../shared/data)
# Env: SEED (default 1), RATE (share of words perturbed, default 0.5), KINDS (default: all
# kinds of examples/perturb.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
S=${1:-${SHARED_DATA:-../shared/data}}
SEED=${SEED:-1}
RATE=${RATE:-0.5}
cargo build --release --quiet --bin stance-eval --example perturb
E=target/release/stance-eval
P=target/release/examples/perturb
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
metric() { # model data key
  "$E" --model "$1" --data "$2" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$3'])"
}
printf '%-10s %-10s %-9s %8s %10s %6s\n' task kind metric clean perturbed drop
for spec in "offensive models/offensive.model $S/tweeteval_offensive/val.csv macro_f1" \
            "stance models/stance.model $S/tweeteval_stance/val.csv f_avg"; do
  set -- $spec
  task=$1 model=$2 data=$3 key=$4
  clean=$(metric "$model" "$data" "$key")
  for kind in ${KINDS:-zero-width homoglyph leet spaced repeat leet-wild separators mask mixed leet-dense}; do
    "$P" --kind "$kind" --seed "$SEED" --rate "$RATE" "$data" "$tmp/$task-$kind.csv"
    pert=$(metric "$model" "$tmp/$task-$kind.csv" "$key")
    python3 -c "c,p=$clean,$pert; print('%-10s %-10s %-9s %8.2f %10.2f %6.2f' % ('$task','$kind','$key',100*c,100*p,100*(c-p)))"
  done
done
