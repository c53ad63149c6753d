#!/usr/bin/env bash
# `make scale`: the generator holding many connections to `barrage serve` in another process, with every
# request accounted and the memory each connection costs on both sides. Points: -c 100 (the memory
# baseline), -c 5000 and -c 15000 closed model (CPU per request and memory per connection should be
# about equal at both: nothing quadratic in connections), and -c 15000 open model at a fixed rate.
# 127.0.0.1 only; the server is pinned to CPU 0, the generator to CPU 1, one thread each.
#
# usage: bench/scale.sh [BUILD_DIR]                 (default build/release)
#   SCALE_CONNS=15000      the large point (the fd hard limit here is 20,000 per process)
#   SCALE_SMALL=5000       the linearity point
#   SCALE_SECONDS=30       run length of the 5k and 15k points
#   SCALE_REPS=3           runs per point (medians with min-max)
#   SCALE_RATE=20000       open model point: -r SCALE_RATE -c SCALE_CONNS (0: skip it)
#   SCALE_OPEN_REPS=1      runs of the open model point
#   SCALE_SOURCE=127.0.0.1-127.0.0.4  --source for the generator ("" for none). One source address holds
#                          15,000 connections (28,232 ephemeral ports), but past half the range Linux's connect()
#                          probes used ports one by one: opening 15,000 took 2.9 s instead of 0.9 s.
#   SCALE_OUT=bench/results  where scale.md goes
# Needs: bash, coreutils (timeout), util-linux (taskset, setsid), procps (pgrep), GNU time (/usr/bin/time -v),
# jq, awk. Memory per connection = (peak RSS at the full count - RSS of the same server idle, or of the
# generator's -c 100 run) / connections. Exits 1 when a check fails (accounting, connect errors, count).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="${1:-build/release}"
CONNS="${SCALE_CONNS:-15000}"
SMALL="${SCALE_SMALL:-5000}"
SECS="${SCALE_SECONDS:-30}"
REPS="${SCALE_REPS:-3}"
RATE="${SCALE_RATE:-20000}"
OPEN_REPS="${SCALE_OPEN_REPS:-1}"
SOURCE="${SCALE_SOURCE-127.0.0.1-127.0.0.4}"
OUT="${SCALE_OUT:-$HERE/results}"
BASE=100
BASE_SECS=5

