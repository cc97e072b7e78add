#!/usr/bin/env bash
# Constant-memory check (issue 6): peak RSS of scoring a ~1 GB JSONL dump with the
# built-in models, output to stdout redirected to /dev/null. The dump is made by
# repeating bench-out/comments_1000000.jsonl (made by scripts/bench.sh) and deleted after.
#
#   scripts/bench-memory.sh [SIZE_MB]     (default 1000)
#
# Env: STANCE_BIN_DIR (use the stance-score in that folder instead of building
# target/release), SHARED_DATA (to make the source input when absent).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench-out
MB=${1:-1000}
SRC=$OUT/comments_1000000.jsonl
[ -s $SRC ] || python3 scripts/bench/make_inputs.py --data "${SHARED_DATA:-../shared/data}" --out $OUT --seed 7 1000000
if [ -n "${STANCE_BIN_DIR:-}" ]; then
    BIN=$(cd "$STANCE_BIN_DIR" && pwd)/stance-score
else
    cargo build --release --quiet --bin stance-score
    BIN=target/release/stance-score
fi
DUMP=$OUT/dump_1gb.jsonl
trap 'rm -f $DUMP' EXIT
: > $DUMP
while [ "$(stat -c %s $DUMP)" -lt $((MB * 1000 * 1000)) ]; do cat $SRC >> $DUMP; done
rows=$(wc -l < $DUMP); bytes=$(stat -c %s $DUMP)
t0=$(date +%s.%N)
/usr/bin/time -v -o $OUT/memory_time.txt $BIN --format jsonl --input-format jsonl $DUMP > /dev/null
t1=$(date +%s.%N)
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' $OUT/memory_time.txt)
python3 - "$rows" "$bytes" "$t0" "$t1" "$rss" <<'PYEOF' | tee $OUT/MEMORY.md
import sys
rows, size, t0, t1, rss = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
print(f"built-in models (stance, offensive, sentiment, reply_relation; default thread cache), JSONL in, JSONL to /dev/null: {rows:,} rows, "
      f"{size / 1e6:,.0f} MB, {t1 - t0:,.0f} s ({rows / (t1 - t0):,.0f} comments/s), peak RSS {rss / 1024:,.1f} MB "
      f"({'under' if rss < 100 * 1024 else 'OVER'} the 100 MB target)")
PYEOF
