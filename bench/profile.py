#!/usr/bin/env python3
"""bench/profile.py - per-message costs of a bench server that do not depend
on how busy the machine is: instructions (valgrind --tool=callgrind) and
system calls (perf stat on syscall tracepoints, or strace -c -f).

    bench/profile.py --tool callgrind --server sioc-c -- --scenario echo-rate --clients 200 --rate 1000 --duration 5
    bench/profile.py --tool syscalls  --server sioc-c -- --scenario echo --clients 1000 --outstanding 4 --duration 3
    bench/profile.py --tool strace    --server ceiling -- --scenario echo --clients 1000 --duration 3

Each measurement is a difference of two runs on fresh servers, so start-up,
handshakes and teardown cancel out:
  run 1 (baseline): loadgen --scenario connect with the same --clients
  run 2:            loadgen with the given arguments, --warmup 0
  cost per unit = (total(run 2) - total(run 1)) / units(run 2)
where the unit is an ack (echo, echo-rate), a delivery (bcast, bcast-rate)
or, for --scenario connect, a handshake (run 1 then connects a tenth of the
clients).  --base-duration S makes run 1 the same scenario for S seconds
(the unit count is then the difference too): for servers with a JIT, whose
warm-up would otherwise be counted.  Open-loop scenarios (echo-rate, bcast-rate) at a rate the server
keeps up with under callgrind give one message per loop iteration: the
unbatched cost.  Prints one JSON line; --keep keeps the callgrind files (for
callgrind_annotate) in --outdir.

Servers as in run.sh: sioc-c (the build/ C example unless --binary), ceiling,
sioc-node, sioc-python, socketio, pysocketio.  Only for this machine's own
measurements; nothing here is a test.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
SYSCALLS = ["read", "write", "writev", "epoll_wait", "epoll_pwait", "epoll_ctl",
            "recvfrom", "sendto", "sendmsg", "recvmsg", "futex", "accept4", "close"]


def server_cmd(name, port, binary):
    servers = os.path.join(BENCH, "servers")
    return {
        "sioc-c": [binary or os.path.join(ROOT, "build", "sioc-echo-server"), "--port", str(port)],
        "ceiling": [os.path.join(BENCH, "build", "ceiling"), "--port", str(port)],
        "sioc-node": ["node", os.path.join(servers, "sioc_node.js"), "--port", str(port)],
        "socketio": ["node", os.path.join(servers, "socketio.js"), "--port", str(port)],
        "sioc-python": [sys.executable, os.path.join(servers, "sioc_python.py"), "--port", str(port)],
        "pysocketio": [sys.executable, os.path.join(servers, "pysocketio.py"), "--port", str(port)],
    }[name]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit(f"profile.py: server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("profile.py: server did not open its port")


def stop(proc, timeout=120):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_once(a, lg_args, tag):
    """One fresh server, one loadgen run; returns (loadgen result, tool totals)."""
    port = free_port()
    cmd = server_cmd(a.server, port, a.binary)
    out = os.path.join(a.outdir, f"{a.server}-{tag}")
    env = dict(os.environ)
    pre = ["taskset", "-c", a.server_cpu]
    if a.tool == "callgrind":
        pre += ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p.cg", "-q"]
        if a.server in ("sioc-node", "socketio"):
            pre += ["--smc-check=all"]
    proc = subprocess.Popen(pre + cmd, cwd=os.path.join(BENCH, "servers"), env=env,
                            stdout=subprocess.DEVNULL, stderr=open(out + ".log", "w"),
                            preexec_fn=lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN))
    tracer = None
    try:
        wait_port(port, proc, 300 if a.tool == "callgrind" else 30)
        if a.tool == "syscalls":
            ev = ",".join(["raw_syscalls:sys_enter", "context-switches"] +
                          [f"syscalls:sys_enter_{n}" for n in SYSCALLS])
            tracer = subprocess.Popen(["perf", "stat", "-x", ",", "-e", ev, "-p", str(proc.pid),
                                       "-o", out + ".perf"], stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        elif a.tool == "strace":
            tracer = subprocess.Popen(["strace", "-c", "-f", "-p", str(proc.pid), "-o", out + ".strace"],
                                      stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        lg = [os.path.join(BENCH, "build", "loadgen"), "--port", str(port),
              "--server-pid", str(proc.pid), "--label", a.server] + lg_args
        r = subprocess.run(["taskset", "-c", a.gen_cpu] + lg, capture_output=True, text=True,
                           timeout=a.timeout)
        lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
        if not lines:
            raise SystemExit(f"profile.py: loadgen printed nothing: {r.stderr.strip()}")
        res = json.loads(lines[-1])
        if not res.get("ok"):
            print(f"profile.py: warning: loadgen run not ok: {lines[-1]}", file=sys.stderr)
        time.sleep(0.3)  # let the server see the clients go (counted in both runs)
        if tracer:
            tracer.send_signal(signal.SIGINT)
            tracer.wait(30)
    finally:
        stop(proc)
        if tracer and tracer.poll() is None:
            tracer.kill()
    totals = {}
    if a.tool == "callgrind":
        f = f"{out}.{proc.pid}.cg"
        with open(f) as fh:
            for line in fh:
                if line.startswith("summary:") or line.startswith("totals:"):
                    totals["Ir"] = int(line.split()[1])
        if not a.keep:
            os.unlink(f)
        else:
            totals["file"] = f
    elif a.tool == "syscalls":
        with open(out + ".perf") as fh:
            for line in fh:
                parts = line.strip().split(",")
                if len(parts) > 2 and parts[0].replace(".", "").isdigit():
                    name = parts[2].split(":")[-1].replace("sys_enter_", "")
                    name = {"sys_enter": "all", "context-switches": "cswitch"}.get(name, name)
                    totals[name] = int(float(parts[0]))
    elif a.tool == "strace":
        with open(out + ".strace") as fh:
            for line in fh:
                m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
                if m and m.group(2) != "total":
                    totals[m.group(2)] = int(m.group(1))
        totals["all"] = sum(v for k, v in totals.items())
    return res, totals


def annotate(path, inclusive):
    """function -> Ir (self, or inclusive) from callgrind_annotate."""
    r = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}",
                        "--threshold=100", "--auto=no", path], capture_output=True, text=True)
    fns = {}
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([\s\d.]+%\)\s+(.*)$", line)
        if m and "PROGRAM TOTALS" not in m.group(2):
            name = re.sub(r"\s+\[.*\]$", "", m.group(2))
            name = name.split(":", 1)[-1] if ":" in name else name
            fns[name] = fns.get(name, 0) + int(m.group(1).replace(",", ""))
    return fns


def top_functions(base, run, units, n, inclusive):
    b, r = annotate(base, inclusive), annotate(run, inclusive)
    diff = {k: (v - b.get(k, 0)) / units for k, v in r.items()}
    return [[k, round(v, 1)] for k, v in sorted(diff.items(), key=lambda kv: -kv[1])[:n]]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tool", choices=["callgrind", "syscalls", "strace"], required=True)
    ap.add_argument("--server", default="sioc-c")
    ap.add_argument("--binary", help="the sioc C example to run (default build/sioc-echo-server)")
    ap.add_argument("--outdir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep callgrind output files")
    ap.add_argument("--server-cpu", default=os.environ.get("SERVER_CPU", "0"))
    ap.add_argument("--gen-cpu", default=os.environ.get("GEN_CPU", "1"))
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--label", default="")
    ap.add_argument("--top", type=int, default=0,
                    help="callgrind: also list the N functions costing most per unit (self cost)")
    ap.add_argument("--inclusive", action="store_true", help="--top lists inclusive costs")
    ap.add_argument("--base-duration", type=float, default=None,
                    help="baseline = the same scenario for this many seconds instead of a "
                         "connect run (cancels warm-up costs such as a JIT's; units = the "
                         "difference of the two runs' units)")
    ap.add_argument("loadgen", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    lg = [x for x in a.loadgen if x != "--"]
    a.outdir = a.outdir or tempfile.mkdtemp(prefix="sioc-profile-")
    os.makedirs(a.outdir, exist_ok=True)
    try:
        import resource
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass

    def opt(name, default):
        return lg[lg.index(name) + 1] if name in lg else default

    scenario = opt("--scenario", None)
    clients = int(opt("--clients", "1000"))
    if not scenario:
        raise SystemExit("profile.py: give loadgen's --scenario after --")
    if scenario == "connect":
        base_clients = max(1, clients // 10)
        base = ["--scenario", "connect", "--clients", str(base_clients), "--idle", "0.2"]
        if "--inflight" in lg:
            base += ["--inflight", opt("--inflight", "100")]
        run = lg + (["--idle", "0.2"] if "--idle" not in lg else [])
    else:
        base = ["--scenario", "connect", "--clients", str(clients), "--idle", "0.2"]
        run = lg + (["--warmup", "0"] if "--warmup" not in lg else [])
        if a.base_duration is not None:
            base = [x for x in run]
            if "--duration" in base:
                base[base.index("--duration") + 1] = str(a.base_duration)
            else:
                base += ["--duration", str(a.base_duration)]
    r0, t0 = run_once(a, base, "base")
    r1, t1 = run_once(a, run, "run")
    if scenario == "connect":
        units, unit = r1["connected"] - r0["connected"], "handshake"
    elif scenario.startswith("echo"):
        units, unit = r1["acks"] - (r0.get("acks", 0) if a.base_duration is not None else 0), "ack"
    else:
        units, unit = r1["deliveries"] - (r0.get("deliveries", 0) if a.base_duration is not None else 0), "delivery"
    per = {}
    for k, v in t1.items():
        if isinstance(v, int):
            per[k] = round((v - t0.get(k, 0)) / units, 3) if units else None
    out = {"tool": a.tool, "server": a.server, "label": a.label, "loadgen": " ".join(run),
           "unit": unit, "units": units, "per_unit": per,
           "totals_run": {k: v for k, v in t1.items() if isinstance(v, int)},
           "totals_base": {k: v for k, v in t0.items() if isinstance(v, int)},
           "run_ok": r1.get("ok"), "base_ok": r0.get("ok")}
    if a.keep:
        out["files"] = [t0.get("file"), t1.get("file")]
    if a.top and a.tool == "callgrind" and a.keep and units:
        out["top"] = top_functions(t0["file"], t1["file"], units, a.top, a.inclusive)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
