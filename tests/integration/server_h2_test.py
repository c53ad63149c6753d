"""`barrage serve` over HTTP/2 against real clients and known attacks, on 127.0.0.1 (issue 16).

  server_h2_test.py BARRAGE CASE

Cases:
  peers    h2c (prior knowledge) and h2 over TLS (ALPN) from clients nobody here wrote: curl
           --http2-prior-knowledge and --http2, nghttp (concurrent streams on one connection:
           delays overlap, a stream arrives in pieces), h2load (h2c and TLS), and Python's h2
           library (request bodies over the windows, a body of several windows, streams refused
           above --h2-max-streams); HTTP/1.1 on the same port; /metrics counts h2 requests
  attacks  each attack sent on 127.0.0.1, then a well-behaved client (curl
           --http2-prior-knowledge) must be served within a second, the server's memory stays
           bounded, and the attacker gets GOAWAY with the code named: rapid reset
           (CVE-2023-44487), CONTINUATION flood (CVE-2024-28182), HPACK bomb, PING flood,
           SETTINGS flood, a window that never opens (--write-timeout), stream-id exhaustion
Exit 0 when the case passed, 1 otherwise.
"""
import os
import re
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

try:
    import h2.config
    import h2.connection
    import h2.events
    import hpack
except ImportError:
    # CMake's Python may be another installation than Debian's, which has python3-h2.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("FAIL: Python's h2 library is not installed (tools/install-deps.sh installs python3-h2)")
    sys.exit(1)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CHILDREN, FAILURES, check, cleanup, guard_children  # noqa: E402

WORK = tempfile.mkdtemp(prefix="barrage-h2-")
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
CODES = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR", 5: "STREAM_CLOSED",
         6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR", 11: "ENHANCE_YOUR_CALM"}


