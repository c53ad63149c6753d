#!/usr/bin/env python3
"""`barrage serve` over HTTPS against real TLS clients, on 127.0.0.1 (issue 15).

  server_tls_test.py BARRAGE CASE

Cases:
  clients     --tls-self-signed --tls-cert-out: curl with --cacert and with -k (routes, bodies
              both ways, keep-alive), openssl s_client (version, cipher, ALPN, resumption with
              -sess_out/-sess_in for TLS 1.3 and 1.2, a chosen TLS 1.3 suite), wrk, h2load --h1,
              Python's urllib and ssl; the fingerprint printed at start is the certificate's;
              /metrics counts the handshakes (full, resumed)
  mutual      --tls-cert/--tls-key/--tls-client-ca from a CA made by the openssl command: curl
              with a client certificate (200), without one and with one from another CA
              (refused, counted by reason), barrage's own generator with --cert/--key
  lifecycle   a client that sends nothing is cut at --tls-handshake-timeout (timed_out), plain
              HTTP on the HTTPS port fails its handshake (failed) and the server goes on (with
              --max-connections 1: neither keeps its slot);
              close_notify after Connection: close, at the idle timeout and at shutdown
  demo        barrage demo --tls: the run over HTTPS, the generator verifying the certificate
  bad_options a missing file, a file that is no certificate, a key of another certificate,
              options that need TLS, bad versions and ciphers, an unwritable --tls-cert-out:
              one line and exit 2 (command line) or 1 (setup)
Certificates and keys are made at test time in a temporary directory. Every child is killed on
exit. Exit 0 when the case passed, 1 otherwise.
"""
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

from harness import CHILDREN, FAILURES, check, cleanup, guard_children  # noqa: E402

WORK = tempfile.mkdtemp(prefix="barrage-tls-")


