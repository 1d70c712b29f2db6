#!/usr/bin/env bash
# Installs what building and testing sioc needs, and nothing that is already
# there: Debian packages (as root, via apt-get), the pinned npm packages of
# the interop and browser tests and the pinned Python packages.  Safe to run
# again.
#
# Python packages go into the python3 of the active virtualenv, else into a
# virtualenv at $SIOC_VENV (default: .venv in the checkout), made here when
# missing: Debian's own python3 refuses pip installs (PEP 668).  The
# Makefile puts $SIOC_VENV/bin first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

# python3-dev / python3-venv: the Python extension and the virtualenv;
# chromium + a font: the browser test (tests/browser, playwright-core drives
# /usr/bin/chromium and never downloads a browser).
APT_PACKAGES=(build-essential cmake ninja-build pkg-config libuv1-dev libwslay-dev
  libcjson-dev libhttp-parser-dev libssl-dev valgrind curl python3-dev python3-venv
  chromium fonts-dejavu-core libhiredis-dev libmsgpack-dev redis-server)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: need root to install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v node >/dev/null || { echo "install-deps: node (20.x) is required" >&2; exit 1; }
command -v python3 >/dev/null || { echo "install-deps: python3 is required" >&2; exit 1; }

# npm: the interop peers (socket.io-client, socket.io reference, mocha) and
# the browser test's (playwright-core, socket.io-client, mocha) and the
# cluster tests' (socket.io + @socket.io/redis-adapter, redis).
for dir in tests/interop tests/browser tests/cluster; do
  if [ ! -d $dir/node_modules ] || [ $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]; then
    (cd $dir && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

# pip: python-socketio client and pytest, into a virtualenv (see the top).
PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)'; then
  venv=${SIOC_VENV:-$PWD/.venv}
  if [ ! -x "$venv/bin/python3" ]; then
    echo "install-deps: python3 -m venv --system-site-packages $venv"
    python3 -m venv --system-site-packages "$venv"
  fi
  PYTHON=$venv/bin/python3
fi
if ! "$PYTHON" -c 'import socketio, aiohttp, pytest, websocket, requests' 2>/dev/null ||
   ! "$PYTHON" - <<'PY' 2>/dev/null
import importlib.metadata as m, pathlib, sys
for line in pathlib.Path("tests/interop/requirements.txt").read_text().split("\n"):
    line = line.split("#")[0].strip()
    if "==" in line:
        name, ver = line.split("==")
        if m.version(name.split("[")[0]) != ver:
            sys.exit(1)
PY
then
  "$PYTHON" -m pip install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
fi
