#!/usr/bin/env python3
"""--hdr-log against HdrHistogram's own decoder: barrage runs against barrage serve on 127.0.0.1
with --hdr-log and --json (closed model, then the open model with -r); the npm package
hdr-histogram-js (tools/install-deps.sh) reads the log (hdr_log_read.js). The intervals added
up must hold exactly the report's successful latencies: the same total, the same count in every
counter (barrage's histogram indexes are HdrHistogram's), p50/p90/p99 within the histogram's
precision, one interval per timeline second with that second's count and max; in the open model
the same for Tag=uncorrected against the uncorrected figures. Without node or the package the
test fails (it never skips).

    hdr_log_test.py BARRAGE
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FAILURES, check, cleanup, free_port, guard_children, spawn  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NO_TAG = "NO TAG"  # hdr-histogram-js's tag for untagged intervals


def node_path():
    return subprocess.run([os.path.join(ROOT, "tools", "npm-path.sh")], capture_output=True, text=True,
                          check=True).stdout.strip()


def start_serve(barrage):
    port = free_port()
    p = spawn([barrage, "serve", "--listen", "127.0.0.1:%d" % port, "--threads", "1"],
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "listening on" not in line:
        raise RuntimeError("barrage serve did not start: %r %s" % (line, p.stderr.read()))
    return p, port


def h1_counts(data):
    """The counters of barrage's "h1" histogram text: {index: count}."""
    tokens = data.split()
    assert tokens[0] == "h1", data[:20]
    counts, index = {}, -1
    for i, tok in enumerate(tokens[5:]):
        gap, _, n = tok.partition(":")
        index = int(gap) if i == 0 else index + int(gap)
        counts[index] = int(n) if n else 1
    return counts


def read_log(path):
    out = subprocess.run(["node", os.path.join(HERE, "hdr_log_read.js"), path], capture_output=True, text=True,
                         timeout=60, env=dict(os.environ, NODE_PATH=node_path()))
    if out.returncode != 0:
        raise RuntimeError("hdr-histogram-js could not read %s: %s" % (path, out.stderr.strip()[-800:]))
    return json.loads(out.stdout)


def close_enough(js_ns, report_ms):
    """hdr-histogram-js reports a counter's highest value, barrage the same clamped to the exact
    max: they differ by less than a counter's width, 1/1024 of the value (1 ns below 2048 ns)."""
    ours = report_ms * 1e6
    return abs(js_ns - ours) <= max(1.0, ours / 1000.0)


def check_stream(name, got, latency, histogram, timeline, uncorrected, started_at):
    check(got is not None, "%s: the log has the stream" % name)
    if got is None:
        return
    check(got["total"] == latency["count"] and got["total"] > 0,
          "%s: the intervals add up to the report's %d successes (decoded: %d)" % (name, latency["count"], got["total"]))
    ours = h1_counts(histogram["data"])
    theirs = {int(i): int(n) for i, n in got["counts"]}
    check(theirs == ours, "%s: every counter decoded at barrage's index with barrage's count (%d counters)"
          % (name, len(ours)))
    for p in ("p50", "p90", "p99"):
        check(close_enough(got[p], latency[p]), "%s: %s %.6f ms decoded vs %.6f ms reported"
              % (name, p, got[p] / 1e6, latency[p]))
    check(abs(got["max"] - latency["max"] * 1e6) <= max(1.0, latency["max"] * 1e3), "%s: max %.6f ms decoded vs %.6f ms"
          % (name, got["max"] / 1e6, latency["max"]))
    ivs = got["intervals"]
    check(len(ivs) == len(timeline), "%s: one interval per timeline second (%d, %d)" % (name, len(ivs), len(timeline)))
    check(all(iv["significant_digits"] == 3 and iv["highest_trackable"] >= 3.6e12 for iv in ivs),
          "%s: 3 significant digits, 1 h trackable" % name)
    first = ivs[0]["start_ms"] / 1000 if ivs else 0
    check(started_at - 1 <= first <= started_at + 5, "%s: the first interval starts when the run did (%.3f, run at %.3f)"
          % (name, first, started_at))
    check(all(abs(iv["start_ms"] / 1000 - (first + i)) < 1e-3 and abs(iv["end_ms"] - iv["start_ms"] - 1000) < 1e-3
              for i, iv in enumerate(ivs)), "%s: interval i covers [start + i s, start + i + 1 s)" % name)
    if not uncorrected:
        per_second = [pt["requests"] - pt["errors"] for pt in timeline]
        check([iv["count"] for iv in ivs] == per_second, "%s: each interval has its second's successes %s"
              % (name, per_second))


