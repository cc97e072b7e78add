#!/usr/bin/env python3
"""Scores a JSONL comment dump with stance-score on Spark: each partition is piped through
`stance-score --format jsonl --input-format jsonl` (stdin -> stdout, one output line per input
line, in input order), so the output partitions line up with the input partitions.

Local mode (what scripts/spark-check.sh runs):
  python score_dump.py --input comments.jsonl --output scored_dir --partitions 2 \
      --binary target/release/stance-score

On a cluster, ship the binary (and any model) with spark-submit --files and give bare names;
see README.md beside this file.
"""
import argparse
import os
import shlex

from pyspark import SparkConf, SparkContext


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True, help="JSONL dump (any path Spark reads: file://, hdfs://, s3a://)")
    ap.add_argument("--output", required=True, help="output folder (part-00000, part-00001, ... in input order)")
    ap.add_argument("--partitions", type=int, default=2, help="minimum number of input partitions")
    ap.add_argument("--binary", default="./stance-score",
                    help="stance-score on the executors: a path, or ./stance-score when shipped with --files")
    ap.add_argument("--model", action="append", default=[],
                    help="model file (repeatable; ./NAME when shipped with --files); default: built-in models")
    ap.add_argument("--target", help="stance target for every row")
    ap.add_argument("--threads-per-task", default="1",
                    help="RAYON_NUM_THREADS for each stance-score process (one process per running task)")
    ap.add_argument("--master", default=None, help="Spark master when not set by spark-submit (default local[2])")
    a = ap.parse_args()

    conf = SparkConf().setAppName("comment-stance score_dump")
    if a.master:
        conf = conf.setMaster(a.master)
    elif "PYSPARK_GATEWAY_PORT" not in os.environ:  # plain `python`, not spark-submit
        conf = conf.setMaster("local[2]")
    sc = SparkContext(conf=conf)

    cmd = [a.binary, "--format", "jsonl", "--input-format", "jsonl"]
    for m in a.model:
        cmd += ["--model", m]
    if a.target:
        cmd += ["--target", a.target]
    cmd = " ".join(shlex.quote(c) for c in cmd)

    # textFile keeps each partition's lines in file order; partitions are in file order.
    # Blank lines are dropped first: stance-score emits nothing for them, and pipe() must
    # see exactly one output line per input line. (Bad rows fail the task instead of
    # being skipped, for the same reason: never add --skip-bad-rows here.)
    lines = sc.textFile(a.input, minPartitions=a.partitions).filter(lambda l: l.strip() != "")
    scored = lines.pipe(cmd, env={"RAYON_NUM_THREADS": a.threads_per_task}, checkCode=True)

    # Check the one-line-per-line contract per partition before writing.
    n_in = lines.mapPartitionsWithIndex(lambda i, it: [(i, sum(1 for _ in it))]).collectAsMap()
    n_out = scored.mapPartitionsWithIndex(lambda i, it: [(i, sum(1 for _ in it))]).collectAsMap()
    if n_in != n_out:
        raise SystemExit(f"line counts differ per partition: input {n_in}, output {n_out}")
    scored.saveAsTextFile(a.output)
    print(f"scored {sum(n_in.values())} comments in {lines.getNumPartitions()} partitions -> {a.output}")
    sc.stop()


if __name__ == "__main__":
    main()
