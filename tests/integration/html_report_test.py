#!/usr/bin/env python3
"""The HTML report in a real browser (docs/report.md, The HTML report).

barrage runs against `barrage serve` on 127.0.0.1: a closed-model run with --html and --json,
and an open-model run over HTTPS (TLS section, corrected and uncorrected spectra) whose JSON
becomes a page with `barrage report`, also once with a merged report's fields added. Each page
opens in headless Chromium (Debian's chromium), driven over its DevTools protocol
(python3-websockets, hence Debian's /usr/bin/python3): the test fails on any console error, uncaught exception or log error,
on any request other than the file itself, and unless every chart placeholder holds a uPlot
canvas with its series' colours on it and data behind it. Two spoiled copies (a script
error, an image from the network) must be caught, so the checks can fail. Also the command
lines: `barrage report` usage errors exit 2 with one line, the same JSON gives the same page
as --html, and --html to an unwritable path fails before the run.

  html_report_test.py BARRAGE

Loopback only; bounded: about 10 s. The runs last 2 s, so that each chart over time has two
whole seconds to draw a line through however loaded the machine.
"""
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FAILURES, check, cleanup, guard_children, spawn  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
# report.js's colours, series by series (axes and grid lines are grey).
SERIES_RGB = [(0x4E, 0x79, 0xA7), (0xE1, 0x57, 0x59), (0x59, 0xA1, 0x4F), (0xF2, 0x8E, 0x2B),
              (0x76, 0xB7, 0xB2), (0xB0, 0x7A, 0xA1), (0xED, 0xC9, 0x48), (0x9C, 0x75, 0x5F)]


def run(args, timeout=60):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def start_server(barrage, *extra):
    p = spawn([barrage, "serve", "--listen", "127.0.0.1:0"] + list(extra), stdout=subprocess.PIPE,
              stderr=subprocess.PIPE, text=True)
    for _ in range(5):  # the fingerprint line of --tls-self-signed may come first
        m = re.search(r"listening on (https?://127\.0\.0\.1:\d+)", p.stdout.readline())
        if m:
            return m.group(1)
    sys.exit("FAIL: barrage serve did not start")


class Cdp:
    """A DevTools protocol session on one page: calls, and the events seen meanwhile."""

    def __init__(self, ws):
        self.ws, self.last_id, self.events = ws, 0, []

    async def call(self, method, **params):
        self.last_id += 1
        await self.ws.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        while True:
            msg = json.loads(await self.ws.recv())
            if msg.get("id") == self.last_id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self.events.append(msg)

    async def until(self, method, seconds):
        end = time.monotonic() + seconds
        while not any(e.get("method") == method for e in self.events):
            self.events.append(json.loads(await asyncio.wait_for(self.ws.recv(), max(0.1, end - time.monotonic()))))


CHECK_CHARTS = """JSON.stringify([...document.querySelectorAll('.plot')].map(el => {
  const c = el.querySelector('canvas'), u = (window.barrageCharts || []).find(u => el.contains(u.root));
  const colours = %s.slice(0, u ? u.series.length - 1 : 0);
  let coloured = 0, painted = 0;
  if (c && c.width && c.height) {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3]) painted++;
      if (d[i + 3] > 200 && colours.some(([r, g, b]) => Math.abs(d[i] - r) < 6 && Math.abs(d[i + 1] - g) < 6 &&
                                                        Math.abs(d[i + 2] - b) < 6)) coloured++;
    }
  }
  const points = u ? u.data.slice(1).map(s => s.filter(v => v != null).length) : [];
  return {id: el.id, painted, coloured, points, error: el.classList.contains('chart-error')};
}))""" % json.dumps(SERIES_RGB)


def problems_in(events, page_url):
    """Console errors, exceptions, log errors and requests other than the page itself (not
    warnings: Chromium's own interventions and notices are not the page's faults)."""
    out = []
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.exceptionThrown":
            out.append("exception: %s" % p["exceptionDetails"].get("exception", {}).get("description",
                                                                                     p["exceptionDetails"].get("text")))
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console.%s: %s" % (p["type"], " ".join(str(a.get("value", a.get("description")))
                                                                 for a in p.get("args", []))))
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            out.append("log %s: %s" % (p["entry"]["level"], p["entry"].get("text")))
        elif m == "Network.requestWillBeSent" and p["request"]["url"] != page_url:
            out.append("request: %s" % p["request"]["url"])
    return out


