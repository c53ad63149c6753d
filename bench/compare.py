#!/usr/bin/python3
"""barrage benchmarks: barrage beside other HTTP load generators and servers, on 127.0.0.1, and
barrage with and without --pipeline 16 against nginx and `barrage serve`.

    bench/compare.py run BUILD_DIR [--quick] [--out DIR]   measure; write DIR/latest.json and DIR/latest.md
    bench/compare.py diff OLD.json NEW.json                 compare two results files, figure by figure
    bench/compare.py table RESULT.json                      print the Markdown table of a results file

`make bench` runs this through bench/run.sh.  Python 3 standard library only.

Method (docs/benchmarks.md has the long version):
  * Every figure is measured REPS times (3; 1 with --quick) and reported as the median with min-max.
    Runs are interleaved (rep 1 of every figure, then rep 2, ...) so slow drifts hit every tool alike.
  * The server is pinned to CPU 0 and the generator to CPU 1 (taskset); every tool runs one thread.
  * Generator CPU: user+sys of the generator process (wait4 rusage), cut at the end of its -d window
    with a /proc snapshot when the tool keeps working after it (ab sorts its samples for ~0.5 s).
    The seed script reports the CPU of its load phase itself (interpreter start-up excluded).
  * Server CPU: /proc/<pid>/task/*/schedstat of the server's process tree, read before and after.
  * CPU us/request = CPU seconds / requests the generator completed.
  * Saturated side: the generator when its CPU was >= 90 % of its core over the run, else the server.
    Pipelining rows name the side at >= 90 % when only one is ("server saturated" is the goal).
  * Every process gets a hard time limit and is killed at the end, also on errors and signals.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

PY = "/usr/bin/python3"  # Debian's interpreter: python3-aiohttp and python3-uvloop live there
TICK = os.sysconf("SC_CLK_TCK")
SERVER_CPU, GEN_CPU = "0", "1"
SATURATED = 90.0  # percent of one core
CONTENDED = 25.0  # other processes' CPU (percent of one core) above which a figure is flagged as contended
HERE = os.path.dirname(os.path.abspath(__file__))
SECTIONS = ("generators", "pipelining", "servers", "accuracy", "micro")
ROOT = os.path.dirname(HERE)

# ------------------------------------------------------------------ /proc helpers


def read_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    rest = s[s.rfind(")") + 2:].split()
    return int(rest[1]), int(rest[11]), int(rest[12])  # ppid, utime, stime (ticks)


def descendants(root):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                kids.setdefault(read_stat(int(d))[0], []).append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    out, stack = [], [root]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(kids.get(p, []))
    return out


def sched_seconds(pids):
    """CPU seconds of every live thread of pids (schedstat: ns precision)."""
    tot = 0
    for p in pids:
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tids:
            try:
                with open(f"/proc/{p}/task/{t}/schedstat") as f:
                    tot += int(f.read().split()[0])
            except (OSError, IndexError, ValueError):
                pass
    return tot / 1e9


def proc_ticks(pid):
    """user, sys seconds of a whole process (threads that exited included)."""
    _, u, s = read_stat(pid)
    return u / TICK, s / TICK


def busy_seconds():
    """Busy CPU seconds of the whole machine (all CPUs), from /proc/stat."""
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:9]
    v = list(map(int, parts))  # user nice system idle iowait irq softirq steal
    return (sum(v) - v[3] - v[4]) / TICK


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def http_get(url, timeout=2.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode(errors="replace")


# ------------------------------------------------------------------ servers

_live = []  # servers still running: stopped by stop_all() on exit and on signals
_workdirs = []  # temporary directories to remove on exit and on signals
_gens = set()  # process groups of generators running now


class Server:
    """A target started by us: own session, pinned to SERVER_CPU, under `timeout` as a last resort."""

    def __init__(self, name, argv, port, workdir, stub_port=None, limit=1200):
        self.name, self.port, self.stub_port, self.workdir = name, port, stub_port, workdir
        self.argv = ["timeout", "-k", "3", str(int(limit)), "taskset", "-c", SERVER_CPU] + argv
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.workdir, f"{self.name}.log"), "ab")
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.workdir,
                                     start_new_session=True)
        _live.append(self)
        if not wait_port(self.port) or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError(f"{self.name} did not open 127.0.0.1:{self.port}; see {self.workdir}/{self.name}.log")
        time.sleep(0.3)
        return self

    def pids(self):
        return descendants(self.proc.pid)

    def cpu(self):
        return sched_seconds(self.pids())

    def stub_requests(self):
        if not self.stub_port:
            return None
        try:
            _, txt = http_get(f"http://127.0.0.1:{self.stub_port}/")
            return int(txt.splitlines()[2].split()[2])
        except Exception:
            return None

    def stop(self):
        if self in _live:
            _live.remove(self)
        if not self.proc or self.proc.poll() is not None:
            return
        pgid = self.proc.pid  # start_new_session: the group we created holds the server and its workers
        for sig in (signal.SIGTERM, signal.SIGKILL):  # SIGKILL: lingering workers of this group
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass


def stop_all():
    for pg in list(_gens):
        try:
            os.killpg(pg, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for s in list(_live):
        s.stop()
    for d in _workdirs:
        shutil.rmtree(d, ignore_errors=True)


NGINX_CONF = """# written by bench/compare.py: 1 worker, fixed 200 "hello\\n", no access log
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
master_process on;
pid {dir}/nginx.pid;
error_log {dir}/logs/error.log warn;
events {{ worker_connections 20000; use epoll; }}
http {{
    access_log off;
    keepalive_timeout 65;
    client_body_temp_path {dir}/tmp/client_body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        keepalive_requests 100000000;
        location / {{ default_type text/plain; return 200 "hello\\n"; }}
    }}
    server {{
        listen 127.0.0.1:{stub};
        location / {{ stub_status; }}
    }}
}}
"""


def nginx_server(workdir, limit):
    d = os.path.join(workdir, "nginx")
    for sub in ("logs", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    port, stub = free_port(), free_port()
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(dir=d, port=port, stub=stub))
    return Server("nginx", ["nginx", "-p", d, "-c", conf], port, workdir, stub_port=stub, limit=limit)


def barrage_server(barrage, workdir, limit, extra=(), name="barrage-serve"):
    port = free_port()
    return Server(name, [barrage, "serve", "--listen", f"127.0.0.1:{port}", "--threads", "1", "--quiet",
                         *extra], port, workdir, limit=limit)


def aio_server(refdir, workdir, limit, delay_ms=0, name="aiohttp"):
    port = free_port()
    argv = [PY, os.path.join(refdir, "aioserver.py"), "--port", str(port)]
    if delay_ms:
        argv += ["--delay-ms", str(delay_ms)]
    return Server(name, argv, port, workdir, limit=limit)


# ------------------------------------------------------------------ generators


def run_generator(argv, limit, window=None):
    """Run one generator pinned to GEN_CPU, killed after `limit` seconds.

    Returns rc, output, wall, whole-process user/sys (wait4), and the CPU of its load window:
    a /proc snapshot taken at `window` + 30 ms when the tool is still running well after it,
    else the whole-process figure."""
    argv = ["taskset", "-c", GEN_CPU] + argv
    snap = {}
    with tempfile.TemporaryFile() as out:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        _gens.add(p.pid)
        killed = []

        def kill():
            killed.append(True)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        killer = threading.Timer(limit, kill)
        killer.start()
        snapper = None
        if window is not None:
            def take():
                try:
                    snap["cpu"] = proc_ticks(p.pid)
                    snap["t"] = time.monotonic() - t0
                except (OSError, IndexError, ValueError):
                    pass
            snapper = threading.Timer(window + 0.03, take)
            snapper.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        except BaseException:
            kill()
            raise
        finally:
            killer.cancel()
            _gens.discard(p.pid)
        wall = time.monotonic() - t0
        if snapper is not None:
            snapper.cancel()
            snapper.join()
        out.seek(0)
        txt = out.read().decode(errors="replace")
    rec = {"argv": argv, "rc": os.waitstatus_to_exitcode(status), "wall_s": wall, "killed": bool(killed),
           "cpu_user_s": ru.ru_utime, "cpu_sys_s": ru.ru_stime}
    if snap and wall > snap["t"] + 0.05:  # still working well after its window: cut there
        rec["window_s"] = snap["t"]
        rec["window_cpu_s"] = sum(snap["cpu"])
    else:
        rec["window_s"] = wall
        rec["window_cpu_s"] = ru.ru_utime + ru.ru_stime
    return rec, txt


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


# ------------------------------------------------------------------ the bench


def summary(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


class Bench:
    def __init__(self, args):
        self.a = args
        self.quick = args.quick
        self.reps = 1 if self.quick else args.reps
        self.dur = 2 if self.quick else 5  # seconds per load run
        self.barrage = os.path.abspath(os.path.join(args.build, "apps", "barrage"))
        self.benchdir = os.path.abspath(os.path.join(args.build, "bench"))
        self.refdir = os.path.abspath(args.refdir)
        self.workdir = tempfile.mkdtemp(prefix="barrage-bench-")
        _workdirs.append(self.workdir)
        self.runs = {}     # figure id -> list of per-run records
        self.meta = {}     # figure id -> label, group, order
        self.notes = []
        self.bugs = []
        self.other_cpu = []  # busy CPU seconds of other processes per run, as % of one core

    # ---- bookkeeping
    def figure(self, fid, group, label, **extra):
        if fid not in self.meta:
            self.meta[fid] = {"group": group, "label": label, "order": len(self.meta), **extra}
            self.runs[fid] = []

    def log(self, msg):
        print(msg, file=sys.stderr, flush=True)

    def portable(self, arg):
        """Paths in the stored command lines: relative to the repository, or to the reference directory."""
        if arg.startswith(self.refdir + os.sep):
            return "$BENCH_REFERENCE_DIR/" + os.path.relpath(arg, self.refdir)
        if arg.startswith(ROOT + os.sep):
            return os.path.relpath(arg, ROOT)
        if arg.startswith(self.workdir + os.sep):
            return "$TMP/" + os.path.relpath(arg, self.workdir)
        return arg

    def have(self, tool):
        return shutil.which(tool) is not None

    # ---- one measured run of a time-bound generator against a server
    def measure(self, fid, server, argv, parser, window, limit, json_path=None):
        if json_path and os.path.exists(json_path):
            os.unlink(json_path)
        stub0 = server.stub_requests()
        s0, b0 = server.cpu(), busy_seconds()
        rec, out = run_generator(argv, limit, window)
        s1, b1 = server.cpu(), busy_seconds()
        stub1 = server.stub_requests() if stub0 is not None else None
        rec["server_cpu_s"] = s1 - s0
        rec["other_cpu_pct"] = max(0.0, (b1 - b0) - (s1 - s0) - (rec["cpu_user_s"] + rec["cpu_sys_s"])) / rec["wall_s"] * 100
        self.other_cpu.append(rec["other_cpu_pct"])
        if stub0 is not None and stub1 is not None:
            rec["server_counted"] = stub1 - stub0 - 1  # minus the stub request itself
        try:
            rec.update(parser(json_path) if json_path else parser(out))
        except Exception as e:
            rec["parse_error"] = repr(e)
            rec["output_tail"] = out[-2000:]
            self.log(f"  ! {fid}: could not read the output ({e!r}); rc={rec['rc']}\n{out[-800:]}")
        if rec["rc"] != 0 or rec["killed"]:
            self.log(f"  ! {fid}: rc={rec['rc']} killed={rec['killed']}")
        rec["argv"] = [self.portable(a) for a in rec["argv"]]
        self.runs[fid].append(rec)
        return rec

    def gen_argv(self, tool, url, c, d, json_path=None, pipeline=1):
        if tool == "barrage":
            return [self.barrage, url, "-c", str(c), "-d", f"{d}s", "-t", "1", "--json", json_path, "-q",
                    "--no-progress"] + (["--pipeline", str(pipeline)] if pipeline > 1 else [])
        if tool == "wrk":
            return ["wrk", "-t1", f"-c{c}", f"-d{d}s", "--latency", url]
        if tool == "h2load":
            return ["h2load", "--h1", "-t1", f"-c{c}", "-D", str(d), url]
        if tool == "ab":
            return ["ab", "-k", "-q", "-c", str(c), "-t", str(d), "-n", "100000000", url]
        raise ValueError(tool)

    PARSERS = {"barrage": parse_barrage, "wrk": parse_wrk, "h2load": parse_h2load, "ab": parse_ab}

    # ---- sections
    def generators(self, nginx):
        url = f"http://127.0.0.1:{nginx.port}/"
        tools = ["barrage", "wrk", "h2load", "ab"]
        if not self.have("h2load"):
            tools.remove("h2load")
            self.notes.append("h2load: not installed (Debian package nghttp2-client): its rows are skipped.")
        conns = (10, 100, 1000)
        for c in conns:
            for t in tools:
                self.figure(f"gen/{t}/c{c}", "generators vs nginx", f"{t} c={c}", tool=t, c=c)
        seed = os.path.join(self.refdir, "seed.py")
        seed_ok = os.path.exists(seed) and subprocess.run(
            [PY, "-c", "import aiohttp, uvloop"], capture_output=True).returncode == 0
        if seed_ok:
            self.figure("gen/seed/n10000", "generators vs nginx", "seed script N=10000 (pool 1000)", tool="seed")
        else:
            self.notes.append(f"seed script: {seed} or Debian's python3-aiohttp/python3-uvloop missing: skipped.")
        jp = os.path.join(self.workdir, "barrage.json")
        for rep in range(self.reps):
            for c in conns:
                for t in tools:
                    fid = f"gen/{t}/c{c}"
                    self.log(f"[{rep + 1}/{self.reps}] {fid}")
                    self.measure(fid, nginx, self.gen_argv(t, url, c, self.dur, jp), self.PARSERS[t],
                                 window=self.dur, limit=self.dur + 30, json_path=jp if t == "barrage" else None)
                    time.sleep(0.3)
            if seed_ok:
                self.log(f"[{rep + 1}/{self.reps}] gen/seed/n10000")
                self.measure("gen/seed/n10000", nginx,
                             [PY, seed, "-n", "10000", "--url", url, "--json"], parse_seed, window=None, limit=60)
                time.sleep(0.3)

    PIPELINE = 16

    def pipelining(self, nginx):
        """barrage -c 100 with and without --pipeline 16 against nginx and `barrage serve` (both one
        thread on CPU 0): with pipelining the server, not the generator, should run out of CPU."""
        depth = self.PIPELINE
        targets = [("nginx", nginx), ("barrage-serve", barrage_server(self.barrage, self.workdir, self.limit,
                                                                       name="barrage-pipe"))]
        for name, _ in targets:
            for p in (1, depth):
                label = f"barrage c=100{f' --pipeline {p}' if p > 1 else ''} → {name.replace('-', ' ')}"
                self.figure(f"pipe/{name}/p{p}", "pipelining", label, server=name, pipeline=p)
        targets[1][1].start()
        jp = os.path.join(self.workdir, "barrage-pipe.json")
        try:
            for rep in range(self.reps):
                for name, s in targets:
                    for p in (1, depth):
                        fid = f"pipe/{name}/p{p}"
                        self.log(f"[{rep + 1}/{self.reps}] {fid}")
                        self.measure(fid, s, self.gen_argv("barrage", f"http://127.0.0.1:{s.port}/", 100, self.dur, jp,
                                                           pipeline=p),
                                     parse_barrage, window=self.dur, limit=self.dur + 30, json_path=jp)
                        time.sleep(0.3)
        finally:
            targets[1][1].stop()

    def servers(self, nginx):
        targets = [("barrage serve", barrage_server(self.barrage, self.workdir, self.limit)),
                   ("nginx", nginx)]
        aio = os.path.exists(os.path.join(self.refdir, "aioserver.py"))
        if aio:
            targets.append(("aiohttp+uvloop", aio_server(self.refdir, self.workdir, self.limit)))
        else:
            self.notes.append("aiohttp server: aioserver.py not found: skipped.")
        delay = [("barrage serve", barrage_server(self.barrage, self.workdir, self.limit, name="barrage-delay"),
                  "/delay/20ms")]
        if aio:
            delay.append(("aiohttp+uvloop", aio_server(self.refdir, self.workdir, self.limit, delay_ms=20,
                                                       name="aiohttp-delay"), "/"))
        self.figure("srv/nginx/delay20ms/c1000", "servers under wrk", "nginx /delay/20ms, wrk -c1000",
                    na="n/a: nginx has no delay handler (nginx-light has no echo_sleep)")
        for name, s in targets:
            self.figure(f"srv/{name.split()[0]}/hello/c100", "servers under wrk", f"{name} GET /, wrk -c100")
        for name, s, path in delay:
            self.figure(f"srv/{name.split()[0]}/delay20ms/c1000", "servers under wrk",
                        f"{name} 20 ms delay, wrk -c1000", ideal_rps=1000 / 0.020)
        for _, s in targets:
            if s is not nginx:
                s.start()
        for _, s, _p in delay:
            s.start()
        try:
            for rep in range(self.reps):
                for name, s in targets:
                    fid = f"srv/{name.split()[0]}/hello/c100"
                    self.log(f"[{rep + 1}/{self.reps}] {fid}")
                    self.measure(fid, s, self.gen_argv("wrk", f"http://127.0.0.1:{s.port}/", 100, self.dur),
                                 parse_wrk, window=self.dur, limit=self.dur + 30)
                    time.sleep(0.3)
                for name, s, path in delay:
                    fid = f"srv/{name.split()[0]}/delay20ms/c1000"
                    self.log(f"[{rep + 1}/{self.reps}] {fid}")
                    self.measure(fid, s, self.gen_argv("wrk", f"http://127.0.0.1:{s.port}{path}", 1000, self.dur),
                                 parse_wrk, window=self.dur, limit=self.dur + 30)
                    time.sleep(0.5)
        finally:
            for _, s in targets:
                if s is not nginx:
                    s.stop()
            for _, s, _p in delay:
                s.stop()

    def accuracy(self):
        jp = os.path.join(self.workdir, "barrage-open.json")
        od = 3 if self.quick else 5
        self.figure("acc/open/delay20ms", "accuracy",
                    f"open model: -r 1000 -c 200 -d {od}s on /delay/20ms", target_rps=1000, expect_ms=20.0)
        stall_every, stall_for, sd, sc = "2s", "0.5s", 6, 10
        self.figure("acc/stall", "accuracy",
                    f"stall {stall_for} every {stall_every}: -r 1000 -c {sc} -d {sd}s", stall_ms=500.0)
        srv = barrage_server(self.barrage, self.workdir, self.limit, name="barrage-open").start()
        stall = barrage_server(self.barrage, self.workdir, self.limit, name="barrage-stall",
                               extra=("--stall-every", stall_every, "--stall-for", stall_for)).start()
        try:
            for rep in range(self.reps):
                self.log(f"[{rep + 1}/{self.reps}] acc/open/delay20ms")
                argv = [self.barrage, f"http://127.0.0.1:{srv.port}/delay/20ms", "-r", "1000", "-c", "200",
                        "-d", f"{od}s", "-t", "1", "--json", jp, "-q", "--no-progress"]
                self.measure("acc/open/delay20ms", srv, argv, parse_barrage, window=od, limit=od + 30, json_path=jp)
                time.sleep(0.3)
                self.log(f"[{rep + 1}/{self.reps}] acc/stall")
                argv = [self.barrage, f"http://127.0.0.1:{stall.port}/", "-r", "1000", "-c", str(sc),
                        "-d", f"{sd}s", "-t", "1", "--json", jp, "-q", "--no-progress"]
                self.measure("acc/stall", stall, argv, parse_barrage, window=sd, limit=sd + 30, json_path=jp)
                time.sleep(0.3)
        finally:
            srv.stop()
            stall.stop()
        if not self.have("wrk2"):
            self.notes.append("wrk2 (the coordinated-omission-corrected wrk): not installed, and not packaged in "
                              "Debian: no wrk2 row in the stall demonstration.")

    def micro(self):
        min_time = "0.05" if self.quick else "0.2"
        self.micro_results = {}
        for name in ("bench_runtime", "bench_histogram", "bench_http_parser"):
            exe = os.path.join(self.benchdir, name)
            if not os.access(exe, os.X_OK):
                self.notes.append(f"{name}: not built ({exe}): skipped.")
                continue
            self.log(f"micro {name}")
            out = os.path.join(self.workdir, name + ".json")
            try:
                subprocess.run(["taskset", "-c", GEN_CPU, exe, "--benchmark_format=json",
                                f"--benchmark_min_time={min_time}", f"--benchmark_out={out}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180,
                               start_new_session=True)
                with open(out) as f:
                    d = json.load(f)
            except (subprocess.TimeoutExpired, OSError, ValueError) as e:
                self.notes.append(f"{name}: failed ({e!r}).")
                continue
            rows = []
            for b in d.get("benchmarks", []):
                if b.get("run_type", "iteration") != "iteration" or "error_occurred" in b:
                    continue
                row = {"name": b["name"], "cpu_time": b["cpu_time"], "real_time": b["real_time"],
                       "time_unit": b.get("time_unit", "ns"), "iterations": b.get("iterations")}
                for k, v in b.items():
                    if k.endswith("_per_second") or k not in (
                            "name", "run_name", "run_type", "repetitions", "repetition_index", "threads",
                            "iterations", "real_time", "cpu_time", "time_unit", "family_index",
                            "per_family_instance_index", "aggregate_name", "aggregate_unit", "label"):
                        if isinstance(v, (int, float)):
                            row[k] = v
                rows.append(row)
            self.micro_results[name] = {"load_avg": d.get("context", {}).get("load_avg"), "benchmarks": rows}

    # ---- the whole thing
    def run(self):
        t0 = time.monotonic()
        self.limit = 1200
        started = datetime.datetime.now(datetime.timezone.utc)
        load0 = os.getloadavg()
        self.micro_results = {}
        nginx = None
        try:
            want = set(self.a.only.split(",")) if self.a.only else set(SECTIONS)
            if self.have("nginx"):
                if want & {"generators", "pipelining", "servers"}:
                    nginx = nginx_server(self.workdir, self.limit).start()
                if "generators" in want:
                    self.generators(nginx)
                if "pipelining" in want:
                    self.pipelining(nginx)
            else:
                self.notes.append("nginx: not installed (Debian nginx-light): generator rows skipped.")
            if nginx and "servers" in want:
                self.servers(nginx)
            if "accuracy" in want:
                self.accuracy()
            if "micro" in want:
                self.micro()
        finally:
            stop_all()
        doc = self.assemble(started, load0, time.monotonic() - t0)
        return doc

    def assemble(self, started, load0, elapsed):
        figures = {}
        for fid, meta in sorted(self.meta.items(), key=lambda kv: kv[1]["order"]):
            runs = self.runs[fid]
            f = {k: v for k, v in meta.items() if k != "order"}
            f["runs"] = runs
            f["metrics"] = metrics_of(fid, meta, runs)
            f["verdict"] = verdict_of(fid, meta, runs, f["metrics"])
            figures[fid] = f
            self.bugs += bugs_of(fid, meta, runs)
        ratios = {}
        for c in (10, 100, 1000):
            b, w = figures.get(f"gen/barrage/c{c}"), figures.get(f"gen/wrk/c{c}")
            if not (b and w):
                continue
            r = {}
            for m in ("rps", "cpu_us_per_req"):
                bm, wm = b["metrics"].get(m), w["metrics"].get(m)
                if bm and wm and wm["median"]:
                    r[m] = bm["median"] / wm["median"]
            ratios[f"barrage/wrk c={c}"] = r
        for srv in ("nginx", "barrage-serve"):
            one, many = figures.get(f"pipe/{srv}/p1"), figures.get(f"pipe/{srv}/p{Bench.PIPELINE}")
            if one and many and one["metrics"].get("rps") and many["metrics"].get("rps"):
                ratios[f"--pipeline {Bench.PIPELINE}/none → {srv}"] = {
                    "rps": many["metrics"]["rps"]["median"] / one["metrics"]["rps"]["median"],
                    "cpu_us_per_req": many["metrics"]["cpu_us_per_req"]["median"] / one["metrics"]["cpu_us_per_req"]["median"]}
        oc = summary(self.other_cpu)
        if oc and oc["median"] > 10:
            self.notes.append(f"Other processes used {oc['median']:.0f} % of a core (median over runs, max "
                              f"{oc['max']:.0f} %) while the figures were taken: expect noise.")
        return {
            "schema": 1,
            "created": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "mode": "quick" if self.quick else "full",
            "reps": self.reps,
            "run_seconds": self.dur,
            "elapsed_s": round(elapsed, 1),
            "git": git_describe(),
            "barrage": self.portable(self.barrage),
            "host": host_info(load0),
            "tools": tool_versions(self.barrage),
            "figures": figures,
            "ratios": ratios,
            "micro": self.micro_results,
            "notes": self.notes,
            "bugs": self.bugs,
        }


def metrics_of(fid, meta, runs):
    m = {}
    ok = [r for r in runs if "requests" in r]
    if not ok:
        return m
    if fid.startswith("gen/seed"):
        # the seed's own load phase (gather): requests/s and CPU exclude interpreter start-up
        m["rps"] = summary([r["rps"] for r in ok])
        m["cpu_us_per_req"] = summary([r["load_cpu_s"] / r["requests"] * 1e6 if r["requests"] else None for r in ok])
        m["gen_cpu_pct"] = summary([r["load_cpu_s"] / r["load_s"] * 100 for r in ok])
        m["process_cpu_us_per_req"] = summary(
            [(r["cpu_user_s"] + r["cpu_sys_s"]) / r["requests"] * 1e6 if r["requests"] else None for r in ok])
        m["server_cpu_pct"] = summary([r["server_cpu_s"] / r["wall_s"] * 100 for r in ok])
    else:
        m["rps"] = summary([r["rps"] for r in ok])
        m["cpu_us_per_req"] = summary(
            [r["window_cpu_s"] / r["requests"] * 1e6 if r["requests"] else None for r in ok])
        m["gen_cpu_pct"] = summary([r["window_cpu_s"] / r["window_s"] * 100 for r in ok])
        m["server_cpu_pct"] = summary([r["server_cpu_s"] / r["wall_s"] * 100 for r in ok])
    m["server_cpu_us_per_req"] = summary(
        [r["server_cpu_s"] / r["requests"] * 1e6 if r["requests"] else None for r in ok])
    for k in ("p50_ms", "p99_ms", "mean_ms", "unc_p50_ms", "unc_p99_ms"):
        vals = [r[k] for r in ok if r.get(k) is not None]
        if vals:
            m[k] = summary(vals)
    m["errors"] = summary([r.get("errors", 0) for r in ok])
    m["other_cpu_pct"] = summary([r.get("other_cpu_pct") for r in ok])
    if fid.startswith("acc/"):
        m["late"] = summary([r.get("late", 0) for r in ok])
        m["dropped"] = summary([r.get("dropped", 0) for r in ok])
    return {k: v for k, v in m.items() if v is not None}


def verdict_of(fid, meta, runs, m):
    if not m:
        return meta.get("na", "no successful run")
    if fid.startswith("gen/") or fid.startswith("srv/") or fid.startswith("pipe/"):
        g, s = m["gen_cpu_pct"]["median"], m["server_cpu_pct"]["median"]
        if fid.startswith("pipe/"):  # which side ran out of CPU first (both can, on a busy machine)
            side = ("server saturated" if s >= SATURATED and g < SATURATED else
                    "generator saturated" if g >= SATURATED and s < SATURATED else
                    "both saturated" if g >= SATURATED else "neither saturated")
            v = f"{side} (gen {g:.0f} %, server {s:.0f} %)"
            # On a shared machine neither pinned side may reach 90 %: CPU per request still says which
            # one a full core each would saturate first (the per-core ceiling is 1 / CPU per request).
            gu, su = m["cpu_us_per_req"]["median"], m["server_cpu_us_per_req"]["median"]
            if gu and su:
                bound = ("server-bound" if su > gu * 1.1 else "generator-bound" if gu > su * 1.1 else "balanced")
                v += (f"; {bound}: per-core ceilings gen {fmt_num(1e6 / gu)}, server {fmt_num(1e6 / su)} req/s")
            o = m.get("other_cpu_pct")
            if o and o["median"] >= CONTENDED:
                v += f"; contended: other processes used {o['median']:.0f} % of a core"
            return v
        if fid.startswith("gen/"):
            side = "generator" if g >= SATURATED else "server"
        else:
            side = "generator" if g >= SATURATED else ("server" if s >= SATURATED else "neither")
        v = f"{side} (gen {g:.0f} %, server {s:.0f} %)"
        o = m.get("other_cpu_pct")
        if o and o["median"] >= CONTENDED:
            v += f"; contended: other processes used {o['median']:.0f} % of a core"
        return v
    if fid == "acc/open/delay20ms":
        p50 = m["p50_ms"]["median"]
        return (f"p50 {p50 - 20.0:+.2f} ms from 20 ms; {m['rps']['median']:.0f} of 1000 req/s; "
                f"late {m['late']['median']:.0f}, dropped {m['dropped']['median']:.0f}")
    if fid == "acc/stall":
        c99, u99 = m["p99_ms"]["median"], m.get("unc_p99_ms", {}).get("median")
        shows = "yes" if c99 >= 250 else "NO"
        hides = "yes" if u99 is not None and u99 < 250 else "no"
        return f"stall in corrected p99: {shows}; hidden from uncorrected p99: {hides}"
    return ""


def bugs_of(fid, meta, runs):
    out = []
    for i, r in enumerate(runs):
        if not r["argv"][3].endswith("barrage"):
            continue
        if r["rc"] != 0 or r["killed"]:
            out.append(f"{fid} run {i + 1}: barrage exit status {r['rc']}{' (killed at the time limit)' if r['killed'] else ''}")
        if "parse_error" in r:
            out.append(f"{fid} run {i + 1}: no usable JSON report ({r['parse_error']})")
        if r.get("server_counted") is not None and "started" in r and r["server_counted"] != r["started"]:
            out.append(f"{fid} run {i + 1}: nginx served {r['server_counted']} requests, barrage reports "
                       f"started {r['started']} (succeeded {r['requests']}, in flight at end "
                       f"{r.get('in_flight_at_end')})")
        if "-d" in r["argv"]:
            d = float(r["argv"][r["argv"].index("-d") + 1].rstrip("s"))
            if r["wall_s"] > d + 3:
                out.append(f"{fid} run {i + 1}: barrage took {r['wall_s']:.1f} s for a {d:g} s run")
    return out


def git_describe():
    try:
        return subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty", "--tags"],
                              capture_output=True, text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


def host_info(load0):
    model = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
            "loadavg_start": [round(x, 2) for x in load0], "loadavg_end": [round(x, 2) for x in os.getloadavg()]}


def tool_versions(barrage):
    def first(cmd, pattern=None):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            txt = (p.stdout + p.stderr).strip()
        except (OSError, subprocess.TimeoutExpired):
            return None
        if pattern:
            m = re.search(pattern, txt)
            return m.group(1) if m else None
        return txt.splitlines()[0] if txt else None
    return {
        "barrage": first([barrage, "--version"]),
        "wrk": first(["wrk", "-v"], r"wrk (\S+)"),
        "ab": first(["ab", "-V"], r"Version (\S+)"),
        "h2load": first(["h2load", "--version"]) if shutil.which("h2load") else None,
        "nginx": first(["nginx", "-v"], r"nginx/(\S+)"),
        "python": first([PY, "--version"]),
        "aiohttp": first([PY, "-c", "import aiohttp; print(aiohttp.__version__)"]),
        "uvloop": first([PY, "-c", "import uvloop; print(uvloop.__version__)"]),
    }


# ------------------------------------------------------------------ rendering


def fmt_num(x):
    if x is None:
        return "–"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    if x == 0:
        return "0"
    return f"{x:.3f}"


def fmt_sum(s, unit=""):
    if not s:
        return "–"
    u = f" {unit}" if unit else ""
    if s["n"] == 1 or s["min"] == s["max"]:
        return f"{fmt_num(s['median'])}{u}"
    return f"{fmt_num(s['median'])}{u} ({fmt_num(s['min'])}–{fmt_num(s['max'])})"


def fmt_time(ns_value, unit):
    ns = ns_value * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.1f} ns"


def fmt_rate(v, what):
    for div, p in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:.2f}{p} {what}/s"
    return f"{v:.1f} {what}/s"


def render(doc):
    L = []
    h = doc["host"]
    L.append(f"# barrage benchmarks ({doc['mode']})")
    L.append("")
    L.append(f"{doc['created']}, git {doc['git']}, {h['cpus']} CPUs ({h['cpu_model']}), kernel {h['kernel']}, "
             f"load average at start {h['loadavg_start'][0]}. {doc['reps']} run(s) per figure of "
             f"{doc['run_seconds']} s; median (min–max). 127.0.0.1 only; server on CPU 0, generator on CPU 1; "
             f"one thread per side. Took {doc['elapsed_s']:.0f} s.")
    L.append("")
    L.append("| Section | Figure | Throughput | CPU per request | Latency p50 / p99 | Saturated side / note |")
    L.append("|---|---|---|---|---|---|")
    figs = doc["figures"]
    for fid, f in figs.items():
        m = f["metrics"]
        sec = f["group"]
        if not m:
            L.append(f"| {sec} | {f['label']} | – | – | – | {f['verdict']} |")
            continue
        if fid.startswith("gen/"):
            cpu = fmt_sum(m.get("cpu_us_per_req"), "µs") + " gen"
        elif fid.startswith("srv/"):
            cpu = fmt_sum(m.get("server_cpu_us_per_req"), "µs") + " server"
        elif fid.startswith("pipe/"):
            cpu = (fmt_sum(m.get("cpu_us_per_req"), "µs") + " gen, " + fmt_sum(m.get("server_cpu_us_per_req"), "µs") +
                   " server")
        else:
            cpu = fmt_sum(m.get("cpu_us_per_req"), "µs") + " gen"
        if "p50_ms" in m:
            lat = f"{fmt_sum(m['p50_ms'])} / {fmt_sum(m.get('p99_ms'))} ms"
        elif "mean_ms" in m:
            lat = f"mean {fmt_sum(m['mean_ms'])} ms"
        else:
            lat = "–"
        if fid == "acc/stall":
            lat = (f"corrected {fmt_sum(m['p99_ms'])} ms / uncorrected {fmt_sum(m.get('unc_p99_ms'))} ms "
                   f"(p99)")
        if f.get("tool") == "ab":
            lat += " (whole ms)"
        if fid.startswith("gen/seed"):
            lat += " (incl. pool wait)"
        rps = fmt_sum(m.get("rps"), "req/s")
        note = f["verdict"]
        if f.get("ideal_rps"):
            note += f"; ideal {f['ideal_rps']:,.0f} req/s at 20 ms"
        errs = m.get("errors")
        if errs and errs["max"] > 0:
            note += f"; errors {fmt_sum(errs)}"
        L.append(f"| {sec} | {f['label']} | {rps} | {cpu} | {lat} | {note} |")
    for name, r in doc["ratios"].items():
        rr = f"{r['rps']:.2f}×" if "rps" in r else "–"
        cc = f"{r['cpu_us_per_req']:.2f}×" if "cpu_us_per_req" in r else "–"
        what = ("above 1: pipelining faster / costlier for the generator" if name.startswith("--pipeline")
                else "above 1: barrage faster / costlier")
        L.append(f"| ratio | {name} | {rr} req/s | {cc} µs/req | – | {what} |")
    for exe, d in doc.get("micro", {}).items():
        for b in d["benchmarks"]:
            rate = []
            for k, v in b.items():
                if k == "items_per_second":
                    rate.append(fmt_rate(v, "items"))
                elif k == "bytes_per_second":
                    rate.append(f"{v / 2**20:.0f} MiB/s")
                elif k not in ("name", "cpu_time", "real_time", "time_unit", "iterations"):
                    rate.append(f"{k} {fmt_num(v)}")
            L.append(f"| micro | {exe}: {b['name']} | {', '.join(rate) or '–'} | "
                     f"{fmt_time(b['cpu_time'], b['time_unit'])} CPU/op | – | real "
                     f"{fmt_time(b['real_time'], b['time_unit'])}/op |")
    L.append("")
    if doc["bugs"]:
        L.append("**barrage problems seen in this run:**")
        L += [f"- {b}" for b in doc["bugs"]]
        L.append("")
    if doc["notes"]:
        L.append("Notes:")
        L += [f"- {n}" for n in doc["notes"]]
        L.append("")
    L.append("CPU per request: user+sys CPU of the generator (gen) or of the server over the run, divided by the "
             "requests the generator completed. Saturated side: the generator when it used ≥ 90 % of its core, else "
             "the server. See docs/benchmarks.md.")
    return "\n".join(L) + "\n"


# ------------------------------------------------------------------ diff


BETTER = {"rps": "higher", "cpu_us_per_req": "lower", "server_cpu_us_per_req": "lower", "p50_ms": "lower",
          "p99_ms": "lower", "process_cpu_us_per_req": "lower"}


def diff(old, new):
    L = [f"# {old.get('created')} ({old.get('git')}, {old.get('mode')}) → {new.get('created')} "
         f"({new.get('git')}, {new.get('mode')})", "",
         "| Figure | Metric | Old median (min–max) | New median (min–max) | Change |", "|---|---|---|---|---|"]
    for fid, nf in new["figures"].items():
        of = old.get("figures", {}).get(fid)
        if not of:
            continue
        for k, better in BETTER.items():
            a, b = of["metrics"].get(k), nf["metrics"].get(k)
            if not (a and b) or not a["median"]:
                continue
            ch = (b["median"] - a["median"]) / a["median"] * 100
            overlap = not (b["min"] > a["max"] or b["max"] < a["min"])
            good = (ch > 0) == (better == "higher")
            if ch == 0:
                tag = "same"
            elif a["n"] > 1 and b["n"] > 1:
                tag = "within noise" if overlap else ("better" if good else "worse")
            else:
                tag = ("better" if good else "worse") + ", 1 run"
            L.append(f"| {nf['label']} | {k} | {fmt_sum(a)} | {fmt_sum(b)} | {ch:+.1f} % ({tag}) |")
    for exe, d in new.get("micro", {}).items():
        olds = {b["name"]: b for b in old.get("micro", {}).get(exe, {}).get("benchmarks", [])}
        for b in d["benchmarks"]:
            a = olds.get(b["name"])
            if not a or not a["cpu_time"]:
                continue
            ch = (b["cpu_time"] - a["cpu_time"]) / a["cpu_time"] * 100
            L.append(f"| {exe}: {b['name']} | CPU/op | {fmt_time(a['cpu_time'], a['time_unit'])} | "
                     f"{fmt_time(b['cpu_time'], b['time_unit'])} | {ch:+.1f} % |")
    return "\n".join(L) + "\n"


# ------------------------------------------------------------------ main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="measure and write latest.json / latest.md")
    r.add_argument("build", help="build directory (holds apps/barrage and bench/bench_*)")
    r.add_argument("--quick", action="store_true", help="1 run per figure, shorter runs (about 2 minutes)")
    r.add_argument("--reps", type=int, default=3)
    r.add_argument("--only", type=lambda s: s if set(s.split(",")) <= set(SECTIONS) else ap.error(
        f"--only: a comma list of {','.join(SECTIONS)}"), help=f"sections to run (default all): {','.join(SECTIONS)}")
    r.add_argument("--out", default=os.path.join(HERE, "results"))
    r.add_argument("--refdir", default=os.environ.get("BENCH_REFERENCE_DIR",
                                                      os.path.join(ROOT, "..", "shared", "anchors")),
                   help="directory with the reference Python programs seed.py and aioserver.py")
    d = sub.add_parser("diff", help="compare two results files")
    d.add_argument("old")
    d.add_argument("new")
    t = sub.add_parser("table", help="print the table of a results file")
    t.add_argument("file")
    args = ap.parse_args()

    if args.cmd == "diff":
        with open(args.old) as f1, open(args.new) as f2:
            sys.stdout.write(diff(json.load(f1), json.load(f2)))
        return 0
    if args.cmd == "table":
        with open(args.file) as f:
            sys.stdout.write(render(json.load(f)))
        return 0

    if not os.access(os.path.join(args.build, "apps", "barrage"), os.X_OK):
        print(f"no barrage binary in {args.build}/apps: build first", file=sys.stderr)
        return 1

    def on_signal(signum, _frame):
        stop_all()
        os._exit(128 + signum)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    bench = Bench(args)
    doc = bench.run()
    os.makedirs(args.out, exist_ok=True)
    md = render(doc)
    for name, text in (("latest.json", json.dumps(doc, indent=1) + "\n"), ("latest.md", md)):
        tmp = os.path.join(args.out, name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, os.path.join(args.out, name))
    sys.stdout.write(md)
    print(f"\nwrote {os.path.relpath(args.out)}/latest.json and latest.md; compare two runs with: "
          f"bench/compare.py diff OLD.json NEW.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
