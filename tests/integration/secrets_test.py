#!/usr/bin/env python3
"""Secrets stay out of every output (docs/report.md, Secrets; issue 24).

barrage runs against a Python server on 127.0.0.1 that records what it receives, with
credential headers (-H Authorization, Cookie, X-Api-Key, and X-Custom named by
--redact-header), a URL with user:password@ and a secret query parameter, and a body. Every
output barrage has is scanned for each secret string: the text report (stdout), the JSON
report (--json FILE, and --json - with the text on stderr), stderr with the live progress line
(under a pseudo-terminal), the threshold verdicts, and the one-line errors for a refused URL
and refused headers. None may hold a secret; with --show-secrets the JSON holds them all, the
text report the URL's, and both say so at the top. The server must have received the real
values: redaction is for outputs only.

usage: secrets_test.py BARRAGE
"""
import base64
import http.server
import json
import os
import pty
import select
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FAILURES, check, guard_children, spawn  # noqa: E402

TOKEN = "s3cr3t-token"
COOKIE = "sid=abc123"
API_KEY = "k3y-9f2e"
CUSTOM = "cust0m-v4lue"
PASSWORD = "pa55-w0rd"
QUERY_TOKEN = "t0k3n-qry"
BODY = "password=hunter2-body"
BASIC = base64.b64encode(("alice:" + PASSWORD).encode()).decode()
# Each secret as it would appear in an output; "sid=abc123" also as its value alone.
SECRETS = [TOKEN, "abc123", API_KEY, CUSTOM, PASSWORD, QUERY_TOKEN, "hunter2", BASIC]

RECEIVED = []  # (headers dict, body) per request


class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        RECEIVED.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = handle_one

    def log_message(self, *_):
        pass


