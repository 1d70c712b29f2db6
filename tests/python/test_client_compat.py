"""python-socketio client code, as its users write it, with only the import
changed (``import sioc.compat as socketio``), against the official socket.io
server (or python-socketio's when node is missing)."""
import asyncio

import pytest

import sioc.compat as socketio   # was: import socketio

from conftest import run
from test_client import HAVE_NODE, Proc


@pytest.fixture
def url():
    s = Proc("reference" if HAVE_NODE else "python-socketio")
    yield s.url
    s.stop()


def test_async_client_example(url):
    async def main():
        sio = socketio.AsyncClient()
        received = []

        @sio.event
        async def connect():
            received.append("connect")

        @sio.on("message-back")
        async def on_back(*args):
            received.append(args)

        @sio.on("ack-request")
        def on_ack_request(*args):
            return "pong", *args

        @sio.event
        async def disconnect(reason):
            received.append(("disconnect", reason))

        await sio.connect(url, auth={"token": "secret"}, transports=["websocket"],
                          namespaces=["/", "/private"], wait_timeout=5)
        assert sio.connected and sio.sid and sio.transport() == "websocket"
        await sio.emit("message", ({"a": 1}, b"\x01"))
        assert await sio.call("message-with-ack", "hi", timeout=5) == "hi"
        assert await sio.call("message-with-ack", (1, 2), timeout=5) == (1, 2)
        done = asyncio.get_running_loop().create_future()
        sio.on("ack-response", lambda resp: done.set_result(resp))
        await sio.emit("request-ack", 9)
        assert await asyncio.wait_for(done, 5) == ["pong", 9]
        await sio.sleep(0.1)
        assert ({"a": 1}, b"\x01") in received
        waiter = asyncio.ensure_future(sio.wait())
        await sio.disconnect()
        await asyncio.wait_for(waiter, 5)
        assert received[0] == "connect" and received[-1] == ("disconnect", "client disconnect")

        bad = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await bad.connect(url, namespaces=["/private"], auth={"token": "wrong"})
    run(main())


def test_blocking_and_simple_client_examples(url):
    sio = socketio.Client()
    got = []

    @sio.on("message-back")
    def back(*args):
        got.append(args)

    sio.connect(url, transports=["polling"])
    sio.emit("message", [1, 2])
    assert sio.call("echo", "x", timeout=5) == "x"
    sio.sleep(0.3)
    assert got == [([1, 2],)]
    sio.disconnect()

    with socketio.SimpleClient() as client:
        client.connect(url, auth={"user": "u"})
        assert client.receive(timeout=5) == ["auth", {"user": "u"}]
        client.emit("message", "hello")
        assert client.receive(timeout=5) == ["message-back", "hello"]
        assert client.call("message-with-ack", 3, timeout=5) == 3
        with pytest.raises(socketio.exceptions.TimeoutError):
            client.receive(timeout=0.2)


def test_async_simple_client_example(url):
    async def main():
        async with socketio.AsyncSimpleClient() as client:
            await client.connect(url)
            assert (await client.receive(timeout=5)) == ["auth", {}]
            await client.emit("message", b"\x00")
            assert (await client.receive(timeout=5)) == ["message-back", b"\x00"]
    run(main())
