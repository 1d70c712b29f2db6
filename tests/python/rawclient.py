"""A minimal Engine.IO v4 / Socket.IO v5 WebSocket client on asyncio
streams, for load: the leak test and bench_threading.py.  Text packets
only; no acks from the client side beyond what callers build."""
import asyncio
import base64
import json
import os
import struct


class RawClient:
    def __init__(self, reader, writer):
        self.r, self.w = reader, writer
        self.sid = None

    @classmethod
    async def connect(cls, port, host="127.0.0.1", namespace="/"):
        reader, writer = await asyncio.open_connection(host, port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                      "Host: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
                      % (host, port, key)).encode())
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        c = cls(reader, writer)
        op = await c.recv()
        assert op.startswith("0"), op
        c.send("40" if namespace == "/" else "40%s," % namespace)
        while True:
            p = await c.recv()
            if p.startswith("40"):
                c.sid = json.loads(p[p.index("{"):])["sid"]
                return c

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            hdr = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.w.write(hdr + mask + masked)

    async def recv(self):
        """The next text message; answers pings."""
        while True:
            b1, b2 = await self.r.readexactly(2)
            n = b2 & 0x7F
            if n == 126:
                n = struct.unpack("!H", await self.r.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", await self.r.readexactly(8))[0]
            data = await self.r.readexactly(n)
            op = b1 & 0x0F
            if op == 8:
                raise ConnectionError("closed")
            if op != 1:
                continue
            text = data.decode()
            if text == "2":
                self.send("3")
                continue
            return text

    def emit(self, event, *args, ack=None):
        self.send("42%s%s" % ("" if ack is None else ack, json.dumps([event] + list(args))))

    async def close(self):
        self.w.close()
        try:
            await self.w.wait_closed()
        except (ConnectionError, OSError):
            pass
