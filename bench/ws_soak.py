#!/usr/bin/env python3
"""`make soak-ws`: long-lived WebSocket connections held against `barrage serve` (issue 17's
stability figure): N connections opened over a ramp, held for the run with a ping on each every
--ping-interval, then closed. 127.0.0.1 only; the server on CPU 0, the generator on CPU 1, one
thread each.

usage: bench/ws_soak.py BARRAGE [--connections N] [--seconds S] [--ramp S] [--ping-interval D]
                        [--out DIR] [--no-judge-rtt]
  defaults from the environment: WS_SOAK_CONNECTIONS (10000), WS_SOAK_SECONDS (600, the ramp
  included), WS_SOAK_RAMP (20), WS_SOAK_PING (1s), WS_SOAK_OUT (bench/results)

Checks (exit 1 when one fails; the table is printed either way):
  - none lost: opened = N, held at the end = N, no reconnect, none dropped, failed or closed by
    the server (the generator's JSON report); the server held N at once and closed none itself
    (its /metrics: barrage_ws_connections_active, barrage_ws_closes_total by reason)
  - every ping answered (sent - answered <= N: at most one in flight per connection at the end)
  - ping round trip p99 < 5 ms (--no-judge-rtt: shown, not judged; the short CI run uses it)
  - memory per held connection <= 16 KiB on each side: (median RSS while holding - RSS with no
    connection) / N; the generator's no-connection RSS is that of a -c 10 run of the same kind
  - RSS flat: the last third of the hold's samples peak at most 5 % + 2 MiB above the first
    third's, on each side
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

RTT_P99_MS = 5.0
BYTES_PER_CONNECTION = 16 * 1024


def env_int(name, default):
    return int(os.environ.get(name, default))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("barrage")
    p.add_argument("--connections", type=int, default=env_int("WS_SOAK_CONNECTIONS", 10000))
    p.add_argument("--seconds", type=int, default=env_int("WS_SOAK_SECONDS", 600))
    p.add_argument("--ramp", type=int, default=env_int("WS_SOAK_RAMP", 20))
    p.add_argument("--ping-interval", default=os.environ.get("WS_SOAK_PING", "1s"))
    p.add_argument("--out", default=os.environ.get("WS_SOAK_OUT", os.path.join(os.path.dirname(__file__), "results")))
    p.add_argument("--no-judge-rtt", action="store_true")
    a = p.parse_args()
    if a.connections < 20 or a.seconds < a.ramp + 3 or a.ramp < 1:
        p.error("needs --connections >= 20 and --seconds >= --ramp + 3, --ramp >= 1")
    return a


def pinned(cpu, argv):
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu)] + argv
    return argv


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def metrics(port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def start_server(barrage, port):
    proc = subprocess.Popen(pinned(0, [barrage, "serve", "--listen", f"127.0.0.1:{port}", "--threads", "1", "--quiet"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"ws_soak: barrage serve exited: {proc.stderr.read().decode()[-400:]}")
            time.sleep(0.05)
    proc.kill()
    sys.exit("ws_soak: barrage serve did not listen within 10 s")


def generator(barrage, port, conns, seconds, ramp, ping, json_path):
    return pinned(1, [barrage, f"ws://127.0.0.1:{port}/ws/echo", "--listen", "-c", str(conns), "--ramp",
                      f"{ramp}s:{conns}", "-d", f"{seconds}s", "--ping-interval", ping, "-t", "1",
                      "--json", json_path, "-q", "--no-progress"])


def run_sampled(argv, server_pid, ramp, seconds):
    """Runs the generator, sampling both RSS once a second; returns (rc, stderr, samples)."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    pid = proc.pid
    samples = []  # (seconds since start, generator RSS, server RSS)
    t0 = time.monotonic()
    while proc.poll() is None:
        t = time.monotonic() - t0
        # taskset execs the generator in place, so proc.pid is the generator itself.
        samples.append((t, rss_bytes(pid), rss_bytes(server_pid)))
        if t > seconds + 60:
            proc.kill()
            break
        time.sleep(1.0)
    err = proc.communicate()[1].decode(errors="replace")
    return proc.returncode, err, samples


def hold_window(samples, ramp, seconds):
    """The samples taken while every connection was held: after the ramp and a settling second,
    before the end of the run."""
    return [s for s in samples if ramp + 1.5 <= s[0] <= seconds - 0.5 and s[1] and s[2]]


