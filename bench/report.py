#!/usr/bin/env python3
"""report.py - turns the loadgen JSON lines of one bench/run.sh batch into a
markdown table: per figure and server, the median (min..max) over the
repetitions, then the ratios of every server against socket.io and
python-socketio.

    python3 bench/report.py RESULTS.jsonl [--title T] [--command C] > RESULTS.md
    python3 bench/report.py RESULTS.jsonl --summary    # the README's table

--summary prints one row per scenario with its headline figure (the one
BENCH.md's targets are stated in) for every server, then the sioc servers'
ratios against socket.io and python-socketio.

Each input line is loadgen's output plus "id" (the scenario id of run.sh),
"server" (its name) and "rep".
"""
import argparse
import json
import statistics
import sys
from collections import OrderedDict, defaultdict

SERVER_ORDER = ["sioc-c", "sioc-node", "sioc-python", "socketio", "pysocketio", "ceiling"]
SERVER_TITLE = {
    "sioc-c": "sioc C example",
    "sioc-node": "sioc Node",
    "sioc-python": "sioc Python",
    "socketio": "socket.io 4.8.4",
    "pysocketio": "python-socketio 5.18",
    "ceiling": "ceiling (C responder)",
}

# figure key in loadgen's JSON, label, higher-is-better
FIGURES = {
    "connect": [("handshakes_per_s", "handshakes/s", True),
                ("rss_per_conn_b", "RSS B / idle conn", False)],
    "echo": [("acks_per_s", "acks/s", True), ("p50_us", "p50 µs", False), ("p99_us", "p99 µs", False)],
    "echo-rate": [("acks_per_s", "acks/s (offered)", None), ("p50_us", "p50 µs", False),
                  ("p99_us", "p99 µs", False)],
    "bcast": [("deliveries_per_s", "deliveries/s", True), ("p50_us", "delivery p50 µs", False),
              ("p99_us", "delivery p99 µs", False)],
    "bcast-rate": [("deliveries_per_s", "deliveries/s (offered)", None),
                   ("p50_us", "delivery p50 µs", False), ("p99_us", "delivery p99 µs", False)],
}
SCALING_FIGURES = [("deliveries_per_s", "deliveries/s", True), ("bytes_per_s", "MB/s", True)]
# The headline figure of each scenario, for --summary.
HEADLINE = {"connect": ["handshakes_per_s", "rss_per_conn_b"], "echo": ["acks_per_s"],
            "echo-rate": ["p99_us"], "bcast": ["deliveries_per_s"], "bcast-rate": ["p99_us"],
            "scale": ["deliveries_per_s"]}
CPU_FIGURES = [("gen_cpu_pct", "generator CPU %", None), ("server_cpu_pct", "server CPU %", None)]


def fmt(v, key):
    if v is None:
        return "—"
    if key == "bytes_per_s":
        v = v / 1e6
        return f"{v:,.1f}" if v < 100 else f"{v:,.0f}"
    if key.endswith("_us"):
        return f"{v / 1000:,.2f} ms" if v >= 10000 else f"{v:,.0f}"
    if key.endswith("_pct"):
        return f"{v:.0f}"
    return f"{v:,.0f}"


