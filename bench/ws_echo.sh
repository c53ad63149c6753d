#!/usr/bin/env bash
# WebSocket echo: `barrage serve` /ws/echo (1 thread) beside the Node ws package's echo server,
# each pinned to CPU 0, under the same generator pinned to CPU 1, in turn, REPS rounds (issue 17:
# barrage serve's messages/s on one core >= 2x the Node server's). The generator is barrage's own
# (DRIVER=barrage, the default: C connections, the open model at RATE messages/s per connection
# so that the server, not the generator's round trips, sets the pace), or with DRIVER=node the
# Node ws client bench/ws_echo_driver.js (C connections in a closed loop). Prints messages/s and
# the server's CPU per message per run, then the medians.
# Usage: bench/ws_echo.sh BUILD_DIR [REPS=3] [DURATION=5] [C=50] [SIZE=32]   (env DRIVER, RATE=20000)
set -euo pipefail
BUILD=${1:?build dir}; REPS=${2:-3}; DUR=${3:-5}; C=${4:-50}; SIZE=${5:-32}
BARRAGE="$(cd "$BUILD" && pwd)/apps/barrage"
HERE="$(cd "$(dirname "$0")" && pwd)"
export NODE_PATH="$("$HERE/../tools/npm-path.sh")"
for b in taskset node python3; do command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 1; }; done
[[ -d $NODE_PATH/ws ]] || { echo "missing npm ws in $NODE_PATH (tools/install-deps.sh)" >&2; exit 1; }
tck=$(getconf CLK_TCK)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.05; done; echo "no server on $1" >&2; exit 1; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
dir=$(mktemp -d /tmp/barrage-ws-echo-XXXXXX)
server_pid=
cleanup() { [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

measure() {  # NAME URL PID
  local t0 t1 n
  t0=$(ticks "$3")
  if [[ ${DRIVER:-barrage} == node ]]; then
    n=$(taskset -c 1 node "$HERE/ws_echo_driver.js" "$2" "$C" "$DUR" "$SIZE")
  else
    taskset -c 1 "$BARRAGE" "$2" -c "$C" -t 1 -d "${DUR}s" --message-size "$SIZE" --message-rate "${RATE:-20000}" \
      --grace 1s -q --no-progress --json "$dir/gen.json" >/dev/null
    n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["websocket"]["messages"]["answered"])' "$dir/gen.json")
  fi
  t1=$(ticks "$3")
  python3 - "$1" "$n" "$((t1 - t0))" "$tck" "$DUR" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY' | tee -a "$dir/results"
import sys
name, n, t, tck, dur, load = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
cpu = t / tck
print(f"{name:22} {n / dur:10.0f} msg/s {cpu * 1e6 / max(n, 1):6.2f} us/msg  server {100 * cpu / dur:3.0f}% cpu  load {load}")
PY
}

for _ in $(seq "$REPS"); do
  port=$(free_port)
  taskset -c 0 "$BARRAGE" serve -l "127.0.0.1:$port" -q & server_pid=$!
  wait_up "$port"; measure "barrage serve /ws/echo" "ws://127.0.0.1:$port/ws/echo" "$server_pid"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
  port=$(free_port)
  taskset -c 0 node "$HERE/ws_echo_server.js" "$port" >/dev/null & server_pid=$!
  wait_up "$port"; measure "node ws echo server" "ws://127.0.0.1:$port/" "$server_pid"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
done

python3 - "$dir/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name = line[:22].strip()
    f = line[22:].split()
    rows.setdefault(name, []).append((float(f[0]), float(f[2])))
print("medians:")
for name, v in rows.items():
    print(f"  {name:22} {statistics.median(x[0] for x in v):10.0f} msg/s {statistics.median(x[1] for x in v):6.2f} us/msg")
PY
