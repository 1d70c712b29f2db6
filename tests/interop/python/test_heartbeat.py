"""Heartbeats with short intervals (--ping-interval 300 --ping-timeout 200)
seen by python-socketio: a healthy client stays connected and answers pings;
a client that stops answering is dropped by the server."""
import asyncio
import json

import aiohttp
import pytest
from engineio import packet as eio_packet

PING_INTERVAL = 300
PING_TIMEOUT = 200


@pytest.fixture(scope="module")
def hb_server(h):
    with h.echo_server("--ping-interval", str(PING_INTERVAL), "--ping-timeout", str(PING_TIMEOUT)) as srv:
        yield srv


def count_pings(c):
    """Count the PING packets the client's engine receives."""
    counter = {"pings": 0}
    eio = c.sio.eio
    original = eio._receive_packet

    async def counting(pkt):
        if pkt.packet_type == eio_packet.PING:
            counter["pings"] += 1
        await original(pkt)

    eio._receive_packet = counting
    return counter


def test_handshake_advertises_intervals(hb_server, transports, h):
    async def body(ctx):
        c = await ctx.connect(hb_server.url, transports)
        assert c.sio.eio.ping_interval == PING_INTERVAL / 1000
        assert c.sio.eio.ping_timeout == PING_TIMEOUT / 1000

    h.run(body)


def test_healthy_client_stays_connected(hb_server, transports, h):
    async def body(ctx):
        c = await ctx.connect(hb_server.url, transports)
        counter = count_pings(c)
        sid = c.sio.eio.sid
        await asyncio.sleep(2.2)
        assert c.sio.connected
        assert c.sio.eio.sid == sid, "same Engine.IO session"
        assert [e for e in c.log if e[1] == "disconnect"] == []
        assert counter["pings"] >= 4, f"only {counter['pings']} pings in 2.2 s"
        assert counter["pings"] <= 12, f"{counter['pings']} pings in 2.2 s: interval not honoured"
        assert await c.call("echo", "alive") == ["alive"]

    h.run(body)


def test_client_without_pongs_is_dropped(hb_server, mode, transports, h):
    async def body(ctx):
        observer = await ctx.connect(hb_server.url, transports)
        victim = await ctx.connect(hb_server.url, transports)
        # A room of this test's own: the server is shared between the modes,
        # and a previous mode's client whose last packets python-engineio
        # never sent (its write loop drops what is queued when disconnect()
        # comes during a POST) stays in its rooms until its ping timeout.
        room = f"hb-{mode}"
        await observer.call("join", room)
        await victim.call("join", room)
        if mode == "default":
            await h.wait_until(lambda: victim.transport() == "websocket", 5, "upgrade")
        victim_id = victim.sid()
        assert await observer.call("room-sockets", room) == [sorted([observer.sid(), victim_id])]

        # Stop answering pings: drop the victim's outgoing PONG packets.
        eio = victim.sio.eio
        send = eio._send_packet

        async def no_pong(pkt):
            if pkt.packet_type == eio_packet.PONG:
                return
            await send(pkt)

        eio._send_packet = no_pong
        loop = asyncio.get_running_loop()
        t0 = loop.time()

        async def dropped():
            return victim_id not in (await observer.call("room-sockets", room))[0]

        await h.wait_until(dropped, 4, "the server to drop the silent client", step=0.05)
        assert loop.time() - t0 >= PING_TIMEOUT / 1000
        assert observer.sio.connected
        assert await observer.call("room-sockets", room) == [[observer.sid()]]

    h.run(body)


def test_raw_websocket_that_never_pongs_is_dropped(hb_server, h):
    """A hand-written Engine.IO/Socket.IO client over a raw websocket that
    joins a room and then ignores the server's pings."""

    async def body(ctx):
        observer = await ctx.connect(hb_server.url, ["websocket"])
        await observer.call("join", "hb")
        url = f"ws://{hb_server.host}:{hb_server.port}/socket.io/?EIO=4&transport=websocket"
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, autoping=False) as ws:
                opened = await asyncio.wait_for(ws.receive_str(), 5)
                assert opened.startswith("0")
                handshake = json.loads(opened[1:])
                assert handshake["pingInterval"] == PING_INTERVAL
                assert handshake["pingTimeout"] == PING_TIMEOUT
                await ws.send_str("40")
                connected = await asyncio.wait_for(ws.receive_str(), 5)
                assert connected.startswith("40")
                raw_id = json.loads(connected[2:])["sid"]
                await ws.send_str('421["join","hb"]')
                # the auth emit and the join ack, in whatever order
                got = [await asyncio.wait_for(ws.receive_str(), 5) for _ in range(2)]
                assert '42["auth",{}]' in got
                assert f'431[{json.dumps(sorted([raw_id, "hb"]), separators=(",", ":"))}]' in got
                assert raw_id in (await observer.call("room-sockets", "hb"))[0]

                # Now read everything but answer nothing.
                pings = 0
                closed = False
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 4
                while loop.time() < deadline:
                    try:
                        msg = await asyncio.wait_for(ws.receive(), deadline - loop.time())
                    except asyncio.TimeoutError:
                        break
                    if msg.type == aiohttp.WSMsgType.TEXT and msg.data == "2":
                        pings += 1
                    elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                        closed = True
                        break
                assert pings >= 1, "the server never pinged"
                assert closed, "the server kept a client that never answered pings"

        async def dropped():
            return raw_id not in (await observer.call("room-sockets", "hb"))[0]

        await h.wait_until(dropped, 2, "the silent raw client to leave its room")

    h.run(body)
