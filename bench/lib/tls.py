"""The HTTPS section: one nginx worker with an ECDSA P-256 certificate and TLS 1.3 only, and
`barrage serve` with the same certificate.

  tls/ka/<tool>/c100      keep-alive HTTPS, c=100: barrage, wrk and h2load --h1 against nginx
  tls/hs/<tool>/c10       handshake-bound (a new connection per request), c=10: barrage with full
                          handshakes (--no-tls-resume) and with resumption (its default), ab without
                          -k, hey -disable-keepalive; the figure is handshakes per generator CPU-second
  tls/srv/<server>/c100   `barrage serve --tls-cert/--tls-key` beside nginx under wrk, keep-alive
"""
import os
import subprocess
import time

from .parse import parse_ab, parse_barrage, parse_h2load, parse_hey, parse_wrk
from .runner import Server, free_port

NGINX_TLS_CONF = """# written by bench/compare.py: 1 worker, TLS 1.3, fixed 200 "hello\\n", no access log
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
    ssl_protocols TLSv1.3;
    ssl_session_tickets on;
    server {{
        listen 127.0.0.1:{port} ssl backlog=4096;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        keepalive_requests 100000000;
        location / {{ default_type text/plain; return 200 "hello\\n"; }}
    }}
}}
"""


def make_certificate(workdir):
    """A fresh ECDSA P-256 key and a self-signed certificate for localhost and 127.0.0.1."""
    cert, key = os.path.join(workdir, "tls-cert.pem"), os.path.join(workdir, "tls-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


def nginx_tls_server(workdir, limit, cert, key):
    d = os.path.join(workdir, "nginx-tls")
    for sub in ("logs", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    port = free_port()
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_TLS_CONF.format(dir=d, port=port, cert=cert, key=key))
    return Server("nginx-tls", ["nginx", "-p", d, "-c", conf], port, workdir, limit=limit)


def barrage_tls_server(barrage, workdir, limit, cert, key):
    port = free_port()
    return Server("barrage-serve-tls", [barrage, "serve", "--listen", f"127.0.0.1:{port}", "--threads", "1",
                                        "--quiet", "--tls-cert", cert, "--tls-key", key], port, workdir,
                  limit=limit)


def parse_barrage_tls(path):
    import json
    r = parse_barrage(path)
    with open(path) as f:
        t = json.load(f).get("tls") or {}
    r["handshakes"], r["resumed"] = t.get("handshakes", 0), t.get("resumed", 0)
    return r


def tls_section(bench):
    b = bench
    if not b.have("openssl"):
        b.notes.append("tls: openssl (the command) not installed: the HTTPS rows are skipped.")
        return
    cert, key = make_certificate(b.workdir)
    nginx = nginx_tls_server(b.workdir, b.limit, cert, key).start()
    serve = barrage_tls_server(b.barrage, b.workdir, b.limit, cert, key)
    try:
        serve.start()
    except RuntimeError as e:
        b.notes.append(f"tls: barrage serve over TLS did not start ({e}): its row is skipped.")
        serve = None
    jp = os.path.join(b.workdir, "barrage-tls.json")
    url = f"https://127.0.0.1:{nginx.port}/"
    d = b.dur

    def bar(u, c, *extra):
        return [b.barrage, u, "-c", str(c), "-d", f"{d}s", "-t", "1", "--cacert", cert, "--json", jp, "-q",
                "--no-progress", *extra]
    ka = [("barrage", bar(url, 100), parse_barrage_tls, jp),
          ("wrk", ["wrk", "-t1", "-c100", f"-d{d}s", "--latency", url], parse_wrk, None)]
    if b.have("h2load"):
        ka.append(("h2load", ["h2load", "--h1", "-t1", "-c100", "-D", str(d), url], parse_h2load, None))
    hs = [("barrage-full", bar(url, 10, "--no-keepalive", "--no-tls-resume"), parse_barrage_tls, jp),
          ("barrage-resumed", bar(url, 10, "--no-keepalive"), parse_barrage_tls, jp),
          ("ab", ["ab", "-q", "-c", "10", "-t", str(d), "-n", "100000000", url], parse_ab, None)]
    if b.have("hey"):
        hs.append(("hey", ["hey", "-disable-keepalive", "-c", "10", "-z", f"{d}s", url], parse_hey, None))
    else:
        b.notes.append("hey: not installed (Debian package hey): its handshake row is skipped.")
    srv = [("nginx", nginx)] + ([("barrage-serve", serve)] if serve else [])
    for t, *_ in ka:
        b.figure(f"tls/ka/{t}/c100", "HTTPS vs nginx (TLS 1.3, P-256)", f"{t} keep-alive c=100", tool=t)
    for t, *_ in hs:
        b.figure(f"tls/hs/{t}/c10", "HTTPS handshakes vs nginx", f"{t} new connection per request c=10", tool=t,
                 handshakes=True)
    for name, _ in srv:
        b.figure(f"tls/srv/{name}/c100", "HTTPS servers under wrk", f"{name} over TLS, wrk -c100", server=name)
    try:
        for rep in range(b.reps):
            for group, rows in (("ka", ka), ("hs", hs)):
                for t, argv, parser, json_path in rows:
                    fid = f"tls/{group}/{t}/c{100 if group == 'ka' else 10}"
                    b.log(f"[{rep + 1}/{b.reps}] {fid}")
                    b.measure(fid, nginx, argv, parser, window=d, limit=d + 30, json_path=json_path)
                    time.sleep(0.3)
            for name, s in srv:
                fid = f"tls/srv/{name}/c100"
                b.log(f"[{rep + 1}/{b.reps}] {fid}")
                b.measure(fid, s, ["wrk", "-t1", "-c100", f"-d{d}s", "--latency", f"https://127.0.0.1:{s.port}/"],
                          parse_wrk, window=d, limit=d + 30)
                time.sleep(0.3)
    finally:
        nginx.stop()
        if serve:
            serve.stop()


def tls_ratios(figures):
    """barrage over the others, on the medians: CPU per request (keep-alive), handshakes per
    generator CPU-second (handshake-bound) and requests/s (servers)."""
    def med(fid, m):
        f = figures.get(fid)
        v = f and f["metrics"].get(m)
        return v["median"] if v and v["median"] else None
    out = {}
    for other in ("wrk", "h2load"):
        a, o = med("tls/ka/barrage/c100", "cpu_us_per_req"), med(f"tls/ka/{other}/c100", "cpu_us_per_req")
        if a and o:
            out[f"HTTPS keep-alive barrage/{other}"] = {"cpu_us_per_req": a / o}
    full = med("tls/hs/barrage-full/c10", "cpu_us_per_req")
    peers = [med(f"tls/hs/{t}/c10", "cpu_us_per_req") for t in ("ab", "hey")]
    peers = [p for p in peers if p]
    if full and peers:
        out["HTTPS full handshakes/CPU-s barrage/best(ab, hey)"] = {"hs_per_cpu_s": min(peers) / full}
    s, n = med("tls/srv/barrage-serve/c100", "rps"), med("tls/srv/nginx/c100", "rps")
    if s and n:
        out["HTTPS server barrage serve/nginx"] = {"rps": s / n}
    return out
