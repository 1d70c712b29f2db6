"""The features of issue 4 beyond the table, in both flavours: middleware,
dynamic namespaces, handshake/data, disconnect reasons, server-side
operations, broadcast acks, binary anywhere, close, slow handlers."""
import asyncio
import json
import re
import time

import pytest
import socketio

import sioc
from conftest import Harness, Recorder, eventually, run


def test_middleware(flavour):
    async def main():
        h = Harness(flavour)

        def mw(socket, next):
            token = socket.handshake["auth"].get("token")
            if token == "ok":
                socket.data["user"] = "alice"
                next()
            elif token == "raise":
                raise sioc.MiddlewareError("raised", {"code": 7})
            else:
                err = Exception("not authorized")
                err.data = {"content": "retry later"}
                next(err)
        h.io.use(mw)
        users = []
        h.io.on("connection", lambda s: users.append(s.data.get("user")))
        await h.start()
        c = await h.client(auth={"token": "ok"})
        await eventually(lambda: users == ["alice"])
        await c.disconnect()
        for token, msg, data in [("bad", "not authorized", {"content": "retry later"}),
                                 ("raise", "raised", {"code": 7})]:
            d = socketio.AsyncClient(reconnection=False)
            errs = []
            d.on("connect_error", errs.append)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await d.connect(h.url, auth={"token": token}, wait_timeout=3)
            assert errs[0] == {"message": msg, "data": data}
            await d.disconnect()
        await eventually(lambda: h.io.stats()["handles"] == 0)
        await h.close()
    run(main())


def test_async_middleware_and_coroutine_handlers():
    async def main():
        h = Harness("asyncio")

        async def mw(socket, next):
            await asyncio.sleep(0.05)
            next()
        h.io.use(mw)

        @h.io.on("connection")
        async def conn(socket):
            @socket.on("add")
            async def add(a, b):
                await asyncio.sleep(0.01)
                return a + b
            await asyncio.sleep(0.01)
        await h.start()
        c = await h.client()
        assert await c.call("add", (2, 3)) == 5
        await c.disconnect()
        await h.close()
    run(main())


def test_dynamic_namespaces(flavour):
    async def main():
        h = Harness(flavour)
        dyn = h.io.of(re.compile(r"^/dyn-\w+$"))
        names = []

        @dyn.on("connection")
        def conn(socket):
            names.append(socket.nsp.name)
            socket.on("where", lambda: socket.nsp.name)
        fn_dyn = h.io.of(lambda name, auth, next: next(None, name == "/fn"))
        fn_dyn.on("connection", lambda s: s.on("where", lambda: "fn"))
        await h.start()
        c = socketio.AsyncClient(reconnection=False)
        await c.connect(h.url, namespaces=["/dyn-a", "/fn"])
        assert await c.call("where", namespace="/dyn-a") == "/dyn-a"
        assert await c.call("where", namespace="/fn") == "fn"
        assert names == ["/dyn-a"]
        await c.disconnect()
        before = h.io.stats()["namespaces"]
        for i in range(5):   # names no matcher wants leave no namespace behind
            d = socketio.AsyncClient(reconnection=False)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await d.connect(h.url, namespaces=["/nope-%d" % i], wait_timeout=3)
            await d.disconnect()
        await eventually(lambda: h.io.stats()["namespaces"] == before)
        await h.close()
    run(main())


def test_handshake_and_data(flavour):
    async def main():
        h = Harness(flavour)
        socks = []
        h.io.on("connection", socks.append)
        await h.start()
        c = socketio.AsyncClient(reconnection=False)
        await c.connect(h.url + "?room=42", headers={"X-Test": "yes"}, auth={"k": [1]})
        await eventually(lambda: socks)
        hs = socks[0].handshake
        assert hs["headers"]["x-test"] == "yes"
        assert hs["query"]["room"] == "42" and hs["query"]["EIO"] == "4"
        assert hs["auth"] == {"k": [1]}
        assert hs["address"] == "127.0.0.1"
        assert abs(hs["issued"] / 1000 - time.time()) < 10
        assert hs["secure"] is False and isinstance(hs["time"], str)
        socks[0].data["x"] = 1
        assert socks[0].data == {"x": 1}
        await c.disconnect()
        await h.close()
    run(main())


