#!/usr/bin/env bash
# `barrage serve` against real clients: curl, wrk and ab, on an ephemeral loopback port.
#   server_clients_test.sh BARRAGE
# A missing client fails the test (tools/install-deps.sh installs all three): a skip would go
# unnoticed. Bounded: about 10 s.
set -u
barrage=$1
for tool in curl wrk ab; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (tools/install-deps.sh installs it)"; exit 1; }
done
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$work/err" ] && sed 's/^/  server stderr: /' "$work/err"; exit 1; }

"$barrage" serve --listen 127.0.0.1:0 --threads 2 >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 50); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
line=$(head -1 "$work/out")
port=$(sed -nE 's|.*listening on http://127\.0\.0\.1:([0-9]+).*|\1|p' <<<"$line")
[ -n "$port" ] || fail "no startup line with the port: '$line'"
url=http://127.0.0.1:$port
echo "serving on $url"

# curl: routes, bodies both ways, keep-alive, HEAD, errors
[ "$(curl -sS "$url/")" = "hello" ] || fail "GET /"
[ "$(curl -sS -o /dev/null -w '%{http_code}' "$url/status/418")" = 418 ] || fail "GET /status/418"
[ "$(curl -sS -o /dev/null -w '%{http_code}' "$url/nowhere")" = 404 ] || fail "404"
[ "$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$url/")" = 405 ] || fail "405"
[ "$(curl -sS --data-binary 'abc=1&x' "$url/echo")" = "abc=1&x" ] || fail "POST /echo"
[ "$(printf 'chunked body' | curl -sS -H 'Transfer-Encoding: chunked' --data-binary @- "$url/echo")" = "chunked body" ] \
  || fail "chunked upload"
head -c 300000 /dev/urandom >"$work/big"
curl -sS --data-binary @"$work/big" "$url/echo" -o "$work/big.back" || fail "big upload"
[ "$(curl -sS -o /dev/null -w '%{http_code}' --data-binary @"$work/big" "$url/echo")" = 200 ] || fail "300 kB body"
head -c 2000000 /dev/zero >"$work/huge"
[ "$(curl -sS -o /dev/null -w '%{http_code}' --data-binary @"$work/huge" "$url/echo")" = 413 ] || fail "413"
cmp -s "$work/big" "$work/big.back" || fail "echoed body differs"
[ "$(curl -sS "$url/bytes/1MiB" | wc -c)" = 1048576 ] || fail "/bytes/1MiB"
[ "$(curl -sS "$url/bytes/5MiB" | wc -c)" = 5242880 ] || fail "/bytes/5MiB"
[ "$(curl -sSN "$url/stream/3?interval=10ms" | wc -l)" = 3 ] || fail "/stream"
[ "$(curl -sS -H 'Cookie: a=1; b=2' "$url/cookies")" = "$(printf 'a=1\nb=2')" ] || fail "/cookies"
curl -sS -X POST -d '{"user":"u","password":"p"}' "$url/login" | grep -q '"token"' || fail "/login"
curl -sSI "$url/" | grep -qi '^content-length: 6' || fail "HEAD"
t=$(curl -sS -o /dev/null -w '%{time_total}' "$url/delay/200ms")
awk -v t="$t" 'BEGIN { exit !(t >= 0.2 && t < 2) }' || fail "/delay/200ms took $t s"
n=$(curl -sS -w '%{num_connects}\n' "$url/" "$url/" "$url/" -o /dev/null -o /dev/null -o /dev/null | awk '{ s += $1 } END { print s }')
[ "$n" = 1 ] || fail "curl used $n connections for 3 requests (keep-alive)"

# wrk: 2 s of keep-alive load; every answer a 200
wrk -t1 -c20 -d2s "$url/" >"$work/wrk" 2>&1 || fail "wrk failed: $(cat "$work/wrk")"
grep -q "Non-2xx\|Socket errors" "$work/wrk" && fail "wrk saw errors: $(cat "$work/wrk")"
rps=$(sed -nE 's/^Requests\/sec: *([0-9.]+).*/\1/p' "$work/wrk")
echo "wrk: $rps requests/s"
awk -v r="$rps" 'BEGIN { exit !(r > 1000) }' || fail "wrk: only $rps requests/s"

