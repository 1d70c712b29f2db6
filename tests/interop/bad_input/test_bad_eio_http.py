"""Engine.IO HTTP-level errors (engine.io 6.6 `verify()` / `handshake()`).

Reference answers (socket.io 4.8.4): status 400 with
`Content-Type: application/json` and body `{"code":N,"message":"..."}`;
the connection stays usable (keep-alive).  No CORS headers unless the
server was started with --cors-origin.
"""
from __future__ import annotations

import pytest

from badinput_raw import (PollingSession, WsSession, assert_eio_error, assert_no_cors,
                          eio_path, http_request)

SIO = "/socket.io/"


@pytest.mark.parametrize("method,path,code", [
    # code 0: transport missing or not one of polling/websocket
    ("GET", SIO + "?EIO=4&transport=foo", 0),
    ("GET", SIO + "?EIO=4&transport=", 0),
    ("GET", SIO + "?EIO=4", 0),
    ("GET", SIO + "?EIO=4&transport=webtransport", 0),
    ("GET", SIO + "?EIO=4&transport=POLLING", 0),
    # code 1: sid unknown (GET and POST)
    ("GET", SIO + "?EIO=4&transport=polling&sid=nope", 1),
    ("POST", SIO + "?EIO=4&transport=polling&sid=nope", 1),
    # code 2: a handshake (no sid) must be a GET
    ("POST", SIO + "?EIO=4&transport=polling", 2),
    ("PUT", SIO + "?EIO=4&transport=polling", 2),
    ("DELETE", SIO + "?EIO=4&transport=polling", 2),
    ("OPTIONS", SIO + "?EIO=4&transport=polling", 2),
    # code 3: websocket transport requested without an upgrade
    ("GET", SIO + "?EIO=4&transport=websocket", 3),
    # code 5: anything but EIO=4 (EIO=3 needs allowEIO3, off by default)
    ("GET", SIO + "?EIO=3&transport=polling", 5),
    ("GET", SIO + "?EIO=5&transport=polling", 5),
    ("GET", SIO + "?EIO=&transport=polling", 5),
    ("GET", SIO + "?EIO=four&transport=polling", 5),
    ("GET", SIO + "?transport=polling", 5),
], ids=lambda v: v if isinstance(v, str) else str(v))
def test_engineio_http_error(env, method, path, code):
    body = b"40" if method in ("POST", "PUT") else b""
    r = http_request(env.host, env.port, method, path, body=body)
    assert_eio_error(r, code)
    assert_no_cors(r)
    env.check()


def test_empty_sid_is_a_handshake(env):
    # `sid=` is falsy in engine.io: a fresh handshake, not "unknown sid"
    r = http_request(env.host, env.port, "GET", SIO + "?EIO=4&transport=polling&sid=")
    assert r.status == 200 and r.body.startswith(b"0{"), (r.status, r.body)
    env.check()


def test_unknown_sid_error_precedes_method_check(env):
    # verify() looks at the sid before the method: a PUT with an unknown sid
    # is "Session ID unknown", not "Bad handshake method".
    r = http_request(env.host, env.port, "PUT", eio_path("polling", "nope"), body=b"x")
    assert_eio_error(r, 1)
    env.check()


def test_unknown_transport_error_precedes_sid_check(env):
    r = http_request(env.host, env.port, "GET", eio_path("foo", "nope"))
    assert_eio_error(r, 0)
    env.check()


def test_websocket_sid_used_on_polling_is_bad_request(env):
    ws = env.ws_session()
    r = http_request(env.host, env.port, "GET", eio_path("polling", ws.sid))
    assert_eio_error(r, 3)
    r = http_request(env.host, env.port, "POST", eio_path("polling", ws.sid),
                     [("Content-Type", "text/plain;charset=UTF-8")], b'42["message","x"]')
    assert_eio_error(r, 3)
    # the websocket session itself is untouched
    ws.echo("ws-after-polling-attempt")
    env.check()


def test_polling_sid_on_websocket_transport_without_upgrade(env):
    # transport mismatch without an upgrade: code 3
    p = PollingSession(env.host, env.port)
    r = http_request(env.host, env.port, "GET", eio_path("websocket", p.sid))
    assert_eio_error(r, 3)
    p.sio_connect()
    p.echo("polling-still-fine")
    env.check()


def test_unsupported_method_on_existing_session(env):
    # engine.io's polling transport answers methods other than GET/POST on a
    # live sid with a bare 500 and leaves the session alone.
    p = PollingSession(env.host, env.port)
    p.sio_connect()
    r = http_request(env.host, env.port, "PUT", p.url, [("Content-Type", "text/plain")], b"40")
    assert r.status == 500, (r.status, r.body)
    assert r.body == b""
    p.echo("after-put")
    env.check()


def test_no_cors_headers_by_default(env):
    origin = [("Origin", "http://evil.example")]
    r = http_request(env.host, env.port, "GET", eio_path("polling"), origin)
    assert r.status == 200 and r.body.startswith(b"0{")
    assert_no_cors(r)
    sid = PollingSession(env.host, env.port).sid
    r = http_request(env.host, env.port, "POST", eio_path("polling", sid),
                     origin + [("Content-Type", "text/plain;charset=UTF-8")], b"40")
    assert r.status == 200 and r.body == b"ok"
    assert_no_cors(r)
    # a CORS preflight is just a non-GET handshake: code 2, still no CORS
    r = http_request(env.host, env.port, "OPTIONS", eio_path("polling"),
                     origin + [("Access-Control-Request-Method", "POST"),
                               ("Access-Control-Request-Headers", "content-type")])
    assert_eio_error(r, 2)
    assert_no_cors(r)
    env.check()


def test_error_responses_keep_connection_usable(env):
    # Engine.IO errors are ordinary responses: the same keep-alive connection
    # can carry a valid handshake afterwards.
    from badinput_raw import build_request, read_response
    c = env.conn()
    c.send(build_request("GET", SIO + "?EIO=4&transport=foo", host=env.hostport))
    assert_eio_error(read_response(c), 0)
    c.send(build_request("GET", eio_path("polling"), host=env.hostport))
    r = read_response(c)
    assert r.status == 200 and r.body.startswith(b"0{"), (r.status, r.body)
    env.check()


def test_open_packet_advertises_max_payload(small_env):
    # not an attack: pins what the bad-input tests rely on
    p = PollingSession(small_env.host, small_env.port)
    assert p.handshake["maxPayload"] == 1000
    assert p.handshake["upgrades"] == ["websocket"]
    w = WsSession(small_env.host, small_env.port)
    small_env.track(w)
    assert w.handshake["upgrades"] == []
    small_env.check()
