#!/usr/bin/env python3
"""`barrage run FILE.yaml|FILE.json` and `--targets FILE` on the real binary: a bad scenario,
targets or data file is a usage error (exit 2) with one line "barrage: FILE:LINE[:COLUMN]:
message" on stderr, before anything is sent; the flags that need a scenario or targets are
refused without one. Offline (nothing is listening: a run that started would fail otherwise);
a second or two.

  scenario_files_test.py BARRAGE
"""
import os
import subprocess
import sys
import tempfile

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)
    return ok


def usage_error(barrage, args, expected, cwd):
    p = subprocess.run([barrage, "run"] + args + ["-d", "1s"], capture_output=True, text=True, timeout=20, cwd=cwd)
    lines = p.stderr.strip().split("\n")
    check(p.returncode == 2 and len(lines) == 1 and lines[0] == "barrage: " + expected,
          f"barrage run {' '.join(args)}: exit 2, {expected!r} (got {p.returncode}, {p.stderr.strip()!r})")


def main():
    barrage = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as d:
        files = {
            "undefined.yaml": "base_url: http://127.0.0.1:9\nsteps:\n  - name: a\n    path: /x/{{tokn}}\n",
            "order.yaml": "base_url: http://127.0.0.1:9\nsteps:\n  - name: a\n    path: /{{token}}\n"
                          "  - name: login\n    path: /login\n    capture: {token: {json: /token}}\n",
            "unknown.json": '{"base_url": "http://127.0.0.1:9",\n "steps": [{"name": "a", "path": "/", "wait": "1s"}]}',
            "syntax.json": '{"base_url": "http://127.0.0.1:9",\n "steps": [}',
            "data.yaml": "base_url: http://127.0.0.1:9\ndata: users.csv\nsteps: [{name: a, path: '/{{name}}'}]\n",
            "users.csv": "name,pass\nann\n",
            "targets.txt": "GET http://127.0.0.1:9/\nX-A: 1\n@missing.json\n",
            "ok.txt": "GET http://127.0.0.1:9/\n",
            "mixed.txt": "GET http://127.0.0.1:9/\n\nGET https://127.0.0.1:10/\n",
            "targets.jsonl": '{"method": "GET", "url": "http://127.0.0.1:9/", "body": "!!"}\n',
        }
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        usage_error(barrage, ["undefined.yaml"],
                    "undefined.yaml:4:14: undefined variable 'tokn' (not a data column, a capture or a built-in)", d)
        usage_error(barrage, ["order.yaml"], "order.yaml:4:12: variable 'token' is used before step 'login' captures it", d)
        usage_error(barrage, ["unknown.json"], "unknown.json:2:39: unknown key 'wait' in a step "
                    "(name, method, path, url, headers, body, capture, expect, think)", d)
        usage_error(barrage, ["syntax.json"], "syntax.json:2:12: bad JSON: syntax error while parsing value - "
                    "unexpected '}'; expected '[', '{', or a literal", d)
        usage_error(barrage, ["data.yaml"], "users.csv:2: 1 fields, the header row has 2", d)
        usage_error(barrage, ["--targets", "targets.txt"],
                    "--targets: targets.txt:3: body file: cannot read 'missing.json': No such file or directory", d)
        usage_error(barrage, ["--targets", "targets.jsonl"],
                    "--targets: targets.jsonl:1: \"body\": not base64 (a character outside A-Z a-z 0-9 + /)", d)
        usage_error(barrage, ["--iterations", "2", "http://127.0.0.1:9/"],
                    "--iterations needs a scenario file or --targets FILE (each virtual user's flow runs K times)", d)
        usage_error(barrage, ["--targets-order", "random", "http://127.0.0.1:9/"], "--targets-order needs --targets FILE", d)
        usage_error(barrage, ["--targets", "targets.txt", "http://127.0.0.1:9/"],
                    "--targets FILE gives the requests: no URL or scenario file with it (got http://127.0.0.1:9/)", d)
        usage_error(barrage, ["--targets", "ok.txt", "--redirects", "2", "--http2-prior-knowledge"],
                    "--redirects is not supported with HTTP/2 yet", d)
        usage_error(barrage, ["--targets", "mixed.txt", "--http2-prior-knowledge"],
                    "--http2-prior-knowledge is for http:// origins; step \"GET https://127.0.0.1:10/\" goes to "
                    "https://: use --http2", d)
        usage_error(barrage, ["--targets", "ok.txt", "--http2-prior-knowledge", "-m", "4"],
                    "scenarios and --targets run one stream at a time per virtual user (its steps go in order): "
                    "-m/--streams 1; more users (-c) for more streams", d)
        usage_error(barrage, ["-c", "2"], "url is required (a URL, a scenario file FILE.yaml|FILE.json, or --targets FILE)", d)
    if failures:
        print(f"{len(failures)} failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
