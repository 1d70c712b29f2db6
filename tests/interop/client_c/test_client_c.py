"""The sioc C client (sioc-client-driver, tests/interop/client_c/driver.c)
against the official socket.io 4.8.4 server (reference_echo_server.js) and
python-socketio 5.x (python_echo_server.py), in every transport mode, plus
reconnection with the server killed and restarted on the same port.

    SIOC_CLIENT_DRIVER=build/sioc-client-driver python3 -m pytest -q tests/interop/client_c
"""
import os
import re
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DRIVER = os.environ.get("SIOC_CLIENT_DRIVER", os.path.join(ROOT, "build", "sioc-client-driver"))
SERVERS = {
    "socket.io": ["node", os.path.join(HERE, "..", "reference_echo_server.js")],
    "python-socketio": [sys.executable, os.path.join(HERE, "python_echo_server.py")],
}


def start(kind, port=0):
    cmd = SERVERS[kind] + ["--host", "127.0.0.1", "--port", str(port)]
    for _ in range(50):
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            return p, int(m.group(1))
        p.kill()
        p.wait()
        time.sleep(0.1)   # the port may still be in use right after a kill
    raise RuntimeError(f"{kind} server did not start: {p.stderr.read()}")


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


@pytest.fixture(scope="module", params=list(SERVERS))
def server(request):
    if not os.access(DRIVER, os.X_OK):
        pytest.fail(f"{DRIVER} missing: build it (cmake) or set SIOC_CLIENT_DRIVER")
    p, port = start(request.param)
    yield request.param, port
    stop(p)


@pytest.mark.parametrize("mode", ["polling", "websocket", "upgrade"])
def test_basic(server, mode):
    kind, port = server
    r = subprocess.run([DRIVER, f"http://127.0.0.1:{port}", mode], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, f"{kind}/{mode}:\n{r.stdout}\n{r.stderr}"
    assert "ok all" in r.stdout
    assert f"ok {'polling' if mode == 'polling' else 'websocket'}" in r.stdout


@pytest.mark.parametrize("kind", list(SERVERS))
@pytest.mark.parametrize("mode", ["polling", "websocket", "upgrade"])
def test_reconnect_after_restart(kind, mode):
    if not os.access(DRIVER, os.X_OK):
        pytest.fail(f"{DRIVER} missing")
    srv, port = start(kind)
    d = subprocess.Popen([DRIVER, f"http://127.0.0.1:{port}", mode, "reconnect"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out = []
        while True:
            line = d.stdout.readline()
            assert line, f"driver ended early: {''.join(out)} {d.stderr.read()}"
            out.append(line)
            if line.strip() == "READY":
                break
        srv.kill()   # killed, not closed: the client sees the transport go
        srv.wait()
        time.sleep(0.5)
        srv, _ = start(kind, port)
        rest, err = d.communicate(timeout=60)
        assert d.returncode == 0, f"{kind}/{mode}:\n{''.join(out)}{rest}\n{err}"
        assert "ok reconnect" in rest
    finally:
        if d.poll() is None:
            d.kill()
            d.wait()
        stop(srv)
