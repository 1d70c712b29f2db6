"""One test per row of SEED-API.md's server table, modern and classic
spellings, in both flavours (asyncio sioc.Server and sioc.BlockingServer)."""
import asyncio
import os

import pytest

import sioc
from conftest import Harness, Recorder, eventually, node_available, node_client, run


def test_connection(flavour):
    """io.on('connection', fn(socket))"""
    async def main():
        h = Harness(flavour)
        seen = []
        h.io.on("connection", lambda s: seen.append((s.id, s.nsp.name, s.handshake["auth"])))
        await h.start()
        c = await h.client(auth={"token": "t"})
        await eventually(lambda: seen)
        assert seen[0][0] == c.get_sid("/")
        assert seen[0][1:] == ("/", {"token": "t"})
        await c.disconnect()
        await h.close()
    run(main())


@pytest.mark.parametrize("spelling", ["modern", "classic"])
def test_emit_to_all(flavour, spelling):
    """io.sockets.emit(ev, data) / io.emit(ev, data)"""
    async def main():
        h = Harness(flavour)
        await h.start()
        a, b = await h.client(), await h.client()
        ra, rb = Recorder(a, "news"), Recorder(b, "news")
        await eventually(lambda: len(h.io.sockets.sockets) == 2)
        emit = h.io.emit if spelling == "modern" else h.io.sockets.emit
        emit("news", {"n": 1})
        assert await ra.get() == ("news", {"n": 1})
        assert await rb.get() == ("news", {"n": 1})
        await a.disconnect()
        await b.disconnect()
        await h.close()
    run(main())


@pytest.mark.parametrize("spelling", ["modern", "classic"])
def test_emit_to_one_by_id(flavour, spelling):
    """io.sockets.socket(id).emit / io.to(id).emit"""
    async def main():
        h = Harness(flavour)
        await h.start()
        a, b = await h.client(), await h.client()
        ra, rb = Recorder(a, "dm"), Recorder(b, "dm")
        await eventually(lambda: len(h.io.sockets.sockets) == 2)
        sid = b.get_sid("/")
        target = h.io.to(sid) if spelling == "modern" else h.io.sockets.socket(sid)
        target.emit("dm", "hi")
        assert await rb.get() == ("dm", "hi")
        assert await ra.nothing()
        await a.disconnect()
        await b.disconnect()
        await h.close()
    run(main())


def test_socket_on_with_ack(flavour):
    """socket.on(ev, fn(data, ack)): return value and explicit ack param"""
    async def main():
        h = Harness(flavour)
        got = []

        @h.io.on("connection")
        def conn(socket):
            socket.on("ret", lambda x: {"double": x * 2})
            socket.on("multi", lambda: ("a", 2))

            @socket.on("explicit")
            def explicit(data, ack):
                got.append((data, ack is not None))
                if ack:
                    ack("ok", data)

            socket.on("noack", lambda d: got.append(("noack", d)))
        await h.start()
        c = await h.client()
        assert await c.call("ret", 21) == {"double": 42}
        assert await c.call("multi") == ("a", 2)
        assert await c.call("explicit", 5) == ("ok", 5)
        await c.emit("explicit", 6)
        await c.emit("noack", 7)
        await eventually(lambda: len(got) == 3)
        assert (6, False) in got and ("noack", 7) in got
        await c.disconnect()
        await h.close()
    run(main())


def test_socket_emit(flavour):
    """socket.emit(ev, data), + callback ack, emit_with_ack, timeout"""
    async def main():
        h = Harness(flavour)
        socks = []
        h.io.on("connection", socks.append)
        await h.start()
        c = await h.client()
        r = Recorder(c, "hello")
        c.on("ask", lambda x: x + 1)
        c.on("silent", lambda: None)
        await eventually(lambda: socks)
        s = socks[0]
        s.emit("hello", 1, "two", [3])
        assert await r.get() == ("hello", 1, "two", [3])
        assert await h.call(s.emit_with_ack, "ask", 41, timeout=5) == 42
        assert await h.call(s.timeout(5).emit_with_ack, "ask", 1) == 2
        cb = asyncio.get_running_loop().create_future()
        loop = asyncio.get_running_loop()
        s.emit("ask", 9, callback=lambda v: loop.call_soon_threadsafe(cb.set_result, v))
        assert await asyncio.wait_for(cb, 5) == 10
        async def slow():
            await asyncio.sleep(1)
        c.on("slow", slow)
        with pytest.raises(sioc.AckTimeoutError):
            await h.call(s.emit_with_ack, "slow", timeout=0.2)
        with pytest.raises(ValueError):
            s.emit("disconnect")
        with pytest.raises(TypeError):
            s.emit("x", object())
        await c.disconnect()
        await eventually(lambda: not s.connected)
        with pytest.raises(sioc.ClosedError):
            s.emit("hello", 1)
        await h.close()
    run(main())


