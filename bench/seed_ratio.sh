#!/usr/bin/env bash
# The reference seed script (aiohttp + uvloop, N=10,000 concurrent GETs) beside barrage against the
# same nginx worker: the issue's "40x the seed's throughput" figure, and nginx's own ceiling (ab -k
# saturates it) that bounds any generator at depth 1. nginx (1 worker, `return 200`, access log off)
# on CPU 0; each tool on CPU 1, in turn, REPS rounds.
# Usage: bench/seed_ratio.sh BUILD_DIR [REPS=3]    (env BENCH_REFERENCE_DIR, default ../shared/anchors)
set -euo pipefail
BUILD=${1:?build dir}; REPS=${2:-3}
BARRAGE="$(cd "$BUILD" && pwd)/apps/barrage"
REF=${BENCH_REFERENCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/shared/anchors}
for b in taskset nginx wrk ab curl /usr/bin/python3; do command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 1; }; done
[[ -f $REF/seed.py ]] || { echo "no seed.py in $REF (set BENCH_REFERENCE_DIR)" >&2; exit 1; }

source "$(dirname "$0")/lib/nginx.sh"
dir=$(mktemp -d /tmp/barrage-seed-XXXXXX)
port=$(free_port)
nginx_config "$dir" "$port"
taskset -c 0 nginx -c "$dir/nginx.conf" -p "$dir" & nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null; rm -rf "$dir"' EXIT
url="http://127.0.0.1:$port/"
wait_up "$port"

out="$dir/rows"
row() { echo "$1 $2" | tee -a "$out"; }
for _ in $(seq "$REPS"); do
  row seed "$(taskset -c 1 /usr/bin/python3 "$REF/seed.py" -n 10000 --url "$url" | awk '/^Requests\/s/{print $2}')"
  for depth in 1 16; do
    taskset -c 1 "$BARRAGE" "$url" -c 100 -t 1 -d 5s --pipeline "$depth" --no-progress -q --json "$dir/r.json" >/dev/null
    row "barrage-depth-$depth" "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['throughput']['requests_per_second'])" "$dir/r.json")"
  done
  row "ab-k" "$(taskset -c 1 ab -k -q -c 100 -t 5 -n 100000000 "$url" 2>/dev/null | awk '/^Requests per second/{print $4}')"
  row wrk "$(taskset -c 1 wrk -t1 -c100 -d5s "$url" | awk '/^Requests\/sec/{print $2}')"
done
python3 - "$out" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    k, v = line.split()
    rows.setdefault(k, []).append(float(v))
med = {k: statistics.median(v) for k, v in rows.items()}
for k, v in rows.items():
    print(f"{k:16} req/s median {med[k]:,.0f} ({min(v):,.0f}-{max(v):,.0f})  = {med[k] / med['seed']:.1f}x the seed script")
PY