def need(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        print("FAIL: not installed: %s (tools/install-deps.sh installs them)" % ", ".join(missing))
        sys.exit(1)


def serve(barrage, args, tls=False):
    """Starts barrage serve on an ephemeral port: (process, port)."""
    out = open(os.path.join(WORK, "serve.out"), "w")
    p = subprocess.Popen([barrage, "serve", "--listen", "127.0.0.1:0"] + args, stdout=out, stderr=subprocess.STDOUT)
    CHILDREN.append(p)
    deadline = time.time() + 10
    while time.time() < deadline:
        text = open(os.path.join(WORK, "serve.out")).read()
        m = re.search(r"listening on https?://127\.0\.0\.1:(\d+)", text)
        if m and (not tls or "fingerprint" in text):
            time.sleep(0.05)
            return p, int(m.group(1))
        if p.poll() is not None:
            raise RuntimeError("barrage serve exited %d: %s" % (p.returncode, text))
        time.sleep(0.02)
    raise RuntimeError("barrage serve did not start")


def run(cmd, timeout=30):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def rss_kib(p):
    with open("/proc/%d/status" % p.pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def settings(**values):
    ids = {"header_table_size": 1, "initial_window_size": 4, "max_frame_size": 5}
    return frame(4, 0, 0, b"".join(struct.pack(">HI", ids[k], v) for k, v in values.items()))


def headers_block(path, extra=(), encoder=None):
    e = encoder or hpack.Encoder()
    return e.encode([(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", path)] + list(extra))


class raw_client:
    """A socket speaking HTTP/2 frames by hand; a thread reads and parses what comes back."""

    def __init__(self, port, first=PREFACE + settings()):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.goaway = None
        self.frames = {}
        self.closed = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.send(first)

    def send(self, data):
        try:
            self.s.sendall(data)
            return True
        except OSError:
            return False

    def _read(self):
        buf = b""
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while len(buf) >= 9:
                    n = int.from_bytes(buf[:3], "big")
                    if len(buf) < 9 + n:
                        break
                    kind, payload = buf[3], buf[9:9 + n]
                    self.frames[kind] = self.frames.get(kind, 0) + 1
                    if kind == 7 and self.goaway is None:
                        last, code = struct.unpack(">II", payload[:8])
                        self.goaway = (last & 0x7fffffff, CODES.get(code, str(code)))
                    buf = buf[9 + n:]
        except OSError:
            pass
        self.closed.set()

    def wait_closed(self, seconds):
        return self.closed.wait(seconds)

    def close(self):
        self.s.close()


def served_promptly(port, what):
    t0 = time.time()
    r = run(["curl", "-sS", "--max-time", "5", "--http2-prior-knowledge", "-w", " %{http_version}",
             "http://127.0.0.1:%d/" % port])
    took = time.time() - t0
    return check(r.stdout == "hello\n 2" and took < 1.0,
                 "%s: then curl --http2-prior-knowledge is served in %.0f ms: %r" % (what, took * 1000, r.stdout))


# ---------------------------------------------------------------------------- peers

def py_h2_client(port, requests, window=65535, expect_refused=False):
    """Python's h2 library: sends `requests` ((method, path, body) triples) at once on one
    connection; returns {stream: (status, body bytes, reset code)}."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    c = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    c.initiate_connection()
    c.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
    s.sendall(c.data_to_send())
    ids = []
    pending_bodies = {}
    for method, path, body in requests:
        sid = c.get_next_available_stream_id()
        c.send_headers(sid, [(":method", method), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", path)],
                       end_stream=not body)
        if body:
            pending_bodies[sid] = body
        ids.append(sid)
    got = {sid: [None, b"", None] for sid in ids}
    done = set()
    deadline = time.time() + 10
    while len(done) < len(ids) and time.time() < deadline:
        for sid, body in list(pending_bodies.items()):  # request bodies, as the windows allow
            n = min(len(body), c.local_flow_control_window(sid), c.max_outbound_frame_size)
            if n > 0:
                c.send_data(sid, body[:n], end_stream=n == len(body))
                body = body[n:]
            if body:
                pending_bodies[sid] = body
            else:
                del pending_bodies[sid]
        s.sendall(c.data_to_send())
        can_send = any(c.local_flow_control_window(sid) > 0 for sid in pending_bodies)
        if can_send and not select.select([s], [], [], 0)[0]:
            continue  # more body to send, nothing to read yet
        data = s.recv(65536)
        if not data:
            break
        for e in c.receive_data(data):
            if isinstance(e, h2.events.ResponseReceived):
                got[e.stream_id][0] = int(dict(e.headers)[b":status"])
            elif isinstance(e, h2.events.DataReceived):
                got[e.stream_id][1] += e.data
                c.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
            elif isinstance(e, h2.events.StreamEnded):
                done.add(e.stream_id)
            elif isinstance(e, h2.events.StreamReset):
                got[e.stream_id][2] = CODES.get(e.error_code, str(e.error_code))
                done.add(e.stream_id)
                pending_bodies.pop(e.stream_id, None)
        s.sendall(c.data_to_send())
    c.close_connection()
    s.sendall(c.data_to_send())
    s.close()
    return got


def case_peers(barrage):
    need("curl", "nghttp", "h2load")
    p, port = serve(barrage, ["--h2-max-streams", "8"])
    url = "http://127.0.0.1:%d" % port

    r = run(["curl", "-sS", "--http2-prior-knowledge", "-w", " %{http_version} %{http_code}", url + "/"])
    check(r.stdout == "hello\n 2 200", "curl --http2-prior-knowledge GET / -> HTTP/2 200 hello: %r" % r.stdout)
    r = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "--data-binary", "@-", url + "/echo"],
                       input=b"x" * 300000, capture_output=True, timeout=30)
    check(r.stdout == b"x" * 300000, "curl h2c: POST /echo of 300000 bytes (several windows) comes back whole")
    r = run(["curl", "-sS", "-w", " %{http_version}", url + "/headers", "-H", "X-One: 1"])
    check(r.stdout.endswith(" 1.1") and "X-One: 1" in r.stdout, "HTTP/1.1 on the same port: curl GET /headers")
    r = run(["curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}", url + "/nowhere"])
    check(r.stdout == "404", "curl h2c: an unknown path is 404")

    # nghttp: four streams on one connection, each a delay or a stream of pieces.
    t0 = time.time()
    r = run(["nghttp", "-n", "-s", url + "/delay/300ms", url + "/delay/301ms", url + "/stream/4?interval=50ms",
             url + "/jitter?median=10ms&p99=20ms"])
    took = time.time() - t0
    statuses = re.findall(r"\s(\d{3})\s+\d+\s+/", r.stdout)
    check(r.returncode == 0 and statuses.count("200") == 4 and took < 0.9,
          "nghttp: 4 streams on one connection, all 200, the two 300ms delays overlap (%.0f ms)" % (took * 1000))
    r = run(["nghttp", url + "/stream/3?interval=20ms"])
    check(r.stdout == "chunk 0\nchunk 1\nchunk 2\n", "nghttp: /stream/3 arrives whole: %r" % r.stdout)

    r = run(["h2load", "-n", "4000", "-c", "4", "-m", "8", url + "/"])
    check("4000 succeeded" in r.stdout and "h2c" in r.stdout,
          "h2load h2c -c 4 -m 8: %s" % (re.search(r"requests:.*", r.stdout) or [r.stdout[-200:]])[0])

    # Python's h2: bodies both ways through windows, concurrency, the stream limit.
    got = py_h2_client(port, [("POST", "/echo", b"y" * 200000), ("GET", "/bytes/300000", None),
                              ("GET", "/stream/3?interval=10ms", None), ("GET", "/status/418", None)], window=16384)
    ok = (got[1][:2] == [200, b"y" * 200000] and got[3][0] == 200 and len(got[3][1]) == 300000 and
          got[5][1] == b"chunk 0\nchunk 1\nchunk 2\n" and got[7][0] == 418)
    check(ok, "python h2: POST /echo 200000 bytes, /bytes/300000 through a 16 KiB window, /stream/3, /status/418")
    got = py_h2_client(port, [("GET", "/delay/200ms", None)] * 12)
    answered = sum(1 for v in got.values() if v[0] == 200)
    refused = sum(1 for v in got.values() if v[2] == "REFUSED_STREAM")
    check(answered == 8 and refused == 4,
          "python h2: 12 streams at once over --h2-max-streams 8: %d answered, %d refused (REFUSED_STREAM)" %
          (answered, refused))
    got = py_h2_client(port, [("POST", "/echo", b"z" * (2 << 20))])
    check(got[1][0] == 413, "python h2: a body over --max-body is 413 (%s)" % got[1][0])

    m = run(["curl", "-sS", url + "/metrics"]).stdout
    total = sum(int(v) for v in re.findall(r'^barrage_http_requests_total\{code="\d+"\} (\d+)$', m, re.M))
    check(total >= 4000 + 20, "/metrics counts the h2 requests (%d)" % total)
    p.terminate()
    p.wait(timeout=10)

    # Bodies held at once by one connection: at most 4 x --max-body.
    p, port = serve(barrage, ["--max-body", "100KiB"])
    got = py_h2_client(port, [("POST", "/echo", b"u" * 90000)] * 6, window=1 << 20)
    answered = sum(1 for v in got.values() if v[0] == 200 and len(v[1]) == 90000)
    refused = sum(1 for v in got.values() if v[2] == "REFUSED_STREAM")
    check(answered + refused == 6 and answered >= 3 and refused >= 1,
          "python h2: 6 bodies of 90000 bytes at once under --max-body 100KiB: %d echoed, %d refused "
          "(REFUSED_STREAM): 4 x --max-body at most per connection" % (answered, refused))
    p.terminate()
    p.wait(timeout=10)

    # TLS: ALPN picks h2.
    tp, tport = serve(barrage, ["--tls-self-signed", "--tls-cert-out", os.path.join(WORK, "cert.pem")], tls=True)
    turl = "https://localhost:%d" % tport
    r = run(["curl", "-sS", "--http2", "--cacert", os.path.join(WORK, "cert.pem"), "-w", " %{http_version}",
             turl + "/stream/2?interval=10ms"])
    check(r.stdout == "chunk 0\nchunk 1\n 2", "curl --http2 over TLS: ALPN h2, /stream/2: %r" % r.stdout)
    r = run(["curl", "-sS", "--http1.1", "--cacert", os.path.join(WORK, "cert.pem"), "-w", " %{http_version}",
             turl + "/"])
    check(r.stdout == "hello\n 1.1", "curl --http1.1 over TLS: ALPN http/1.1 still served")
    r = run(["h2load", "-n", "2000", "-c", "4", "-m", "8", "https://127.0.0.1:%d/" % tport])
    check("2000 succeeded" in r.stdout and "Application protocol: h2" in r.stdout,
          "h2load over TLS (ALPN h2): %s" % (re.search(r"requests:.*", r.stdout) or [r.stdout[-200:]])[0])
    r = run(["nghttp", "-n", "-s", turl + "/delay/10ms"])
    check(r.returncode == 0 and re.search(r"\s200\s", r.stdout) is not None, "nghttp over TLS: /delay/10ms 200")
    tp.terminate()
    tp.wait(timeout=10)


# ---------------------------------------------------------------------------- attacks

def attack(p, port, name, send, expect_code, rss_limit_kib=64 * 1024, settle=3.0):
    """Runs one attack (send(client)), then checks the GOAWAY, the memory and a good client."""
    before = rss_kib(p)
    c = raw_client(port)
    send(c)
    c.wait_closed(settle)
    after = rss_kib(p)
    check(c.goaway is not None and c.goaway[1] == expect_code and c.closed.is_set(),
          "%s: GOAWAY %s (got %s), then the server closes" % (name, expect_code, c.goaway))
    check(after - before < rss_limit_kib, "%s: the server's memory grew by %d KiB" % (name, after - before))
    c.close()
    check(p.poll() is None, "%s: the server is up" % name)
    served_promptly(port, name)


def rapid_reset(c):
    enc = hpack.Encoder()
    burst = b""
    for i in range(5000):
        sid = 2 * i + 1
        burst += frame(1, 0x5, sid, headers_block("/delay/1s", encoder=enc)) + frame(3, 0, sid, struct.pack(">I", 8))
    c.send(burst)


def continuation_flood(c):
    enc = hpack.Encoder()
    burst = frame(1, 0x0, 1, headers_block("/", encoder=enc))  # no END_HEADERS
    for i in range(20000):
        burst += frame(9, 0, 1, enc.encode([("x-filler-%d" % (i % 50), "v" * 20)]))
    c.send(burst)


def hpack_bomb(c):
    # One large field, indexed in the dynamic table, then referenced by one byte each time: a
    # block of 8 KiB decodes to 32 MiB.
    enc = hpack.Encoder()
    first = headers_block("/", [("x-bomb", "b" * 4000)], encoder=enc)
    c.send(frame(1, 0x5, 1, first))
    block = enc.encode([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "127.0.0.1")])
    block += bytes([0x80 | 62]) * 8000  # the field just indexed, again and again
    c.send(frame(1, 0x5, 3, block[:16000]))


def ping_flood(c):
    c.send(b"".join(frame(6, 0, 0, struct.pack(">Q", i)) for i in range(20000)))


def settings_flood(c):
    c.send(settings(initial_window_size=65535) * 20000)


def stream_id_exhaustion(c):
    # The last stream id a client may use: answered, then the connection, which can carry no
    # other request, ends at once rather than at the idle timeout (a lower id after it is
    # ignored by nghttp2).
    enc = hpack.Encoder()
    c.send(frame(1, 0x5, 0x7fffffff, headers_block("/", encoder=enc)))
    c.send(frame(1, 0x5, 5, headers_block("/", encoder=enc)))


def case_attacks(barrage):
    need("curl")
    p, port = serve(barrage, ["--write-timeout", "1s"])
    attack(p, port, "rapid reset (CVE-2023-44487)", rapid_reset, "ENHANCE_YOUR_CALM")
    attack(p, port, "CONTINUATION flood (CVE-2024-28182)", continuation_flood, "ENHANCE_YOUR_CALM")
    attack(p, port, "HPACK bomb", hpack_bomb, "ENHANCE_YOUR_CALM")
    attack(p, port, "PING flood", ping_flood, "ENHANCE_YOUR_CALM")
    attack(p, port, "SETTINGS flood", settings_flood, "ENHANCE_YOUR_CALM")
    attack(p, port, "stream-id exhaustion", stream_id_exhaustion, "NO_ERROR")

    # A window that never opens: 100 streams of 1 MiB each wait on a window of 0; the server
    # holds no copy of them and ends the connection at --write-timeout.
    before = rss_kib(p)
    c = raw_client(port, PREFACE + settings(initial_window_size=0))
    enc = hpack.Encoder()
    t0 = time.time()
    c.send(b"".join(frame(1, 0x5, 2 * i + 1, headers_block("/bytes/1MiB", encoder=enc)) for i in range(100)))
    served_promptly(port, "zero window (while it waits)")
    c.wait_closed(5)
    took = time.time() - t0
    check(c.goaway == (199, "ENHANCE_YOUR_CALM") and 0.9 < took < 3,
          "zero window: GOAWAY %s after %.1f s (--write-timeout 1s)" % (c.goaway, took))
    check(rss_kib(p) - before < 32 * 1024, "zero window: the server's memory grew by %d KiB" % (rss_kib(p) - before))
    c.close()
    served_promptly(port, "zero window")
    m = run(["curl", "-sS", "http://127.0.0.1:%d/metrics" % port]).stdout
    calm = re.search(r'^barrage_server_h2_goaways_sent_total\{code="ENHANCE_YOUR_CALM"\} (\d+)$', m, re.M)
    conns = re.search(r'^barrage_server_h2_connections_total (\d+)$', m, re.M)
    check(calm is not None and int(calm.group(1)) == 6 and conns is not None and int(conns.group(1)) >= 15,
          "/metrics: 6 GOAWAYs ENHANCE_YOUR_CALM, %s h2 connections" % (conns and conns.group(1)))
    p.terminate()
    p.wait(timeout=10)


def main():
    guard_children()
    barrage, case = sys.argv[1], sys.argv[2]
    try:
        {"peers": case_peers, "attacks": case_attacks}[case](barrage)
    finally:
        cleanup()
        shutil.rmtree(WORK, ignore_errors=True)
    if FAILURES:
        print("FAIL: %d check(s) failed" % len(FAILURES))
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
