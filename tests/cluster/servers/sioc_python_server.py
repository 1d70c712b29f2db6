"""sioc's Python package as a member of the cluster: the contract of
CLUSTER-SERVER.md (as contract.js does for the Node servers).

    python3 sioc_python_server.py <redis-url> <name> <key> <timeout-ms> [max-message-bytes]
"""
import asyncio
import logging
import os
import sys

import sioc


def main() -> None:
    url, name, key, timeout = sys.argv[1:5]
    extra = {"max_message_bytes": int(sys.argv[5])} if len(sys.argv) > 5 else {}
    if os.environ.get("CLUSTER_SPECIFIC_RESPONSE") == "1":
        extra["publish_on_specific_response_channel"] = True
    # the adapter's state changes arrive on the "sioc" logger
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    io = sioc.Server(adapter=sioc.RedisAdapter(url, key=key,
                                               requests_timeout=int(timeout) / 1000,
                                               **extra))

    @io.on("connection")
    def connection(socket):
        socket.data["server"] = name

        @socket.on("join")
        def join(room):
            socket.join(room)
            return sorted(socket.rooms)

        socket.on("bcast", lambda *args: io.emit("bcast", *args))
        socket.on("room-except", lambda room, exc, *args:
                  io.to(room).except_(exc).emit("room-message", *args))
        socket.on("broadcast", lambda *args: socket.broadcast.emit("broadcast", *args))
        socket.on("volatile", lambda *args: io.volatile.emit("volatile", *args))
        socket.on("to-id", lambda sid, *args: io.to(sid).emit("direct", *args))
        socket.on("local-emit", lambda *args: io.local.emit("local", *args))

        @socket.on("sockets-join")
        def sockets_join(room, target):
            io.in_(target).sockets_join(room)
            return None

        socket.on("disconnect-sockets", lambda room: io.in_(room).disconnect_sockets())

        @socket.on("fetch")
        async def fetch(room):
            op = io if room is None else io.in_(room)
            try:
                found = await op.fetch_sockets()
            except sioc.AckTimeoutError:
                return (None,)   # ack(null)
            return sorted("%s:%s" % (s.id, (s.data or {}).get("server")) for s in found)

        @socket.on("cluster-rooms")
        async def cluster_rooms():
            try:
                return sorted(await io.of("/").adapter.all_rooms())
            except sioc.AckTimeoutError:
                return (None,)   # ack(null)

        socket.on("ss-emit", lambda *args: io.server_side_emit("ss", name, *args))

        @socket.on("ss-emit-ack")
        async def ss_emit_ack():
            try:
                return sorted(await io.server_side_emit_with_ack("ss-ack", name))
            except sioc.AckTimeoutError:
                return (None,)   # ack(null)

        @socket.on("emit-ack")
        async def emit_ack():
            try:
                return sorted(await io.timeout(3).emit_with_ack("question"))
            except sioc.AckTimeoutError:
                return (None,)   # ack(null)

    @io.on("ss")
    def ss(source, *args):
        io.local.emit("ss-seen", name, source, *args)

    @io.on("ss-ack")
    def ss_ack(source):
        return name

    async def run():
        port = await io.listen(0, "127.0.0.1")
        print("listening on http://127.0.0.1:%d" % port, flush=True)
        loop = asyncio.get_running_loop()
        stop = loop.create_future()
        import signal
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
        await stop
        await io.close()

    asyncio.run(run())


if __name__ == "__main__":
    main()