def need(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        print("FAIL: not installed: %s (tools/install-deps.sh installs them)" % ", ".join(missing))
        sys.exit(1)


def path(name):
    return os.path.join(WORK, name)


def serve(barrage, args):
    """Starts barrage serve on an ephemeral port; returns (process, port, startup lines)."""
    out = open(path("serve.out"), "w")
    err = open(path("serve.err"), "w")
    p = subprocess.Popen([barrage, "serve", "--listen", "127.0.0.1:0"] + args, stdout=out, stderr=err)
    CHILDREN.append(p)
    deadline = time.time() + 10
    while time.time() < deadline:
        text = open(path("serve.out")).read()
        m = re.search(r"listening on https://127\.0\.0\.1:(\d+)", text)
        if m and ("fingerprint" in text):
            time.sleep(0.1)  # the rest of the startup lines
            return p, int(m.group(1)), open(path("serve.out")).read()
        if p.poll() is not None:
            raise RuntimeError("barrage serve exited %d: %s" % (p.returncode, open(path("serve.err")).read()))
        time.sleep(0.05)
    raise RuntimeError("barrage serve did not start: " + open(path("serve.out")).read())


def run(cmd, timeout=30, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def curl(*args):
    return run(["curl", "-sS", "--max-time", "10"] + list(args))


def metrics(port, *curl_tls):
    text = curl(*curl_tls, "https://127.0.0.1:%d/metrics" % port).stdout
    got = {}
    for m in re.finditer(r'^barrage_server_tls_handshakes_total\{result="(\w+)"\} (\d+)$', text, re.M):
        got[m.group(1)] = int(m.group(2))
    for m in re.finditer(r'^barrage_server_tls_handshake_failures_total\{reason="(\w+)"\} (\d+)$', text, re.M):
        got["reason:" + m.group(1)] = int(m.group(2))
    return got


def s_client(port, *args, data=b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"):
    """-ign_eof: s_client reads until the server closes (the request asks it to), not until stdin ends."""
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost",
                        "-CAfile", path("cert.pem"), "-verify_return_error", "-ign_eof"] + list(args),
                       input=data, capture_output=True, timeout=15)
    return p.stdout.decode("utf-8", "replace")


# ------------------------------------------------------------------------------------------- clients


def case_clients(barrage):
    need("curl", "openssl", "wrk", "h2load")
    p, port, startup = serve(barrage, ["--tls-self-signed", "--tls-cert-out", path("cert.pem"), "--threads", "2"])
    url = "https://127.0.0.1:%d" % port
    ca = ["--cacert", path("cert.pem")]
    print(startup.strip())

    fp = re.search(r"SHA-256 fingerprint ([0-9A-F:]+)", startup)
    x509 = run(["openssl", "x509", "-in", path("cert.pem"), "-noout", "-fingerprint", "-sha256"]).stdout
    check(fp is not None and fp.group(1) in x509, "the fingerprint printed at start is the certificate's: " + x509.strip())
    check("self-signed for localhost, 127.0.0.1, ::1" in startup, "the certificate names localhost, 127.0.0.1, ::1")

    # curl, verifying against the written certificate, by address and by name
    r = curl(*ca, "-w", " %{http_version} %{ssl_verify_result}", url + "/")
    check(r.stdout == "hello\n 2 0", "curl --cacert GET / over h2 (ALPN), verified: %r %s" % (r.stdout, r.stderr.strip()))
    r = curl(*ca, "--http1.1", "-w", " %{http_version} %{ssl_verify_result}", url + "/")
    check(r.stdout == "hello\n 1.1 0", "curl --cacert --http1.1 GET / over HTTP/1.1, verified: %r %s" %
          (r.stdout, r.stderr.strip()))
    r = curl(*ca, "https://localhost:%d/status/418" % port, "-o", "/dev/null", "-w", "%{http_code}")
    check(r.stdout == "418", "curl --cacert https://localhost: /status/418 -> %r" % r.stdout)
    r = curl("-k", url + "/headers", "-H", "X-Probe: tls")
    check(r.returncode == 0 and "x-probe: tls" in r.stdout.lower(), "curl -k /headers echoes X-Probe")
    r = curl(url + "/")
    check(r.returncode == 60, "curl without --cacert refuses the self-signed certificate (exit %d)" % r.returncode)
    with open(path("big"), "wb") as f:
        f.write(os.urandom(300_000))
    r = curl(*ca, "--data-binary", "@" + path("big"), url + "/echo", "-o", path("big.back"))
    check(r.returncode == 0 and open(path("big"), "rb").read() == open(path("big.back"), "rb").read(),
          "POST /echo 300 kB over TLS comes back whole")
    r = run(["bash", "-c", "printf 'chunked body' | curl -sS --cacert %s -H 'Transfer-Encoding: chunked' "
             "--data-binary @- %s/echo" % (path("cert.pem"), url)])
    check(r.stdout == "chunked body", "chunked upload over TLS: %r" % r.stdout)
    r = run(["curl", "-sS"] + ca + [url + "/bytes/5MiB", "-o", path("five")])
    check(r.returncode == 0 and os.path.getsize(path("five")) == 5 * 1024 * 1024, "GET /bytes/5MiB: 5242880 bytes")
    r = curl(*ca, "-N", url + "/stream/3?interval=10ms")
    check(r.stdout.count("\n") == 3, "/stream/3 over TLS: 3 lines")
    r = curl(*ca, "-w", "%{num_connects}\n", url + "/", url + "/", url + "/", "-o", "/dev/null", "-o", "/dev/null",
             "-o", "/dev/null")
    check(sum(int(x) for x in r.stdout.split()) == 1, "curl keeps one TLS connection for 3 requests")

    # openssl s_client: version, cipher, ALPN, verification, resumption
    out = s_client(port, "-alpn", "http/1.1", "-sess_out", path("s13"))
    check("New, TLSv1.3" in out and "ALPN protocol: http/1.1" in out and "Verify return code: 0 (ok)" in out
          and "hello" in out, "s_client: TLS 1.3, ALPN http/1.1, verified, GET / answered")
    out = s_client(port, "-sess_in", path("s13"))
    check("Reused, TLSv1.3" in out, "s_client -sess_in resumes the TLS 1.3 session (ticket): %s" %
          (re.search(r"^(New|Reused),.*$", out, re.M) or [""])[0])
    out = s_client(port, "-tls1_2", "-sess_out", path("s12"))
    check("New, TLSv1.2, Cipher is ECDHE-ECDSA-" in out, "s_client -tls1_2: TLS 1.2, an ECDHE-ECDSA cipher")
    out = s_client(port, "-tls1_2", "-sess_in", path("s12"))
    check("Reused, TLSv1.2" in out, "s_client -tls1_2 -sess_in resumes the TLS 1.2 session")
    out = s_client(port, "-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256")
    check("Cipher is TLS_CHACHA20_POLY1305_SHA256" in out, "s_client picks TLS_CHACHA20_POLY1305_SHA256: the server agrees")

    # wrk and h2load (HTTP/1.1 over TLS)
    r = run(["wrk", "-t1", "-c20", "-d2s", url + "/"], timeout=30)
    rps = re.search(r"Requests/sec:\s*([0-9.]+)", r.stdout)
    check(r.returncode == 0 and rps and float(rps.group(1)) > 200 and "Non-2xx" not in r.stdout
          and "Socket errors" not in r.stdout, "wrk https: %s requests/s, no errors" % (rps.group(1) if rps else "?"))
    r = run(["h2load", "--h1", "-n", "2000", "-c", "10", url + "/"], timeout=60)
    check("2000 succeeded, 0 failed, 0 errored" in r.stdout and "TLS Protocol: TLSv1.3" in r.stdout,
          "h2load --h1: 2000 succeeded over TLS 1.3: %s" %
          (re.search(r"requests:.*", r.stdout) or [r.stdout[-200:]])[0])

    # Python: urllib with the certificate as the only trust anchor, and a raw ssl socket
    ctx = ssl.create_default_context(cafile=path("cert.pem"))
    with urllib.request.urlopen(url + "/bytes/100000", context=ctx, timeout=10) as resp:
        body = resp.read()
    check(resp.status == 200 and len(body) == 100000, "urllib: GET /bytes/100000 -> 200, 100000 bytes")
    req = urllib.request.Request(url + "/echo", data=b"x" * 70000, method="POST")
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        check(resp.read() == b"x" * 70000, "urllib: POST /echo 70000 bytes back")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            check(s.version() == "TLSv1.3" and s.selected_alpn_protocol() is None,
                  "Python ssl: TLS 1.3 (no ALPN offered, none answered)")

    m = metrics(port, *ca)
    print("  handshakes: %s" % m)
    check(m.get("full", 0) >= 20 and m.get("resumed", 0) >= 2, "/metrics counts full (%d) and resumed (%d) handshakes"
          % (m.get("full", 0), m.get("resumed", 0)))
    check(p.poll() is None, "the server is still up")


# ------------------------------------------------------------------------------------------- mutual


def make_pki():
    """A CA, a server leaf for localhost/127.0.0.1, a client leaf, and a client of another CA."""
    def sh(*args):
        r = run(["openssl"] + list(args))
        if r.returncode != 0:
            raise RuntimeError("openssl %s: %s" % (args[0], r.stderr))

    for ca in ("ca", "other-ca"):
        sh("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path(ca + ".key"),
           "-out", path(ca + ".crt"), "-days", "1", "-subj", "/CN=barrage test " + ca)
    for leaf, ca, san in (("server", "ca", "DNS:localhost,IP:127.0.0.1"), ("client", "ca", "DNS:client"),
                          ("stranger", "other-ca", "DNS:stranger")):
        sh("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path(leaf + ".key"),
           "-out", path(leaf + ".csr"), "-subj", "/CN=" + leaf)
        with open(path(leaf + ".ext"), "w") as f:
            f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n" % san)
        sh("x509", "-req", "-in", path(leaf + ".csr"), "-CA", path(ca + ".crt"), "-CAkey", path(ca + ".key"),
           "-CAcreateserial", "-out", path(leaf + ".crt"), "-days", "1", "-extfile", path(leaf + ".ext"))


def case_mutual(barrage):
    need("curl", "openssl")
    make_pki()
    p, port, startup = serve(barrage, ["--tls-cert", path("server.crt"), "--tls-key", path("server.key"),
                                       "--tls-client-ca", path("ca.crt")])
    print(startup.strip())
    check("clients must present a certificate signed by" in startup, "the start says client certificates are required")
    url = "https://127.0.0.1:%d/" % port
    me = ["--cacert", path("ca.crt"), "--cert", path("client.crt"), "--key", path("client.key")]
    r = curl(*me, url)
    check(r.stdout == "hello\n", "curl with a client certificate of the CA: hello (%s)" % r.stderr.strip())
    # HTTP/1.1: curl's h2 path reports the reset that follows the alert, not the alert.
    r = curl("--cacert", path("ca.crt"), "--http1.1", url)
    check(r.returncode != 0 and "certificate required" in r.stderr,
          "curl without a client certificate is refused: %s" % r.stderr.strip())
    r = curl("--cacert", path("ca.crt"), "--cert", path("stranger.crt"), "--key", path("stranger.key"), url)
    check(r.returncode != 0, "curl with a certificate of another CA is refused: %s" % r.stderr.strip())
    m = metrics(port, *me)
    print("  handshakes: %s" % m)
    check(m.get("failed") == 2 and m.get("reason:client_certificate_required") == 1 and m.get("reason:verify") == 1
          and m.get("full") == 2, "/metrics: 2 failed (1 client_certificate_required, 1 verify: another CA's), 2 full")

    report = path("mtls.json")
    r = run([barrage, "https://127.0.0.1:%d/" % port] + me + ["-c", "4", "-t", "1", "-d", "1s", "--no-progress",
                                                             "--json", report])
    q = json.load(open(report))["requests"] if os.path.exists(report) else {}
    check(r.returncode == 0 and q.get("succeeded", 0) > 0 and q.get("failed") == 0,
          "barrage --cert/--key against it: %s succeeded, %s failed (exit %d)" %
          (q.get("succeeded"), q.get("failed"), r.returncode))
    check(p.poll() is None, "the server is still up")


# ------------------------------------------------------------------------------------------- lifecycle


def tls_client(port, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    # suppress_ragged_eofs=False: an end without close_notify raises SSLEOFError instead of b"".
    return ctx.wrap_socket(raw, server_hostname="localhost", suppress_ragged_eofs=False)


def read_to_end(s):
    """Everything until the server's close: (bytes, how it ended: "close_notify" or the error)."""
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return got, "close_notify"
            got += chunk
    except (ssl.SSLError, OSError) as e:
        return got, type(e).__name__ + ": " + str(e)


def case_lifecycle(barrage):
    need("curl")
    p, port, _ = serve(barrage, ["--tls-self-signed", "--tls-cert-out", path("cert.pem"),
                                 "--tls-handshake-timeout", "1s", "--idle-timeout", "1500ms", "--grace", "2s",
                                 # one connection at a time: each step below needs the slot the
                                 # one before gave back, failed and timed-out handshakes included
                                 "--max-connections", "1"])
    ca = ["--cacert", path("cert.pem")]

    # A connection that never starts its handshake is closed at the handshake timeout.
    t = time.time()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        data = raw.recv(100)
    took = time.time() - t
    check(data == b"" and 0.8 < took < 3, "a silent client is closed after the 1s handshake timeout (%.2f s)" % took)
    # Plain HTTP on the HTTPS port: the handshake fails; the server goes on.
    r = curl("http://127.0.0.1:%d/" % port)
    check(r.returncode != 0, "plain HTTP to the HTTPS port fails (curl exit %d)" % r.returncode)
    m = metrics(port, *ca)
    print("  handshakes: %s" % m)
    check(m.get("timed_out") == 1 and m.get("failed") == 1 and m.get("reason:handshake") == 1,
          "/metrics: 1 timed_out, 1 failed (reason handshake)")

    # Connection: close: the whole answer, then a close_notify.
    s = tls_client(port, path("cert.pem"))
    s.sendall(b"GET /bytes/1MiB HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    got, end = read_to_end(s)
    s.close()
    check(got.endswith(b"\r\n\r\n" + got.split(b"\r\n\r\n", 1)[1]) and len(got.split(b"\r\n\r\n", 1)[1]) == 1 << 20
          and end == "close_notify", "Connection: close: 1 MiB whole, then close_notify (%s)" % end)
    # The idle timeout: close_notify, no bare FIN.
    s = tls_client(port, path("cert.pem"))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    t = time.time()
    got, end = read_to_end(s)
    s.close()
    check(got.endswith(b"hello\n") and end == "close_notify" and 1.0 < time.time() - t < 4,
          "an idle keep-alive connection ends at the idle timeout with close_notify (%s, %.2f s)" % (end, time.time() - t))
    # Shutdown: an idle connection gets close_notify; the server exits 0.
    s = tls_client(port, path("cert.pem"))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    first = s.recv(65536)
    p.terminate()
    got, end = read_to_end(s)
    s.close()
    check(first.endswith(b"hello\n") and end == "close_notify", "at SIGTERM an idle connection gets close_notify (%s)" % end)
    try:
        code = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        code = None
    check(code == 0, "barrage serve exits 0 after SIGTERM (%s)" % code)


# ------------------------------------------------------------------------------------------- bad options


def case_bad_options(barrage):
    make_pki()
    with open(path("junk.pem"), "w") as f:
        f.write("not a certificate\n")
    cert, key = path("server.crt"), path("server.key")
    cases = [
        # name, arguments, exit status, the line on stderr (a regex)
        ("missing certificate file", ["--tls-cert", path("none.pem"), "--tls-key", key], 2,
         r'^barrage serve: --tls-cert: cannot read ".*none\.pem": No such file or directory$'),
        ("certificate without key", ["--tls-cert", cert], 2,
         r"^barrage serve: --tls-cert needs its private key: give --tls-key FILE too$"),
        ("key without certificate", ["--tls-key", key], 2,
         r"^barrage serve: --tls-key needs its certificate: give --tls-cert FILE too$"),
        ("both certificate sources", ["--tls-self-signed", "--tls-cert", cert, "--tls-key", key], 2,
         r"^barrage serve: --tls-self-signed makes its own certificate: give it or --tls-cert/--tls-key$"),
        ("client CA without TLS", ["--tls-client-ca", path("ca.crt")], 2,
         r"^barrage serve: --tls-client-ca needs --tls-cert FILE --tls-key FILE or --tls-self-signed$"),
        ("name without self-signed", ["--tls-name", "example.test"], 2,
         r"^barrage serve: --tls-name names the certificate of --tls-self-signed: give that too$"),
        ("bad version", ["--tls-self-signed", "--tls-min", "1.4"], 2,
         r'^barrage serve: --tls-min: bad TLS version "1.4": expected 1.2 or 1.3$'),
        ("min above max", ["--tls-self-signed", "--tls-min", "1.3", "--tls-max", "1.2"], 2,
         r"^barrage serve: --tls-min 1.3 is above --tls-max 1.2$"),
        ("zero handshake timeout", ["--tls-self-signed", "--tls-handshake-timeout", "0"], 2,
         r"^barrage serve: --tls-handshake-timeout: bad duration \"0\": must be above 0$"),
        ("file that is no certificate", ["--tls-cert", path("junk.pem"), "--tls-key", key], 1,
         r"^barrage serve: certificate file .*junk\.pem: .*no start line.*$"),
        ("key of another certificate", ["--tls-cert", cert, "--tls-key", path("client.key")], 1,
         r"^barrage serve: key file .*client\.key does not match certificate file .*server\.crt: .*$"),
        ("unknown cipher", ["--tls-self-signed", "--ciphers", "NO-SUCH-CIPHER"], 1,
         r'^barrage serve: TLS 1.2 ciphers "NO-SUCH-CIPHER": .*$'),
        ("unwritable --tls-cert-out", ["--tls-self-signed", "--tls-cert-out", path("no/such/dir/c.pem")], 1,
         r'^barrage serve: cannot write --tls-cert-out ".*c\.pem": No such file or directory$'),
    ]
    for name, args, status, line in cases:
        r = run([barrage, "serve", "--listen", "127.0.0.1:0"] + args, timeout=10)
        err = r.stderr.strip()
        check(r.returncode == status and len(err.splitlines()) == 1 and re.match(line, err) is not None,
              "%s: exit %d, %s" % (name, r.returncode, err))


# ------------------------------------------------------------------------------------------- demo


def case_demo(barrage):
    r = run([barrage, "demo", "--tls", "-d", "1s", "-c", "10", "-t", "1", "--path", "/"], timeout=60)
    print("\n".join("  | " + line for line in r.stdout.splitlines()[:2]))
    check(r.returncode == 0, "barrage demo --tls exits 0 (%d): %s" % (r.returncode, r.stderr.strip()))
    check("over HTTPS, self-signed certificate (SHA-256 " in r.stdout, "it says it runs over HTTPS")
    check(re.search(r"GET https://127\.0\.0\.1:\d+/ ", r.stdout) is not None, "the target is an https:// URL")
    tls = re.search(r"TLS (\d+) handshakes .*; (TLSv1\.3) ", r.stdout)
    check(tls is not None and int(tls.group(1)) >= 10, "the generator made TLS 1.3 handshakes, verified: %s"
          % (tls.group(0) if tls else "no TLS line"))
    ok = re.search(r"Successful\s+(\d+)", r.stdout)
    check(ok is not None and int(ok.group(1)) > 100 and re.search(r"^Errors\s+none", r.stdout, re.M) is not None,
          "requests succeeded, no errors")
    left = [f for f in os.listdir("/tmp") if f.startswith("barrage-demo-cert-")]
    check(not left, "the certificate's temporary file is gone: %s" % left)


CASES = {"demo": case_demo, "clients": case_clients, "mutual": case_mutual, "lifecycle": case_lifecycle, "bad_options": case_bad_options}


def main():
    guard_children()
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        print("usage: server_tls_test.py BARRAGE {%s}" % "|".join(CASES))
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
