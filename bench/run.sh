#!/usr/bin/env bash
# bench/run.sh - sioc against socket.io and python-socketio, side by side
# (../shared/BENCH.md; usage in bench/README.md).
#
#   bench/run.sh            full batch: every scenario, 3 repetitions (~40 min)
#   bench/run.sh --quick    the main scenarios, smaller, 3 repetitions (< 5 min)
#   bench/run.sh --smoke    every available bench server answers echo and bcast
#                           correctly (a few seconds); exit 1 otherwise
# Options: --reps N, --servers a,b,c (of: sioc-c sioc-node sioc-python socketio
#          pysocketio ceiling), --only ID[,ID] (scenario ids, see below), --out F
#
# Each run starts a fresh server pinned to CPU 0 and the generator pinned to
# CPU 1; servers are interleaved (A B C A B C ...) inside each scenario.
set -u
BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
ARGS="$*"   # for the report's "Command" line
MODE=full
REPS=3
ONLY=""
OUT=""
SERVERS="sioc-c sioc-node sioc-python socketio pysocketio ceiling"
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) MODE=smoke ;;
    --quick) MODE=quick ;;
    --reps) REPS="$2"; shift ;;
    --servers) SERVERS="${2//,/ }"; shift ;;
    --only) ONLY="${2//,/ }"; shift ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

SERVER_CPU=${SERVER_CPU:-0}
# BENCH_NICE=-10 runs server and generator at a higher priority than other
# work on a shared machine (off by default: it slows everyone else down).
NICE=()
[ -n "${BENCH_NICE:-}" ] && NICE=(nice -n "$BENCH_NICE")
GEN_CPU=${GEN_CPU:-1}
LOADGEN="$BENCH/build/loadgen"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
log() { echo "[run.sh] $*" >&2; }

# ---- build and availability ----------------------------------------------------
COMMIT="$(git -C "$ROOT" rev-parse --short "${SIOC_SRC:-HEAD}" 2>/dev/null)"
[ "${SIOC_SRC:-HEAD}" = worktree ] && COMMIT="$(git -C "$ROOT" rev-parse --short HEAD) + work tree"
log "building loadgen, ceiling and the sioc C example at $COMMIT (make -C bench)"
if ! make -s -C "$BENCH" >/tmp/sioc-bench-make.$$ 2>&1; then
  cat /tmp/sioc-bench-make.$$ >&2; rm -f /tmp/sioc-bench-make.$$
  log "build failed"; exit 2
fi
rm -f /tmp/sioc-bench-make.$$

if [ ! -d "$BENCH/node_modules/socket.io" ] && command -v npm >/dev/null; then
  log "installing socket.io (npm ci in bench/)"
  (cd "$BENCH" && npm ci --no-audit --no-fund >/dev/null 2>&1) || log "npm ci failed"
fi

available() { # name -> 0 when the server can run here; prints why not
  case "$1" in
    sioc-c|ceiling) return 0 ;;
    socketio) [ -f "$BENCH/node_modules/socket.io/package.json" ] && command -v node >/dev/null ||
                { echo "socket.io not installed (cd bench && npm ci)"; return 1; } ;;
    pysocketio) python3 -c 'import socketio, aiohttp' 2>/dev/null ||
                { echo "python-socketio not installed (pip install -r bench/requirements.txt)"; return 1; } ;;
    sioc-node) (cd "$BENCH/servers" && node -e "require('../..').Server" >/dev/null 2>&1) ||
                { echo "the sioc Node package does not load (npm install at the repository root)"; return 1; } ;;
    sioc-python) (cd "$BENCH/servers" && python3 -c "
import os, sys; sys.path.append(os.path.join('..', '..', 'python')); import sioc; sioc.Server" >/dev/null 2>&1) ||
                { echo "sioc (Python) does not import (pip install . at the repository root)"; return 1; } ;;
    *) echo "unknown server"; return 1 ;;
  esac
}

ACTIVE=""
for s in $SERVERS; do
  if why=$(available "$s"); then ACTIVE="$ACTIVE $s"; else log "skipped $s: $why"; fi
done
ACTIVE="${ACTIVE# }"
[ -n "$ACTIVE" ] || { log "no server to run"; exit 2; }
log "servers: $ACTIVE"

# ---- servers ----------------------------------------------------------------------
PORT=$((12000 + RANDOM % 6000))
SPID=""
server_cmd() { # name port
  case "$1" in
    sioc-c) echo "$BENCH/build/sioc/sioc-echo-server --port $2" ;;
    ceiling) echo "$BENCH/build/ceiling --port $2" ;;
    socketio) echo "node $BENCH/servers/socketio.js --port $2" ;;
    sioc-node) echo "node $BENCH/servers/sioc_node.js --port $2" ;;
    pysocketio) echo "python3 $BENCH/servers/pysocketio.py --port $2" ;;
    sioc-python) echo "python3 $BENCH/servers/sioc_python.py --port $2" ;;
  esac
}

start_server() { # name -> sets SPID, PORT; returns 1 if it does not come up
  local name=$1 i
  for _try in 1 2 3; do
    PORT=$((PORT + 1))
    mkdir -p "$BENCH/results/logs"
    # SIGPIPE ignored: the sioc C example does not ignore it itself, and a
    # client that resets with unread data would kill it (see README).
    (trap '' PIPE; cd "$BENCH/servers" && exec "${NICE[@]}" taskset -c "$SERVER_CPU" $(server_cmd "$name" "$PORT")) \
      >"$BENCH/results/logs/$name.log" 2>&1 &
    SPID=$!
    for i in $(seq 500); do
      if ! kill -0 "$SPID" 2>/dev/null; then break; fi
      if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
      sleep 0.02
    done
    stop_server
  done
  log "$name did not start; log: $BENCH/results/logs/$name.log"
  return 1
}

