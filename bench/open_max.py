#!/usr/bin/python3
"""The highest request rate one generator core sustains in the open model, for barrage and wrk2.

    bench/open_max.py BUILD_DIR [--wrk2 PATH] [--tools barrage,wrk2] [--duration 12] [--conns 200]
                      [--start 20000] [--step 20000] [--resolution 5000] [--max 400000] [--out FILE.json]

Against one nginx worker (`return 200`, access log off) pinned to CPU 0, each generator pinned to
CPU 1, one thread, -c CONNS (200 as in the open-model section of `make bench`).  A rate R is
*sustained* when, in one run of DURATION seconds:
  * the rate nginx answered between 3 s after the start and 1 s before the end (its stub_status
    counter, read twice) is at least 99 % of R: the steady state, so wrk2's start (it connects its
    connections 5 ms apart, a second for 200) and barrage's first second count alike;
  * the tool's p99 latency, measured from each request's intended send time (both tools correct
    for coordinated omission), is below 10 ms;
  * the tool reports no error (failed or timed-out requests, socket errors, non-2xx).
The search goes up from START by STEP while R is sustained, then halves the interval between the last
rate sustained and the first one missed down to RESOLUTION.  One run per rate: the machine's noise
decides a rate near the limit either way, so read the result as "to within RESOLUTION or so".
Printed per run: R, the steady rate, p99, errors, the generator's CPU (user+sys over the whole run,
% of one core) and nginx's CPU (% of one core over the window): a generator at ~100 % of its core is
the limit; nginx at ~100 % means the server was.  wrk2 is not in Debian: docs/benchmarks.md says how
to build it; without --wrk2 (or $WRK2) only barrage is searched.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib.common import GEN_CPU  # noqa: E402
from lib.parse import parse_barrage, parse_wrk  # noqa: E402
from lib.runner import nginx_server, stop_all  # noqa: E402

WARM, TAIL = 3.0, 1.0  # seconds left out of the counted window at the start and the end


def run_once(tool, exe, url, rate, conns, dur, nginx, workdir):
    jp = os.path.join(workdir, "open-max.json")
    if tool == "barrage":
        argv = [exe, url, "-r", str(rate), "-c", str(conns), "-d", f"{dur}s", "-t", "1", "--json", jp, "-q",
                "--no-progress"]
    else:
        argv = [exe, "-t1", f"-c{conns}", f"-d{dur}s", f"-R{rate}", "--latency", url]
    marks = {}

    def mark(name):
        marks[name] = (time.monotonic(), nginx.stub_requests(), nginx.cpu())
    timers = [threading.Timer(WARM, mark, ("a",)), threading.Timer(dur - TAIL, mark, ("b",))]
    with tempfile.TemporaryFile() as out:
        p = subprocess.Popen(["taskset", "-c", GEN_CPU] + argv, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
        t0 = time.monotonic()
        for t in timers:
            t.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            for t in timers:
                t.cancel()
        wall = time.monotonic() - t0
        out.seek(0)
        txt = out.read().decode(errors="replace")
    rec = {"tool": tool, "rate": rate, "rc": os.waitstatus_to_exitcode(status),
           "gen_cpu_pct": (ru.ru_utime + ru.ru_stime) / wall * 100}
    if "a" in marks and "b" in marks and marks["a"][1] is not None and marks["b"][1] is not None:
        (ta, na, ca), (tb, nb, cb) = marks["a"], marks["b"]
        rec["steady_rps"] = (nb - na - 1) / (tb - ta)  # minus the stub request itself
        rec["server_cpu_pct"] = (cb - ca) / (tb - ta) * 100
    try:
        r = parse_barrage(jp) if tool == "barrage" else parse_wrk(txt)
        rec.update(p99_ms=r.get("p99_ms"), errors=r.get("errors", 0), reported_rps=r.get("rps"))
    except Exception as e:  # an unreadable report is a failed rate, shown as such
        rec["error"] = f"no usable report ({e!r}): {txt[-300:]}"
    rec["sustained"] = (rec["rc"] == 0 and "error" not in rec and rec.get("steady_rps", 0) >= 0.99 * rate
                        and rec.get("p99_ms") is not None and rec["p99_ms"] < 10.0 and rec.get("errors") == 0)
    return rec


def show(rec):
    def f(k, fmt):
        v = rec.get(k)
        return format(v, fmt) if v is not None else "-"
    print(f"{rec['tool']:<8} R={rec['rate']:>7,}  steady {f('steady_rps', ',.0f'):>8} req/s"
          f"  p99 {f('p99_ms', '.2f'):>7} ms  errors {rec.get('errors', '-')}  gen {f('gen_cpu_pct', '.0f')} %"
          f"  nginx {f('server_cpu_pct', '.0f')} %  {'sustained' if rec['sustained'] else 'MISSED'}"
          + (f"  ({rec['error']})" if "error" in rec else ""), flush=True)


def search(tool, exe, url, a, nginx, workdir):
    runs, best, missed = [], None, None
    r = a.start
    while r <= a.max:
        rec = run_once(tool, exe, url, r, a.conns, a.duration, nginx, workdir)
        runs.append(rec)
        show(rec)
        time.sleep(0.5)
        if not rec["sustained"]:
            missed = r
            break
        best, r = r, r + a.step
    lo = best or 0
    while missed is not None and missed - lo > a.resolution:
        mid = (lo + missed) // 2 // a.resolution * a.resolution
        if mid <= lo:
            break
        rec = run_once(tool, exe, url, mid, a.conns, a.duration, nginx, workdir)
        runs.append(rec)
        show(rec)
        time.sleep(0.5)
        if rec["sustained"]:
            lo = best = mid
        else:
            missed = mid
    return {"tool": tool, "highest_sustained": best, "first_missed": missed, "runs": runs}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build", help="build directory (holds apps/barrage)")
    ap.add_argument("--wrk2", default=os.environ.get("WRK2"), help="wrk2's executable (default: $WRK2)")
    ap.add_argument("--tools", default="barrage,wrk2", help="comma list of barrage, wrk2 (default both)")
    ap.add_argument("--duration", type=int, default=12, help="seconds per run (default 12; at least 6)")
    ap.add_argument("--conns", type=int, default=200, help="connections per run (default 200)")
    ap.add_argument("--start", type=int, default=20000, help="first rate tried, requests/s (default 20000)")
    ap.add_argument("--step", type=int, default=20000, help="rate step going up, requests/s (default 20000)")
    ap.add_argument("--resolution", type=int, default=5000, help="search resolution, requests/s (default 5000)")
    ap.add_argument("--max", type=int, default=400000, help="highest rate tried, requests/s (default 400000)")
    ap.add_argument("--out", help="write every run and the results as JSON to this file")
    a = ap.parse_args()
    if a.duration < 6:
        ap.error("--duration: at least 6 seconds (3 s warm-up and 1 s tail are left out of the count)")
    if min(a.start, a.step, a.resolution, a.conns) <= 0:
        ap.error("--start, --step, --resolution and --conns must be positive")
    tools = a.tools.split(",")
    if not set(tools) <= {"barrage", "wrk2"}:
        ap.error("--tools: a comma list of barrage, wrk2")
    exes = {"barrage": os.path.abspath(os.path.join(a.build, "apps", "barrage")), "wrk2": a.wrk2}
    if "wrk2" in tools and not (a.wrk2 and os.access(a.wrk2, os.X_OK)):
        print("open_max: wrk2 not given (--wrk2 PATH or WRK2=PATH): searching barrage only", file=sys.stderr)
        tools.remove("wrk2")
    workdir = tempfile.mkdtemp(prefix="barrage-open-max-")
    results = []
    try:
        nginx = nginx_server(workdir, limit=3600).start()
        url = f"http://127.0.0.1:{nginx.port}/"
        for t in tools:
            results.append(search(t, exes[t], url, a, nginx, workdir))
    finally:
        stop_all()
    print()
    for r in results:
        hi = f"{r['highest_sustained']:,} req/s" if r["highest_sustained"] else f"none from {a.start:,}"
        miss = f", first missed {r['first_missed']:,}" if r["first_missed"] else ""
        print(f"{r['tool']}: highest rate sustained on one core: {hi}{miss}")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"method": {k: getattr(a, k) for k in ("duration", "conns", "start", "step", "resolution")},
                       "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