def serve():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run(barrage, args, timeout=60):
    p = spawn([barrage] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def run_on_pty(barrage, args, timeout=60):
    """stderr on a pseudo-terminal, so that the live progress line is drawn; returns (code, stderr)."""
    master, slave = pty.openpty()
    p = spawn([barrage] + args, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                chunk = b""
            if not chunk and p.poll() is not None:
                break
            seen += chunk
        elif p.poll() is not None:
            break
    os.close(master)
    return p.wait(timeout=10), seen.decode(errors="replace")


def leaks(text):
    return [s for s in SECRETS if s in text]


def no_secrets(label, text):
    found = leaks(text)
    check(not found, "%s: no secret in it%s" % (label, " (found %s)" % found if found else ""))


def main():
    barrage = sys.argv[1]
    guard_children()
    server = serve()
    port = server.server_address[1]
    url = "http://alice:%s@127.0.0.1:%d/echo?token=%s&page=1" % (PASSWORD, port, QUERY_TOKEN)
    creds = ["-H", "Authorization: Bearer " + TOKEN, "-H", "Cookie: " + COOKIE, "-H", "X-Api-Key: " + API_KEY,
             "-H", "X-Custom: " + CUSTOM, "--redact-header", "x-CUSTOM", "-b", BODY]
    load = ["-n", "5", "-c", "1", "-t", "1", "--no-progress", "--threshold", "p99<10s", "--threshold", "errors==0"]
    tmp = tempfile.mkdtemp()
    report = os.path.join(tmp, "report.json")

    # 1. Text report on stdout, JSON report in a file, stderr.
    RECEIVED.clear()
    code, out, err = run(barrage, [url] + creds + load + ["--json", report])
    check(code == 0, "run: exit 0 (%d; %s)" % (code, err.strip()[:200]))
    with open(report) as f:
        doc = f.read()
    for label, text in (("text report", out), ("stderr", err), ("JSON report file", doc)):
        no_secrets(label, text)
    rep = json.loads(doc)
    check(rep["secrets_shown"] is False, "JSON: secrets_shown is false")
    check(any(h.startswith("Authorization: <redacted, %d bytes, sha256:" % len("Bearer " + TOKEN))
              for h in rep["config"]["headers"]), "JSON: Authorization keeps its name, its value redacted")
    check("X-Custom: <redacted, %d bytes" % len(CUSTOM) in rep["config"]["headers"][3],
          "JSON: --redact-header x-CUSTOM redacts X-Custom")
    check(rep["config"]["url"].startswith("http://alice:<redacted, %d bytes, sha256:" % len(PASSWORD)),
          "JSON: the URL keeps the user, its password redacted (%s)" % rep["config"]["url"])
    check("page=1" in rep["config"]["url"], "JSON: ordinary query parameters stay")
    check(rep["config"]["body_prefix"].startswith("<redacted, %d bytes" % len(BODY)), "JSON: the body prefix is redacted")
    check("Thresholds" in out and "✓ pass" in out and "WARNING" not in out,
          "text: the threshold verdicts are there, and no --show-secrets warning")
    check(len(RECEIVED) == 5, "server: 5 requests received (%d)" % len(RECEIVED))
    if RECEIVED:
        h, body = RECEIVED[0]
        check(h.get("authorization") == "Bearer " + TOKEN, "server: the real Authorization was sent (%r)" % h.get("authorization"))
        check(h.get("cookie") == COOKIE and h.get("x-api-key") == API_KEY and h.get("x-custom") == CUSTOM,
              "server: the real Cookie, X-Api-Key and X-Custom were sent")
        check(body == BODY.encode(), "server: the real body was sent")

    # 2. --json -: the JSON on stdout, the text report on stderr.
    code, out, err = run(barrage, [url] + creds + load + ["--json", "-"])
    check(code == 0, "--json -: exit 0")
    no_secrets("--json - stdout (JSON)", out)
    no_secrets("--json - stderr (text report)", err)

    # 3. The URL's user information alone: sent as Basic, shown redacted.
    RECEIVED.clear()
    code, out, err = run(barrage, [url] + load + ["--json", report])
    with open(report) as f:
        doc = f.read()
    check(code == 0, "user:password@ run: exit 0")
    for label, text in (("user:password@ text", out), ("user:password@ stderr", err), ("user:password@ JSON", doc)):
        no_secrets(label, text)
    check(bool(RECEIVED) and RECEIVED[0][0].get("authorization") == "Basic " + BASIC,
          "server: user:password@ arrived as Authorization: Basic base64(alice:%s)" % PASSWORD)

    # 4. The live progress line (stderr on a terminal) over a run of more than a second.
    code, tty = run_on_pty(barrage, [url] + creds + ["-d", "1500ms", "-r", "40", "-c", "2", "-t", "1"])
    check(code == 0 and "req/s" in tty, "live view: drawn on a terminal (exit %d)" % code)
    no_secrets("live view and terminal output", tty)

    # 5. One-line errors that quote the URL or a header.
    for label, args in (
            ("refused URL", ["http://alice:%s@127.0.0.1:0/?token=%s" % (PASSWORD, QUERY_TOKEN)]),
            ("refused URL with a space", ["http://alice:%s@127.0.0.1:%d/a b" % (PASSWORD, port)]),
            ("refused header value", ["http://127.0.0.1:%d/" % port, "-H", "Authorization: Bearer %s\x01" % TOKEN]),
            ("header without a colon", ["http://127.0.0.1:%d/" % port, "-H", "Authorization Bearer " + TOKEN]),
            ("refused header name", ["http://127.0.0.1:%d/" % port, "-H", "X Api Key: " + API_KEY])):
        code, out, err = run(barrage, args + ["-n", "1"])
        check(code == 2 and err.count("\n") == 1, "%s: a usage error, one line (%d: %s)" % (label, code, err.strip()))
        no_secrets(label + " (stdout and stderr)", out + err)

    # 6. --show-secrets: the values are there, and each report says so at the top.
    code, out, err = run(barrage, [url] + creds + load + ["--json", report, "--show-secrets"])
    with open(report) as f:
        rep = json.load(f)
    check(code == 0, "--show-secrets: exit 0")
    check(out.startswith("WARNING: --show-secrets:"), "--show-secrets: the text report starts with the warning")
    check(PASSWORD in out and QUERY_TOKEN in out, "--show-secrets: the text report shows the URL as typed")
    check(rep["secrets_shown"] is True, "--show-secrets: JSON secrets_shown is true")
    missing = [s for s in SECRETS if s != BASIC and s not in json.dumps(rep, ensure_ascii=False)]
    check(not missing, "--show-secrets: every secret is in the JSON report (missing %s)" % missing)

    server.shutdown()
    print("secrets: %s" % ("FAIL (%d)" % len(FAILURES) if FAILURES else "ok"))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
