#!/usr/bin/env bash
# Speed and scale benchmark (issue 6): comment-stance vs fastText vs scikit-learn, in one run.
#
#   scripts/bench.sh            # 100,000 and 1,000,000 comments, median of 3 runs
#   scripts/bench.sh --quick    # 10,000 comments, 1 run (to try it)
#
# Makes seeded inputs (bench-out/comments_N.{csv,jsonl}), trains the three systems on
# tweeteval_offensive train (selection on val) and, for training time, on tweeteval_stance
# train; times scoring each input as a whole process
# (wall seconds, peak RSS via /usr/bin/time -v), and writes the table to bench-out/BENCH.md.
# Env: SHARED_DATA (default ../shared/data), BENCH_VENV (default bench-out/venv; a venv with
# scikit-learn and fasttext is made there if missing), BENCH_SEED (default 7), STANCE_BIN_DIR
# (prebuilt binaries instead of `cargo build --release`), BENCH_SIZES (default "100000 1000000";
# empty: train and report training only), PEERS_DIR (default $SHARED_DATA/../peers).
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
S=${SHARED_DATA:-../shared/data}
OUT=bench-out
SEED=${BENCH_SEED:-7}
if [ $QUICK = 1 ]; then
    # One parameter setting per system (no selection grid), to keep the try-out short.
    SIZES="10000"; RUNS=1; GRID=--single; CS_GRID="--c 2 --class-weight balanced"
else
    SIZES=${BENCH_SIZES-"100000 1000000"}; RUNS=3; GRID=; CS_GRID=
fi
mkdir -p $OUT
V=${BENCH_VENV:-$OUT/venv}
[ -x "$V/bin/python" ] || python3 -m venv "$V"
"$V/bin/python" -c "import sklearn, fasttext" 2>/dev/null ||
    "$V/bin/pip" install -q --disable-pip-version-check scikit-learn fasttext numpy
