#!/usr/bin/env bash
# Reads every CSV in data/ and ../shared/data with the reader every command uses, and
# checks that none is refused, no row is reported, every line is accounted for, and the
# row count equals Python's csv module's (an independent correct reader).
set -euo pipefail
cd "$(dirname "$0")/.."
S=${SHARED_DATA:-../shared/data}
cargo build --release --example read_check >/dev/null 2>&1
mapfile -t files < <(find data "$S" -name '*.csv' 2>/dev/null | sort)
status=0
target/release/examples/read_check "${files[@]}" > build/read-check.tsv || status=$?
python3 - build/read-check.tsv <<'PY'
import csv, sys
csv.field_size_limit(1 << 30)
bad = 0
for line in open(sys.argv[1]):
    if line.startswith("  "):
        print(line.rstrip()); continue
    path, *rest = line.rstrip("\n").split("\t")
    if not rest[0].startswith("rows"):
        print(line.rstrip()); bad += 1; continue
    ours = int(rest[0].split()[1])
    with open(path, newline="", encoding="utf-8-sig") as f:
        py = sum(1 for _ in csv.reader(f)) - 1
    ok = ours == py and rest[1] == "reported 0" and rest[3] == "balanced"
    bad += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {path}: {ours} rows (python csv: {py}), {rest[1]}, {rest[2]}, {rest[3]}")
print(f"{bad} file(s) with a problem")
sys.exit(1 if bad else 0)
PY
