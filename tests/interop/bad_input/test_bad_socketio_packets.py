"""Malformed Socket.IO packets on an open session, over websocket and polling.

Reference (socket.io 4.8.4, socket.io-parser 4.2.7): a packet the decoder
rejects (unknown type, bad attachment count, more than 10 attachments,
invalid JSON, EVENT that is not an array or has no string/number name,
reserved event name, ACK that is not an array, CONNECT with a non-object
payload, DISCONNECT with a payload), a packet in the wrong state (second
CONNECT to a namespace, CONNECT_ERROR from a client, any packet for a
namespace the client is not connected to) and binary data with no binary
packet waiting for it all close the whole Engine.IO connection:

- websocket: a close frame with *no* status code, then TCP close;
- polling: the POST is answered `200 ok`; the next GET gets `6<RS>1`
  (noop, close), then the sid is unknown.

A handful of odd-but-valid packets are ignored and the session goes on.
"""
from __future__ import annotations

import json

import pytest

from badinput_raw import (OP_BINARY, OP_TEXT, RS, PollingSession, assert_eio_error,
                          assert_ws_session_closed)

PH = '{"_placeholder":true,"num":%d}'

# Engine.IO message packets ("4" + Socket.IO packet) that close the session.
CLOSES = {
    "unknown-type-9": "49",
    "unknown-type-quote": '4""',
    "empty-engineio-message": "4",
    "attachments-not-a-number": '45abc-["message",' + PH % 0 + "]",
    "attachments-negative": '45-1-["message",' + PH % 0 + "]",
    "attachments-fraction": '451.5-["message",' + PH % 0 + "]",
    "attachments-missing": '45-["message",' + PH % 0 + "]",
    "attachments-zero": '450-["message"]',
    "attachments-no-dash": '451["message",' + PH % 0 + "]",
    "attachments-11": '4511-["message",' + ",".join(PH % i for i in range(11)) + "]",
    "binary-ack-11": '4611-1[' + PH % 0 + "]",
    "invalid-json": "42[",
    "truncated-json": '42["message"',
    "trailing-garbage": '42["message"]garbage',
    "event-object": "42{}",
    "event-string": '42"message"',
    "event-no-name": "42[]",
    "event-name-object": "42[{}]",
    "event-name-null": "42[null]",
    "event-name-bool": "42[true]",
    "reserved-connect": '42["connect"]',
    "reserved-connect_error": '42["connect_error"]',
    "reserved-disconnect": '42["disconnect"]',
    "reserved-disconnecting": '42["disconnecting"]',
    "reserved-newListener": '42["newListener"]',
    "reserved-removeListener": '42["removeListener"]',
    "ack-object": "431{}",
    "ack-string": '431"x"',
    "ack-invalid-json": "431[",
    "connect-array-payload": "40/custom,[1]",
    "connect-string-payload": '40/custom,"x"',
    "connect-invalid-json": '40/custom,{"a":1',
    "connect-null-payload": "40/custom,null",
    "connect-twice": "40",
    "connect-error-from-client": '44{"message":"x"}',
    "connect-error-bare": "44",
    "disconnect-with-payload": "41x",
    "disconnect-unknown-namespace": "41/nope,",
    "event-unconnected-namespace": '42/custom,["message","x"]',
    "event-unknown-namespace": '42/nope,["message","x"]',
}

# Odd but valid: ignored, the session carries on.
IGNORED = {
    "event-without-payload": "42",
    "event-numeric-name": "42[1]",          # numbers are valid event names
    "ack-unknown-id": "431[]",
    "ack-unknown-id-no-payload": "431",
    "ack-without-id": "43[]",
    "connect-unknown-namespace": "40/zzz,{}",  # answered with CONNECT_ERROR
}


def ws_env_session(env):
    return env.ws_session()


def polling_session(env):
    p = PollingSession(env.host, env.port)
    p.sio_connect()
    return p


