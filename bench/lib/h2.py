"""The HTTP/2 section: barrage (--http2, closed model, -m streams per connection) beside h2load
against one nginx worker speaking h2 over TLS 1.3 (ALPN), the same certificate as the HTTPS rows.

  h2/tls/<tool>/c10m10    h2 over TLS, 10 connections x 10 streams: barrage vs h2load; the figure
                          that matters is CPU per request (issue 16: barrage <= 0.8x h2load's)
"""
import os
import time

from .parse import parse_barrage, parse_h2load
from .runner import Server, free_port
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
    for t, *_ in rows:
        b.figure(f"h2/tls/{t}/c10m10", "HTTP/2 vs nginx (TLS 1.3, h2 by ALPN)", f"{t} -c 10 -m 10", tool=t)
    try:
        for rep in range(b.reps):
            for t, argv, parser, json_path in rows:
                fid = f"h2/tls/{t}/c10m10"
                b.log(f"[{rep + 1}/{b.reps}] {fid}")
                b.measure(fid, nginx, argv, parser, window=d, limit=d + 30, json_path=json_path)
                time.sleep(0.3)
    finally:
        nginx.stop()


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
    return out
