#!/usr/bin/env python3
"""The generator against a server that requires a client certificate and refuses a handshake
without one: `openssl s_server -Verify 1` on 127.0.0.1 (nginx answers 400 instead; that case is
a unit test). In TLS 1.3 the client's handshake completes before the server has checked its
certificate, so the refusal is an alert that arrives with the first read: it must still be a
tls_handshake failure with the reason client_certificate_required and its hint, never an
io_error. TLS 1.2 refuses inside the handshake. With --cert/--key every request succeeds.

    client_cert_test.py BARRAGE
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from harness import FAILURES, check, cleanup, free_port, guard_children, spawn  # noqa: E402

WORK = tempfile.mkdtemp(prefix="barrage-client-cert-")


def path(name):
    return os.path.join(WORK, name)


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True, timeout=30)


def make_pki():
    """A CA, a server certificate for 127.0.0.1 and a client certificate, both signed by it."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=barrage test CA", "-keyout", path("ca.key"), "-out", path("ca.crt"))
    for name, san in (("server", "IP:127.0.0.1"), ("client", "DNS:barrage-client")):
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", "/CN=" + name, "-keyout", path(name + ".key"), "-out", path(name + ".csr"))
        with open(path(name + ".ext"), "w") as f:
            f.write("subjectAltName=%s\n" % san)
        openssl("x509", "-req", "-in", path(name + ".csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
                "-CAcreateserial", "-days", "2", "-extfile", path(name + ".ext"), "-out", path(name + ".crt"))


def s_server(version):
    port = free_port()
    p = spawn(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", path("server.crt"),
               "-key", path("server.key"), "-CAfile", path("ca.crt"), "-Verify", "1", "-www", version],
              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p, port
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("openssl s_server did not start")


def run(barrage, port, *extra):
    r = subprocess.run([barrage, "https://127.0.0.1:%d/" % port, "-n", "10", "-c", "1", "--cacert", path("ca.crt"),
                        "--connect-timeout", "5s", "--timeout", "5s", "--no-progress", "--json", path("run.json")] +
                       list(extra), capture_output=True, text=True, timeout=60)
    with open(path("run.json")) as f:
        return r.returncode, json.load(f), r.stdout


def accounted(rep):
    q = rep["requests"]
    return q["started"] == q["succeeded"] + q["failed"] + q["timed_out"] + q["in_flight_at_end"]


def main():
    barrage = sys.argv[1]
    if shutil.which("openssl") is None:
        print("FAIL: openssl is not installed (tools/install-deps.sh installs it)")
        return 1
    guard_children()
    make_pki()
    for version in ("-tls1_3", "-tls1_2"):
        srv, port = s_server(version)
        rc, rep, text = run(barrage, port)
        errs, why = rep["errors"], rep.get("tls_errors", {})
        check(errs.get("tls_handshake") == 10 and errs.get("io_error", 0) == 0,
              "%s without a client certificate: 10 tls_handshake failures, no io_error (%s)" % (version, errs))
        reason = why.get("client_certificate_required", {})
        check(reason.get("count") == 10 if isinstance(reason, dict) else reason == 10,
              "%s: the reason is client_certificate_required (%s)" % (version, why))
        check("client certificate" in text and "--cert FILE --key FILE" in text,
              "%s: the text report gives the reason and the fix (--cert FILE --key FILE)" % version)
        check(accounted(rep), "%s: started = succeeded + failed + timed out + in flight" % version)
        rc, rep, _ = run(barrage, port, "--cert", path("client.crt"), "--key", path("client.key"))
        check(rc == 0 and rep["requests"]["succeeded"] == 10,
              "%s with --cert/--key: 10 succeeded (%s)" % (version, rep["requests"]))
        srv.kill()
        srv.wait()
    cleanup()
    shutil.rmtree(WORK, ignore_errors=True)
    print("%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
