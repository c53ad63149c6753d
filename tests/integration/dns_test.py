#!/usr/bin/env python3
"""The load generator against a real DNS server: dnsmasq on a loopback port of its own.

  dns_test.py BARRAGE [CASE ...]

dnsmasq (Debian's dnsmasq-base) answers from the records below and logs every query, so the
number of lookups barrage made can be counted. `barrage serve` processes stand behind the
addresses (127.0.0.1 to 127.0.0.4 and ::1, one port). A small UDP responder of this script's
own gives the faults dnsmasq will not produce on demand (SERVFAIL, silence). Every run's JSON
report is checked for the accounting identity. Both I/O backends. Exit 0 when all passed.
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

from harness import FAILURES, check, cleanup, free_port, guard_children, spawn  # noqa: E402

TMP = tempfile.mkdtemp(prefix="barrage-dns-test-")


RECORDS = [("good.test", "127.0.0.1"), ("multi.test", "127.0.0.2"), ("multi.test", "127.0.0.3"),
           ("multi.test", "127.0.0.4"), ("v6.test", "::1"), ("both.test", "127.0.0.1"), ("both.test", "::1")]


class Dnsmasq:
    def __init__(self):
        self.dir = tempfile.mkdtemp(dir=TMP)
        with open(os.path.join(self.dir, "hosts"), "w") as f:
            for name, addr in RECORDS:
                f.write("%s %s\n" % (addr, name))
        self.log = os.path.join(self.dir, "queries.log")
        for _ in range(20):
            self.port = free_port([("127.0.0.1", socket.AF_INET, socket.SOCK_DGRAM),
                                   ("127.0.0.1", socket.AF_INET, socket.SOCK_STREAM)])
            cmd = ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=%d" % self.port,
                   "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                   "--no-negcache", "--cache-size=0", "--local=/test/", "--local-ttl=0",
                   "--addn-hosts=" + os.path.join(self.dir, "hosts"), "--log-queries",
                   "--log-facility=" + self.log, "--pid-file=" + os.path.join(self.dir, "pid")]
            if os.geteuid() == 0:
                cmd.append("--user=root")
            for path in ("/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"):
                if os.access(path, os.X_OK):
                    cmd[0] = path
            self.proc = spawn(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(300):
                time.sleep(0.01)
                if self.proc.poll() is not None:
                    break
                if os.path.exists(self.log) and "started" in open(self.log).read():
                    return
        raise RuntimeError("dnsmasq did not start (is dnsmasq-base installed? tools/install-deps.sh)")

    def server(self):
        return "127.0.0.1:%d" % self.port

    def queries(self, name, qtype="A"):
        needle = "query[%s] %s from" % (qtype, name)
        with open(self.log) as f:
            return sum(1 for line in f if needle in line)


class FakeDns:
    """Answers every query with SERVFAIL, or never answers: faults dnsmasq has no switch for."""

    def __init__(self, mode):
        self.mode = mode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.stop = False
        self.queries = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def server(self):
        return "127.0.0.1:%d" % self.sock.getsockname()[1]

    def serve(self):
        while not self.stop:
            try:
                data, peer = self.sock.recvfrom(1500)
            except socket.timeout:
                continue
            if len(data) < 12:
                continue
            self.queries += 1
            if self.mode == "silent":
                continue
            reply = bytearray(data)
            reply[2] = 0x80 | (reply[2] & 0x79)
            reply[3] = 0x82  # RA, SERVFAIL
            reply[6:12] = b"\0" * 6
            self.sock.sendto(bytes(reply), peer)

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def start_serve(barrage, listen):
    p = spawn([barrage, "serve", "--listen", listen, "--threads", "1"],
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "listening on" not in line:
        raise RuntimeError("barrage serve --listen %s did not start: %r %s" % (listen, line, p.stderr.read()))
    return p


def served_requests(port, host):
    url = "http://%s:%d/metrics" % ("[%s]" % host if ":" in host else host, port)
    out = subprocess.run(["curl", "-s", url], capture_output=True, text=True, timeout=10).stdout
    total = 0
    for line in out.splitlines():
        m = re.match(r'barrage_http_requests_total(\{[^}]*\})?\s+(\d+)', line)
        if m:
            total += int(m.group(2))
    return total


def run(barrage, args, timeout=60, env=None):
    out = os.path.join(TMP, "report.json")
    if os.path.exists(out):
        os.remove(out)
    t0 = time.monotonic()
    p = subprocess.run([barrage] + args + ["--no-progress", "--json", out], capture_output=True, text=True,
                       timeout=timeout, env=env)
    took = time.monotonic() - t0
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
    return p, report, took


def case_one_address(barrage, dns, port, env):
    p, rep, _ = run(barrage, ["http://good.test:%d/" % port, "--dns-server", dns.server(), "-n", "200", "-c", "4",
                              "-t", "1"], env=env)
    check(p.returncode == 0 and rep is not None, "one A record: exit 0 with a report (%d)" % p.returncode)
    if rep:
        check(rep["requests"]["succeeded"] == 200, "one A record: 200 of 200 succeeded")
        check([a["address"] for a in rep["addresses"]] == ["127.0.0.1:%d" % port], "one A record: the address listed")
        check("127.0.0.1:%d (4 connections)" % port in p.stdout or "good.test" in p.stdout,
              "one A record: the text report names what ran")


def case_round_robin(barrage, dns, port, env):
    before = {h: served_requests(port, h) for h in ("127.0.0.2", "127.0.0.3", "127.0.0.4")}
    p, rep, _ = run(barrage, ["http://multi.test:%d/" % port, "--dns-server", dns.server(), "-n", "600", "-c", "6",
                              "-t", "2"], env=env)
    check(p.returncode == 0 and rep is not None, "several A records: exit 0 with a report")
    if not rep:
        return
    check(rep["requests"]["succeeded"] == 600, "several A records: 600 of 600 succeeded")
    used = {a["address"]: a["connections"] for a in rep["addresses"]}
    want = {"127.0.0.%d:%d" % (i, port): 2 for i in (2, 3, 4)}
    check(used == want, "several A records: 2 connections to each of the 3 addresses (%s)" % used)
    check("Addresses" in p.stdout and all(a in p.stdout for a in want), "several A records: the text report lists them")
    after = {h: served_requests(port, h) for h in before}
    check(all(after[h] > before[h] for h in before), "several A records: each server answered requests (%s)" % after)


def case_ipv6(barrage, dns, port, env):
    p, rep, _ = run(barrage, ["http://v6.test:%d/" % port, "--dns-server", dns.server(), "-n", "50", "-c", "1"],
                    env=env)
    check(rep is not None and rep["requests"]["succeeded"] == 50, "AAAA only: 50 of 50 succeeded over IPv6")
    if rep:
        check([a["address"] for a in rep["addresses"]] == ["[::1]:%d" % port], "AAAA only: [::1] used")
    p, rep, _ = run(barrage, ["http://both.test:%d/" % port, "--dns-server", dns.server(), "-n", "100", "-c", "2",
                              "-t", "1"], env=env)
    check(rep is not None and rep["requests"]["succeeded"] == 100, "A and AAAA: 100 of 100 succeeded")
    if rep:
        used = sorted(a["address"] for a in rep["addresses"])
        check(used == sorted(["127.0.0.1:%d" % port, "[::1]:%d" % port]), "A and AAAA: one connection to each (%s)" % used)


def expect_dns_failure(barrage, server, name, port, reason, env, label):
    p, rep, took = run(barrage, ["http://%s:%d/" % (name, port), "--dns-server", server, "-n", "5", "-c", "1",
                                 "--connect-timeout", "1s"],
                       env=env)
    check(p.returncode == 0 and rep is not None, "%s: a report, no crash (exit %d)" % (label, p.returncode))
    if not rep:
        return
    check(rep["requests"]["failed"] + rep["requests"]["timed_out"] == 5 and rep["errors"].get("dns") == 5,
          "%s: 5 of 5 requests failed as dns (%s)" % (label, rep["errors"]))
    check(rep["dns_errors"] == {reason: 5}, "%s: the reason is %s (%s)" % (label, reason, rep["dns_errors"]))
    check("dns" in p.stdout and re.search(r"^\s+\S.*: 5$", p.stdout, re.M) is not None,
          "%s: the text report gives the reason in words" % label)
    return took


def case_failures(barrage, dns, port, env):
    expect_dns_failure(barrage, dns.server(), "nope.test", port, "not_found", env, "NXDOMAIN")
    expect_dns_failure(barrage, dns.server(), "elsewhere.example", port, "refused", env, "REFUSED")
    fake = FakeDns("servfail")
    try:
        expect_dns_failure(barrage, fake.server(), "good.test", port, "servfail", env, "SERVFAIL")
    finally:
        fake.close()
    fake = FakeDns("silent")
    try:
        took = expect_dns_failure(barrage, fake.server(), "good.test", port, "timed_out", env, "no answer")
        check(took is not None and took < 15, "no answer: --connect-timeout 1s bounds each lookup (%.1f s for 5)" % (took or -1))
    finally:
        fake.close()


def case_crash_regressions(barrage, dns, port, env):
    """The names that crashed the generator (exit 139): each now ends in a report."""
    for name, ok in (("nonexistent.invalid", False), ("doesnotexist", False), ("foo.example.com", False),
                     ("localhost.", True), ("good.test", True)):
        for extra in ([], ["--dns-ttl", "0"], ["-t", "1"]):
            p, rep, _ = run(barrage, ["http://%s:%d/" % (name, port), "--dns-server", dns.server(), "-n", "2",
                                      "-c", "1", "--connect-timeout", "1s"] + extra, env=env)
            got = rep["requests"]["succeeded"] if rep else -1
            check(p.returncode == 0 and rep is not None and got == (2 if ok else 0),
                  "%s %s: exit %d, %d of 2 succeeded" % (name, " ".join(extra), p.returncode, got))


def case_ttl(barrage, port, env):
    dns = Dnsmasq()
    # A new connection per request, one worker: with the default TTL one lookup serves them all.
    run(barrage, ["http://good.test:%d/" % port, "--dns-server", dns.server(), "-n", "40", "-c", "1", "-t", "1",
                  "--no-keepalive"], env=env)
    check(dns.queries("good.test") == 1, "--dns-ttl 10s: 40 connections, 1 query (%d)" % dns.queries("good.test"))
    # --dns-ttl 0: a lookup for every new connection.
    dns2 = Dnsmasq()
    p, rep, _ = run(barrage, ["http://good.test:%d/" % port, "--dns-server", dns2.server(), "-n", "40", "-c", "1",
                              "-t", "1", "--no-keepalive", "--dns-ttl", "0"], env=env)
    opened = rep["connections_opened"] if rep else -1
    check(dns2.queries("good.test") == opened == 40,
          "--dns-ttl 0: one query per connection (%d queries, %d connections)" % (dns2.queries("good.test"), opened))
    # --dns-ttl 500ms over about 2.2 s of new connections: a query at 0, 0.5, 1.0, 1.5 and 2.0 s.
    dns3 = Dnsmasq()
    run(barrage, ["http://good.test:%d/" % port, "--dns-server", dns3.server(), "-d", "2200ms", "-c", "1", "-t", "1",
                  "--no-keepalive", "--dns-ttl", "500ms"], env=env)
    n = dns3.queries("good.test")
    check(4 <= n <= 6, "--dns-ttl 500ms over 2.2 s: 5 queries, give or take one at the edges (%d)" % n)


def case_bad_option(barrage):
    for value in ("dns.example", "127.0.0.1:0", "127.0.0.1:99999", ""):
        p = subprocess.run([barrage, "http://good.test/", "--dns-server", value, "-n", "1"], capture_output=True,
                           text=True, timeout=30)
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        check(p.returncode == 2 and len(lines) == 1 and "--dns-server" in lines[0],
              "--dns-server %r: exit 2, one line naming the option (%d, %s)" % (value, p.returncode, lines))


def main():
    guard_children()
    barrage = sys.argv[1]
    wanted = sys.argv[2:]
    hosts = [("127.0.0.%d" % i, socket.AF_INET, socket.SOCK_STREAM) for i in range(1, 5)]
    hosts.append(("::1", socket.AF_INET6, socket.SOCK_STREAM))
    port = free_port(hosts)
    try:
        for i in range(1, 5):
            start_serve(barrage, "127.0.0.%d:%d" % (i, port))
        start_serve(barrage, "[::1]:%d" % port)
        dns = Dnsmasq()
        for backend in ("epoll", "io_uring"):
            env = dict(os.environ, BARRAGE_IO_BACKEND=backend)
            for name, fn in (("one_address", case_one_address), ("round_robin", case_round_robin),
                             ("ipv6", case_ipv6), ("failures", case_failures),
                             ("crash_regressions", case_crash_regressions)):
                if wanted and name not in wanted:
                    continue
                print("%s (%s)" % (name, backend))
                fn(barrage, dns, port, env)
        if not wanted or "ttl" in wanted:
            print("ttl")
            case_ttl(barrage, port, dict(os.environ))
        if not wanted or "bad_option" in wanted:
            print("bad_option")
            case_bad_option(barrage)
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
