#!/usr/bin/env bash
# Scenarios (issue 18), generator CPU per request, side by side, pinned:
#  1. the login-then-call flow (POST /login, GET /api/items, GET /api/items/{id} with the token
#     captured from /login) against `barrage serve` (pinned to CPU 0): barrage's requests per
#     generator CPU-second against Locust's (Debian's python3-locust, FastHttpUser, headless),
#     each generator pinned to CPU 1. Target: barrage >= 30x Locust. Beside them Artillery's HTTP
#     engine (npm artillery, BARRAGE_BENCH_TOOLS=1 tools/install-deps.sh), the same flow with
#     `capture` (USERS virtual users, each looping ARTILLERY_COUNT times). Target: barrage >= 20x.
#  2. a two-step flow with one JSON capture (POST /echo {"id": N}, capture /id, then GET
#     /status/200?id={{id}}) against the single-URL path (GET /status/200), both barrage, same
#     server: CPU per request. Target: the flow <= 1.3x the single URL.
#  3. a --targets file of 10,000 distinct URLs (GET /status/200?i=N) against the single URL:
#     CPU per request of the whole run, its report of 10,000 targets included. Target: <= 1.1x.
# Prints one line per run and the ratios. The CPU figures are user + system of the generator
# process (/usr/bin/time). On a shared machine the ratios move with the load: the load average
# is printed with each run.
# Usage: bench/scenarios.sh BUILD_DIR [DURATION=5] [USERS=50]
set -euo pipefail
BUILD=${1:?build dir}; DUR=${2:-5}; USERS=${3:-50}
BARRAGE="$(cd "$BUILD" && pwd)/apps/barrage"
LOCUST=/usr/bin/locust
for b in taskset /usr/bin/time /usr/bin/python3 "$LOCUST"; do command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 1; }; done

source "$(dirname "$0")/lib/nginx.sh"  # free_port
dir=$(mktemp -d /tmp/barrage-scenarios-XXXXXX)
port=$(free_port)
taskset -c 0 "$BARRAGE" serve --listen "127.0.0.1:$port" --threads 1 >"$dir/serve.log" 2>&1 &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null; wait $serve_pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do grep -q "listening on" "$dir/serve.log" && break; sleep 0.1; done
base="http://127.0.0.1:$port"

cat >"$dir/login.yaml" <<EOF
base_url: $base
flows:
  - name: login_then_api
    steps:
      - name: login
        method: POST
        path: /login
        body:
          json: {user: "user{{user}}", password: "secret"}
        capture:
          token: {json: /token}
        expect: {status: 200, captures: [token]}
      - name: items
        path: /api/items
        headers: {Authorization: "Bearer {{token}}"}
        capture:
          first_id: {json: /items/0/id}
        expect: {status: 200, captures: [first_id]}
      - name: item
        path: /api/items/{{first_id}}
        headers: {Authorization: "Bearer {{token}}"}
EOF
cat >"$dir/capture.yaml" <<EOF
base_url: $base
flows:
  - name: two_steps
    steps:
      - name: post
        method: POST
        path: /echo
        headers: {Content-Type: application/json}
        body: '{"id": {{counter}}}'
        capture:
          id: {json: /id}
        expect: {captures: [id]}
      - name: get
        path: /status/200?id={{id}}
EOF
cat >"$dir/locustfile.py" <<'EOF'
from locust import task
from locust.contrib.fasthttp import FastHttpUser


class LoginThenApi(FastHttpUser):
    @task
    def flow(self):
        r = self.client.post("/login", json={"user": "user1", "password": "secret"})
        token = r.json()["token"]
        auth = {"Authorization": "Bearer " + token}
        items = self.client.get("/api/items", headers=auth).json()
        self.client.get("/api/items/%d" % items["items"][0]["id"], headers=auth, name="/api/items/{id}")
EOF

artillery="$(dirname "$0")/../.npm-bench/node_modules/.bin/artillery"
artillery_yaml() {  # $1: flows per virtual user
  cat <<YAML
config:
  target: "$base"
  phases:
    - duration: 1
      arrivalCount: $USERS
scenarios:
  - flow:
      - loop:
          - post:
              url: "/login"
              json: {user: "user1", password: "secret"}
              capture: {json: "\$.token", as: "token"}
          - get:
              url: "/api/items"
              headers: {Authorization: "Bearer {{ token }}"}
              capture: {json: "\$.items[0].id", as: "first_id"}
          - get:
              url: "/api/items/{{ first_id }}"
              headers: {Authorization: "Bearer {{ token }}"}
        count: $1
YAML
}

