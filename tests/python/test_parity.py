"""What the Node package offers and the Python one now does too, in both
flavours: socket.conn ("upgrade", "close", transport), the socket "error"
event for undecodable packets, cleanupEmptyChildNamespaces, all_sockets,
io.engine (clients_count, "connection_error"), "new_namespace", the
listener lists of on_any/on_any_outgoing (and outgoing broadcasts),
Socket.local/leave(list)/leave_all, namespace once/off, adapter.sids; and
on the client side the outgoing listeners and "connecting"'s transport."""
import asyncio
import base64
import json
import os
import re

import pytest
import socketio

import sioc
import sioc.compat
from conftest import Harness, Recorder, eventually, run
from rawclient import RawClient


# ---- raw Engine.IO over HTTP long-polling, then the WebSocket upgrade -----

async def http(port, method, path, body=b""):
    """One HTTP/1.1 request on its own connection: (status, body text)."""
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
             "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: %d\r\n\r\n"
             % (method, path, port, len(body))).encode() + body)
    head = (await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 5)).decode("latin1")
    status = int(head.split(" ", 2)[1])
    length = None
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v)
    data = await asyncio.wait_for(r.readexactly(length) if length is not None else r.read(), 5)
    w.close()
    return status, data.decode()


async def polling_socket(port):
    """A polling session whose "/" socket is connected; its Engine.IO sid."""
    st, body = await http(port, "GET", "/socket.io/?EIO=4&transport=polling")
    assert st == 200 and body.startswith("0"), body
    sid = json.loads(body[1:])["sid"]
    q = "/socket.io/?EIO=4&transport=polling&sid=" + sid
    assert (await http(port, "POST", q, b"40"))[0] == 200
    st, body = await http(port, "GET", q)
    assert body.startswith("40{"), body
    return sid


async def upgrade(port, sid):
    """Moves session sid to a WebSocket (probe, then the upgrade packet)."""
    r, w = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    w.write(("GET /socket.io/?EIO=4&transport=websocket&sid=%s HTTP/1.1\r\n"
             "Host: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
             % (sid, port, key)).encode())
    head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101"), head
    c = RawClient(r, w)
    c.send("2probe")
    assert await asyncio.wait_for(c.recv(), 5) == "3probe"
    c.send("5")
    return c


# ---- socket.conn ------------------------------------------------------------

def test_conn_upgrade_transport_and_close(flavour):
    async def main():
        h = Harness(flavour)
        socks, seen = [], []

        @h.io.on("connection")
        def conn(socket):
            seen.append(("connected", socket.conn.transport, socket.conn.ready_state))
            socket.conn.on("upgrade", lambda t: seen.append(("upgrade", t, socket.conn.transport)))
            socket.conn.on("close", lambda reason: seen.append(("close", reason)))
            socks.append(socket)
        await h.start()
        sid = await polling_socket(h.port)
        await eventually(lambda: len(seen) == 1)
        assert seen[0] == ("connected", "polling", "open")
        s = socks[0]
        assert s.conn.remote_address == "127.0.0.1"
        assert h.io.engine.clients_count == 1
        ws = await upgrade(h.port, sid)
        await eventually(lambda: len(seen) == 2)
        assert seen[1] == ("upgrade", "websocket", "websocket")
        assert s.conn.transport == "websocket"
        await ws.close()
        await eventually(lambda: len(seen) == 3)
        assert seen[2] == ("close", "transport close")
        assert s.conn.transport is None and s.conn.ready_state == "closed"
        await eventually(lambda: h.io.engine.clients_count == 0)
        await h.close()
    run(main())


def test_conn_close_not_for_a_namespace_disconnect(flavour):
    """Leaving a namespace keeps the connection: no "close" on conn (as
    sioc's Node package); conn.close() ends the connection itself."""
    async def main():
        h = Harness(flavour)
        socks, closes, reasons = [], [], []

        @h.io.on("connection")
        def conn(socket):
            socket.conn.on("close", lambda r: closes.append((socket.id, r)))
            socket.on("disconnect", reasons.append)
            socks.append(socket)
        await h.start()
        c = await RawClient.connect(h.port)
        await eventually(lambda: socks)
        socks[0].disconnect()
        await eventually(lambda: reasons == ["server namespace disconnect"])
        await asyncio.sleep(0.2)
        assert closes == [] and h.io.engine.clients_count == 1   # still connected
        await c.close()
        d = await RawClient.connect(h.port)
        await eventually(lambda: len(socks) == 2)
        socks[1].conn.close()
        await eventually(lambda: len(reasons) == 2 and h.io.engine.clients_count == 0)
        assert socks[1].conn.ready_state == "closed"
        await d.close()
        e = await RawClient.connect(h.port)
        await eventually(lambda: len(socks) == 3)
        await e.close()
        await eventually(lambda: closes == [(socks[2].id, "transport close")])
        await h.close()
    run(main())


