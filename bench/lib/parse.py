"""Readers of the generators' outputs: each returns a dict of requests, errors, rps and latency
figures, and raises when the output is not what the tool prints on success."""
import json
import re
import statistics


def _us(v, unit):
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]  # -> milliseconds


def parse_wrk(out):
    r = {"requests": int(re.search(r"(\d+) requests in", out).group(1)),
         "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for q in ("50", "99"):
        m = re.search(rf"^\s+{q}(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        if m:
            r[f"p{q}_ms"] = _us(m.group(1), m.group(2))
    err = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        err += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        err += int(m.group(1))
    r["errors"] = err
    return r


def parse_ab(out):
    done = int(re.search(r"Complete requests:\s+(\d+)", out).group(1))
    err = int(re.search(r"Failed requests:\s+(\d+)", out).group(1))
    m = re.search(r"Non-2xx responses:\s+(\d+)", out)
    if m:
        err += int(m.group(1))
    r = {"requests": done - err, "errors": err,
         "rps": float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1))}
    for q in ("50", "99"):  # whole milliseconds only
        m = re.search(rf"^\s+{q}%\s+(\d+)\s*$", out, re.M)
        if m:
            r[f"p{q}_ms"] = float(m.group(1))
    return r


def parse_h2load(out):
    m = re.search(r"finished in ([\d.]+)s, ([\d.]+) req/s", out)
    r = {"rps": float(m.group(2))}
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                  r"(\d+) errored, (\d+) timeout", out)
    r["requests"] = int(m.group(4))
    r["errors"] = int(m.group(5)) + int(m.group(6)) + int(m.group(7))
    m = re.search(r"time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out)
    if m:
        r["mean_ms"] = _us(m.group(1), m.group(2))
    return r


def parse_floor(out):
    """bench/h2_floor.c: completed 2xx responses only (it stops at the first error)."""
    m = re.search(r"requests=(\d+) duration=([\d.]+) rps=([\d.]+)", out)
    return {"requests": int(m.group(1)), "rps": float(m.group(3)), "errors": 0}


def parse_hey(out):
    ok = sum(int(n) for code, n in re.findall(r"^\s+\[(\d+)\]\s+(\d+) responses", out, re.M) if code.startswith("2"))
    bad = sum(int(n) for code, n in re.findall(r"^\s+\[(\d+)\]\s+(\d+) responses", out, re.M)
              if not code.startswith("2"))
    err_part = out.split("Error distribution:", 1)
    if len(err_part) > 1:
        bad += sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]\s", err_part[1], re.M))
    r = {"requests": ok, "errors": bad, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for q in ("50", "99"):
        m = re.search(rf"^\s+{q}%+ in ([\d.]+) secs", out, re.M)
        if m:
            r[f"p{q}_ms"] = float(m.group(1)) * 1e3
    return r


def parse_seed(out):
    d = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
    return {"requests": d["ok"], "errors": d["n"] - d["ok"], "rps": d["rps"], "p50_ms": d["p50_ms"],
            "p99_ms": d["p99_ms"], "load_s": d["total_time"],
            "load_cpu_s": d["run_cpu_user"] + d["run_cpu_sys"]}


def parse_barrage(path):
    with open(path) as f:
        d = json.load(f)
    rq = d["requests"]
    r = {"requests": rq["succeeded"], "started": rq["started"], "errors": rq["failed"] + rq["timed_out"],
         "in_flight_at_end": rq["in_flight_at_end"], "late": rq.get("late", 0), "dropped": rq.get("dropped", 0),
         "rps": d["throughput"]["requests_per_second"], "duration_s": d["duration_s"],
         "p50_ms": d["latency_ms"]["p50"], "p99_ms": d["latency_ms"]["p99"],
         "own_cpu_percent": d["generator"]["cpu_percent"], "version": d.get("barrage_version")}
    unc = d.get("latency_uncorrected_ms")
    if unc:
        r["unc_p50_ms"], r["unc_p99_ms"] = unc["p50"], unc["p99"]
    return r


def summary(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}

