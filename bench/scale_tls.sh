#!/usr/bin/env bash
# The generator's memory per HTTPS connection, measured as `make scale` measures plain TCP: the
# maximum RSS of a run holding N connections minus that of a -c 100 run, over N - 100. Against one
# nginx worker with TLS (ECDSA P-256, TLS 1.3, session tickets; the server side of barrage is
# measured by bench/scale.sh), both on 127.0.0.1, nginx pinned to CPU 0 and the generator (-t 1) to
# CPU 1. Points, for each binary given:
#   idle    -c N -r RATE: every connection opened in the first N/RATE seconds, then idle between
#           its requests (what "N idle TLS connections" means for the generator)
#   closed  -c N closed model: every connection always waiting for its response
# Every run is checked: started = succeeded + failed + timed_out + in_flight_at_end, no errors.
#
# usage: bench/scale_tls.sh [BARRAGE ...]        (default build/release/apps/barrage)
#   SCALE_TLS_CONNS=10000  SCALE_TLS_RATE=2000  SCALE_TLS_SECONDS=10
# Needs nginx (nginx-light), openssl, jq, GNU time, taskset.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONNS="${SCALE_TLS_CONNS:-10000}"
RATE="${SCALE_TLS_RATE:-2000}"
SECS="${SCALE_TLS_SECONDS:-10}"
BASE=100
(($# > 0)) || set -- "$HERE/../build/release/apps/barrage"
for b in nginx openssl jq taskset /usr/bin/time; do command -v "$b" >/dev/null || { echo "scale_tls: missing $b" >&2; exit 1; }; done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) >= CONNS + 100)) || { echo "scale_tls: the open-file limit $(ulimit -n) is below $((CONNS + 100))" >&2; exit 1; }

source "$HERE/lib/nginx.sh"
dir=$(mktemp -d /tmp/barrage-scale-tls-XXXXXX)
port=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
cat >"$dir/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $dir/nginx.pid; error_log $dir/error.log; worker_rlimit_nofile $((CONNS + 1000));
events { worker_connections $((CONNS + 1000)); }
http { access_log off; client_body_temp_path $dir; proxy_temp_path $dir;
  fastcgi_temp_path $dir; uwsgi_temp_path $dir; scgi_temp_path $dir;
  keepalive_requests 100000000; keepalive_timeout 300s;
  server { listen 127.0.0.1:$port ssl backlog=16384; ssl_certificate $dir/cert.pem; ssl_certificate_key $dir/key.pem;
    ssl_protocols TLSv1.3; ssl_session_cache shared:s:10m; ssl_session_tickets on;
    location = / { return 200 "hello\n"; } } }
CONF
taskset -c 0 nginx -c "$dir/nginx.conf" -p "$dir" &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sk -o /dev/null "https://127.0.0.1:$port/" && break; sleep 0.05; done

run() {  # BARRAGE CONNS [args]: prints "maxrss_kb started accounted errors"
  local b=$1 c=$2
  shift 2
  /usr/bin/time -f %M -o "$dir/rss" taskset -c 1 "$b" "https://127.0.0.1:$port/" --cacert "$dir/cert.pem" -c "$c" -t 1 \
    -d "${SECS}s" --connect-timeout 60s --timeout 60s --no-progress -q --json "$dir/run.json" "$@" >/dev/null 2>"$dir/err" ||
    { echo "scale_tls: $b -c $c failed:" >&2; cat "$dir/err" >&2; exit 1; }
  jq -r --arg rss "$(cat "$dir/rss")" '.requests as $q | [$rss, $q.started,
    ($q.started == $q.succeeded + $q.failed + $q.timed_out + $q.in_flight_at_end), $q.failed + $q.timed_out,
    .connections_opened] | @tsv' "$dir/run.json"
}

echo "generator memory per TLS connection: nginx 1 worker TLS 1.3 P-256, -t 1, ${SECS} s per run"
printf '%-8s %8s %12s %10s %9s %7s  %s\n' point conns "max RSS" "per conn" requests errors binary
for b in "$@"; do
  read -r base_rss _ _ _ _ < <(run "$b" "$BASE" -r 100)
  for point in idle closed; do
    args=()
    [[ $point == idle ]] && args=(-r "$RATE")
    read -r rss started accounted errors opened < <(run "$b" "$CONNS" "${args[@]}")
    [[ $accounted == true ]] || echo "scale_tls: $point run not accounted" >&2
    awk -v p="$point" -v c="$opened" -v r="$rss" -v b0="$base_rss" -v n="$CONNS" -v s="$started" -v e="$errors" -v bin="$b" \
      'BEGIN { printf "%-8s %8d %9.1f MiB %7.0f B %9d %7d  %s\n", p, c, r / 1024, (r - b0) * 1024 / (n - 100), s, e, bin }'
  done
done
