"""The BENCH.md bench server on sioc's Python binding (sioc.Server, asyncio).

    python3 bench/servers/sioc_python.py [--port P] [--host H]

Imports sioc from the repository's python/ directory unless an installed
sioc is found first; exits with status 3 when sioc cannot be imported (run.sh
then skips this server).
"""
import argparse
import asyncio
import os
import sys

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
try:
    import sioc
except Exception as e:  # noqa: BLE001 - any import failure means "skip"
    print(f"sioc not importable: {e}", file=sys.stderr)
    sys.exit(3)

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=3000)
ap.add_argument("--host", default="127.0.0.1")
args = ap.parse_args()

io = sioc.Server(transports=["websocket"])


@io.on("connection")
def on_connection(socket):
    def echo(*data, ack=None):
        if ack is not None:
            ack(*data)

    def bcast(*data):
        io.emit("bcast", *data)

    socket.on("echo", echo)
    socket.on("bcast", bcast)


async def main():
    await io.listen(args.port, args.host)
    print(f"listening on http://{args.host}:{args.port}", flush=True)
    await io.wait_closed()


try:
    asyncio.run(main())
except KeyboardInterrupt:
    pass
