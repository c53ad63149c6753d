import atexit
"""What every integration script needs: child processes that are always killed, checks that
print one line each and are counted, and free loopback ports.

    from harness import spawn, check, free_port, FAILURES, guard_children
    guard_children()          # SIGTERM/SIGINT (ctest's timeout, ^C) kill the children first
    p = spawn([...])          # killed by cleanup() at exit or on a signal
    check(cond, "what")       # prints "  ok   what" or "  FAIL what"; FAILURES collects the latter
"""
import signal
import socket
import subprocess
import sys
import time

CHILDREN = []
FAILURES = []


def spawn(cmd, **kw):
    p = subprocess.Popen(cmd, **kw)
    CHILDREN.append(p)
    return p


def cleanup(*_):
    """SIGTERM to every child still running, then SIGKILL to what is left after 3 s. A server
    with worker processes (nginx) stops them on SIGTERM; killed outright, its master left its
    worker running after the test (one orphaned nginx worker per h2_generator_test run)."""
    running = [p for p in CHILDREN if p.poll() is None]
    for p in running:
        p.terminate()
    deadline = time.monotonic() + 3
    for p in running:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def on_signal(signum, _frame):
    cleanup()
    sys.exit(128 + signum)


def guard_children():
    """Every child spawn() started is stopped when the test ends: on SIGTERM or SIGINT, and at a
    normal exit too (a test that returns without stopping its servers left them running: a
    `barrage serve` outlived scenario_origins_test by minutes)."""
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    atexit.register(cleanup)


def check(cond, what):
    print("  %s %s" % ("ok  " if cond else "FAIL", what), flush=True)
    if not cond:
        FAILURES.append(what)
    return cond


def port_free_on(port, hosts):
    """hosts: (address, family, socket type) triples that must all be free on `port`."""
    for host, family, kind in hosts:
        s = socket.socket(family, kind)
        try:
            s.bind((host, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_port(hosts=None):
    """A loopback TCP port free just now (on each of `hosts` too, when given)."""
    for _ in range(200):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if not hosts or port_free_on(port, hosts):
            return port
    raise RuntimeError("no free port")
