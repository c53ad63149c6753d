#!/usr/bin/env python3
"""barrage k8s: manifests valid against the Kubernetes API schema, credentials never in them,
and barrage k8s collect against a fake kubectl.

1. Manifests for several option sets are parsed back (python3-yaml) and checked: an Indexed
   Job with completions = parallelism = N, no retries, anti-affinity, resources from -t/--cpu
   and --memory, a container ending in --json - --json-compact; a ConfigMap for --cacert.
   Each is validated offline with kubernetes-models (k8s_validate.mjs), and so are two
   hand-made invalid Jobs (wrong types and enum; a misspelt field), which must fail: the
   validator works.
2. Secrets (issue 24): -H Authorization/Cookie/X-Api-Key, a --redact-header name, the URL's
   password, a secret query parameter, -b and a --body-file are in no document but the Secret
   (base64), nor on stderr; --secret-out writes the Secret apart (0600); --secret-from prints
   none. The pod's side: the Job's arguments expanded as Kubernetes does ($(KEY) from the
   Secret, $$ to $) and run by barrage against a recording server on 127.0.0.1, which must
   receive the real values, and whose output (stdout and stderr together, as kubectl logs
   shows them) must end with the JSON report on one line.
3. collect: kubectl cannot run here (no cluster), so the test puts its own fake kubectl first
   on PATH: a script that answers `get job`, `get pods` and `logs` from a state file the way
   kubectl does (jsonpath output, NotFound errors), with logs holding real barrage reports.
   The shard files are checked, and their merge (started = 20); errors (no
   kubectl, an empty log, a last line that is not JSON, a running pod) are one line each.

usage: k8s_test.py BARRAGE
"""
import base64
import http.server
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FAILURES, check, guard_children  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VALIDATOR = os.path.join(HERE, "k8s_validate.mjs")
BARRAGE = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix="barrage-k8s-test-")

TOKEN = "s3cr3t-t0ken"
COOKIE_VALUE = "c00kie-v4l"
API_KEY = "ap1-k3y-v4l"
TENANT = "t3nant-v4l"
PASSWORD = "pa55-w0rd"
QUERY_TOKEN = "qry-t0k3n"
BODY_FILE_SECRET = "b0dy-f1le-secret"
SECRETS = [TOKEN, COOKIE_VALUE, API_KEY, TENANT, PASSWORD, QUERY_TOKEN, BODY_FILE_SECRET]
RECEIVED = []


class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        RECEIVED.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = do_any

    def log_message(self, *args):
        pass


def barrage(args, **kw):
    return subprocess.run([BARRAGE] + args, capture_output=True, text=True, timeout=60, **kw)


def docs_of(text):
    return [d for d in yaml.safe_load_all(text) if d is not None]


