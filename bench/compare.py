#!/usr/bin/python3
"""barrage benchmarks: barrage beside other HTTP load generators and servers, on 127.0.0.1, and
barrage with and without --pipeline 16 against nginx and `barrage serve`.

    bench/compare.py run BUILD_DIR [--quick] [--out DIR]   measure; write DIR/latest.json and DIR/latest.md
    bench/compare.py diff OLD.json NEW.json                 compare two results files, figure by figure
    bench/compare.py table RESULT.json                      print the Markdown table of a results file

`make bench` runs this through bench/run.sh.  Python 3 standard library only.

Method (docs/benchmarks.md has the long version):
  * Every figure is measured REPS times (3; 1 with --quick) and reported as the median with min-max.
    Runs are interleaved (rep 1 of every figure, then rep 2, ...) so slow drifts hit every tool alike.
  * The server is pinned to CPU 0 and the generator to CPU 1 (taskset); every tool runs one thread.
  * Generator CPU: user+sys of the generator process (wait4 rusage), cut at the end of its -d window
    with a /proc snapshot when the tool keeps working after it (ab sorts its samples for ~0.5 s).
    The seed script reports the CPU of its load phase itself (interpreter start-up excluded).
  * Server CPU: /proc/<pid>/task/*/schedstat of the server's process tree, read before and after.
  * CPU us/request = CPU seconds / requests the generator completed.
  * Saturated side: the generator when its CPU was >= 90 % of its core over the run, else the server.
    Pipelining rows name the side at >= 90 % when only one is ("server saturated" is the goal).
  * Every process gets a hard time limit and is killed at the end, also on errors and signals.
"""
import argparse
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the package lib/ beside this file
from lib.bench import Bench  # noqa: E402  (the parts: see lib/__init__.py)
from lib.common import HERE, ROOT, SECTIONS  # noqa: E402
from lib.report import diff, render  # noqa: E402
from lib.runner import stop_all  # noqa: E402

# ------------------------------------------------------------------ main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="measure and write latest.json / latest.md")
    r.add_argument("build", help="build directory (holds apps/barrage and bench/bench_*)")
    r.add_argument("--quick", action="store_true", help="1 run per figure, shorter runs (about 2 minutes)")
    r.add_argument("--reps", type=int, default=3)
    r.add_argument("--only", type=lambda s: s if set(s.split(",")) <= set(SECTIONS) else ap.error(
        f"--only: a comma list of {','.join(SECTIONS)}"), help=f"sections to run (default all): {','.join(SECTIONS)}")
    r.add_argument("--out", default=os.path.join(HERE, "results"))
    r.add_argument("--refdir", default=os.environ.get("BENCH_REFERENCE_DIR",
                                                      os.path.join(ROOT, "..", "shared", "anchors")),
                   help="directory with the reference Python programs seed.py and aioserver.py")
    d = sub.add_parser("diff", help="compare two results files")
    d.add_argument("old")
    d.add_argument("new")
    t = sub.add_parser("table", help="print the table of a results file")
    t.add_argument("file")
    args = ap.parse_args()

    if args.cmd == "diff":
        with open(args.old) as f1, open(args.new) as f2:
            sys.stdout.write(diff(json.load(f1), json.load(f2)))
        return 0
    if args.cmd == "table":
        with open(args.file) as f:
            sys.stdout.write(render(json.load(f)))
        return 0

    if not os.access(os.path.join(args.build, "apps", "barrage"), os.X_OK):
        print(f"no barrage binary in {args.build}/apps: build first", file=sys.stderr)
        return 1

    def on_signal(signum, _frame):
        stop_all()
        os._exit(128 + signum)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    bench = Bench(args)
    doc = bench.run()
    os.makedirs(args.out, exist_ok=True)
    md = render(doc)
    for name, text in (("latest.json", json.dumps(doc, indent=1) + "\n"), ("latest.md", md)):
        tmp = os.path.join(args.out, name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, os.path.join(args.out, name))
    sys.stdout.write(md)
    print(f"\nwrote {os.path.relpath(args.out)}/latest.json and latest.md; compare two runs with: "
          f"bench/compare.py diff OLD.json NEW.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
