"""The HTTP/2 servers section: `barrage serve` beside nginx's h2 and h2o, all h2c (prior knowledge),
each one worker pinned to the server CPU, under the same generator (h2load -t1 -c 10 -m 10, pinned
to the generator CPU), GET / answering "hello\\n".

  h2srv/<server>/hello/c10m10   requests/s and server CPU per request (issue 16: barrage serve's
                                requests/s >= nginx's h2, h2o's figure beside it)
"""
import os
import time

from .parse import parse_h2load
from .runner import Server, barrage_server, free_port

NGINX_H2C_CONF = """# written by bench/compare.py: 1 worker, h2c (prior knowledge), fixed 200 "hello\\n", no access log
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
    http2_max_requests 100000000;
    server {{
        listen 127.0.0.1:{port} http2 backlog=4096;
        keepalive_requests 100000000;
        location / {{ default_type text/plain; return 200 "hello\\n"; }}
    }}
}}
"""

H2O_CONF = """# written by bench/compare.py: 1 thread, h2c (prior knowledge), fixed 200 "hello\\n" (mruby)
{user}listen:
  host: 127.0.0.1
  port: {port}
num-threads: 1
pid-file: {dir}/h2o.pid
error-log: {dir}/error.log
hosts:
  default:
    paths:
      /:
        mruby.handler: |
          Proc.new do |env|
            [200, {{"content-type" => "text/plain"}}, ["hello\\n"]]
          end
"""


def nginx_h2c_server(workdir, limit):
    d = os.path.join(workdir, "nginx-h2c")
    for sub in ("logs", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    port = free_port()
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_H2C_CONF.format(dir=d, port=port))
    return Server("nginx-h2c", ["nginx", "-p", d, "-c", conf], port, workdir, limit=limit)


def h2o_server(workdir, limit):
    d = os.path.join(workdir, "h2o")
    os.makedirs(d, exist_ok=True)
    port = free_port()
    conf = os.path.join(d, "h2o.conf")
    with open(conf, "w") as f:  # as root h2o would switch to nobody, who cannot write its pid file here
        f.write(H2O_CONF.format(dir=d, port=port, user="user: root\n" if os.geteuid() == 0 else ""))
    return Server("h2o", ["h2o", "-c", conf], port, workdir, limit=limit)


def h2_servers_section(bench):
    b = bench
    if not b.have("h2load"):
        b.notes.append("h2servers: h2load (nghttp2-client) not installed: the HTTP/2 server rows are skipped.")
        return
    targets = [("barrage serve", barrage_server(b.barrage, b.workdir, b.limit, name="barrage-serve-h2"))]
    if b.have("nginx"):
        targets.append(("nginx", nginx_h2c_server(b.workdir, b.limit)))
    if b.have("h2o"):
        targets.append(("h2o", h2o_server(b.workdir, b.limit)))
    else:
        b.notes.append("h2servers: h2o not installed: its row is skipped.")
    d = b.dur
    for name, _ in targets:
        b.figure(f"h2srv/{name.split()[0]}/hello/c10m10", "HTTP/2 servers under h2load (h2c)",
                 f"{name} GET /, h2load -c 10 -m 10")
    for _, s in targets:
        s.start()
    try:
        for rep in range(b.reps):
            for name, s in targets:
                fid = f"h2srv/{name.split()[0]}/hello/c10m10"
                b.log(f"[{rep + 1}/{b.reps}] {fid}")
                argv = ["h2load", "-t1", "-c10", "-m10", "-D", str(d), f"http://127.0.0.1:{s.port}/"]
                b.measure(fid, s, argv, parse_h2load, window=d, limit=d + 30)
                time.sleep(0.3)
    finally:
        for _, s in targets:
            s.stop()


def h2_servers_ratios(figures):
    """barrage serve's requests/s over nginx's and h2o's, on the medians."""
    def med(fid):
        f = figures.get(fid)
        v = f and f["metrics"].get("rps")
        return v["median"] if v and v["median"] else None
    out = {}
    ours = med("h2srv/barrage/hello/c10m10")
    for other in ("nginx", "h2o"):
        theirs = med(f"h2srv/{other}/hello/c10m10")
        if ours and theirs:
            out[f"HTTP/2 server barrage serve/{other} (h2c, h2load -c 10 -m 10)"] = {"rps": ours / theirs}
    return out
