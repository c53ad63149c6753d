#!/usr/bin/env python3
"""Runs the HTTP/1.1 conformance cases (derived from Http11Probe) against `barrage serve`.

  server_conformance.py BARRAGE [--runner PATH] [--min-pass N] [--json OUT]

The runner and its cases live in the source tree (tests/conformance/, see its README for
their origin); --runner defaults to the one beside this script's directory. Fails on any case
at MUST level or in the Smuggling category that does not pass or warn (scored or not), and
when fewer than --min-pass scored cases pass (default 140 of 161). A missing runner is a
failure, never a skip: the suite is part of the project's tests.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

DEFAULT_RUNNER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "conformance", "run_http11.py")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("barrage")
    ap.add_argument("--runner", default=DEFAULT_RUNNER)
    ap.add_argument("--min-pass", type=int, default=140)
    ap.add_argument("--json")
    args = ap.parse_args()
    if not os.path.exists(args.runner):
        print("FAIL: no conformance runner at %s" % args.runner)
        return 1

    server = subprocess.Popen([args.barrage, "serve", "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if not m:
            print("FAIL: no startup line from barrage serve: %r %s" % (line, server.stderr.read()))
            return 1
        port = m.group(1)
        out_json = args.json or tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
        cmd = [sys.executable, args.runner, "--host", "127.0.0.1", "--port", port, "--timeout", "1",
               "--static-body", "hello", "--route", "echo=/echo", "--route", "echo_headers=/headers",
               "--route", "cookie=/cookies", "--json", out_json]
        t0 = time.monotonic()
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if run.returncode != 0:
            print("FAIL: runner exited %d\n%s%s" % (run.returncode, run.stdout, run.stderr))
            return 1
        with open(out_json, encoding="utf-8") as f:
            report = json.load(f)
        if not args.json:
            os.unlink(out_json)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    s = report["summary"]
    print("conformance (%.0f s): scored %d: %d pass, %d warn, %d fail, %d error; unscored: %d pass, %d warn, %d fail"
          % (time.monotonic() - t0, s["scored"], s["pass"], s["warn"], s["fail"], s["error"],
             s["unscored_pass"], s["unscored_warn"], s["unscored_fail"]))
    bad = []
    for r in report["results"]:
        if r["verdict"] != "pass":
            print("  %-5s %-44s %-8s %-14s %s%s" % (r["verdict"].upper(), r["id"], r["level"], r["category"], r["got"],
                                                 "" if r["scored"] else "  [unscored]"))
        if r["verdict"] in ("fail", "error") and (r["level"] == "MUST" or r["category"] == "Smuggling"):
            bad.append(r["id"])
    ok = True
    if bad:
        print("FAIL: MUST-level or Smuggling cases failed: %s" % ", ".join(bad))
        ok = False
    if s["pass"] < args.min_pass:
        print("FAIL: %d scored passes, want at least %d" % (s["pass"], args.min_pass))
        ok = False
    if server.returncode != 0:
        print("FAIL: barrage serve exited %s after SIGTERM" % server.returncode)
        ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
