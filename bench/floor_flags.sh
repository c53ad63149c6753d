#!/usr/bin/env bash
# CPU per request of the io_uring floors with and without their flags (fixed files, registered
# send buffers), in interleaved rounds: each round runs every variant once, in turn, and each
# variant's CPU per request is divided by the plain floor's of the same round; the medians of
# those per-round ratios are the figures (the machine is shared). docs/performance.md, session 12.
#   client: bench/uring_floor.c against one nginx worker (CPU 0), the client on CPU 1, CPU =
#           user + sys of the client from /usr/bin/time.
#   server: bench/serve_floor.c -m uring on CPU 0 under uring_floor -c CONNS on CPU 1, CPU = the
#           server's user + sys ticks from /proc/PID/stat.
# Usage: bench/floor_flags.sh client|server [ROUNDS=5] [DURATION=4] [CONNECTIONS=100] [VARIANTS...]
#   VARIANTS: flag sets, each one word with commas for spaces ("-f", "-f,-z"); the plain floor is
#   always first. Defaults: client "-f -z -w", server "-f -z".
set -euo pipefail
WHAT=${1:?client or server}; ROUNDS=${2:-5}; DUR=${3:-4}; CONNS=${4:-100}; shift $(($# < 4 ? $# : 4))
if [[ $# -gt 0 ]]; then variants=("$@"); elif [[ $WHAT == client ]]; then variants=(-f -z -w); else variants=(-f -z); fi
variants=(plain "${variants[@]}")
for b in taskset nginx /usr/bin/time python3 cc; do command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 1; }; done
source "$(dirname "$0")/lib/nginx.sh"
dir=$(mktemp -d /tmp/barrage-floorflags-XXXXXX)
server_pid=
cleanup() { [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
cc -O2 -o "$dir/uring_floor" "$(dirname "$0")/uring_floor.c" -luring
cc -O2 -o "$dir/serve_floor" "$(dirname "$0")/serve_floor.c" -luring
tck=$(getconf CLK_TCK)
flags() { [[ $1 == plain ]] && return 0; echo "${1//,/ }"; }
if [[ $WHAT == client ]]; then
  port=$(free_port); nginx_config "$dir" "$port"
  taskset -c 0 nginx -c "$dir/nginx.conf" -p "$dir" & server_pid=$!
  wait_up "$port"
fi
echo "variant       requests  us/req  enters/req  load1" >&2
for _ in $(seq "$ROUNDS"); do
  for v in "${variants[@]}"; do
    sleep 1
    load=$(cut -d' ' -f1 /proc/loadavg)
    if [[ $WHAT == client ]]; then
      # shellcheck disable=SC2046
      /usr/bin/time -f '%U %S' -o "$dir/time" taskset -c 1 "$dir/uring_floor" -p "$port" -c "$CONNS" -d "$DUR" $(flags "$v") >"$dir/out"
      cpu=$(awk '{print $1 + $2}' "$dir/time")
    else
      port=$(free_port)
      # shellcheck disable=SC2046
      taskset -c 0 "$dir/serve_floor" -m uring -p "$port" $(flags "$v") & server_pid=$!
      wait_up "$port"
      read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$server_pid/stat")
      taskset -c 1 "$dir/uring_floor" -p "$port" -c "$CONNS" -d "$DUR" >"$dir/out"
      read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$server_pid/stat")
      kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
      cpu=$(python3 -c "print(($u1 - $u0 + $s1 - $s0) / $tck)")
    fi
    reqs=$(grep -o 'requests=[0-9]*' "$dir/out" | cut -d= -f2)
    enters=$(grep -o 'enters=[0-9]*' "$dir/out" | cut -d= -f2)
    awk -v n="$v" -v r="$reqs" -v c="$cpu" -v e="$enters" -v l="$load" \
      'BEGIN { printf "%-12s %9d %7.3f %11.3f  %s\n", n, r, c * 1e6 / r, e / r, l }'
  done
done | tee "$dir/results" >&2
python3 - "$dir/results" "$WHAT" "$CONNS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
names = list(dict.fromkeys(r[0] for r in rows))
us = {n: [float(r[2]) for r in rows if r[0] == n] for n in names}
print(f"{sys.argv[2]} floor, c = {sys.argv[3]}: us of CPU per request, median (min-max); ratio to plain within rounds")
for n in names:
    line = f"{n:12s} {statistics.median(us[n]):.3f} ({min(us[n]):.3f}-{max(us[n]):.3f})"
    if n != "plain":
        q = [a / b for a, b in zip(us[n], us["plain"])]
        line += f"  / plain: median {statistics.median(q):.3f} ({min(q):.3f}-{max(q):.3f}) over {len(q)} rounds"
    print(line)
PY