def describe(rec):
    sc = rec["scenario"]
    if rec["id"].startswith("scale"):
        return f"scaling: bcast to {rec['clients']:,} clients, {rec['size']:,} B"
    if sc == "connect":
        return f"connect: {rec['clients']:,} clients, 100 in flight"
    if sc == "echo":
        return f"echo: {rec['clients']:,} clients, {rec['outstanding']} ack(s) outstanding each"
    if sc == "echo-rate":
        return f"echo at rate: {rec['clients']:,} clients, {rec['rate']:,.0f} acks/s"
    if sc == "bcast":
        return f"broadcast: {rec['clients']:,} clients, {rec['outstanding']} in flight"
    if sc == "bcast-rate":
        return f"broadcast at rate: {rec['clients']:,} clients, {rec['rate']:,.0f}/s"
    return rec["id"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("jsonl")
    ap.add_argument("--title", default="sioc benchmarks")
    ap.add_argument("--command", default="bench/run.sh")
    ap.add_argument("--machine", default="")
    ap.add_argument("--summary", action="store_true",
                    help="headline figures and ratios only (the README table)")
    a = ap.parse_args()
    recs = [json.loads(l) for l in open(a.jsonl) if l.strip().startswith("{")]
    if not recs:
        print("no results", file=sys.stderr)
        return 1
    servers = [s for s in SERVER_ORDER if any(r["server"] == s for r in recs)]
    ids = list(OrderedDict.fromkeys(r["id"] for r in recs))
    by = defaultdict(list)
    for r in recs:
        by[(r["id"], r["server"])].append(r)
    reps = max(r["rep"] for r in recs)

    rows = []  # (label, key, higher, {server: [values]}, {server: problems})
    for sid in ids:
        sample = next(r for r in recs if r["id"] == sid)
        figs = SCALING_FIGURES if sid.startswith("scale") else FIGURES.get(sample["scenario"], [])
        if sample["scenario"] in ("echo", "bcast") or sid.startswith("scale"):
            figs = figs + CPU_FIGURES
        for key, label, higher in figs:
            vals, bad = {}, {}
            for s in servers:
                rs = by.get((sid, s), [])
                vs = [r.get(key) for r in rs if r.get(key) is not None and r.get(key, -1) >= 0]
                vals[s] = vs
                bad[s] = sum(1 for r in rs if not r.get("ok"))
            rows.append((describe(sample), label, key, higher, vals, bad))

    if a.summary:
        print("\n".join(summary(rows, servers)))
        return 0

    out = []
    out.append(f"# {a.title}\n")
    out.append(f"Command: `{a.command}`  ")
    if a.machine:
        out.append(f"Machine: {a.machine}  ")
    out.append(f"Repetitions: {reps} (servers interleaved; server on CPU 0, generator on CPU 1). "
               "Cells: median (min..max). `!n`: n runs with failed/closed connections or errors.\n")
    out.append("| scenario | figure | " + " | ".join(SERVER_TITLE[s] for s in servers) + " |")
    out.append("|---|---|" + "---|" * len(servers))
    last = None
    for scen, label, key, higher, vals, bad in rows:
        scen, last = ("" if scen == last else scen), scen
        cells = []
        for s in servers:
            vs = vals[s]
            if not vs:
                cells.append("—" if not bad[s] else f"failed !{bad[s]}")
                continue
            med = statistics.median(vs)
            c = fmt(med, key)
            if len(vs) > 1:
                c += f" ({fmt(min(vs), key)}..{fmt(max(vs), key)})"
            if bad[s]:
                c += f" !{bad[s]}"
            cells.append(c)
        out.append(f"| {scen} | {label} | " + " | ".join(cells) + " |")

    for ref in ("socketio", "pysocketio", "ceiling"):
        if ref not in servers:
            continue
        others = [s for s in servers if s != ref]
        out.append(f"\n**Ratios against {SERVER_TITLE[ref]}** (medians; >1 is better for every "
                   "figure: throughput ratio = server / ref, latency and memory ratio = ref / server)\n")
        out.append("| scenario | figure | " + " | ".join(SERVER_TITLE[s] for s in others) + " |")
        out.append("|---|---|" + "---|" * len(others))
        last = None
        for scen, label, key, higher, vals, bad in rows:
            if higher is None or not vals[ref]:
                continue
            scen, last = ("" if scen == last else scen), scen
            rv = statistics.median(vals[ref])
            cells = []
            for s in others:
                if not vals[s] or rv <= 0:
                    cells.append("—")
                    continue
                v = statistics.median(vals[s])
                if v <= 0:
                    cells.append("—")
                    continue
                cells.append(f"{(v / rv) if higher else (rv / v):.2f}x")
            out.append(f"| {scen} | {label} | " + " | ".join(cells) + " |")
    print("\n".join(out))
    return 0


def summary(rows, servers):
    """The headline rows: medians for every server, then ratios of the sioc
    servers against the two references (>1 is better)."""
    picked = []
    for row in rows:
        scen, label, key = row[0], row[1], row[2]
        kind = "scale" if scen.startswith("scaling") else None
        if kind is None:
            kind = next((k for k in ("connect", "echo at rate", "echo", "broadcast at rate",
                                     "broadcast") if scen.startswith(k)), "")
            kind = {"echo at rate": "echo-rate", "broadcast at rate": "bcast-rate",
                    "broadcast": "bcast"}.get(kind, kind)
        if key in HEADLINE.get(kind, ()):
            picked.append(row)

    def med(vals, s):
        return statistics.median(vals[s]) if vals.get(s) else None

    out = ["| scenario | figure | " + " | ".join(SERVER_TITLE[s] for s in servers) + " |",
           "|---|---|" + "---|" * len(servers)]
    for scen, label, key, higher, vals, bad in picked:
        cells = [(fmt(med(vals, s), key) + (f" !{bad[s]}" if bad[s] else "")) for s in servers]
        out.append(f"| {scen} | {label} | " + " | ".join(cells) + " |")

    sioc = [s for s in ("sioc-c", "sioc-node", "sioc-python") if s in servers]
    refs = [r for r in ("socketio", "pysocketio") if r in servers]
    cols = [(s, r) for r in refs for s in sioc]
    if not cols:
        return out
    out.append("")
    out.append("| scenario | figure | " + " | ".join(
        f"{SERVER_TITLE[s].replace('sioc ', '')} vs {SERVER_TITLE[r].split(' ')[0]}"
        for s, r in cols) + " |")
    out.append("|---|---|" + "---|" * len(cols))
    for scen, label, key, higher, vals, bad in picked:
        cells = []
        for s, r in cols:
            v, rv = med(vals, s), med(vals, r)
            if not v or not rv or v <= 0 or rv <= 0:
                cells.append("—")
            else:
                cells.append(f"{(v / rv) if higher is not False else (rv / v):.1f}x")
        out.append(f"| {scen} | {label} | " + " | ".join(cells) + " |")
    return out


if __name__ == "__main__":
    sys.exit(main())
