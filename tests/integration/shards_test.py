#!/usr/bin/env python3
"""Shards as a Kubernetes Indexed Job runs them, on one machine: four barrage processes with
JOB_COMPLETION_INDEX=0..3 and `--shards 4 --start-at +1s -n N` against one nginx worker on
127.0.0.1 whose access log counts what it served, then `barrage merge` of their reports.

Checks that:
  - nginx's own count of requests (its access log lines) equals the merged `started`, exactly:
    with -n every request completes, so started = succeeded + failed + timed out and nothing
    is in flight at the end (the merged report says so too);
  - the shards took their shares (-n 4002 over 4: 1001, 1001, 1000, 1000) and the merged
    config adds them back up; each report names its shard;
  - the shards started together: the merged start spread is under SPREAD_MAX_MS (50 ms here,
    a loaded CI machine; on an idle one it is well under 5 ms: bench/shards.sh measures it);
  - thresholds are judged on the merge (exit 3 on a failure), and merge refuses a shard given
    twice and missing shards (exit 2, one line) unless --allow-partial, which the report states;
  - --shards without JOB_COMPLETION_INDEX and a --start-at in the past are usage errors.
usage: shards_test.py BARRAGE
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from harness import FAILURES, check, cleanup, free_port, guard_children, spawn

SHARDS = 4
REQUESTS = 4002
SPREAD_MAX_MS = 50.0


def start_nginx(d, port):
    with open(d + "/nginx.conf", "w", encoding="ascii") as f:
        f.write("""worker_processes 1; daemon off; pid %(d)s/nginx.pid; error_log %(d)s/error.log;
events { worker_connections 1024; }
http { access_log %(d)s/access.log; client_body_temp_path %(d)s; proxy_temp_path %(d)s;
  fastcgi_temp_path %(d)s; uwsgi_temp_path %(d)s; scgi_temp_path %(d)s;
  keepalive_requests 100000000;
  server { listen 127.0.0.1:%(port)d; location = / { return 200 "hello\\n"; } } }
