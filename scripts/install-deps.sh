#!/usr/bin/env bash
# Installs what building and testing sioc needs, and nothing that is already
# there: Debian -dev packages (as root, via apt-get), the pinned npm packages
# of the interop tests and the pinned Python packages.  Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(build-essential cmake ninja-build pkg-config libuv1-dev libwslay-dev
  libcjson-dev libhttp-parser-dev libssl-dev valgrind curl
  libhiredis-dev libmsgpack-dev redis-server)

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

# npm: the interop peers (socket.io-client, socket.io reference, mocha).
if [ ! -d tests/interop/node_modules ] || [ tests/interop/package-lock.json -nt tests/interop/node_modules/.package-lock.json ]; then
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
fi

# npm: the cluster tests' peers (socket.io + @socket.io/redis-adapter, redis).
if [ ! -d tests/cluster/node_modules ] || [ tests/cluster/package-lock.json -nt tests/cluster/node_modules/.package-lock.json ]; then
  (cd tests/cluster && npm ci --no-audit --no-fund --loglevel=error)
fi

# pip: python-socketio client and pytest.
if ! python3 -c 'import socketio, aiohttp, pytest, websocket, requests' 2>/dev/null ||
   ! python3 - <<'PY' 2>/dev/null
import importlib.metadata as m, pathlib, sys
for line in pathlib.Path("tests/interop/requirements.txt").read_text().split("\n"):
    line = line.split("#")[0].strip()
    if "==" in line:
        name, ver = line.split("==")
        if m.version(name.split("[")[0]) != ver:
            sys.exit(1)
PY
then
  python3 -m pip install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
fi