def run(barrage, port, tmp, extra, name):
    log, report = os.path.join(tmp, name + ".hlog"), os.path.join(tmp, name + ".json")
    started_at = time.time()
    cmd = [barrage, "http://127.0.0.1:%d/" % port, "-t", "2", "--hdr-log", log, "--json", report, "-q"] + extra
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "%s: %s exits 0 (%s)" % (name, " ".join(extra), p.stderr.strip()[-300:]))
    with open(report) as f:
        doc = json.load(f)
    with open(log) as f:
        text = f.read()
    check(text.startswith("#[Histogram log format version 1.3]\n#[StartTime: "), "%s: HistogramLogWriter's header" % name)
    untagged = [line.split(",") for line in text.splitlines() if line[:1].isdigit()]
    maxes = ["%.3f" % pt["max_ms"] for pt in doc["timeline"]]
    check([f[2] for f in untagged] == maxes, "%s: each untagged line's Interval_Max is its second's max in ms %s"
          % (name, maxes))
    return doc, read_log(log), started_at


def main():
    barrage = sys.argv[1]
    guard_children()
    if not shutil.which("node"):
        check(False, "node is on PATH (tools/install-deps.sh)")
        return
    if not os.path.isdir(os.path.join(node_path(), "hdr-histogram-js")):
        check(False, "hdr-histogram-js is installed in .npm-tools (bash tools/install-deps.sh)")
        return
    tmp = tempfile.mkdtemp(prefix="barrage-hdr-")
    try:
        _, port = start_serve(barrage)
        doc, got, at = run(barrage, port, tmp, ["-c", "4", "-d", "2s"], "closed")
        check(got["tags"] == [NO_TAG], "closed: untagged intervals only (%s)" % got["tags"])
        check_stream("closed", got["by_tag"].get(NO_TAG), doc["latency_ms"], doc["histogram"], doc["timeline"],
                     False, at)
        doc, got, at = run(barrage, port, tmp, ["-c", "8", "-r", "800", "-d", "2s"], "open")
        check(sorted(got["tags"]) == sorted([NO_TAG, "uncorrected"]), "open: untagged and Tag=uncorrected (%s)"
              % got["tags"])
        check_stream("open corrected", got["by_tag"].get(NO_TAG), doc["latency_ms"], doc["histogram"],
                     doc["timeline"], False, at)
        check_stream("open uncorrected", got["by_tag"].get("uncorrected"), doc["latency_uncorrected_ms"],
                     doc["histogram_uncorrected"], doc["timeline"], True, at)
        bad = subprocess.run([barrage, "http://127.0.0.1:%d/" % port, "--hdr-log", "-", "-n", "1"],
                             capture_output=True, text=True, timeout=30)
        check(bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--hdr-log" in bad.stderr,
              "--hdr-log - is a one-line usage error (%r)" % bad.stderr)
        unwritable = subprocess.run([barrage, "http://127.0.0.1:%d/" % port, "--hdr-log", tmp + "/no/such/dir.hlog",
                                     "-n", "1"], capture_output=True, text=True, timeout=30)
        check(unwritable.returncode == 1 and "cannot write the --hdr-log file" in unwritable.stderr,
              "an unwritable --hdr-log fails before the run (%r)" % unwritable.stderr)
    finally:
        cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a crash is a failure with its reason on one line
        check(False, "unexpected: %s" % e)
    print("%d failed" % len(FAILURES))
    sys.exit(1 if FAILURES else 0)