missing=()
for b in taskset setsid timeout pgrep jq awk /usr/bin/time; do command -v "$b" >/dev/null || missing+=("$b"); done
if ((${#missing[@]})); then
    echo "scale: missing ${missing[*]} (Debian: util-linux coreutils procps time jq gawk)" >&2
    exit 1
fi
BARRAGE="$BUILD/apps/barrage"
[[ -x "$BARRAGE" ]] || { echo "scale: no $BARRAGE; build first (make build)" >&2; exit 1; }
BARRAGE="$(cd "$(dirname "$BARRAGE")" && pwd)/barrage"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
need=$((CONNS + 100))
if (($(ulimit -n) < need)); then
    echo "scale: the open-file limit ($(ulimit -n)) is below the $need descriptors $CONNS connections need" >&2
    exit 1
fi

WORK="$(mktemp -d /tmp/barrage-scale.XXXXXX)"
groups=()  # process groups we started (setsid): the servers and the generator running now
cleanup() {
    local g
    for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
    rm -rf "$WORK"
}
forget() {  # a process group that has ended: never signal its (reusable) id again
    local g keep=()
    for g in "${groups[@]}"; do [[ "$g" != "$1" ]] && keep+=("$g"); done
    groups=("${keep[@]}")
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

kb() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
fds() { local n; n=$(ls "/proc/$1/fd" 2>/dev/null | wc -l) || n=0; echo "$n"; }
served() {  # requests the server answered, from its /metrics (the scrape itself not yet counted)
    local port=$1 body
    body=$(exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3 \
           && timeout 5 cat <&3) || { echo 0; return; }
    awk '/^barrage_http_requests_total/ { s += $2 } END { print s + 0 }' <<<"$body"
}
TICK=$(getconf CLK_TCK)

# Starts `barrage serve` (its own process group, under timeout): sets SRV (barrage's pid) and PORT.
start_server() {
    local log="$WORK/server.log"
    : >"$log"
    setsid timeout -k 3 $((SECS + 120)) taskset -c 0 "$BARRAGE" serve -l 127.0.0.1:0 -t 1 \
        --max-connections $((CONNS + 1000)) --idle-timeout 120s >"$log" 2>&1 &
    local tpid=$!
    groups+=("$tpid")
    SRV=
    PORT=
    for _ in $(seq 100); do
        PORT=$(grep -o '127\.0\.0\.1:[0-9]*' "$log" | head -1 | cut -d: -f2 || true)
        SRV=$(pgrep -P "$tpid" || true)
        [[ -n "$PORT" && -n "$SRV" ]] && break
        sleep 0.05
    done
    [[ -n "$PORT" && -n "$SRV" ]] || { echo "scale: barrage serve did not start:" >&2; cat "$log" >&2; exit 1; }
    SRV_GROUP=$tpid
    sleep 0.3
}

stop_server() {
    kill -TERM -- "-$SRV_GROUP" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SRV_GROUP" 2>/dev/null || break; sleep 0.05; done
    kill -KILL -- "-$SRV_GROUP" 2>/dev/null || true
    wait "$SRV_GROUP" 2>/dev/null || true
    forget "$SRV_GROUP"
}

# one_run POINT CONNS SECONDS [extra generator arguments]: appends one line to $WORK/runs.tsv.
one_run() {
    local point=$1 c=$2 secs=$3
    shift 3
    start_server
    local idle_rss idle_fds cpu0 served0
    idle_rss=$(kb "$SRV" VmRSS)
    idle_fds=$(fds "$SRV")
    served0=$(served "$PORT")
    cpu0=$(cpu_ticks "$SRV")
    local json="$WORK/run.json" timef="$WORK/time.txt" peak_fds=0 full_at=- t0 n
    rm -f "$json" "$timef"
    local src=()
    [[ -n "$SOURCE" ]] && src=(--source "$SOURCE")
    t0=$(date +%s.%N)
    setsid timeout -k 5 $((secs + 60)) /usr/bin/time -v -o "$timef" taskset -c 1 "$BARRAGE" \
        "http://127.0.0.1:$PORT/" -c "$c" -d "${secs}s" -t 1 --connect-timeout 10s --json "$json" -q --no-progress \
        "${src[@]}" "$@" >"$WORK/gen.log" 2>&1 &
    local gen=$!
    groups+=("$gen")
    while kill -0 "$gen" 2>/dev/null; do  # the server's descriptors: when the full count was reached
        n=$(( $(fds "$SRV") - idle_fds ))
        ((n > peak_fds)) && peak_fds=$n
        if [[ "$full_at" == - ]] && ((n >= c)); then full_at=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'); fi
        sleep 0.5
    done
    local rc=0
    wait "$gen" || rc=$?
    forget "$gen"
    local cpu1 hwm served1
    cpu1=$(cpu_ticks "$SRV")
    hwm=$(kb "$SRV" VmHWM)
    served1=$(served "$PORT")
    stop_server
    if [[ $rc -ne 0 || ! -s "$json" ]]; then
        echo "scale: $point: the generator exited with $rc" >&2
        tail -5 "$WORK/gen.log" >&2
        echo -e "$point\tFAILED" >>"$WORK/runs.tsv"
        return
    fi
    local gu gs grss
    gu=$(awk -F': ' '/User time/ { print $2 }' "$timef")
    gs=$(awk -F': ' '/System time/ { print $2 }' "$timef")
    grss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$timef")
    # point conns started succeeded failed timed_out in_flight connects connect_errors rps p50 p99 duration p99_from_2s
    # gen_user gen_sys gen_maxrss_kb srv_idle_kb srv_hwm_kb srv_cpu_s srv_answered srv_peak_conns full_at_s
    jq -r --arg point "$point" --argjson c "$c" \
        '[$point, $c, .requests.started, .requests.succeeded, .requests.failed, .requests.timed_out,
          .requests.in_flight_at_end, .connections_opened,
          (.errors.refused + .errors.connect_timeout + .errors.too_many_open_files + .errors.io_error),
          .throughput.requests_per_second, .latency_ms.p50, .latency_ms.p99, .duration_s,
          ([.timeline[2:][] | select(.requests > 0) | .p99_ms] | max // 0)] | @tsv' "$json" |
        tr -d '\n' >>"$WORK/runs.tsv"
    printf '\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$gu" "$gs" "$grss" "$idle_rss" "$hwm" \
        "$(awk -v a="$cpu0" -v b="$cpu1" -v t="$TICK" 'BEGIN { print (b - a) / t }')" \
        "$((served1 - served0 - 1))" "$peak_fds" "$full_at" >>"$WORK/runs.tsv"
    tail -1 "$WORK/runs.tsv" | awk -F'\t' '{ printf "  %s: %s req/s, %s connections, started %s, p99 %s ms\n", $1, int($10), $8, $3, $12 }' >&2
}

echo "scale: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), ephemeral ports $(tr '\t' - </proc/sys/net/ipv4/ip_local_port_range), fd limit $(ulimit -n)" >&2
load0=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$WORK/runs.tsv"
for rep in $(seq "$REPS"); do
    echo "[$rep/$REPS] c=$BASE (memory baseline), c=$SMALL, c=$CONNS closed model" >&2
    one_run "closed c=$BASE" "$BASE" "$BASE_SECS"
    one_run "closed c=$SMALL" "$SMALL" "$SECS"
    one_run "closed c=$CONNS" "$CONNS" "$SECS"
    if ((RATE > 0 && rep <= OPEN_REPS)); then
        echo "[$rep/$REPS] open model -r $RATE -c $CONNS" >&2
        one_run "open -r $RATE c=$CONNS" "$CONNS" "$SECS" -r "$RATE"
    fi
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# Medians (min-max) per point, and the checks. Memory per connection: the generator against its own
# median -c 100 run, the server against its idle RSS in the same run.
mkdir -p "$OUT"
awk -F'\t' -v base="closed c=$BASE" -v load0="$load0" -v load1="$load1" -v secs="$SECS" -v reps="$REPS" \
    -v source="${SOURCE:-none}" -v when="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -v git="$(git -C "$HERE" describe --always --dirty 2>/dev/null || echo '?')" '
function med(a, n,   i, j, t) {  # sorts a[1..n] in place, returns the median
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function fmt(x) { return x >= 100 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x) }
function stat(p, k,   n, a, i) {
    n = cnt[p]; for (i = 1; i <= n; i++) a[i] = v[p, k, i]
    m = med(a, n)
    return n == 1 || a[1] == a[n] ? fmt(m) : fmt(m) " (" fmt(a[1]) "–" fmt(a[n]) ")"
}
function median_of(p, k,   n, a, i) { n = cnt[p]; for (i = 1; i <= n; i++) a[i] = v[p, k, i]; return med(a, n) }
$2 == "FAILED" { failed_runs++; bad = bad "\n- " $1 ": the generator failed"; next }
{
    p = $1
    if (!(p in cnt)) order[++points] = p
    i = ++cnt[p]
    c[p] = $2
    acc = ($3 == $4 + $5 + $6 + $7)
    if (!acc) bad = bad "\n- " p " run " i ": started " $3 " != succeeded " $4 " + failed " $5 " + timed_out " $6 " + in_flight " $7
    if ($9 > 0) bad = bad "\n- " p " run " i ": " $9 " connect errors"
    if ($8 < $2 || $22 < $2) bad = bad "\n- " p " run " i ": " $8 " connections opened, server peak " $22 ", of " $2
    if ($5 + $6 + $7 == 0 && $21 != $4) bad = bad "\n- " p " run " i ": the server answered " $21 ", the generator counted " $4
    v[p, "rps", i] = $10; v[p, "p99s", i] = $14; v[p, "p50", i] = $11; v[p, "p99", i] = $12; v[p, "req", i] = $4
    v[p, "conns", i] = $8; v[p, "srvconns", i] = $22; v[p, "full", i] = ($23 == "-" ? 999 : $23)
    v[p, "errs", i] = $5 + $6
    v[p, "gcpu", i] = ($15 + $16) / $3 * 1e6
    v[p, "scpu", i] = $20 / ($21 > 0 ? $21 : $3) * 1e6
    v[p, "grss", i] = $17; v[p, "smem", i] = ($19 - $18) * 1024 / $2
    v[p, "gpct", i] = ($15 + $16) / $13 * 100; v[p, "spct", i] = $20 / $13 * 100
    acc_ok[p] += acc
}
END {
    gbase = median_of(base, "grss")
    for (q = 1; q <= points; q++) {
        p = order[q]
        for (i = 1; i <= cnt[p]; i++) v[p, "gmem", i] = (v[p, "grss", i] - gbase) * 1024 / (c[p] - 100)
    }
    printf "# barrage scale run\n\n%s, git %s. 127.0.0.1; `barrage serve -t 1` pinned to CPU 0, the generator `-t 1` pinned to CPU 1; ", when, git
    printf "%s s per point (the c=100 baseline: 5 s), %d run(s), median (min–max). --source: %s. Load average %s at the start, %s at the end.\n\n", secs, reps, source, load0, load1
    print "| point | connections (gen / server) | all up after | requests | req/s | p50 / p99 ms | p99 from second 2 | accounted | errors | CPU µs/req gen / server | CPU % gen / server | memory per connection gen / server |"
    print "|---|---|---|---|---|---|---|---|---|---|---|---|"
    for (q = 1; q <= points; q++) {
        p = order[q]
        mem = (p == base) ? "baseline: " fmt(median_of(p, "grss") / 1024) " MiB gen" : stat(p, "gmem") " B / " stat(p, "smem") " B"
        printf "| %s | %s / %s | %s s | %s | %s | %s / %s | %s ms | %d of %d runs | %s | %s / %s | %s / %s | %s |\n", p, stat(p, "conns"),
            stat(p, "srvconns"), stat(p, "full"), stat(p, "req"), stat(p, "rps"), stat(p, "p50"), stat(p, "p99"), stat(p, "p99s"), acc_ok[p], cnt[p],
            stat(p, "errs"), stat(p, "gcpu"), stat(p, "scpu"), stat(p, "gpct"), stat(p, "spct"), mem
    }
    print ""
    print "Accounted: started = succeeded + failed + timed_out + in_flight_at_end in the JSON report, and (when none failed) the server answered exactly the requests the generator counted. p99 from second 2: the highest per-second p99 after the first two seconds (the opening round, where every connection is made and its first request queues behind all the others, is in the overall p99). all up after: seconds from the generator start until the server held every connection (sampled every 0.5 s). Memory per connection: generator (max RSS − max RSS of the c=100 run) / (c − 100); server (peak RSS − its idle RSS) / c. CPU per request: user+sys over requests (generator: /usr/bin/time; server: /proc/PID/stat)."
    if (bad != "") { print "\n**Checks failed:**" bad; exit 1 }
    print "\nChecks: every run accounted, no connect errors, every connection up on both sides."
}' "$WORK/runs.tsv" | tee "$OUT/scale.md.tmp"
status=${PIPESTATUS[0]}
mv "$OUT/scale.md.tmp" "$OUT/scale.md"
exit "$status"
