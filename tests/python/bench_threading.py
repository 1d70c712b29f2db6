"""Threading measurements for the Python binding (not a test: run it).

    PYTHONPATH=python python3 tests/python/bench_threading.py

Measures, on sioc.Server (asyncio, eventfd + loop.add_reader) and
sioc.BlockingServer (dispatch thread + worker pool):
  - echo throughput: 100 raw WebSocket clients, each with a window of 10
    outstanding events; the handler returns its argument as the ack; events/s
    through the whole path (C parse -> event queue -> Python handler -> ack
    command -> C encode);
  - round-trip latency of one client doing sequential acked events (p50/p99);
  - the cost of the queue crossing alone: a broadcast from Python
    (fire-and-forget command) per second.
The C core alone (no Python) is the upper bound: see bench/ if present.
"""
import asyncio
import json
import statistics
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import sioc  # noqa: E402
from rawclient import RawClient  # noqa: E402

CLIENTS = 100
WINDOW = 10
SECONDS = 3.0


async def echo_throughput(io_port):
    clients = await asyncio.gather(*(RawClient.connect(io_port) for _ in range(CLIENTS)))
    done = [0]
    stop = time.monotonic() + SECONDS

    async def drive(c):
        ack = 0
        for _ in range(WINDOW):
            c.emit("echo", {"n": ack}, ack=ack)
            ack += 1
        while time.monotonic() < stop:
            p = await c.recv()
            if p.startswith("43"):
                done[0] += 1
                c.emit("echo", {"n": ack}, ack=ack)
                ack += 1
    t0 = time.monotonic()
    await asyncio.gather(*(drive(c) for c in clients))
    rate = done[0] / (time.monotonic() - t0)
    for c in clients:
        await c.close()
    return rate


async def latency(io_port, n=2000):
    c = await RawClient.connect(io_port)
    samples = []
    for i in range(n):
        t = time.perf_counter()
        c.emit("echo", i, ack=i)
        while not (await c.recv()).startswith("43"):
            pass
        samples.append((time.perf_counter() - t) * 1e6)
    await c.close()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99)]


async def bench(flavour):
    io = sioc.Server() if flavour == "asyncio" else sioc.BlockingServer()
    io.on("connection", lambda s: s.on("echo", lambda x: x))
    port = await io.listen(0, "127.0.0.1") if flavour == "asyncio" else io.listen(0, "127.0.0.1")
    rate = await echo_throughput(port)
    p50, p99 = await latency(port)
    t0 = time.perf_counter()
    for i in range(200000):
        io.emit("tick", i)
    posts = 200000 / (time.perf_counter() - t0)
    if flavour == "asyncio":
        await io.close()
    else:
        await asyncio.to_thread(io.close)
    return {"flavour": flavour, "echo_events_per_s_100_clients": round(rate),
            "rtt_p50_us": round(p50), "rtt_p99_us": round(p99),
            "broadcast_posts_per_s": round(posts)}


async def main():
    for flavour in ("asyncio", "blocking"):
        print(json.dumps(await bench(flavour)))


if __name__ == "__main__":
    asyncio.run(main())
