"""Scenarios and --targets over HTTP/2 through the CLI, against real servers on 127.0.0.1:
`barrage serve` in clear text (h2c, --http2-prior-knowledge) and over TLS (--http2, h2 by
ALPN), and nginx over TLS without http2 (ALPN picks http/1.1: each user's connection to it
falls back to HTTP/1.1).

    scenario_h2_test.py BARRAGE

1. the login flow over h2c: the token captured from /login's body opens /api/* (a forged token
   gets 401, its iterations abort as unexpected_status), a header and the status captured,
   one h2 connection per user, the report's protocol h2, everything accounted.
2. the same flow in the open model (-r), and over TLS with --http2.
3. a --targets file over h2c: the count and statuses per target; --timeout.
4. --http2 to an origin whose server picks http/1.1: served over HTTP/1.1, protocol http/1.1.
5. h2_fault_server.py (python3-h2): streams refused (REFUSED_STREAM) fail by reason, or go again
   with --retries; a GOAWAY after every third stream: the next step goes on a new connection.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from harness import FAILURES, check, free_port, guard_children, spawn

USERS, ITERATIONS = 4, 10
HERE = os.path.dirname(os.path.abspath(__file__))

FLOW = """base_url: %(origin)s
flows:
  - name: good
    weight: 3
    steps:
      - name: login
        method: POST
        path: /login
        body:
          json: {user: "u{{user}}", password: "pw"}
        capture:
          token: {json: /token}
        expect: {status: 200, captures: [token]}
      - name: items
        path: /api/items
        headers: {Authorization: "Bearer {{token}}", Connection: keep-alive}
        capture:
          second: {json: /items/1/id}
        expect: {status: 200, captures: [second]}
      - name: item
        path: /api/items/{{second}}
        headers: {Authorization: "Bearer {{token}}"}
        capture:
          ctype: {header: content-type}
          code: status
        expect: {status: 200, captures: [ctype, code]}
  - name: forged
    weight: 1
    steps:
      - name: forged_items
        path: /api/items
        headers: {Authorization: "Bearer 0000000000000000"}
        expect: {status: 200}
      - name: never
        path: /
"""


def start_serve(barrage, *extra):
    port = free_port()
    p = spawn([barrage, "serve", "--listen", "127.0.0.1:%d" % port, "--threads", "1"] + list(extra),
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "listening on" not in line:
        raise RuntimeError("barrage serve did not start: %r" % line)
    return port


def start_nginx_tls(d):
    port = free_port()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", d + "/k.pem", "-out", d + "/c.pem", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    with open(d + "/nginx.conf", "w", encoding="ascii") as f:
        f.write("""worker_processes 1; daemon off; pid %(d)s/nginx.pid; error_log %(d)s/error.log;
events {}
http { access_log off; client_body_temp_path %(d)s; proxy_temp_path %(d)s; fastcgi_temp_path %(d)s;
  uwsgi_temp_path %(d)s; scgi_temp_path %(d)s;
  server { listen 127.0.0.1:%(port)d ssl; ssl_certificate %(d)s/c.pem; ssl_certificate_key %(d)s/k.pem;
    location = /hello { return 200 "hello\\n"; } } }
