#!/usr/bin/env python3
"""--metrics-listen against real scrapers, with `barrage serve` as the target on 127.0.0.1.

  live_metrics_test.py BARRAGE curl        curl scrapes the endpoint while a run goes (~3 s)
  live_metrics_test.py BARRAGE prometheus  a real Prometheus scrapes it; afterwards its HTTP API
                                           gives the JSON report's totals (~8 s)
  live_metrics_test.py BARRAGE rules       promtool checks docs/alerts/barrage.rules.yml and runs
                                           its unit tests (barrage.rules.test.yml)
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FAILURES, check, cleanup, free_port, guard_children, spawn  # noqa: E402

BARRAGE, CASE = sys.argv[1], sys.argv[2]
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(SOURCE, "docs", "alerts", "barrage.rules.yml")


def start_target():
    p = spawn([BARRAGE, "serve", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    m = re.search(r"listening on http://(127\.0\.0\.1:\d+)", p.stdout.readline())
    if not m:
        sys.exit("FAIL: barrage serve did not start")
    return "http://%s/" % m.group(1)


def start_run(url, extra):
    """A run with --metrics-listen; the endpoint's address from its one stderr line."""
    p = spawn([BARRAGE, url, "-c", "4", "-t", "2", "-q"] + extra, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
              text=True)
    line = p.stderr.readline()
    m = re.match(r"barrage: metrics on http://([0-9.:\[\]]+)/metrics$", line.strip())
    check(m is not None, "the endpoint's address is one line on stderr: %r" % line)
    if not m:
        p.kill()
        sys.exit(1)
    return p, m.group(1)


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def sample(page, name, labels=""):
    m = re.search(r"^%s%s (\S+)$" % (re.escape(name), re.escape("{%s}" % labels if labels else "")), page, re.M)
    return float(m.group(1)) if m else None


def usage_and_setup_errors(url):
    """Bad values exit 2 and a taken port exits 1, each with one line naming the option."""
    cases = [(["--linger", "5s"], 2, "--linger needs --metrics-listen"),
             (["--metrics-buckets", "0.1"], 2, "--metrics-buckets needs --metrics-listen"),
             (["--metrics-listen", "127.0.0.1:99999"], 2, '--metrics-listen: bad address "127.0.0.1:99999"'),
             (["--metrics-listen", "127.0.0.1:0", "--metrics-buckets", "0.1,0.05"], 2, "(0.05 after 0.1)"),
             (["--metrics-listen", "127.0.0.1:0", "--linger", "-1s"], 2, '--linger: '),
             (["--metrics-listen", url[len("http://"):-1]], 1, "--metrics-listen: cannot listen on")]
    for args, status, text in cases:
        r = subprocess.run([BARRAGE, url, "-d", "1s"] + args, capture_output=True, text=True, timeout=20)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == status and len(lines) == 1 and text in lines[0] and not r.stdout,
              "%s: exit %d, one line: %r" % (" ".join(args), r.returncode, r.stderr.strip()))


def no_secrets_on_the_page(url):
    """Issue 24: credentials in headers, the URL's password and a secret query parameter never
    reach the page, even with --show-secrets (it has no label that could hold them)."""
    secrets = ["s3cr3t-token", "pa55-w0rd", "t0k3n-qry", "k3y-9f2e"]
    target = url.replace("http://", "http://alice:%s@" % secrets[1]) + "?token=%s" % secrets[2]
    p, addr = start_run(target, ["-d", "1200ms", "-H", "Authorization: Bearer " + secrets[0], "-H",
                                 "X-Api-Key: " + secrets[3], "--show-secrets", "--metrics-listen", "127.0.0.1:0",
                                 "--linger", "5s"])
    for line in p.stderr:  # the linger begins: the final page is up
        if line.startswith("barrage: serving the final metrics"):
            break
    page = get("http://%s/metrics" % addr)[2]
    p.send_signal(signal.SIGINT)
    p.wait(timeout=10)
    found = [x for x in secrets + ["alice", "token="] if x in page]
    check(sample(page, "barrage_run_finished") == 1 and not found,
          "no credential on the final page of a --show-secrets run%s" % (" (found %s)" % found if found else ""))