def test_broadcast_emit(flavour):
    """socket.broadcast.emit(ev, data): everyone but the sender"""
    async def main():
        h = Harness(flavour)

        @h.io.on("connection")
        def conn(socket):
            socket.on("shout", lambda m: socket.broadcast.emit("heard", m))
        await h.start()
        a, b, c = await h.client(), await h.client(), await h.client()
        ra, rb, rc = Recorder(a, "heard"), Recorder(b, "heard"), Recorder(c, "heard")
        await a.emit("shout", "yo")
        assert await rb.get() == ("heard", "yo")
        assert await rc.get() == ("heard", "yo")
        assert await ra.nothing()
        for x in (a, b, c):
            await x.disconnect()
        await h.close()
    run(main())


def test_join_leave(flavour):
    """socket.join(room) / socket.leave(room); socket id room"""
    async def main():
        h = Harness(flavour)
        socks = []
        h.io.on("connection", socks.append)
        await h.start()
        c = await h.client()
        await eventually(lambda: socks)
        s = socks[0]
        s.join("a")
        s.join(["b", "c"])
        assert s.rooms == {s.id, "a", "b", "c"}
        s.leave("b")
        assert s.rooms == {s.id, "a", "c"}
        await c.disconnect()
        await h.close()
    run(main())


def test_broadcast_to_room(flavour):
    """socket.broadcast.to(room).emit: the room except the sender, who need
    not be in it"""
    async def main():
        h = Harness(flavour)

        @h.io.on("connection")
        def conn(socket):
            socket.on("enter", lambda room: socket.join(room))
            socket.on("tell", lambda room, m: socket.broadcast.to(room).emit("told", m))
            socket.on("tell2", lambda room, m: socket.to(room).emit("told", m))
        await h.start()
        a, b, c = await h.client(), await h.client(), await h.client()
        ra, rb, rc = Recorder(a, "told"), Recorder(b, "told"), Recorder(c, "told")
        await a.emit("enter", "r")
        await b.emit("enter", "r")
        await eventually(lambda: len(h.io.sockets.rooms.get("r", ())) == 2)
        await a.emit("tell", ("r", 1))        # a in the room
        assert await rb.get() == ("told", 1)
        await c.emit("tell2", ("r", 2))       # c not in the room
        assert await ra.get() == ("told", 2)
        assert await rb.get() == ("told", 2)
        assert await rc.nothing()
        assert await ra.nothing(0.1)
        for x in (a, b, c):
            await x.disconnect()
        await h.close()
    run(main())


@pytest.mark.parametrize("spelling", ["in_", "to", "classic"])
def test_room_emit(flavour, spelling):
    """io.sockets.in(room).emit / io.in(room).emit / io.to(room).emit"""
    async def main():
        h = Harness(flavour)
        h.io.on("connection", lambda s: s.join("vip") if s.handshake["auth"].get("vip") else None)
        await h.start()
        a, b = await h.client(auth={"vip": True}), await h.client(auth={})
        ra, rb = Recorder(a, "m"), Recorder(b, "m")
        await eventually(lambda: len(h.io.sockets.rooms.get("vip", ())) == 1)
        op = {"in_": h.io.in_, "to": h.io.to, "classic": h.io.sockets.in_}[spelling]
        op("vip").emit("m", b"\x01bin")
        assert await ra.get() == ("m", b"\x01bin")
        assert await rb.nothing()
        await a.disconnect()
        await b.disconnect()
        await h.close()
    run(main())


def test_clients_all(flavour):
    """io.sockets.clients() / io.fetch_sockets() / io.sockets.sockets"""
    async def main():
        h = Harness(flavour)
        await h.start()
        a, b = await h.client(), await h.client()
        ids = {a.get_sid("/"), b.get_sid("/")}
        await eventually(lambda: len(h.io.sockets.sockets) == 2)
        assert {s.id for s in await h.call(h.io.fetch_sockets)} == ids
        assert {s.id for s in h.io.sockets.clients()} == ids
        assert set(h.io.sockets.sockets) == ids
        await a.disconnect()
        await b.disconnect()
        await h.close()
    run(main())


def test_clients_in_room(flavour):
    """io.sockets.clients(room) / io.in_(room).fetch_sockets()"""
    async def main():
        h = Harness(flavour)
        h.io.on("connection", lambda s: s.join("r") if s.handshake["auth"].get("r") else None)
        await h.start()
        a, b = await h.client(auth={"r": 1}), await h.client(auth={})
        await eventually(lambda: len(h.io.sockets.sockets) == 2)
        await eventually(lambda: len(h.io.sockets.rooms.get("r", ())) == 1)
        assert [s.id for s in await h.call(h.io.in_("r").fetch_sockets)] == [a.get_sid("/")]
        assert [s.id for s in h.io.sockets.clients("r")] == [a.get_sid("/")]
        await a.disconnect()
        await b.disconnect()
        await h.close()
    run(main())


