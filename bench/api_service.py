#!/usr/bin/env python3
"""examples/api_service beside the same service written with aiohttp + uvloop
(bench/api_service_aiohttp.py), both under barrage's own generator: GET /items/1 at 1,000
connections, with a 20 ms simulated I/O wait in the handler and with none.

Each server runs on CPU 0 (taskset), the generator on CPU 1 with one thread. Per run:
requests/s, the server's CPU time over the run (from /proc: so requests/s per server core is
requests/s divided by the cores it actually used), the p99 latency, and the p99 of the event
loop's lag over the run (barrage: its /metrics histogram; aiohttp: a monitor task in the
service measuring the same way into the same buckets; both are bucket upper bounds).

    bench/api_service.py [BUILD_DIR] [--duration 10s] [--reps 3] [--connections 1000] [--json FILE]
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def lag_barrage(base):
    """(bounds, per-bucket counts) of barrage_event_loop_lag_seconds, loop 0."""
    cum = []
    for line in get(base + "/metrics").splitlines():
        m = re.match(r'barrage_event_loop_lag_seconds_bucket\{loop="0",le="([^"]+)"\} (\d+)', line)
        if m:
            cum.append((float(m.group(1)), int(m.group(2))))
    bounds = [b for b, _ in cum[:-1]]
    counts = [c - (cum[i - 1][1] if i else 0) for i, (_, c) in enumerate(cum)]
    return bounds, counts


def lag_aiohttp(base):
    page = json.loads(get(base + "/lag"))
    return page["bounds"], page["counts"]


def p99_of(bounds, before, after):
    delta = [a - b for a, b in zip(after, before)]
    total, seen = sum(delta), 0
    for i, c in enumerate(delta):
        seen += c
        if total and seen >= 0.99 * total:
            return bounds[i] * 1e3 if i < len(bounds) else float("inf")
    return 0.0


def wait_up(base):
    for _ in range(100):
        try:
            get(base + "/items/1")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server at %s did not come up" % base)


def one_run(build, side, io_ms, a):
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    if side == "barrage":
        cmd = [os.path.join(build, "examples/api_service/barrage-api-service"), "--listen", "127.0.0.1:%d" % port,
               "--no-access-log", "--io-wait", "%dms" % io_ms]
        lag = lag_barrage
    else:
        cmd = ["/usr/bin/python3", os.path.join(HERE, "api_service_aiohttp.py"), "--port", str(port),
               "--io-wait-ms", str(io_ms)]
        lag = lag_aiohttp
    server = subprocess.Popen(["taskset", "-c", "0"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        wait_up(base)
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            gen = ["taskset", "-c", "1", os.path.join(build, "apps/barrage"), "run", base + "/items/1",
                   "-c", str(a.connections), "-t", "1", "-d", a.duration, "--warmup", "1s", "--timeout", "10s",
                   "--json", out.name, "-q", "--no-progress"]
            # The figures over the measured part only: lag and CPU read after the warm-up.
            gp = subprocess.Popen(gen)
            time.sleep(1.0)
            bounds, lag0 = lag(base)
            cpu0, t0 = cpu_seconds(server.pid), time.time()
            gp.wait(timeout=300)
            cpu1, t1 = cpu_seconds(server.pid), time.time()
            _, lag1 = lag(base)
            report = json.load(open(out.name))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    rps = report["throughput"]["requests_per_second"]
    cores = (cpu1 - cpu0) / (t1 - t0)
    req = report["requests"]
    return {"side": side, "io_ms": io_ms, "rps": rps, "server_cores": cores, "rps_per_core": rps / max(cores, 1e-9),
            "p50_ms": report["latency_ms"]["p50"], "p99_ms": report["latency_ms"]["p99"],
            "lag_p99_ms": p99_of(bounds, lag0, lag1), "started": req["started"], "succeeded": req["succeeded"],
            "failed": req["failed"], "timed_out": req["timed_out"], "generator_cpu_percent": report["generator"]["cpu_percent"]}


def median_run(runs):
    return sorted(runs, key=lambda r: r["rps_per_core"])[len(runs) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build/release")
    ap.add_argument("--duration", default="10s")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--json")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    load = os.getloadavg()
    print("machine: %d CPUs, load average %.2f %.2f %.2f before the runs" % (os.cpu_count(), *load), flush=True)
    rows = []
    for io_ms in (0, 20):
        for side in ("barrage", "aiohttp"):
            runs = [one_run(build, side, io_ms, a) for _ in range(a.reps)]
            for r in runs:
                print("  %-8s io %2d ms: %8.0f req/s on %.2f cores = %8.0f req/s per core; p50 %.2f ms, p99 %.2f ms; "
                      "loop lag p99 <= %.1f ms; started %d, ok %d, failed %d, timed out %d" %
                      (side, io_ms, r["rps"], r["server_cores"], r["rps_per_core"], r["p50_ms"], r["p99_ms"],
                       r["lag_p99_ms"], r["started"], r["succeeded"], r["failed"], r["timed_out"]), flush=True)
            m = dict(median_run(runs))
            m["runs"] = runs
            rows.append(m)
    print("machine: load average %.2f %.2f %.2f after the runs" % os.getloadavg())
    print()
    print("| I/O wait | server | req/s | server cores | req/s per core | p50 ms | p99 ms | loop lag p99 ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| %d ms | %s | %.0f | %.2f | %.0f | %.2f | %.2f | <= %.1f |" %
              (r["io_ms"], "barrage api_service" if r["side"] == "barrage" else "aiohttp + uvloop", r["rps"],
               r["server_cores"], r["rps_per_core"], r["p50_ms"], r["p99_ms"], r["lag_p99_ms"]))
    print()
    verdict = True
    for io_ms in (0, 20):
        b = next(r for r in rows if r["io_ms"] == io_ms and r["side"] == "barrage")
        p = next(r for r in rows if r["io_ms"] == io_ms and r["side"] == "aiohttp")
        ratio, p99 = b["rps_per_core"] / p["rps_per_core"], b["p99_ms"] / p["p99_ms"]
        ok = ratio >= 5 and p99 <= 1 / 3
        verdict &= ok
        print("io %d ms: barrage/aiohttp req/s per core %.2fx (target >= 5x), p99 ratio %.2f (target <= 0.33): %s" %
              (io_ms, ratio, p99, "met" if ok else "NOT met"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"load_before": load, "load_after": os.getloadavg(), "rows": rows}, f, indent=1)
    return 0 if verdict else 3


if __name__ == "__main__":
    sys.exit(main())