""" % {"d": d, "port": port})
    spawn([shutil.which("nginx") or "/usr/sbin/nginx", "-c", d + "/nginx.conf", "-p", d],
          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(250):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return port
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("nginx did not start")


def run(barrage, args):
    r = subprocess.run([barrage, "run"] + args + ["--json", "-", "--no-progress"], capture_output=True, text=True,
                       timeout=60)
    if not r.stdout.startswith("{"):
        print("  barrage %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()[-300:]))
        return r, {}
    return r, json.loads(r.stdout)


def accounted(rep):
    q = rep.get("requests")
    if not q:
        return False
    ok = q["started"] == q["succeeded"] + q["failed"] + q["timed_out"] + q["in_flight_at_end"]
    ok &= q["failed"] + q["timed_out"] == sum(rep["errors"].values())  # status_NNN among them
    it = rep.get("iterations")
    if it:
        ok &= it["started"] == it["completed"] + sum(it["aborted"].values()) + it["in_flight_at_end"]
    for s in list(rep.get("steps", {}).values()) + list(rep.get("targets", {}).values()):
        ok &= s["requests"] == s["succeeded"] + s["failed"] + s["timed_out"] + s["in_flight_at_end"]
    return ok


def login_flow(barrage, tmp, origin, what, extra):
    path = os.path.join(tmp, what + ".yaml")
    with open(path, "w") as f:
        f.write(FLOW % {"origin": origin})
    r, rep = run(barrage, [path, "-c", str(USERS), "-t", "1", "--iterations", str(ITERATIONS)] + extra)
    check(r.returncode == 0, "%s: exit status 0: %d" % (what, r.returncode))
    check(rep.get("protocol") == "h2", "%s: the report's protocol is h2: %s" % (what, rep.get("protocol")))
    steps, it = rep.get("steps", {}), rep.get("iterations", {})
    good = steps.get("login", {}).get("requests", 0)
    check(good > 0 and all(steps.get(s, {}).get("statuses") == {"200": good} for s in ("login", "items", "item")),
          "%s: every login's token opened /api/items and the captured id's /api/items/{id} (all 200): %s"
          % (what, {s: steps.get(s, {}).get("statuses") for s in ("login", "items", "item")}))
    forged = steps.get("forged_items", {})
    check(forged.get("requests", 0) > 0 and forged.get("statuses") == {"401": forged["requests"]},
          "%s: a forged token gets 401: %s" % (what, forged.get("statuses")))
    check(it.get("aborted", {}).get("unexpected_status") == forged.get("requests")
          and steps.get("never", {}).get("requests") == 0,
          "%s: each 401 aborted its iteration (unexpected_status), the next step never sent: %s"
          % (what, it.get("aborted")))
    check(it.get("started") == USERS * ITERATIONS and it.get("completed") == good,
          "%s: %d iterations, the good ones all completed: %s" % (what, USERS * ITERATIONS, it))
    check(rep.get("h2", {}).get("connections") == USERS and rep.get("h2", {}).get("peak_streams") == 1,
          "%s: one h2 connection per user, one stream at a time: %s" % (what, rep.get("h2")))
    check(accounted(rep), "%s: iterations, steps and requests accounted" % what)


def faults(barrage, targets):
    def fault_server(*args):
        p = spawn(["/usr/bin/python3", os.path.join(HERE, "h2_fault_server.py")] + list(args),  # Debian's: python3-h2
                  stdout=subprocess.PIPE, text=True)
        return int(p.stdout.readline())

    port = fault_server("refuse", "2")  # the 1st, 3rd, 5th ... stream of each connection
    with open(targets, "w") as f:
        f.write("GET http://127.0.0.1:%d/a\n\nPOST http://127.0.0.1:%d/b\n@hello.txt\n" % (port, port))
    args = ["--targets", targets, "-c", "2", "-t", "1", "-n", "40", "--http2-prior-knowledge"]
    r, rep = run(barrage, args)
    q = rep.get("requests", {})
    refused = rep.get("errors", {}).get("h2_refused_stream", 0)
    check(q.get("started") == 40 and refused > 0 and q.get("failed") == refused and q.get("resent") == 0 and accounted(rep),
          "refused streams fail by reason (not re-sent), accounted: %s, %d refused" % (q, refused))
    r, rep = run(barrage, args + ["--retries", "2"])
    q = rep.get("requests", {})
    check(q.get("succeeded") == 40 and q.get("retried") == 40 and accounted(rep),
          "--retries 2: each request's refused try went again (GET and POST alike): %s" % q)
    port = fault_server("goaway", "3")
    with open(targets, "w") as f:
        f.write("GET http://127.0.0.1:%d/a\n" % port)
    r, rep = run(barrage, ["--targets", targets, "-c", "1", "-t", "1", "-n", "30", "--http2-prior-knowledge"])
    q, h2 = rep.get("requests", {}), rep.get("h2", {})
    check(q.get("succeeded") == 30 and h2.get("connections", 0) >= 10 and h2.get("goaways", 0) >= 9 and accounted(rep),
          "GOAWAY after every third stream: all 30 served, on a new connection after each: %s %s" % (q, h2))


def main():
    barrage = sys.argv[1]
    guard_children()
    tmp = tempfile.mkdtemp(prefix="barrage-scenario-h2-")
    os.chmod(tmp, 0o755)  # nginx's worker (nobody) reads its files
    h2c = start_serve(barrage)
    cert = os.path.join(tmp, "serve.pem")
    tls = start_serve(barrage, "--tls-self-signed", "--tls-cert-out", cert)

    print("the login flow over h2c (--http2-prior-knowledge)")
    login_flow(barrage, tmp, "http://127.0.0.1:%d" % h2c, "h2c", ["--http2-prior-knowledge"])

    print("the open model over h2c: each arrival a new user, on a slot that keeps its connection")
    path = os.path.join(tmp, "h2c.yaml")
    r, rep = run(barrage, [path, "-r", "100", "-d", "1s", "-c", "4", "-t", "1", "--http2-prior-knowledge"])
    it, h2 = rep.get("iterations", {}), rep.get("h2", {})
    check(r.returncode == 0 and rep.get("protocol") == "h2" and 90 <= it.get("started", 0) <= 101
          and it.get("completed", 0) > 0 and 0 < h2.get("connections", 0) <= 4 and accounted(rep),
          "about 100 arrivals in 1 s over at most 4 h2 connections, accounted: %s iterations, %s" % (it.get("started"), h2))

    print("the login flow over TLS (--http2, h2 by ALPN)")
    login_flow(barrage, tmp, "https://127.0.0.1:%d" % tls, "h2 over TLS", ["--http2", "--cacert", cert])

    print("--targets over h2c: the report per target")
    targets = os.path.join(tmp, "targets.txt")
    base = "http://127.0.0.1:%d" % h2c
    with open(os.path.join(tmp, "hello.txt"), "w") as f:
        f.write("hello")
    with open(targets, "w") as f:
        f.write("GET %s/\n\nGET %s/status/503\n\nPOST %s/echo\nContent-Type: text/plain\n@hello.txt\n" % (base, base, base))
    r, rep = run(barrage, ["--targets", targets, "-c", "3", "-t", "1", "-n", "300", "--http2-prior-knowledge"])
    tg = rep.get("targets", {})
    counts = {k: t["requests"] for k, t in tg.items()}
    check(len(tg) == 3 and sum(counts.values()) == 300 and all(97 <= n <= 103 for n in counts.values()),
          "three targets, about 100 each of -n 300: %s" % counts)
    t503 = tg.get("GET %s/status/503" % base, {})
    echo = tg.get("POST %s/echo" % base, {})
    check(t503.get("statuses", {}).get("503") == t503.get("requests") and echo.get("statuses", {}).get("200") == echo.get("requests"),
          "per target statuses: /status/503 all 503, the POST all 200: %s %s" % (t503.get("statuses"), echo.get("statuses")))
    check(rep.get("protocol") == "h2" and accounted(rep), "protocol h2, targets and requests accounted: %s"
          % rep.get("protocol"))

    print("--timeout over h2c: a stream past it is cancelled, its connection closed, the next one served")
    with open(targets, "w") as f:
        f.write("GET %s/delay/300ms\n\nGET %s/\n" % (base, base))
    r, rep = run(barrage, ["--targets", targets, "-c", "2", "-t", "1", "-n", "10", "--timeout", "100ms",
                           "--http2-prior-knowledge"])
    tg = rep.get("targets", {})
    slow, fast = tg.get("GET %s/delay/300ms" % base, {}), tg.get("GET %s/" % base, {})
    check(slow.get("timed_out") == slow.get("requests") == 5 and fast.get("statuses") == {"200": 5}
          and rep.get("errors", {}).get("timeout") == 5 and accounted(rep),
          "5 timed out, 5 served after them, accounted: %s %s" % (slow.get("timed_out"), fast.get("statuses")))

    print("--http2 to a server that picks http/1.1 by ALPN: the user's connection falls back")
    ng = start_nginx_tls(tmp)
    with open(targets, "w") as f:
        f.write("GET https://127.0.0.1:%d/hello\n" % ng)
    r, rep = run(barrage, ["--targets", targets, "-c", "2", "-t", "1", "-n", "40", "--http2", "--cacert", tmp + "/c.pem"])
    q = rep.get("requests", {})
    check(r.returncode == 0 and q.get("succeeded") == 40 and rep.get("protocol") == "http/1.1"
          and rep.get("connections_opened") == 2,
          "40 requests served over HTTP/1.1 on 2 kept-alive connections: %s %s, %s connections"
          % (q, rep.get("protocol"), rep.get("connections_opened")))
    check(accounted(rep), "fallback: requests accounted")

    print("h2_fault_server.py: refused streams, GOAWAYs")
    faults(barrage, targets)

    if FAILURES:
        print("%d failed" % len(FAILURES))
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
