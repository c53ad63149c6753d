#!/usr/bin/env bash
# Shards against one target (docs/distributed.md, "Measured"): one nginx worker (`return 200`,
# access log on, to count what it served) pinned to CPU 0, and the same total load sent
#   - by one unsharded barrage run, REPS times (the run-to-run noise), and
#   - by four local shards (--shard I/4 --start-at +1s), merged with `barrage merge`, REPS times.
# The load is open-model (-r RATE -d DURATION -c CONNS), well below what one generator or nginx
# can do, so that neither side saturates and the latencies compare. Prints, per run: started,
# nginx's own count of the requests it served, in flight at the end, p50 and p99, and for the
# merged runs the start spread between the shards.
# Usage: bench/shards.sh BUILD_DIR [REPS=3] [RATE=4000] [DURATION=5s] [CONNS=40]
set -euo pipefail
BUILD=${1:?build dir}; REPS=${2:-3}; RATE=${3:-4000}; DUR=${4:-5s}; CONNS=${5:-40}
BARRAGE="$(cd "$BUILD" && pwd)/apps/barrage"
for b in taskset nginx python3 curl; do command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 1; }; done

source "$(dirname "$0")/lib/nginx.sh"
dir=$(mktemp -d /tmp/barrage-shards-XXXXXX)
port=$(free_port)
nginx_config "$dir" "$port"
sed -i "s|access_log off;|access_log $dir/access.log;|" "$dir/nginx.conf"
taskset -c 0 nginx -c "$dir/nginx.conf" -p "$dir" &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null; rm -rf "$dir"' EXIT
wait_up "$port"
url="http://127.0.0.1:$port/"
served() { sleep 0.2; wc -l <"$dir/access.log"; }

# row NAME REPORT SERVED_BEFORE: one line of the table from a (merged) report.
row() {
  local after; after=$(served)
  python3 - "$1" "$2" $(( after - $3 )) <<'PY'
import json, sys
name, path, served = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = json.load(open(path))
q, l = r["requests"], r["latency_ms"]
spread = "%.3f" % r["merged"]["start_spread_ms"] if "merged" in r else "-"
print("%-10s %9d %9d %6s %8d %9.3f %9.3f %9s %5.1f%s" % (name, q["started"], served,
      "yes" if served == q["started"] else "NO", q["in_flight_at_end"], l["p50"], l["p99"], spread,
      float(open("/proc/loadavg").read().split()[0]),
      "  SATURATED" if r["generator"]["saturated"] else ""))
PY
}

echo "load: -r $RATE -d $DUR -c $CONNS (open model) against one nginx worker; $(nproc) cores"
printf '%-10s %9s %9s %6s %8s %9s %9s %9s %5s\n' run started nginx equal inflight p50_ms p99_ms spread_ms load1
for rep in $(seq "$REPS"); do
  before=$(served)
  "$BARRAGE" "$url" -r "$RATE" -d "$DUR" -c "$CONNS" -t 1 -q --json "$dir/one.json"
  row "one#$rep" "$dir/one.json" "$before"

  before=$(served)
  # "+1s" rounds up to a whole second in each process: launch early in a second.
  python3 -c 'import time; f = time.time() % 1; f > 0.5 and time.sleep(1.02 - f)'
  pids=()
  for i in 0 1 2 3; do
    "$BARRAGE" "$url" --shard "$i/4" --start-at +1s -r "$RATE" -d "$DUR" -c "$CONNS" -t 1 -q \
      --json "$dir/s$i.json" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  "$BARRAGE" merge -q "$dir"/s{0,1,2,3}.json --json "$dir/merged.json"
  row "4shards#$rep" "$dir/merged.json" "$before"
done
echo "p50/p99: HdrHistogram buckets, within 0.1 % of the exact order statistic; merged exactly."
