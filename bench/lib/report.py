"""Judging and rendering of a results document: per-figure metrics, verdict and barrage bugs, the
Markdown table (render) and the comparison of two results files (diff)."""
from .parse import summary

SATURATED = 90.0  # percent of one core
CONTENDED = 25.0  # other processes' CPU (percent of one core) above which a figure is flagged as contended


def metrics_of(fid, meta, runs):
    m = {}
    ok = [r for r in runs if "requests" in r]
    if not ok:
        return m
    if fid.startswith("gen/seed"):
        # the seed's own load phase (gather): requests/s and CPU exclude interpreter start-up
        m["rps"] = summary([r["rps"] for r in ok])
        m["cpu_us_per_req"] = summary([r["load_cpu_s"] / r["requests"] * 1e6 if r["requests"] else None for r in ok])
        m["gen_cpu_pct"] = summary([r["load_cpu_s"] / r["load_s"] * 100 for r in ok])
        m["process_cpu_us_per_req"] = summary(
            [(r["cpu_user_s"] + r["cpu_sys_s"]) / r["requests"] * 1e6 if r["requests"] else None for r in ok])
        m["server_cpu_pct"] = summary([r["server_cpu_s"] / r["wall_s"] * 100 for r in ok])
    else:
        m["rps"] = summary([r["rps"] for r in ok])
        m["cpu_us_per_req"] = summary(
            [r["window_cpu_s"] / r["requests"] * 1e6 if r["requests"] else None for r in ok])
        m["gen_cpu_pct"] = summary([r["window_cpu_s"] / r["window_s"] * 100 for r in ok])
        m["server_cpu_pct"] = summary([r["server_cpu_s"] / r["wall_s"] * 100 for r in ok])
    m["server_cpu_us_per_req"] = summary(
        [r["server_cpu_s"] / r["requests"] * 1e6 if r["requests"] else None for r in ok])
    m["user_pct"] = summary([r["cpu_user_s"] / (r["cpu_user_s"] + r["cpu_sys_s"]) * 100
                             if r["cpu_user_s"] + r["cpu_sys_s"] else None for r in ok])
    if all(r.get("csw") is not None for r in ok):
        m["csw_per_s"] = summary([r["csw"] / r["wall_s"] for r in ok])
    for k in ("p50_ms", "p99_ms", "mean_ms", "unc_p50_ms", "unc_p99_ms", "lag_p99_ms"):
        vals = [r[k] for r in ok if r.get(k) is not None]
        if vals:
            m[k] = summary(vals)
    if meta.get("handshakes"):  # one handshake per request: handshakes per generator CPU-second
        m["hs_per_cpu_s"] = summary([r["requests"] / r["window_cpu_s"] if r["window_cpu_s"] else None for r in ok])
        m["resumed_pct"] = summary([r["resumed"] / r["handshakes"] * 100 for r in ok if r.get("handshakes")])
    m["errors"] = summary([r.get("errors", 0) for r in ok])
    m["other_cpu_pct"] = summary([r.get("other_cpu_pct") for r in ok])
    if fid.startswith("acc/"):
        m["late"] = summary([r.get("late", 0) for r in ok])
        m["dropped"] = summary([r.get("dropped", 0) for r in ok])
    return {k: v for k, v in m.items() if v is not None}


