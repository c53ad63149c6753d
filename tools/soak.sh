#!/usr/bin/env bash
# usage: tools/soak.sh [SECONDS]        (default: $SOAK_SECONDS, else 600)
#
# A soak test on loopback: `barrage serve --threads 1` under mixed load for SECONDS.
#  - one long-lived generator for the whole soak: open model, 500 req/s to /jitter
#  - beside it, phases in turn, each a separate `barrage` run: closed keep-alive, closed
#    --no-keepalive (connection churn), open model at 3000 req/s, /status/500 (errors),
#    /delay/2s with --timeout 500ms (timeouts, requests abandoned mid-handler), /delay/50ms
#    on 100 connections (slowness), pipelining (16 deep), POST /echo with a 4 KiB body
#  - every few seconds: RSS (/proc/PID/status VmRSS) and open fds (/proc/PID/fd) of the server,
#    the long-lived generator and the current phase's generator
# Checks, exit 1 on any violation (a table of the figures is printed either way):
#  - every JSON report: started = succeeded + failed + timed_out + in_flight_at_end, errors by
#    kind and statuses consistent with the counts, nothing in flight at the end, no transport
#    error but the injected ones, the open model's started + dropped = the schedule exactly
#  - the server answered exactly as many requests as the generators received answers (its
#    /metrics barrage_http_requests_total), give or take the requests abandoned by a timeout
#  - flat memory: the max RSS of the last third of the soak <= the first third's * 1.10 + 5 MB,
#    for the server and the long-lived generator (after a short warm-up pass of every phase)
#  - flat fds: the server's open fds between phases stay where they were after the first
#    phase, and are back to the start-up count at the end; each generator's fds stay below its
#    connections + 32
#
# BARRAGE=path: the binary (default: build/release/apps/barrage). SOAK_KEEP=1: keep the JSON
# reports. RELIABILITY_SANITIZED=1 (set by CMake in sanitizer builds): RSS is shown, not judged. Loopback only; every process started is stopped on exit (also on SIGINT/SIGTERM).
set -euo pipefail

secs=${1:-${SOAK_SECONDS:-600}}
if [[ ! $secs =~ ^[0-9]+$ || $secs -lt 10 ]]; then
  echo "usage: $0 [SECONDS]   (at least 10; default 600)" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
barrage=${BARRAGE:-build/release/apps/barrage}
if [[ ! -x $barrage ]]; then
  echo "soak: no barrage binary at $barrage (build it, or set BARRAGE=path)" >&2
  exit 1
fi
barrage=$(realpath "$barrage")

pid=
trap '[[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null' INT TERM
trap '[[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null || true' EXIT
"${PYTHON:-python3}" - "$barrage" "$secs" <<'PY' &
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

BARRAGE, SECS = sys.argv[1], int(sys.argv[2])
SANITIZED = os.environ.get("RELIABILITY_SANITIZED", "")
CHILDREN = []
FAILURES = []
LOCK = threading.Lock()


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)


def fail(msg):
    with LOCK:
        FAILURES.append(msg)
    print("  VIOLATION: " + msg, flush=True)


def proc_figures(pid):
    """(RSS kB, open fds) of a live process, or None."""
    try:
        with open("/proc/%d/status" % pid, encoding="ascii") as f:
            rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        return rss, len(os.listdir("/proc/%d/fd" % pid))
    except (OSError, StopIteration):
        return None


def spawn(cmd, **kw):
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, **kw)
    CHILDREN.append(p)
    return p


def start_server():
    p = spawn([BARRAGE, "serve", "--listen", "127.0.0.1:0", "--threads", "1"],
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
    if not m:
        raise SystemExit("soak: barrage serve did not start: %r" % line)
    return p, int(m.group(1))


def server_requests(port):
    """barrage_http_requests_total summed over codes (this scrape included)."""
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith("barrage_http_requests_total{"))