stop_server() {
  [ -n "$SPID" ] || return 0
  kill "$SPID" 2>/dev/null
  for _i in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$SPID" 2>/dev/null
  wait "$SPID" 2>/dev/null
  SPID=""
}
trap 'stop_server; exit 130' INT TERM

loadgen() { # server args... -> one JSON line on stdout
  local name=$1; shift
  "${NICE[@]}" taskset -c "$GEN_CPU" "$LOADGEN" --port "$PORT" --server-pid "$SPID" --label "$name" "$@"
}

# ---- smoke ------------------------------------------------------------------------
if [ "$MODE" = smoke ]; then
  fail=0
  for s in $ACTIVE; do
    if ! start_server "$s"; then fail=1; echo "FAIL $s: did not start"; continue; fi
    line=$("$LOADGEN" --port "$PORT" --label "$s" --scenario smoke --timeout 5)
    rc=$?
    stop_server
    if [ $rc -eq 0 ]; then echo "ok   $s"; else fail=1; echo "FAIL $s: $line"; fi
  done
  [ $fail -eq 0 ] && echo "smoke: every available bench server answers echo and bcast" ||
    echo "smoke: FAILED"
  exit $fail
fi

# ---- scenarios ----------------------------------------------------------------------
# id | loadgen arguments
if [ "$MODE" = quick ]; then
  SCENARIOS=(
    "connect|--scenario connect --clients 2000 --inflight 100 --idle 0.5"
    "echo1|--scenario echo --clients 1000 --outstanding 1 --warmup 0.4 --duration 1"
    "echo4|--scenario echo --clients 1000 --outstanding 4 --warmup 0.4 --duration 1"
    "echorate|--scenario echo-rate --clients 1000 --rate 5000 --warmup 0.4 --duration 1"
    "bcast|--scenario bcast --clients 1000 --outstanding 4 --warmup 0.4 --duration 1"
    "bcastrate|--scenario bcast-rate --clients 1000 --rate 10 --warmup 0.4 --duration 1.5"
    "scale-1k-64k|--scenario bcast --clients 1000 --outstanding 4 --size 65536 --warmup 0.4 --duration 1"
  )
else
  SCENARIOS=(
    "connect|--scenario connect --clients 10000 --inflight 100 --idle 3"
    "echo1|--scenario echo --clients 1000 --outstanding 1 --warmup 2 --duration 5"
    "echo4|--scenario echo --clients 1000 --outstanding 4 --warmup 2 --duration 5"
    "echorate|--scenario echo-rate --clients 1000 --rate 5000 --warmup 2 --duration 5"
    "bcast|--scenario bcast --clients 1000 --outstanding 4 --warmup 2 --duration 5"
    "bcastrate|--scenario bcast-rate --clients 1000 --rate 10 --warmup 2 --duration 10"
  )
  for n in 100 1000 10000; do
    for b in 100 4096 65536; do
      SCENARIOS+=("scale-$n-$b|--scenario bcast --clients $n --outstanding 4 --size $b --warmup 1 --duration 3")
    done
  done
fi

STAMP=$(date +%F-%H%M)
[ "$MODE" = quick ] && STAMP="$STAMP-quick"
mkdir -p "$BENCH/results"
JSONL="$BENCH/results/$STAMP.jsonl"
MD="${OUT:-$BENCH/results/$STAMP.md}"
: >"$JSONL"
T0=$(date +%s)
for entry in "${SCENARIOS[@]}"; do
  id=${entry%%|*}
  args=${entry#*|}
  if [ -n "$ONLY" ] && [[ " $ONLY " != *" $id "* ]]; then continue; fi
  for rep in $(seq "$REPS"); do
    for s in $ACTIVE; do
      if ! start_server "$s"; then
        echo "{\"id\":\"$id\",\"server\":\"$s\",\"rep\":$rep,\"scenario\":\"${args#--scenario }\",\"ok\":false}" >>"$JSONL"
        continue
      fi
      # shellcheck disable=SC2086
      line=$(loadgen "$s" $args --timeout 120)
      stop_server
      [ -n "$line" ] || line='{"ok":false}'
      line="{\"id\":\"$id\",\"rep\":$rep,${line#\{}"
      echo "$line" >>"$JSONL"
      log "$(printf '%-12s %-11s rep %d: %s' "$id" "$s" "$rep" \
        "$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(" ".join(f"{k}={r[k]}" for k in ("handshakes_per_s","rss_per_conn_b","acks_per_s","deliveries_per_s","p50_us","p99_us","gen_cpu_pct","server_cpu_pct","failed","closed") if k in r))' "$line" 2>/dev/null)")"
    done
  done
done
T1=$(date +%s)
MACHINE="sioc C at $COMMIT (bindings: work tree); $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r), node $(node --version 2>/dev/null), python $(python3 -c 'import platform; print(platform.python_version())')"
CMD="bench/run.sh${ARGS:+ $ARGS}"
python3 "$BENCH/report.py" "$JSONL" --title "sioc benchmarks, $(date '+%F %H:%M') ($MODE, $((T1 - T0)) s)" \
  --command "$CMD" --machine "$MACHINE" >"$MD"
log "wrote $MD (raw: $JSONL) in $((T1 - T0)) s"
cat "$MD"
