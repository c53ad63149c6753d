"""The HTTP/2 section: barrage (--http2, closed model, -m streams per connection) beside h2load
against one nginx worker speaking h2 over TLS 1.3 (ALPN), the same certificate as the HTTPS rows.

  h2/tls/<tool>/c10m10    h2 over TLS, 10 connections x 10 streams: barrage vs h2load; the figure
                          that matters is CPU per request (issue 16: barrage <= 0.8x h2load's)
  h2/tls/<tool>/c100m10   the same at 100 connections x 10 streams
  h2/*/floor/...          bench/h2_floor.c (built here with cc, as bench/ws_echo_ratio.sh builds
                          ws_floor.c): the least a client built on OpenSSL and nghttp2 can do per
                          request, beside the tls and h2c rows; its ratios say how far below h2load
                          any such client can go on this machine, and how far barrage is above it
  h2/h2c/<tool>/c10m10    h2c (prior knowledge) against the same nginx on a plain port
  h2/mux/barrage/...      multiplexing: barrage -c 10 -m 100 over h2c vs barrage's own HTTP/1.1
                          -c 10 on a plain HTTP/1.1 port of the same nginx; the figure is
                          requests/s per generator CPU-second (issue 16: >= 3x)
  h2/h2c-serve/..., h2/mux-serve/...
                          the same h2c and multiplexing rows against `barrage serve` (one thread;
                          h2c by its preface and HTTP/1.1 on one port). The issue asks the h2c
                          comparison "against h2c on barrage serve"; nginx's rows stay beside it
                          because one nginx worker writes one segment per h2 response, which sets
                          how often any generator wakes (docs/performance.md)
"""
import os
import subprocess
import time

from .common import HERE
from .parse import parse_barrage, parse_floor, parse_h2load
from .runner import Server, barrage_server, free_port
from .tls import NGINX_TLS_CONF, make_certificate


