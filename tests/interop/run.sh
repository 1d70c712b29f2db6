#!/usr/bin/env bash
# Run the interop suites (mocha: socket.io-client / engine.io-client 4.8.4-era;
# pytest: python-socketio 5.x) against the echo server under test.
#
#   bash tests/interop/run.sh                    # sioc: $SIOC_ECHO_SERVER or build/sioc-echo-server
#   ECHO_SERVER=reference bash tests/interop/run.sh   # the socket.io 4.8.4 reference
#   bash tests/interop/run.sh node|python        # one suite only
#
# Installs nothing. Prerequisites:
#   (cd tests/interop && npm ci)      # or npm install
#   pip install -r tests/interop/requirements.txt
# Exits non-zero if any suite fails (or cannot run).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SUITES=("$@")
[ ${#SUITES[@]} -eq 0 ] && SUITES=(node python)

if [ "${ECHO_SERVER:-}" = "reference" ]; then
  echo "interop: server under test = reference (socket.io 4.8.4, $HERE/reference_echo_server.js)"
  if [ ! -d "$HERE/node_modules/socket.io" ]; then
    echo "interop: tests/interop/node_modules missing: run (cd tests/interop && npm ci)" >&2
    exit 2
  fi
else
  BIN="${SIOC_ECHO_SERVER:-$ROOT/build/sioc-echo-server}"
  echo "interop: server under test = sioc ($BIN)"
  if [ ! -x "$BIN" ]; then
    echo "interop: $BIN not found or not executable: build it, set SIOC_ECHO_SERVER, or use ECHO_SERVER=reference" >&2
    exit 2
  fi
fi

LOGDIR="$(mktemp -d)"
trap 'rm -rf "$LOGDIR"' EXIT
status=0
passed=0
failed=0

run_node() {
  if [ ! -x "$HERE/node_modules/.bin/mocha" ]; then
    echo "interop: mocha missing: run (cd tests/interop && npm ci)" >&2
    failed=$((failed + 1))
    return 1
  fi
  echo "=== mocha (socket.io-client, engine.io-client) ==="
  (cd "$HERE" && ./node_modules/.bin/mocha --color=false) 2>&1 | tee "$LOGDIR/mocha.log"
  local rc=${PIPESTATUS[0]}
  local p f
  p=$(grep -Eo '^ +[0-9]+ passing' "$LOGDIR/mocha.log" | grep -Eo '[0-9]+' | tail -1)
  f=$(grep -Eo '^ +[0-9]+ failing' "$LOGDIR/mocha.log" | grep -Eo '[0-9]+' | tail -1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [ "$rc" -ne 0 ] && [ -z "$f" ]; then failed=$((failed + 1)); fi
  return "$rc"
}

run_python() {
  if ! python3 -c 'import socketio, engineio, aiohttp, requests, websocket, pytest' 2>/dev/null; then
    echo "interop: python deps missing: pip install -r tests/interop/requirements.txt" >&2
    failed=$((failed + 1))
    return 1
  fi
  echo "=== pytest (python-socketio) ==="
  (cd "$HERE" && python3 -m pytest -p no:cacheprovider -q -rfE python) 2>&1 | tee "$LOGDIR/pytest.log"
  local rc=${PIPESTATUS[0]}
  local last p f e
  last=$(grep -E '[0-9]+ (passed|failed|error)' "$LOGDIR/pytest.log" | tail -1)
  p=$(grep -Eo '[0-9]+ passed' <<<"$last" | grep -Eo '[0-9]+')
  f=$(grep -Eo '[0-9]+ failed' <<<"$last" | grep -Eo '[0-9]+')
  e=$(grep -Eo '[0-9]+ errors?' <<<"$last" | grep -Eo '[0-9]+')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
  if [ "$rc" -ne 0 ] && [ -z "$f$e" ]; then failed=$((failed + 1)); fi
  return "$rc"
}

for suite in "${SUITES[@]}"; do
  case "$suite" in
    node) run_node || status=1 ;;
    python) run_python || status=1 ;;
    *) echo "interop: unknown suite '$suite' (node|python)" >&2; exit 2 ;;
  esac
done

echo "interop: $passed passed, $failed failed"
exit "$status"