def settle_fds(pid, want, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        f = proc_figures(pid)
        if f and f[1] <= want:
            return f[1]
        time.sleep(0.05)
    f = proc_figures(pid)
    return f[1] if f else -1


# name, path, args, connections, injected error kinds, expectation
BODY = "x" * 4096
PHASES = [
    ("keepalive", "/", ["-c", "50"], 50, set(), "ok"),
    ("churn", "/", ["-c", "20", "--no-keepalive"], 20, set(), "ok"),
    ("open", "/jitter?median=1ms&p99=10ms", ["-r", "3000", "-c", "100"], 100, set(), "ok"),
    ("status500", "/status/500", ["-c", "20"], 20, set(), "500"),
    ("timeouts", "/delay/2s", ["-c", "50", "--timeout", "500ms"], 50, {"timeout", "timeout_first_byte"}, "timeout"),
    ("slow", "/delay/50ms", ["-c", "100"], 100, set(), "ok"),
    ("pipeline", "/", ["-c", "10", "--pipeline", "16"], 10, set(), "ok"),
    ("post", "/echo", ["-c", "20", "-X", "POST", "-H", "Content-Type: text/plain", "-b", BODY], 20, set(), "ok"),
]
RATE_BG = 500


def check_report(label, rep, ms, conns, injected, expect, rate=None):
    r, e, sc = rep["requests"], rep["errors"], rep["status_codes"]
    if r["started"] != r["succeeded"] + r["failed"] + r["timed_out"] + r["in_flight_at_end"]:
        fail("%s: started %d != succeeded %d + failed %d + timed_out %d + in_flight_at_end %d"
             % (label, r["started"], r["succeeded"], r["failed"], r["timed_out"], r["in_flight_at_end"]))
    # errors: the kinds, and the unsuccessful statuses as status_NNN; they add up to failed + timed_out.
    timeouts = e["timeout"] + e["timeout_first_byte"] + e["connect_timeout"]
    statuses = sum(v for k, v in e.items() if k.startswith("status_"))
    if r["timed_out"] != timeouts or r["failed"] != sum(e.values()) - timeouts or statuses != r["bad_status"]:
        fail("%s: errors %s do not add up to failed %d / timed_out %d" % (label, e, r["failed"], r["timed_out"]))
    if sum(sc.values()) != r["succeeded"] + r["bad_status"]:
        fail("%s: status codes %s != succeeded %d + bad_status %d" % (label, sc, r["succeeded"], r["bad_status"]))
    if r["in_flight_at_end"]:
        fail("%s: %d requests still in flight at the end" % (label, r["in_flight_at_end"]))
    stray = {k: v for k, v in e.items() if v and k not in injected and not k.startswith("status_")}
    if stray:
        fail("%s: unexpected transport errors %s" % (label, stray))
    if r["started"] == 0:
        fail("%s: no request started" % label)
    if expect == "ok" and (r["failed"] or r["timed_out"] or set(sc) - {"200"}):
        fail("%s: failures where none were injected: %s %s" % (label, sc, r))
    if expect == "500" and not (r["failed"] == r["bad_status"] == sc.get("500", 0) == r["started"]):
        fail("%s: every request should fail with 500: %s %s" % (label, sc, r))
    if expect == "timeout" and not (r["timed_out"] == r["started"] and not sc):
        fail("%s: every request should time out: %s %s" % (label, sc, r))
    if rate is not None:
        scheduled = math.ceil(rate * ms / 1000.0 - 1e-9)
        if r["started"] + r["dropped"] != scheduled:
            fail("%s: started %d + dropped %d != %d scheduled" % (label, r["started"], r["dropped"], scheduled))


class Sampler(threading.Thread):
    def __init__(self, interval, procs):
        super().__init__(daemon=True)
        self.interval, self.procs = interval, procs  # procs: name -> callable returning a pid or None
        self.samples = []  # (t, name, rss, fds, phase)
        self.phase = "-"
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            t = time.monotonic()
            for name, get in self.procs.items():
                pid = get()
                f = proc_figures(pid) if pid else None
                if f:
                    with LOCK:
                        self.samples.append((t, name, f[0], f[1], self.phase))
            self.stop.wait(self.interval)


def run_phase(tmp, ph, ms, port, sampler, tag):
    name, path, args, conns, injected, expect = ph
    out = os.path.join(tmp, "%s-%s.json" % (tag, name))
    cmd = [BARRAGE, "http://127.0.0.1:%d%s" % (port, path), *args, "-d", "%dms" % ms, "-t", "1",
           "--no-progress", "-q", "--json", out]
    p = spawn(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler.current = p
    sampler.phase = name
    try:
        _, err = p.communicate(timeout=ms / 1000.0 + 30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        fail("%s: barrage did not finish (hang)" % name)
        return None
    finally:
        sampler.current = None
        sampler.phase = "-"
    if p.returncode != 0:
        fail("%s: barrage exited %d: %s" % (name, p.returncode, err.strip()))
        return None
    with open(out, encoding="utf-8") as f:
        rep = json.load(f)
    rate = float(args[args.index("-r") + 1]) if "-r" in args else None
    check_report("%s (%s)" % (name, tag), rep, ms, conns, injected, expect, rate)
    return rep


def fmt_mb(kb):
    return "%.1f" % (kb / 1024.0)


def main():
    tmp = tempfile.mkdtemp(prefix="barrage-soak-")
    t_start = time.monotonic()
    server, port = start_server()
    cycles = max(1, SECS // (30 * len(PHASES)))
    # Each run costs about 0.4 s beyond its -d (start-up, grace, report): the phases end with the
    # background generator.
    phase_ms = max(1000, int(SECS * 1000 / (cycles * len(PHASES))) - 400)
    interval = max(0.5, min(5.0, SECS / 120.0))
    print("soak: %d s against barrage serve on 127.0.0.1:%d: %d cycle(s) of %d phases of %.1f s, "
          "a %d req/s open-model generator throughout, samples every %.1f s"
          % (SECS, port, cycles, len(PHASES), phase_ms / 1000.0, RATE_BG, interval), flush=True)
    # The start-up line may come before every fd of the loop exists: count after one answer.
    urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5).read()
    time.sleep(0.2)
    fds_start = proc_figures(server.pid)[1]
    reports = {}  # phase -> [report]
    bg = None
    sampler = None
    try:
        # Warm-up: every phase once, briefly, so the allocators reach their working set.
        warmup = []
        for ph in PHASES:
            dummy = type("S", (), {})()
            rep = run_phase(tmp, ph, 400, port, dummy, "warmup")
            if rep is not None:
                warmup.append(rep)
        fds_quiet0 = settle_fds(server.pid, fds_start)

        bg_json = os.path.join(tmp, "background.json")
        bg = spawn([BARRAGE, "http://127.0.0.1:%d/jitter?median=2ms&p99=20ms" % port, "-r", str(RATE_BG), "-c", "20",
                    "-d", "%ds" % SECS, "-t", "1", "--no-progress", "-q", "--json", bg_json],
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        sampler = Sampler(interval, {})
        sampler.current = None
        sampler.procs = {"server": lambda: server.pid, "background": lambda: bg.pid if bg.poll() is None else None,
                         "phase": lambda: sampler.current.pid if sampler.current is not None else None}
        t0 = time.monotonic()
        sampler.start()
        quiet = []  # server fds between phases: (after phase, fds)
        k = 0
        while k < cycles * len(PHASES):
            ph = PHASES[k % len(PHASES)]
            rep = run_phase(tmp, ph, phase_ms, port, sampler, "run%d" % k)
            if rep is not None:
                reports.setdefault(ph[0], []).append(rep)
            # Between phases only the background generator is connected: the server's fds are its
            # start-up fds + the background's connections (open when used, so settle on the first).
            if quiet:
                want = quiet[0][1]
            else:
                time.sleep(0.5)
                want = proc_figures(server.pid)[1]
            quiet.append((ph[0], settle_fds(server.pid, want, timeout=3.0)))
            k += 1
        _, bg_err = bg.communicate(timeout=max(5.0, SECS - (time.monotonic() - t0)) + 30)
        sampler.stop.set()
        sampler.join()
        if bg.returncode != 0:
            fail("background: barrage exited %d: %s" % (bg.returncode, bg_err.strip()))
        else:
            with open(bg_json, encoding="utf-8") as f:
                rep = json.load(f)
            reports["background"] = [rep]
            check_report("background", rep, SECS * 1000, 20, set(), "ok", RATE_BG)
        soak_s = time.monotonic() - t0

        # The server answered what the generators received (the scrape itself counts one). A
        # request abandoned by a timeout is counted by the server once its handler finishes.
        served = server_requests(port) - 2  # the scrape and the start-up probe
        every = [r for rs in reports.values() for r in rs] + warmup
        got = sum(r["requests"]["succeeded"] + r["requests"]["bad_status"] for r in every)
        abandoned = sum(r["requests"]["timed_out"] + r["requests"]["in_flight_at_end"] for r in every)
        if not (got <= served <= got + abandoned):
            fail("server answered %d requests, generators received %d answers (+%d abandoned by a timeout)"
                 % (served, got, abandoned))
        fds_end = settle_fds(server.pid, fds_start)

        # --- figures ---
        print()
        print("%-10s %4s %11s %11s %9s %9s %8s %7s %9s %8s %9s %8s" % (
            "phase", "runs", "started", "succeeded", "failed", "timedout", "inflight", "dropped", "req/s",
            "p99 ms", "gen MB", "gen fds"))
        tot = dict(started=0, succeeded=0, failed=0, timed_out=0, in_flight_at_end=0, dropped=0)
        for name in [p[0] for p in PHASES] + ["background"]:
            rs = reports.get(name, [])
            if not rs:
                continue
            s = {key: sum(r["requests"][key] for r in rs) for key in tot}
            for key in tot:
                tot[key] += s[key]
            dur = sum(r["duration_s"] for r in rs)
            p99 = max((r["latency_ms"]["p99"] or 0) for r in rs)
            who = "background" if name == "background" else "phase"
            gs = [x for x in sampler.samples if x[1] == who and (who == "background" or x[4] == name)]
            gen_rss = max((x[2] for x in gs), default=0)
            gen_fds = max((x[3] for x in gs), default=0)
            conns = 20 if name == "background" else next(p[3] for p in PHASES if p[0] == name)
            if gen_fds > conns + 32:
                fail("%s: the generator had %d fds open for %d connections" % (name, gen_fds, conns))
            print("%-10s %4d %11d %11d %9d %9d %8d %7d %9.0f %8.2f %9s %8d" % (
                name, len(rs), s["started"], s["succeeded"], s["failed"], s["timed_out"], s["in_flight_at_end"],
                s["dropped"], (s["succeeded"] + s["failed"] + s["timed_out"]) / max(dur, 1e-9), p99,
                fmt_mb(gen_rss), gen_fds))
        print("%-10s %4s %11d %11d %9d %9d %8d %7d" % ("total", "", tot["started"], tot["succeeded"], tot["failed"],
                                                       tot["timed_out"], tot["in_flight_at_end"], tot["dropped"]))
        print()
        print("%-11s %8s %14s %14s %14s %10s %10s %10s" % ("process", "samples", "RSS MB first", "RSS MB last",
                                                           "limit MB", "fds min", "fds max", "verdict"))
        for who in ("server", "background"):
            xs = [x for x in sampler.samples if x[1] == who]
            if len(xs) < 3:
                fail("%s: only %d samples" % (who, len(xs)))
                continue
            ta, tb = xs[0][0], xs[-1][0]
            third = (tb - ta) / 3.0
            first = max(x[2] for x in xs if x[0] <= ta + third)
            last = max(x[2] for x in xs if x[0] >= tb - third)
            limit = first * 1.10 + 5 * 1024
            ok = last <= limit
            if not ok and SANITIZED:
                print("  (RSS not judged under -fsanitize=%s: ASan's quarantine keeps freed memory)" % SANITIZED)
            elif not ok:
                fail("%s: RSS grew: max %s MB in the first third, %s MB in the last (limit %s MB)"
                     % (who, fmt_mb(first), fmt_mb(last), fmt_mb(limit)))
            print("%-11s %8d %14s %14s %14s %10d %10d %10s" % (who, len(xs), fmt_mb(first), fmt_mb(last), fmt_mb(limit),
                                                              min(x[3] for x in xs), max(x[3] for x in xs),
                                                              "flat" if ok else "GREW"))
        qs = [q[1] for q in quiet]
        print()
        print("server fds: %d at start-up, %d after warm-up, between phases %s, %d at the end"
              % (fds_start, fds_quiet0, qs if len(qs) <= 16 else "%s ... %s (%d values, min %d, max %d)"
                 % (qs[:4], qs[-4:], len(qs), min(qs), max(qs)), fds_end))
        if qs and max(qs) > qs[0] + 2:
            fail("server fds between phases grew: %s" % qs)
        if fds_end != fds_start:
            fail("server fds at the end %d != %d at start-up" % (fds_end, fds_start))
        print("server answered %d requests (warm-up included); generators received %d answers, %d abandoned by timeouts (%s)"
              % (served, got, abandoned, "consistent" if got <= served <= got + abandoned else "INCONSISTENT"))
        print("soak: %.0f s measured (%.0f s in all), %d requests, %d failed (injected 500s), %d timed out (injected), "
              "%d in flight at the end, %d dropped"
              % (soak_s, time.monotonic() - t_start, tot["started"], tot["failed"], tot["timed_out"],
                 tot["in_flight_at_end"], tot["dropped"]))
    finally:
        for p in CHILDREN:
            if p is not server and p.poll() is None:
                p.kill()
                p.wait()
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                if server.wait(timeout=15) != 0:
                    fail("barrage serve exited %d on SIGTERM" % server.returncode)
            except subprocess.TimeoutExpired:
                fail("barrage serve did not stop on SIGTERM")
                server.kill()
                server.wait()
        else:
            fail("barrage serve died (exit %s)" % server.returncode)
        if FAILURES or os.environ.get("SOAK_KEEP"):
            print("soak: reports kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("soak: FAIL, %d violation(s):" % len(FAILURES))
        for f in FAILURES:
            print("  " + f)
        return 1
    print("soak: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
PY
pid=$!
while :; do
  rc=0
  wait "$pid" || rc=$?
  kill -0 "$pid" 2>/dev/null || break
done
pid=
exit "$rc"
