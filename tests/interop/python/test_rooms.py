"""Rooms and broadcasts with three python-socketio clients. A fresh server
per test so that all-rooms can be compared exactly."""
import itertools

_tags = itertools.count()


async def three(ctx, url, transports):
    a = await ctx.connect(url, transports)
    b = await ctx.connect(url, transports)
    c = await ctx.connect(url, transports)
    for s in (a, b, c):
        assert await s.call("join", "all") == [sorted([s.sid(), "all"])]
    return a, b, c


async def barrier(sender, receivers):
    """`sender` emits a tagged room-message to "all" and every receiver waits
    for it. The server handles one client's packets in order and writes to
    each client in order, so whatever the sender's earlier emits delivered is
    in the logs afterwards."""
    tag = f"barrier-{next(_tags)}"
    await sender.emit("room-emit", "all", tag)
    for r in receivers:
        while (await r.next("room-message"))[0] != tag:
            pass


def events(s):
    """Events received on /, without auth/connect and barrier messages."""
    return [
        e
        for e in s.events("/")
        if not (e[0] == "room-message" and isinstance(e[1][0], str) and e[1][0].startswith("barrier-"))
    ]


def test_join_leave_ack_sorted_rooms(fresh_server, transports, h):
    async def body(ctx):
        a, b, c = await three(ctx, fresh_server.url, transports)
        me = a.sid()
        assert await a.call("join", "zeta") == [sorted([me, "all", "zeta"])]
        assert await a.call("join", "Alpha") == [sorted([me, "all", "zeta", "Alpha"])]
        assert await a.call("join", "0 ü room") == [sorted([me, "all", "zeta", "Alpha", "0 ü room"])]
        assert await a.call("join", "zeta") == [sorted([me, "all", "zeta", "Alpha", "0 ü room"])]
        assert await a.call("leave", "zeta") == [sorted([me, "all", "Alpha", "0 ü room"])]
        assert await a.call("leave", "never-joined") == [sorted([me, "all", "Alpha", "0 ü room"])]
        assert await b.call("leave", "never-joined") == [sorted([b.sid(), "all"])]

    h.run(body)


def test_room_emit(fresh_server, transports, h):
    async def body(ctx):
        a, b, c = await three(ctx, fresh_server.url, transports)
        await a.call("join", "r1")
        await b.call("join", "r1")
        await a.emit("room-emit", "r1", "hi", {"x": [1, "ü"]}, None)
        await barrier(a, (a, b, c))
        assert events(a) == [("room-message", ["hi", {"x": [1, "ü"]}, None])]
        assert events(b) == [("room-message", ["hi", {"x": [1, "ü"]}, None])]
        assert events(c) == [], "c is not in r1"
        # from a non-member
        await c.emit("room-emit", "r1", "from c")
        await barrier(c, (a, b, c))
        assert events(a)[1:] == [("room-message", ["from c"])]
        assert events(b)[1:] == [("room-message", ["from c"])]
        assert events(c) == []

    h.run(body)


def test_room_broadcast_excludes_sender(fresh_server, transports, h):
    async def body(ctx):
        a, b, c = await three(ctx, fresh_server.url, transports)
        await a.call("join", "r1")
        await b.call("join", "r1")
        await a.emit("room-broadcast", "r1", "not for a", 7)
        await barrier(a, (a, b, c))
        assert events(a) == [], "the sender got its own room-broadcast"
        assert events(b) == [("room-message", ["not for a", 7])]
        assert events(c) == []
        await c.emit("room-broadcast", "r1", "from outside")
        await barrier(c, (a, b, c))
        assert events(a) == [("room-message", ["from outside"])]
        assert events(b)[1:] == [("room-message", ["from outside"])]
        assert events(c) == []

    h.run(body)


def test_room_except(fresh_server, transports, h):
    async def body(ctx):
        a, b, c = await three(ctx, fresh_server.url, transports)
        await a.call("join", "r1")
        await b.call("join", "r1")
        await b.call("join", "r2")
        await c.call("join", "r2")
        await c.emit("room-except", "r1", "r2", "only a", {"n": 1})
        await barrier(c, (a, b, c))
        assert events(a) == [("room-message", ["only a", {"n": 1}])]
        assert events(b) == [], "b is in the excepted room"
        assert events(c) == []

    h.run(body)


