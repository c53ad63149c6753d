#!/usr/bin/env python3
"""The real binary's command lines: every usage error exits 2 with one line on stderr that names
the option and the bad value, in `barrage URL`, `barrage serve` and `barrage demo`; and the
behaviours a newcomer meets first: --help lists the commands, --json - keeps stdout JSON only,
--timeout 0 is no limit.

  cli_usage_test.py BARRAGE

Loopback only; the target is `barrage serve` on an ephemeral port. Bounded: about 10 s.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)
    return ok


def run(args, timeout=20):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def start_server(barrage):
    p = subprocess.Popen([barrage, "serve", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r"listening on http://(127\.0\.0\.1:\d+)", line)
    if not m:
        p.kill()
        sys.exit("FAIL: barrage serve did not start: %r" % line)
    return p, "http://" + m.group(1)


def usage_errors(barrage, url):
    # (label, arguments, texts the one line must contain: the option and the value)
    run_cases = [
        ("retry-on beyond 64 bits", ["--retry-on", "99999999999999999999"], ["--retry-on", "99999999999999999999"]),
        ("retry-on trailing garbage", ["--retry-on", "503x"], ["--retry-on", "503x"]),
        ("retry-on half a class", ["--retry-on", "5x"], ["--retry-on", '"5x"']),
        ("retry-on wrapped 32 bits", ["--retry-on", "4294967297"], ["--retry-on", "4294967297"]),
        ("retry-on five digits", ["--retry-on", "99999"], ["--retry-on", "99999"]),
        ("pipeline zero", ["--pipeline", "0"], ["--pipeline", '"0"', "1 and 1024"]),
        ("resolve without address", ["--resolve", "api.example:443"], ["--resolve", '"api.example:443"', "HOST:PORT:ADDR"]),
        ("resolve port zero", ["--resolve", "api.example:0:127.0.0.1"], ["--resolve", '"0"', "1 to 65535"]),
        ("resolve a name for address", ["--resolve", "a.example:80:localhost"], ["--resolve", '"localhost"']),
        ("pipeline too deep", ["--pipeline", "10000000"], ["--pipeline", "10000000", "1 and 1024"]),
        ("connections negative", ["-c", "-1"], ["--connections", '"-1"']),
        ("connections 2^32+1", ["-c", "4294967297"], ["--connections", "4294967297"]),
        ("connections garbage", ["-c", "10x"], ["--connections", "10x"]),
        ("connections empty", ["-c", ""], ["--connections", '""']),
        ("threads zero", ["-t", "0"], ["--threads", '"0"']),
        ("threads beyond 64 bits", ["-t", "99999999999999999999"], ["--threads", "99999999999999999999"]),
        ("retries negative", ["--retries", "-1"], ["--retries", '"-1"']),
        ("requests zero", ["-n", "0"], ["--requests", '"0"']),
        ("duration zero", ["-d", "0"], ["--duration", '"0"']),
        ("timeout negative", ["--timeout", "-1s"], ["--timeout", "-1s"]),
        ("timeout wrong unit", ["--timeout", "10 parsecs"], ["--timeout", "10 parsecs"]),
        ("connect-timeout garbage", ["--connect-timeout", "5s!"], ["--connect-timeout", "5s!"]),
        ("ramp zero length", ["--ramp", "0s:10"], ["--ramp", "0s:10"]),
        ("success-status 600", ["--success-status", "600"], ["--success-status", "600"]),
        ("empty method", ["-X", ""], ["--method", '""']),
        ("bad header", ["-H", "bad header"], ["--header", "bad header"]),
        ("bad redact-header", ["--redact-header", "a b"], ["--redact-header", '"a b"']),
        ("body and body-file", ["-b", "x", "--body-file", "/dev/null"], ["--body", "--body-file"]),
        ("missing body-file", ["--body-file", "/nonexistent/x"], ["--body-file", "/nonexistent/x"]),
        ("empty json path", ["--json", ""], ["--json", '""']),
        ("bad threshold", ["--threshold", "p99<250"], ["--threshold", "p99<250"]),
        ("unknown option", ["--no-such-flag"], ["--no-such-flag"]),
        ("missing cacert", ["--cacert", "/nonexistent/ca.pem"], ["--cacert", "/nonexistent/ca.pem"]),
        ("cert without key", ["--cert", "/dev/null"], ["--cert", "--key"]),
        ("tls-min 1.1", ["--tls-min", "1.1"], ["--tls-min", '"1.1"']),
        ("tls-min above tls-max", ["--tls-min", "1.3", "--tls-max", "1.2"], ["--tls-min", "--tls-max"]),
        ("empty ciphers", ["--ciphers", ""], ["--ciphers", '""']),
        ("streams zero", ["--http2-prior-knowledge", "-m", "0"], ["--streams", '"0"', "1 and 1000"]),
        ("streams garbage", ["--http2-prior-knowledge", "--streams", "ten"], ["--streams", '"ten"']),
        ("streams without http2", ["-m", "10"], ["--streams", "--http2-prior-knowledge"]),
        ("http2 on an http url", ["--http2"], ["--http2", "https://"]),
        ("http2 with pipelining", ["--http2-prior-knowledge", "--pipeline", "4"], ["--pipeline", "HTTP/2", "--streams"]),
        ("h2 window above 2^31-1", ["--http2-prior-knowledge", "--h2-window", "2GiB"], ["--h2-window", '"2GiB"']),
        ("two http versions", ["--http1.1", "--http2-prior-knowledge"], ["--http1.1", "--http2-prior-knowledge"]),
    ]
    for label, args, needles in run_cases:
        check_usage_error(label, [barrage, url, "-n", "1", "--no-progress", *args], needles)
    url_cases = [
        ("ftp URL", "ftp://127.0.0.1/", ['"ftp://127.0.0.1/"', 'scheme "ftp" is not supported']),
        ("empty host", "http:///", ['"http:///"', "no host"]),
        ("port 0", "http://127.0.0.1:0/", ['"http://127.0.0.1:0/"', "port"]),
        ("port 99999", "http://127.0.0.1:99999/", ['"http://127.0.0.1:99999/"', "port"]),
        ("space in URL", "http://127.0.0.1/a b", ['"http://127.0.0.1/a b"', "whitespace"]),
        ("no scheme", "127.0.0.1:80", ['"127.0.0.1:80"', "http://", "https://"]),
    ]
    for label, bad_url, needles in url_cases:
        check_usage_error(label, [barrage, bad_url, "-n", "1", "--no-progress"], needles)
    # A bad --ciphers name is OpenSSL's to judge: a setup error (exit 1) naming the list.
    code, out, err = run([barrage, "https://127.0.0.1:1/", "-n", "1", "--no-progress", "--ciphers", "NO-SUCH-CIPHER"])
    check(code != 0 and "NO-SUCH-CIPHER" in err and len(err.strip().splitlines()) == 1 and out == "",
          "bad --ciphers: one line naming it (got %r, exit %d)" % (err.strip(), code))

    serve_cases = [
        ("serve threads zero", ["--threads", "0"], ["--threads", '"0"']),
        ("serve threads negative", ["-t", "-1"], ["--threads", '"-1"']),
        ("serve max-body abc", ["--max-body", "abc"], ["--max-body", '"abc"']),
        ("serve port above 65535", ["--listen", "127.0.0.1:99999"], ["--listen", "127.0.0.1:99999"]),
        ("serve listen name", ["--listen", "example.com:80"], ["--listen", "example.com:80"]),
        ("serve max-head tiny", ["--max-head", "10"], ["--max-head", '"10"']),
        ("serve max-connections zero", ["--max-connections", "0"], ["--max-connections", '"0"']),
        ("serve head-timeout garbage", ["--head-timeout", "1x"], ["--head-timeout", '"1x"']),
        ("serve stall alone", ["--stall-every", "1s"], ["--stall-every", "--stall-for"]),
        ("serve stall too long", ["--stall-every", "1s", "--stall-for", "2s"], ["--stall-for", '"2s"']),
        ("serve unknown option", ["--bogus"], ["--bogus"]),
    ]
    for label, args, needles in serve_cases:
        check_usage_error(label, [barrage, "serve", "--listen", "127.0.0.1:0", *args], needles)
    demo_cases = [
        ("demo duration zero", ["-d", "0"], ["--duration", '"0"']),
        ("demo connections garbage", ["-c", "5x"], ["--connections", '"5x"']),
        ("demo threads zero", ["-t", "0"], ["--threads", '"0"']),
        ("demo path without slash", ["--path", "delay"], ["--path", '"delay"']),
    ]
    for label, args, needles in demo_cases:
        check_usage_error(label, [barrage, "demo", *args], needles)


def check_usage_error(label, args, needles):
    rc, out, err = run(args)
    lines = err.splitlines()
    ok = check(rc == 2, "%s: exit 2 (got %d)" % (label, rc))
    ok &= check(len(lines) == 1, "%s: one line on stderr (got %r)" % (label, lines))
    for n in needles:
        ok &= check(bool(lines) and n in lines[0], "%s: the line names %r (%r)" % (label, n, lines[:1]))
    check(out == "", "%s: nothing on stdout" % label)


def json_to_stdout(barrage, url):
    rc, out, err = run([barrage, url + "/", "-n", "20", "-c", "2", "-t", "1", "--no-progress", "--json", "-"])
    check(rc == 0, "--json -: exit 0 (%d: %s)" % (rc, err.strip()[:200].replace("\n", " | ")))
    try:
        doc = json.loads(out)
        check(doc["requests"]["succeeded"] == 20, "--json -: stdout is one JSON document with the 20 requests")
    except ValueError as e:
        check(False, "--json -: stdout parses as JSON (%s; starts %r)" % (e, out[:60]))
    check("Summary" in err, "--json -: the text report went to stderr")
    # The same through a pipe, as a user would write it.
    shell = "%s %s/ -n 5 -c 1 -t 1 --no-progress --json - | %s -c 'import json,sys; json.load(sys.stdin)'" % (
        barrage, url, sys.executable)
    p = subprocess.run(shell, shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    check(p.returncode == 0, "barrage ... --json - | python3 -c 'json.load(sys.stdin)' succeeds")


def no_time_limit(barrage, url):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "r.json")
        rc, out, err = run([barrage, url + "/delay/300ms", "-n", "2", "-c", "1", "-t", "1", "--timeout", "0",
                            "--connect-timeout", "0", "--no-progress", "--json", path])
        check(rc == 0, "--timeout 0: exit 0 (%d: %s)" % (rc, err.strip()[:200].replace("\n", " | ")))
        with open(path) as f:
            doc = json.load(f)
    succeeded = doc["requests"]["succeeded"]
    check(succeeded == 2, "--timeout 0: both 300 ms requests succeed (succeeded %r)" % succeeded)
    check(doc["config"]["timeout_s"] == 0 and doc["config"]["connect_timeout_s"] == 0,
          "--timeout 0: the report says 0 (no limit)")
    check(doc["requests"]["timed_out"] == 0 and doc["errors"]["timeout"] == 0, "--timeout 0: no timeouts")
    check("request none, connect none" in out, "--timeout 0: the text report says 'request none, connect none'")


def help_lists_commands(barrage):
    rc, out, _ = run([barrage, "--help"])
    check(rc == 0, "--help: exit 0")
    check("barrage serve" in out and "barrage demo" in out, "--help lists serve and demo")
    check("1-1024" in out, "--help documents the --pipeline and --threads limit 1-1024")
    check("0: no limit" in out, "--help documents --timeout 0")
    rc, out, _ = run([barrage, "serve", "--help"])
    check(rc == 0 and "Exit status" in out, "serve --help: exit 0 and the exit statuses")


def main():
    barrage = sys.argv[1]
    server, url = start_server(barrage)
    try:
        usage_errors(barrage, url)
        json_to_stdout(barrage, url)
        no_time_limit(barrage, url)
        help_lists_commands(barrage)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    if failures:
        print("%d checks failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