def verdict_of(fid, meta, runs, m):
    if not m:
        return meta.get("na", "no successful run")
    if fid.startswith(("tls/ka/", "tls/hs/")):
        fid = "gen/" + fid  # judged as a generator figure
    elif fid.startswith("tls/srv/"):
        fid = "srv/" + fid
    if fid.startswith("gen/") or fid.startswith("srv/") or fid.startswith("pipe/"):
        g, s = m["gen_cpu_pct"]["median"], m["server_cpu_pct"]["median"]
        if fid.startswith("pipe/"):  # which side ran out of CPU first (both can, on a busy machine)
            side = ("server saturated" if s >= SATURATED and g < SATURATED else
                    "generator saturated" if g >= SATURATED and s < SATURATED else
                    "both saturated" if g >= SATURATED else "neither saturated")
            v = f"{side} (gen {g:.0f} %, server {s:.0f} %)"
            # On a shared machine neither pinned side may reach 90 %: CPU per request still says which
            # one a full core each would saturate first (the per-core ceiling is 1 / CPU per request).
            gu, su = m["cpu_us_per_req"]["median"], m["server_cpu_us_per_req"]["median"]
            if gu and su:
                bound = ("server-bound" if su > gu * 1.1 else "generator-bound" if gu > su * 1.1 else "balanced")
                v += (f"; {bound}: per-core ceilings gen {fmt_num(1e6 / gu)}, server {fmt_num(1e6 / su)} req/s")
            o = m.get("other_cpu_pct")
            if o and o["median"] >= CONTENDED:
                v += f"; contended: other processes used {o['median']:.0f} % of a core"
            return v
        if fid.startswith("gen/"):
            side = "generator" if g >= SATURATED else "server"
        else:
            side = "generator" if g >= SATURATED else ("server" if s >= SATURATED else "neither")
        v = f"{side} (gen {g:.0f} %, server {s:.0f} %)"
        o = m.get("other_cpu_pct")
        if o and o["median"] >= CONTENDED:
            v += f"; contended: other processes used {o['median']:.0f} % of a core"
        return v
    if fid.startswith("open/"):
        v = f"{m['gen_cpu_pct']['median']:.0f} % of a core; {m['csw_per_s']['median']:,.0f} voluntary context switches/s"
        if "lag_p99_ms" in m:
            v += f"; p99 schedule lag {m['lag_p99_ms']['median']:.3f} ms"
        if meta.get("rate"):
            v += f"; {m['rps']['median'] / meta['rate'] * 100:.1f} % of the asked rate"
        return v
    if fid == "acc/open/delay20ms":
        p50 = m["p50_ms"]["median"]
        return (f"p50 {p50 - 20.0:+.2f} ms from 20 ms; {m['rps']['median']:.0f} of 1000 req/s; "
                f"late {m['late']['median']:.0f}, dropped {m['dropped']['median']:.0f}")
    if fid == "acc/stall":
        c99, u99 = m["p99_ms"]["median"], m.get("unc_p99_ms", {}).get("median")
        shows = "yes" if c99 >= 250 else "NO"
        hides = "yes" if u99 is not None and u99 < 250 else "no"
        return f"stall in corrected p99: {shows}; hidden from uncorrected p99: {hides}"
    return ""


def bugs_of(fid, meta, runs):
    out = []
    for i, r in enumerate(runs):
        if not r["argv"][3].endswith("barrage"):
            continue
        if r["rc"] != 0 or r["killed"]:
            out.append(f"{fid} run {i + 1}: barrage exit status {r['rc']}{' (killed at the time limit)' if r['killed'] else ''}")
        if "parse_error" in r:
            out.append(f"{fid} run {i + 1}: no usable JSON report ({r['parse_error']})")
        if r.get("server_counted") is not None and "started" in r and r["server_counted"] != r["started"]:
            out.append(f"{fid} run {i + 1}: nginx served {r['server_counted']} requests, barrage reports "
                       f"started {r['started']} (succeeded {r['requests']}, in flight at end "
                       f"{r.get('in_flight_at_end')})")
        if "-d" in r["argv"]:
            d = float(r["argv"][r["argv"].index("-d") + 1].rstrip("s"))
            if r["wall_s"] > d + 3:
                out.append(f"{fid} run {i + 1}: barrage took {r['wall_s']:.1f} s for a {d:g} s run")
    return out


# ------------------------------------------------------------------ rendering


def fmt_num(x):
    if x is None:
        return "–"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    if x == 0:
        return "0"
    return f"{x:.3f}"


def fmt_sum(s, unit=""):
    if not s:
        return "–"
    u = f" {unit}" if unit else ""
    if s["n"] == 1 or s["min"] == s["max"]:
        return f"{fmt_num(s['median'])}{u}"
    return f"{fmt_num(s['median'])}{u} ({fmt_num(s['min'])}–{fmt_num(s['max'])})"


