"""Raw Engine.IO echo at /engine.io/ through python-engineio's AsyncClient:
text and binary messages come back equal."""
import asyncio

import engineio

# No \x1e in text: Engine.IO v4 polling payloads use it as the separator.
TEXT = 'héllo ✓ 😀 𝄞 "quotes" \\ \u2028\u2029 \x00\x01\x1f {"json":[1]} 4 2probe'


def test_raw_engineio_echo(server, mode, transports, h):
    async def body(ctx):
        eio = engineio.AsyncClient(request_timeout=10)
        received = asyncio.Queue()

        @eio.on("message")
        def on_message(data):
            received.put_nowait(data)

        await eio.connect(server.url, transports=transports, engineio_path="engine.io")
        # POSTs not answered yet: python-engineio's write loop drops what is
        # queued (the close packet too) when disconnect() comes during one,
        # and its parked GET then waits for the server's next ping.
        posts = [0]
        send_request = eio._send_request

        async def counting_send_request(method, *args, **kwargs):
            posts[0] += method == "POST"
            try:
                return await send_request(method, *args, **kwargs)
            finally:
                posts[0] -= method == "POST"

        eio._send_request = counting_send_request
        try:
            assert eio.sid
            msgs = [TEXT, "a", b"\x00\x01\xff", "x" * 1000, b"4text-looking", b"\x1e"]
            for m in msgs:
                await eio.send(m)
            got = [await asyncio.wait_for(received.get(), 5) for _ in msgs]
            assert got == msgs
            assert [type(g) for g in got] == [type(m) for m in msgs], "text/binary kind changed"

            big_text = "abcdefghij✓" * 40000
            big_bin = bytes((i * 13 + 1) & 0xFF for i in range(500 * 1024))
            await eio.send(big_text)
            assert await asyncio.wait_for(received.get(), 10) == big_text
            await eio.send(big_bin)
            assert await asyncio.wait_for(received.get(), 10) == big_bin
            if mode == "polling":
                assert eio.transport() == "polling"
            else:
                await h.wait_until(lambda: eio.transport() == "websocket", 5, "websocket")
                await eio.send("after upgrade")
                assert await asyncio.wait_for(received.get(), 5) == "after upgrade"
        finally:
            await h.wait_until(lambda: posts[0] == 0, 5, "the POSTs to be answered")
            await asyncio.wait_for(eio.disconnect(), 5)

    h.run(body)
