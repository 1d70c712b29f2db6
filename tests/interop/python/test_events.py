"""Connect with auth, events both ways, acks both ways: python-socketio's
AsyncClient against the echo server, in each transport mode."""
import asyncio

AUTH = {
    "token": "abc",
    "n": 42,
    "f": -1.25,
    "yes": True,
    "no": False,
    "nothing": None,
    "list": [1, "two", {"three": [3]}, []],
    "nested": {"deeper": {"deepest": {"s": "héllo wörld ✓ 😀", "empty": {}}}},
    "unicode": "Ünïcödé — 中文 — 𝄞 — \u2028\u2029",
}

CONTROL = "".join(chr(i) for i in range(32))
TRICKY = f"\"quoted\" 'single' \\back\\slash\\ /slash {CONTROL} \x7f \u2028 \u2029 😀👍🏽🇫🇷 𝄞 \ufeff"
ALL_TYPES = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    -2.75e-5,
    1e300,
    9007199254740991,
    -9007199254740991,
    "",
    "plain",
    TRICKY,
    [],
    {},
    [1, [2, [3, [4, [5]]]]],
    {"a": {"b": {"c": {"d": "e"}}}, "arr": [None, True, 0, "s", {"x": []}], 'key with "quotes"\n': TRICKY},
]


def big_string():
    chunk = 'The quick brown fox jumps over the lazy dog 0123456789 ✓ "q" \\ '
    n = -(-500 * 1024 // len(chunk.encode()))
    return chunk * n


def test_connect_auth_echoed_exactly(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports, auth=AUTH)
        assert c.sio.connected
        assert c.sid()
        assert await c.next("auth") == [AUTH]

    h.run(body)


def test_auth_is_empty_object_without_auth(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        assert await c.next("auth") == [{}]

    h.run(body)


def test_transport_in_use(server, mode, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        if mode == "polling":
            await asyncio.sleep(0.3)
            assert c.transport() == "polling"
        else:
            # websocket only, or polling upgraded to websocket
            await h.wait_until(lambda: c.transport() == "websocket", 5, "websocket transport")
        assert await c.call("message-with-ack", "ok") == ["ok"]

    h.run(body)


def test_message_every_json_type(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        await c.emit("message", *ALL_TYPES)
        assert await c.next("message-back") == ALL_TYPES

    h.run(body)


def test_message_zero_and_one_argument(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        await c.emit("message")
        assert await c.next("message-back") == []
        await c.emit("message", TRICKY)
        assert await c.next("message-back") == [TRICKY]
        await c.emit("message", [1, 2])  # one list argument, not two
        assert await c.next("message-back") == [[1, 2]]

    h.run(body)


# python-engineio's client refuses a polling payload of more than 16 packets
# (Payload.max_decode_packets) and drops the connection, whatever the server:
# keep bursts small enough for a polling response to stay under that.
BURST = 10


def test_many_messages_in_order(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        got = []
        for start in range(0, 100, BURST):
            for i in range(start, start + BURST):
                await c.emit("message", i)
            got += [(await c.next("message-back", timeout=8))[0] for _ in range(BURST)]
        assert got == list(range(100))

    h.run(body)


def test_large_string_round_trip(server, transports, h):
    async def body(ctx):
        big = big_string()
        c = await ctx.connect(server.url, transports)
        await c.emit("message", big, "tail")
        back = await c.next("message-back", timeout=15)
        assert len(back) == 2 and back[1] == "tail"
        assert back[0] == big, "large string differs"
        acked = await c.call("message-with-ack", big, timeout=15)
        assert acked == [big]

    h.run(body)


def test_client_to_server_ack(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        assert await c.call("message-with-ack", *ALL_TYPES) == ALL_TYPES
        assert await c.call("message-with-ack") == []

    h.run(body)


def test_concurrent_acks_matched(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        rs = await asyncio.gather(*(c.call("message-with-ack", i, f"s{i}") for i in range(BURST)))
        assert rs == [[i, f"s{i}"] for i in range(BURST)]

    h.run(body)


def test_server_to_client_ack(server, transports, h):
    async def body(ctx):
        c = ctx.client(server.url, transports)
        c.on("ack-request", lambda *args: ("got", *args))
        await c.connect()
        await c.emit("request-ack", 1, "two", {"three": [3]}, TRICKY)
        assert await c.next("ack-response") == [["got", 1, "two", {"three": [3]}, TRICKY]]
        # the event itself reached the client with the arguments
        assert await c.next("ack-request") == [1, "two", {"three": [3]}, TRICKY]

    h.run(body)


def test_server_to_client_ack_without_arguments(server, transports, h):
    async def body(ctx):
        c = ctx.client(server.url, transports)
        c.on("ack-request", lambda *args: None)  # None -> an empty ack
        await c.connect()
        await c.emit("request-ack")
        assert await c.next("ack-response") == [[]]

    h.run(body)


def test_bench_echo(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        assert await c.call("echo", "ping", 1, {"t": True}) == ["ping", 1, {"t": True}]

    h.run(body)


def test_bench_bcast_reaches_everyone(server, transports, h):
    async def body(ctx):
        a = await ctx.connect(server.url, transports)
        b = await ctx.connect(server.url, transports)
        c = await ctx.connect(server.url, transports)
        await a.emit("bcast", "hello all", {"n": 3})
        for s in (a, b, c):
            assert await s.next("bcast") == ["hello all", {"n": 3}]

    h.run(body)
