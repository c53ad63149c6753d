#!/usr/bin/env bash
# WebSocket echo: messages per generator CPU-second, barrage against a Python `websockets`
# client written the reference's way (asyncio + uvloop, bench/ws_client.py), against the same
# echo server (barrage serve's /ws/echo, one thread) on CPU 0, each generator on CPU 1 in turn,
# REPS rounds; the issue's target is a ratio of at least 20. Per CPU-second, not per second:
# the server caps both at the same messages/s, the cost of each message is the generator's own.
# Beside them Artillery's WebSocket engine (npm artillery, installed with BARRAGE_BENCH_TOOLS=1
# tools/install-deps.sh; target: barrage >= 5x): CONNECTIONS virtual users, each sending a 64-byte
# JSON message and waiting for its echo (`send` with `match`), ARTILLERY_COUNT times. Artillery
# spends about 2.5 CPU-seconds starting; its figure is the difference between that run and one
# of 4 messages per user (its start-up is not charged to it). Beside them the floor
# (bench/ws_floor.c, built here with cc): a C client that does one write and one read per message
# and nothing else, the most messages per CPU-second a closed-model client can reach here.
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

artillery="$HERE/../.npm-bench/node_modules/.bin/artillery"
art_yaml() {  # $1: messages per virtual user
  cat <<YAML
config:
  target: "$url"
  phases:
    - duration: 1
      arrivalCount: $CONNS
scenarios:
  - engine: ws
    flow:
      - loop:
          - send:
              payload: '{"m":"artillery-echo-64-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}'
              match:
                json: "\$.m"
                value: "artillery-echo-64-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        count: $1
YAML
}
art_run() {  # $1: messages per user; prints "messages cpu_seconds"
  art_yaml "$1" >"$dir/art.yml"
  /usr/bin/time -f "%U %S" -o "$dir/art.time" taskset -c 1 "$artillery" run "$dir/art.yml" >"$dir/art.out" 2>&1
  grep -q "vusers.failed: [. ]*0$" "$dir/art.out" || { echo "artillery: virtual users failed:" >&2; tail -20 "$dir/art.out" >&2; exit 1; }
  local sent; sent=$(grep "websocket.messages_sent" "$dir/art.out" | tail -1 | awk '{print $NF}')
  echo "$sent $(awk '{print $1 + $2}' "$dir/art.time")"
}

out="$dir/rows"
# The floor (bench/ws_floor.c): a C client with one write and one read per message and nothing
# else. No client that pays a write and a read per message does more messages per CPU-second.
floor=""
if command -v cc >/dev/null && cc -O2 -o "$dir/ws_floor" "$HERE/ws_floor.c"; then floor="$dir/ws_floor"; fi
for _ in $(seq "$REPS"); do
  if [ -x "$artillery" ]; then
    read -r n0 c0 < <(art_run 4)
    read -r n1 c1 < <(art_run "${ARTILLERY_COUNT:-2000}")
    awk -v n0="$n0" -v c0="$c0" -v n1="$n1" -v c1="$c1" \
      'BEGIN { n = n1 - n0; c = c1 - c0; printf "artillery-ws %d %d %.3f\n", n / c, n, c }' | tee -a "$out"
  fi
  if [ -n "$floor" ]; then
    taskset -c 1 "$floor" 127.0.0.1 "$port" /ws/echo "$CONNS" "$SECS" |
      sed -E 's/messages=([0-9]+) cpu_s=([0-9.]+) msgs_per_cpu_s=([0-9]+)/c-floor-write-read \3 \1 \2/' | tee -a "$out"
  fi
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
    if "artillery-ws" in med:
        print(f"ratio {k} / artillery: {med[k] / med['artillery-ws']:.1f}x (target >= 5x)")
if "c-floor-write-read" in med:
    f = med["c-floor-write-read"] / med["python-websockets-uvloop"]
    print(f"the floor (C, a write and a read per message) / python: {f:.1f}x: "
          f"the most any closed-model client reaches; barrage closed at {med['barrage'] / med['c-floor-write-read']:.2f}x the floor")
if "artillery-ws" not in med:
    print("artillery: not installed (BARRAGE_BENCH_TOOLS=1 tools/install-deps.sh): its row is skipped")
PY