async def open_page(ws_url, path):
    """(problems, charts) of the page at `path`."""
    import websockets  # python3-websockets (tools/install-deps.sh)
    async with websockets.connect(ws_url, max_size=None) as ws:
        cdp = Cdp(ws)
        for domain in ("Runtime", "Log", "Network", "Page"):
            await cdp.call(domain + ".enable")
        cdp.events.clear()  # what enabling replayed of the page before
        url = "file://" + path
        await cdp.call("Page.navigate", url=url)
        await cdp.until("Page.loadEventFired", 30)
        charts = []
        for _ in range(100):  # uPlot draws right away; allow for a loaded machine all the same
            charts = json.loads((await cdp.call("Runtime.evaluate", expression=CHECK_CHARTS))["result"]["value"])
            if charts and all(c["painted"] for c in charts):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.2)  # late console messages
        await cdp.call("Runtime.evaluate", expression="0")
        return problems_in(cdp.events, url), charts


def start_browser(profile):
    p = spawn([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--user-data-dir=" + profile, "--remote-debugging-port=0", "--window-size=1280,1000", "about:blank"],
              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = os.path.join(profile, "DevToolsActivePort")
    for _ in range(600):  # 30 s: a loaded machine (the whole suite on 2 cores) starts it slowly
        if os.path.exists(port_file) and open(port_file).read().count("\n") >= 1:
            port = int(open(port_file).read().split("\n")[0])
            targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=5))
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                return p, pages[0]["webSocketDebuggerUrl"]
        time.sleep(0.05)
    sys.exit("FAIL: chromium did not open its DevTools port")


def check_page(ws_url, path, what, expect_charts):
    problems, charts = asyncio.run(open_page(ws_url, path))
    check(not problems, "%s: no console error, exception or request (%s)" % (what, "; ".join(problems)[:400]))
    check(len(charts) == expect_charts, "%s: %d charts (%d)" % (what, expect_charts, len(charts)))
    for c in charts:
        check(c["painted"] > 1000 and c["coloured"] > 20 and c["points"] and all(c["points"]) and not c["error"],
              "%s: %s drew (%s)" % (what, c["id"], c))
    return problems


