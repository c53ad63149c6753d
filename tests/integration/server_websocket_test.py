#!/usr/bin/env python3
"""`barrage serve`'s WebSocket routes (/ws/echo, /ws/feed) against real clients, on 127.0.0.1
(issue 17).

  server_websocket_test.py BARRAGE CASE

Cases:
  python   Python's websockets (Debian's python3-websockets) as client: echo text and binary,
           a fragmented message, ping/pong, close 1000 echoed, a message over --ws-max-message
           closed with 1009, /ws/feed's pushes (size, order, pace); GET /ws/echo without
           Upgrade is 426 naming websocket; a bad Sec-WebSocket-Version is 426, a bad key 400
  node     the Node ws package (npm ws@8.18.0, tools/install-deps.sh) as client: the same
           exchanges, fragments sent with fin false, a 1009 close, /ws/feed
  raw      a raw socket: an unmasked frame gets close 1002, invalid UTF-8 text 1007, a
           reserved opcode 1002, a ping with no answer is closed (1001, ping timeout); a feed
           client that stops reading: pushes are skipped and counted, the server's memory stays
           flat; /metrics adds up (connections = active + closes)
  tls      wss:// with --tls-self-signed: websockets and Node ws verifying the certificate
Every child is killed on exit. Exit 0 when the case passed, 1 otherwise.
"""
import asyncio
import base64
import json
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from harness import CHILDREN, FAILURES, check, cleanup, guard_children  # noqa: E402

WORK = tempfile.mkdtemp(prefix="barrage-ws-")
MASKED = []  # headers of server frames that were masked (none may be)
HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(WORK, name)


def serve(barrage, args, scheme="http"):
    """Starts barrage serve on an ephemeral port; returns (process, port)."""
    out = open(path("serve.out"), "w")
    err = open(path("serve.err"), "w")
    p = subprocess.Popen([barrage, "serve", "--listen", "127.0.0.1:0"] + args, stdout=out, stderr=err)
    CHILDREN.append(p)
    deadline = time.time() + 10
    while time.time() < deadline:
        text = open(path("serve.out")).read()
        m = re.search(r"listening on %s://127\.0\.0\.1:(\d+)" % scheme, text)
        if m and (scheme == "http" or "fingerprint" in text):
            time.sleep(0.1)
            return p, int(m.group(1))
        if p.poll() is not None:
            raise RuntimeError("barrage serve exited %d: %s" % (p.returncode, open(path("serve.err")).read()))
        time.sleep(0.05)
    raise RuntimeError("barrage serve did not start: " + open(path("serve.out")).read())


