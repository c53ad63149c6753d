#!/usr/bin/env python3
"""barrage compare on real reports: two short runs against `barrage serve` (the base at
/delay/1ms, the new one at /delay/10ms) must compare as a regression (exit 3, p50 WORSE, the
differing URL listed), the reverse as an improvement (p50 better), a report against itself as
"same" on every line (exit 0); bad inputs exit 2 with one line on stderr and nothing on stdout.

  compare_test.py BARRAGE

Loopback only. Bounded: about 3 s (two runs of 0.5 s).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FAILURES, check, cleanup, guard_children, spawn  # noqa: E402


def run(args, timeout=30):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def start_server(barrage):
    p = spawn([barrage, "serve", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
              text=True)
    line = p.stdout.readline()
    m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
    if not m:
        sys.exit("FAIL: barrage serve did not start: %r" % line)
    return m.group(1)


def record(barrage, url, path):
    rc, _, err = run([barrage, url, "-c", "4", "-d", "500ms", "-q", "--no-progress", "--json", path])
    if rc != 0:
        sys.exit("FAIL: the run against %s exited %d: %s" % (url, rc, err.strip()))


def line_of(text, name):
    for line in text.splitlines():
        if line.startswith("  " + name + " "):
            return line
    return ""


def regression(barrage, fast, slow):
    rc, out, err = run([barrage, "compare", fast, slow])
    check(rc == 3, "a 1ms base against a 10ms run exits 3 (got %d; stderr %r)" % (rc, err))
    check("WORSE" in line_of(out, "p50"), "the p50 line says WORSE: %r" % line_of(out, "p50"))
    check(re.search(r"config\.url\s+\"http://127\.0\.0\.1:\d+/delay/1ms\"\s+->\s+\"http://127\.0\.0\.1:\d+/delay/10ms\"",
                    out) is not None, "the differing URL is listed with both values")
    check(re.search(r"Verdict: REGRESSED: \d+ worse beyond 5% \(.*p50", out) is not None,
          "the verdict line names p50")
    rc, out, err = run([barrage, "compare", fast, slow, "--json", "-"])
    doc = json.loads(out)
    p50 = [f for f in doc["figures"] if f["name"] == "p50" and f["section"] == ""][0]
    check(rc == 3 and doc["regressed"] is True, "--json -: stdout is the JSON, regressed")
    check(p50["verdict"] == "worse" and p50["new"] > 5 * p50["base"] and p50["unit"] == "ms",
          "p50 in ms from the histograms: %s -> %s" % (p50["base"], p50["new"]))
    check("Verdict: REGRESSED" in err, "--json -: the text goes to stderr")
    # The reverse: the body of the distribution is better; its tail (max) may not be on a loaded
    # machine, where a 1 ms request can stall past 10 ms, so the exit status follows the JSON.
    rc, out, _ = run([barrage, "compare", slow, fast, "--json", "-"])
    doc = json.loads(out)
    by_name = {f["name"]: f["verdict"] for f in doc["figures"] if f["section"] == ""}
    check(by_name["p50"] == "better" and by_name["throughput"] == "better",
          "the reverse is an improvement: p50 and throughput better (%s, %s)" % (by_name["p50"], by_name["throughput"]))
    check(rc == (3 if doc["regressed"] else 0), "the reverse's exit status follows its verdicts (%d)" % rc)


def itself(barrage, fast, tmp):
    out_path = os.path.join(tmp, "same.json")
    rc, out, err = run([barrage, "compare", fast, fast, "--json", out_path, "--max-regression", "0"])
    check(rc == 0, "a report against itself exits 0 (got %d; %r)" % (rc, err))
    doc = json.load(open(out_path))
    verdicts = {f["verdict"] for f in doc["figures"]}
    check(verdicts == {"same"} and len(doc["figures"]) >= 11, "every line is same: %s" % sorted(verdicts))
    check(doc["config_differences"] == [] and "Settings: the same in both runs" in out, "no setting differs")


def bad_inputs(barrage, fast, tmp):
    def write(name, text):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    old = json.load(open(fast))
    old["schema_version"] = 4
    cases = [
        ("missing file", [fast, os.path.join(tmp, "nope.json")], "nope.json"),
        ("not JSON", [fast, write("text.json", "p50 1ms\n")], "not JSON"),
        ("JSON but not a report", [write("other.json", '{"a": 1}'), fast], "not a barrage report"),
        ("different schema versions", [fast, write("v4.json", json.dumps(old))], "different schema versions"),
        ("negative --max-regression", [fast, fast, "--max-regression", "-5"], "--max-regression"),
        ("--max-regression not a number", [fast, fast, "--max-regression", "five"], '"five"'),
        ("one report only", [fast], "new"),
        ("empty --json path", [fast, fast, "--json", ""], "--json"),
        ("unknown option", [fast, fast, "--no-such"], "--no-such"),
    ]
    for label, args, part in cases:
        rc, out, err = run([barrage, "compare"] + args)
        lines = err.splitlines()
        check(rc == 2 and out == "" and len(lines) == 1 and part in err and lines[0].startswith("barrage compare: "),
              "%s: exit 2, one line naming it (got %d, %r)" % (label, rc, err))


def main():
    barrage = sys.argv[1]
    guard_children()
    try:
        url = start_server(barrage)
        with tempfile.TemporaryDirectory() as tmp:
            fast, slow = os.path.join(tmp, "fast.json"), os.path.join(tmp, "slow.json")
            record(barrage, url + "/delay/1ms", fast)
            record(barrage, url + "/delay/10ms", slow)
            regression(barrage, fast, slow)
            itself(barrage, fast, tmp)
            bad_inputs(barrage, fast, tmp)
            rc, out, _ = run([barrage, "compare", "--help"])
            check(rc == 0 and "--max-regression" in out and "Exit status" in out, "--help lists the options")
    finally:
        cleanup()
    if FAILURES:
        sys.exit("FAIL: %d check(s): %s" % (len(FAILURES), "; ".join(FAILURES)))
    print("PASS")


if __name__ == "__main__":
    main()
