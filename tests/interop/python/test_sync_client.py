"""Smoke test with python-socketio's blocking Client (requests and
websocket-client underneath) in each transport mode."""
import threading
import time

import socketio


def test_sync_client_smoke(server, mode, transports):
    sio = socketio.Client(reconnection=False, request_timeout=10)
    got = {}
    events = {name: threading.Event() for name in ("auth", "message-back", "ack-response", "disconnect")}

    def recorder(name):
        def handler(*args):
            got[name] = list(args)
            events[name].set()

        return handler

    for name in ("auth", "message-back", "ack-response", "disconnect"):
        sio.on(name, recorder(name))
    sio.on("ack-request", lambda *args: ("sync", *args))

    sio.connect(server.url, transports=transports, auth={"sync": True, "u": "✓"}, wait_timeout=5)
    try:
        assert events["auth"].wait(5), "no auth event"
        assert got["auth"] == [{"sync": True, "u": "✓"}]

        sio.emit("message", ("text", 1, None, {"b": b"\x00\x01"}, "😀\u2028"))
        assert events["message-back"].wait(5), "no message-back"
        assert got["message-back"] == ["text", 1, None, {"b": b"\x00\x01"}, "😀\u2028"]

        assert list(sio.call("message-with-ack", ("x", b"\xff", [2]), timeout=5)) == ["x", b"\xff", [2]]
        assert sio.call("echo", "one", timeout=5) == "one"

        sio.emit("request-ack", ("q", b"\x07"))
        assert events["ack-response"].wait(5), "no ack-response"
        assert got["ack-response"] == [["sync", "q", b"\x07"]]

        if mode != "polling":
            for _ in range(100):
                if sio.transport() == "websocket":
                    break
                time.sleep(0.05)
            assert sio.transport() == "websocket"

        sio.emit("server-disconnect")
        assert events["disconnect"].wait(5), "no disconnect"
        assert got["disconnect"] == ["server disconnect"]
    finally:
        if sio.connected:
            sio.disconnect()
        if sio.eio.state != "disconnected":
            sio.eio.disconnect(abort=True)