# ab: keep-alive and not, with a body
ab -q -k -n 3000 -c 10 "$url/" >"$work/ab" 2>&1 || fail "ab -k failed: $(cat "$work/ab")"
grep -qE "^Failed requests: +0" "$work/ab" || fail "ab -k: $(grep -E 'Failed|Non-2xx' "$work/ab")"
grep -qE "^Keep-Alive requests: +3000" "$work/ab" || fail "ab -k: not every request kept alive"
printf 'posted' >"$work/post"
ab -q -n 500 -c 5 -p "$work/post" -T text/plain "$url/echo" >"$work/ab2" 2>&1 || fail "ab POST failed"
grep -qE "^Failed requests: +0" "$work/ab2" || fail "ab POST: $(grep Failed "$work/ab2")"

# /metrics counted all of it
metrics=$(curl -sS "$url/metrics")
grep -q '^barrage_http_requests_total{code="200"} [0-9]' <<<"$metrics" || fail "/metrics: no 200 count"
grep -q '^# TYPE barrage_http_request_duration_seconds histogram' <<<"$metrics" || fail "/metrics: no histogram"

# A second server on the same port: one clear line, non-zero exit.
"$barrage" serve --listen "127.0.0.1:$port" >"$work/out2" 2>"$work/err2"
status=$?
[ $status -ne 0 ] || fail "a second server on port $port started"
[ "$(wc -l <"$work/err2")" = 1 ] || fail "port in use: want one line, got: $(cat "$work/err2")"
grep -q "cannot listen on 127.0.0.1:$port: Address already in use" "$work/err2" || fail "port in use: $(cat "$work/err2")"

# Out of descriptors (EMFILE): accepting pauses instead of spinning, and resumes.
(ulimit -n 24; exec "$barrage" serve --listen 127.0.0.1:0 >"$work/out3" 2>"$work/err3") &
pid3=$!
for _ in $(seq 50); do grep -q "listening on" "$work/out3" 2>/dev/null && break; sleep 0.1; done
port3=$(sed -nE 's|.*listening on http://127\.0\.0\.1:([0-9]+).*|\1|p' "$work/out3")
[ -n "$port3" ] || { kill "$pid3"; fail "the EMFILE server did not start: $(cat "$work/err3")"; }
python3 - "$port3" "$pid3" <<'PY' || { kill "$pid3"; fail "EMFILE: see above"; }
import os, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
def cpu():
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]  # more than its descriptors
time.sleep(0.3)
c0 = cpu(); time.sleep(1.0); c1 = cpu()
if c1 - c0 > 0.3:
    print("EMFILE: the server spun (%.2f s of CPU in 1 s)" % (c1 - c0)); sys.exit(1)
for s in held: s.close()
time.sleep(0.3)
s = socket.create_connection(("127.0.0.1", port), timeout=3)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
while b"hello" not in data:
    chunk = s.recv(4096)
    if not chunk: break
    data += chunk
if not data.startswith(b"HTTP/1.1 200"):
    print("EMFILE: no answer after the descriptors came back: %r" % data[:100]); sys.exit(1)
print("EMFILE: accepting paused (%.2f s CPU in 1 s) and resumed" % (c1 - c0))
PY
kill -TERM "$pid3"
wait "$pid3" || fail "the EMFILE server exited $?"

# SIGTERM: the request in flight is answered, then the server exits 0.
curl -sS -o "$work/inflight" -w '%{http_code}' "$url/delay/500ms" >"$work/inflight.code" &
curl_pid=$!
sleep 0.2
kill -TERM "$pid"
wait "$curl_pid"
[ "$(cat "$work/inflight.code")" = 200 ] || fail "in-flight request during shutdown: $(cat "$work/inflight.code")"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "still running 5 s after SIGTERM"
wait "$pid"
status=$?
pid=
[ $status -eq 0 ] || fail "exit status $status after SIGTERM"
echo "PASS"