def cli_checks(barrage, tmp, run_json, run_html):
    code, _, err = run([barrage, "report"])
    check(code == 2 and err.count("\n") == 1 and "barrage report:" in err, "report without arguments: exit 2, one line")
    code, _, err = run([barrage, "report", os.path.join(tmp, "missing.json"), "-o", os.path.join(tmp, "x.html")])
    check(code == 2 and "cannot read" in err and err.count("\n") == 1, "report of a missing file: exit 2, one line")
    not_json = os.path.join(tmp, "not.json")
    with open(not_json, "w") as f:
        f.write("{oops")
    code, _, err = run([barrage, "report", not_json, "-o", os.path.join(tmp, "x.html")])
    check(code == 2 and "is not JSON" in err, "report of a file that is not JSON: exit 2 (%s)" % err.strip())
    with open(not_json, "w") as f:
        f.write("[1, 2]")
    code, _, err = run([barrage, "report", not_json, "-o", os.path.join(tmp, "x.html")])
    check(code == 2 and "not a barrage JSON report" in err, "report of other JSON: exit 2 (%s)" % err.strip())
    code, _, err = run([barrage, "report", run_json, "-o", os.path.join(tmp, "no-such-dir", "x.html")])
    check(code == 1 and "cannot write" in err, "report to an unwritable path: exit 1 (%s)" % err.strip())
    again = os.path.join(tmp, "again.html")
    code, _, _ = run([barrage, "report", run_json, "-o", again])
    check(code == 0 and open(again, "rb").read() == open(run_html, "rb").read(),
          "barrage report of the run's JSON gives the page --html wrote, byte for byte")
    code, out, _ = run([barrage, "report", run_json, "-o", "-"])
    check(code == 0 and out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>"), "report -o -: the page on stdout")
    code, _, err = run([barrage, "http://127.0.0.1:9/", "-n", "1", "--html", os.path.join(tmp, "no-such-dir", "x.html")])
    check(code == 1 and "cannot write the --html file" in err, "--html to an unwritable path: exit 1 before the run")
    code, _, err = run([barrage, "http://127.0.0.1:9/", "-n", "1", "--html", "-", "--json", "-"])
    check(code == 2 and "both want stdout" in err, "--html - with --json -: exit 2")


def main():
    barrage = sys.argv[1]
    guard_children()
    if not os.access(CHROMIUM, os.X_OK):
        print("FAIL: %s is missing (Debian's chromium: tools/install-deps.sh)" % CHROMIUM)
        return 1
    tmp = tempfile.mkdtemp(prefix="barrage-html-")
    try:
        plain = start_server(barrage)
        cert = os.path.join(tmp, "cert.pem")
        tls = start_server(barrage, "--tls-self-signed", "--tls-cert-out", cert)
        closed_json, closed_html = os.path.join(tmp, "closed.json"), os.path.join(tmp, "closed.html")
        code, _, err = run([barrage, plain + "/jitter?median=2ms&p99=20ms", "-c", "8", "-t", "1", "-d", "2s", "-q",
                            "--json", closed_json, "--html", closed_html, "--threshold", "p99<10s"])
        check(code == 0 and os.path.getsize(closed_html) > 0, "closed-model run with --html (%s)" % err.strip()[-200:])
        open_json, open_html = os.path.join(tmp, "open.json"), os.path.join(tmp, "open.html")
        code, _, err = run([barrage, tls + "/delay/1ms", "--cacert", cert, "-r", "400", "-c", "8", "-t", "1",
                            "-d", "2s", "-q", "--json", open_json])
        check(code == 0, "open-model run over HTTPS (%s)" % err.strip()[-200:])
        code, _, err = run([barrage, "report", open_json, "-o", open_html])
        check(code == 0, "barrage report of the open-model JSON (%s)" % err.strip())
        report = json.load(open(open_json))
        report["merged"] = {"inputs": 2, "partial": False, "start_spread_ms": 3.5,
                            "shards": [{"index": 0, "start": "a", "end": "b"}, {"index": 1, "start": "c", "end": "d"}]}
        merged_json, merged_html = os.path.join(tmp, "merged.json"), os.path.join(tmp, "merged.html")
        json.dump(report, open(merged_json, "w"))
        code, _, err = run([barrage, "report", merged_json, "-o", merged_html])
        check(code == 0, "barrage report of a merged report (%s)" % err.strip())
        cli_checks(barrage, tmp, closed_json, closed_html)
        compare_html = os.path.join(tmp, "compare.html")
        code, _, err = run([barrage, "compare", closed_json, open_json, "--html", compare_html])
        check(code in (0, 3) and os.path.getsize(compare_html) > 0,
              "barrage compare --html writes the comparison page (exit %d: %s)" % (code, err.strip()[-200:]))

        page = open(open_html).read()
        check('id="tls"' in page and "uncorrected" in page, "the HTTPS open-model page has its TLS section and both latencies")
        broken = os.path.join(tmp, "broken.html")
        with open(broken, "w") as f:
            f.write(page.replace("</main>", "</main><script>no_such_function()</script>"))
        fetching = os.path.join(tmp, "fetching.html")
        with open(fetching, "w") as f:
            f.write(page.replace("</main>", '</main><img src="http://127.0.0.1:9/x.png">'))

        browser, ws_url = start_browser(os.path.join(tmp, "profile"))
        check_page(ws_url, closed_html, "closed-model page (--html)", 4)
        check_page(ws_url, open_html, "open-model HTTPS page (barrage report)", 4)
        check_page(ws_url, merged_html, "merged report's page", 4)
        check_page(ws_url, compare_html, "comparison page (barrage compare --html)", 2)
        problems, _ = asyncio.run(open_page(ws_url, broken))
        check(any("no_such_function" in p for p in problems), "a script error is caught (%s)" % problems)
        problems, _ = asyncio.run(open_page(ws_url, fetching))
        check(any("127.0.0.1:9" in p for p in problems), "an image from the network is caught (%s)" % problems)
    finally:
        cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(FAILURES) if FAILURES else "html report: every check passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
