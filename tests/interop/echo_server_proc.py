"""Start the echo server under test on a free loopback port.

ECHO_SERVER=reference runs tests/interop/reference_echo_server.js (socket.io
4.8.4, the protocol's reference); anything else runs sioc's C example, found at
$SIOC_ECHO_SERVER or build/sioc-echo-server.  Both follow
tests/interop/ECHO-SERVER.md and print "listening on http://HOST:PORT".
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import re
import selectors
import signal
import subprocess
import time
from typing import Iterator

ROOT = pathlib.Path(__file__).resolve().parents[2]
READY = re.compile(r"listening on http://([^:\s]+):(\d+)")


def which_server() -> str:
    return "reference" if os.environ.get("ECHO_SERVER") == "reference" else "sioc"


def server_command(args: list[str]) -> list[str]:
    if which_server() == "reference":
        return ["node", str(ROOT / "tests/interop/reference_echo_server.js"), *args]
    binary = os.environ.get("SIOC_ECHO_SERVER", str(ROOT / "build/sioc-echo-server"))
    return [binary, *args]


@dataclasses.dataclass
class EchoServer:
    host: str
    port: int
    proc: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def alive(self) -> bool:
        return self.proc.poll() is None


def _read_ready_line(proc: subprocess.Popen, timeout: float) -> re.Match:
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buf = b""
    try:
        while time.monotonic() < deadline:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            m = READY.search(buf.decode(errors="replace"))
            if m:
                return m
    finally:
        sel.close()
    raise RuntimeError(f"echo server did not become ready: {buf!r}")


def stop(proc: subprocess.Popen, timeout: float = 5.0) -> int:
    """SIGTERM, then SIGKILL after `timeout`; returns the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc.stdout:
        proc.stdout.close()
    return proc.returncode


@contextlib.contextmanager
def echo_server(*args: str, host: str = "127.0.0.1", timeout: float = 15.0) -> Iterator[EchoServer]:
    """Run the echo server with extra command-line args for the duration."""
    cmd = server_command(["--host", host, "--port", "0", *args])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, start_new_session=True)
    try:
        m = _read_ready_line(proc, timeout)
        yield EchoServer(m.group(1), int(m.group(2)), proc)
    finally:
        stop(proc)