PY="$V/bin/python"
TIME=/usr/bin/time
[ -x $TIME ] || { echo "bench: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }

if [ -n "${STANCE_BIN_DIR:-}" ]; then
    BIN=$STANCE_BIN_DIR   # prebuilt stance-train, stance-score, stance-eval
else
    echo "== build" >&2
    cargo build --release --quiet --bin stance-train --bin stance-score --bin stance-eval
    BIN=target/release
fi

echo "== inputs ($SIZES comments, seed $SEED)" >&2
need=0
for n in $SIZES; do [ -s $OUT/comments_$n.csv ] && [ -s $OUT/comments_$n.jsonl ] || need=1; done
[ $need = 0 ] || python3 scripts/bench/make_inputs.py --data "$S" --out $OUT --seed "$SEED" $SIZES

# train_cs NAME VALID JSONL stance-train-args...: trains comment-stance into $OUT/NAME.model
# (timed, whole process), evaluates it on VALID and appends one JSON line to JSONL: train
# seconds, accuracy, macro-F1 and (on stance data) F_avg.
train_cs() {
    local name=$1 valid=$2 jsonl=$3 t0 t1; shift 3
    echo "== train comment-stance ($name)" >&2
    t0=$(date +%s.%N)
    $BIN/stance-train --quiet "$@" --valid "$valid" --out $OUT/$name.model
    t1=$(date +%s.%N)
    $BIN/stance-eval --model $OUT/$name.model --data "$valid" --json > $OUT/cs_${name}_eval.json
    python3 - "$OUT/cs_${name}_eval.json" "$t0" "$t1" <<'PYEOF' >> "$jsonl"
import json, sys
path, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
j = json.load(open(path))
j = j[0] if isinstance(j, list) else j
j = j.get("summary", j)
row = {"system": "comment-stance", "train_seconds": round(t1 - t0, 3),
       "accuracy": j["accuracy"], "macro_f1": j["macro_f1"]}
if "f_avg" in j:
    row["f_avg"] = j["f_avg"]
print(json.dumps(row))
PYEOF
}

TR="$S/tweeteval_offensive/train.csv"; VA="$S/tweeteval_offensive/val.csv"
: > $OUT/train.jsonl
# shellcheck disable=SC2086
train_cs offensive "$VA" $OUT/train.jsonl --task offensive --buckets-log2 19 --char-ngrams 1,6 $CS_GRID --data "$TR"
for sys in ft lr; do
    echo "== train $sys" >&2
    m=$OUT/$sys.model; [ $sys = lr ] && m=$OUT/lr.pkl
    "$PY" scripts/bench/peer_train.py $sys "$TR" "$VA" $m $GRID >> $OUT/train.jsonl
done
cat $OUT/train.jsonl >&2

# Training on the stance set (TweetEval stance, five targets): comment-stance with the
# default flags (the shared-copy weight chosen by cross-validation), the peers with ../shared/peers/peers.py's recipe (one
# model per target, parameters chosen on val). Train seconds and validation F_avg.
PEERS=${PEERS_DIR:-$S/../peers}
STR="$S/tweeteval_stance/train.csv"; SVA="$S/tweeteval_stance/val.csv"
: > $OUT/train_stance.jsonl
# shellcheck disable=SC2086
train_cs stance "$SVA" $OUT/train_stance.jsonl --task stance $CS_GRID --data "$STR"
for sys in ft lr; do
    echo "== train $sys on the stance set" >&2
    "$PY" "$PEERS/peers.py" --train "$STR" --valid "$SVA" --systems $sys >> $OUT/train_stance.jsonl ||
        echo "bench: $PEERS/peers.py --systems $sys failed on the stance set" >&2
done
cat $OUT/train_stance.jsonl >&2

# timed SYSTEM INPUT THREADS RUN ROWS -- command...: appends one line to runs.tsv
timed() {
    local system=$1 input=$2 threads=$3 run=$4 rows=$5; shift 6
    local t0 t1 rss
    t0=$(date +%s.%N)
    $TIME -v -o $OUT/time.txt "$@"
    t1=$(date +%s.%N)
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' $OUT/time.txt)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$system" "$input" "$threads" "$run" \
        "$(python3 -c "print(round($t1 - $t0, 3))")" "$rss" "$rows" >> $OUT/runs.tsv
    tail -1 $OUT/runs.tsv >&2
}

printf 'system\tinput\tthreads\trun\tseconds\tmax_rss_kb\trows\n' > $OUT/runs.tsv
for n in $SIZES; do
    in=$OUT/comments_$n.csv
    for r in $(seq $RUNS); do
        echo "== score $n comments, run $r" >&2
        timed comment-stance comments_$n.csv default $r $n -- \
            $BIN/stance-score --model $OUT/offensive.model --format csv --out $OUT/out_cs.csv $in
        timed comment-stance-1t comments_$n.csv 1 $r $n -- \
            env RAYON_NUM_THREADS=1 $BIN/stance-score --model $OUT/offensive.model --format csv --out $OUT/out_cs1.csv $in
        timed ft comments_$n.csv default $r $n -- "$PY" scripts/bench/peer_score.py ft $OUT/ft.model $in $OUT/out_ft.csv
        timed lr comments_$n.csv default $r $n -- "$PY" scripts/bench/peer_score.py lr $OUT/lr.pkl $in $OUT/out_lr.csv
    done
    # Every system wrote one row per comment.
    for f in out_cs.csv out_ft.csv out_lr.csv; do
        python3 -c "import csv,sys; csv.field_size_limit(sys.maxsize); n=sum(1 for _ in csv.DictReader(open('$OUT/$f', newline='')));
assert n == $n, ('$f', n)"
    done
done
rm -f $OUT/out_cs.csv $OUT/out_cs1.csv $OUT/out_ft.csv $OUT/out_lr.csv $OUT/time.txt
python3 scripts/bench/summarize.py $OUT $QUICK
