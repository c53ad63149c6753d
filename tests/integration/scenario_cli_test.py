"""Scenarios end to end through the CLI: `barrage run FILE.yaml` and `--targets FILE` against
`barrage serve` on 127.0.0.1 (its /login token opens /api/*), the JSON report's steps, targets
and iterations sections and their accounting, thresholds naming a step (from the command line
and from the file), the shipped examples, and `barrage demo --scenario`.

    scenario_cli_test.py BARRAGE
"""
import json
import os
import subprocess
import sys
import tempfile

from harness import FAILURES, check, free_port, guard_children, spawn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def start_serve(barrage):
    port = free_port()
    p = spawn([barrage, "serve", "--listen", "127.0.0.1:%d" % port, "--threads", "1"],
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "listening on" not in line:
        raise RuntimeError("barrage serve did not start: %r %s" % (line, p.stderr.read()))
    return p, port


def run(barrage, args, timeout=60):
    return subprocess.run([barrage] + args, capture_output=True, text=True, timeout=timeout)


def accounted(report):
    """Every iteration and every step request accounted for."""
    ok = True
    it = report.get("iterations")
    if it:
        ok &= it["started"] == it["completed"] + sum(it["aborted"].values()) + it["in_flight_at_end"]
    for s in list(report.get("steps", {}).values()) + list(report.get("targets", {}).values()):
        ok &= s["requests"] == s["succeeded"] + s["failed"] + s["timed_out"] + s["in_flight_at_end"]
        ok &= s["succeeded"] + s["bad_status"] == sum(s["statuses"].values())
    q = report["requests"]
    ok &= q["started"] == q["succeeded"] + q["failed"] + q["timed_out"] + q["in_flight_at_end"]
    return ok


FLOW = """base_url: http://127.0.0.1:%(port)d
thresholds:
  - p99{step=login}<5s
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
        headers: {Authorization: "Bearer {{token}}"}
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


REDIRECTS = """base_url: http://127.0.0.1:%(port)d
flows:
  - name: f
    steps:
      - name: moved
        path: /r/302
        capture:
          code: status
          len: {header: content-length}
        expect: {status: 200, captures: [code, len]}
      - name: post307
        method: POST
        path: /post/307
        body: payload
        expect: {status: 200}
      - name: post303
        method: POST
        path: /get/303
        body: payload
        expect: {status: 200}
      - name: chain
        path: /chain/{{len}}
        expect: {status: 200}
"""


def redirects(barrage, tmp):
    """Against redirect_server.py: a 302 to /ok (whose Content-Length, 2, is captured: the 302's
    is 0), a POST kept by 307 and turned into a GET by 303, then /chain/{{len}}: 2 more hops."""
    port = free_port()
    srv = spawn([sys.executable, os.path.join(HERE, "redirect_server.py"), str(port), "9"], stdout=subprocess.PIPE,
                text=True)
    if srv.stdout.readline().strip() != "ready":
        check(False, "redirect_server.py started")
        return
    path = os.path.join(tmp, "redirects.yaml")
    with open(path, "w") as f:
        f.write(REDIRECTS % {"port": port})
    r = run(barrage, [path, "-c", "2", "-t", "1", "--iterations", "5", "--redirects", "5", "--json", "-", "--no-progress"])
    rep = json.loads(r.stdout) if r.stdout.startswith("{") else {}
    steps, it = rep.get("steps", {}), rep.get("iterations", {})
    check(r.returncode == 0 and all(steps.get(n, {}).get("statuses") == {"200": 10}
                                    for n in ("moved", "post307", "post303", "chain")),
          "each step's chain ends in 200 (the 307 kept the POST and its body, the 303 made it a GET): %s"
          % {n: t.get("statuses") for n, t in steps.items()})
    check(rep.get("redirects", {}).get("followed") == 50 and it.get("completed") == 10,
          "5 hops per iteration: the header captured from the last response (/chain/2): %s"
          % rep.get("redirects", {}).get("followed"))
    check(rep.get("requests", {}).get("started") == 40 and accounted(rep), "a chain is one request, accounted")
    r = run(barrage, [path, "-c", "1", "-t", "1", "--iterations", "2", "--json", "-", "--no-progress"])
    rep = json.loads(r.stdout) if r.stdout.startswith("{") else {}
    check(rep.get("steps", {}).get("moved", {}).get("statuses") == {"302": 2}
          and rep.get("iterations", {}).get("aborted", {}).get("unexpected_status") == 2,
          "without --redirects a 3xx is the step's response: %s" % rep.get("steps", {}).get("moved", {}).get("statuses"))
    srv.kill()


def main():
    barrage = sys.argv[1]
    guard_children()
    serve, port = start_serve(barrage)
    tmp = tempfile.mkdtemp(prefix="barrage-scenario-")
    scenario = os.path.join(tmp, "flow.yaml")
    with open(scenario, "w") as f:
        f.write(FLOW % {"port": port})

    print("a scenario file: captures from barrage serve's responses carry the token to the API")
    r = run(barrage, [scenario, "-c", "4", "-t", "1", "--iterations", "25", "--json", "-", "--no-progress"])
    check(r.returncode == 0, "exit status 0 (the file's threshold passed): %d %s" % (r.returncode, r.stderr.strip()[-300:] if r.returncode else ""))
    rep = json.loads(r.stdout) if r.stdout.startswith("{") else {}
    steps, it = rep.get("steps", {}), rep.get("iterations", {})
    check(it.get("started") == 100, "4 users x 25 iterations started: %s" % it.get("started"))
    good = steps.get("login", {}).get("requests", 0)
    check(good > 0 and steps["items"]["statuses"].get("200") == good and steps["item"]["statuses"].get("200") == good,
          "every login's token opened /api/items and the captured id's /api/items/{id}: %d" % good)
    forged = steps.get("forged_items", {})
    check(forged.get("statuses", {}).get("401") == forged.get("requests") and forged.get("requests", 0) > 0,
          "a forged token gets 401 every time: %s" % forged.get("statuses"))
    check(it.get("aborted", {}).get("unexpected_status") == forged.get("requests"),
          "each 401 ended its iteration as unexpected_status: %s" % it.get("aborted"))
    check(steps.get("never", {}).get("requests") == 0, "the step after a failed one never ran")
    check(it.get("completed") == good, "the good flow's iterations all completed: %s of %d" % (it.get("completed"), good))
    check(accounted(rep), "iterations, steps and requests accounted")
    check([t["expr"] for t in rep.get("thresholds", [])] == ["p99{step=login}<5s"], "the file's threshold was judged")

    print("thresholds naming a step")
    r = run(barrage, [scenario, "-c", "2", "-t", "1", "--iterations", "5", "--no-progress",
                      "--threshold", "p99{step=login}<1ns"])
    check(r.returncode == 3, "a failing step threshold exits 3: %d" % r.returncode)
    check("✗ FAIL  p99{step=login}<1ns" in r.stdout, "the text report shows it failed")
    check("Steps  requests, failures" in r.stdout and "Iterations  one run of a flow" in r.stdout,
          "the text report has the Steps and Iterations sections")
    r = run(barrage, [scenario, "-c", "1", "--iterations", "1", "--threshold", "p99{step=}<1s"])
    check(r.returncode == 2 and "expected a step name after step=" in r.stderr,
          "a bad step selector is a usage error: %d %s" % (r.returncode, r.stderr.strip()))

    print("--targets: the report per target")
    targets = os.path.join(tmp, "targets.txt")
    with open(targets, "w") as f:
        f.write("GET http://127.0.0.1:%d/\n\nGET http://127.0.0.1:%d/status/503\n\n"
                "GET http://127.0.0.1:%d/bytes/100\n" % (port, port, port))
    r = run(barrage, ["--targets", targets, "-c", "3", "-t", "1", "-n", "300", "--json", "-", "--no-progress"])
    rep = json.loads(r.stdout) if r.stdout.startswith("{") else {}
    tg = rep.get("targets", {})
    key = "GET http://127.0.0.1:%d/status/503" % port
    check(sorted(tg) == sorted(["GET http://127.0.0.1:%d/" % port, key, "GET http://127.0.0.1:%d/bytes/100" % port]),
          "one entry per target: %s" % sorted(tg))
    # Each user takes the targets in turn from its own start: a target's count is 100 within
    # the number of users.
    counts = [t["requests"] for t in tg.values()]
    check(sum(counts) == 300 and all(97 <= n <= 103 for n in counts), "round-robin: about 100 each of -n 300: %s"
          % counts)
    t503 = tg.get(key, {})
    check(t503.get("requests", 0) > 0 and t503.get("statuses", {}).get("503") == t503["requests"] == t503["bad_status"]
          and rep["requests"]["bad_status"] == t503["requests"], "the 503 target's failures are its own: %s" % t503.get("statuses"))
    check("iterations" not in rep and "steps" not in rep, "no steps or iterations for a targets run")
    check(accounted(rep), "targets and requests accounted")

    print("the shipped examples and barrage demo --scenario")
    for name, extra in (("login_then_api.yaml", ["-c", "10", "--iterations", "3"]),
                        ("endpoint_mix.yaml", ["-c", "5", "--iterations", "3"]),
                        ("stream_pull.yaml", ["-c", "4", "--iterations", "2", "--stream"])):
        src = open(os.path.join(ROOT, "examples", "scenarios", name)).read()
        path = os.path.join(ROOT, "examples", "scenarios", name)
        copy = os.path.join(tmp, name)
        with open(copy, "w") as f:
            f.write(src.replace("127.0.0.1:8080", "127.0.0.1:%d" % port))
        if os.path.exists(os.path.join(os.path.dirname(path), "users.csv")):
            with open(os.path.join(tmp, "users.csv"), "w") as f:
                f.write(open(os.path.join(os.path.dirname(path), "users.csv")).read())
        r = run(barrage, [copy, "-t", "1", "--json", "-", "--no-progress"] + extra)
        rep = json.loads(r.stdout) if r.stdout.startswith("{") else {}
        it = rep.get("iterations", {})
        check(r.returncode == 0 and it.get("completed", 0) > 0 and sum(it.get("aborted", {}).values()) == 0,
              "%s: %d, iterations %s" % (name, r.returncode, it or r.stderr.strip()))
        if name == "stream_pull.yaml":  # each completed pull is one event stream of 20 events
            st = rep.get("streams", {})
            check(st.get("event_streams") == it.get("completed") == 8 and st.get("stalled") == 0
                  and st.get("events", {}).get("min") == st.get("events", {}).get("max") == 20,
                  "stream_pull.yaml: 8 streams of 20 events, none stalled: %s" % {k: st.get(k) for k in
                                                                                  ("event_streams", "stalled", "events")})
    r = run(barrage, ["demo", "--scenario", "-d", "0.5s", "-c", "8", "-t", "1"])
    check(r.returncode == 0 and "login" in r.stdout and "completed" in r.stdout and "aborted 0" in r.stdout,
          "barrage demo --scenario runs the login flow: %d %s" % (r.returncode, r.stderr.strip()))

    print("--redirects: a step's chain is its request, its last response the step's (captures too)")
    redirects(barrage, tmp)

    serve.kill()
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        sys.exit(1)


if __name__ == "__main__":
    main()