def test_compat_transport_is_the_real_one():
    async def main():
        sio = sioc.compat.AsyncServer()
        sids, at_connect = [], []

        @sio.on("connect")
        def connect(sid, environ):   # runs before the socket is connected
            at_connect.append(sio.transport(sid))
            sids.append(sid)
        port = await sio.listen(0, "127.0.0.1")
        url = "http://127.0.0.1:%d" % port
        for transports, want in ((["polling"], "polling"), (["websocket"], "websocket")):
            c = socketio.AsyncClient(reconnection=False)
            await c.connect(url, transports=transports)
            await eventually(lambda: sids)
            assert at_connect == [want]
            await eventually(lambda: sio.io.sockets.sockets)
            assert sio.transport(sids[0]) == want
            await c.disconnect()
            await eventually(lambda: sio.io.sockets.sockets == {})
            with pytest.raises(KeyError):
                sio.transport(sids[0])
            sids.clear()
            at_connect.clear()
        await sio.shutdown()
    run(main())


# ---- the socket "error" event -------------------------------------------------

def test_undecodable_packet_error_then_disconnect(flavour):
    async def main():
        h = Harness(flavour)
        log = []

        @h.io.on("connection")
        def conn(socket):
            socket.on("error", lambda err: log.append(("error", type(err).__name__, str(err))))
            socket.on("disconnect", lambda reason: log.append(("disconnect", reason)))
            log.append(("connected",))
        await h.start()
        c = await RawClient.connect(h.port)
        await eventually(lambda: log)
        c.send("45woooot")   # a BINARY_EVENT without an attachment count
        await eventually(lambda: len(log) == 3)
        assert log[1] == ("error", "SiocError", "Illegal attachments")
        assert log[2] == ("disconnect", "forced close")
        await c.close()
        await h.close()
    run(main())


# ---- cleanupEmptyChildNamespaces ------------------------------------------------

def test_cleanup_empty_child_namespaces(flavour):
    async def main():
        h = Harness(flavour, cleanup_empty_child_namespaces=True)
        assert h.io.get("cleanupEmptyChildNamespaces") is True
        parent = h.io.of(re.compile(r"^/dyn-\d+$"))

        def mw(socket, next):
            next(ValueError("no") if socket.handshake["auth"].get("no") else None)
        parent.use(mw)
        parent.on("connection", lambda s: s.on("where", lambda: s.nsp.name))
        static = h.io.of("/static")
        await h.start()
        base = h.io.stats()["namespaces"]   # "/" and "/static"
        c1 = socketio.AsyncClient(reconnection=False)
        await c1.connect(h.url, namespaces=["/dyn-1"])
        assert await c1.call("where", namespace="/dyn-1") == "/dyn-1"
        child = h.io.of("/dyn-1")
        assert child in parent.children
        assert h.io.stats()["namespaces"] == base + 1
        await c1.disconnect()
        await eventually(lambda: child not in parent.children)
        await eventually(lambda: h.io.stats()["namespaces"] == base)
        # the removed Namespace object acts on nothing and brings nothing back
        child.emit("m", 1)
        assert await h.call(child.all_sockets) == set()
        assert await h.call(child.emit_with_ack, "m", 2) == []
        assert child.rooms == {}
        assert h.io.stats()["namespaces"] == base
        # refused by the middleware: created, then removed again
        c2 = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await c2.connect(h.url, namespaces=["/dyn-2"], auth={"no": 1}, wait_timeout=3)
        await c2.disconnect()
        await eventually(lambda: not parent.children)
        await eventually(lambda: h.io.stats()["namespaces"] == base)
        # a cleaned-up name can be joined again, as a new namespace
        c3 = socketio.AsyncClient(reconnection=False)
        await c3.connect(h.url, namespaces=["/dyn-1", "/static"])
        assert await c3.call("where", namespace="/dyn-1") == "/dyn-1"
        assert len(parent.children) == 1 and parent.children[0] is not child
        # a static namespace stays
        await c3.disconnect()
        await eventually(lambda: not parent.children)
        await asyncio.sleep(0.1)
        assert h.io.of("/static") is static and h.io.stats()["namespaces"] == base
        await h.close()
    run(main())