""" % {"d": d, "port": port})
    nginx = spawn([shutil.which("nginx") or "/usr/sbin/nginx", "-c", d + "/nginx.conf", "-p", d])
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()  # no request: nothing logged
            return nginx
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("nginx did not start")


def log_lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def run(cmd, env=None):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=env)


def main():
    barrage = sys.argv[1]
    guard_children()
    d = tempfile.mkdtemp(prefix="barrage-shards-")
    nginx = None
    try:
        port = free_port()
        nginx = start_nginx(d, port)
        url = "http://127.0.0.1:%d/" % port
        # "+1s" rounds up to a whole second in each process: launch them early in a second so
        # that all four land on the same one.
        if time.time() % 1 > 0.5:
            time.sleep(1.02 - time.time() % 1)
        procs = []
        for i in range(SHARDS):
            env = dict(os.environ, JOB_COMPLETION_INDEX=str(i))
            procs.append(spawn([barrage, url, "--shards", str(SHARDS), "--start-at", "+1s", "-n", str(REQUESTS),
                                "-c", "8", "-t", "1", "--json", "%s/s%d.json" % (d, i), "-q"], env=env,
                               stderr=subprocess.PIPE, text=True))
        for i, p in enumerate(procs):
            p.wait(timeout=20)
            check(p.returncode == 0, "shard %d exits 0 (%s)" % (i, p.stderr.read().strip()[:200]))
        reports = ["%s/s%d.json" % (d, i) for i in range(SHARDS)]
        shares = [json.load(open(r))["config"]["requests"] for r in reports]
        check(shares == [1001, 1001, 1000, 1000], "-n %d over 4 shards: %s" % (REQUESTS, shares))
        check([json.load(open(r))["shard"] for r in reports] == [{"index": i, "count": SHARDS} for i in range(SHARDS)],
              "each report names its shard")

        merged_path = d + "/merged.json"
        merged_html = d + "/merged.html"
        m = run([barrage, "merge"] + reports + ["--json", merged_path, "--html", merged_html, "--threshold", "p99<10s"])
        check(m.returncode == 0, "merge exits 0 (%s)" % m.stderr.strip())
        page = open(merged_html).read() if os.path.exists(merged_html) else ""
        check(page.startswith("<!DOCTYPE html>") and "Merged from" in page and "p99&lt;10s" in page,
              "merge --html draws the merged report, its shards and its threshold")
        check(m.stdout.startswith("Merged 4 reports (shards 0,1,2,3), start spread"), "the text report says what it merged")
        merged = json.load(open(merged_path))
        req = merged["requests"]
        # nginx writes its log line as it finishes each request; all are finished once the
        # shards have exited, but give the writes a moment.
        served = 0
        for _ in range(50):
            served = log_lines(d + "/access.log")
            if served >= req["started"]:
                break
            time.sleep(0.02)
        check(served == req["started"] == REQUESTS,
              "nginx served %d = merged started %d = -n %d" % (served, req["started"], REQUESTS))
        check(req["in_flight_at_end"] == 0 and req["started"] == req["succeeded"] + req["failed"] + req["timed_out"],
              "accounted: started %(started)d = succeeded %(succeeded)d + failed %(failed)d + timed out %(timed_out)d"
              % req)
        check(merged["config"]["requests"] == REQUESTS and merged["config"]["connections"] == 8,
              "the merged config adds the shares back up")
        spread = merged["merged"]["start_spread_ms"]
        print("  start spread %.3f ms (%s)" % (spread, ", ".join(s["start"] for s in merged["merged"]["shards"])))
        check(spread < SPREAD_MAX_MS, "the shards started within %.0f ms of each other: %.3f ms" % (SPREAD_MAX_MS, spread))
        check(merged["shard"] is None and merged["merged"]["partial"] is False and merged["merged"]["inputs"] == 4,
              "the merged report: shard null, 4 inputs, not partial")
        check(sum(p["requests"] for p in merged["timeline"]) == req["succeeded"] + req["failed"] + req["timed_out"],
              "the merged timeline's seconds add up to the completed requests")

        failing = run([barrage, "merge", "-q"] + reports + ["--threshold", "p50<1ns"])
        check(failing.returncode == 3, "a threshold failed on the merge exits 3 (%d)" % failing.returncode)
        twice = run([barrage, "merge", "-q", reports[0], reports[1], reports[1], reports[2], reports[3]])
        check(twice.returncode == 2 and "is given twice" in twice.stderr and twice.stderr.count("\n") == 1,
              "a shard given twice: exit 2, one line: %s" % twice.stderr.strip())
        missing = run([barrage, "merge", "-q"] + reports[:3])
        check(missing.returncode == 2 and "3 of 4 shards: missing 3" in missing.stderr,
              "a missing shard: exit 2: %s" % missing.stderr.strip())
        partial = run([barrage, "merge"] + reports[:3] + ["--allow-partial", "--json", "-"])
        check(partial.returncode == 0 and json.loads(partial.stdout)["merged"]["partial"] is True
              and "PARTIAL" in partial.stderr, "--allow-partial merges 3 of 4 and says so")

        env = {k: v for k, v in os.environ.items() if k != "JOB_COMPLETION_INDEX"}
        no_index = run([barrage, url, "--shards", "4", "-n", "8"], env=env)
        check(no_index.returncode == 2 and "JOB_COMPLETION_INDEX is not set" in no_index.stderr,
              "--shards without JOB_COMPLETION_INDEX: exit 2: %s" % no_index.stderr.strip())
        past = run([barrage, url, "--start-at", "2020-01-01T00:00:00Z", "-n", "8"])
        check(past.returncode == 2 and "already past" in past.stderr, "--start-at in the past: exit 2: %s"
              % past.stderr.strip())
        check(log_lines(d + "/access.log") == REQUESTS, "the refused runs sent nothing")
    finally:
        if nginx and nginx.poll() is None:
            nginx.terminate()  # its worker exits with it; a SIGKILL would leave the worker holding our stdout
            nginx.wait(timeout=10)
        cleanup()
        shutil.rmtree(d, ignore_errors=True)
    if FAILURES:
        print("FAILED: %d check(s)" % len(FAILURES))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