def assert_polling_closed_gracefully(p: PollingSession) -> None:
    r = p.get(timeout=3)
    assert r.status == 200 and r.text.split(RS) == ["6", "1"], (r.status, r.body)
    assert_eio_error(p.get(timeout=3), 1)


@pytest.mark.parametrize("packet", list(CLOSES.values()), ids=list(CLOSES))
def test_bad_packet_over_websocket_closes_session(env, packet):
    s = env.ws_session()
    s.send(packet)
    assert_ws_session_closed(s.expect_close())
    env.check()


@pytest.mark.parametrize("packet", list(CLOSES.values()), ids=list(CLOSES))
def test_bad_packet_over_polling_closes_session(env, packet):
    p = polling_session(env)
    r = p.post(packet)
    assert r.status == 200 and r.body == b"ok", (r.status, r.body)
    assert_polling_closed_gracefully(p)
    env.check()


@pytest.mark.parametrize("packet", list(IGNORED.values()), ids=list(IGNORED))
def test_odd_packet_over_websocket_is_ignored(env, packet):
    s = env.ws_session()
    s.send(packet)
    s.echo("still-here")
    env.check()


@pytest.mark.parametrize("packet", list(IGNORED.values()), ids=list(IGNORED))
def test_odd_packet_over_polling_is_ignored(env, packet):
    p = polling_session(env)
    r = p.post(packet)
    assert r.status == 200 and r.body == b"ok"
    p.echo("still-here")
    env.check()


def test_unknown_namespace_gets_connect_error(env):
    s = env.ws_session()
    s.send("40/zzz,{}")
    text = s.wait_for(lambda t: t.startswith("44/zzz,"))
    assert json.loads(text[len("44/zzz,"):]) == {"message": "Invalid namespace"}
    s.echo("after-connect-error")
    env.check()


# -- binary frames -------------------------------------------------------------

def test_binary_frame_without_binary_packet_closes_session(env):
    s = env.ws_session()
    s.ws.send_binary(b"\x01\x02\x03")
    assert_ws_session_closed(s.expect_close())
    env.check()


def test_binary_frame_before_namespace_connect_closes_session(env):
    s = env.ws_session(sio=False)
    s.ws.send_binary(b"\x01\x02\x03")
    assert_ws_session_closed(s.expect_close())
    env.check()


def test_event_before_namespace_connect_closes_session(env):
    s = env.ws_session(sio=False)
    s.send('42["message","too-early"]')
    assert_ws_session_closed(s.expect_close())
    env.check()


def test_text_packet_while_attachments_pending_closes_session(env):
    s = env.ws_session()
    s.send('451-["message",' + PH % 0 + "]")
    s.send('42["message","not-an-attachment"]')
    assert_ws_session_closed(s.expect_close())
    env.check()


def test_placeholder_index_out_of_range_closes_session(env):
    s = env.ws_session()
    s.send('451-["message",' + PH % 5 + "]")
    s.ws.send_binary(b"\x00")
    assert_ws_session_closed(s.expect_close())
    env.check()


def test_ten_attachments_are_accepted(env):
    # the limit is "more than 10": exactly 10 is a valid binary event
    s = env.ws_session()
    s.send('4510-["message",' + ",".join(PH % i for i in range(10)) + "]")
    for i in range(10):
        s.ws.send_binary(bytes([i]))
    head = s.wait_for(lambda t: t.startswith('4510-["message-back"'))
    assert head == '4510-["message-back",' + ",".join(PH % i for i in range(10)) + "]"
    got = [s.recv() for _ in range(10)]
    assert got == [(OP_BINARY, bytes([i])) for i in range(10)]
    s.echo("after-ten")
    env.check()


def test_binary_event_over_text_frame_attachment_closes_session(env):
    # attachments must arrive as binary frames; a text frame is a new packet
    s = env.ws_session()
    s.send('451-["message",' + PH % 0 + "]")
    s.ws.send_frame(OP_TEXT, b"\x01\x02")
    assert_ws_session_closed(s.expect_close())
    env.check()