def metrics(port):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
    got = {}
    for m in re.finditer(r'^(barrage_ws_\w+|process_resident_memory_bytes)(\{[^}]*\})? (\S+)$', text, re.M):
        got[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return got


def closes(m):
    return sum(v for k, v in m.items() if k.startswith("barrage_ws_closes_total"))


# ------------------------------------------------------------------------------------------- raw


def handshake(port, target="/ws/echo", version="13", key=None):
    """Sends an upgrade request on a new socket; returns (socket, response head)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = key or base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: %s\r\n\r\n" % (target, key, version)).encode())
    head = b""
    while not head.endswith(b"\r\n\r\n"):  # byte by byte: frames may follow at once
        chunk = s.recv(1)
        if not chunk:
            break
        head += chunk
    return s, head.decode("latin-1")


def frame(opcode, payload, masked=True, fin=True):
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    mask_bit = 0x80 if masked else 0
    if n < 126:
        head = struct.pack("!BB", b0, mask_bit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mask_bit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mask_bit | 127, n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def read_frame(s):
    """(opcode, payload) of the next server frame, or None when the connection ended."""
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf
    h = exact(2)
    if h is None:
        return None
    n = h[1] & 0x7F
    if n == 126:
        n = struct.unpack("!H", exact(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", exact(8))[0]
    if h[1] & 0x80:
        MASKED.append(h)
    return h[0] & 0x0F, exact(n)


def close_code_after(port, data, what):
    s, head = handshake(port)
    check(head.startswith("HTTP/1.1 101"), "raw upgrade: 101")
    s.sendall(data)
    f = read_frame(s)
    code = struct.unpack("!H", f[1][:2])[0] if f and f[0] == 8 and len(f[1]) >= 2 else None
    ended = s.recv(10) == b""  # the server closes the TCP connection after its close
    s.close()
    check(ended, "%s: the server closes the connection after its close frame" % what)
    return code


def case_raw(barrage):
    p, port = serve(barrage, ["--ws-ping-interval", "300ms", "--ws-ping-timeout", "300ms"])
    check(close_code_after(port, frame(1, b"hello", masked=False), "unmasked") == 1002,
          "an unmasked client frame is closed with 1002")
    check(close_code_after(port, frame(1, b"ok \xc0\xaf"), "invalid UTF-8") == 1007,
          "a text message that is not UTF-8 is closed with 1007")
    check(close_code_after(port, frame(3, b""), "reserved opcode") == 1002, "a reserved opcode is closed with 1002")
    check(close_code_after(port, frame(1, b"a", fin=False) + frame(1, b"b"), "interleaved message") == 1002,
          "a new message inside a fragmented one is closed with 1002")

    # A client that answers nothing: pinged after 300ms of silence, closed 300ms later.
    s, head = handshake(port)
    f = read_frame(s)
    check(f is not None and f[0] == 9, "a silent client is pinged (opcode %s)" % (f and f[0]))
    f = read_frame(s)
    code = struct.unpack("!H", f[1][:2])[0] if f and f[0] == 8 else None
    check(code == 1001 and b"ping timeout" in f[1], "... and closed with 1001 ping timeout: %r" % (f,))
    s.close()
    time.sleep(0.3)
    m = metrics(port)
    check(m["barrage_ws_connections_active"] == 0, "no WebSocket connection left open")
    check(m["barrage_ws_connections_total"] == closes(m) + m["barrage_ws_connections_active"],
          "connections = closes + active: %d = %d" % (m["barrage_ws_connections_total"], closes(m)))
    check(m['barrage_ws_closes_total{reason="protocol_error"}'] == 3, "3 closes counted as protocol_error")
    check(m['barrage_ws_closes_total{reason="invalid_utf8"}'] == 1, "1 close counted as invalid_utf8")
    check(m['barrage_ws_closes_total{reason="ping_timeout"}'] == 1, "1 close counted as ping_timeout")
    check(not MASKED, "no server frame was masked")
    p.kill()

    # A feed client that stops reading: the server's memory stays flat, pushes are skipped.
    p, port = serve(barrage, [])
    before = metrics(port)
    s, head = handshake(port, "/ws/feed?interval=1ms&size=64KiB")
    check(head.startswith("HTTP/1.1 101"), "feed upgrade: 101")
    time.sleep(2)  # 2000 pushes of 64 KiB due: 128 MB if they were queued
    mid = metrics(port)
    grown = mid["process_resident_memory_bytes"] - before["process_resident_memory_bytes"]
    check(grown < 16e6, "a client that reads nothing for 2s of 64 KiB pushes every 1ms: RSS grew %.1f MB" % (grown / 1e6))
    check(mid["barrage_ws_output_waits_total"] >= 1, "the connection waited for the client to read")
    # Reading again: what was written comes in order, then the schedule jumps past the ticks
    # that fell due meanwhile.
    s.settimeout(10)
    seqs = []
    while len(seqs) < 3000 and (len(seqs) < 2 or seqs[-1] - seqs[-2] <= 1000):
        f = read_frame(s)
        if f is None:
            break
        if f[0] == 1:
            seqs.append(int(f[1].split(b".")[0]))
    check(len(seqs) >= 2 and seqs == sorted(seqs) and seqs[0] == 0, "pushes come in order from tick 0")
    check(len(seqs) >= 2 and seqs[-1] - seqs[-2] > 1000,
          "after %d pushes the ticks jump from %d to %d (skipped while the client did not read)"
          % (len(seqs), seqs[-2], seqs[-1]))
    gaps = sum(b - a - 1 for a, b in zip(seqs, seqs[1:]))
    skipped = metrics(port)["barrage_ws_feed_skipped_total"]
    check(skipped >= gaps, "the skipped ticks are counted: %d (gaps seen: %d)" % (skipped, gaps))
    s.sendall(frame(8, struct.pack("!H", 1000)))
    while read_frame(s) is not None:  # the rest, up to the server's close
        pass
    s.close()
    time.sleep(0.1)
    m = metrics(port)
    check(m["barrage_ws_connections_active"] == 0 and m['barrage_ws_closes_total{reason="peer_closed"}'] == 1,
          "the feed connection ended with the client's close")


# ------------------------------------------------------------------------------------------- python


async def python_exchanges(base, ssl_ctx=None, oversize=True):
    import websockets
    async with websockets.connect(base + "/ws/echo", ssl=ssl_ctx) as ws:
        await ws.send("héllo")
        check(await ws.recv() == "héllo", "text echoed")
        await ws.send(b"\x00\x01\xfe\xff")
        check(await ws.recv() == b"\x00\x01\xfe\xff", "binary echoed")
        await ws.send(["frag", "ment", "ed"])  # an iterable: one message in three frames
        check(await ws.recv() == "fragmented", "a message sent in three fragments comes back whole")
        pong = await ws.ping(b"rtt")
        await asyncio.wait_for(pong, 5)
        check(True, "ping answered with pong")
        await ws.close(1000, "bye")
        check(ws.close_code == 1000, "close 1000 echoed: %s" % ws.close_code)
    if oversize:
        async with websockets.connect(base + "/ws/echo", ssl=ssl_ctx, max_size=None) as ws:
            await ws.send("x" * 3000)
            try:
                await asyncio.wait_for(ws.recv(), 5)
                check(False, "a message over --ws-max-message is refused")
            except websockets.ConnectionClosed as e:
                check(e.rcvd is not None and e.rcvd.code == 1009, "a 3000-byte message over a 2KiB limit: close %s" % e.rcvd)
    async with websockets.connect(base + "/ws/feed?interval=20ms&size=100", ssl=ssl_ctx) as ws:
        started = time.monotonic()
        got = [await asyncio.wait_for(ws.recv(), 5) for _ in range(6)]
        took = time.monotonic() - started
        check(all(len(g) == 100 for g in got), "/ws/feed messages are 100 bytes")
        check([int(g.split(".")[0]) for g in got] == list(range(6)), "/ws/feed messages numbered 0-5")
        check(0.08 <= took < 2, "6 pushes every 20ms took %.3fs" % took)


def case_python(barrage):
    p, port = serve(barrage, ["--ws-max-message", "2KiB"])
    asyncio.run(python_exchanges("ws://127.0.0.1:%d" % port))
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/ws/echo" % port, timeout=10)
        check(False, "GET /ws/echo without Upgrade is refused")
    except urllib.error.HTTPError as e:
        check(e.code == 426 and e.headers.get("Upgrade") == "websocket",
              "GET /ws/echo without Upgrade: %d, Upgrade: %s" % (e.code, e.headers.get("Upgrade")))
    s, head = handshake(port, version="8")
    check(head.startswith("HTTP/1.1 426") and "Sec-WebSocket-Version: 13" in head, "version 8: 426 naming 13")
    s.close()
    s, head = handshake(port, key="c2hvcnQ=")
    check(head.startswith("HTTP/1.1 400"), "a key that is not 16 bytes: 400")
    s.close()
    s, head = handshake(port, target="/ws/feed?interval=soon")
    body = b""
    while True:  # the refusal closes the connection
        chunk = s.recv(4096)
        if not chunk:
            break
        body += chunk
    check(head.startswith("HTTP/1.1 400") and b"interval" in body, "a bad feed interval: 400 naming it: %r" % body)
    s.close()
    m = metrics(port)
    check(m["barrage_ws_handshakes_refused_total"] == 3, "3 refused handshakes counted")
    check(m['barrage_ws_closes_total{reason="message_too_big"}'] == 1, "1 close counted as message_too_big")


# ------------------------------------------------------------------------------------------- node


def node_client(base, ca=None):
    npm = subprocess.run([os.path.join(HERE, "..", "..", "tools", "npm-path.sh")], capture_output=True, text=True)
    env = dict(os.environ, NODE_PATH=npm.stdout.strip())
    if shutil.which("node") is None or not os.path.isdir(os.path.join(env["NODE_PATH"], "ws")):
        check(False, "node and npm ws are installed (tools/install-deps.sh)")
        return {}
    r = subprocess.run(["node", os.path.join(HERE, "ws_node_client.js"), base] + ([ca] if ca else []),
                       capture_output=True, text=True, timeout=30, env=env)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        check(False, "node client output: %r %r" % (r.stdout, r.stderr))
        return {}


def check_node(out):
    check("error" not in out, "node ws client ran: %s" % out.get("error"))
    check(out.get("text") == {"data": "héllo", "binary": False}, "node: text echoed %s" % out.get("text"))
    check(out.get("binary") == {"hex": "000102ff", "binary": True}, "node: binary echoed %s" % out.get("binary"))
    check(out.get("fragmented") == "fragmented", "node: three fragments echoed as one message")
    check(out.get("pong") == "are you there", "node: ping answered with its payload")
    check((out.get("too_big") or {}).get("code") == 1009, "node: 3000 bytes over 2KiB closed with %s" % out.get("too_big"))
    check(out.get("normal") == {"code": 1000, "reason": "done"}, "node: close 1000 echoed %s" % out.get("normal"))
    feed = out.get("feed") or []
    check(len(feed) == 5 and all(len(f) == 16 for f in feed), "node: 5 feed messages of 16 bytes")
    check(out.get("feed_close", {}).get("code") == 1000, "node: feed closed with 1000")


def case_node(barrage):
    p, port = serve(barrage, ["--ws-max-message", "2KiB"])
    check_node(node_client("ws://127.0.0.1:%d" % port))


# ------------------------------------------------------------------------------------------- tls


def case_tls(barrage):
    p, port = serve(barrage, ["--tls-self-signed", "--tls-cert-out", path("cert.pem"), "--ws-max-message", "2KiB"],
                    scheme="https")
    ctx = ssl.create_default_context(cafile=path("cert.pem"))
    asyncio.run(python_exchanges("wss://127.0.0.1:%d" % port, ctx))
    check_node(node_client("wss://127.0.0.1:%d" % port, path("cert.pem")))


CASES = {"python": case_python, "node": case_node, "raw": case_raw, "tls": case_tls}


def main():
    guard_children()
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        print("usage: server_websocket_test.py BARRAGE {%s}" % "|".join(CASES))
        return 2
    try:
        CASES[sys.argv[2]](sys.argv[1])
    except Exception as e:  # a broken step is a failure with its reason, never a hang
        check(False, "%s: %s" % (type(e).__name__, e))
    finally:
        cleanup()
        err = path("serve.err")
        if FAILURES and os.path.exists(err):
            for line in open(err).read().splitlines():
                print("  server stderr: " + line)
        shutil.rmtree(WORK, ignore_errors=True)
    print("%s: %d failure(s)" % (sys.argv[2], len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