def test_empty_children_stay_by_default(flavour):
    async def main():
        h = Harness(flavour)
        parent = h.io.of(re.compile(r"^/dyn-\d+$"))
        await h.start()
        c = socketio.AsyncClient(reconnection=False)
        await c.connect(h.url, namespaces=["/dyn-1"])
        await c.disconnect()
        await eventually(lambda: h.io.stats()["sockets"] == 0)
        await asyncio.sleep(0.1)
        assert len(parent.children) == 1
        with pytest.raises(ValueError):
            h.io.set("cleanupEmptyChildNamespaces", "yes")
        await h.close()
    run(main())


# ---- all_sockets, sids, socket(id), local, leave(list), leave_all ---------------

def test_all_sockets_sids_and_room_helpers(flavour):
    async def main():
        h = Harness(flavour)
        socks = []

        @h.io.on("connection")
        def conn(socket):
            socket.join(["a", "b", "c"])
            socks.append(socket)
        await h.start()
        cs = [await h.client(transports=["websocket"]) for _ in range(3)]
        rs = [Recorder(c, "m") for c in cs]
        await eventually(lambda: len(socks) == 3 and all(len(s.rooms) == 4 for s in socks))
        ids = {s.id for s in socks}
        assert await h.call(h.io.all_sockets) == ids
        assert await h.call(h.io.in_("a").all_sockets) == ids
        assert await h.call(h.io.of("/").except_(socks[0].id).all_sockets) == ids - {socks[0].id}
        assert h.io.of("/").adapter.sids[socks[0].id] == {socks[0].id, "a", "b", "c"}
        assert h.io.sockets.socket_rooms(socks[0].id) == {socks[0].id, "a", "b", "c"}
        assert h.io.sockets.socket_rooms("nobody") is None
        assert socks[0].adapter is h.io.sockets
        assert h.io.sockets.socket(socks[1].id) is socks[1]          # the Socket itself
        assert isinstance(h.io.sockets.socket("nobody"), sioc.BroadcastOperator)
        socks[0].local.emit("m", "local")                           # all but the sender
        assert await rs[1].get() == ("m", "local") and await rs[2].get() == ("m", "local")
        assert await rs[0].nothing(0.2)
        socks[0].leave(["a", "b"])
        await eventually(lambda: socks[0].rooms == {socks[0].id, "c"})
        socks[1].leave_all()
        await eventually(lambda: socks[1].rooms == set())
        h.io.to(socks[1].id).emit("m", "own room left")
        assert await rs[1].nothing(0.2)
        assert socks[1].connected and not socks[1].disconnected and socks[1].recovered is False
        for c in cs:
            await c.disconnect()
        await h.close()
    run(main())


# ---- listeners and outgoing handlers -------------------------------------------

def test_any_listeners_and_outgoing_broadcasts(flavour):
    async def main():
        h = Harness(flavour)
        socks, order, out = [], [], []

        firsts = []

        @h.io.on("connection")
        def conn(socket):
            firsts.append(socket.on_any(lambda ev, *a: order.append("first")))
            socket.prepend_any(lambda ev, *a: order.append("prepended"))
            socket.on_any_outgoing(lambda ev, *a: out.append((socket.id, ev) + a))
            socket.prepend_any_outgoing(lambda ev, *a: out.append(("pre", ev)))
            socket.join("room")
            socks.append(socket)
        await h.start()
        c = await h.client(transports=["websocket"])
        d = await h.client(transports=["websocket"])
        await eventually(lambda: len(socks) == 2 and all("room" in s.rooms for s in socks))
        await c.emit("x", 1)
        await eventually(lambda: len(order) == 2)
        assert order == ["prepended", "first"]
        a, b = socks
        assert a.listeners_any()[1] in firsts and len(a.listeners_any_outgoing()) == 2
        out.clear()
        h.io.emit("all", 1)                       # a broadcast reaches both
        assert sorted(x for x in out if x[0] != "pre") == sorted([(a.id, "all", 1), (b.id, "all", 1)])
        assert out.count(("pre", "all")) == 2
        out.clear()
        a.broadcast.emit("others", 2)             # b only
        h.io.to("room").except_(b.id).emit("room", 3)   # a only
        a.emit("own", 4)
        assert [x for x in out if x[0] != "pre"] == [(b.id, "others", 2), (a.id, "room", 3),
                                                     (a.id, "own", 4)]
        out.clear()
        a.off_any_outgoing()
        b.off_any_outgoing()
        assert a.listeners_any_outgoing() == [] and not h.io.sockets._outgoing
        h.io.emit("all", 5)
        assert out == []
        await c.disconnect()
        await d.disconnect()
        await h.close()
    run(main())


