#!/usr/bin/env python3
"""The subset of tests/interop/ECHO-SERVER.md the C client driver uses, on
python-socketio 5.x (AsyncServer) + aiohttp.  Prints "listening on
http://HOST:PORT" once ready; SIGTERM/SIGINT stop it.

    python_echo_server.py [--host 127.0.0.1] [--port 0]
"""
import argparse
import asyncio
import signal
import socket
import sys

import socketio
from aiohttp import web


def build():
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")

    async def connect(sid, environ, auth=None):
        await sio.emit("auth", auth if auth is not None else {}, to=sid)

    sio.on("connect", connect)

    @sio.on("message")
    async def message(sid, *args):
        await sio.emit("message-back", args, to=sid)

    @sio.on("message-with-ack")
    async def message_with_ack(sid, *args):
        return args

    @sio.on("echo")
    async def echo(sid, *args):
        return args

    @sio.on("request-ack")
    async def request_ack(sid, *args):
        try:
            resp = await sio.call("ack-request", args, to=sid, timeout=5)
        except socketio.exceptions.TimeoutError:
            await sio.emit("ack-response", None, to=sid)
            return
        if not isinstance(resp, tuple):
            resp = () if resp is None else (resp,)
        await sio.emit("ack-response", (list(resp),), to=sid)

    @sio.on("server-disconnect")
    async def server_disconnect(sid, *args):
        await sio.disconnect(sid)

    async def custom_connect(sid, environ, auth=None):
        await sio.emit("auth", auth if auth is not None else {}, to=sid, namespace="/custom")

    sio.on("connect", custom_connect, namespace="/custom")

    async def private_connect(sid, environ, auth=None):
        if not isinstance(auth, dict) or auth.get("token") != "secret":
            raise socketio.exceptions.ConnectionRefusedError("unauthorized", {"reason": "bad token"})
        await sio.emit("auth", auth, to=sid, namespace="/private")

    sio.on("connect", private_connect, namespace="/private")

    app = web.Application()
    sio.attach(app)
    return app


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((a.host, a.port))
    runner = web.AppRunner(build())
    await runner.setup()
    site = web.SockSite(runner, sock)
    await site.start()
    print(f"listening on http://{a.host}:{sock.getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
