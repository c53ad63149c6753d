#!/usr/bin/env bash
# User-space instructions per request of one or more barrage binaries against one nginx worker,
# counted by valgrind's callgrind: a count that does not move with the machine's load, for
# comparing two builds on a busy machine (CPU time per request needs a quiet one:
# bench/backends.sh). Each binary runs -n N and -n 2N on one thread; the difference divided by
# N is the cost of a request with setup and teardown cancelled out. Kernel time is not counted.
# With -r RATE the open model at that rate (N/RATE seconds per run): the loop's wake-ups per
# request show in the count (valgrind runs the program ~50x slower: keep RATE a few thousand).
# Usage: bench/instructions.sh [-n N] [-c CONNS] [--pipeline D] [-r RATE] BARRAGE [BARRAGE ...]
set -euo pipefail
N=20000; CONNS=10; PIPE=1; RATE=
while [[ $# -gt 0 && $1 == -* ]]; do
  case $1 in
    -n) N=$2; shift 2 ;;
    -c) CONNS=$2; shift 2 ;;
    --pipeline) PIPE=$2; shift 2 ;;
    -r) RATE=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $# -ge 1 ]] || { echo "usage: $0 [-n N] [-c CONNS] [--pipeline D] [-r RATE] BARRAGE [BARRAGE ...]" >&2; exit 2; }
rate_args=()
[[ -n "$RATE" ]] && rate_args=(-r "$RATE")
for b in valgrind nginx curl; do command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 1; }; done

source "$(dirname "$0")/lib/nginx.sh"
dir=$(mktemp -d /tmp/barrage-instructions-XXXXXX)
port=$(free_port)
nginx_config "$dir" "$port"
nginx -c "$dir/nginx.conf" -p "$dir" &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null; rm -rf "$dir"' EXIT
wait_up "$port"

instructions() {  # BARRAGE REQUESTS: prints the instructions callgrind collected
  valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$1" "http://127.0.0.1:$port/" -n "$2" \
    -c "$CONNS" -t 1 --pipeline "$PIPE" "${rate_args[@]}" --no-progress -q 2>&1 | awk '/Collected :/ {print $4}'
}

echo "instructions per request (user space), -c $CONNS --pipeline $PIPE ${RATE:+-r $RATE}, runs of $N and $((2 * N)) requests"
for b in "$@"; do
  one=$(instructions "$b" "$N")
  two=$(instructions "$b" $((2 * N)))
  awk -v a="$one" -v b="$two" -v n="$N" -v name="$b" 'BEGIN { printf "%10.1f  %s\n", (b - a) / n, name }'
done