def test_broadcast_excludes_sender(fresh_server, transports, h):
    async def body(ctx):
        a, b, c = await three(ctx, fresh_server.url, transports)
        await a.emit("broadcast", "to others", [1, 2], {"ok": True})
        await barrier(a, (a, b, c))
        assert events(a) == []
        assert events(b) == [("broadcast", ["to others", [1, 2], {"ok": True}])]
        assert events(c) == [("broadcast", ["to others", [1, 2], {"ok": True}])]

    h.run(body)


def test_room_sockets_and_all_rooms(fresh_server, transports, h):
    async def body(ctx):
        a, b, c = await three(ctx, fresh_server.url, transports)
        ids = [s.sid() for s in (a, b, c)]
        await a.call("join", "r1")
        await c.call("join", "r1")
        assert await b.call("room-sockets", "r1") == [sorted([a.sid(), c.sid()])]
        assert await b.call("room-sockets", "all") == [sorted(ids)]
        assert await b.call("room-sockets", a.sid()) == [[a.sid()]]
        assert await b.call("room-sockets", "no-such-room") == [[]]
        assert await b.call("all-rooms") == [sorted(ids + ["all", "r1"])]
        await a.call("leave", "r1")
        assert await b.call("room-sockets", "r1") == [[c.sid()]]
        await c.call("leave", "r1")
        assert await b.call("all-rooms") == [sorted(ids + ["all"])]

    h.run(body)


def test_sockets_join(fresh_server, transports, h):
    async def body(ctx):
        a, b, c = await three(ctx, fresh_server.url, transports)
        await a.call("join", "r1")
        await b.call("join", "r1")
        assert await c.call("sockets-join", "joined", "r1") == []
        assert await c.call("room-sockets", "joined") == [sorted([a.sid(), b.sid()])]
        assert await a.call("leave", "nothing") == [sorted([a.sid(), "all", "r1", "joined"])]
        await c.emit("room-emit", "joined", "via joined")
        await barrier(c, (a, b, c))
        assert events(a) == [("room-message", ["via joined"])]
        assert events(b) == [("room-message", ["via joined"])]
        assert events(c) == []

    h.run(body)


def test_disconnect_sockets(fresh_server, transports, h):
    async def body(ctx):
        a, b, c = await three(ctx, fresh_server.url, transports)
        await a.call("join", "r1")
        await b.call("join", "r1")
        c_id = c.sid()
        await c.emit("disconnect-sockets", "r1")
        assert await a.next("disconnect") == ["server disconnect"]
        assert await b.next("disconnect") == ["server disconnect"]
        assert c.sio.connected
        assert await c.call("echo", "c alive") == ["c alive"]
        assert await c.call("room-sockets", "all") == [[c_id]]
        assert await c.call("all-rooms") == [sorted([c_id, "all"])]
        await h.wait_until(lambda: not a.sio.connected and not b.sio.connected, 3, "a and b disconnected")

    h.run(body)


def test_disconnected_client_leaves_rooms(fresh_server, transports, h):
    async def body(ctx):
        a, b, c = await three(ctx, fresh_server.url, transports)
        a_id = a.sid()
        await a.sio.disconnect()

        async def gone():
            return a_id not in (await b.call("room-sockets", "all"))[0]

        await h.wait_until(gone, 5, "the disconnected socket to leave its rooms")
        assert await b.call("all-rooms") == [sorted([b.sid(), c.sid(), "all"])]

    h.run(body)


def test_bcast_reaches_all_three(fresh_server, transports, h):
    async def body(ctx):
        a, b, c = await three(ctx, fresh_server.url, transports)
        await b.emit("bcast", "x", {"y": ["z"]})
        for s in (a, b, c):
            assert await s.next("bcast") == ["x", {"y": ["z"]}]

    h.run(body)
