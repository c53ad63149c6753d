#!/usr/bin/env python3
"""The response hold (the open model's default over plain HTTP/1.1; --no-response-hold turns it
off): responses read with the next arrival batch and timed by the kernel's receive stamps. Against barrage serve's /delay/20ms on 127.0.0.1 (started here), at
-r 1000 -t 1 (arrivals 1 ms apart, within twice the 0.5 ms slack, so the loop holds I/O before
almost every batch): every request is accounted for, and the response's time is its arrival,
not the held read's: the wait (send to first byte) has a median within 0.6 ms of the 20 ms
delay, where timing by the read would add about half the 1 ms hold. With --no-response-hold the
same run is accounted for too. Connects are timed by the clock and the loop does not hold while
one is in flight: the connect phase's median stays a loopback connect's (a hold would add about
half a millisecond). Both I/O backends.

  response_hold_test.py BARRAGE
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

from harness import FAILURES, check, cleanup, free_port, guard_children, spawn  # noqa: E402

TMP = tempfile.mkdtemp(prefix="barrage-response-hold-test-")
DELAY_MS = 20.0


def wait_up(port):
    for _ in range(100):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=1).read()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("barrage serve did not start")


def run(barrage, url, extra, env):
    out = os.path.join(TMP, "report.json")
    if os.path.exists(out):
        os.remove(out)
    p = subprocess.run([barrage, url, "-r", "1000", "-c", "50", "-t", "1", "-d", "3s", "--no-progress", "-q",
                        "--json", out] + extra, capture_output=True, text=True, timeout=60, env=env)
    check(p.returncode == 0, "exit 0 (%d: %s)" % (p.returncode, p.stderr.strip()))
    with open(out) as f:
        return json.load(f)


def main():
    guard_children()
    barrage = sys.argv[1]
    port = free_port()
    spawn([barrage, "serve", "--listen", "127.0.0.1:%d" % port, "--threads", "1", "--quiet"])
    wait_up(port)
    url = "http://127.0.0.1:%d/delay/20ms" % port
    for backend in ("io_uring", "epoll"):
        env = dict(os.environ, BARRAGE_IO_BACKEND=backend)
        print("[%s] --no-response-hold" % backend)
        r = run(barrage, url, ["--no-response-hold"], env)["requests"]
        check(r["started"] == r["succeeded"] + r["failed"] + r["timed_out"] + r["in_flight_at_end"],
              "accounting identity holds (%s)" % r)
        print("[%s] the response hold (default)" % backend)
        rep = run(barrage, url, [], env)
        r = rep["requests"]
        check(r["started"] == r["succeeded"] + r["failed"] + r["timed_out"] + r["in_flight_at_end"],
              "accounting identity holds (%s)" % r)
        check(r["failed"] == 0 and r["timed_out"] == 0, "no request failed (%s)" % r)
        check(r["succeeded"] >= 2700, "about 3,000 requests answered (%d)" % r["succeeded"])
        wait = rep["phases"]["wait"]
        print("  wait p50 %.3f ms, p99 %.3f ms; latency p50 %.3f ms" % (wait["p50"], wait["p99"], rep["latency_ms"]["p50"]))
        check(wait["p50"] >= DELAY_MS, "the wait is no shorter than the server's delay (p50 %.3f ms)" % wait["p50"])
        check(wait["p50"] < DELAY_MS + 0.6,
              "the wait's median is the response's arrival, not the held read (p50 %.3f ms)" % wait["p50"])
        connect = rep["phases"]["connect"]
        print("  connect p50 %.3f ms over %d connects" % (connect["p50"], connect["count"]))
        check(connect["p50"] < 0.35,
              "connects are not held: the connect phase's median is a loopback connect's (%.3f ms)" % connect["p50"])
    cleanup()
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
