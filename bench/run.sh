#!/usr/bin/env bash
# `make bench`: barrage beside wrk, ab, h2load and the reference Python script against one nginx worker, barrage
# with and without --pipeline 16 against nginx and `barrage serve`, the
# built-in server beside nginx and aiohttp under wrk, open-model accuracy, the coordinated-omission demo,
# the open model at 10k-60k req/s (beside wrk2 when WRK2 is set),
# and the Google Benchmark micro-benchmarks. Everything on 127.0.0.1, server on CPU 0, generator on CPU 1.
#
# usage: bench/run.sh [BUILD_DIR]          (default build/release)
#   BENCH_QUICK=1        1 run per figure, 2 s runs: about 2 minutes (the full run: about 7-9 minutes)
#   BENCH_REPS=N         runs per figure in the full mode (default 3)
#   BENCH_REFERENCE_DIR  directory holding the reference seed.py and aioserver.py (default ../shared/anchors)
#   BENCH_OUT            where latest.json and latest.md go (default bench/results)
#   BENCH_ONLY           sections to run, comma-separated: generators,pipelining,servers,tls,h2,accuracy,micro,h2servers,open (default all)
#   WRK2=/path/to/wrk    wrk2 (not in Debian; built by hand, docs/benchmarks.md) beside barrage's open model
# Needs: taskset, nginx (nginx-light), wrk, ab (apache2-utils), Debian's /usr/bin/python3 with python3-aiohttp
# and python3-uvloop; h2load (nghttp2-client) is used when installed. Writes bench/results/latest.{json,md}.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BUILD="${1:-build/release}"

missing=()
for b in taskset nginx wrk ab timeout /usr/bin/python3; do command -v "$b" >/dev/null || missing+=("$b"); done
if ((${#missing[@]})); then
    echo "bench: missing ${missing[*]} (Debian: util-linux nginx-light wrk apache2-utils coreutils python3)" >&2
    exit 1
fi
[[ -x "$BUILD/apps/barrage" ]] || { echo "bench: no $BUILD/apps/barrage; build first (make build)" >&2; exit 1; }
BUILD="$(cd "$BUILD" && pwd)"
[[ "$(nproc)" -ge 2 ]] || echo "bench: warning: fewer than 2 CPUs; CPU 1 pinning will fail" >&2

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true   # c=1000 runs need a few thousand descriptors

args=(run "$BUILD" --out "${BENCH_OUT:-$HERE/results}")
limit=1300
if [[ "${BENCH_QUICK:-0}" != 0 ]]; then
    args+=(--quick)
    limit=400
else
    args+=(--reps "${BENCH_REPS:-3}")
fi
[[ -n "${BENCH_REFERENCE_DIR:-}" ]] && args+=(--refdir "$BENCH_REFERENCE_DIR")
[[ -n "${BENCH_ONLY:-}" ]] && args+=(--only "$BENCH_ONLY")

# The harness stops every server it started (its own process groups) on exit and on signals; the whole run is
# bounded by `timeout`, and this trap forwards an interrupt to it.
pid=
cleanup() {
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

cd "$ROOT"
timeout -k 10 "$limit" /usr/bin/python3 "$HERE/compare.py" "${args[@]}" &
pid=$!
wait "$pid"
