"""Fixtures for the bad-input suite.

Each test gets an `env` (default options) or `small_env` (--max-payload 1000):
a running echo server plus a *bystander*, a healthy Engine.IO + Socket.IO
session over a raw websocket that is connected before the attack.  A test
ends with `env.check()`: the server process is alive, the bystander still
round-trips `42["message",...]` -> `42["message-back",...]`, and a brand-new
session can connect and do the same.

Servers are shared between tests (one per option set) and restarted if an
attack killed one, so one crash fails one test, not the rest of the run.

Run:  python -m pytest tests/interop/bad_input -q                (sioc)
      ECHO_SERVER=reference python -m pytest tests/interop/bad_input -q
"""
from __future__ import annotations

import contextlib
import itertools
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # echo_server_proc
sys.path.insert(0, str(HERE))         # badinput_raw

import echo_server_proc  # noqa: E402
from badinput_raw import Conn, WsSession  # noqa: E402

SMALL = ("--max-payload", "1000")


class ServerPool:
    def __init__(self):
        self.stack = contextlib.ExitStack()
        self.servers: dict[tuple, tuple[echo_server_proc.EchoServer, contextlib.ExitStack]] = {}

    def get(self, *args: str) -> echo_server_proc.EchoServer:
        entry = self.servers.get(args)
        if entry is not None:
            srv, stack = entry
            if srv.alive():
                return srv
            stack.close()  # reap the dead one
        stack = contextlib.ExitStack()
        srv = stack.enter_context(echo_server_proc.echo_server(*args))
        self.servers[args] = (srv, stack)
        return srv

    def close(self):
        for _, stack in self.servers.values():
            stack.close()
        self.servers.clear()


@pytest.fixture(scope="session")
def pool():
    binary_missing = (echo_server_proc.which_server() == "sioc"
                      and not pathlib.Path(echo_server_proc.server_command([])[0]).exists())
    if binary_missing:
        pytest.fail(f"echo server binary not found: {echo_server_proc.server_command([])[0]} "
                    "(build it, or run with ECHO_SERVER=reference)")
    p = ServerPool()
    yield p
    p.close()


_tags = itertools.count()


class Env:
    """A server under attack plus the bookkeeping to prove it survived."""

    def __init__(self, server: echo_server_proc.EchoServer):
        self.server = server
        self.host, self.port = server.host, server.port
        self.hostport = f"{self.host}:{self.port}"
        self._closers: list = []
        self.bystander = self.track(WsSession(self.host, self.port))
        self.bystander.sio_connect()
        self.bystander.echo(f"before-{next(_tags)}")

    @property
    def pid(self) -> int:
        return self.server.proc.pid

    def track(self, obj):
        """Close `obj` (anything with .close()) at teardown."""
        self._closers.append(obj)
        return obj

    def conn(self, timeout: float = 5.0) -> Conn:
        return self.track(Conn(self.host, self.port, timeout))

    def ws_session(self, sio: bool = True) -> WsSession:
        s = self.track(WsSession(self.host, self.port))
        if sio:
            s.sio_connect()
        return s

    def check(self) -> None:
        """The process lives, the bystander and a new client still work."""
        assert self.server.alive(), f"server process died (exit {self.server.proc.returncode})"
        self.bystander.echo(f"bystander-{next(_tags)}")
        fresh = WsSession(self.host, self.port)
        try:
            fresh.sio_connect()
            fresh.echo(f"fresh-{next(_tags)}")
        finally:
            fresh.close()
        assert self.server.alive(), "server process died"

    def close(self) -> None:
        for obj in reversed(self._closers):
            try:
                obj.close()
            except Exception:
                pass
        self._closers.clear()


@pytest.fixture
def env(pool):
    e = Env(pool.get())
    yield e
    e.close()


@pytest.fixture
def small_env(pool):
    e = Env(pool.get(*SMALL))
    yield e
    e.close()