def fmt_time(ns_value, unit):
    ns = ns_value * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.1f} ns"


def fmt_rate(v, what):
    for div, p in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:.2f}{p} {what}/s"
    return f"{v:.1f} {what}/s"


def render(doc):
    L = []
    h = doc["host"]
    L.append(f"# barrage benchmarks ({doc['mode']})")
    L.append("")
    L.append(f"{doc['created']}, git {doc['git']}, {h['cpus']} CPUs ({h['cpu_model']}), kernel {h['kernel']}, "
             f"load average at start {h['loadavg_start'][0]}. {doc['reps']} run(s) per figure of "
             f"{doc['run_seconds']} s; median (min–max). 127.0.0.1 only; server on CPU 0, generator on CPU 1; "
             f"one thread per side. Took {doc['elapsed_s']:.0f} s.")
    L.append("")
    L.append("| Section | Figure | Throughput | CPU per request | Latency p50 / p99 | Saturated side / note |")
    L.append("|---|---|---|---|---|---|")
    figs = doc["figures"]
    for fid, f in figs.items():
        m = f["metrics"]
        sec = f["group"]
        if not m:
            L.append(f"| {sec} | {f['label']} | – | – | – | {f['verdict']} |")
            continue
        if fid.startswith(("gen/", "tls/ka/", "tls/hs/")):
            cpu = fmt_sum(m.get("cpu_us_per_req"), "µs") + " gen"
        elif fid.startswith(("srv/", "tls/srv/")):
            cpu = fmt_sum(m.get("server_cpu_us_per_req"), "µs") + " server"
        elif fid.startswith("pipe/"):
            cpu = (fmt_sum(m.get("cpu_us_per_req"), "µs") + " gen, " + fmt_sum(m.get("server_cpu_us_per_req"), "µs") +
                   " server")
        else:
            cpu = fmt_sum(m.get("cpu_us_per_req"), "µs") + " gen"
        if "p50_ms" in m:
            lat = f"{fmt_sum(m['p50_ms'])} / {fmt_sum(m.get('p99_ms'))} ms"
        elif "mean_ms" in m:
            lat = f"mean {fmt_sum(m['mean_ms'])} ms"
        else:
            lat = "–"
        if fid == "acc/stall":
            lat = (f"corrected {fmt_sum(m['p99_ms'])} ms / uncorrected {fmt_sum(m.get('unc_p99_ms'))} ms "
                   f"(p99)")
        if f.get("tool") == "ab":
            lat += " (whole ms)"
        if fid.startswith("gen/seed"):
            lat += " (incl. pool wait)"
        rps = fmt_sum(m.get("rps"), "req/s")
        note = f["verdict"]
        if f.get("ideal_rps"):
            note += f"; ideal {f['ideal_rps']:,.0f} req/s at 20 ms"
        if "hs_per_cpu_s" in m:
            note += f"; {fmt_sum(m['hs_per_cpu_s'])} handshakes per generator CPU-s"
            if "resumed_pct" in m:
                note += f" ({fmt_sum(m['resumed_pct'])} % resumed)"
        if fid.startswith("h2/") and "csw_per_s" in m:
            note += ("; " if note else "") + (f"user {fmt_sum(m.get('user_pct'))} % of CPU, "
                                              f"{fmt_sum(m['csw_per_s'])} sleeps/s")
        errs = m.get("errors")
        if errs and errs["max"] > 0:
            note += f"; errors {fmt_sum(errs)}"
        L.append(f"| {sec} | {f['label']} | {rps} | {cpu} | {lat} | {note} |")
    for name, r in doc["ratios"].items():
        rr = f"{r['rps']:.2f}×" if "rps" in r else "–"
        cc = f"{r['cpu_us_per_req']:.2f}×" if "cpu_us_per_req" in r else "–"
        what = ("above 1: pipelining faster / costlier for the generator" if name.startswith("--pipeline")
                else "above 1: the floor faster / costlier" if name.startswith("the floor")
                else "above 1: barrage faster / costlier")
        if "hs_per_cpu_s" in r:
            rr, what = f"{r['hs_per_cpu_s']:.2f}× handshakes/CPU-s", "above 1: barrage does more handshakes per CPU-second"
        L.append(f"| ratio | {name} | {rr} req/s | {cc} µs/req | – | {what} |")
    for exe, d in doc.get("micro", {}).items():
        for b in d["benchmarks"]:
            rate = []
            for k, v in b.items():
                if k == "items_per_second":
                    rate.append(fmt_rate(v, "items"))
                elif k == "bytes_per_second":
                    rate.append(f"{v / 2**20:.0f} MiB/s")
                elif k not in ("name", "cpu_time", "real_time", "time_unit", "iterations"):
                    rate.append(f"{k} {fmt_num(v)}")
            L.append(f"| micro | {exe}: {b['name']} | {', '.join(rate) or '–'} | "
                     f"{fmt_time(b['cpu_time'], b['time_unit'])} CPU/op | – | real "
                     f"{fmt_time(b['real_time'], b['time_unit'])}/op |")
    L.append("")
    if doc["bugs"]:
        L.append("**barrage problems seen in this run:**")
        L += [f"- {b}" for b in doc["bugs"]]
        L.append("")
    if doc["notes"]:
        L.append("Notes:")
        L += [f"- {n}" for n in doc["notes"]]
        L.append("")
    L.append("CPU per request: user+sys CPU of the generator (gen) or of the server over the run, divided by the "
             "requests the generator completed. Saturated side: the generator when it used ≥ 90 % of its core, else "
             "the server. See docs/benchmarks.md.")
    return "\n".join(L) + "\n"