def curl_case():
    url = start_target()
    usage_and_setup_errors(url)
    no_secrets_on_the_page(url)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        p, addr = start_run(url, ["-d", "2600ms", "--metrics-listen", "127.0.0.1:0", "--json", out])
        t0 = time.time()
        endpoint = "http://%s/metrics" % addr
        code = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", endpoint.replace("/metrics", "/")],
                              capture_output=True, text=True, timeout=10).stdout
        check(code == "404", "other paths are 404 (%s)" % code)
        time.sleep(max(0.0, t0 + 0.2 - time.time()))  # before the first second's figures
        r = subprocess.run(["curl", "-sS", "-D", "-", endpoint], capture_output=True, text=True, timeout=10)
        head, _, first = r.stdout.partition("\n\n")  # text mode: the head's CRLFs read as \n
        check(head.startswith("HTTP/1.1 200"), "curl: GET /metrics is 200 from the start")
        check("Content-Type: text/plain; version=0.0.4; charset=utf-8" in head, "the text format's content type")
        check(sample(first, "barrage_requests_started_total") == 0, "nothing counted before the first second")
        # Then the figures of two different seconds: the page changes once a second.
        seen = []
        while len(seen) < 2 and p.poll() is None:
            page = subprocess.run(["curl", "-s", endpoint], capture_output=True, text=True, timeout=10).stdout
            n = sample(page, "barrage_requests_total", 'outcome="succeeded"')
            if n and (not seen or n != seen[-1][0]):
                seen.append((n, page))
            time.sleep(0.1)
        check(len(seen) == 2 and 0 < seen[0][0] < seen[1][0],
              "succeeded grows while the run goes: %s" % [n for n, _ in seen])
        later = [page for _, page in seen] or [""]
        check(sample(later[-1], "barrage_connections_open") == 4, "4 connections open during the run")
        check(sample(later[-1], "barrage_run_finished") == 0, "the run is not finished yet")
        lint = subprocess.run(["promtool", "check", "metrics"], input=later[-1], capture_output=True, text=True)
        check(lint.returncode == 0 and not lint.stdout.strip() and not lint.stderr.strip(),
              "promtool check metrics finds nothing to say: %s" % (lint.stdout + lint.stderr).strip())
        p.wait(timeout=20)
        check(p.returncode == 0, "the run exits 0 (%s)" % p.returncode)
        r = subprocess.run(["curl", "-s", endpoint], capture_output=True, timeout=10)
        check(r.returncode == 7, "without --linger the endpoint closes with the run (curl exit %d)" % r.returncode)
        with open(out) as f:
            report = json.load(f)
        check(seen and report["requests"]["succeeded"] >= seen[-1][0], "the report counts at least what was served")


