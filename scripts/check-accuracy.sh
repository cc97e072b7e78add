#!/usr/bin/env bash
# Accuracy floors of the shipped models on the public validation splits (../shared/data,
# which users do not have; CI runs this as an extra step when it is there), and a check
# that scripts/build-default-models.sh rebuilds models/ byte for byte.
# Floors sit a little under the numbers quoted in docs/results.md: a drop below one means a
# change made the model worse. They are validation numbers; test splits are not here.
set -euo pipefail
cd "$(dirname "$0")/.."
S=${SHARED_DATA:-../shared/data}
cargo build --release --bin stance-eval --bin stance-train --bin stance-score
E=target/release/stance-eval
fail=0
check() { # name model data key floor [extra args]
  local name=$1 model=$2 data=$3 key=$4 floor=$5; shift 5
  local v
  v=$($E --model "$model" --data "$data" --json "$@" | python3 -c "import json,sys; print(json.load(sys.stdin)['$key'])")
  if python3 -c "import sys; sys.exit(0 if $v >= $floor else 1)"; then
    echo "ok   $name: $key = $v (floor $floor)"
  else
    echo "FAIL $name: $key = $v is below the floor $floor"; fail=1
  fi
}
check "stance / TweetEval val" models/stance.model "$S/tweeteval_stance/val.csv" f_avg 0.68
check "stance / ceasefire val" models/stance.model data/ceasefire/comments_val.csv macro_f1 0.80
check "offensive / TweetEval val" models/offensive.model "$S/tweeteval_offensive/val.csv" macro_f1 0.70
check_max() { local name=$1 model=$2 data=$3 key=$4 ceil=$5; local v; v=$($E --model "$model" --data "$data" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$key'])"); if python3 -c "import sys; sys.exit(0 if $v <= $ceil else 1)"; then echo "ok   $name: $key = $v (at most $ceil)"; else echo "FAIL $name: $key = $v is above $ceil"; fail=1; fi; }
check_max "offensive calibration" models/offensive.model "$S/tweeteval_offensive/val.csv" ece 0.05
check "sentiment / TweetEval val" models/sentiment.model "$S/tweeteval_sentiment/val.csv" macro_recall 0.62
SHARED_DATA="$S" python3 scripts/make_reply_data.py >/dev/null
check "reply relation / agreement val" models/reply_relation.model build/reply/val.csv macro_f1 0.55
# Stance of the ceasefire validation replies, read in their threads (75.8%, 47 of 62, with
# the stance head trained on the article sections too; 71.0% before. One reply is 1.6
# points; the floor is where it was before, 0.70).
v=$(target/release/stance-score --model models/stance.model --model models/reply_relation.model \
      --format jsonl data/ceasefire/threads_val.csv | python3 -c "
import csv, json, sys
gold = {r['id']: r for r in csv.DictReader(open('data/ceasefire/threads_val.csv'))}
rows = [json.loads(l) for l in sys.stdin if gold[json.loads(l)['id']]['parent_id']]
print(sum(r['stance']['label'] == gold[r['id']]['label'] for r in rows) / len(rows))")
if python3 -c "import sys; sys.exit(0 if $v >= 0.70 else 1)"; then
  echo "ok   thread reading / ceasefire val replies: accuracy = $v (floor 0.70)"
else
  echo "FAIL thread reading / ceasefire val replies: accuracy = $v is below the floor 0.70"; fail=1
fi
if [ "${SKIP_REBUILD:-}" != 1 ]; then
  tmp=$(mktemp -d)
  cp models/*.model "$tmp/"
  bash scripts/build-default-models.sh >/dev/null 2>&1
  for m in "$tmp"/*.model; do
    if cmp -s "$m" "models/$(basename "$m")"; then echo "ok   $(basename "$m") rebuilds byte for byte"
    else echo "FAIL $(basename "$m") does not rebuild byte for byte"; fail=1; cp "$m" models/; fi
  done
  rm -rf "$tmp"
fi
exit $fail
