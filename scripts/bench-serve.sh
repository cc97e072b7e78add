#!/usr/bin/env bash
# Load benchmark of stance-serve on loopback with the four default heads: Coral's exact
# comments:analyze request (TOXICITY, languages en, ?key=) cycling over the 643 comments
# of data/ceasefire/comments_train.csv, with wrk (Debian's `wrk`; one wrk thread, so
# that the load generator takes as little of the cores as it can).
#   1. requests/s and p50 / p99 latency at 1, 8 and 64 concurrent connections
#      (DURATION seconds each, default 30);
#   2. a soak at 64 connections for SOAK seconds (default 300) with a reload every 20 s
#      (alternately POST /admin/reload and SIGHUP): errors (non-2xx, socket errors)
#      and the server's RSS every 10 s.
# Every run is bounded by its duration; the server is stopped (by its pid) at the end.
# The host's load (`uptime`) is printed before each level: the machine is shared.
#   scripts/bench-serve.sh                    # full run, about 7 minutes
#   DURATION=10 SOAK=60 scripts/bench-serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${STANCE_BIN_DIR:-target/release}
DURATION=${DURATION:-30}
SOAK=${SOAK:-300}
LEVELS=${LEVELS:-"1 8 64"}
command -v wrk >/dev/null || { echo "bench-serve: needs wrk (apt-get install wrk)" >&2; exit 2; }
[ -x "$BIN/stance-serve" ] || { echo "bench-serve: build first: cargo build --release" >&2; exit 2; }

work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
echo "bench-key" >"$work/keys"
# One Coral analyze body per comment (the exact form perspective.ts builds).
python3 - "$work/bodies.txt" <<'PY'
import csv, json, sys
with open(sys.argv[1], "w") as f:
    for r in csv.DictReader(open("data/ceasefire/comments_train.csv", newline="", encoding="utf-8")):
        body = {"comment": {"text": r["text"]}, "doNotStore": True,
                "requestedAttributes": {"TOXICITY": {}}, "languages": ["en"]}
        f.write(json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n")
PY
cat >"$work/analyze.lua" <<EOF
local bodies = {}
for line in io.lines("$work/bodies.txt") do bodies[#bodies + 1] = line end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, "/v1alpha1/comments:analyze?key=bench-key", nil, bodies[i])
end
EOF

"$BIN/stance-serve" --listen 127.0.0.1:0 --keys "$work/keys" --rate-limit 1000000 \
  >"$work/stdout" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/stdout" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/^listening on //p' "$work/stdout" | head -1)
[ -n "$addr" ] || { cat "$work/server.log" >&2; exit 1; }
url="http://$addr"
echo "stance-serve $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $addr, pid $server_pid, $(nproc) cores; wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
rss() { awk '/VmRSS/ {print $2}' "/proc/$server_pid/status"; }
# Warm up (memos, connections).
wrk -t1 -c8 -d3s -s "$work/analyze.lua" "$url" >/dev/null

summary() { # wrk output -> "rps p50 p99 errors"
  python3 -c '
import re, sys
t = sys.stdin.read()
def ms(s):
    v, u = re.match(r"([\d.]+)(us|ms|s)", s).groups()
    return float(v) * {"us": 1e-3, "ms": 1, "s": 1e3}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
p50 = ms(re.search(r"\s50%\s+(\S+)", t).group(1))
p99 = ms(re.search(r"\s99%\s+(\S+)", t).group(1))
non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", t) or [0, 0])[1])
sock = sum(map(int, re.findall(r"(?:connect|read|write|timeout) (\d+)", t)))
total = int(re.search(r"(\d+) requests in", t).group(1))
print(f"| {rps:,.0f} | {p50:.2f} | {p99:.2f} | {total:,} | {non2xx + sock} |")
'
}

echo
echo "| connections | requests/s | p50 ms | p99 ms | requests | errors |"
echo "|---:|---:|---:|---:|---:|---:|"
for c in $LEVELS; do
  echo "load before $c: $(uptime | sed 's/.*load average: //')" >&2
  wrk -t1 -c"$c" -d"${DURATION}s" --latency --timeout 5s -s "$work/analyze.lua" "$url" >"$work/wrk_$c.txt"
  printf "| %s " "$c"; summary <"$work/wrk_$c.txt"
done

if [ "$SOAK" -gt 0 ]; then
  echo
  echo "soak: 64 connections for ${SOAK}s, a reload every 20 s; load before: $(uptime | sed 's/.*load average: //')"
  wrk -t1 -c64 -d"${SOAK}s" --latency --timeout 5s -s "$work/analyze.lua" "$url" >"$work/wrk_soak.txt" &
  wrk_pid=$!
  start=$(date +%s); n=0; rss_log=""
  while kill -0 "$wrk_pid" 2>/dev/null; do
    sleep 10
    now=$(( $(date +%s) - start ))
    rss_log="$rss_log ${now}s:$(rss)kB"
    if [ $(( now % 20 )) -lt 10 ]; then
      n=$((n + 1))
      if [ $((n % 2)) -eq 1 ]; then
        curl -s -o /dev/null -w "%{http_code}\n" -X POST "$url/admin/reload?key=bench-key" >"$work/reload_$n" || true
      else
        kill -HUP "$server_pid"; echo 200 >"$work/reload_$n"
      fi
    fi
  done
  wait "$wrk_pid" || true
  echo "| connections | requests/s | p50 ms | p99 ms | requests | errors |"
  echo "|---:|---:|---:|---:|---:|---:|"
  printf "| 64 (soak) "; summary <"$work/wrk_soak.txt"
  gen=$(curl -s "$url/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
  echo "reloads: $n sent ($(cat "$work"/reload_* | sort | uniq -c | tr -s ' ' | tr '\n' ';')), generation now $gen"
  echo "server RSS:$rss_log"
  echo "load after: $(uptime | sed 's/.*load average: //')"
fi
