"""Disconnect reasons seen by python-socketio: client disconnect, the
server's server-disconnect, the server stopped by SIGTERM (graceful: it says
goodbye first) and killed by SIGKILL. python-socketio names the reasons
"client disconnect", "server disconnect" and "transport error"."""
import asyncio
import signal

from echo_server_proc import stop


def test_client_disconnect(fresh_server, transports, h):
    async def body(ctx):
        observer = await ctx.connect(fresh_server.url, transports)
        c = await ctx.connect(fresh_server.url, transports)
        await c.call("join", "room")
        sid = c.sid()
        await c.sio.disconnect()
        assert await c.next("disconnect") == ["client disconnect"]
        assert not c.sio.connected

        async def forgotten():
            return (await observer.call("room-sockets", "room")) == [[]]

        await h.wait_until(forgotten, 5, "the server to drop the socket")
        assert sid not in (await observer.call("all-rooms"))[0]

    h.run(body)


def test_server_disconnect(fresh_server, transports, h):
    async def body(ctx):
        c = await ctx.connect(fresh_server.url, transports)
        c.sio.reconnection = True  # must still not reconnect after a server disconnect
        await c.emit("server-disconnect")
        assert await c.next("disconnect") == ["server disconnect"]
        await h.wait_until(lambda: not c.sio.connected, 3, "client disconnected")
        await asyncio.sleep(0.5)
        assert [e for e in c.log if e[1] == "connect"] == [("/", "connect", ())], "reconnected"
        assert not c.sio.connected

    h.run(body)


def test_server_disconnect_keeps_other_namespace(fresh_server, transports, h):
    async def body(ctx):
        c = await ctx.connect(fresh_server.url, transports, namespaces=("/", "/custom"))
        await c.emit("server-disconnect", ns="/")
        assert await c.next("disconnect", ns="/") == ["server disconnect"]
        await asyncio.sleep(0.2)
        assert c.sio.connected, "/custom should keep the connection"
        assert [e for e in c.log if e[0] == "/custom" and e[1] == "disconnect"] == []
        assert c.sio.eio.state == "connected"

    h.run(body)


def test_sigterm_closes_transports(fresh_server, transports, h):
    # io.close() semantics: no Socket.IO DISCONNECT packet.  python-engineio
    # reports a closed WebSocket as "transport error" and the Engine.IO close
    # packet of a polling session as "server disconnect".
    allowed = {"transport error"} if transports != ["polling"] else {"server disconnect", "transport error"}

    async def body(ctx):
        a = await ctx.connect(fresh_server.url, transports, namespaces=("/", "/custom"))
        b = await ctx.connect(fresh_server.url, transports, namespaces=("/dyn-x1",))
        status = await asyncio.to_thread(stop, fresh_server.proc, 8.0)
        assert status == 0, f"graceful exit status {status}"
        for client, ns in ((a, "/"), (a, "/custom"), (b, "/dyn-x1")):
            (reason,) = await client.next("disconnect", ns=ns)
            assert reason in allowed, (ns, reason)

    h.run(body)


def test_sigkill_is_a_transport_error(fresh_server, transports, h):
    async def body(ctx):
        c = await ctx.connect(fresh_server.url, transports)
        fresh_server.proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(fresh_server.proc.wait, 5)
        assert await c.next("disconnect", timeout=8) == ["transport error"]

    h.run(body)