# measure NAME CMD...: runs CMD pinned to CPU 1; sets CPU (seconds) and LOAD
measure() {
  local name=$1; shift
  LOAD=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f '%U %S' -o "$dir/time.$name" taskset -c 1 "$@" >"$dir/out.$name" 2>"$dir/err.$name" || true
  CPU=$(awk '{print $1 + $2}' "$dir/time.$name")
}
barrage_requests() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"]["succeeded"])' "$1"; }
line() { awk -v n="$1" -v r="$2" -v c="$3" -v l="$4" 'BEGIN { printf "%-22s %9d requests %7.2f cpu_s %10.0f req/cpu_s  (load %s)\n", n, r, c, r / c, l }'; }

# Each generator twice, for DUR and 2 x DUR: the difference (requests, CPU) is what the
# longer run's extra requests cost, without the start-up (Python's imports weigh about a
# CPU-second in Locust's).
locust_run() {  # locust_run SECONDS: sets REQS
  measure locust "$LOCUST" -f "$dir/locustfile.py" --headless -u "$USERS" -r "$USERS" -t "${1}s" --host "$base" \
    --only-summary --csv "$dir/locust" --stop-timeout 2
  local all fail
  all=$(awk -F, '$2 == "Aggregated" { gsub(/"/, "", $3); print $3 }' "$dir/locust_stats.csv")
  fail=$(awk -F, '$2 == "Aggregated" { gsub(/"/, "", $4); print $4 }' "$dir/locust_stats.csv")
  REQS=$((all - fail))
}
measure barrage_flow "$BARRAGE" "$dir/login.yaml" -c "$USERS" -t 1 -d "${DUR}s" --no-progress --json "$dir/flow.json"
flow_reqs1=$(barrage_requests "$dir/flow.json"); flow_cpu1=$CPU
line barrage_login_flow "$flow_reqs1" "$flow_cpu1" "$LOAD"
measure barrage_flow "$BARRAGE" "$dir/login.yaml" -c "$USERS" -t 1 -d "$((2 * DUR))s" --no-progress --json "$dir/flow.json"
flow_reqs2=$(barrage_requests "$dir/flow.json"); flow_cpu2=$CPU
line barrage_login_flow "$flow_reqs2" "$flow_cpu2" "$LOAD"
locust_run "$DUR"; locust_reqs1=$REQS; locust_cpu1=$CPU
line locust_fasthttp "$locust_reqs1" "$locust_cpu1" "$LOAD"
locust_run "$((2 * DUR))"; locust_reqs2=$REQS; locust_cpu2=$CPU
line locust_fasthttp "$locust_reqs2" "$locust_cpu2" "$LOAD"

art_reqs1=0 art_cpu1=0 art_reqs2=0 art_cpu2=0
artillery_run() {  # artillery_run FLOWS_PER_USER: sets REQS (answered 200)
  artillery_yaml "$1" >"$dir/artillery.yml"
  measure artillery "$artillery" run "$dir/artillery.yml"
  grep -q "vusers.failed: [. ]*0$" "$dir/out.artillery" || { echo "artillery: virtual users failed" >&2; tail -20 "$dir/out.artillery" >&2; exit 1; }
  REQS=$(grep "http.codes.200" "$dir/out.artillery" | tail -1 | awk '{print $NF}')
}
if [ -x "$artillery" ]; then
  artillery_run 2; art_reqs1=$REQS; art_cpu1=$CPU
  line artillery_http "$art_reqs1" "$art_cpu1" "$LOAD"
  artillery_run "${ARTILLERY_COUNT:-100}"; art_reqs2=$REQS; art_cpu2=$CPU
  line artillery_http "$art_reqs2" "$art_cpu2" "$LOAD"
else
  echo "artillery: not installed (BARRAGE_BENCH_TOOLS=1 tools/install-deps.sh): its row is skipped"
fi