def flat(values):
    third = max(1, len(values) // 3)
    first, last = max(values[:third]), max(values[-third:])
    return last <= first * 1.05 + 2 * 1024 * 1024, first, last


def main():
    a = parse_args()
    checks = []

    def check(ok, what):
        checks.append((bool(ok), what))

    work = tempfile.mkdtemp(prefix="ws-soak-")
    port = free_port()
    server = start_server(a.barrage, port)
    try:
        time.sleep(0.3)
        server_idle = rss_bytes(server.pid)
        # The generator's RSS with (almost) no connection: a -c 10 run of the same kind.
        base_json = os.path.join(work, "base.json")
        rc, err, base_samples = run_sampled(generator(a.barrage, port, 10, 4, 1, a.ping_interval, base_json),
                                            server.pid, 1, 4)
        if rc != 0:
            sys.exit(f"ws_soak: the -c 10 baseline run failed (exit {rc}): {err[-400:]}")
        gen_idle = max(s[1] for s in base_samples if s[1])
        before = metrics(port)
        run_json = os.path.join(work, "run.json")
        argv = generator(a.barrage, port, a.connections, a.seconds, a.ramp, a.ping_interval, run_json)
        print(f"ws_soak: {a.connections} connections, ramp {a.ramp} s, held to {a.seconds} s, "
              f"ping every {a.ping_interval}: {' '.join(argv)}", flush=True)
        rc, err, samples = run_sampled(argv, server.pid, a.ramp, a.seconds)
        after = metrics(port)
    finally:
        server.terminate()
        server.wait(timeout=10)
    check(rc == 0, f"the generator exited 0 (exit {rc}{': ' + err.strip()[-300:] if rc else ''})")
    w = json.load(open(run_json))["websocket"]
    c = w["connections"]
    n = a.connections
    check(c["opened"] == n, f"opened {c['opened']} = {n}")
    check(c["held_at_end"] == n, f"held at the end {c['held_at_end']} = {n}")
    check(c["reconnects"] == 0, f"reconnects {c['reconnects']} = 0")
    check(not c["dropped"] and not c["failed"], f"dropped {c['dropped']}, failed {c['failed']}: none")
    check(not c["closed"]["by_peer"], f"closed by the server {c['closed']['by_peer']}: none")
    pings = w["pings"]
    check(0 <= pings["sent"] - pings["answered"] <= n, f"pings answered {pings['answered']} of {pings['sent']}")
    p99 = w["ping_rtt"]["p99"]
    rtt_line = f"ping round trip p99 {p99} ms < {RTT_P99_MS} ms"
    if a.no_judge_rtt:
        print(f"  (shown, not judged) {rtt_line}")
    else:
        check(p99 is not None and p99 < RTT_P99_MS, rtt_line)
    key = "barrage_ws_connections_total"
    check(after.get(key, 0) - before.get(key, 0) == n, f"the server accepted {after.get(key, 0) - before.get(key, 0):.0f} = {n}")
    own = {k: after[k] - before.get(k, 0) for k in after
           if k.startswith("barrage_ws_closes_total") and 'peer_closed' not in k and after[k] != before.get(k, 0)}
    check(not own, f"closes other than the generator's: {own or 'none'}")

    hold = hold_window(samples, a.ramp, a.seconds)
    check(len(hold) >= 3, f"{len(hold)} RSS samples while holding (>= 3)")
    if len(hold) >= 3:
        gen_held = statistics.median(s[1] for s in hold)
        srv_held = statistics.median(s[2] for s in hold)
        per_gen = (gen_held - gen_idle) / n
        per_srv = (srv_held - server_idle) / n
        check(per_gen <= BYTES_PER_CONNECTION, f"generator: {per_gen / 1024:.1f} KiB per held connection <= 16")
        check(per_srv <= BYTES_PER_CONNECTION, f"server: {per_srv / 1024:.1f} KiB per held connection <= 16")
        for side, i in (("generator", 1), ("server", 2)):
            ok, first, last = flat([s[i] for s in hold])
            check(ok, f"{side} RSS flat: peak {first / 2**20:.1f} MiB in the first third, {last / 2**20:.1f} in the last")
    summary = {"connections": n, "seconds": a.seconds, "ramp_s": a.ramp, "ping_interval": a.ping_interval,
               "ping_rtt_ms": w["ping_rtt"], "pings": pings, "connections_report": c,
               "rss_idle": {"generator": gen_idle, "server": server_idle},
               "samples": [{"t": round(t, 1), "generator_rss": g, "server_rss": s} for t, g, s in samples],
               "checks": [{"ok": ok, "what": what} for ok, what in checks]}
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "ws_soak.json"), "w") as f:
        json.dump(summary, f, indent=1)
    for ok, what in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    shutil.rmtree(work, ignore_errors=True)
    failed = [w for ok, w in checks if not ok]
    print(f"ws_soak: {'PASS' if not failed else 'FAIL: ' + '; '.join(failed)}")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
