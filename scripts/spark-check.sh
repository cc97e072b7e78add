#!/usr/bin/env bash
# Runs examples/spark/score_dump.py (PySpark, local mode, 2 partitions) on the
# 100,000-comment JSONL bench input and checks that its output equals a single-process
# stance-score run, row for row.
#
#   scripts/spark-check.sh [INPUT.jsonl]     (default bench-out/comments_100000.jsonl)
#
# Env: SPARK_VENV (default bench-out/spark-venv; made with `pip install pyspark` if
# missing), SHARED_DATA (to make the input when absent), STANCE_BIN_DIR (use the
# stance-score in that folder instead of building target/release). Needs Java 17.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench-out
IN=${1:-$OUT/comments_100000.jsonl}
mkdir -p $OUT
if [ ! -s "$IN" ]; then
    python3 scripts/bench/make_inputs.py --data "${SHARED_DATA:-../shared/data}" --out $OUT --seed 7 100000
fi
V=${SPARK_VENV:-$OUT/spark-venv}
[ -x "$V/bin/python" ] || python3 -m venv "$V"
"$V/bin/python" -c "import pyspark" 2>/dev/null || "$V/bin/pip" install -q --disable-pip-version-check pyspark
if [ -n "${STANCE_BIN_DIR:-}" ]; then
    BIN=$(cd "$STANCE_BIN_DIR" && pwd)/stance-score
else
    cargo build --release --quiet --bin stance-score
    BIN=$PWD/target/release/stance-score
fi

echo "== single process" >&2
$BIN --format jsonl --input-format jsonl < "$IN" > $OUT/spark_single.jsonl

echo "== spark, local[2], 2 partitions" >&2
rm -rf $OUT/spark_out
PYSPARK_PYTHON="$V/bin/python" "$V/bin/python" examples/spark/score_dump.py \
    --input "$IN" --output $OUT/spark_out --partitions 2 --binary "$BIN" 2> $OUT/spark.log
ls $OUT/spark_out/part-* | sort | xargs cat > $OUT/spark_joined.jsonl

n_in=$(grep -c . "$IN"); n_single=$(wc -l < $OUT/spark_single.jsonl); n_spark=$(wc -l < $OUT/spark_joined.jsonl)
echo "input $n_in lines, single-process $n_single, spark $n_spark ($(ls $OUT/spark_out/part-* | wc -l) partitions)"
if cmp -s $OUT/spark_single.jsonl $OUT/spark_joined.jsonl; then
    echo "OK: spark output equals the single-process output, row for row"
else
    echo "MISMATCH: first differing lines:" >&2
    diff <(cut -c1-200 $OUT/spark_single.jsonl) <(cut -c1-200 $OUT/spark_joined.jsonl) | head -5 >&2
    exit 1
fi
