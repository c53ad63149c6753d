#!/usr/bin/env bash
# WebSocket echo: messages per generator CPU-second, barrage against a Python `websockets`
# client written the reference's way (asyncio + uvloop, bench/ws_client.py), against the same
# echo server (barrage serve's /ws/echo, one thread) on CPU 0, each generator on CPU 1 in turn,
# REPS rounds; the issue's target is a ratio of at least 20. Per CPU-second, not per second:
# the server caps both at the same messages/s, the cost of each message is the generator's own.
# Usage: bench/ws_echo_ratio.sh BUILD_DIR [REPS=3] [CONNECTIONS=50] [SECONDS=5]   (env RATE: the open
# model's messages/s per connection, default 1000)
set -euo pipefail
BUILD=${1:?build dir}; REPS=${2:-3}; CONNS=${3:-50}; SECS=${4:-5}
BARRAGE="$(cd "$BUILD" && pwd)/apps/barrage"
HERE="$(cd "$(dirname "$0")" && pwd)"
for b in taskset /usr/bin/python3; do command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 1; }; done
/usr/bin/python3 -c 'import uvloop, websockets' || { echo "missing python3-uvloop or python3-websockets" >&2; exit 1; }

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
taskset -c 0 "$BARRAGE" serve --listen "127.0.0.1:$port" --threads 1 >/dev/null 2>&1 & server=$!
dir=$(mktemp -d /tmp/barrage-ws-bench-XXXXXX)
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
url="ws://127.0.0.1:$port/ws/echo"

out="$dir/rows"
for _ in $(seq "$REPS"); do
  taskset -c 1 /usr/bin/python3 "$HERE/ws_client.py" "$url" -c "$CONNS" -d "$SECS" --size 64 |
    awk '{print "python-websockets-uvloop", $6, $2, $4}' | tee -a "$out"
  # Closed model, as the Python client: one message in flight per connection.
  taskset -c 1 "$BARRAGE" "$url" -c "$CONNS" -t 1 -d "${SECS}s" --message-size 64 -q --json "$dir/closed.json"
  # Open model at RATE messages/s per connection: messages due together share a write.
  taskset -c 1 "$BARRAGE" "$url" -c "$CONNS" -t 1 -d "${SECS}s" --message-size 64 --message-rate "${RATE:-1000}" \
    --grace 2s -q --json "$dir/open.json"
  /usr/bin/python3 - "$dir/closed.json" "$dir/open.json" <<'PY' | tee -a "$out"
import json, sys
for name, path in (("barrage", sys.argv[1]), ("barrage-open-model", sys.argv[2])):
    r = json.load(open(path))
    n, cpu = r["websocket"]["messages"]["answered"], r["generator"]["cpu_seconds"]
    print(name, round(n / max(cpu, 1e-9)), n, round(cpu, 3))
PY
done
/usr/bin/python3 - "$out" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    k, per_cpu, n, cpu = line.split()
    rows.setdefault(k, []).append(float(per_cpu))
med = {k: statistics.median(v) for k, v in rows.items()}
for k, v in rows.items():
    print(f"{k:26} messages per CPU-second: median {med[k]:,.0f} ({min(v):,.0f}-{max(v):,.0f})")
for k in ("barrage", "barrage-open-model"):
    print(f"ratio {k} / python: {med[k] / med['python-websockets-uvloop']:.1f}x (target >= 20x)")
PY
