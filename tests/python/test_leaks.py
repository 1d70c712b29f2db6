"""5,000 connect/disconnect cycles (in batches of 100 concurrent clients,
bounded in time) leave no C objects (the core's counters) and no Python
objects (gc) alive."""
import asyncio
import gc
import time

import sioc
from conftest import Harness, eventually, run
from rawclient import RawClient

CYCLES = 5000
BATCH = 100


def test_connect_disconnect_cycles(flavour):
    async def main():
        h = Harness(flavour)
        connected = [0]

        @h.io.on("connection")
        def conn(socket):
            connected[0] += 1
            socket.join("room")
            socket.on("x", lambda: None)
        port = await h.start()

        async def one():
            c = await RawClient.connect(port)
            await c.close()
        t0 = time.monotonic()
        for _ in range(CYCLES // BATCH):
            await asyncio.gather(*(one() for _ in range(BATCH)))
        elapsed = time.monotonic() - t0
        await eventually(lambda: connected[0] == CYCLES, timeout=30)
        await eventually(lambda: h.io.stats()["handles"] == 0, timeout=30)
        stats = h.io.stats()
        assert stats == {"connections": 0, "sessions": 0, "sockets": 0, "handles": 0,
                         "namespaces": 1, "py_sockets": 0, "py_requests": 0}, stats
        assert h.io.sockets.sockets == {} and h.io.sockets._pending == {}
        gc.collect()
        live = [o for o in gc.get_objects() if isinstance(o, sioc.Socket)]
        assert live == [], live[:3]
        await h.close()
        print("%d cycles in %.1fs" % (CYCLES, elapsed))
    run(main(), timeout=120)
