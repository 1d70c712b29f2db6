"""Abusing the polling -> websocket upgrade.

Reference (engine.io 6.6 `onWebSocket` / `Socket._maybeUpgrade`):
- once a session is upgraded its sid is refused on polling, GET and POST,
  with `400 {"code":3,"message":"Bad request"}` (transport mismatch);
- another websocket for an upgraded sid, or for a sid already upgrading,
  completes the handshake (101) and is closed at once with a close frame
  carrying no status code; the real session is untouched;
- a probe that is not `2probe`, or any other packet before the probe, closes
  the upgrading websocket only; the polling session goes on.
"""
from __future__ import annotations

import time

from badinput_raw import (PollingSession, assert_eio_error, eio_path, read_response,
                          sio_event, ws_connect)


def upgraded(env):
    """A Socket.IO session opened on polling and upgraded to websocket."""
    p = PollingSession(env.host, env.port)
    p.sio_connect()
    pending = env.track(p.start_get())
    time.sleep(0.2)
    ws = env.track(ws_connect(env.host, env.port, eio_path("websocket", p.sid)))
    ws.send_text("2probe")
    assert ws.recv_message() == (1, b"3probe")
    # the pending poll is released with a noop so the client can upgrade
    r = read_response(pending)
    assert r.status == 200 and r.body == b"6", r.body
    ws.send_text("5")
    ws.send_text(sio_event("message", "upgraded"))
    assert ws.recv_message() == (1, sio_event("message-back", "upgraded").encode())
    return p, ws


def ws_echo(ws, tag):
    ws.send_text(sio_event("message", tag))
    want = sio_event("message-back", tag).encode()
    while True:
        op, data = ws.recv_message()
        if data == b"2":
            ws.send_text("3")
            continue
        assert data == want, data
        return


def test_upgraded_sid_refused_on_polling(env):
    p, ws = upgraded(env)
    assert_eio_error(p.get(timeout=3), 3)
    r = p.post(sio_event("message", "via-polling"))
    assert_eio_error(r, 3)
    ws_echo(ws, "still-upgraded")
    env.check()


def test_second_websocket_for_upgraded_sid(env):
    p, ws = upgraded(env)
    ws2 = env.track(ws_connect(env.host, env.port, eio_path("websocket", p.sid)))
    res = ws2.expect_close(timeout=5)
    assert res.frame and res.code is None and res.eof, res
    assert res.messages == [], res.messages
    ws_echo(ws, "first-websocket-unharmed")
    env.check()


def test_second_websocket_while_upgrading(env):
    p = PollingSession(env.host, env.port)
    p.sio_connect()
    ws = env.track(ws_connect(env.host, env.port, eio_path("websocket", p.sid)))
    ws.send_text("2probe")
    assert ws.recv_message() == (1, b"3probe")
    ws2 = env.track(ws_connect(env.host, env.port, eio_path("websocket", p.sid)))
    res = ws2.expect_close(timeout=5)
    assert res.frame and res.code is None and res.eof, res
    ws.send_text("5")
    ws_echo(ws, "upgrade-completed")
    env.check()


def test_bad_probe_closes_only_the_upgrade(env):
    p = PollingSession(env.host, env.port)
    p.sio_connect()
    ws = env.track(ws_connect(env.host, env.port, eio_path("websocket", p.sid)))
    ws.send_text("2junk")
    res = ws.expect_close(timeout=5)
    assert res.frame and res.code is None and res.eof, res
    p.echo("polling-survives-bad-probe")
    env.check()


def test_packet_before_probe_closes_only_the_upgrade(env):
    p = PollingSession(env.host, env.port)
    p.sio_connect()
    ws = env.track(ws_connect(env.host, env.port, eio_path("websocket", p.sid)))
    ws.send_text(sio_event("message", "too-early"))
    res = ws.expect_close(timeout=5)
    assert res.frame and res.code is None and res.eof, res
    p.echo("polling-survives-early-packet")
    env.check()


def test_upgrade_of_unknown_sid(env):
    # covered as a handshake refusal in test_bad_websocket; here after the
    # session existed and was closed
    p = PollingSession(env.host, env.port)
    r = p.post("1")
    assert r.status == 200
    assert_eio_error(p.get(timeout=3), 1)
    from badinput_raw import HandshakeRefused
    try:
        ws_connect(env.host, env.port, eio_path("websocket", p.sid))
    except HandshakeRefused as e:
        assert e.response is not None and e.response.status == 400
        assert e.response.body == b"Session ID unknown", e.response.body
        assert e.closed
    else:
        raise AssertionError("websocket accepted for a closed session")
    env.check()
