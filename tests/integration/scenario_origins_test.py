"""A scenario whose steps go to several origins, against two real servers on 127.0.0.1:
`barrage serve` (its POST /login mints a token its /api/* accepts) and nginx (its /check wants
a bearer token, and its access log names each request's connection and Authorization field).

    scenario_origins_test.py BARRAGE

1. login at serve, capture the token, call nginx with it, then serve's /api/me with it: every
   step's count, what each server saw (nginx's access log, serve's /metrics), one kept-alive
   connection per virtual user per origin, the tokens nginx got are serve's, the report's
   origins (JSON config.scenario.origins, the text report's Origins line).
2. a step to an origin that refuses connections: its failures counted by reason (refused), each
   iteration aborted there, the step after it never sent, requests and connections accounted.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from harness import FAILURES, check, free_port, guard_children, spawn

USERS, ITERATIONS = 4, 10


def start_serve(barrage):
    port = free_port()
    p = spawn([barrage, "serve", "--listen", "127.0.0.1:%d" % port, "--threads", "1"],
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "listening on" not in line:
        raise RuntimeError("barrage serve did not start: %r" % line)
    return port


def start_nginx(d):
    port = free_port()
    with open(d + "/nginx.conf", "w", encoding="ascii") as f:
        f.write("""worker_processes 1; daemon off; pid %(d)s/nginx.pid; error_log %(d)s/error.log;
events { worker_connections 256; }
http { log_format seen '$connection $status "$http_authorization"';
  access_log %(d)s/access.log seen; client_body_temp_path %(d)s; proxy_temp_path %(d)s;
  fastcgi_temp_path %(d)s; uwsgi_temp_path %(d)s; scgi_temp_path %(d)s;
  keepalive_requests 100000;
  server { listen 127.0.0.1:%(port)d;
    location = /check { if ($http_authorization !~ "^Bearer [0-9a-f]{16}$") { return 401; }
      return 200 "{\\"ok\\": true}\\n"; } } }
""" % {"d": d, "port": port})
    spawn([shutil.which("nginx") or "/usr/sbin/nginx", "-c", d + "/nginx.conf", "-p", d],
          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(250):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()  # no request: nothing logged
            return port
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("nginx did not start")


def serve_metrics(port):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    ok = re.search(r'^barrage_http_requests_total\{code="200"\} (\d+)$', text, re.M)
    accepted = re.search(r"^barrage_connections_accepted_total (\d+)$", text, re.M)
    return int(ok.group(1)) if ok else 0, int(accepted.group(1)) if accepted else 0


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens on it now
    return port


def run(barrage, scenario, args):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "r.json")
        p = subprocess.run([barrage, scenario, "--json", path, "--no-progress"] + args,
                           capture_output=True, text=True, timeout=30)
        report = json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) else {}
    if p.returncode != 0:
        print("  barrage exited %d: %s" % (p.returncode, p.stderr.strip()[-300:]))
    return p.returncode, report, p.stdout


def accounted(rep):
    it, q = rep["iterations"], rep["requests"]
    ok = it["started"] == it["completed"] + sum(it["aborted"].values()) + it["in_flight_at_end"]
    ok &= q["started"] == q["succeeded"] + q["failed"] + q["timed_out"] + q["in_flight_at_end"]
    for s in rep["steps"].values():
        ok &= s["requests"] == s["succeeded"] + s["failed"] + s["timed_out"] + s["in_flight_at_end"]
    # Every connection attempt is an opened connection or a failure, per address.
    ok &= rep["connections_opened"] == sum(a["connections"] for a in rep["addresses"])
    return ok


LOGIN = """base_url: http://127.0.0.1:%(serve)d
steps:
  - name: login
    method: POST
    path: /login
    body: {json: {user: "u{{user}}", password: pw}}
    capture: {token: {json: /token}}
    expect: {status: 200, captures: [token]}
"""

TWO_ORIGINS = LOGIN + """  - name: elsewhere
    url: http://127.0.0.1:%(other)d/check?user={{user}}
    headers: {Authorization: "Bearer {{token}}"}
    expect: {status: 200}
  - name: back
    path: /api/me
    headers: {Authorization: "Bearer {{token}}"}
    expect: {status: 200}
"""

REFUSING = LOGIN + """  - name: down
    url: http://127.0.0.1:%(other)d/x
    headers: {Authorization: "Bearer {{token}}"}
  - name: never
    path: /api/me
    headers: {Authorization: "Bearer {{token}}"}
