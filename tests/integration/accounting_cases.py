#!/usr/bin/env python3
"""What barrage counts and reports, against real servers started on 127.0.0.1 (issue 13).

  accounting_cases.py BARRAGE CASE

Cases:
  pipeline_close_python   requests pipelined behind a close are re-sent, not failed (a Python
                          server closing after N responses, with and without Connection: close)
  pipeline_close_lighttpd the same against lighttpd's server.max-keep-alive-requests
  body_summary            a 1 MiB binary --body-file: the JSON report has its size, SHA-256 and a
                          short escaped prefix, not the body
  redirects               --redirects N / --max-redirs against a Python server that redirects
  bad_status_errors       every response 500 (barrage serve /status/500): the errors list them
  refused_bytes           a refused port: nothing was sent, 0 bytes
Each case checks the accounting identity started = succeeded + failed + timed_out +
in_flight_at_end. Exit 0 when the case passed, 1 otherwise; every child is killed on exit.
"""
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from harness import CHILDREN, FAILURES, check, cleanup, free_port, guard_children  # noqa: E402

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


def start(cmd, port, what):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    CHILDREN.append(p)
    wait_listening(port, p, what)
    return p


def run(barrage, args, timeout=60):
    """Runs barrage with --json to a file; returns (exit code, report or None, text report)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "r.json")
        p = subprocess.run([barrage] + args + ["--json", path, "--no-progress"], capture_output=True, text=True,
                           timeout=timeout)
        report = None
        if os.path.exists(path) and os.path.getsize(path):
            with open(path, encoding="utf-8") as f:
                report = json.load(f)
            report["_size"] = os.path.getsize(path)
        if p.returncode != 0:
            print("  barrage exited %d: %s" % (p.returncode, p.stderr.strip()))
        return p.returncode, report, p.stdout


def accounted(report, label):
    q = report["requests"]
    return check(q["started"] == q["succeeded"] + q["failed"] + q["timed_out"] + q["in_flight_at_end"],
                 "%s: started %d = succeeded %d + failed %d + timed out %d + in flight %d" %
                 (label, q["started"], q["succeeded"], q["failed"], q["timed_out"], q["in_flight_at_end"]))


def expected_resent(total, depth, limit, silent):
    """What one connection re-sends in barrage's closed model: batches of `depth`, a server
    answering `limit` requests per connection. The unanswered rest of a batch goes again on a
    new connection; after a silent close, the next batch finds out only by sending."""
    used, resent, left = 0, 0, total
    while left:
        n = min(depth, left)
        left -= n
        while n:
            if used == limit:  # silent: the connection is already closed
                resent += n
                used = 0
                continue
            answered = min(n, limit - used)
            used += answered
            n -= answered
            if used == limit and not silent:
                used = 0
            if n:
                resent += n
                used = 0
    return resent


def processed_by(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /count HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < int(
            data.split(b"Content-Length: ")[1].split(b"\r\n")[0]):
        data += s.recv(4096)
    s.close()
    return int(data.split(b"\r\n\r\n", 1)[1])


def pipelined_runs(barrage, url, limit, silent, label, processed):
    total = 0
    for depth in (2, 3, 4, 7, 8, 16):
        n = 40 * depth + 3
        code, rep, _ = run(barrage, [url, "-c", "1", "-t", "1", "-n", str(n), "--pipeline", str(depth)])
        if not check(code == 0 and rep is not None, "%s depth %d: a report" % (label, depth)):
            continue
        q = rep["requests"]
        total += n
        want = expected_resent(n, depth, limit, silent)
        check(q["failed"] == 0 and q["timed_out"] == 0 and q["succeeded"] == n,
              "%s depth %d: %d of %d succeeded, failed %d" % (label, depth, q["succeeded"], n, q["failed"]))
        check(q.get("resent") == want, "%s depth %d: re-sent %s (expected %d)" % (label, depth, q.get("resent"), want))
        check(q["retried"] == 0, "%s depth %d: re-sends are not retries" % (label, depth))
        accounted(rep, "%s depth %d" % (label, depth))
        if processed is not None:
            check(processed() == total, "%s depth %d: the server processed each request once (%d, expected %d)" %
                  (label, depth, processed(), total))
    # Several connections and threads at once: nothing fails, everything accounted.
    code, rep, text = run(barrage, [url, "-c", "8", "-t", "2", "-n", "4000", "--pipeline", "8"])
    if check(code == 0 and rep is not None, "%s -c 8 -t 2: a report" % label):
        q = rep["requests"]
        check(q["succeeded"] == 4000 and q["failed"] == 0, "%s -c 8 -t 2: 4000 succeeded, failed %d" % (label, q["failed"]))
        check(q["resent"] > 0, "%s -c 8 -t 2: re-sent %d" % (label, q["resent"]))
        check("re-sent %d" % q["resent"] in text, "%s: the text report shows re-sent" % label)
        accounted(rep, "%s -c 8 -t 2" % label)
        if processed is not None:
            check(processed() == total + 4000, "%s -c 8 -t 2: the server processed each request once" % label)


def case_pipeline_close_python(barrage):
    for mode in ("header", "silent"):
        port = free_port()
        start([sys.executable, os.path.join(HERE, "close_after_server.py"), str(port), "10", mode], port,
              "close_after_server")
        pipelined_runs(barrage, "http://127.0.0.1:%d/" % port, 10, mode == "silent", "python %s" % mode,
                       lambda: processed_by(port))
    # Not idempotent and no --retries: a POST behind a close is not sent again; it fails.
    port = free_port()
    start([sys.executable, os.path.join(HERE, "close_after_server.py"), str(port), "3", "header"], port,
          "close_after_server")
    code, rep, _ = run(barrage, ["http://127.0.0.1:%d/" % port, "-X", "POST", "-b", "x", "-c", "1", "-t", "1",
                                 "-n", "8", "--pipeline", "4"])
    if check(code == 0 and rep is not None, "POST: a report"):
        q = rep["requests"]
        check(q["resent"] == 0 and q["failed"] == 2 and rep["errors"]["closed_before_response"] == 2,
              "POST without --retries: the request behind the close fails (failed %d, re-sent %d)" %
              (q["failed"], q["resent"]))
        accounted(rep, "POST")
    code, rep, _ = run(barrage, ["http://127.0.0.1:%d/" % port, "-X", "POST", "-b", "x", "-c", "1", "-t", "1",
                                 "-n", "8", "--pipeline", "4", "--retries", "1"])
    if check(code == 0 and rep is not None, "POST --retries 1: a report"):
        q = rep["requests"]
        want = expected_resent(8, 4, 3, False)
        check(q["resent"] == want and q["failed"] == 0, "POST with --retries: re-sent %d (expected %d), failed %d" %
              (q["resent"], want, q["failed"]))
        accounted(rep, "POST --retries 1")


def case_pipeline_close_lighttpd(barrage):
    lighttpd = shutil.which("lighttpd") or "/usr/sbin/lighttpd"
    if not os.path.exists(lighttpd):
        check(False, "lighttpd is installed (tools/install-deps.sh)")
        return
    d = tempfile.mkdtemp()
    port = free_port()
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write("ok")
    conf = os.path.join(d, "lighttpd.conf")
    with open(conf, "w") as f:
        f.write('server.document-root = "%s"\nserver.bind = "127.0.0.1"\nserver.port = %d\n'
                'server.max-keep-alive-requests = 10\nserver.errorlog = "%s/error.log"\n' % (d, port, d))
    start([lighttpd, "-D", "-f", conf], port, "lighttpd")
    # lighttpd answers max-keep-alive-requests + 1 requests on a connection, the last with
    # `Connection: close` (1.4.69; checked by the re-sent counts below). Its access log is
    # buffered, so the close_after_server cases check that each request was processed once.
    pipelined_runs(barrage, "http://127.0.0.1:%d/index.html" % port, 11, False, "lighttpd", None)
    shutil.rmtree(d, ignore_errors=True)


def case_body_summary(barrage):
    port = free_port()
    start([barrage, "serve", "-l", "127.0.0.1:%d" % port, "-q", "--max-body", "2MiB"], port, "barrage serve")
    body = bytes(range(256)) * 4096  # 1 MiB, every byte value, invalid UTF-8 included
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(body)
    try:
        code, rep, _ = run(barrage, ["http://127.0.0.1:%d/echo" % port, "--body-file", f.name, "-c", "1", "-t", "1",
                                     "-n", "3", "--show-secrets"])
    finally:
        os.unlink(f.name)
    if not check(code == 0 and rep is not None, "body: a report"):
        return
    c = rep["config"]
    check(rep["_size"] < 20000, "body: the report is small (%d bytes for a 1 MiB body)" % rep["_size"])
    check("body" not in c, "body: the body itself is not in the report")
    check(c["body_bytes"] == len(body), "body: body_bytes %d" % c["body_bytes"])
    check(c["body_sha256"] == hashlib.sha256(body).hexdigest(), "body: body_sha256 is the SHA-256 of the file")
    want = "".join(chr(b) if 0x20 <= b < 0x7f and b != 0x5c else ("\\\\" if b == 0x5c else "\\x%02x" % b)
                   for b in body[:64])
    check(c["body_prefix"] == want, "body: with --show-secrets body_prefix is the first 64 bytes, escaped (%r)"
          % c["body_prefix"][:40])
    check(rep["schema_version"] == 5, "body: schema_version 5 (config.body is gone; errors.tls split in two; "
          "secrets redacted; latency_ms holds the successes only)")
    check(rep["requests"]["succeeded"] == 3, "body: the body was sent (%d succeeded)" % rep["requests"]["succeeded"])
    accounted(rep, "body")


def case_redirects(barrage):
    other = free_port()
    start([barrage, "serve", "-l", "127.0.0.1:%d" % other, "-q"], other, "barrage serve")
    port = free_port()
    start([sys.executable, os.path.join(HERE, "redirect_server.py"), str(port), str(other)], port, "redirect_server")
    base = "http://127.0.0.1:%d" % port

    def go(path, *extra, n=20):
        code, rep, text = run(barrage, [base + path, "-c", "2", "-t", "1", "-n", str(n)] + list(extra))
        if check(code == 0 and rep is not None, "%s %s: a report" % (path, " ".join(extra))):
            accounted(rep, "%s %s" % (path, " ".join(extra)))
        return rep, text

    rep, text = go("/r/301")
    if rep:
        check(rep["status_codes"] == {"301": 20} and rep["requests"]["succeeded"] == 20,
              "default: a 301 is the response and counts as success, as in wrk and ab")
        check(rep["config"]["redirects"] == 0 and rep["redirects"]["followed"] == 0, "default: --redirects 0")
        check("--redirects N" in text, "default: the text report says redirects were not followed")
    for code in (301, 302, 303, 307, 308):
        rep, text = go("/r/%d" % code, "--redirects", "1")
        if rep:
            check(rep["status_codes"] == {"200": 20} and rep["requests"]["started"] == 20,
                  "%d followed: one request each, status 200 (%s)" % (code, rep["status_codes"]))
            check(rep["redirects"]["followed"] == 20 and rep["redirects"]["hop_ms"]["count"] == 20,
                  "%d followed: 20 hops, each timed" % code)
            check("redirects followed 20" in text, "%d followed: the text report shows them" % code)
    rep, _ = go("/rel/302", "--redirects", "1")
    if rep:
        check(rep["status_codes"] == {"200": 20}, "a relative Location with ../ (%s)" % rep["status_codes"])
    rep, _ = go("/abs", "--max-redirs", "1")
    if rep:
        check(rep["status_codes"] == {"200": 20}, "an absolute URL to another server, --max-redirs (%s)" %
              rep["status_codes"])
        check(rep["connections_opened"] >= 22, "another server: a connection per hop (%d opened)" %
              rep["connections_opened"])
    rep, _ = go("/chain/3", "--redirects", "5")
    if rep:
        check(rep["status_codes"] == {"200": 20} and rep["redirects"]["followed"] == 60,
              "a chain of 3 is one request with 3 hops (%d hops)" % rep["redirects"]["followed"])
    rep, text = go("/loop", "--redirects", "4")
    if rep:
        check(rep["status_codes"] == {"302": 20} and rep["redirects"]["limit_reached"] == 20,
              "a loop: the 5th 302 stands, limit reached 20 (%s)" % rep["redirects"])
        check(rep["redirects"]["followed"] == 80, "a loop: 4 hops each")
        check(rep["requests"]["succeeded"] == 20, "a loop: the last 302 counts per --success-status")
    rep, _ = go("/loop", "--redirects", "2", "--success-status", "200")
    if rep:
        check(rep["requests"]["failed"] == 20 and rep["errors"].get("status_302") == 20,
              "a loop with --success-status 200: the 302s fail")
    rep, _ = go("/nolocation", "--redirects", "3")
    if rep:
        check(rep["redirects"]["not_followable"] == 20 and rep["status_codes"] == {"302": 20},
              "no Location: not followable, the 302 stands")
    for code in (307, 308):
        rep, _ = go("/post/%d" % code, "-X", "POST", "-b", "payload", "--redirects", "1")
        if rep:
            check(rep["status_codes"] == {"200": 20}, "%d keeps POST and its body (%s)" % (code, rep["status_codes"]))
    for code in (301, 302, 303):
        rep, _ = go("/get/%d" % code, "-X", "POST", "-b", "payload", "--redirects", "1")
        if rep:
            check(rep["status_codes"] == {"200": 20}, "%d turns POST into GET without body (%s)" %
                  (code, rep["status_codes"]))
    rep, _ = go("/r/302", "--redirects", "1", "--pipeline", "4", n=40)
    if rep:
        check(rep["status_codes"] == {"200": 40} and rep["redirects"]["followed"] == 40,
              "pipelined requests follow their redirects too (%s)" % rep["status_codes"])
    help_text = subprocess.run([barrage, "--help"], capture_output=True, text=True).stdout
    check("--redirects" in help_text and "Default 0" in help_text, "--help documents --redirects and its default")


def case_bad_status_errors(barrage):
    port = free_port()
    start([barrage, "serve", "-l", "127.0.0.1:%d" % port, "-q"], port, "barrage serve")
    code, rep, text = run(barrage, ["http://127.0.0.1:%d/status/500" % port, "-c", "2", "-t", "1", "-n", "300"])
    if not check(code == 0 and rep is not None, "500: a report"):
        return
    check(rep["requests"]["failed"] == 300, "500: 300 failed")
    check("Errors  none" not in text, "500: the text report does not say \"Errors  none\"")
    errors = text.split("Errors", 1)[1].split("Accounting", 1)[0]
    check("status 500" in errors and "300" in errors, "500: the errors section lists status 500 with its count")
    check(rep["errors"].get("status_500") == 300, "500: JSON errors has status_500: 300")
    check(sum(rep["errors"].values()) == rep["requests"]["failed"] + rep["requests"]["timed_out"],
          "500: the JSON errors add up to failed + timed_out")
    accounted(rep, "500")


def case_refused_bytes(barrage):
    port = free_port()  # nothing listens there
    for model in ([], ["-r", "200"]):
        code, rep, text = run(barrage, ["http://127.0.0.1:%d/" % port, "-c", "2", "-t", "1", "-d", "500ms"] + model)
        if not check(code == 0 and rep is not None, "refused %s: a report" % model):
            continue
        check(rep["connections_opened"] == 0 and rep["errors"]["refused"] > 0, "refused %s: no connection" % model)
        check(rep["bytes"]["sent"] == 0, "refused %s: 0 bytes sent (%d)" % (model, rep["bytes"]["sent"]))
        check("Sent              0 B" in text, "refused %s: the text report says Sent 0 B" % model)
        accounted(rep, "refused %s" % model)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        print("usage: accounting_cases.py BARRAGE {%s}" % ",".join(CASES), file=sys.stderr)
        return 2
    guard_children()
    try:
        print("case %s" % sys.argv[2], flush=True)
        CASES[sys.argv[2]](os.path.abspath(sys.argv[1]))
    except Exception as e:  # a server that did not start, a barrage that hung
        check(False, "%s: %s" % (type(e).__name__, e))
    finally:
        cleanup()
    print("%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
