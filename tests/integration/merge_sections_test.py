#!/usr/bin/env python3
"""barrage merge, compare and report on the optional sections of real reports: two `barrage
ws://` shards (--shard 0/2, 1/2) against `barrage serve`'s /ws/echo and two `--stream` shards
against its /sse, run side by side, then merged.

Checks that:
  - the merged `websocket` section's counts are the sums of the shards' (connections, messages,
    bytes), its accounting equations hold, and its round-trip count is the answered messages;
  - the merged `streams` section's counts are the sums, its histograms' counts too;
  - `barrage merge --html` draws the WebSocket and Streams tables;
  - the merged websocket timeline aligns the shards' seconds; its columns sum to the totals.
  - `barrage compare` of the two ws shards has the websocket message p50/p99 lines.

  merge_sections_test.py BARRAGE

Loopback only. Bounded: about 2 s (the shards run 1 s, in parallel).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FAILURES, check, cleanup, guard_children, spawn  # noqa: E402


def start_server(barrage):
    p = spawn([barrage, "serve", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
              text=True)
    line = p.stdout.readline()
    m = re.search(r"listening on http://(127\.0\.0\.1:\d+)", line)
    if not m:
        sys.exit("FAIL: barrage serve did not start: %r" % line)
    return m.group(1)


def run(args, timeout=30):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def ws_balanced(w, what):
    c, m = w["connections"], w["messages"]
    closed = sum(c["closed"]["by_peer"].values()) + c["closed"]["by_us"]
    check(c["attempts"] == c["opened"] + sum(c["failed"].values())
          and c["opened"] == c["held_at_end"] + closed + sum(c["dropped"].values())
          and m["sent"] == m["answered"] + m["timed_out"] + m["lost"] + m["in_flight_at_end"],
          "%s: the websocket accounting holds (%s, %s)" % (what, json.dumps(c), json.dumps(m)))


def main():
    barrage = sys.argv[1]
    guard_children()
    d = tempfile.mkdtemp(prefix="barrage-merge-sections-")
    try:
        host = start_server(barrage)
        shards = []
        for i in range(2):
            shards.append(spawn([barrage, "ws://%s/ws/echo" % host, "-c", "4", "-d", "1s", "--shard", "%d/2" % i,
                                 "-q", "--no-progress", "--json", "%s/ws%d.json" % (d, i)],
                                stderr=subprocess.PIPE, text=True))
            shards.append(spawn([barrage, "http://%s/sse?interval=20ms&count=5" % host, "--stream", "-c", "2", "-n", "8",
                                 "--shard", "%d/2" % i, "-q", "--no-progress", "--json", "%s/sse%d.json" % (d, i)],
                                stderr=subprocess.PIPE, text=True))
        for p in shards:
            p.wait(timeout=20)
            check(p.returncode == 0, "a shard exits 0 (%s)" % p.stderr.read().strip()[:200])
        ws = [json.load(open("%s/ws%d.json" % (d, i)))["websocket"] for i in range(2)]
        sse = [json.load(open("%s/sse%d.json" % (d, i)))["streams"] for i in range(2)]

        rc, out, err = run([barrage, "merge", d + "/ws0.json", d + "/ws1.json", "--json", d + "/ws.json",
                            "--html", d + "/ws.html"])
        check(rc == 0, "merge of the ws shards exits 0 (%s)" % err.strip())
        merged = json.load(open(d + "/ws.json"))
        w = merged["websocket"]
        for group, keys in (("connections", ("attempts", "opened", "held_at_end", "reconnects")),
                            ("messages", ("sent", "received", "answered", "lost", "in_flight_at_end")),
                            ("bytes", ("sent", "received"))):
            for k in keys:
                check(w[group][k] == ws[0][group][k] + ws[1][group][k],
                      "merged websocket %s.%s %d = %d + %d" % (group, k, w[group][k], ws[0][group][k], ws[1][group][k]))
        check(w["messages"]["answered"] > 0, "messages were answered: %d" % w["messages"]["answered"])
        check(w["latency"]["count"] == w["messages"]["answered"] == w["histograms"]["latency"]["count"],
              "the merged round trips are the answered messages")
        check(w["latency"]["max"] == max(ws[0]["latency"]["max"], ws[1]["latency"]["max"]), "the max is exact")
        ws_balanced(w, "merged")
        # The timeline: the shards' seconds by wall second, each column summing to the merged totals.
        t = w["timeline"]
        check(len(t) >= 1, "the merged report has the websocket timeline")
        for col, total in (("opened", w["connections"]["opened"]), ("sent", w["messages"]["sent"]),
                           ("received", w["messages"]["received"])):
            check(sum(p[col] for p in t) == total, "merged timeline %s sums to %d" % (col, total))
        check(sum(p["timed"] for p in t) == sum(p["timed"] for s in ws for p in s["timeline"]),
              "every shard's timed round trip is in a merged second")
        check(t[-1]["held"] == w["connections"]["held_at_end"] or len(t) > 1,
              "the last merged second holds the connections held at the end")
        check("Stability" in out, "the merged text report has the Stability line")
        check("WebSocket" in out and "Message latency" in out, "the merged text report has the WebSocket sections")
        page = open(d + "/ws.html").read()
        check('<section id="websocket">' in page and "message round trip" in page, "the merged page has the table")

        rc, out, err = run([barrage, "merge", d + "/sse0.json", d + "/sse1.json", "--json", "-", "-q"])
        check(rc == 0, "merge of the --stream shards exits 0 (%s)" % err.strip())
        s = json.loads(out)["streams"]
        for k in ("responses", "event_streams", "stalled", "cut"):
            check(s[k] == sse[0][k] + sse[1][k], "merged streams.%s %d = %d + %d" % (k, s[k], sse[0][k], sse[1][k]))
        check(s["responses"] == 8 and s["ttfb"]["count"] == 8 and s["gap"]["count"] == 32,
              "8 streams of 5 events: %d, ttfb %d, gaps %d" % (s["responses"], s["ttfb"]["count"], s["gap"]["count"]))

        rc, out, err = run([barrage, "compare", d + "/ws0.json", d + "/ws1.json", "--max-regression", "1000"])
        ws_lines = out[out.find("\nwebsocket\n"):] if "\nwebsocket\n" in out else ""
        check(rc in (0, 3) and re.search(r"^  message p99 ", ws_lines, re.M) is not None
              and re.search(r"^  messages/s ", ws_lines, re.M) is not None,
              "compare has the websocket lines (%d): %s" % (rc, err.strip() or out[-300:]))
    finally:
        cleanup()
        shutil.rmtree(d, ignore_errors=True)
    if FAILURES:
        print("FAILED: %d check(s)" % len(FAILURES))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