# ------------------------------------------------------------------ diff


BETTER = {"rps": "higher", "hs_per_cpu_s": "higher", "cpu_us_per_req": "lower", "server_cpu_us_per_req": "lower", "p50_ms": "lower",
          "p99_ms": "lower", "process_cpu_us_per_req": "lower"}


def diff(old, new):
    L = [f"# {old.get('created')} ({old.get('git')}, {old.get('mode')}) → {new.get('created')} "
         f"({new.get('git')}, {new.get('mode')})", "",
         "| Figure | Metric | Old median (min–max) | New median (min–max) | Change |", "|---|---|---|---|---|"]
    for fid, nf in new["figures"].items():
        of = old.get("figures", {}).get(fid)
        if not of:
            continue
        for k, better in BETTER.items():
            a, b = of["metrics"].get(k), nf["metrics"].get(k)
            if not (a and b) or not a["median"]:
                continue
            ch = (b["median"] - a["median"]) / a["median"] * 100
            overlap = not (b["min"] > a["max"] or b["max"] < a["min"])
            good = (ch > 0) == (better == "higher")
            if ch == 0:
                tag = "same"
            elif a["n"] > 1 and b["n"] > 1:
                tag = "within noise" if overlap else ("better" if good else "worse")
            else:
                tag = ("better" if good else "worse") + ", 1 run"
            L.append(f"| {nf['label']} | {k} | {fmt_sum(a)} | {fmt_sum(b)} | {ch:+.1f} % ({tag}) |")
    for exe, d in new.get("micro", {}).items():
        olds = {b["name"]: b for b in old.get("micro", {}).get(exe, {}).get("benchmarks", [])}
        for b in d["benchmarks"]:
            a = olds.get(b["name"])
            if not a or not a["cpu_time"]:
                continue
            ch = (b["cpu_time"] - a["cpu_time"]) / a["cpu_time"] * 100
            L.append(f"| {exe}: {b['name']} | CPU/op | {fmt_time(a['cpu_time'], a['time_unit'])} | "
                     f"{fmt_time(b['cpu_time'], b['time_unit'])} | {ch:+.1f} % |")
    return "\n".join(L) + "\n"