measure barrage_capture "$BARRAGE" "$dir/capture.yaml" -c "$USERS" -t 1 -d "${DUR}s" --no-progress --json "$dir/capture.json"
cap_reqs=$(barrage_requests "$dir/capture.json"); cap_cpu=$CPU
line barrage_two_steps "$cap_reqs" "$cap_cpu" "$LOAD"

# The floor: the anchors' minimal C epoll client (one write and one read per request, no
# statistics, no parsing beyond the framing), when ../shared is beside the checkout. No client
# that pays a write and a read per request does more requests per CPU-second on this machine.
floor_src="$(dirname "$0")/../../shared/anchors/limit/cli_epoll.c"
floor_reqs=0 floor_cpu=0
if [[ -f $floor_src ]] && cc -O2 -o "$dir/cli_epoll" "$floor_src" 2>/dev/null; then
  measure floor "$dir/cli_epoll" -p "$port" -c "$USERS" -d "$DUR" -u /status/200
  floor_reqs=$(grep -o 'requests=[0-9]*' "$dir/out.floor" | cut -d= -f2); floor_cpu=$CPU
  line c_floor_single_url "$floor_reqs" "$floor_cpu" "$LOAD"
fi

# 3. a targets file of 10,000 distinct URLs against the single URL (below): CPU per request.
/usr/bin/python3 -c 'import sys
for i in range(10000): print("GET %s/status/200?i=%d\n" % (sys.argv[1], i))' "$base" >"$dir/targets.txt"
measure barrage_targets "$BARRAGE" run --targets "$dir/targets.txt" -c "$USERS" -t 1 -d "${DUR}s" --no-progress --json "$dir/targets.json"
tg_reqs=$(barrage_requests "$dir/targets.json"); tg_cpu=$CPU
line barrage_targets_10k "$tg_reqs" "$tg_cpu" "$LOAD"

measure barrage_single "$BARRAGE" "$base/status/200" -c "$USERS" -t 1 -d "${DUR}s" --no-progress --json "$dir/single.json"
one_reqs=$(barrage_requests "$dir/single.json"); one_cpu=$CPU
line barrage_single_url "$one_reqs" "$one_cpu" "$LOAD"

awk -v f1="$flow_reqs1" -v c1="$flow_cpu1" -v f2="$flow_reqs2" -v c2="$flow_cpu2" \
    -v l1="$locust_reqs1" -v k1="$locust_cpu1" -v l2="$locust_reqs2" -v k2="$locust_cpu2" \
    -v cr="$cap_reqs" -v cc="$cap_cpu" -v sr="$one_reqs" -v sc="$one_cpu" \
    -v a1="$art_reqs1" -v b1="$art_cpu1" -v a2="$art_reqs2" -v b2="$art_cpu2" \
    -v fr="$floor_reqs" -v fc="$floor_cpu" -v tr="$tg_reqs" -v tc="$tg_cpu" 'BEGIN {
  printf "login flow, requests per generator CPU-second, whole runs: barrage / Locust = %.1fx\n", (f2 / c2) / (l2 / k2)
  if (c2 > c1 && k2 > k1)
    printf "login flow, the extra requests of the longer runs per extra CPU-second: barrage / Locust = %.1fx (target >= 30x)\n", ((f2 - f1) / (c2 - c1)) / ((l2 - l1) / (k2 - k1))
  if (b2 > b1 && a2 > a1)
    printf "login flow, the extra requests of the longer runs per extra CPU-second: barrage / Artillery (start-up left out) = %.1fx (target >= 20x)\n", ((f2 - f1) / (c2 - c1)) / ((a2 - a1) / (b2 - b1))
  if (fr > 0 && k2 > k1)
    printf "the floor (C, a write and a read per request) / Locust = %.1fx: the most any client reaches against Locust here; barrage single URL at %.2fx the floor\n", (fr / fc) / ((l2 - l1) / (k2 - k1)), (sr / sc) / (fr / fc)
  printf "10,000 distinct target URLs / single URL, CPU per request (report included) = %.2fx (target <= 1.1x)\n", (tc / tr) / (sc / sr)
  printf "two steps with a capture / single URL, CPU per request = %.2fx (target <= 1.3x)\n", (cc / cr) / (sc / sr)
}'
