"""The BENCH.md bench server on python-socketio 5.x (AsyncServer on aiohttp,
WebSocket transport only).

    python3 bench/servers/pysocketio.py [--port P] [--host H]
"""
import argparse

import socketio
from aiohttp import web

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=3000)
ap.add_argument("--host", default="127.0.0.1")
args = ap.parse_args()

sio = socketio.AsyncServer(async_mode="aiohttp", transports=["websocket"])
app = web.Application()
sio.attach(app)


@sio.on("echo")
async def echo(sid, *data):
    # the return value is the ack; a tuple acks with several arguments
    return data[0] if len(data) == 1 else data


@sio.on("bcast")
async def bcast(sid, *data):
    await sio.emit("bcast", data[0] if len(data) == 1 else data)


print(f"listening on http://{args.host}:{args.port}", flush=True)
web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
