"""Bench: runs the benchmark sections (generators, pipelining, servers, accuracy, micro) and
assembles the results document that lib/report.py judges and renders."""
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

from .common import GEN_CPU, PY, ROOT, SECTIONS
from .parse import parse_ab, parse_barrage, parse_h2load, parse_seed, parse_wrk, summary
from .report import bugs_of, metrics_of, verdict_of
from .h2 import h2_ratios, h2_section
from .h2_servers import h2_servers_ratios, h2_servers_section
from .tls import tls_ratios, tls_section
from .open_rate import open_rate_ratios, open_rate_section
from .runner import _workdirs, aio_server, barrage_server, busy_seconds, nginx_server, run_generator, stop_all


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
                if want & {"generators", "pipelining", "servers", "open"}:
                    nginx = nginx_server(self.workdir, self.limit).start()
                if "generators" in want:
                    self.generators(nginx)
                if "pipelining" in want:
                    self.pipelining(nginx)
                if "open" in want:
                    open_rate_section(self, nginx)
            else:
                self.notes.append("nginx: not installed (Debian nginx-light): generator rows skipped.")
            if nginx and "servers" in want:
                self.servers(nginx)
            if "tls" in want and self.have("nginx"):
                tls_section(self)
            if "h2" in want and self.have("nginx"):
                h2_section(self)
            if "h2servers" in want:
                h2_servers_section(self)
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
        ratios.update(tls_ratios(figures))
        ratios.update(h2_ratios(figures))
        ratios.update(h2_servers_ratios(figures))
        ratios.update(open_rate_ratios(figures))
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
        "hey": "installed" if shutil.which("hey") else None,  # hey has no version flag
        "nginx": first(["nginx", "-v"], r"nginx/(\S+)"),
        "python": first([PY, "--version"]),
        "aiohttp": first([PY, "-c", "import aiohttp; print(aiohttp.__version__)"]),
        "uvloop": first([PY, "-c", "import uvloop; print(uvloop.__version__)"]),
    }

