#!/usr/bin/python3
"""The WebSocket generator (barrage ws://, wss://) against real peers on 127.0.0.1: Python's
`websockets` (echo, a pushing feed, a silent server, servers that close or drop mid-run, TLS)
and the Node `ws` package (echo); a plain HTTP server for refused handshakes; --subprotocol
against servers that choose one of the offers, none, or one not offered; barrage serve's /ws/echo
second by second (the timeline). Every run's
JSON report must balance (docs/report.md, WebSocket):
  attempts = opened + failed;  opened = held + closed by peer + closed by us + dropped
  sent = answered + timed out + lost + in flight at end

usage: ws_generator_test.py BARRAGE
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FAILURES, check, cleanup, guard_children, spawn  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BARRAGE = sys.argv[1]


def peer(*args, node=False):
    if node:
        env = dict(os.environ, NODE_PATH=os.path.join(ROOT, ".npm-tools", "node_modules"))
        p = spawn(["node", os.path.join(HERE, "ws_node_echo.js")], stdout=subprocess.PIPE, text=True, env=env)
    else:
        p = spawn(["/usr/bin/python3", os.path.join(HERE, "ws_peers.py"), *args], stdout=subprocess.PIPE, text=True)
    port = p.stdout.readline().strip()
    if not port.isdigit():
        raise SystemExit("FAIL: the peer %s did not start" % (args or "node ws"))
    return int(port)


def run(url, *opts):
    cmd = [BARRAGE, url, "--json", "-", "--quiet", *opts]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    try:
        report = json.loads(r.stdout)
    except ValueError:
        print("  barrage exited %d: %s" % (r.returncode, r.stderr.strip()[-400:]))
        return r.returncode, None, r.stderr
    return r.returncode, report, r.stderr


def balanced(name, report):
    w = report["websocket"]
    c, m = w["connections"], w["messages"]
    failed = sum(c["failed"].values())
    ended = (c["held_at_end"] + sum(c["closed"]["by_peer"].values()) + c["closed"]["by_us"]
             + sum(c["dropped"].values()))
    check(c["attempts"] == c["opened"] + failed,
          "%s: attempts %d = opened %d + failed %d" % (name, c["attempts"], c["opened"], failed))
    check(c["opened"] == ended, "%s: opened %d = held + closed + dropped %d" % (name, c["opened"], ended))
    done = m["answered"] + m["timed_out"] + m["lost"] + m["in_flight_at_end"]
    check(m["sent"] == done, "%s: sent %d = answered + timed out + lost + in flight %d" % (name, m["sent"], done))
    timeline_adds_up(name, w)
    return w


def timeline_adds_up(name, w):
    """Each column of websocket.timeline sums to the report's total; the last second holds
    the connections held at the end."""
    t = w.get("timeline")
    if not check(t, "%s: a timeline" % name):
        return
    c, m = w["connections"], w["messages"]
    totals = {"opened": c["opened"], "failed": sum(c["failed"].values()),
              "closed": sum(c["closed"]["by_peer"].values()) + c["closed"]["by_us"],
              "dropped": sum(c["dropped"].values()), "reconnected": c["reconnects"], "sent": m["sent"],
              "received": m["received"], "timed": w["latency" if w["mode"] == "echo" else "gap"]["count"]}
    sums = {k: sum(p[k] for p in t) for k in totals}
    check(sums == totals and t[-1]["held"] == c["held_at_end"],
          "%s: the timeline's %d seconds add up to the totals (%s; held at the end %d)"
          % (name, len(t), json.dumps(sums), t[-1]["held"]))


def echo_closed(port):
    code, r, err = run("ws://127.0.0.1:%d/" % port, "-c", "4", "-d", "1s", "-t", "1", "--ping-interval", "100ms")
    if not check(code == 0 and r, "echo, closed model: exit 0 with a report (%s)" % err.strip()[-200:]):
        return
    w = balanced("echo closed", r)
    c, m = w["connections"], w["messages"]
    check(c["opened"] == 4 and c["held_at_end"] == 4, "echo closed: 4 opened, 4 held at the end")
    check(m["answered"] > 100 and m["lost"] == 0 and m["timed_out"] == 0,
          "echo closed: %d answered, none lost or timed out" % m["answered"])
    check(m["in_flight_at_end"] == 0, "echo closed: the last replies came within the grace period")
    check(w["latency"]["count"] == m["answered"] and w["latency"]["p99"] > 0, "echo closed: a latency per answer")
    check(w["pings"]["sent"] >= 4 * 8 and w["ping_rtt"]["count"] == w["pings"]["answered"] > 0,
          "echo closed: pings every 100ms with their RTTs (%d sent)" % w["pings"]["sent"])
    check(w["mode"] == "echo", "echo closed: mode echo")


def ramp(port):
    code, r, _ = run("ws://127.0.0.1:%d/" % port, "-c", "4", "-d", "1s", "-t", "1", "--ramp", "200ms:4,300ms:4,200ms:0")
    if check(code == 0 and r, "--ramp up and down: a report"):
        c = balanced("ramp", r)["connections"]
        check(c["opened"] == 4 and c["closed"]["by_us"] == 4 and c["held_at_end"] == 0,
              "--ramp opens 4 connections gradually and closes them as it goes down (%s)" % json.dumps(c))


def echo_open(port, node=False):
    name = "echo open (%s)" % ("node ws" if node else "python websockets")
    code, r, err = run("ws://127.0.0.1:%d/x?y=1" % port, "-c", "3", "-d", "1s", "-t", "1", "--message-rate", "200",
                       "--message-size", "64", "--binary")
    if not check(code == 0 and r, "%s: exit 0 with a report (%s)" % (name, err.strip()[-200:])):
        return
    w = balanced(name, r)
    m = w["messages"]
    # 3 connections x 200/s x 1s from each one's handshake (slow on a loaded machine).
    check(400 <= m["sent"] <= 603, "%s: about 600 messages sent on schedule (%d)" % (name, m["sent"]))
    check(m["answered"] >= m["sent"] - 3 and m["unmatched"] == 0,
          "%s: replies matched by id (%d answered, %d unmatched)" % (name, m["answered"], m["unmatched"]))
    check(w["bytes"]["sent"] == 64 * m["sent"], "%s: 64-byte messages" % name)


def listen(port):
    code, r, err = run("ws://127.0.0.1:%d/" % port, "-c", "2", "-d", "1s", "-t", "1", "--listen", "--subscribe", "hi")
    if not check(code == 0 and r, "listen: exit 0 with a report (%s)" % err.strip()[-200:]):
        return
    w = balanced("listen", r)
    m = w["messages"]
    check(w["mode"] == "listen" and m["sent"] == 0 and m["subscribes"] == 2, "listen: nothing sent but 2 subscribes")
    # The feed pushes every 20 ms: about 50 a second per connection.
    check(60 <= m["received"] <= 110, "listen: about 100 messages pushed in 1s (%d)" % m["received"])
    check(w["gap"]["count"] == m["received"] - 2 and 15 <= w["gap"]["p50"] <= 40,
          "listen: gaps between messages about 20ms (p50 %.1fms)" % (w["gap"]["p50"] or 0))


def silent(port):
    code, r, _ = run("ws://127.0.0.1:%d/" % port, "-c", "3", "-d", "500ms", "-t", "1", "--grace", "200ms")
    if check(code == 0 and r, "silent server: a report"):
        w = balanced("silent", r)
        m, c = w["messages"], w["connections"]
        check(m["sent"] == 3 and m["in_flight_at_end"] == 3 and c["held_at_end"] == 3,
              "silent server: 3 messages in flight at the end on 3 held connections")
    code, r, _ = run("ws://127.0.0.1:%d/" % port, "-c", "2", "-d", "1s", "-t", "1", "--timeout", "300ms")
    if check(code == 0 and r, "silent server, --timeout 300ms: a report"):
        w = balanced("silent timeout", r)
        m, c = w["messages"], w["connections"]
        check(m["timed_out"] == 2 and c["closed"]["by_us"] == 2 and m["answered"] == 0,
              "silent server: each connection's message timed out and we closed it (%s)" % json.dumps(m))


def closing(port_close, port_abort):
    code, r, _ = run("ws://127.0.0.1:%d/" % port_close, "-c", "2", "-d", "500ms", "-t", "1")
    if check(code == 0 and r, "server closing mid-run: a report"):
        w = balanced("close-after", r)
        c, m = w["connections"], w["messages"]
        check(c["closed"]["by_peer"] == {"4001": 2} and m["answered"] == 10 and m["lost"] == 2,
              "server closing with 4001 after 5 replies: 2 closed by peer, 10 answered, 2 lost (%s)" % json.dumps(c))
    code, r, _ = run("ws://127.0.0.1:%d/" % port_close, "-c", "2", "-d", "1s", "-t", "1", "--reconnect")
    if check(code == 0 and r, "--reconnect: a report"):
        w = balanced("reconnect", r)
        c = w["connections"]
        # Closed by the peer every 5 messages; reopened after 100ms, 200ms, 400ms backoffs.
        check(c["reconnects"] >= 4 and c["opened"] == 2 + c["reconnects"] and c["held_at_end"] <= 2,
              "--reconnect reopens closed connections, counted (%d reconnects)" % c["reconnects"])
    code, r, _ = run("ws://127.0.0.1:%d/" % port_abort, "-c", "2", "-d", "500ms", "-t", "1")
    if check(code == 0 and r, "server dropping mid-run: a report"):
        w = balanced("abort-after", r)
        c, m = w["connections"], w["messages"]
        check(sum(c["dropped"].values()) == 2 and m["lost"] == 2 and m["answered"] == 6,
              "server dropping TCP after 3 replies: 2 dropped, 6 answered, 2 lost (%s)" % json.dumps(c["dropped"]))


def refused(port404, port200):
    for port, status in ((port404, 404), (port200, 200)):
        code, r, _ = run("ws://127.0.0.1:%d/" % port, "-c", "2", "-d", "300ms", "-t", "1")
        if check(code == 0 and r, "plain HTTP %d: a report" % status):
            w = balanced("http %d" % status, r)
            check(w["connections"]["failed"] == {"http_%d" % status: 2} and w["connections"]["opened"] == 0,
                  "handshake answered %d: 2 failed as http_%d" % (status, status))
    code, r, _ = run("ws://127.0.0.1:1/", "-c", "2", "-d", "300ms", "-t", "1")
    if check(code == 0 and r, "nothing listening: a report"):
        balanced("refused", r)
        check(r["websocket"]["connections"]["failed"] == {"refused": 2}, "nothing listening: 2 failed as refused")


def tls(port, ca):
    code, r, err = run("wss://localhost:%d/" % port, "-c", "2", "-d", "500ms", "-t", "1", "--cacert", ca)
    if check(code == 0 and r, "wss://: a report (%s)" % err.strip()[-200:]):
        w = balanced("wss", r)
        check(w["connections"]["opened"] == 2 and w["messages"]["answered"] > 10 and r["tls"]["handshakes"] == 2,
              "wss:// echo over TLS: 2 handshakes, messages answered")
    code, r, _ = run("wss://localhost:%d/" % port, "-c", "1", "-d", "300ms", "-t", "1")
    if check(code == 0 and r, "wss:// unverified: a report"):
        balanced("wss unverified", r)
        check(r["websocket"]["connections"]["failed"] == {"tls_verify": 1}, "wss:// self-signed: failed as tls_verify")


def subprotocols(port_chat, port_forcing):
    """--subprotocol against servers supporting chat.v2: the one chosen is reported; none chosen
    is accepted; a server choosing one not offered fails each handshake, counted."""
    url = "ws://127.0.0.1:%d/" % port_chat
    code, r, err = run(url, "-c", "2", "-d", "300ms", "-t", "1", "--subprotocol", "chat.v1", "--subprotocol", "chat.v2")
    if check(code == 0 and r, "--subprotocol chat.v1 chat.v2: a report (%s)" % err.strip()[-200:]):
        w = balanced("subprotocol chosen", r)
        check(w["subprotocol"] == "chat.v2" and w["connections"]["by_subprotocol"] == {"chat.v2": 2},
              "the server's choice among the offers is reported: chat.v2 (%s)" % w["subprotocol"])
        check(w["config"]["subprotocols"] == ["chat.v1", "chat.v2"] and w["messages"]["answered"] > 0,
              "the offers in order, and the connections carry messages")
    code, r, _ = run(url, "-c", "2", "-d", "300ms", "-t", "1", "--subprotocol", "other")
    if check(code == 0 and r, "--subprotocol other: a report"):
        w = balanced("subprotocol none", r)
        check(w["subprotocol"] is None and w["connections"]["opened"] == 2 and not w["connections"]["failed"],
              "a server choosing none of the offers is accepted and shown as none (%s)" % json.dumps(w["connections"]))
    code, r, _ = run("ws://127.0.0.1:%d/" % port_forcing, "-c", "2", "-d", "300ms", "-t", "1", "--subprotocol", "other")
    if check(code == 0 and r, "a server choosing an unoffered subprotocol: a report"):
        w = balanced("subprotocol unoffered", r)
        check(w["connections"]["failed"] == {"unoffered_subprotocol": 2} and w["connections"]["opened"] == 0
              and w["subprotocol"] is None,
              "its handshakes fail as unoffered_subprotocol (%s)" % json.dumps(w["connections"]["failed"]))
    text = subprocess.run([BARRAGE, url, "-c", "1", "-d", "200ms", "-t", "1", "--subprotocol", "chat.v2"],
                          capture_output=True, text=True, timeout=30).stdout
    check("Subprotocol       chat.v2 (offered chat.v2)" in text, "the text report names the subprotocol chosen")


def barrage_serve():
    p = spawn([BARRAGE, "serve", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", p.stdout.readline())
    if not m:
        raise SystemExit("FAIL: barrage serve did not start")
    return int(m.group(1))


def against_barrage_serve(port):
    """barrage serve's /ws/echo: 20 connections for 3 s, second by second; it negotiates no
    subprotocol, which the generator accepts and reports as none."""
    code, r, err = run("ws://127.0.0.1:%d/ws/echo" % port, "-c", "20", "-d", "3s", "-t", "1",
                       "--subprotocol", "chat.v1")
    if not check(code == 0 and r, "barrage serve /ws/echo, -c 20 -d 3s: a report (%s)" % err.strip()[-200:]):
        return
    w = balanced("barrage serve", r)
    t = w["timeline"]
    check(3 <= len(t) <= 4 and [p["second"] for p in t] == list(range(len(t))),
          "the timeline has a point per second of the 3 s run (%d)" % len(t))
    check(sum(p["received"] for p in t) == w["messages"]["received"] > 0,
          "the seconds' messages received add up to the total (%d)" % w["messages"]["received"])
    full = t[:3]
    check(all(p["held"] == 20 for p in full), "20 connections held in each second (%s)" % [p["held"] for p in t])
    check(all(p["received"] > 0 and p["p99_ms"] is not None and p["p50_ms"] <= p["p99_ms"] <= p["max_ms"]
              for p in full), "each second has its messages and round-trip percentiles")
    check(w["subprotocol"] is None and w["connections"]["opened"] == 20 and not w["connections"]["failed"],
          "/ws/echo chooses no subprotocol: accepted, shown as none")


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
    return cert, key


def main():
    guard_children()
    try:
        echo = peer("echo")
        echo_closed(echo)
        ramp(echo)
        echo_open(echo)
        echo_open(peer(node=True), node=True)
        listen(peer("feed", "--interval-ms", "20"))
        silent(peer("silent"))
        closing(peer("close-after", "5", "--code", "4001"), peer("abort-after", "3"))
        refused(peer("http", "404"), peer("http", "200"))
        against_barrage_serve(barrage_serve())
        subprotocols(peer("echo", "--subprotocols", "chat.v2"),
                     peer("echo", "--subprotocols", "chat.v2", "--force-subprotocol"))
        with tempfile.TemporaryDirectory() as d:
            cert, key = make_cert(d)
            tls(peer("echo", "--cert", cert, "--key", key), cert)
    finally:
        cleanup()
    if FAILURES:
        print("FAIL: %d checks failed" % len(FAILURES))
        sys.exit(1)
    print("all ws generator checks passed")


if __name__ == "__main__":
    main()
