"""Inputs from published advisories against socket.io, socket.io-parser,
engine.io and ws, each one against the server under test (and, with
ECHO_SERVER=reference, against socket.io 4.8.4, which has the fixes).

- socket.io-parser CVE-2022-2421 (attachment type confusion): placeholders
  whose `num` is not an integer index of a received attachment, or that
  stand where the event name must be, are refused like any undecodable
  packet -- the session closes, the process and the bystander go on.
- socket.io CVE-2024-38355 (an "error" event from a client crashed a
  server without an error listener): a client's `error` event is an
  ordinary event the echo server does not handle; the session goes on.
- engine.io CVE-2023-31125 / CVE-2022-41940 (crafted requests threw):
  repeated query parameters (EIO, transport, sid given twice) get an
  Engine.IO error answer, never a crash.
- ws CVE-2024-37890 (more headers than the server's header count limit,
  the WebSocket key among the dropped ones): the upgrade is refused.
- ws CVE-2021-32640 (a Sec-WebSocket-Protocol value of many spaces was a
  quadratic regex) and long Sec-WebSocket-Extensions lists: answered like
  any handshake, the server stays responsive.
"""
from __future__ import annotations

import json
import time

import pytest

from badinput_raw import (OP_BINARY, assert_ws_session_closed, eio_path, http_request,
                          new_ws_key, raw_exchange, ws_handshake_request, ws_try_handshake)

PH = '{"_placeholder":true,"num":%s}'

# CVE-2022-2421: a BINARY_EVENT announcing one attachment, whose placeholder
# does not designate it; the attachment then arrives.  (A fractional num is
# left out: socket.io-parser hands `undefined` to the handler for it, sioc
# refuses the packet; neither crashes.)
PLACEHOLDER_CONFUSION = {
    "num-string": '451-["message",' + PH % '"0"' + "]",
    "num-negative": '451-["message",' + PH % "-1" + "]",
    "num-huge": '451-["message",' + PH % "1e400" + "]",
    "num-missing": '451-["message",{"_placeholder":true}]',
    "num-object": '451-["message",' + PH % '{"valueOf":0}' + "]",
    "num-proto": '451-["message",' + PH % '"__proto__"' + "]",
    "name-is-placeholder": "451-[" + PH % "0" + "]",
    "nested-num-out-of-range": '451-["message",{"a":[' + PH % "1" + "]}]",
}


@pytest.mark.parametrize("packet", list(PLACEHOLDER_CONFUSION.values()),
                         ids=list(PLACEHOLDER_CONFUSION))
def test_attachment_placeholder_confusion_closes_session(env, packet):
    s = env.ws_session()
    s.send(packet)
    s.ws.send_binary(b"\x01\x02\x03")
    assert_ws_session_closed(s.expect_close())
    env.check()


def test_placeholder_lookalike_is_plain_data(env):
    # "_placeholder" that is not `true` is an ordinary object, echoed as is
    s = env.ws_session()
    s.send('42["message",{"_placeholder":"true","num":0}]')
    text = s.wait_for(lambda t: t.startswith('42["message-back"'))
    assert text == '42["message-back",{"_placeholder":"true","num":0}]'
    env.check()


@pytest.mark.parametrize("packet", ['42["error"]', '42["error","boom"]', '42["error",{"message":"x"}]'],
                         ids=["bare", "string", "object"])
def test_client_error_event_is_an_ordinary_event(env, packet):
    # CVE-2024-38355
    s = env.ws_session()
    s.send(packet)
    s.echo("after-error-event")
    env.check()


@pytest.mark.parametrize("query", [
    "EIO=4&EIO=4&transport=polling",
    "EIO=4&transport=polling&transport=websocket",
    "EIO=4&transport=polling&transport=polling",
    "EIO=4&EIO=3&transport=polling",
], ids=["eio-twice", "transport-twice-differing", "transport-twice-same", "eio-twice-differing"])
def test_repeated_query_parameters_on_handshake(env, query):
    # CVE-2023-31125 / CVE-2022-41940: no crash; either a handshake or an
    # Engine.IO error, as the reference does
    r = http_request(env.host, env.port, "GET", "/socket.io/?" + query)
    assert r.status in (200, 400), (r.status, r.body)
    if r.status == 200:
        assert r.body.startswith(b"0{"), r.body
    env.check()


def test_repeated_sid_on_polling_request(env):
    r = http_request(env.host, env.port, "GET", eio_path("polling"))
    assert r.status == 200 and r.body[:1] == b"0", (r.status, r.body)
    sid = json.loads(r.body[1:])["sid"]
    # something to read, so that a GET the server accepts returns at once
    r = http_request(env.host, env.port, "POST", eio_path("polling", sid), body=b"40",
                     headers=[("Content-Type", "text/plain;charset=UTF-8")])
    assert r.status == 200, (r.status, r.body)
    for extra in (f"sid={sid}&sid=AAAAAAAAAAAAAAAAAAAA", f"sid=AAAAAAAAAAAAAAAAAAAA&sid={sid}"):
        r = http_request(env.host, env.port, "GET", eio_path("polling", extra=extra))
        assert r.status in (200, 400), (r.status, r.body)
    env.check()


def test_upgrade_with_more_headers_than_the_limit(env):
    # ws CVE-2024-37890: thousands of headers, the key and version last
    hdrs = [(f"X-H{i}", "v") for i in range(3000)]
    req = ws_handshake_request(eio_path("websocket"), env.hostport, None, hdrs,
                               version=None)
    req = req[:-2] + (f"Sec-WebSocket-Key: {new_ws_key()}\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n").encode()
    out = raw_exchange(env.host, env.port, req)
    if out.response is not None:
        assert out.response.status in range(400, 500), out.response.status
    assert out.closed
    env.check()


@pytest.mark.parametrize("name,value", [
    ("Sec-WebSocket-Protocol", "a" + " " * 8000 + "b"),
    ("Sec-WebSocket-Protocol", ",".join(["p"] * 3000)),
    ("Sec-WebSocket-Extensions", ", ".join(["permessage-deflate; client_max_window_bits"] * 300)),
    ("Sec-WebSocket-Extensions", "permessage-deflate;" + ";" * 8000),
], ids=["protocol-spaces", "protocol-list", "extensions-list", "extensions-semicolons"])
def test_pathological_websocket_header_values(env, name, value):
    # ws CVE-2021-32640 and friends: answered at once, the server unaffected
    key = new_ws_key()
    start = time.monotonic()
    resp, conn = ws_try_handshake(env.host, env.port,
                                  ws_handshake_request(eio_path("websocket"), env.hostport,
                                                       key, [(name, value)]))
    env.track(conn)
    assert resp is not None, "no answer to the upgrade"
    assert resp.status in (101, 400), resp.status
    if resp.status == 101:
        # no subprotocol or extension was negotiated from the garbage
        assert resp.header("sec-websocket-extensions") is None
        assert resp.header("sec-websocket-protocol") in (None, "a", "p")
    assert time.monotonic() - start < 5, "the handshake took seconds"
    env.check()
