"""The Python API of the Redis adapter (sioc.RedisAdapter, sioc.compat's
AsyncRedisManager): two servers of either flavour in this process, on a
private redis-server, with python-socketio clients.  (The four-server
interop suite is tests/cluster.)"""
import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import socketio

import sioc
import sioc.compat
from conftest import Harness, eventually, run

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="redis-server is installed by scripts/install-deps.sh")


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def redis_url():
    d = tempfile.mkdtemp(prefix="sioc-redis-")
    port = _free_port()
    p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no", "--dir", d],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in p.stdout:
            if "Ready to accept connections" in line:
                break
        yield "redis://127.0.0.1:%d" % port
    finally:
        p.kill()
        p.wait(10)
        shutil.rmtree(d, ignore_errors=True)


def _pair(flavour, url, key):
    return [Harness(flavour, adapter=sioc.RedisAdapter(url, key=key, requests_timeout=2))
            for _ in range(2)]


def test_adapter_option_is_checked():
    with pytest.raises(ValueError):
        sioc.RedisAdapter("http://x")
    with pytest.raises(ValueError):
        sioc.RedisAdapter("redis://x", requests_timeout=0)
    with pytest.raises(ValueError):
        sioc.RedisAdapter("redis://x", max_message_bytes=0)
    with pytest.raises(ValueError):
        sioc.RedisAdapter("redis://x", max_buffered_bytes=True)
    assert sioc.RedisAdapter("redis://x").max_message_bytes == 16 << 20
    with pytest.raises(ValueError):
        sioc.Server(adapter="redis://127.0.0.1:6379")
    with pytest.raises(ValueError):
        sioc.compat.AsyncServer(client_manager=object())
    with pytest.raises(ValueError):
        sioc.compat.AsyncRedisManager("redis://x", write_only=True)


def test_cluster_operations(flavour, redis_url):
    async def main():
        a, b = _pair(flavour, redis_url, "py-" + flavour)
        seen = []
        for h, name in ((a, "a"), (b, "b")):
            def on_connection(s, name=name):
                s.data["server"] = name
            h.io.on("connection", on_connection)
        b.io.on("ping-servers", lambda who: seen.append(who) or "b-answers")
        await a.start()
        await b.start()
        ca, cb = await a.client(), await b.client()
        got = []
        cb.on("news", lambda *args: got.append(args))
        cb.on("question", lambda: "yes-from-b")
        ca.on("question", lambda: "yes-from-a")

        async def whole_cluster():
            try:
                return len(await a.call(a.io.fetch_sockets)) == 2
            except sioc.AckTimeoutError:
                return False
        await eventually(whole_cluster, timeout=10)

        # a broadcast from a reaches b's client, binary kept
        a.io.emit("news", "hi", b"\x00\x01")
        await eventually(lambda: got == [("hi", b"\x00\x01")])

        # fetch_sockets: a Socket here, a RemoteSocket there, with its data
        found = await a.call(a.io.fetch_sockets)
        remote = [s for s in found if isinstance(s, sioc.RemoteSocket)]
        assert len(remote) == 1 and remote[0].id == cb.get_sid("/")
        assert remote[0].data == {"server": "b"}
        assert remote[0].handshake["query"]["EIO"] == "4"
        assert remote[0].id in remote[0].rooms
        remote[0].emit("news", "direct")
        await eventually(lambda: ("direct",) in got)
        # a remote socket's ack is one value, as Socket.emit(callback=) and
        # python-socketio give the client's answer (socket.io: one response)
        cb.on("ask", lambda *args: ["answer"] + list(args))
        assert await a.call(remote[0].timeout(3).emit_with_ack, "ask", 1) == ["answer", 1]
        answered = []
        remote[0].timeout(3).emit("ask", 2, callback=lambda *v: answered.append(v))
        await eventually(lambda: answered == [(["answer", 2],)])
        cb.on("mute", lambda: None)   # an ack without arguments: None
        assert await a.call(remote[0].timeout(3).emit_with_ack, "mute") is None
        release = asyncio.Event()

        async def never():
            await release.wait()
        cb.on("never", never)
        with pytest.raises(sioc.AckTimeoutError):
            await a.call(remote[0].timeout(0.3).emit_with_ack, "never")
        late = []
        remote[0].timeout(0.3).emit("never", callback=lambda *v: late.append(v))
        await eventually(lambda: len(late) == 1)
        assert isinstance(late[0][0], sioc.AckTimeoutError) and len(late[0]) == 1
        remote[0].join("joined-remotely")
        await eventually(lambda: "joined-remotely" in b.io.sockets.rooms)

        # all_rooms and server_count see both servers
        rooms = await a.call(a.io.of("/").adapter.all_rooms)
        assert {ca.get_sid("/"), cb.get_sid("/"), "joined-remotely"} <= rooms
        assert await a.call(a.io.of("/").server_count) == 2

        # server_side_emit with an answer
        answers = await a.call(a.io.server_side_emit_with_ack, "ping-servers", "a")
        assert answers == ["b-answers"] and seen == ["a"]
        # nobody answers: socket.io's error, which counts the servers
        with pytest.raises(sioc.AckTimeoutError,
                           match=r"^timeout reached: only 0 responses received out of 1$"):
            await a.call(a.io.server_side_emit_with_ack, "unheard")

        # manager.cluster(): the classic rooms/room_clients of every server
        snap = await a.call(a.io.sockets.manager.cluster)
        assert snap.rooms["joined-remotely"] == {cb.get_sid("/")}
        assert snap.room_clients[ca.get_sid("/")] == {ca.get_sid("/")}
        assert snap.roomClients[cb.get_sid("/")] == {cb.get_sid("/"), "joined-remotely"}
        assert set(a.io.sockets.manager.rooms) == {ca.get_sid("/")}   # local, as before

        # a broadcast with acks counts the other server's clients
        responses = await a.call(a.io.timeout(3).emit_with_ack, "question")
        assert sorted(responses) == ["yes-from-a", "yes-from-b"]

        # clients(room, callback): ids on every server
        ids = []
        a.io.sockets.clients(None, lambda err, v: ids.append(sorted(v)))
        a.io.sockets.clients(lambda err, v: ids.append(sorted(v)))   # clients(fn), as 2.x
        both = sorted([ca.get_sid("/"), cb.get_sid("/")])
        await eventually(lambda: ids == [both, both])

        # local stays local
        a.io.local.emit("news", "local-only")
        a.io.emit("news", "marker")
        await eventually(lambda: ("marker",) in got)
        assert ("local-only",) not in got

        release.set()
        await ca.disconnect()
        await cb.disconnect()
        await a.close()
        await b.close()
    run(main())


