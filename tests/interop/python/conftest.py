"""Fixtures and helpers for the python-socketio interop tests.

The server under test comes from tests/interop/echo_server_proc.py
(ECHO_SERVER=reference runs the socket.io 4.8.4 reference, anything else
sioc's build/sioc-echo-server or $SIOC_ECHO_SERVER).

Tests are plain functions that run one coroutine with `h.run(body)`; `body`
gets a context whose clients are all disconnected when it ends, and the whole
thing is bounded by asyncio.wait_for. The helpers are reached through the `h`
fixture (this module) so that nothing imports `conftest` by name.
"""
from __future__ import annotations

import asyncio
import pathlib
import sys
from typing import Any, Callable

import pytest
import socketio

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from echo_server_proc import echo_server, which_server  # noqa: E402

MODES = {
    "websocket": ["websocket"],
    "polling": ["polling"],
    "default": None,  # polling first, then upgrade to websocket
}


@pytest.fixture(params=list(MODES), ids=list(MODES))
def mode(request) -> str:
    return request.param


@pytest.fixture
def transports(mode):
    return MODES[mode]


@pytest.fixture(scope="module")
def server():
    """One echo server (default options) per test module."""
    with echo_server() as srv:
        yield srv


@pytest.fixture
def fresh_server():
    """An echo server of the test's own."""
    with echo_server() as srv:
        yield srv


# Captured at import: pytest may later import another directory's conftest
# under the same module name.
_THIS_MODULE = sys.modules[__name__]


@pytest.fixture(scope="session")
def h():
    return _THIS_MODULE


# ---------------------------------------------------------------------------
# running coroutines


def run(body: Callable[["Ctx"], Any], timeout: float = 30.0):
    """Run `await body(ctx)` in a fresh event loop, bounded by `timeout`,
    then disconnect every client the context made."""

    async def main():
        ctx = Ctx()
        try:
            return await asyncio.wait_for(body(ctx), timeout)
        finally:
            await ctx.close()

    return asyncio.run(main())


async def wait_until(pred, timeout: float = 5.0, what: str = "condition", step: float = 0.025):
    """Poll `pred` (plain or async) until truthy; fail after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        v = pred()
        if asyncio.iscoroutine(v):
            v = await v
        if v:
            return v
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(step)


class Ctx:
    def __init__(self):
        self.clients: list[Client] = []

    def client(self, url: str, transports=None, namespaces=("/",), auth=None) -> "Client":
        c = Client(url, transports, namespaces, auth)
        self.clients.append(c)
        return c

    async def connect(self, url: str, transports=None, namespaces=("/",), auth=None) -> "Client":
        c = self.client(url, transports, namespaces, auth)
        await c.connect()
        return c

    async def close(self):
        for c in self.clients:
            try:
                await asyncio.wait_for(c.sio.shutdown(), 5)
            except Exception:  # noqa: BLE001 - best effort teardown
                pass
            try:
                await asyncio.wait_for(c.sio.eio.disconnect(abort=True), 5)
            except Exception:  # noqa: BLE001
                pass
        self.clients.clear()


class Client:
    """A python-socketio AsyncClient that records everything it receives.

    `log` holds (namespace, event, args) tuples; connect, disconnect (args:
    (reason,)) and connect_error (args: (data,)) are recorded too.
    """

    def __init__(self, url, transports, namespaces, auth):
        self.url = url
        self.transports = transports
        self.namespaces = list(namespaces)
        self.auth = auth
        self.sio = socketio.AsyncClient(reconnection=False, request_timeout=10)
        self.log: list[tuple[str, str, tuple]] = []
        self._cursor: dict[tuple[str, str], int] = {}
        self._changed = asyncio.Event()
        for ns in self.namespaces:
            self._install(ns)

    def _record(self, ns, event, args):
        self.log.append((ns, event, tuple(args)))
        self._changed.set()

    def _install(self, ns):
        def catch_all(event, *args):
            self._record(ns, event, args)

        def on_connect():
            self._record(ns, "connect", ())

        def on_disconnect(reason):
            self._record(ns, "disconnect", (reason,))

        def on_connect_error(data=None):
            self._record(ns, "connect_error", (data,))

        self.sio.on("*", catch_all, namespace=ns)
        self.sio.on("connect", on_connect, namespace=ns)
        self.sio.on("disconnect", on_disconnect, namespace=ns)
        self.sio.on("connect_error", on_connect_error, namespace=ns)

    def on(self, event, fn, namespace="/"):
        """A specific handler (its return value is the ack); the event is still logged."""

        async def handler(*args):
            self._record(namespace, event, args)
            r = fn(*args)
            if asyncio.iscoroutine(r):
                r = await r
            return r

        self.sio.on(event, handler, namespace=namespace)

    async def connect(self, wait=True):
        await self.sio.connect(
            self.url,
            transports=self.transports,
            namespaces=self.namespaces,
            auth=self.auth,
            wait=wait,
            wait_timeout=5,
        )

    def sid(self, ns="/"):
        return self.sio.get_sid(ns)

    def events(self, ns="/", exclude=("auth", "connect")):
        return [(ev, list(args)) for (n, ev, args) in self.log if n == ns and ev not in exclude]

    async def next(self, event, ns="/", timeout=5.0) -> list:
        """Arguments of the next not yet consumed `event` on `ns`."""
        key = (ns, event)

        async def waiter():
            while True:
                idx = self._cursor.get(key, 0)
                matches = [args for (n, ev, args) in self.log if n == ns and ev == event]
                if len(matches) > idx:
                    self._cursor[key] = idx + 1
                    return list(matches[idx])
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(waiter(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f'timed out after {timeout} s waiting for "{event}" on {ns}') from None

    async def emit(self, event, *args, ns="/"):
        await self.sio.emit(event, tuple(args), namespace=ns)

    async def call(self, event, *args, ns="/", timeout=5.0) -> list:
        """Emit with an ack; returns the ack's arguments as a list."""
        fut = asyncio.get_running_loop().create_future()

        def cb(*resp):
            if not fut.done():
                fut.set_result(list(resp))

        await self.sio.emit(event, tuple(args), namespace=ns, callback=cb)
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f'no ack for "{event}" within {timeout} s') from None

    def transport(self):
        return self.sio.transport()


__all__ = ["MODES", "run", "wait_until", "Ctx", "Client", "which_server", "echo_server"]
