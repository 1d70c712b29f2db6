"""Binary payloads both ways with python-socketio (bytes as top-level
arguments, nested, several attachments per packet, in events and acks)."""

ALL_BYTES = bytes(range(256))
# Bytes that look like protocol syntax: placeholders, separators, packet types.
SNEAKY = b'{"_placeholder":true,"num":0}\x1e451-["x"]\x00\xff'


def big_bytes(n):
    return bytes((i * 31 + 7) & 0xFF for i in range(n))


def test_bytes_as_only_argument(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        await c.emit("message", ALL_BYTES)
        (b,) = await c.next("message-back")
        assert isinstance(b, bytes)
        assert b == ALL_BYTES

    h.run(body)


def test_empty_and_protocol_looking_bytes(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        await c.emit("message", b"", SNEAKY, "text", b"\x00")
        assert await c.next("message-back") == [b"", SNEAKY, "text", b"\x00"]

    h.run(body)


def test_nested_and_several_attachments(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        args = [
            b"\x01\x02\x03",
            "between",
            {"a": b"\x04", "nested": {"deeper": [b"\x05\x06", {"b": b"\x07"}], "n": 1}, "s": "x"},
            [b"\x08", [b"\x09\x0a"], None, 3.5],
            b"\xff\x00\xff",
            {"_placeholder": False, "num": "not a placeholder"},
        ]
        await c.emit("message", *args)
        assert await c.next("message-back") == args

    h.run(body)


def test_ten_attachments(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        args = [bytes([i]) * (i + 1) for i in range(10)]
        await c.emit("message", *args)
        assert await c.next("message-back") == args

    h.run(body)


def test_large_bytes(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        big = big_bytes(500 * 1024)
        await c.emit("message", big)
        (b,) = await c.next("message-back", timeout=15)
        assert b == big, "large binary differs"

    h.run(body)


def test_bytes_in_client_to_server_ack(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        args = [b"\x01", {"x": [b"\x02\x03"]}, "ok", [b"\x04", b"\x05"]]
        assert await c.call("message-with-ack", *args) == args

    h.run(body)


def test_bytes_in_server_to_client_ack(server, transports, h):
    async def body(ctx):
        c = ctx.client(server.url, transports)
        c.on("ack-request", lambda *args: (*args, b"\x09\x08\x07", {"mine": [b"\x06"]}))
        await c.connect()
        await c.emit("request-ack", b"\x01\x02", "txt", {"deep": [b"\xde\xad"]})
        # the event reached the client with its binary arguments ...
        assert await c.next("ack-request") == [b"\x01\x02", "txt", {"deep": [b"\xde\xad"]}]
        # ... and the client's binary ack reached the server
        assert await c.next("ack-response") == [
            [b"\x01\x02", "txt", {"deep": [b"\xde\xad"]}, b"\x09\x08\x07", {"mine": [b"\x06"]}]
        ]

    h.run(body)


def test_binary_and_text_interleaved(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports)
        # 8 events, 12 Engine.IO packets: under python-engineio's 16 per polling payload
        sent = [bytes([i]) if i % 2 else i for i in range(8)]
        for v in sent:
            await c.emit("message", v)
        got = [(await c.next("message-back"))[0] for _ in sent]
        assert got == sent

    h.run(body)


def test_binary_bcast(server, transports, h):
    async def body(ctx):
        a = await ctx.connect(server.url, transports)
        b = await ctx.connect(server.url, transports)
        await a.emit("bcast", {"file": b"\x01\x02\x03"}, b"\x04")
        for s in (a, b):
            assert await s.next("bcast") == [{"file": b"\x01\x02\x03"}, b"\x04"]

    h.run(body)