def nginx_h2_server(workdir, limit, cert, key):
    d = os.path.join(workdir, "nginx-h2")
    for sub in ("logs", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    port = free_port()
    conf = os.path.join(d, "nginx.conf")
    text = NGINX_TLS_CONF.replace("listen 127.0.0.1:{port} ssl backlog=4096;",
                                  "listen 127.0.0.1:{port} ssl http2 backlog=4096;")
    assert "ssl http2" in text, "NGINX_TLS_CONF's listen line changed: update bench/lib/h2.py"
    with open(conf, "w") as f:
        f.write(text.format(dir=d, port=port, cert=cert, key=key))
    return Server("nginx-h2", ["nginx", "-p", d, "-c", conf], port, workdir, limit=limit)


def nginx_h2c_server(workdir, limit, cert, key):
    """One nginx worker: h2c (prior knowledge) on `port`, HTTP/1.1 on `port + 1`."""
    d = os.path.join(workdir, "nginx-h2c")
    for sub in ("logs", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    port = free_port()
    plain = free_port()
    conf = os.path.join(d, "nginx.conf")
    text = NGINX_TLS_CONF.replace("listen 127.0.0.1:{port} ssl backlog=4096;",
                                  "listen 127.0.0.1:{port} http2 backlog=4096; "
                                  "listen 127.0.0.1:%d backlog=4096;" % plain)
    assert "{port} http2" in text, "NGINX_TLS_CONF's listen line changed: update bench/lib/h2.py"
    with open(conf, "w") as f:
        f.write(text.format(dir=d, port=port, cert=cert, key=key))
    s = Server("nginx-h2c", ["nginx", "-p", d, "-c", conf], port, workdir, limit=limit)
    s.plain_port = plain
    return s


def build_floor(b):
    """bench/h2_floor.c compiled into the work directory; None (and a note) when it does not build."""
    exe = os.path.join(b.workdir, "h2_floor")
    try:
        r = subprocess.run(["cc", "-O2", "-o", exe, os.path.join(HERE, "h2_floor.c"), "-lnghttp2", "-lssl", "-lcrypto"],
                           capture_output=True, timeout=120)
        ok = r.returncode == 0
    except OSError:
        ok = False
    if not ok:
        b.notes.append("h2: bench/h2_floor.c did not build (needs cc, libnghttp2-dev, libssl-dev): the floor rows "
                       "are skipped.")
        return None
    return exe


def floor_argv(floor, c, m, d, url):
    return [floor, "-c", str(c), "-m", str(m), "-d", str(d), url]


def h2c_rows(b, server, tag, where, plain_port, floor):
    """h2c beside h2load, and the multiplexing pair, against one server worker (`tag` in the ids:
    "" for nginx, "-serve" for barrage serve, whose HTTP/1.1 and h2c share one port)."""
    d = b.dur
    jp = os.path.join(b.workdir, "barrage-h2c.json")
    url = f"http://127.0.0.1:{server.port}/"
    plain = f"http://127.0.0.1:{plain_port}/"
    base = ["-d", f"{d}s", "-t", "1", "--json", jp, "-q", "--no-progress"]
    group = f"HTTP/2 vs {where} (h2c, prior knowledge)"
    mux = f"Multiplexing vs {where}: requests per generator CPU-second"
    rows = [(f"h2/h2c{tag}/barrage/c10m10", [b.barrage, url, "--http2-prior-knowledge", "-c", "10", "-m", "10"] + base,
             parse_barrage, jp, "barrage -c 10 -m 10", group),
            (f"h2/h2c{tag}/h2load/c10m10", ["h2load", "-t1", "-c10", "-m10", "-D", str(d), url], parse_h2load, None,
             "h2load -c 10 -m 10", group)]
    if floor:
        rows.append((f"h2/h2c{tag}/floor/c10m10", floor_argv(floor, 10, 10, d, url), parse_floor, None,
                     "floor -c 10 -m 10 (bench/h2_floor.c)", group))
    rows += [(f"h2/mux{tag}/barrage/h2c-c10m100",
              [b.barrage, url, "--http2-prior-knowledge", "-c", "10", "-m", "100"] + base,
              parse_barrage, jp, "barrage h2c -c 10 -m 100", mux),
             (f"h2/mux{tag}/barrage/http1-c10", [b.barrage, plain, "-c", "10"] + base,
              parse_barrage, jp, "barrage HTTP/1.1 -c 10", mux)]
    for fid, _, _, _, label, grp in rows:
        b.figure(fid, grp, label, tool=fid.split("/")[2])
    server.start()
    try:
        for rep in range(b.reps):
            for fid, argv, parser, json_path, _, _ in rows:
                b.log(f"[{rep + 1}/{b.reps}] {fid}")
                b.measure(fid, server, argv, parser, window=d, limit=d + 30, json_path=json_path)
                time.sleep(0.3)
    finally:
        server.stop()


def h2_section(bench):
    b = bench
    if not b.have("openssl") or not b.have("h2load"):
        b.notes.append("h2: openssl or h2load (nghttp2-client) not installed: the HTTP/2 rows are skipped.")
        return
    cert, key = make_certificate(b.workdir)
    nginx = nginx_h2_server(b.workdir, b.limit, cert, key).start()
    jp = os.path.join(b.workdir, "barrage-h2.json")
    url = f"https://127.0.0.1:{nginx.port}/"
    d = b.dur
    rows = [("barrage", [b.barrage, url, "--http2", "-c", "10", "-m", "10", "-d", f"{d}s", "-t", "1",
                         "--cacert", cert, "--json", jp, "-q", "--no-progress"], parse_barrage, jp),
            ("h2load", ["h2load", "-t1", "-c10", "-m10", "-D", str(d), url], parse_h2load, None)]
    floor = build_floor(b)
    if floor:
        rows.append(("floor", floor_argv(floor, 10, 10, d, url), parse_floor, None))
    rows = [(f"h2/tls/{t}/c10m10", argv, parser, jp_) for t, argv, parser, jp_ in rows]
    rows += [("h2/tls/barrage/c100m10", [b.barrage, url, "--http2", "-c", "100", "-m", "10", "-d", f"{d}s", "-t", "1",
                                         "--cacert", cert, "--json", jp, "-q", "--no-progress"], parse_barrage, jp),
             ("h2/tls/h2load/c100m10", ["h2load", "-t1", "-c100", "-m10", "-D", str(d), url], parse_h2load, None)]
    if floor:
        rows.append(("h2/tls/floor/c100m10", floor_argv(floor, 100, 10, d, url), parse_floor, None))
    for fid, *_ in rows:
        t, shape = fid.split("/")[2], fid.split("/")[3]
        b.figure(fid, "HTTP/2 vs nginx (TLS 1.3, h2 by ALPN)",
                 f"{t} -c {shape[1:shape.index('m')]} -m {shape[shape.index('m') + 1:]}"
                 + (" (bench/h2_floor.c)" if t == "floor" else ""), tool=t)
    try:
        for rep in range(b.reps):
            for fid, argv, parser, json_path in rows:
                b.log(f"[{rep + 1}/{b.reps}] {fid}")
                b.measure(fid, nginx, argv, parser, window=d, limit=d + 30, json_path=json_path)
                time.sleep(0.3)
    finally:
        nginx.stop()
    nginx = nginx_h2c_server(b.workdir, b.limit, cert, key)
    h2c_rows(b, nginx, "", "nginx", nginx.plain_port, floor)
    serve = barrage_server(b.barrage, b.workdir, b.limit, name="barrage-serve-h2c")
    h2c_rows(b, serve, "-serve", "barrage serve", serve.port, floor)


def h2_ratios(figures):
    """barrage over h2load on the medians: CPU per request and requests/s."""
    def med(fid, m):
        f = figures.get(fid)
        v = f and f["metrics"].get(m)
        return v["median"] if v and v["median"] else None
    out = {}
    r = {}
    for m in ("cpu_us_per_req", "rps"):
        a, o = med("h2/tls/barrage/c10m10", m), med("h2/tls/h2load/c10m10", m)
        if a and o:
            r[m] = a / o
    if r:
        out["HTTP/2 -c 10 -m 10 barrage/h2load"] = r
    for name, a_id, o_id in (("HTTP/2 -c 100 -m 10 barrage/h2load", "h2/tls/barrage/c100m10", "h2/tls/h2load/c100m10"),
                             ("h2c -c 10 -m 10 barrage/h2load (nginx)", "h2/h2c/barrage/c10m10", "h2/h2c/h2load/c10m10"),
                             ("h2c -c 10 -m 10 barrage/h2load (barrage serve)", "h2/h2c-serve/barrage/c10m10",
                              "h2/h2c-serve/h2load/c10m10")):
        r = {}
        for m in ("cpu_us_per_req", "rps"):
            a, o = med(a_id, m), med(o_id, m)
            if a and o:
                r[m] = a / o
        if r:
            out[name] = r
    # The floor (bench/h2_floor.c): how far below h2load a client on the same libraries can go, and
    # how far barrage is above that.
    for shape, a_id in (("TLS -c 10 -m 10", "h2/tls/{}/c10m10"), ("TLS -c 100 -m 10", "h2/tls/{}/c100m10"),
                        ("h2c -c 10 -m 10 (nginx)", "h2/h2c/{}/c10m10"),
                        ("h2c -c 10 -m 10 (barrage serve)", "h2/h2c-serve/{}/c10m10")):
        for name, num, den in ((f"the floor / h2load, {shape} (issue 16's 0.8 is out of reach above 0.8)",
                                "floor", "h2load"),
                               (f"barrage / the floor, {shape}", "barrage", "floor")):
            r = {}
            for m in ("cpu_us_per_req", "rps"):
                a, o = med(a_id.format(num), m), med(a_id.format(den), m)
                if a and o:
                    r[m] = a / o
            if r:
                out[name] = r
    # Multiplexing: requests per generator CPU-second is 1e6 / (CPU µs per request), so the
    # gain is the inverse of this CPU ratio (issue 16: CPU ratio <= 1/3).
    for tag, where in (("", "nginx"), ("-serve", "barrage serve")):
        a = med(f"h2/mux{tag}/barrage/h2c-c10m100", "cpu_us_per_req")
        o = med(f"h2/mux{tag}/barrage/http1-c10", "cpu_us_per_req")
        if a and o:
            out[f"barrage h2c -c 10 -m 100 / HTTP/1.1 -c 10, {where} (CPU: target <= 0.33)"] = {"cpu_us_per_req": a / o}
    return out
