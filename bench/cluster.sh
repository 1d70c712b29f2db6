#!/usr/bin/env bash
# bench/cluster.sh - cluster broadcast deliveries/s: the sioc C example as
# one process, then as two processes on one private redis-server (the Redis
# adapter) with loadgen's clients split over both (--port2).  Interleaved
# repetitions; every process started here is stopped here (by pid).
#   bench/cluster.sh [REPS] [CLIENTS] [DURATION_S]
set -euo pipefail
cd "$(dirname "$0")"
REPS=${1:-3}
CLIENTS=${2:-1000}
DUR=${3:-5}
SERVER=${SIOC_ECHO_SERVER:-../build/sioc-echo-server}
make -s build/loadgen
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_line() {   # file pattern
  for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "cluster.sh: no '$2' in $1" >&2; cat "$1" >&2; return 1
}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" >"$tmp/redis.log" 2>&1 &
pids+=($!)
wait_line "$tmp/redis.log" "Ready to accept connections"
start() {   # name args... -> sets $port, appends pid
  "$SERVER" --port 0 "${@:2}" >"$tmp/$1.log" 2>&1 &
  pids+=($!)
  wait_line "$tmp/$1.log" "listening on"
  port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/$1.log" | head -1)
}
run() {   # label loadgen-args...
  ./build/loadgen --scenario bcast --clients "$CLIENTS" --outstanding 4 --warmup 1 \
    --duration "$DUR" --label "$1" "${@:2}" | tee -a "$tmp/results.jsonl"
}
for r in $(seq "$REPS"); do
  start one; run one-process --port "$port"; kill "${pids[-1]}"
  start one-redis --redis "redis://127.0.0.1:$rport"; run one-process+redis --port "$port"; kill "${pids[-1]}"
  start a --redis "redis://127.0.0.1:$rport"; pa=$port
  start b --redis "redis://127.0.0.1:$rport"; pb=$port
  sleep 0.3   # both subscribed
  run two-processes --port "$pa" --port2 "$pb"
  kill "${pids[-1]}" "${pids[-2]}"
done
python3 - "$tmp/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
by = {}
for r in rows:
    by.setdefault(r.get("server"), []).append(r)
key = next((k for k in ("deliveries_per_s", "deliveries/s", "rate") if rows and k in rows[0]), None)
for label, rs in by.items():
    v = sorted(x.get(key, 0) for x in rs)
    print("%-20s median %10.0f  (min %.0f .. max %.0f, n=%d)" % (label, statistics.median(v), v[0], v[-1], len(v)))
PY
