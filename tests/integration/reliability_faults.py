#!/usr/bin/env python3
"""Process-level fault injection against the `barrage` load generator (docs/reliability.md).

  reliability_faults.py BARRAGE [CASE ...]

Cases (all by default): restart, refused, fdlimit, badinput, status5xx, openmodel, signals.
Every case runs `barrage` as a subprocess on loopback (127.0.0.1), reads its JSON report and
checks the accounting identity started = succeeded + failed + timed_out + in_flight_at_end.
Every child process is killed on exit (also on SIGTERM / SIGINT from ctest).
Exit 0 when every case passed (or was skipped), 1 otherwise.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from harness import FAILURES, check, cleanup, free_port, guard_children, spawn  # noqa: E402


def start_server(barrage, port, *extra):
    """Starts `barrage serve` on 127.0.0.1:port (0: any) and returns (process, port)."""
    p = spawn([barrage, "serve", "--listen", "127.0.0.1:%d" % port, "--threads", "1", *extra],
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
    if not m:
        p.kill()
        raise RuntimeError("barrage serve did not start: %r %s" % (line, p.stderr.read()))
    return p, int(m.group(1))


def stop_server(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return p.returncode


def accounting(report, label):
    r = report["requests"]
    total = r["succeeded"] + r["failed"] + r["timed_out"] + r["in_flight_at_end"]
    check(r["started"] == total,
          "%s: started %d = succeeded %d + failed %d + timed_out %d + in_flight_at_end %d"
          % (label, r["started"], r["succeeded"], r["failed"], r["timed_out"], r["in_flight_at_end"]))
    errs = sum(report["errors"].values())
    # failed = errors that are not timeouts + bad statuses (the status_NNN keys of errors);
    # timed_out = the timeout kinds.
    timeouts = sum(report["errors"][k] for k in ("timeout", "timeout_first_byte", "connect_timeout"))
    statuses = sum(n for k, n in report["errors"].items() if k.startswith("status_"))
    check(r["failed"] == errs - timeouts and r["timed_out"] == timeouts and statuses == r["bad_status"],
          "%s: errors (%d, %d timeouts, statuses = bad_status %d) match failed %d / timed_out %d"
          % (label, errs, timeouts, r["bad_status"], r["failed"], r["timed_out"]))
    statuses = sum(report["status_codes"].values())
    check(statuses == r["succeeded"] + r["bad_status"],
          "%s: status codes (%d) = succeeded + bad_status (%d)" % (label, statuses, r["succeeded"] + r["bad_status"]))


def nonzero(d):
    return {k: v for k, v in d.items() if v}


def run_barrage(barrage, args, timeout, env=None):
    """Runs barrage with a JSON report in a temporary file; returns (rc, report or None, stderr, seconds)."""
    fd, path = tempfile.mkstemp(suffix=".json", prefix="barrage-rel-")
    os.close(fd)
    try:
        t0 = time.monotonic()
        p = spawn([barrage, *args, "--no-progress", "-q", "--json", path],
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            _, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
            return None, None, err + "\n(killed after %.0f s: hang)" % timeout, time.monotonic() - t0
        took = time.monotonic() - t0
        report = None
        if os.path.getsize(path) > 0:
            with open(path, encoding="utf-8") as f:
                report = json.load(f)
        return p.returncode, report, err, took
    finally:
        os.unlink(path)


# --- cases -----------------------------------------------------------------------------------

def case_restart(barrage):
    """The target is SIGKILLed at ~1.5 s and restarted on the same port at ~3 s."""
    port = free_port()
    server, port = start_server(barrage, port)
    fd, path = tempfile.mkstemp(suffix=".json", prefix="barrage-rel-")
    os.close(fd)
    try:
        t0 = time.monotonic()
        lg = spawn([barrage, "http://127.0.0.1:%d/" % port, "-c", "20", "-d", "6s", "-t", "1",
                    "--timeout", "2s", "--no-progress", "-q", "--json", path],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        server.kill()
        server.wait()
        killed_at = time.monotonic() - t0
        time.sleep(max(0.0, 3.0 - (time.monotonic() - t0)))
        server2 = None
        for _ in range(50):  # the port may take a moment to be free again
            try:
                server2, _ = start_server(barrage, port)
                break
            except RuntimeError:
                time.sleep(0.1)
        restarted_at = time.monotonic() - t0
        if not check(server2 is not None, "restart: the server came back on port %d" % port):
            return
        try:
            _, err = lg.communicate(timeout=6 + 2 + 6)  # run + --timeout grace + slack
        except subprocess.TimeoutExpired:
            lg.kill()
            lg.communicate()
            check(False, "restart: barrage finished (it hung)")
            return
        took = time.monotonic() - t0
        print("  killed at %.2f s, restarted at %.2f s, barrage exited %d after %.2f s"
              % (killed_at, restarted_at, lg.returncode, took))
        check(lg.returncode == 0, "restart: exit status 0 (got %s: %s)" % (lg.returncode, err.strip()))
        check(took < 6 + 2 + 2, "restart: done within run time + grace (%.2f s)" % took)
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        r = report["requests"]
        e = report["errors"]
        print("  requests %s errors %s" % (nonzero(r), nonzero(e)))
        print("  timeline %s" % [(s["second"], s["requests"], s["errors"]) for s in report["timeline"]])
        accounting(report, "restart")
        down = e["refused"] + e["reset"] + e["closed_before_response"]
        check(down > 0, "restart: refused/reset/closed_before_response errors counted (%d)" % down)
        check(e["refused"] > 0, "restart: refused while the server was down (%d)" % e["refused"])
        late = [s["requests"] - s["errors"] for s in report["timeline"] if s["second"] >= 4]
        check(sum(late) > 0, "restart: successes after the restart (seconds >= 4: %s)" % late)
        early = [s["requests"] - s["errors"] for s in report["timeline"] if s["second"] < 1]
        check(sum(early) > 0, "restart: successes before the kill (%s)" % early)
        check(r["succeeded"] > 0, "restart: succeeded > 0")
        check(stop_server(server2) == 0, "restart: the restarted server stops cleanly on SIGTERM")
    finally:
        os.unlink(path)


def case_refused(barrage):
    """Nothing listens: every request is refused, the run still ends on time with a report."""
    port = free_port()
    rc, report, err, took = run_barrage(barrage, ["http://127.0.0.1:%d/" % port, "-c", "20", "-d", "1s", "-t", "1"], 15)
    print("  exit %s after %.2f s" % (rc, took))
    if not check(rc == 0 and report is not None, "refused: exit 0 with a report (%s)" % err.strip()):
        return
    check(took < 4, "refused: no hang (%.2f s for -d 1s)" % took)
    r = report["requests"]
    print("  requests %s errors %s" % (nonzero(r), nonzero(report["errors"])))
    accounting(report, "refused")
    check(r["started"] > 0 and report["errors"]["refused"] == r["started"] == r["failed"],
          "refused: every request (%d) is refused (%d)" % (r["started"], report["errors"]["refused"]))
    check(r["succeeded"] == 0 and not report["status_codes"], "refused: no responses")
    # The open model too: requests on the schedule are refused, none is lost.
    rc, report, err, took = run_barrage(barrage, ["http://127.0.0.1:%d/" % port, "-r", "200", "-c", "20", "-d", "1s", "-t", "1"], 15)
    if check(rc == 0 and report is not None, "refused (open model): exit 0 with a report (%s)" % err.strip()):
        r = report["requests"]
        print("  open model: requests %s errors %s" % (nonzero(r), nonzero(report["errors"])))
        accounting(report, "refused (open model)")
        check(report["errors"]["refused"] == r["failed"] == r["started"] > 0,
              "refused (open model): every started request is refused")
        check(took < 4, "refused (open model): no hang (%.2f s)" % took)


def case_fdlimit(barrage):
    """-c 1000 under `ulimit -n 256`: one line naming ulimit, exit 1, no crash."""
    port = free_port()
    t0 = time.monotonic()
    p = spawn(["bash", "-c", 'ulimit -n 256 && exec "$0" "$@"', barrage,
               "http://127.0.0.1:%d/" % port, "-c", "1000", "-d", "1s", "--no-progress"],
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        check(False, "fdlimit: barrage finished (it hung)")
        return
    lines = [l for l in err.splitlines() if l.strip()]
    print("  exit %d after %.2f s: %s" % (p.returncode, time.monotonic() - t0, lines))
    check(p.returncode == 1, "fdlimit: exit 1 (not a crash: %d)" % p.returncode)
    check(len(lines) == 1 and "ulimit" in lines[0], "fdlimit: one line on stderr naming ulimit")
    check(out.strip() == "", "fdlimit: nothing on stdout")


def case_badinput(barrage):
    """Bad command lines, a bad URL included: one line on stderr each, exit 2 (as docs/report.md says)."""
    port = free_port()
    url = "http://127.0.0.1:%d/" % port
    cases = [
        ("unknown flag", [url, "--no-such-flag"], 2, "no-such-flag"),
        ("bad duration", [url, "-d", "10x"], 2, "10x"),
        ("zero rate", [url, "-r", "0"], 2, "rate"),
        ("negative rate", [url, "-r", "-5"], 2, "-5"),
        ("bad threshold", [url, "--threshold", "p99<250"], 2, "threshold"),
        ("no URL", ["-c", "5"], 2, "url"),
        ("bad URL (scheme)", ["ftp://127.0.0.1/"], 2, "ftp://"),
        ("bad URL (no scheme)", ["127.0.0.1:%d" % port], 2, "URL"),
        ("bad URL (port)", ["http://127.0.0.1:99999/"], 2, "port"),
        ("bad URL (no host)", ["http://"], 2, "host"),
    ]
    # No argument at all: the three-line usage, exit 2.
    p = spawn([barrage], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = p.communicate(timeout=10)
    check(p.returncode == 2 and "usage" in err, "badinput no arguments: usage on stderr, exit 2")
    for label, args, want, needle in cases:
        t0 = time.monotonic()
        p = spawn([barrage, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            check(False, "badinput %s: finished (it hung)" % label)
            continue
        lines = [l for l in err.splitlines() if l.strip()]
        print("  %-20s exit %d in %.2f s: %s" % (label, p.returncode, time.monotonic() - t0, lines))
        check(p.returncode == want, "badinput %s: exit %d" % (label, want))
        check(len(lines) == 1 and needle.lower() in lines[0].lower(), "badinput %s: one line naming %r" % (label, needle))
        check(out.strip() == "", "badinput %s: nothing on stdout" % label)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "report.md"), encoding="utf-8") as f:
        doc = f.read()
    check(re.search(r"\| 2 \|[^\n]*bad URL", doc) is not None, "badinput: docs/report.md documents exit 2 for a bad URL")


def case_status5xx(barrage):
    """/status/503 answers are failures with status_codes {"503": n}; a mix with / keeps the counts exact."""
    server, port = start_server(barrage, 0)
    try:
        rc, report, err, took = run_barrage(barrage, ["http://127.0.0.1:%d/status/503" % port, "-c", "10", "-d", "1s", "-t", "1"], 15)
        if check(rc == 0 and report is not None, "5xx: exit 0 with a report (%s)" % err.strip()):
            r = report["requests"]
            print("  requests %s status_codes %s errors %s" % (nonzero(r), report["status_codes"], nonzero(report["errors"])))
            accounting(report, "5xx")
            check(r["started"] > 0 and r["failed"] == r["bad_status"] == report["status_codes"].get("503") == r["started"] - r["in_flight_at_end"],
                  "5xx: every answered request failed with 503")
            check(r["succeeded"] == 0 and set(report["status_codes"]) == {"503"}, "5xx: no success, only 503")
            check(sum(n for k, n in report["errors"].items() if not k.startswith("status_")) == 0, "5xx: no transport errors")
            check(report["errors"].get("status_503") == r["failed"], "5xx: the errors list status 503 with its count")
            check(report["rates"]["error"] == 1.0, "5xx: error rate 1")
        # With retries on 503: every request is still counted once, the extra attempts as retried.
        rc, report, err, took = run_barrage(barrage, ["http://127.0.0.1:%d/status/503" % port, "-c", "5", "-d", "1s", "-t", "1",
                                                      "--retries", "2", "--retry-backoff", "1ms"], 15)
        if check(rc == 0 and report is not None, "5xx retries: exit 0 with a report"):
            r = report["requests"]
            print("  retries: requests %s" % nonzero(r))
            accounting(report, "5xx retries")
            done = r["started"] - r["in_flight_at_end"]
            check(r["retried"] >= 2 * (done - 5) and r["retried"] <= 2 * r["started"],
                  "5xx retries: 2 retries per request (%d retried for %d requests)" % (r["retried"], done))
            check(report["status_codes"].get("503") == r["failed"], "5xx retries: one 503 counted per request, not per attempt")
        # Success status declared: 503 counts as success.
        rc, report, err, took = run_barrage(barrage, ["http://127.0.0.1:%d/status/503" % port, "-c", "5", "-n", "500", "-t", "1",
                                                      "--success-status", "2xx,503"], 15)
        if check(rc == 0 and report is not None, "5xx declared successful: exit 0 with a report"):
            r = report["requests"]
            accounting(report, "5xx declared successful")
            check(r["started"] == r["succeeded"] == 500 and r["failed"] == 0, "5xx declared successful: -n 500 all succeeded (%s)" % nonzero(r))
    finally:
        check(stop_server(server) == 0, "5xx: the server stops cleanly on SIGTERM")


def case_openmodel(barrage):
    """Open model accounting at the edges: every intended time before the end is either started
    or dropped (an overloaded target); -r with -n and no -d stops after N (it used to hang)."""
    server, port = start_server(barrage, 0)
    try:
        url = "http://127.0.0.1:%d" % port
        # 20 connections, 300 ms per answer: ~67/s can be carried of the 200/s asked.
        rc, report, err, took = run_barrage(barrage, [url + "/delay/300ms", "-r", "200", "-c", "20", "-d", "1s", "-t", "1"], 15)
        if check(rc == 0 and report is not None, "open overloaded: exit 0 with a report (%s)" % err.strip()):
            r = report["requests"]
            print("  overloaded: requests %s" % nonzero(r))
            accounting(report, "open overloaded")
            check(r["dropped"] > 0 and r["started"] + r["dropped"] == 200,
                  "open overloaded: started %d + dropped %d = 200 scheduled" % (r["started"], r["dropped"]))
        rc, report, err, took = run_barrage(barrage, [url + "/", "-r", "200", "-c", "20", "-d", "1s", "-t", "1"], 15)
        if check(rc == 0 and report is not None, "open on time: exit 0 with a report"):
            r = report["requests"]
            print("  on time: requests %s" % nonzero(r))
            accounting(report, "open on time")
            check(r["started"] + r["dropped"] == 200, "open on time: started %d + dropped %d = 200 scheduled"
                  % (r["started"], r["dropped"]))
        rc, report, err, took = run_barrage(barrage, [url + "/", "-r", "100", "-n", "50", "-t", "1"], 10)
        print("  -r 100 -n 50: exit %s after %.2f s" % (rc, took))
        if check(rc == 0 and report is not None, "open -n: -r 100 -n 50 (no -d) ends with a report (%s)" % err.strip()):
            r = report["requests"]
            accounting(report, "open -n")
            check(r["started"] == 50 and r["dropped"] == 0, "open -n: 50 started, none dropped (%s)" % nonzero(r))
            check(took < 3, "open -n: done in about 0.5 s (%.2f s)" % took)
    finally:
        check(stop_server(server) == 0, "open model: the server stops cleanly on SIGTERM")


def case_signals(barrage):
    """SIGINT and SIGTERM in the middle of a run: it stops at once, lets what is in flight finish
    and still writes the whole report, exit 0; the open model counts as dropped only what was due
    before the signal."""
    server, port = start_server(barrage, 0)
    fd, path = tempfile.mkstemp(suffix=".json", prefix="barrage-rel-")
    os.close(fd)
    try:
        for signame, extra in (("SIGINT", ["-c", "10"]), ("SIGTERM", ["-c", "10"]), ("SIGINT", ["-r", "200", "-c", "10"])):
            label = "%s (%s)" % (signame, "open model" if "-r" in extra else "closed model")
            p = spawn([barrage, "http://127.0.0.1:%d/delay/100ms" % port, *extra, "-d", "10s", "-t", "1",
                       "--no-progress", "-q", "--json", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(1.0)
            t0 = time.monotonic()
            p.send_signal(getattr(signal, signame))
            try:
                _, err = p.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
                check(False, "signals %s: barrage stopped (it hung)" % label)
                continue
            took = time.monotonic() - t0
            print("  %s: exit %d %.2f s after the signal" % (label, p.returncode, took))
            if not check(p.returncode == 0, "signals %s: exit 0 (got %d: %s)" % (label, p.returncode, err.strip())):
                continue
            check(took < 1.5, "signals %s: stopped within 1.5 s (%.2f s)" % (label, took))
            with open(path, encoding="utf-8") as f:
                report = json.load(f)
            r = report["requests"]
            print("  %s: requests %s, duration %.2f s" % (label, nonzero(r), report["duration_s"]))
            accounting(report, "signals " + label)
            check(r["succeeded"] > 0 and r["in_flight_at_end"] == 0 and r["failed"] == 0,
                  "signals %s: what was in flight finished, nothing failed" % label)
            if "-r" in extra:
                # 200/s for the ~1 s before the signal: about 200 due, not the 2000 planned.
                check(r["started"] + r["dropped"] <= 200 * 2,
                      "signals %s: started + dropped (%d) counts only what was due before the signal"
                      % (label, r["started"] + r["dropped"]))
    finally:
        os.unlink(path)
        check(stop_server(server) == 0, "signals: the server stops cleanly on SIGTERM")


CASES = {"restart": case_restart, "refused": case_refused, "fdlimit": case_fdlimit,
         "badinput": case_badinput, "status5xx": case_status5xx, "openmodel": case_openmodel,
         "signals": case_signals}


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    barrage = os.path.abspath(sys.argv[1])
    names = sys.argv[2:] or list(CASES)
    guard_children()
    t0 = time.monotonic()
    try:
        for name in names:
            print("== %s" % name)
            c0 = time.monotonic()
            try:
                CASES[name](barrage)
            except Exception as e:  # a broken case fails, the others still run
                check(False, "%s: %s: %s" % (name, type(e).__name__, e))
            print("   (%.1f s)" % (time.monotonic() - c0))
    finally:
        cleanup()
    print("%s: %d failure(s) in %.1f s" % ("FAIL" if FAILURES else "PASS", len(FAILURES), time.monotonic() - t0))
    for f in FAILURES:
        print("  " + f)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