def test_disconnect_reasons(flavour):
    async def main():
        h = Harness(flavour)
        reasons = []
        socks = []

        rooms_seen = []

        @h.io.on("connection")
        def conn(socket):
            socks.append(socket)
            socket.join("lobby")

            def disconnecting(r):
                # socket.io: the socket is still in its rooms here
                rooms_seen.append(set(socket.rooms))
                reasons.append(("disconnecting", r))
            socket.on("disconnecting", disconnecting)
            socket.on("disconnect", lambda r: reasons.append(("disconnect", r)))
        await h.start()
        c = await h.client()
        await eventually(lambda: len(socks) == 1 and "lobby" in socks[0].rooms)
        await c.disconnect()
        await eventually(lambda: len(reasons) == 2)
        assert rooms_seen[0] == {socks[0].id, "lobby"}
        assert socks[0].rooms == set()   # gone after the disconnect
        # python-socketio's client may close the transport before the server
        # reads its DISCONNECT packet
        assert [r[0] for r in reasons] == ["disconnecting", "disconnect"]
        assert reasons[0][1] == reasons[1][1]
        assert reasons[0][1] in ("client namespace disconnect", "transport close")
        reasons.clear()
        c = await h.client()
        got = []
        c.on("disconnect", lambda *a: got.append(a))
        await eventually(lambda: len(socks) == 2)
        socks[1].disconnect()
        await eventually(lambda: len(reasons) == 2 and got)
        assert reasons[1] == ("disconnect", "server namespace disconnect")
        reasons.clear()
        c = await h.client()
        await eventually(lambda: len(socks) == 3)
        socks[2].disconnect(close=True)
        await eventually(lambda: len(reasons) == 2)
        assert reasons[1] == ("disconnect", "server namespace disconnect")
        await c.disconnect()
        await h.close()
    run(main())


def test_server_side_room_ops(flavour):
    """sockets_join / sockets_leave / disconnect_sockets, except_"""
    async def main():
        h = Harness(flavour)
        h.io.on("connection", lambda s: s.join("odd" if s.handshake["auth"]["n"] % 2 else "even"))
        await h.start()
        cs = [await h.client(auth={"n": i}) for i in range(4)]
        rs = [Recorder(c, "m") for c in cs]
        await eventually(lambda: len(h.io.sockets.rooms.get("odd", ())) == 2
                         and len(h.io.sockets.rooms.get("even", ())) == 2)
        h.io.in_("odd").sockets_join("club")
        await eventually(lambda: len(h.io.sockets.rooms.get("club", ())) == 2)
        h.io.to("club").except_(cs[1].get_sid("/")).emit("m", "club")
        assert await rs[3].get() == ("m", "club")
        assert await rs[1].nothing(0.2)
        h.io.sockets_leave("club")
        await eventually(lambda: "club" not in h.io.sockets.rooms)
        h.io.except_("even").emit("m", "not even")
        assert await rs[1].get() == ("m", "not even")
        assert await rs[0].nothing(0.2)
        h.io.in_("even").disconnect_sockets()
        await eventually(lambda: len(h.io.sockets.sockets) == 2)
        assert set(h.io.sockets.sockets) == {cs[1].get_sid("/"), cs[3].get_sid("/")}
        for c in cs:
            await c.disconnect()
        await h.close()
    run(main())


def test_broadcast_ack(flavour):
    async def main():
        h = Harness(flavour)
        await h.start()
        a, b = await h.client(), await h.client()
        a.on("q", lambda x: x + 1)
        b.on("q", lambda x: x + 2)
        await eventually(lambda: len(h.io.sockets.sockets) == 2)
        res = await h.call(h.io.timeout(5).emit_with_ack, "q", 10)
        assert sorted(res) == [11, 12]

        async def slow(x):
            await asyncio.sleep(2)
        b.on("q2", slow)
        a.on("q2", lambda x: "fast")
        with pytest.raises(sioc.AckTimeoutError):
            await h.call(h.io.timeout(0.3).emit_with_ack, "q2", 0)
        await a.disconnect()
        await b.disconnect()
        await h.close()
    run(main())


def test_binary_anywhere(flavour):
    async def main():
        h = Harness(flavour)
        h.io.on("connection", lambda s: s.on("echo", lambda *a: a))
        await h.start()
        c = await h.client()
        payload = {"a": [b"\x00", {"deep": bytearray(b"\x01\x02")}], "s": "é"}
        got = await c.call("echo", (payload, b"top"))
        assert list(got) == [{"a": [b"\x00", {"deep": b"\x01\x02"}], "s": "é"}, b"top"]
        r = Recorder(c, "bin")
        h.io.emit("bin", {"x": [1, bytearray(b"\xff" * 1000)]}, memoryview(b"end"))
        assert await r.get() == ("bin", {"x": [1, b"\xff" * 1000]}, b"end")
        await c.disconnect()
        await h.close()
    run(main())


def test_close(flavour):
    async def main():
        h = Harness(flavour)
        reasons = []
        h.io.on("connection", lambda s: s.on("disconnect", reasons.append))
        await h.start()
        c = await h.client()
        gone = asyncio.Event()
        c.on("disconnect", lambda *a: gone.set())
        await eventually(lambda: h.io.sockets.sockets)
        await h.close()
        await asyncio.wait_for(gone.wait(), 5)
        await eventually(lambda: reasons == ["server shutting down"])
        with pytest.raises(sioc.ClosedError):
            h.io.emit("x")
        await c.disconnect()
    run(main())


def test_listen_errors(flavour):
    async def main():
        h = Harness(flavour)
        port = await h.start()
        h2 = Harness(flavour)
        h2.port = port
        with pytest.raises(OSError, match="address already in use"):
            if h2.blocking:
                h2.io.listen(port, "127.0.0.1")
            else:
                await h2.io.listen(port, "127.0.0.1")
        await h2.close()
        await h.close()
    run(main())


