#!/usr/bin/env bash
# Server CPU per request and req/s for GET /: `barrage serve` (1 thread) on epoll and on io_uring
# beside nginx (1 worker, `return 200`, access log off), each pinned to CPU 0, under one
# generator pinned to CPU 1 (-c 100, one thread), in turn, REPS rounds. Prints one line per run
# and the medians. GEN=wrk (default) is the issue's "same wrk load"; GEN=barrage uses barrage's
# own generator, which costs less per request than the servers do, so the server is the limit.
# Beside them, the floors (bench/serve_floor.c, built here with cc -luring; skipped with a note
# when that fails): a server that only finds each request's "\r\n\r\n" and answers a fixed 200 of
# nginx's size, on edge-triggered epoll ("floor-epoll") and on io_uring batching like barrage's
# backend ("floor-io_uring"). Each line ends with the server's user share of its CPU.
# Usage: bench/servers.sh BUILD_DIR [REPS=3] [DURATION=5]      (env GEN=wrk|barrage)
set -euo pipefail
BUILD=${1:?build dir}; REPS=${2:-3}; DUR=${3:-5}; GEN=${GEN:-wrk}
BARRAGE="$(cd "$BUILD" && pwd)/apps/barrage"
for b in taskset nginx wrk curl python3; do command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 1; }; done
tck=$(getconf CLK_TCK)

source "$(dirname "$0")/lib/nginx.sh"
dir=$(mktemp -d /tmp/barrage-servers-XXXXXX)
nport=$(free_port); bport=$(free_port); fport=$(free_port); uport=$(free_port)  # one each: an io_uring
# server's listening socket can outlive its process by a moment (the ring is torn down after exit)
nginx_config "$dir" "$nport"
server_pid=
cleanup() { [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

# CPU ticks "user sys" of processes (nginx: master and worker).
ticks() {
  local u=0 s=0 p a b
  for p in "$@"; do read -r a b < <(awk '{print $14, $15}' "/proc/$p/stat"); u=$((u + a)); s=$((s + b)); done
  echo "$u $s"
}
floors=
if cc -O2 -o "$dir/serve_floor" "$(dirname "$0")/serve_floor.c" -luring 2>"$dir/cc.err"; then
  floors="epoll uring"
else
  echo "note: bench/serve_floor.c did not build (cc -luring: $(head -1 "$dir/cc.err")); its rows are skipped" >&2
fi

results="$dir/results"
# measure NAME PORT PIDS...: one generator run against the server on PORT; appends "NAME req/s us/req cpu%".
measure() {
  local name=$1 port=$2; shift 2
  local u0 s0 u1 s1 n
  read -r u0 s0 < <(ticks "$@")
  if [[ $GEN == wrk ]]; then
    n=$(taskset -c 1 wrk -t1 -c100 -d"${DUR}s" "http://127.0.0.1:$port/" | awk '/requests in/{print $1}')
  else
    taskset -c 1 "$BARRAGE" "http://127.0.0.1:$port/" -c 100 -t 1 -d "${DUR}s" --no-progress -q --json "$dir/g.json" >/dev/null
    n=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['requests']['succeeded'])" "$dir/g.json")
  fi
  read -r u1 s1 < <(ticks "$@")
  python3 - "$name" "$n" "$((u1 - u0))" "$((s1 - s0))" "$tck" "$DUR" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY' | tee -a "$results"
import sys
name, n, u, s, tck, dur, load = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
cpu = (u + s) / tck
print(f"{name:18} {n / dur:10.0f} req/s {cpu * 1e6 / n:6.2f} us/req  server {100 * cpu / dur:3.0f}% cpu  load {load}"
      f"  user {100 * u / max(u + s, 1):.0f}%")
PY
}

for _ in $(seq "$REPS"); do
  for be in epoll io_uring; do
    BARRAGE_IO_BACKEND=$be taskset -c 0 "$BARRAGE" serve -l "127.0.0.1:$bport" -q & server_pid=$!
    wait_up "$bport"; measure "barrage-$be" "$bport" "$server_pid"
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
  done
  taskset -c 0 nginx -c "$dir/nginx.conf" -p "$dir" & server_pid=$!
  wait_up "$nport"; measure nginx "$nport" "$server_pid" $(pgrep -P "$server_pid")
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
  for mode in $floors; do
    port=$fport; [[ $mode == uring ]] && port=$uport
    taskset -c 0 "$dir/serve_floor" -m "$mode" -p "$port" & server_pid=$!
    wait_up "$port"; measure "floor-${mode/uring/io_uring}" "$port" "$server_pid"
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
  done
done

python3 - "$results" "$GEN" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], []).append((float(f[1]), float(f[3])))
med = {k: (statistics.median(r for r, _ in v), statistics.median(u for _, u in v)) for k, v in rows.items()}
for k, v in rows.items():
    rs = [r for r, _ in v]
    print(f"{k:18} req/s median {med[k][0]:,.0f} ({min(rs):,.0f}-{max(rs):,.0f})  server us/req median {med[k][1]:.2f}")
for k in ("barrage-epoll", "barrage-io_uring", "floor-epoll", "floor-io_uring"):
    if k in med:
        print(f"{k} / nginx under {sys.argv[2]}: {med[k][0] / med['nginx'][0]:.2f}x req/s, {med[k][1] / med['nginx'][1]:.2f}x CPU per request")
for be in ("epoll", "io_uring"):
    if f"floor-{be}" in med:
        b, f = med[f"barrage-{be}"], med[f"floor-{be}"]
        print(f"barrage-{be} / floor-{be}: {b[0] / f[0]:.2f}x req/s, {b[1] / f[1]:.2f}x CPU per request")
# CPU per request ratios round by round (the k-th run of each server is in round k).
for a, b in (("floor-epoll", "nginx"), ("floor-io_uring", "nginx"), ("barrage-io_uring", "nginx"),
             ("barrage-io_uring", "floor-io_uring"), ("barrage-epoll", "floor-epoll")):
    if a in rows and b in rows:
        q = [x[1] / y[1] for x, y in zip(rows[a], rows[b])]
        print(f"{a} / {b} CPU per request within rounds: median {statistics.median(q):.2f}x ({min(q):.2f}-{max(q):.2f})")
PY