def test_namespace_once_off_and_new_namespace(flavour):
    async def main():
        h = Harness(flavour)
        got, created = [], []
        h.io.on("new_namespace", lambda nsp: created.append(nsp.name))
        h.io.once("connection", lambda s: got.append("once"))
        h.io.on("connection", lambda s: got.append("on"))
        dropped = h.io.on("connection", lambda s: got.append("dropped"))
        h.io.off("connection", dropped)
        assert len(h.io.listeners("connection")) == 2
        h.io.of("/static")
        dyn = h.io.of(re.compile(r"^/dyn-\d+$"))
        assert h.io.of("/dyn-7") in dyn.children   # a name the regex matches: its child
        await h.start()
        cs = [await h.client(transports=["websocket"]) for _ in range(2)]
        await eventually(lambda: len(got) == 3)
        await asyncio.sleep(0.1)
        assert sorted(got) == ["on", "on", "once"]
        c = socketio.AsyncClient(reconnection=False)
        await c.connect(h.url, namespaces=["/dyn-1"], transports=["websocket"])
        await eventually(lambda: "/dyn-1" in created)
        assert created == ["/static", "/dyn-7", "/dyn-1"]
        for x in cs + [c]:
            await x.disconnect()
        await h.close()
    run(main())


# ---- io.engine ------------------------------------------------------------------

def test_engine_connection_error(flavour):
    async def main():
        h = Harness(flavour)
        errs = []
        h.io.engine.on("connection_error", errs.append)
        assert h.io.eio is h.io.engine
        assert h.io.engine.clients_count == 0
        await h.start()
        st, _ = await http(h.port, "GET", "/socket.io/?EIO=4&transport=polling&sid=nope")
        assert st == 400
        await eventually(lambda: errs)
        e = errs[0]
        assert e["code"] == 1 and e["message"] == "Session ID unknown"
        assert e["req"]["method"] == "GET" and "sid=nope" in e["req"]["url"]
        assert e["req"]["headers"]["host"] == "127.0.0.1:%d" % h.port
        assert e["req"]["address"] == "127.0.0.1" and e["context"] == {}
        await h.close()
    run(main())


# ---- client ---------------------------------------------------------------------

def test_client_outgoing_listeners_and_connecting_transport():
    async def main():
        h = Harness("asyncio")
        h.io.on("connection", lambda s: s.on("echo", lambda x: x))
        await h.start()
        for transports, want in ((["websocket"], "websocket"), (None, "polling")):
            client = sioc.AsyncClient(h.url, transports=transports, reconnection=False)
            sock = client.socket("/")
            connecting = []
            sock.on("connecting", connecting.append)
            assert sock.has_listeners("connecting") and not sock.has_listeners("nope")
            assert sock.disconnected
            out = []
            sock.on_any_outgoing(lambda ev, *a: out.append((ev,) + a))
            sock.prepend_any_outgoing(lambda ev, *a: out.append(("pre", ev)))
            assert len(sock.listeners_any_outgoing()) == 2
            sock.emit("early", 0)     # offline: buffered, not reported
            assert out == []
            sock.connect()
            await sock.wait_connected(5)
            assert connecting == [want]
            assert not sock.disconnected and sock.compress(False) is sock
            assert await sock.emit_with_ack("echo", 1) == 1
            sock.emit("plain", 2)
            assert out == [("pre", "echo"), ("echo", 1), ("pre", "plain"), ("plain", 2)]
            sock.off_any_outgoing()
            sock.emit("plain", 3)
            assert len(out) == 4 and sock.listeners_any_outgoing() == []
            first = sock.on_any(lambda ev, *a: None)
            sock.prepend_any(lambda ev, *a: None)
            assert sock.listeners_any()[1] is first
            await client.close()
        await h.close()
    run(main())
