#!/usr/bin/env bash
# Generator CPU per completed request: barrage on epoll, barrage on io_uring and wrk, in
# turn, against one nginx worker (`return 200`, access log off) pinned to CPU 0, each
# generator pinned to CPU 1. Prints one line per run and the medians (docs/performance.md).
# When ../shared/anchors/limit/cli_epoll.c is beside the checkout, it also runs that minimal
# C epoll client (no HTTP parsing beyond the framing, no statistics): the floor an epoll
# client can reach on this machine, which shows how much of the gap to wrk is left to take.
# Beside it, "uring_floor" (bench/uring_floor.c, built here with cc -luring; skipped with a note
# when that fails): the same minimal client batching like barrage's io_uring backend (multishot
# receives into a provided-buffer ring, sends as SQEs, one io_uring_enter per loop turn).
# Each line ends with the generator's user and system seconds.
# Usage: bench/backends.sh BUILD_DIR [REPS=3] [DURATION=5] [CONNECTIONS=100]
set -euo pipefail
BUILD=${1:?build dir}; REPS=${2:-3}; DUR=${3:-5}; CONNS=${4:-100}
BARRAGE="$(cd "$BUILD" && pwd)/apps/barrage"
for b in taskset nginx wrk /usr/bin/time python3; do command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 1; }; done

source "$(dirname "$0")/lib/nginx.sh"
dir=$(mktemp -d /tmp/barrage-backends-XXXXXX)
port=$(free_port)
nginx_config "$dir" "$port"
taskset -c 0 nginx -c "$dir/nginx.conf" -p "$dir" &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null; rm -rf "$dir"' EXIT
wait_up "$port"
url="http://127.0.0.1:$port/"
floor_src="$(dirname "$0")/../../shared/anchors/limit/cli_epoll.c"
tools="epoll io_uring wrk"
if [[ -f $floor_src ]] && cc -O2 -o "$dir/cli_epoll" "$floor_src" 2>/dev/null; then tools="$tools floor"; fi
if cc -O2 -o "$dir/uring_floor" "$(dirname "$0")/uring_floor.c" -luring 2>"$dir/cc.err"; then
  tools="$tools uring_floor"
else
  echo "note: bench/uring_floor.c did not build (cc -luring: $(head -1 "$dir/cc.err")); its row is skipped" >&2
fi

# run NAME CMD...: prints "NAME requests req/s cpu_s us_per_req load1 user_s sys_s"
run() {
  local name=$1; shift
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f '%U %S' -o "$dir/time" "$@" >"$dir/out" 2>"$dir/err" || { cat "$dir/err" >&2; return 1; }
  local cpu reqs rps
  cpu=$(awk '{print $1 + $2}' "$dir/time")
  if [[ $name == floor || $name == uring_floor ]]; then
    reqs=$(grep -o 'requests=[0-9]*' "$dir/out" | cut -d= -f2)
    rps=$(grep -o 'rps=[0-9.]*' "$dir/out" | cut -d= -f2)
  elif [[ $name == wrk ]]; then
    reqs=$(awk '/requests in/ {print $1}' "$dir/out")
    rps=$(awk '/Requests\/sec/ {print $2}' "$dir/out")
  else
    read -r reqs rps < <(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=j["requests"]
print(r["succeeded"] + r["failed"] + r["timed_out"], j["throughput"]["requests_per_second"])' "$dir/out.json")
  fi
  read -r usr sys <"$dir/time"
  awk -v n="$name" -v r="$reqs" -v s="$rps" -v c="$cpu" -v l="$load" -v u="$usr" -v y="$sys" \
    'BEGIN { printf "%-11s %9d %10.0f %6.2f %6.2f %-5s %6.2f %6.2f\n", n, r, s, c, c * 1e6 / r, l, u, y }'
}

echo "tool         requests      req/s  cpu_s  us/req load1  user_s  sys_s" >&2
results=$dir/results
for rep in $(seq "$REPS"); do
  for tool in $tools; do
    sleep 1
    if [[ $tool == floor ]]; then
      run floor taskset -c 1 "$dir/cli_epoll" -p "$port" -c "$CONNS" -d "$DUR"
    elif [[ $tool == uring_floor ]]; then
      run uring_floor taskset -c 1 "$dir/uring_floor" -p "$port" -c "$CONNS" -d "$DUR"
    elif [[ $tool == wrk ]]; then
      run wrk taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" "$url"
    else
      BARRAGE_IO_BACKEND=$tool run "$tool" taskset -c 1 "$BARRAGE" "$url" -c "$CONNS" -t 1 -d "${DUR}s" \
        --no-progress --json "$dir/out.json"
    fi
  done
done | tee "$results" >&2

python3 - "$results" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {}
for tool in ("epoll", "io_uring", "wrk", "floor", "uring_floor"):
    us = [float(r[4]) for r in rows if r[0] == tool]
    if not us:
        continue
    rps = [float(r[2]) for r in rows if r[0] == tool]
    usr = statistics.median(float(r[6]) * 1e6 / float(r[1]) for r in rows if r[0] == tool)
    med[tool] = statistics.median(us)
    print(f"{tool:11s} us/req median {med[tool]:.2f} ({min(us):.2f}-{max(us):.2f}), user {usr:.2f}  "
          f"req/s median {statistics.median(rps):.0f} ({min(rps):.0f}-{max(rps):.0f})")
loads = [float(r[5]) for r in rows]
print(f"load1 {min(loads):.2f}-{max(loads):.2f}")
names = {"floor": "minimal C epoll client (floor)", "uring_floor": "minimal C io_uring client (uring_floor)"}
for tool in ("epoll", "io_uring", "floor", "uring_floor"):
    if tool in med:
        print(f"{names.get(tool, 'barrage ' + tool)} / wrk CPU per request: {med[tool] / med['wrk']:.2f}x")
for tool, floor in (("epoll", "floor"), ("io_uring", "uring_floor")):
    if tool in med and floor in med:
        print(f"barrage {tool} / {floor} CPU per request: {med[tool] / med[floor]:.2f}x")
# The same ratios round by round (the k-th run of each tool is in round k): the machine is shared.
def rounds(a, b):
    xs = [float(r[4]) for r in rows if r[0] == a]
    ys = [float(r[4]) for r in rows if r[0] == b]
    return [x / y for x, y in zip(xs, ys)]
for a, b in (("floor", "wrk"), ("uring_floor", "wrk"), ("io_uring", "wrk"), ("io_uring", "uring_floor")):
    if a in med and b in med:
        q = rounds(a, b)
        print(f"{a} / {b} within rounds: median {statistics.median(q):.2f}x ({min(q):.2f}-{max(q):.2f})")
EOF
