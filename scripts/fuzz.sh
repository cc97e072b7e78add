#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECS seconds each (default 600) and prints libFuzzer's
# final statistics line per target. Needs cargo-fuzz (`cargo install cargo-fuzz`); on a
# stable toolchain RUSTC_BOOTSTRAP=1 lets it pass the sanitizer flags.
#   scripts/fuzz.sh [SECS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-600}; shift || true
TARGETS=${*:-readers text model serve_requests}
export RUSTC_BOOTSTRAP=1
for t in $TARGETS; do
  mkdir -p "fuzz/corpus/$t" "fuzz/seeds/$t"
  log="fuzz/$t.log"
  extra=""; [ "$t" = model ] && extra="-rss_limit_mb=2048"
  status=0
  cargo fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$SECS" -print_final_stats=1 $extra >"$log" 2>&1 || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  echo "$t: exit $status, $runs executions in ${SECS}s, crashes: $(ls fuzz/artifacts/$t 2>/dev/null | wc -l) (log: $log)"
done
