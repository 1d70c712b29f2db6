"""Shared helpers for the sioc Python tests.

Every test runs its own server on 127.0.0.1 with a free port, is bounded in
time (``run`` wraps each coroutine in a timeout), and checks at the end that
no thread it started is left behind.  ``flavour`` parametrizes a test over
the asyncio ``sioc.Server`` and the thread-based ``sioc.BlockingServer``.
"""
import asyncio
import inspect
import json
import os
import shutil
import subprocess
import threading

import pytest
import socketio

import sioc

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NODE_MODULES = os.path.join(ROOT, "tests", "interop", "node_modules")
NODE_CLIENT = os.path.join(os.path.dirname(__file__), "node_client.js")


def run(coro, timeout=30):
    """Runs a test coroutine with a time limit."""
    async def guarded():
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(guarded())


class Harness:
    """One server of either flavour, driven from an asyncio test."""

    def __init__(self, flavour, **options):
        self.flavour = flavour
        self.blocking = flavour == "blocking"
        self.io = sioc.BlockingServer(**options) if self.blocking else sioc.Server(**options)
        self.port = None

    async def start(self):
        if self.blocking:
            self.port = self.io.listen(0, "127.0.0.1")
        else:
            self.port = await self.io.listen(0, "127.0.0.1")
        return self.port

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    async def call(self, fn, *args, **kw):
        """Calls a server API that is awaitable (asyncio) or blocking."""
        if self.blocking:
            return await asyncio.to_thread(fn, *args, **kw)
        r = fn(*args, **kw)
        if inspect.isawaitable(r):
            r = await r
        return r

    async def close(self):
        if self.blocking:
            await asyncio.to_thread(self.io.close)
        else:
            await self.io.close()

    async def client(self, namespace="/", transports=None, **kw):
        c = socketio.AsyncClient(reconnection=False)
        await c.connect(self.url, namespaces=[namespace], transports=transports, **kw)
        return c


async def eventually(pred, timeout=5.0, interval=0.02):
    """Waits until pred() (maybe a coroutine) is truthy."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        r = pred()
        if inspect.isawaitable(r):
            r = await r
        if r:
            return r
        if loop.time() > end:
            raise AssertionError("condition not met in %.1fs" % timeout)
        await asyncio.sleep(interval)


class Recorder:
    """Collects events a python-socketio client receives."""

    def __init__(self, client, *events, namespace="/"):
        self.q = asyncio.Queue()
        for ev in events:
            client.on(ev, self._make(ev), namespace=namespace)

    def _make(self, ev):
        def h(*args):
            self.q.put_nowait((ev,) + args)
        return h

    async def get(self, timeout=5):
        return await asyncio.wait_for(self.q.get(), timeout)

    async def nothing(self, wait=0.3):
        try:
            item = await asyncio.wait_for(self.q.get(), wait)
        except asyncio.TimeoutError:
            return True
        raise AssertionError("unexpected event %r" % (item,))


def node_available():
    return shutil.which("node") and os.path.isdir(os.path.join(NODE_MODULES, "socket.io-client"))


async def node_client(url, script, timeout=10):
    """Runs tests/python/node_client.js (socket.io-client 4.8) with a JSON
    script; returns the list of JSON records it printed."""
    env = dict(os.environ, NODE_PATH=NODE_MODULES)
    proc = await asyncio.create_subprocess_exec(
        "node", NODE_CLIENT, url, json.dumps(script), env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


@pytest.fixture(params=["asyncio", "blocking"])
def flavour(request):
    return request.param


@pytest.fixture(autouse=True)
def no_leftover_threads():
    before = set(threading.enumerate())
    yield
    deadline = 50
    import time
    while deadline:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()
                 and not t.name.startswith("asyncio_")]
        if not extra:
            return
        time.sleep(0.1)
        deadline -= 1
    raise AssertionError("threads left behind: %r" % extra)
