#!/usr/bin/env bash
# Obfuscation robustness on the held-out generator (scripts/perturb-heldout/: written
# without looking at the folding rules or examples/perturb.rs, and never used to develop
# them): the shipped offensive head on a clean and a seeded perturbed copy of OLID's
# validation split, macro-F1 and the drop in points, for each kind and several seeds.
# Usage: scripts/obfuscation-heldout.sh [SHARED_DATA_DIR]   (default ../shared/data)
# Env: SEEDS (default "1 2 3").
set -euo pipefail
cd "$(dirname "$0")/.."
S=${1:-${SHARED_DATA:-../shared/data}}
SEEDS=${SEEDS:-1 2 3}
cargo build --release --quiet --bin stance-eval
E=target/release/stance-eval
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data="$S/tweeteval_offensive/val.csv"
metric() { "$E" --model models/offensive.model --data "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['macro_f1'])"; }
clean=$(metric "$data")
printf '%-10s %6s %8s %10s %6s\n' kind seed clean perturbed drop
for kind in leet homoglyph separators invisible elongate mixed; do
  for seed in $SEEDS; do
    python3 scripts/perturb-heldout/perturb_heldout.py --kind "$kind" --seed "$seed" "$data" "$tmp/p.csv"
    pert=$(metric "$tmp/p.csv")
    python3 -c "c,p=$clean,$pert; print('%-10s %6s %8.2f %10.2f %6.2f' % ('$kind','$seed',100*c,100*p,100*(c-p)))"
  done
done