def test_requests_fail_by_timeout_without_redis(flavour):
    async def main():
        url = "redis://127.0.0.1:%d" % _free_port()   # nothing listens there
        h = Harness(flavour, adapter=sioc.RedisAdapter(url, requests_timeout=0.5))
        await h.start()
        c = await h.client()
        got = []
        c.on("news", lambda v: got.append(v))
        h.io.emit("news", "local")          # local delivery never waits for Redis
        await eventually(lambda: got == ["local"])
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(sioc.AckTimeoutError):
            await h.call(h.io.fetch_sockets)
        assert loop.time() - t0 >= 0.4
        await c.disconnect()
        await h.close()
    run(main())


def test_compat_redis_manager(redis_url):
    async def main():
        key = "compat"
        s1 = sioc.compat.AsyncServer(client_manager=sioc.compat.AsyncRedisManager(redis_url, channel=key))
        s2 = sioc.compat.AsyncServer(client_manager=sioc.compat.AsyncRedisManager(redis_url, channel=key))
        p1 = await s1.listen(0, "127.0.0.1")
        p2 = await s2.listen(0, "127.0.0.1")
        c = socketio.AsyncClient(reconnection=False)
        got = []
        c.on("hello", lambda data: got.append(data))
        await c.connect("http://127.0.0.1:%d" % p2)

        async def reached():
            await s1.emit("hello", {"from": "s1"})
            await asyncio.sleep(0.1)
            return got
        await eventually(reached, timeout=10)
        assert got[0] == {"from": "s1"}
        await c.disconnect()
        await s1.shutdown()
        await s2.shutdown()
    run(main())


def test_compat_call_reaches_a_client_on_another_server(redis_url):
    """python-socketio's call(to=sid) where sid is connected to another
    server of the cluster: answered through Redis; an unknown sid raises
    DisconnectedError instead of waiting for the timeout."""
    async def main():
        key = "compat-call"
        s1 = sioc.compat.AsyncServer(client_manager=sioc.compat.AsyncRedisManager(redis_url, channel=key))
        s2 = sioc.compat.AsyncServer(client_manager=sioc.compat.AsyncRedisManager(redis_url, channel=key))
        await s1.listen(0, "127.0.0.1")
        p2 = await s2.listen(0, "127.0.0.1")
        c = socketio.AsyncClient(reconnection=False)
        c.on("double", lambda x: x * 2)
        await c.connect("http://127.0.0.1:%d" % p2)
        sid = c.get_sid("/")

        async def answered():
            try:
                return await s1.call("double", 21, to=sid, timeout=2)
            except sioc.compat.exceptions.DisconnectedError:
                return None   # s2's subscription may not be up yet
        assert await eventually(answered, timeout=10) == 42
        t0 = time.monotonic()
        with pytest.raises(sioc.compat.exceptions.DisconnectedError):
            await s1.call("double", 1, to="no-such-sid", timeout=5)
        assert time.monotonic() - t0 < 4
        await c.disconnect()
        await s1.shutdown()
        await s2.shutdown()
    run(main())