def test_slow_handler_does_not_block(flavour):
    """A handler sleeping 2 s (asyncio.sleep / time.sleep) stops neither
    heartbeats (pingInterval 200 ms) nor other clients' broadcasts."""
    async def main():
        h = Harness(flavour, pingInterval=200, pingTimeout=300)

        @h.io.on("connection")
        def conn(socket):
            if h.blocking:
                socket.on("slow", lambda: time.sleep(2) or "slept")
            else:
                async def slow():
                    await asyncio.sleep(2)
                    return "slept"
                socket.on("slow", slow)
            socket.on("say", lambda m: h.io.emit("said", m))
        await h.start()
        a, b = await h.client(), await h.client()
        rb = Recorder(b, "said")
        disc = []
        a.on("disconnect", lambda *x: disc.append(x))
        b.on("disconnect", lambda *x: disc.append(x))
        slow = asyncio.ensure_future(a.call("slow", timeout=10))
        await asyncio.sleep(0.1)
        t0 = time.monotonic()
        for i in range(5):
            await b.emit("say", i)
            assert await rb.get() == ("said", i)
        assert time.monotonic() - t0 < 1.0, "broadcasts waited for the slow handler"
        assert await slow == "slept"
        assert not disc   # 2 s > pingInterval + pingTimeout: heartbeats ran
        await a.disconnect()
        await b.disconnect()
        await h.close()
    run(main())


def test_blocking_run_and_ctrl_c():
    """BlockingServer.run() blocks until close(); KeyboardInterrupt closes."""
    import threading
    io = sioc.BlockingServer()
    port = io.listen(0, "127.0.0.1")
    t = threading.Thread(target=io.run)
    t.start()
    time.sleep(0.2)
    assert t.is_alive()
    io.close()
    t.join(5)
    assert not t.is_alive()
    io2 = sioc.BlockingServer()
    io2.listen(0, "127.0.0.1")
    real_wait = io2._closed_evt.wait
    calls = []

    def interrupted(timeout=None):
        if not calls:
            calls.append(1)
            raise KeyboardInterrupt()
        return real_wait(timeout)
    io2._closed_evt.wait = interrupted
    io2.run()   # returns: Ctrl-C closed it
    assert io2._closed
    assert port > 0


def _polling(port, method="GET", sid=None, body=None):
    """One raw Engine.IO polling request: the response body as text."""
    import urllib.request
    url = "http://127.0.0.1:%d/socket.io/?EIO=4&transport=polling" % port
    if sid:
        url += "&sid=" + sid
    req = urllib.request.Request(url, data=body.encode() if body else None, method=method)
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.read().decode()


def test_socket_volatile(flavour):
    """socket.volatile.emit goes out when the client can take it and is
    dropped (not buffered) when it cannot: here a polling client with no
    GET parked."""
    async def main():
        h = Harness(flavour)
        await h.start()
        # a WebSocket client that is idle: the volatile packet reaches it
        c = await h.client(transports=["websocket"])
        r = Recorder(c, "v")
        await eventually(lambda: len(h.io.sockets.sockets) == 1)
        (s,) = h.io.sockets.sockets.values()
        s.volatile.emit("v", 1)
        assert await r.get() == ("v", 1)
        await c.disconnect()
        await eventually(lambda: len(h.io.sockets.sockets) == 0)

        # a polling client between two GETs: the volatile packet is dropped,
        # the plain one is kept for the next GET
        opened = await asyncio.to_thread(_polling, h.port)
        sid = json.loads(opened[1:])["sid"]
        await asyncio.to_thread(_polling, h.port, "POST", sid, "40")
        assert (await asyncio.to_thread(_polling, h.port, "GET", sid)).startswith("40")
        (s,) = h.io.sockets.sockets.values()
        s.volatile.emit("v", "dropped")
        s.emit("n", "kept")
        got = await asyncio.to_thread(_polling, h.port, "GET", sid)
        assert got == '42["n","kept"]', got
        await h.close()
    run(main())


def test_repeated_headers_joined_as_socket_io(flavour):
    """socket.handshake["headers"] as socket.io (Node's http module) has
    them: repeated headers joined with ", ", cookies with "; "."""
    async def main():
        import http.client
        h = Harness(flavour)
        pending = []
        h.io.use(lambda s, next: pending.append(s) or next())
        await h.start()

        def handshake():
            conn = http.client.HTTPConnection("127.0.0.1", h.port, timeout=5)
            conn.putrequest("GET", "/socket.io/?EIO=4&transport=polling")
            for name, value in (("X-Dup", "a"), ("X-Dup", "b"), ("Cookie", "c=1"),
                                ("Cookie", "d=2")):
                conn.putheader(name, value)
            conn.endheaders()
            sid = json.loads(conn.getresponse().read().decode()[1:])["sid"]
            conn.close()
            return sid
        sid = await asyncio.to_thread(handshake)
        await asyncio.to_thread(_polling, h.port, "POST", sid, "40")
        await eventually(lambda: pending)
        headers = pending[0].handshake["headers"]
        assert headers["x-dup"] == "a, b"
        assert headers["cookie"] == "c=1; d=2"
        await h.close()
    run(main())