def prometheus_case():
    if not shutil.which("prometheus"):
        sys.exit("FAIL: prometheus is missing (Debian's prometheus package: tools/install-deps.sh)")
    url = start_target()
    metrics_port, prom_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 200ms\n  scrape_timeout: 150ms\n"
                    "scrape_configs:\n  - job_name: barrage\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % metrics_port)
        api = "http://127.0.0.1:%d" % prom_port
        spawn(["prometheus", "--config.file", config, "--storage.tsdb.path", os.path.join(tmp, "data"),
               "--web.listen-address", "127.0.0.1:%d" % prom_port, "--log.level", "warn"],
              stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "prometheus.log"), "w"))
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if get(api + "/-/ready", timeout=1)[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        else:
            sys.exit("FAIL: prometheus did not become ready:\n" + open(os.path.join(tmp, "prometheus.log")).read())
        # Prometheus applies its scrape targets a few seconds after it starts: the run begins once
        # the target has been tried (and found down, as nothing listens yet).
        while time.time() < deadline:
            targets = json.loads(get(api + "/api/v1/targets")[2])["data"]["activeTargets"]
            if any(t["health"] != "unknown" for t in targets):
                break
            time.sleep(0.1)
        else:
            sys.exit("FAIL: prometheus never tried its target")
        out = os.path.join(tmp, "out.json")
        p, addr = start_run(url, ["--metrics-listen", "127.0.0.1:%d" % metrics_port, "--linger", "5s",
                                  "--json", out, "-d", "2s"])
        check(addr == "127.0.0.1:%d" % metrics_port, "the endpoint listens where asked")

        at = {}  # the instant queried: once known, that of a scrape of the final page

        def query(q):
            body = get(api + "/api/v1/query?" + urllib.parse.urlencode(dict(at, query=q)))[2]
            return json.loads(body)["data"]["result"]

        # The reports are written, then the linger begins: its stderr line says so.
        for line in p.stderr:
            if line.startswith("barrage: serving the final metrics for 5.00s"):
                break
        else:
            sys.exit("FAIL: the run ended without lingering (%s)" % p.wait())
        with open(out) as f:
            report = json.load(f)
        finished = []
        for _ in range(40):
            finished = query('barrage_run_finished{job="barrage"} == 1')
            if finished:
                break
            time.sleep(0.1)
        check(bool(finished), "Prometheus scraped the finished run's page during --linger")
        if finished:
            # Once the run is gone its series go stale: ask about the instant of that scrape.
            at["time"] = finished[0]["value"][0]
        p.send_signal(signal.SIGINT)  # Ctrl-C ends the linger early
        p.wait(timeout=10)
        check(p.returncode == 0, "Ctrl-C ends --linger; the run still exits 0 (%s)" % p.returncode)

        req = report["requests"]
        by_outcome = {r["metric"]["outcome"]: int(float(r["value"][1])) for r in query("barrage_requests_total")}
        want = {k: req[k] for k in ("succeeded", "failed", "timed_out")}
        check(by_outcome == want, "requests by outcome in Prometheus %s == the report's %s" % (by_outcome, want))
        started = query("barrage_requests_started_total")
        check(started and int(float(started[0]["value"][1])) == req["started"],
              "started in Prometheus == the report's %d" % req["started"])
        by_code = {r["metric"]["code"]: int(float(r["value"][1])) for r in query("barrage_responses_total")}
        check(by_code == report["status_codes"] and req["succeeded"] > 0,
              "responses by status in Prometheus %s == the report's %s" % (by_code, report["status_codes"]))
        count = query("barrage_request_duration_seconds_count")
        check(count and int(float(count[0]["value"][1])) == report["histogram"]["count"],
              "the latency histogram's count == the report's histogram count %d" % report["histogram"]["count"])
        errors = {r["metric"]["kind"]: int(float(r["value"][1])) for r in query("barrage_request_errors_total")}
        check(errors == {k: v for k, v in report["errors"].items() if not k.startswith("status_")},
              "errors by kind in Prometheus == the report's")
        # Live, not only final: scrapes during the run saw requests and an unfinished run.
        samples = query("barrage_requests_started_total[30s]")
        states = query("barrage_run_finished[30s]")
        unfinished_at = {t for t, v in states[0]["values"] if v == "0"} if states else set()
        seen_live = [float(v) for t, v in samples[0]["values"] if t in unfinished_at and float(v) > 0] if samples else []
        check(bool(seen_live) and max(seen_live) < req["started"],
              "scrapes during the run saw growing counts below the final %d (%d live samples)" %
              (req["started"], len(seen_live)))
        p99 = query("histogram_quantile(0.99, barrage_request_duration_seconds_bucket)")
        check(p99 and float(p99[0]["value"][1]) > 0, "histogram_quantile works on the latency buckets")


def rules_case():
    if not shutil.which("promtool"):
        sys.exit("FAIL: promtool is missing (Debian's prometheus package: tools/install-deps.sh)")
    r = subprocess.run(["promtool", "check", "rules", RULES], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "SUCCESS: 3 rules found" in r.stdout, "promtool check rules: %s" % r.stdout.strip())
    tests = RULES.replace(".rules.yml", ".rules.test.yml")
    r = subprocess.run(["promtool", "test", "rules", tests], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "promtool test rules: each alert fires on its series, not below\n%s" %
          (r.stdout + r.stderr).strip())


def main():
    guard_children()
    try:
        {"curl": curl_case, "prometheus": prometheus_case, "rules": rules_case}[CASE]()
    finally:
        cleanup()
    if FAILURES:
        print("FAILED: %d check(s)" % len(FAILURES))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