"""


def two_origins(barrage, d, serve, nginx):
    print("login at barrage serve, the token to nginx, then back to serve")
    path = os.path.join(d, "two.yaml")
    with open(path, "w") as f:
        f.write(TWO_ORIGINS % {"serve": serve, "other": nginx})
    ok_before, accepted_before = serve_metrics(serve)
    rc, rep, text = run(barrage, path, ["-c", str(USERS), "-t", "1", "--iterations", str(ITERATIONS)])
    n = USERS * ITERATIONS
    steps = rep.get("steps", {})
    check(rc == 0 and rep.get("iterations", {}).get("completed") == n,
          "exit 0, %d iterations completed: %s" % (n, rep.get("iterations")))
    for name in ("login", "elsewhere", "back"):
        s = steps.get(name, {})
        check(s.get("requests") == n and s.get("statuses") == {"200": n}, "step %s: %d requests, all 200: %s"
              % (name, n, {k: s.get(k) for k in ("requests", "statuses", "errors")}))
    # nginx writes a request's log line as it finishes it; give the last writes a moment.
    lines = []
    for _ in range(50):
        lines = open(os.path.join(d, "nginx", "access.log")).read().splitlines()
        if len(lines) >= n:
            break
        time.sleep(0.02)
    seen = [re.match(r'^(\d+) (\d+) "Bearer ([0-9a-f]{16})"$', line) for line in lines]
    check(len(lines) == n and all(seen), "nginx saw %d requests, each with a bearer token: %d" % (n, len(lines)))
    seen = [m for m in seen if m]
    check(len({m.group(1) for m in seen}) == USERS, "over %d connections, one per user, kept alive: %s"
          % (USERS, sorted({m.group(1) for m in seen})))
    tokens = {m.group(3) for m in seen}
    check(len(tokens) == n, "a fresh token per iteration: %d distinct" % len(tokens))
    ok_after, accepted_after = serve_metrics(serve)
    # serve counts a request once answered: the first /metrics read is in the difference, on a
    # connection of its own; the second is not in its own answer.
    check(ok_after - ok_before - 1 == 2 * n and accepted_after - accepted_before - 1 == USERS,
          "serve answered %d requests 200 over %d connections: %d over %d"
          % (2 * n, USERS, ok_after - ok_before - 1, accepted_after - accepted_before - 1))
    valid = 0
    for t in sorted(tokens)[:5]:  # the tokens nginx got are serve's (serve checks its own MAC)
        req = urllib.request.Request("http://127.0.0.1:%d/api/me" % serve, headers={"Authorization": "Bearer " + t})
        valid += urllib.request.urlopen(req, timeout=5).status == 200
    check(valid == 5, "the tokens nginx got were minted by serve: %d of 5 accepted by serve" % valid)
    origins = ["http://127.0.0.1:%d" % serve, "http://127.0.0.1:%d" % nginx]
    check(rep.get("config", {}).get("scenario", {}).get("origins") == origins,
          "config.scenario.origins: %s" % rep.get("config", {}).get("scenario"))
    check("Origins           %s\n" % ", ".join(origins) in text, "the text report lists the origins")
    by_address = {a["address"]: (a["connections"], a["failures"]) for a in rep.get("addresses", [])}
    check(rep.get("connections_opened") == 2 * USERS and by_address == {
        "127.0.0.1:%d" % serve: (USERS, 0), "127.0.0.1:%d" % nginx: (USERS, 0)},
        "connections: %d per origin, none failed: %s" % (USERS, by_address))
    check(accounted(rep), "iterations, steps, requests and connections accounted")


def refusing_origin(barrage, d, serve):
    print("a step to an origin that refuses connections")
    down = closed_port()
    path = os.path.join(d, "refusing.yaml")
    with open(path, "w") as f:
        f.write(REFUSING % {"serve": serve, "other": down})
    # A user per worker thread: each backs off its own reconnects to the refusing origin.
    rc, rep, _ = run(barrage, path, ["-c", "2", "-t", "2", "--iterations", "5"])
    steps, it = rep.get("steps", {}), rep.get("iterations", {})
    check(rc == 0 and steps.get("login", {}).get("succeeded") == 10, "10 logins succeeded: %s" % steps.get("login"))
    check(steps.get("down", {}).get("errors") == {"refused": 10} and steps["down"]["failed"] == 10,
          "the refusing origin's 10 requests failed, by reason: %s" % steps.get("down", {}).get("errors"))
    check(it.get("aborted", {}).get("request_failed") == 10 and it.get("completed") == 0,
          "each iteration aborted there: %s" % it.get("aborted"))
    check(steps.get("never", {}).get("requests") == 0, "the step after it never ran")
    check(rep.get("errors", {}).get("refused") == 10 and rep["requests"]["started"] == 20,
          "requests: 20 started, 10 refused: %s" % rep.get("requests"))
    by_address = {a["address"]: (a["connections"], a["failures"]) for a in rep.get("addresses", [])}
    check(by_address == {"127.0.0.1:%d" % serve: (2, 0), "127.0.0.1:%d" % down: (0, 10)},
          "connections: 2 to serve kept alive, 10 refused attempts: %s" % by_address)
    check(accounted(rep), "iterations, steps, requests and connections accounted")


def main():
    barrage = sys.argv[1]
    guard_children()
    d = tempfile.mkdtemp(prefix="barrage-origins-")
    os.makedirs(os.path.join(d, "nginx"))
    serve = start_serve(barrage)
    nginx = start_nginx(os.path.join(d, "nginx"))
    two_origins(barrage, d, serve, nginx)
    refusing_origin(barrage, d, serve)
    shutil.rmtree(d, ignore_errors=True)
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        sys.exit(1)


if __name__ == "__main__":
    main()
