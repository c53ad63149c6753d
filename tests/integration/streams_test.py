"""Streaming pulls against real peers (docs/report.md, Streams; docs/server.md, /sse).

    streams_test.py BARRAGE

  - curl -N reads barrage serve's /sse: the head says text/event-stream, chunked, no-cache, and
    the events arrive spaced by the interval, not all at the end;
  - barrage --stream against barrage serve's /sse and /stream/<n>: the streams section counts
    every stream, its events and gaps;
  - barrage --stream against an aiohttp SSE server (sse_server.py): a deliberate 1.2 s stall
    shows in the gap max and the stalled count although the stream finishes; a stream the
    server cuts mid-body fails as truncated_body and is counted in `cut` with its partial
    figures; started = succeeded + failed + timed out + in flight every time.
"""
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FAILURES, check, cleanup, free_port, guard_children, spawn  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def wait_listening(port, proc, what):
    deadline = time.time() + 10
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %d" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("%s is not listening on %d" % (what, port))


def run(barrage, url, *args):
    p = subprocess.run([barrage, url, "--stream", "--json", "-", "--no-progress", *args],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        print(p.stderr)
    check(p.returncode == 0, "barrage %s exits 0" % url)
    report = json.loads(p.stdout)
    r = report["requests"]
    check(r["started"] == r["succeeded"] + r["failed"] + r["timed_out"] + r["in_flight_at_end"],
          "started %d = succeeded %d + failed %d + timed out %d + in flight %d" %
          (r["started"], r["succeeded"], r["failed"], r["timed_out"], r["in_flight_at_end"]))
    return report, p.stderr


def curl_sse(port):
    """Each event's arrival time, from curl -N's stdout read as it comes, and the head."""
    head = os.path.join(os.environ.get("TMPDIR", "/tmp"), "streams_test_head.%d" % os.getpid())
    start = time.monotonic()
    p = spawn(["curl", "-sN", "-D", head, "http://127.0.0.1:%d/sse?interval=200ms&count=4" % port],
              stdout=subprocess.PIPE)
    arrivals = []
    for line in p.stdout:
        if line.startswith(b"data: "):
            arrivals.append((time.monotonic() - start, line.strip().decode()))
    p.wait(timeout=10)
    with open(head) as f:
        fields = f.read().lower()
    os.unlink(head)
    return arrivals, fields


def main():
    barrage = sys.argv[1]
    guard_children()
    port = free_port()
    serve = spawn([barrage, "serve", "-l", "127.0.0.1:%d" % port, "-q"])
    wait_listening(port, serve, "barrage serve")

    print("usage errors")
    for args, needle in ((["--stream", "--stall", "0"], "--stall: "),
                         (["--stall", "2s"], "--stall needs --stream"),
                         (["--stream", "--http2-prior-knowledge"], "--stream works over HTTP/1.1 only")):
        p = subprocess.run([barrage, "http://127.0.0.1:%d/" % port, "-n", "1", *args], capture_output=True,
                           text=True, timeout=10)
        lines = p.stderr.strip().splitlines()
        check(p.returncode == 2 and len(lines) == 1 and needle in lines[0],
              "%s: exit 2 and one line: %s" % (" ".join(args), p.stderr.strip()))
    p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                        "http://127.0.0.1:%d/sse?interval=soon" % port], capture_output=True, text=True, timeout=10)
    check(p.stdout == "400", "/sse?interval=soon: 400")

    print("curl -N reads /sse")
    arrivals, head = curl_sse(port)
    check([a[1] for a in arrivals] == ["data: tick %d" % i for i in range(4)], "4 events in order: %s" % arrivals)
    check("content-type: text/event-stream" in head, "Content-Type: text/event-stream")
    check("cache-control: no-cache" in head, "Cache-Control: no-cache")
    check("transfer-encoding: chunked" in head, "chunked")
    if len(arrivals) == 4:
        first, last = arrivals[0][0], arrivals[3][0]
        check(first < 0.4, "the first event arrives at once (%.3f s), not with the last" % first)
        check(last - first >= 0.55, "the last arrives 3 intervals later (%.3f s after the first)" % (last - first))
        gaps = [arrivals[i + 1][0] - arrivals[i][0] for i in range(3)]
        check(all(0.15 <= g <= 0.5 for g in gaps), "each gap is about the 200 ms interval: %s" % gaps)

    print("barrage --stream against barrage serve")
    report, stderr = run(barrage, "http://127.0.0.1:%d/sse?interval=50ms&count=5" % port, "-c", "2", "-n", "4")
    s = report["streams"]
    check(s["responses"] == 4 and s["event_streams"] == 4, "4 event streams recorded: %d, %d" %
          (s["responses"], s["event_streams"]))
    check(s["events"]["min"] == 5 and s["events"]["max"] == 5, "5 events each")
    check(s["gap"]["count"] == 16, "4 gaps per stream: %d" % s["gap"]["count"])
    check(35 <= s["gap"]["p50"] <= 120, "gap p50 about 50 ms: %s" % s["gap"]["p50"])
    check(8 <= s["events_per_second"]["p50"] <= 25, "about 20 events/s: %s" % s["events_per_second"]["p50"])
    check(s["stalled"] == 0 and s["cut"] == 0, "none stalled or cut")
    check(s["length_bytes"]["min"] == sum(len("id: %d\ndata: tick %d\n\n" % (i, i)) for i in range(5)),
          "length_bytes is the body's size: %s" % s["length_bytes"]["min"])
    check("Streams" in stderr and "4 streamed (4 text/event-stream)" in stderr, "the text report has its Streams section")

    report, _ = run(barrage, "http://127.0.0.1:%d/stream/3?interval=60ms" % port, "-c", "1", "-n", "2")
    s = report["streams"]
    check(s["responses"] == 2 and s["event_streams"] == 0, "2 chunked streams recorded")
    check(s["events"]["max"] == 3, "3 chunk arrivals each: %s" % s["events"]["max"])
    check(45 <= s["gap"]["p50"] <= 150, "gap p50 about 60 ms: %s" % s["gap"]["p50"])
    check(s["stalled"] == 0, "not stalled at --stall 1s")
    report, _ = run(barrage, "http://127.0.0.1:%d/stream/3?interval=60ms" % port, "-c", "1", "-n", "2",
                    "--stall", "30ms")
    check(report["streams"]["stalled"] == 2 and report["streams"]["stall_s"] == 0.03, "stalled at --stall 30ms")

    print("barrage --stream against an aiohttp SSE server")
    other = free_port()
    aio = spawn(["/usr/bin/python3", os.path.join(HERE, "sse_server.py"), str(other)])
    wait_listening(other, aio, "the aiohttp server")
    report, _ = run(barrage, "http://127.0.0.1:%d/events" % other, "-c", "1", "-n", "1")
    s = report["streams"]
    check(report["requests"]["succeeded"] == 1, "the stalled stream finishes and succeeds")
    check(s["responses"] == 1 and s["events"]["max"] == 6, "6 events: %s" % s["events"]["max"])
    check(s["stalled"] == 1, "the 1.2 s stall counts as stalled at --stall 1s")
    check(1150 <= s["gap"]["max"] <= 1600, "gap max shows the stall: %s ms" % s["gap"]["max"])
    check(s["gap"]["p50"] < 200, "the other gaps are short: p50 %s ms" % s["gap"]["p50"])

    report, _ = run(barrage, "http://127.0.0.1:%d/cut" % other, "-c", "1", "-n", "2")
    s, r = report["streams"], report["requests"]
    check(report["errors"]["truncated_body"] == 2 and r["failed"] == 2, "a cut stream fails as truncated_body: %s" %
          report["errors"]["truncated_body"])
    check(s["responses"] == 2 and s["cut"] == 2, "cut streams are counted: %d cut of %d" % (s["cut"], s["responses"]))
    check(s["events"]["max"] == 2, "with their partial figures: %s events" % s["events"]["max"])

    cleanup()
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
