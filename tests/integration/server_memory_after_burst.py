#!/usr/bin/env python3
"""`barrage serve` gives back the memory of a burst of connections once they have closed.

  server_memory_after_burst.py BARRAGE [CONNECTIONS] [REQUESTS]

Starts `barrage serve --threads 1` on loopback, reads its VmRSS, drives a burst of CONNECTIONS
(default 5,000, fewer when the fd hard limit is lower) connections and REQUESTS requests
(default 4 per connection) at it with barrage's own generator while sampling VmRSS, then
checks that:
  - the burst cost memory (peak >= before + PEAK_MIN_MB), so the check below means something;
  - within SETTLE_S of the generator's end, VmRSS is back under before + AFTER_MAX_MB;
  - the server still answers and exits 0 on SIGTERM.
In a sanitizer build (RELIABILITY_SANITIZED set by CMake) the figures are printed, not judged:
ASan's quarantine and shadow memory are not malloc's.
"""
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import urllib.request

AFTER_MAX_MB = 10   # after the burst: at most this far above the figure before it
PEAK_MIN_MB = 20    # at 5,000 connections the peak is ~31 MB above the start (2 KiB buffers)
SETTLE_S = 5.0      # the server releases 0.5 s after its connections fell to half the peak
SANITIZED = os.environ.get("RELIABILITY_SANITIZED", "")


def rss_kb(pid):
    with open("/proc/%d/status" % pid, encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def main():
    barrage = sys.argv[1]
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    want = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    conns = want if hard == resource.RLIM_INFINITY else min(want, hard - 100)
    if conns < 3000:
        print("FAIL: the fd hard limit (%d) leaves room for %d connections; this test needs 3,000 "
              "(raise it: ulimit -Hn)" % (hard, conns))
        return 1
    requests = int(sys.argv[3]) if len(sys.argv) > 3 else 4 * conns

    server = subprocess.Popen([barrage, "serve", "--listen", "127.0.0.1:0", "--threads", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    failures = []
    try:
        line = server.stdout.readline()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if not m:
            print("FAIL: no startup line from barrage serve: %r %s" % (line, server.stderr.read()))
            return 1
        url = "http://127.0.0.1:%s/" % m.group(1)
        urllib.request.urlopen(url, timeout=5).read()  # warm: the first request's allocations
        time.sleep(0.2)
        before = rss_kb(server.pid)

        peak = [before]
        sampling = threading.Event()
        sampling.set()

        def sample():
            while sampling.is_set():
                peak[0] = max(peak[0], rss_kb(server.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        gen = subprocess.run([barrage, url, "-c", str(conns), "-n", str(requests), "-t", "1"],
                             capture_output=True, text=True, timeout=120)
        sampling.clear()
        sampler.join()
        peak[0] = max(peak[0], rss_kb(server.pid))
        if gen.returncode != 0 or "succeeded %d " % requests not in gen.stdout:
            print("FAIL: the generator did not complete the burst (exit %d)\n%s%s"
                  % (gen.returncode, gen.stdout, gen.stderr))
            return 1

        bound = before + AFTER_MAX_MB * 1024
        end = time.monotonic() + SETTLE_S
        after = rss_kb(server.pid)
        while after >= bound and time.monotonic() < end:
            time.sleep(0.1)
            after = rss_kb(server.pid)
        print("%d connections, %d requests: VmRSS before %.1f MB, peak %.1f MB, after %.1f MB"
              % (conns, requests, before / 1024, peak[0] / 1024, after / 1024))

        def judge(cond, what):
            if SANITIZED:
                print("  info %s (not judged under -fsanitize=%s)" % (what, SANITIZED))
            elif not cond:
                failures.append(what)

        judge(peak[0] >= before + PEAK_MIN_MB * 1024,
              "the burst raised VmRSS by at least %d MB (else the check below shows nothing)" % PEAK_MIN_MB)
        judge(after < bound, "VmRSS back under before + %d MB within %.0f s of the burst" % (AFTER_MAX_MB, SETTLE_S))
        body = urllib.request.urlopen(url, timeout=5).read()
        if not body:
            failures.append("the server answers after the burst")
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    if server.returncode != 0:
        failures.append("barrage serve exited %s after SIGTERM" % server.returncode)
    for f in failures:
        print("FAIL: " + f)
    print("PASS" if not failures else "FAIL")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
