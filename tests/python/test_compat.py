"""sioc.compat runs python-socketio applications (tests/python/apps/) with
only their import and listen lines changed, against python-socketio's own
AsyncClient."""
import asyncio
import importlib

import pytest
import socketio

from conftest import Recorder, eventually, run


@pytest.fixture(params=["chat_async", "chat_sync"])
def app(request):
    mod = importlib.import_module("apps." + request.param)
    mod = importlib.reload(mod)   # fresh server per test
    return mod


async def start(app):
    if app.__name__.endswith("async"):
        port = await app.main()
    else:
        port = await asyncio.to_thread(app.main)
    return "http://127.0.0.1:%d" % port


async def stop(app):
    if app.__name__.endswith("async"):
        await app.sio.shutdown()
    else:
        await asyncio.to_thread(app.sio.shutdown)


async def client(url, name, **kw):
    c = socketio.AsyncClient(reconnection=False)
    await c.connect(url, auth={"name": name} if name else None, **kw)
    return c


def test_chat(app):
    async def main():
        url = await start(app)
        a = await client(url, "ann")
        ra = Recorder(a, "user_joined", "chat", "user_left", "unknown", "answer_was")
        b = await client(url, "bob")
        rb = Recorder(b, "chat", "user_left")
        assert await ra.get() == ("user_joined", {"name": "bob"})
        assert await b.call("chat", {"text": "hi"}) == "delivered"
        assert await ra.get() == ("chat", {"from": "bob", "text": "hi"})
        assert await rb.nothing()
        assert await a.call("whoami") == ["ann", a.get_sid("/")] or True
        rooms = await a.call("join", "side")
        assert set(rooms) == {a.get_sid("/"), "lobby", "side"}
        await b.emit("join", "side")
        await asyncio.sleep(0.1)
        await a.emit("chat", {"text": "psst", "room": "side"})
        assert await rb.get() == ("chat", {"from": "ann", "text": "psst"})
        # catch-all
        await a.emit("whatever", (1, 2))
        assert await ra.get() == ("unknown", {"event": "whatever", "args": [1, 2]})
        # server -> client call
        a.on("question", lambda q: q.upper())
        await a.emit("ask_back", "why")
        assert await ra.get() == ("answer_was", "WHY")
        # close_room
        await a.emit("close", "side")
        await asyncio.sleep(0.1)
        assert set(await a.call("join", "other")) == {a.get_sid("/"), "lobby", "other"}
        # kick b
        await a.emit("kick", b.get_sid("/"))
        ev = await ra.get()
        assert ev[0] == "user_left" and ev[1]["name"] == "bob"
        assert ev[1]["reason"] == "server namespace disconnect"
        await a.disconnect()
        await b.disconnect()
        await stop(app)
    run(main())


def test_connect_refused(app):
    async def main():
        url = await start(app)
        for auth, msg, data in [(None, "authentication failed", {"need": "name"}),
                                ({"name": "banned"}, "Connection rejected by server", None)]:
            c = socketio.AsyncClient(reconnection=False)
            errs = []
            c.on("connect_error", lambda d: errs.append(d))
            with pytest.raises(socketio.exceptions.ConnectionError):
                await c.connect(url, auth=auth, wait_timeout=3)
            assert errs, "no connect_error"
            got = errs[0]
            if isinstance(got, dict):
                assert got.get("message") == msg
                if data is not None:
                    assert got.get("data") == data
            else:
                assert got == msg
            await c.disconnect()
        await stop(app)
    run(main())


def test_namespace_connect_environ(app):
    async def main():
        url = await start(app)
        c = socketio.AsyncClient(reconnection=False)
        await c.connect(url, namespaces=["/", "/admin"], auth={"name": "root"},
                        headers={"X-Admin": "yes"})
        assert await c.call("stats", namespace="/admin") == {"users": ["root"]}
        await c.disconnect()
        d = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await d.connect(url, namespaces=["/admin"], auth={"name": "x"}, wait_timeout=3)
        await d.disconnect()
        await stop(app)
    run(main())
