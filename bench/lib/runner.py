"""Processes the benchmarks start and measure: CPU accounting from /proc, free ports, the servers
(nginx, `barrage serve`, aiohttp) and one generator run.  stop_all() ends everything still running."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

from .common import GEN_CPU, PY, SERVER_CPU

TICK = os.sysconf("SC_CLK_TCK")

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
           "cpu_user_s": ru.ru_utime, "cpu_sys_s": ru.ru_stime, "csw": ru.ru_nvcsw, "csw_involuntary": ru.ru_nivcsw}
    if snap and wall > snap["t"] + 0.05:  # still working well after its window: cut there
        rec["window_s"] = snap["t"]
        rec["window_cpu_s"] = sum(snap["cpu"])
    else:
        rec["window_s"] = wall
        rec["window_cpu_s"] = ru.ru_utime + ru.ru_stime
    return rec, txt