def test_manager_rooms(flavour):
    """io.sockets.manager.rooms / io.of('/').adapter.rooms"""
    async def main():
        h = Harness(flavour)
        h.io.on("connection", lambda s: s.join("lobby"))
        await h.start()
        a = await h.client()
        sid = a.get_sid("/")
        await eventually(lambda: "lobby" in h.io.sockets.manager.rooms)
        assert h.io.sockets.manager.rooms == {sid: {sid}, "lobby": {sid}}
        assert h.io.of("/").adapter.rooms == {sid: {sid}, "lobby": {sid}}
        await a.disconnect()
        await h.close()
    run(main())


def test_manager_room_clients(flavour):
    """io.sockets.manager.roomClients[id] / socket.rooms"""
    async def main():
        h = Harness(flavour)
        socks = []

        @h.io.on("connection")
        def conn(s):
            s.join("x")
            socks.append(s)
        await h.start()
        a = await h.client()
        sid = a.get_sid("/")
        await eventually(lambda: socks and len(socks[0].rooms) == 2)
        assert h.io.sockets.manager.room_clients[sid] == {sid, "x"}
        assert h.io.sockets.manager.roomClients[sid] == socks[0].rooms
        await a.disconnect()
        await h.close()
    run(main())


def test_namespaces(flavour):
    """io.of('/some').on('connection', ...), multiplexed on one connection"""
    async def main():
        h = Harness(flavour)
        seen = []
        some = h.io.of("/some")

        @some.on("connection")
        def conn(s):
            seen.append(s.nsp.name)
            s.on("ping", lambda: "pong /some")
        h.io.on("connection", lambda s: s.on("ping", lambda: "pong /"))
        await h.start()
        c = socketio.AsyncClient(reconnection=False)
        await c.connect(h.url, namespaces=["/", "/some"])
        assert await c.call("ping", namespace="/some") == "pong /some"
        assert await c.call("ping") == "pong /"
        r = Recorder(c, "n", namespace="/some")
        r2 = Recorder(c, "n")
        some.emit("n", "only some")
        assert await r.get() == ("n", "only some")
        assert await r2.nothing()
        assert seen == ["/some"]
        await c.disconnect()
        await h.close()
    run(main())


import socketio  # noqa: E402  (used above inside coroutines)


@pytest.mark.parametrize("call", ["set", "configure", "enable", "disable", "modern"])
def test_configuration(flavour, call):
    """io.configure([env,] fn), io.set(k, v), io.enable(k), io.disable(k) /
    constructor options; unknown keys are errors"""
    async def main():
        if call == "modern":
            h = Harness(flavour, ping_interval=300, pingTimeout=400)
        else:
            h = Harness(flavour)
            io = h.io
            if call == "set":
                io.set("heartbeat interval", 0.3)
                io.set("heartbeat timeout", 0.4)
            elif call == "configure":
                os.environ.pop("PYTHON_ENV", None)
                ran = []
                io.configure("production", lambda: ran.append("prod"))
                io.configure("development", lambda: io.set("heartbeat interval", 0.3))
                io.configure(lambda: (ran.append("all"), io.set("heartbeat timeout", 0.4)))
                assert ran == ["all"]
            elif call == "enable":
                io.enable("heartbeats")
                io.set("heartbeat interval", 0.3)
                io.set("heartbeat timeout", 0.4)
            elif call == "disable":
                io.disable("log")
                io.enable("log")
                io.set("heartbeat interval", 0.3)
                io.set("heartbeat timeout", 0.4)
            with pytest.raises(ValueError):
                io.set("no such key", 1)
            with pytest.raises(ValueError):
                io.set("heartbeat interval", "soon")
        await h.start()
        c = await h.client()
        assert c.eio.ping_interval == 0.3
        assert c.eio.ping_timeout == 0.4
        await c.disconnect()
        await h.close()
    run(main())


def test_unknown_constructor_option():
    with pytest.raises(ValueError, match="nope"):
        sioc.Server(nope=1)
    with pytest.raises(ValueError):
        sioc.BlockingServer(pingInterval=-5)


@pytest.mark.skipif(not node_available(), reason="socket.io-client not installed")
def test_node_client(flavour):
    """socket.io-client 4.8: connect, ack, binary, room broadcast"""
    async def main():
        h = Harness(flavour)

        @h.io.on("connection")
        def conn(socket):
            socket.join("r")
            socket.on("echo", lambda *a: a)
            socket.on("bcast", lambda m: h.io.to("r").emit("b", m, b"\xff"))
        await h.start()
        recs = await node_client(h.url, {
            "listen": ["b"], "actions": [["ack", "echo", {"x": {"$bin": "0102"}}],
                                         ["emit", "bcast", "hey"]], "end": 300})
        kinds = [r["type"] for r in recs]
        assert kinds[0] == "connect"
        acks = [r for r in recs if r["type"] == "ack"]
        assert acks[0]["args"] == [{"x": {"$bin": "0102"}}]
        evs = [r for r in recs if r["type"] == "event"]
        assert evs[0]["args"] == ["hey", {"$bin": "ff"}]
        await h.close()
    run(main())