def validate(paths):
    r = subprocess.run(["node", VALIDATOR] + paths, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def write(name, text, mode=0o644):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def job_of(docs):
    return next(d for d in docs if d["kind"] == "Job")


def container_of(docs):
    return job_of(docs)["spec"]["template"]["spec"]["containers"][0]


def manifests(to_validate):
    """Part 1: structure and schema of the manifests for several option sets."""
    ca = write("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    cases = [
        ("plain", ["http://target.example/", "--shards", "4", "--image", "reg/barrage:1"]),
        ("threads_memory", ["https://t.example:8443/x", "-c", "2000", "-t", "3", "--memory", "2Gi", "--shards",
                            "8", "--image", "i", "--namespace", "load", "--name", "run-7", "--insecure"]),
        ("cpu_only", ["http://t/", "-r", "50k", "-d", "30s", "--cpu", "2.5", "--shards", "2", "--image", "i",
                      "--start-at", "2030-01-01T00:00:00Z"]),
        ("cacert", ["https://t/", "--cacert", ca, "--shards", "1", "--image", "i"]),
    ]
    out = {}
    for name, args in cases:
        r = barrage(["k8s"] + args)
        if not check(r.returncode == 0, "%s: barrage k8s exits 0 (%s)" % (name, r.stderr.strip()[:200])):
            continue
        docs = docs_of(r.stdout)
        out[name] = docs
        to_validate.append(write("m-%s.yaml" % name, r.stdout))
    if len(out) != len(cases):
        return
    job = job_of(out["plain"])
    spec = job["spec"]
    check(spec["completionMode"] == "Indexed" and spec["completions"] == 4 and spec["parallelism"] == 4,
          "Indexed Job, completions = parallelism = 4")
    check(spec["backoffLimitPerIndex"] == 0 and spec["template"]["spec"]["restartPolicy"] == "Never",
          "no retry of a shard: backoffLimitPerIndex 0, restartPolicy Never")
    anti = spec["template"]["spec"]["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    labels = spec["template"]["metadata"]["labels"]
    sel = anti[0]["podAffinityTerm"]["labelSelector"]["matchLabels"]
    check(all(labels.get(k) == v for k, v in sel.items()) and anti[0]["podAffinityTerm"]["topologyKey"]
          == "kubernetes.io/hostname", "preferred anti-affinity on the pods' own label, per node")
    c = container_of(out["plain"])
    check(c["command"] == ["barrage"] and c["args"][-9:] == ["--shards", "4", "--start-at", c["args"][-6], "--quiet",
                                                          "--no-progress", "--json", "-", "--json-compact"]
          and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c["args"][-6]),
          "the container runs barrage ... --shards 4 --start-at <RFC 3339> --quiet --json - --json-compact")
    check(c["resources"]["limits"] == c["resources"]["requests"] == {"cpu": "1", "memory": "512Mi"}
          and "--threads" in c["args"] and c["args"][c["args"].index("--threads") + 1] == "1",
          "defaults: 1 CPU and -t 1, 512Mi, requests = limits")
    c = container_of(out["threads_memory"])
    job = job_of(out["threads_memory"])
    check(c["resources"]["limits"] == {"cpu": "3", "memory": "2Gi"} and "--threads" not in c["args"]
          and job["metadata"]["namespace"] == "load" and job["metadata"]["name"] == "run-7",
          "-t 3 --memory 2Gi: cpu 3, memory 2Gi; --namespace and --name")
    c = container_of(out["cpu_only"])
    check(c["resources"]["limits"]["cpu"] == "2.5" and c["args"][c["args"].index("--threads") + 1] == "2"
          and "2030-01-01T00:00:00Z" in c["args"], "--cpu 2.5: cpu 2.5 and -t 2; --start-at as given")
    docs = out["cacert"]
    cm = next((d for d in docs if d["kind"] == "ConfigMap"), None)
    c = container_of(docs)
    check(cm is not None and cm["data"]["ca.pem"] == open(ca).read()
          and c["args"][c["args"].index("--cacert") + 1] == "/etc/barrage/files/ca.pem"
          and c["volumeMounts"][0]["mountPath"] == "/etc/barrage/files",
          "--cacert: the file in a ConfigMap, mounted, and the argument pointing at it")


def secret_args(body_file):
    return ["http://alice:%s@127.0.0.1:PORT/api?" % PASSWORD + "token=%s&q=1" % QUERY_TOKEN,
            "-H", "Authorization: Bearer " + TOKEN, "-H", "Cookie: sid=" + COOKIE_VALUE,
            "--header=X-Api-Key: " + API_KEY, "-H", "X-Tenant: " + TENANT, "--redact-header", "x-tenant",
            "-H", "X-Price: $5 $(HOME)", "--body-file", body_file, "-n", "3", "-c", "1"]


def pod_side(docs, secret_doc, port):
    """What a pod does with the Job: its arguments expanded from the Secret, run against us."""
    data = {k: base64.b64decode(v).decode() for k, v in secret_doc["data"].items()}
    files = os.path.join(TMP, "secret-volume")
    os.makedirs(files, exist_ok=True)
    for k, v in data.items():
        write(os.path.join("secret-volume", k), v)

    def expand(arg):  # Kubernetes' rule: $(NAME) from the environment, $$ -> $
        return re.sub(r"\$\$|\$\(([^)]*)\)", lambda m: "$" if m.group(0) == "$$" else
                      data.get(m.group(1), m.group(0)), arg).replace("/etc/barrage/secret", files)

    c = container_of(docs)
    env_keys = {e["name"] for e in c["env"]}
    check(all(e["valueFrom"]["secretKeyRef"]["name"] == secret_doc["metadata"]["name"] for e in c["env"]),
          "each secret environment variable is a secretKeyRef to the Secret")
    args = [expand(a) for a in c["args"]]
    # The shard flags are the shards feature's; a local run here is one whole run.
    i = args.index("--shards")
    args = args[:i] + args[i + 4:]
    RECEIVED.clear()
    r = subprocess.run([BARRAGE] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    last = r.stdout.rstrip("\n").split("\n")[-1]
    try:
        report = json.loads(last)
    except ValueError:
        report = None
    check(r.returncode == 0 and report is not None and report.get("requests", {}).get("started", 3) == 3,
          "the pod's log (stdout and stderr) ends with its JSON report on one line")
    ok = len(RECEIVED) == 3
    for path, headers, body in RECEIVED:
        ok = ok and headers.get("Authorization") == "Bearer " + TOKEN and headers.get("Cookie") == "sid=" + COOKIE_VALUE
        ok = ok and headers.get("X-Api-Key") == API_KEY and headers.get("X-Tenant") == TENANT
        ok = ok and headers.get("X-Price") == "$5 $(HOME)" and body == BODY_FILE_SECRET.encode()
        ok = ok and path == "/api?token=%s&q=1" % QUERY_TOKEN
    check(ok, "the pod sends the real credentials, body and a literal '$' as typed (%d requests)" % len(RECEIVED))
    check({"BARRAGE_HEADER_AUTHORIZATION", "BARRAGE_URL_PASSWORD", "BARRAGE_QUERY_TOKEN"} <= env_keys,
          "the URL password, the query token and Authorization come from the Secret")
    text = json.dumps(report) if report else ""
    check(report is not None and not any(s in text for s in SECRETS), "the pod's report holds no secret")


def secrets(to_validate, port):
    """Part 2: credentials never in the manifests."""
    body_file = write("body.txt", BODY_FILE_SECRET)
    args = [a.replace("PORT", str(port)) for a in secret_args(body_file)]
    r = barrage(["k8s"] + args + ["--shards", "2", "--image", "i", "--name", "sec"])
    if not check(r.returncode == 0, "with credentials: barrage k8s exits 0 (%s)" % r.stderr.strip()[:200]):
        return
    docs = docs_of(r.stdout)
    to_validate.append(write("m-secrets.yaml", r.stdout))
    sec = [d for d in docs if d["kind"] == "Secret"]
    rest = yaml.safe_dump_all([d for d in docs if d["kind"] != "Secret"])
    leaked = [s for s in SECRETS if s in rest or s in r.stderr]
    check(len(sec) == 1 and not leaked, "no secret in the ConfigMap, the Job or stderr (found: %s)" % leaked)
    if not sec:
        return
    values = [base64.b64decode(v).decode() for v in sec[0]["data"].values()]
    check(all(any(s in v for v in values) for s in SECRETS), "the Secret holds every credential, base64")
    check("Secret" not in [d["kind"] for d in docs[docs.index(sec[0]) + 1:]] and r.stdout.find("do not commit") >= 0,
          "the Secret is its own document, with a note not to commit it")
    pod_side(docs, sec[0], port)

    out = os.path.join(TMP, "secret.yaml")
    r = barrage(["k8s"] + args + ["--shards", "2", "--image", "i", "--secret-out", out])
    sdocs = docs_of(open(out).read()) if os.path.exists(out) else []
    check(r.returncode == 0 and "Secret" not in r.stdout and not any(s in r.stdout for s in SECRETS)
          and len(sdocs) == 1 and sdocs[0]["kind"] == "Secret"
          and stat.S_IMODE(os.stat(out).st_mode) == 0o600, "--secret-out: the Secret in its own file (0600), "
          "stdout without it")
    if os.path.exists(out):
        to_validate.append(out)
    r = barrage(["k8s"] + args + ["--shards", "2", "--image", "i", "--secret-from", "team-creds"])
    docs = docs_of(r.stdout) if r.returncode == 0 else []
    refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in container_of(docs)["env"]} if docs else set()
    check(r.returncode == 0 and "Secret" not in [d["kind"] for d in docs] and refs == {"team-creds"}
          and "BARRAGE_HEADER_AUTHORIZATION" in r.stderr and not any(s in r.stdout + r.stderr for s in SECRETS),
          "--secret-from: no Secret printed, references to team-creds, its keys listed on stderr")


def usage_errors():
    cases = [
        (["http://t/", "--image", "i"], "--shards N is required"),
        (["http://t/", "--shards", "2"], "--image IMAGE is required"),
        (["http://t/", "--shards", "0", "--image", "i"], "--shards: bad count"),
        (["http://t/", "--shards", "2", "--image", "i", "--json", "x"], "--json: not with barrage k8s"),
        (["http://t/", "--shards", "2", "--image", "i", "--threshold", "p99<1s"], "give it to barrage k8s collect"),
        (["http://t/", "--shards", "2", "--image", "i", "--cpu", "lots"], "--cpu: bad CPU quantity"),
        (["http://t/", "--shards", "2", "--image", "i", "--name", "Big"], "--name: bad name"),
        (["http://t/", "--shards", "2", "--image", "i", "--shard", "0/2"], "--shard: not with barrage k8s"),
        (["http://t/", "--shards", "2", "--image", "i", "-c", "0"], "-c"),
        (["http://t/", "--shards", "2", "--image", "i", "--start-at", "soon"], "--start-at: bad time"),
        (["http://t/", "--shards", "2", "--image", "i", "-kHAuthorization: Bearer " + TOKEN],
         "cannot take the value of -H Authorization off the command line"),
    ]
    for args, expected in cases:
        r = barrage(["k8s"] + args)
        lines = r.stderr.strip().split("\n")
        check(r.returncode == 2 and len(lines) == 1 and expected in lines[0] and r.stdout == ""
              and TOKEN not in r.stderr, "usage error, exit 2, one line: %s -> %s" % (" ".join(args[3:]), lines[0]))
    r = barrage(["k8s", "--help"])
    check(r.returncode == 0 and "--memory BYTES=512Mi" in r.stdout and "--start-at TIME=+2m" in r.stdout,
          "barrage k8s --help shows units and defaults")


FAKE_KUBECTL = r'''#!/usr/bin/env python3
# A fake kubectl for barrage k8s collect's test (tests/integration/k8s_test.py): no cluster and
# no kubectl here. It answers the three requests collect makes from the JSON state file in
# $FAKE_KUBECTL_STATE, in kubectl's output formats, and logs each call to $FAKE_KUBECTL_LOG.
import json, os, sys
state = json.load(open(os.environ["FAKE_KUBECTL_STATE"]))
args = sys.argv[1:]
with open(os.environ["FAKE_KUBECTL_LOG"], "a") as f:
    f.write(json.dumps(args) + "\n")
ns = "default"
rest = []
i = 0
while i < len(args):
    if args[i] == "--namespace":
        ns = args[i + 1]; i += 2; continue
    if args[i].startswith("--request-timeout="):
        i += 1; continue
    rest.append(args[i]); i += 1
def not_found(kind, name):
    sys.stderr.write('Error from server (NotFound): %s "%s" not found\n' % (kind, name)); sys.exit(1)
if ns != state["namespace"]:
    not_found("jobs.batch" if rest[:2] == ["get", "job"] else "pods", rest[2] if len(rest) > 2 else "")
if rest[:2] == ["get", "job"]:
    if rest[2] != state["job"] or rest[3:5] != ["-o", "jsonpath={.spec.completions}"]: not_found("jobs.batch", rest[2])
    sys.stdout.write(str(state["completions"]))
elif rest[:2] == ["get", "pods"]:
    assert rest[2:4] == ["-l", "job-name=" + state["job"]], rest
    assert rest[4] == "-o" and "job-completion-index" in rest[5], rest
    for name, index, phase in state["pods"]:
        sys.stdout.write("%s\t%s\t%s\n" % (name, index, phase))
elif rest[0] == "logs":
    if rest[1] not in state["logs"]:
        sys.stderr.write('Error from server (BadRequest): container "barrage" in pod "%s" is waiting to start: '
                         'ContainerCreating\n' % rest[1]); sys.exit(1)
    sys.stdout.write(state["logs"][rest[1]])
else:
    sys.stderr.write("fake kubectl: unexpected %s\n" % args); sys.exit(1)
'''


def collect(port):
    """Part 3: barrage k8s collect against the fake kubectl."""
    bindir = os.path.join(TMP, "bin")
    os.makedirs(bindir)
    kubectl = write(os.path.join("bin", "kubectl"), FAKE_KUBECTL, 0o755)
    logs = {}
    for i in range(2):
        r = subprocess.run([BARRAGE, "http://127.0.0.1:%d/" % port, "-n", "20", "-c", "2", "-t", "1", "--quiet",
                            "--no-progress", "--json", "-", "--json-compact", "--shard", "%d/2" % i],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        logs["run-%d-abcde" % i] = "barrage: note: a line before the report\n" + r.stdout
    state = {"namespace": "load", "job": "run", "completions": 2,
             "pods": [["run-0-abcde", 0, "Succeeded"], ["run-1-abcde", 1, "Succeeded"]], "logs": logs}
    env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"], FAKE_KUBECTL_LOG=os.path.join(TMP, "calls"))

    def run(state, extra, env=env):
        path = write("state.json", json.dumps(state))
        env = dict(env, FAKE_KUBECTL_STATE=path)
        return subprocess.run([BARRAGE, "k8s", "collect", "run", "--namespace", "load"] + extra, env=env,
                              capture_output=True, text=True, timeout=60)

    out_dir = os.path.join(TMP, "shards")
    merged = os.path.join(TMP, "merged.json")
    r = run(state, ["--dir", out_dir, "--json", merged])
    files = sorted(os.listdir(out_dir)) if os.path.isdir(out_dir) else []
    same = files == ["shard-0.json", "shard-1.json"] and all(
        open(os.path.join(out_dir, "shard-%d.json" % i)).read() == logs["run-%d-abcde" % i].split("\n")[-2] + "\n"
        for i in range(2))
    check(same, "collect: each index's last log line saved as shard-I.json (%s)" % files)
    calls = [json.loads(line) for line in open(os.path.join(TMP, "calls"))]
    check(["logs", "run-0-abcde"] == calls[-2][-2:] and all("--namespace" in c for c in calls),
          "collect: kubectl get job, get pods by label, logs per pod, in the namespace")
    rep = json.load(open(merged)) if os.path.exists(merged) else {}
    check(r.returncode == 0 and rep.get("requests", {}).get("started") == 20,
          "collect: barrage merge of the two shards: started 20 (%s)" % r.stderr.strip()[:200])

    errors = [
        ("an empty log", dict(state, logs=dict(logs, **{"run-1-abcde": ""})), "its log is empty"),
        ("a last line that is not JSON", dict(state, logs=dict(logs, **{"run-1-abcde": "barrage: bad URL\n"})),
         "the last line of its log is not a JSON report: \"barrage: bad URL\""),
        ("a running pod", dict(state, pods=[["run-0-abcde", 0, "Succeeded"], ["run-1-abcde", 1, "Running"]]),
         "run-1-abcde (index 1) is Running"),
        ("a pod that never started", dict(state, logs={"run-0-abcde": logs["run-0-abcde"]}),
         "is waiting to start"),
        ("a missing pod", dict(state, pods=[["run-0-abcde", 0, "Succeeded"]]), "index 1 of job run: no pod"),
        ("the wrong namespace", dict(state, namespace="other"), "Error from server (NotFound)"),
    ]
    for what, st, expected in errors:
        r = run(st, [])
        lines = r.stderr.strip().split("\n")
        check(r.returncode == 1 and len(lines) == 1 and expected in lines[0],
              "collect, %s: exit 1, one line: %s" % (what, lines[0][:160]))
    r = run(dict(state, pods=[["run-0-abcde", 0, "Succeeded"]]), ["--allow-partial", "--dir", out_dir + "-p"])
    check(os.listdir(out_dir + "-p") == ["shard-0.json"] and "left out: index 1 of job run: no pod" in r.stderr,
          "collect --allow-partial: the shards with a report, the others named on stderr")
    r = run(state, [], env=dict(env, PATH="/nonexistent"))
    check(r.returncode == 1 and r.stderr.strip().count("\n") == 0 and "kubectl: not found on PATH" in r.stderr,
          "collect without kubectl: exit 1, one line: %s" % r.stderr.strip())


def main():
    guard_children()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    to_validate = []
    try:
        manifests(to_validate)
        secrets(to_validate, port)
        usage_errors()
        code, text = validate(to_validate)
        check(code == 0 and text.count("ok ") >= len(to_validate),
              "every manifest is valid against the Kubernetes API schema:\n    " + text.strip().replace("\n", "\n    "))
        good = open(to_validate[0]).read()
        bad = write("invalid.yaml", good.replace("completionMode: Indexed", "completionMode: Sequential")
                    .replace("parallelism: 4", "parallelism: four"))
        code, text = validate([bad])
        check(code == 1 and "completionMode" in text and "parallelism must be integer" in text,
              "a hand-made invalid Job fails validation: " + text.strip())
        bad = write("unknown-field.yaml", good.replace("backoffLimitPerIndex:", "backoffLimitPerIndx:"))
        code, text = validate([bad])
        check(code == 1 and "unknown field .spec.backoffLimitPerIndx" in text,
              "a Job with a misspelt field fails validation: " + text.strip())
        collect(port)
    finally:
        server.shutdown()
        shutil.rmtree(TMP, ignore_errors=True)
    print("%d failed" % len(FAILURES))
    sys.exit(1 if FAILURES else 0)


main()
