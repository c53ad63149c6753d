#!/usr/bin/env python3
"""Runs the HTTP/1.1 conformance cases (derived from Http11Probe) against `barrage serve`.

  server_conformance.py BARRAGE [--runner PATH] [--min-pass N] [--json OUT]

The runner and its cases live in the source tree (tests/conformance/, see its README for
their origin); --runner defaults to the one beside this script's directory. Fails on any case
at MUST level or in the Smuggling category that does not pass or warn (scored or not), and
when fewer than --min-pass scored cases pass (default 140 of 161). A missing runner is a
failure, never a skip: the suite is part of the project's tests.

The cases are dealt round-robin to --shards runners (default 4) that run side by side against
the one server, each with its own --only list, and their results are merged in the suite's
order. A case holds its own connection and its verdict does not depend on the others; the
runner's time goes to waiting (100 ms of settling per step, 50 ms for the close check, the
timeout for each case the server leaves hanging), so four of them take a quarter of the 40 s
one takes, on the same CPU.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DEFAULT_RUNNER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "conformance", "run_http11.py")


def run_shards(runner, port, ids, shards):
    """Runs one runner per list of case ids, side by side; their reports merged in the suite's
    order, or None (and the reason printed) if one of them fails."""
    tmp = tempfile.mkdtemp(prefix="barrage-conformance-")
    runs = []
    try:
        for k, only in enumerate(shards):
            out_json = os.path.join(tmp, "shard%d.json" % k)
            cmd = [sys.executable, runner, "--host", "127.0.0.1", "--port", port, "--timeout", "1",
                   "--static-body", "hello", "--route", "echo=/echo", "--route", "echo_headers=/headers",
                   "--route", "cookie=/cookies", "--only", ",".join(only), "--json", out_json]
            runs.append((subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), out_json))
        reports = []
        for p, out_json in runs:
            try:
                out, err = p.communicate(timeout=300)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
            if p.returncode != 0:
                print("FAIL: runner exited %d\n%s%s" % (p.returncode, out, err))
                return None
            with open(out_json, encoding="utf-8") as f:
                reports.append(json.load(f))
    finally:
        for p, _ in runs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    order = {cid: n for n, cid in enumerate(ids)}
    results = sorted((r for rep in reports for r in rep["results"]), key=lambda r: order.get(r["id"], len(order)))
    summary = {key: sum(rep["summary"][key] for rep in reports) for key in reports[0]["summary"]}
    return {"summary": summary, "results": results}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("barrage")
    ap.add_argument("--runner", default=DEFAULT_RUNNER)
    ap.add_argument("--min-pass", type=int, default=140)
    ap.add_argument("--json")
    ap.add_argument("--shards", type=int, default=4)
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
        with open(os.path.join(os.path.dirname(args.runner), "http11-cases.json"), encoding="utf-8") as f:
            ids = [c["id"] for c in json.load(f)]
        n = max(1, args.shards)
        shards = [ids[k::n] for k in range(n) if ids[k::n]]
        t0 = time.monotonic()
        report = run_shards(args.runner, port, ids, shards)
        if report is None:
            return 1
        if sorted(r["id"] for r in report["results"]) != sorted(ids):
            print("FAIL: the runners gave %d results for the %d cases" % (len(report["results"]), len(ids)))
            return 1
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(report, f, indent=1)
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
