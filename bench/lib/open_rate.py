"""The open-model section: barrage -r R beside wrk2 -R R (when WRK2=/path/to/wrk is set; wrk2 is not
packaged in Debian) against one nginx worker, -c 200, one thread each, generator on CPU 1, nginx on CPU 0.

  open/<tool>/r<R>   R = 10k, 20k, 40k, 60k requests/s: generator CPU µs per request (its load window),
                     achieved rate, context switches per second, p99 latency from the intended times, and
                     barrage's p99 schedule lag (wrk2 does not report one)
  open/barrage-closed/c200   the closed model at -c 200 (unpaced), for barrage's open / closed CPU ratio
"""
import json
import os
import time

from .parse import parse_barrage, parse_wrk

RATES = (10000, 20000, 40000, 60000)
CONNS = 200


# wrk2 prints wrk's report (its percentiles as "50.000%"): parse.parse_wrk reads both.
parse_wrk2 = parse_wrk


def parse_barrage_open(path):
    r = parse_barrage(path)
    with open(path) as f:
        lag = json.load(f).get("schedule_lag_ms") or {}
    if lag.get("p99") is not None:
        r["lag_p99_ms"] = lag["p99"]
    return r


def counted_by_nginx(rec):
    """Both tools' CPU is divided by the requests nginx answered in the run (stub_status), not by what each
    tool reports: wrk2's count leaves out its first moments, which would flatter barrage."""
    if rec.get("server_counted") and "requests" in rec:
        rec["requests_reported"], rec["requests"] = rec["requests"], rec["server_counted"]


def open_rate_section(bench, nginx):
    wrk2 = os.environ.get("WRK2")
    if wrk2 and not os.access(wrk2, os.X_OK):
        bench.notes.append(f"WRK2={wrk2}: not an executable: the wrk2 rows are skipped.")
        wrk2 = None
    if not wrk2:
        bench.notes.append("wrk2: WRK2=/path/to/wrk not set (wrk2 is not packaged in Debian; docs/benchmarks.md): "
                           "the open-model section runs barrage only.")
    d = 3 if bench.quick else 10
    url = f"http://127.0.0.1:{nginx.port}/"
    tools = ["barrage"] + (["wrk2"] if wrk2 else [])
    for rate in RATES:
        for t in tools:
            bench.figure(f"open/{t}/r{rate}", "open model vs nginx", f"{t} -r {rate // 1000}k -c {CONNS}",
                         tool=t, rate=rate)
    bench.figure("open/barrage-closed/c200", "open model vs nginx", f"barrage closed model -c {CONNS}")
    jp = os.path.join(bench.workdir, "barrage-open-rate.json")
    for rep in range(bench.reps):
        for rate in RATES:
            for t in tools:
                fid = f"open/{t}/r{rate}"
                bench.log(f"[{rep + 1}/{bench.reps}] {fid}")
                if t == "barrage":
                    argv = [bench.barrage, url, "-r", str(rate), "-c", str(CONNS), "-d", f"{d}s", "-t", "1",
                            "--json", jp, "-q", "--no-progress"]
                    rec = bench.measure(fid, nginx, argv, parse_barrage_open, window=d, limit=d + 30, json_path=jp)
                else:
                    argv = [wrk2, "-t1", f"-c{CONNS}", f"-d{d}s", f"-R{rate}", "--latency", url]
                    rec = bench.measure(fid, nginx, argv, parse_wrk2, window=d, limit=d + 30)
                counted_by_nginx(rec)
                time.sleep(0.3)
        bench.log(f"[{rep + 1}/{bench.reps}] open/barrage-closed/c200")
        counted_by_nginx(bench.measure("open/barrage-closed/c200", nginx, bench.gen_argv("barrage", url, CONNS, d, jp),
                                       parse_barrage, window=d, limit=d + 30, json_path=jp))
        time.sleep(0.3)


def open_rate_ratios(figures):
    def med(fid, m):
        f = figures.get(fid)
        v = f and f["metrics"].get(m)
        return v["median"] if v else None
    out = {}
    for rate in RATES:
        b, w = med(f"open/barrage/r{rate}", "cpu_us_per_req"), med(f"open/wrk2/r{rate}", "cpu_us_per_req")
        if b and w:
            out[f"barrage -r / wrk2 -R at {rate // 1000}k/s"] = {
                "cpu_us_per_req": b / w, "rps": med(f"open/barrage/r{rate}", "rps") / med(f"open/wrk2/r{rate}", "rps")}
    closed = med("open/barrage-closed/c200", "cpu_us_per_req")
    for rate in RATES:
        b = med(f"open/barrage/r{rate}", "cpu_us_per_req")
        if b and closed:
            out[f"barrage open at {rate // 1000}k/s / its closed model (-c {CONNS})"] = {"cpu_us_per_req": b / closed}
    return out
