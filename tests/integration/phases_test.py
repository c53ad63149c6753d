#!/usr/bin/env python3
"""Where the time goes: each phase of the JSON report against a peer that delays that phase.

  phases_test.py BARRAGE [CASE ...]

Every peer runs on 127.0.0.1 and delays one phase by a known D; the report must show that
phase at D or more and below D + SLACK, and the phases around it small, so that time put in
the wrong phase fails:
  wait     barrage serve's /delay/D
  receive  a server of this script that sends the head at once and the body D later
  write    a server that reads nothing for D while the request's 16 MiB body fills the socket
  connect  a listener whose accept queue is full: the kernel drops the SYN and the client
           sends it again after its initial retransmission timeout (1 s, TCP_TIMEOUT_INIT)
  dns      dnsmasq behind a relay of this script that holds each query for D; cached lookups
           are 0 and counted as cached
  outcome  a server that answers every other request with a fast 500 and the others with a
           200 after D: latency_ms holds the 200s, latency_failed_ms the 500s; thresholds
           name either
SLACK is generous for a busy 2-core machine, well below the D it must tell apart; upper bounds
judge the median where a case makes several requests.
Every run's JSON report is checked for the accounting identity. Both I/O backends. Exit 0
when all passed.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

from harness import FAILURES, check, cleanup, free_port, guard_children, spawn  # noqa: E402
from dns_test import Dnsmasq  # noqa: E402

TMP = tempfile.mkdtemp(prefix="barrage-phases-test-")
SLACK_MS = 15.0
ENV = dict(os.environ)  # BARRAGE_IO_BACKEND: each case runs on both backends


def run(barrage, args, timeout=60):
    out = os.path.join(TMP, "report.json")
    if os.path.exists(out):
        os.remove(out)
    p = subprocess.run([barrage] + args + ["--no-progress", "--json", out], capture_output=True, text=True,
                       timeout=timeout, env=ENV)
    report = None
    if os.path.exists(out):
        with open(out) as f:
            report = json.load(f)
    if p.returncode not in (0, 3):
        print("  exit %d: %s" % (p.returncode, p.stderr.strip()))
    if report:
        r = report["requests"]
        check(r["started"] == r["succeeded"] + r["failed"] + r["timed_out"] + r["in_flight_at_end"],
              "accounting identity holds (%s)" % r)
    return p, report


# A phase the peer delays by D can be no shorter than D (min), and is judged by its median
# from above: one request of several that the scheduler held up does not fail the check.
def within(phase, d_ms, slack_ms=SLACK_MS):
    return phase["count"] > 0 and phase["min"] >= d_ms and phase["p50"] < d_ms + slack_ms


# The phases around the delayed one: small. Where a case has one request, a stall of the busy
# machine cannot be smoothed over: there "small" is below half the delay, which still fails
# when the delay lands in the wrong phase.
def small(phase, bound_ms=SLACK_MS):
    return phase["count"] == 0 or phase["p50"] < bound_ms


def show(phase):
    return "count %d min %s p50 %s max %s" % (phase["count"], phase["min"], phase["p50"], phase["max"])


class HttpPeer:
    """A keep-alive HTTP/1.1 server on 127.0.0.1; answer(conn, index) writes the index-th response
    (counted over all connections), after the request and its Content-Length body were read,
    unless hold_s is set: then each connection reads nothing for hold_s first."""

    def __init__(self, answer, hold_s=0.0, listener=None):
        self.answer = answer
        self.hold_s = hold_s
        self.count = 0
        self.lock = threading.Lock()
        self.sock = listener
        if not self.sock:
            self.sock = socket.socket()
            self.sock.bind(("127.0.0.1", 0))
            self.sock.listen(64)
            self.start()
        self.port = self.sock.getsockname()[1]

    def start(self):
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        if self.hold_s:
            time.sleep(self.hold_s)
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                # The body is counted, not kept: a large one is read as fast as it comes.
                left = length - min(length, len(buf))
                buf = buf[length:]
                chunk = bytearray(1 << 20)
                while left > 0:
                    n = conn.recv_into(chunk, min(left, len(chunk)))
                    if not n:
                        return
                    left -= n
                with self.lock:
                    i = self.count
                    self.count += 1
                self.answer(conn, i)
        except OSError:
            return
        finally:
            conn.close()

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)


def ok(conn, _i):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


class DelayingRelay:
    """A UDP DNS relay: holds each query for delay_s, then asks `upstream` and passes the answer on."""

    def __init__(self, upstream_port, delay_s):
        self.upstream = ("127.0.0.1", upstream_port)
        self.delay_s = delay_s
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.queries = 0
        self.held_ms = []  # per answered query: (arrival, ms from its arrival to its answer going out)
        threading.Thread(target=self.serve, daemon=True).start()

    def server(self):
        return "127.0.0.1:%d" % self.sock.getsockname()[1]

    def serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(1500)
            except OSError:
                return
            self.queries += 1
            threading.Thread(target=self.relay, args=(data, peer, time.monotonic()), daemon=True).start()

    def relay(self, data, peer, arrived):
        time.sleep(self.delay_s)
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.settimeout(2)
        try:
            up.sendto(data, self.upstream)
            answer, _ = up.recvfrom(1500)
            self.sock.sendto(answer, peer)
            self.held_ms.append((arrived, (time.monotonic() - arrived) * 1000))
        except OSError:
            pass
        finally:
            up.close()


def case_wait(barrage):
    serve_port = free_port()
    p = spawn([barrage, "serve", "--listen", "127.0.0.1:%d" % serve_port, "--threads", "1"],
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not check("listening on" in line, "barrage serve started (%r)" % line):
        return
    _, rep = run(barrage, ["http://127.0.0.1:%d/delay/50ms" % serve_port, "-n", "10", "-c", "1"])
    ph = rep["phases"]
    check(within(ph["wait"], 50) and ph["wait"]["count"] == 10, "/delay/50ms: wait 50 ms (%s)" % show(ph["wait"]))
    check(small(ph["receive"]) and small(ph["write"]) and small(ph["connect"]),
          "/delay/50ms: receive, write and connect small (%s; %s; %s)"
          % (show(ph["receive"]), show(ph["write"]), show(ph["connect"])))
    check(ph["connect"]["count"] == 1 and ph["dns"]["count"] == 0 and ph["queue"]["count"] == 0,
          "one connection, no lookup for an address, no queue in the closed model")
    check(rep["latency_ms"]["min"] >= 50, "latency includes the wait (%s)" % rep["latency_ms"]["min"])


def case_receive(barrage):
    def late_body(conn, _i):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")
        time.sleep(0.08)
        conn.sendall(b"body")

    peer = HttpPeer(late_body)
    _, rep = run(barrage, [peer.url(), "-n", "9", "-c", "1"])
    ph = rep["phases"]
    # Receiving starts when the client reads the head, which on a busy machine may be a little
    # after the server sent it (the time then shows in wait): the median may come out below 80 ms
    # by that much.
    r = ph["receive"]
    check(r["count"] == 9 and 80 - 5 <= r["p50"] < 80 + SLACK_MS,
          "head at once, body 80 ms later: receive 80 ms (%s)" % show(r))
    check(small(ph["wait"]), "... and wait small (%s)" % show(ph["wait"]))


def case_write(barrage):
    body = os.path.join(TMP, "body.bin")
    with open(body, "wb") as f:
        f.write(b"x" * (16 << 20))
    peer = HttpPeer(ok, hold_s=0.3)
    _, rep = run(barrage, [peer.url(), "-n", "1", "-c", "1", "--body-file", body])
    ph = rep["phases"]
    # The 16 MiB move through loopback once the server reads: allow for that on top of the hold.
    check(within(ph["write"], 300, 150), "a server that reads nothing for 300 ms: write 300 ms (%s)" % show(ph["write"]))
    check(small(ph["wait"], 150) and small(ph["receive"], 150),
          "... and wait, receive small (%s; %s)" % (show(ph["wait"]), show(ph["receive"])))


def case_connect(barrage):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # room for one connection not yet accepted
    port = listener.getsockname()[1]
    plug = socket.create_connection(("127.0.0.1", port))  # fills it: the next SYN is dropped
    time.sleep(0.05)

    peer = HttpPeer(ok, listener=listener)

    def accept_later():
        time.sleep(0.2)  # well before the client's SYN is sent again
        first, _ = listener.accept()
        first.close()
        peer.start()

    threading.Thread(target=accept_later, daemon=True).start()
    _, rep = run(barrage, ["http://127.0.0.1:%d/" % port, "-n", "1", "-c", "1"])
    plug.close()
    listener.close()
    ph = rep["phases"]
    check(within(ph["connect"], 1000, 500) and ph["connect"]["count"] == 1,
          "a full accept queue: connect takes the SYN's retransmission, 1 s (%s)" % show(ph["connect"]))
    check(small(ph["wait"], 500) and small(ph["write"], 500) and small(ph["receive"], 500),
          "... and the request's phases small (%s)" % show(ph["wait"]))
    check(rep["latency_ms"]["min"] >= 1000, "latency includes the connect (%s)" % rep["latency_ms"]["min"])


def case_dns(barrage):
    dns = Dnsmasq()
    relay = DelayingRelay(dns.port, 0.1)
    peer = HttpPeer(ok)
    # --dns-ttl 0 and a new connection per request: 5 lookups, each held 100 ms by the relay.
    _, rep = run(barrage, ["http://good.test:%d/" % peer.port, "--dns-server", relay.server(), "-n", "5", "-c", "1",
                           "-t", "1", "--no-keepalive", "--dns-ttl", "0"])
    d = rep["phases"]["dns"]
    # The relay's own overhead (a thread, a hop to dnsmasq) comes on top of its 100 ms: the
    # lookups are judged against the time the relay actually held its queries.
    # A lookup asks for A and AAAA at once: it waits for the slower of its two queries.
    queries = sorted(relay.held_ms)
    per_lookup = sorted(max(q[1] for q in queries[i:i + 2]) for i in range(0, len(queries), 2))
    median_held = per_lookup[len(per_lookup) // 2] if per_lookup else 0
    check(d["count"] == 5 and d["cached"] == 0 and len(per_lookup) == 5 and d["min"] >= 100 and
          d["p50"] < median_held + SLACK_MS,
          "a DNS server that answers 100 ms late: each lookup as long as the server took (%s; %d queries held, "
          "median %.3f ms)" % (show(d), relay.queries, median_held))
    check(small(rep["phases"]["connect"]), "... and connect small (%s)" % show(rep["phases"]["connect"]))
    check(rep["latency_ms"]["min"] >= 100, "latency includes the lookup (%s)" % rep["latency_ms"]["min"])
    # The default TTL: the first connection looks the name up, the cache answers the rest.
    _, rep = run(barrage, ["http://good.test:%d/" % peer.port, "--dns-server", relay.server(), "-n", "5", "-c", "1",
                           "-t", "1", "--no-keepalive"])
    d = rep["phases"]["dns"]
    check(d["count"] == 5 and d["cached"] == 4, "5 connections: 1 lookup and 4 cached (%s, cached %d)"
          % (show(d), d["cached"]))
    check(d["min"] == 0 and d["p50"] == 0 and d["max"] >= 100, "cached lookups count 0, the one lookup 100 ms "
          "(min %s, p50 %s, max %s)" % (d["min"], d["p50"], d["max"]))


def case_outcome(barrage):
    def mixed(conn, i):
        if i % 2 == 0:
            conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
        else:
            time.sleep(0.06)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    peer = HttpPeer(mixed)
    good = ["--threshold", "p99<1s", "--threshold", "p99{outcome=failed}<30ms"]
    p, rep = run(barrage, [peer.url(), "-n", "20", "-c", "1"] + good)
    ok_ms, failed_ms = rep["latency_ms"], rep["latency_failed_ms"]
    check(ok_ms["count"] == 10 and ok_ms["min"] >= 60,
          "fast 500s and slow 200s: latency_ms holds the 200s only (count %d, min %s)" % (ok_ms["count"], ok_ms["min"]))
    check(failed_ms["count"] == 10 and failed_ms["max"] < SLACK_MS,
          "... latency_failed_ms the 500s (count %d, max %s)" % (failed_ms["count"], failed_ms["max"]))
    check(rep["errors"]["status_500"] == 10, "... counted among the errors as status_500")
    check(rep["phases"]["wait"]["count"] == 10, "phases are the successes' (wait count %d)"
          % rep["phases"]["wait"]["count"])
    check(p.returncode == 0, "thresholds p99<1s and p99{outcome=failed}<30ms pass (exit %d)" % p.returncode)
    p, _ = run(barrage, [peer.url(), "-n", "20", "-c", "1", "--threshold", "min{outcome=failed}>50ms"])
    check(p.returncode == 3 and "min{outcome=failed}>50ms" in p.stdout,
          "min{outcome=failed}>50ms fails: the failures were fast (exit %d)" % p.returncode)
    check("latency of these 10: p50" in p.stdout, "the text report gives the failures' latency beside the errors")


def main():
    guard_children()
    barrage = sys.argv[1]
    wanted = sys.argv[2:]
    cases = (("wait", case_wait), ("receive", case_receive), ("write", case_write), ("connect", case_connect),
             ("dns", case_dns), ("outcome", case_outcome))
    try:
        for backend in ("epoll", "io_uring"):
            ENV["BARRAGE_IO_BACKEND"] = backend
            for name, fn in cases:
                if wanted and name not in wanted:
                    continue
                print("%s (%s)" % (name, backend))
                fn(barrage)
    finally:
        cleanup()
    if FAILURES:
        print("%d check(s) failed:" % len(FAILURES))
        for f in FAILURES:
            print("  " + f)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
