"""Hostile WebSocket handshakes and frames.

Reference (socket.io 4.8.4 -> engine.io 6.6.12 -> ws 8.21.3, with
maxPayload = maxHttpBufferSize, maxFragments 16384, no permessage-deflate):

- handshake refused by Engine.IO (`verify()`): `400 Bad Request`, body = the
  Engine.IO message as text/html, `Connection: close`;
- handshake refused by ws: `400 Bad Request` (+ `Sec-WebSocket-Version: 13, 8`
  for a bad version), connection closed;
- no upgrade at all (Upgrade or Connection header missing): an ordinary
  request, so Engine.IO's JSON `{"code":3,"message":"Bad request"}`;
- frame-level protocol errors: a close frame with 1002 (protocol), 1007
  (bad UTF-8), 1008 (more than 16384 fragments) or 1009 (message or declared
  frame length over maxPayload), then the server ends the TCP connection.
"""
from __future__ import annotations

import socket
import struct
import time

import pytest

from badinput_raw import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, Closed,
                          assert_eio_error, assert_upgrade_refused, assert_ws_close_code,
                          build_frame, close_payload, eio_path, new_ws_key, proc_status_kb,
                          read_response, sio_event, ws_connect, ws_handshake_request,
                          ws_try_handshake)

WS_PATH = eio_path("websocket")
MiB = 1024


def handshake(env, path=WS_PATH, key="auto", **kw):
    key = new_ws_key() if key == "auto" else key
    resp, conn = ws_try_handshake(env.host, env.port,
                                  ws_handshake_request(path, env.hostport, key, **kw))
    env.track(conn)
    closed = False
    if resp is None or resp.status != 101:
        closed = not conn.is_open_after(2.0)
    return resp, conn, closed


# -- handshake -----------------------------------------------------------------

@pytest.mark.parametrize("key", [None, "", "abc", "AAAAAAAAAAAAAAAAAAAAAA=", "A" * 24,
                                 "AAAAAAAAAAAAAAAAAAAAAA==AA"],
                         ids=["missing", "empty", "short", "22+1", "24-no-padding", "too-long"])
def test_handshake_bad_key(env, key):
    resp, _, closed = handshake(env, key=key)
    assert resp is not None and resp.status == 400, resp
    # ws's text: "Missing or invalid Sec-WebSocket-Key header"
    assert closed
    env.check()


@pytest.mark.parametrize("version", [None, "12", "14", "abc", ""])
def test_handshake_bad_version(env, version):
    resp, _, closed = handshake(env, version=version)
    assert resp is not None and resp.status == 400, resp
    # RFC 6455 4.4: tell the client which versions are understood
    supported = resp.header("sec-websocket-version") or ""
    assert "13" in [v.strip() for v in supported.split(",")], resp.headers
    assert closed
    env.check()


@pytest.mark.parametrize("upgrade", ["foo", "h2c", "websocket2"])
def test_handshake_upgrade_to_something_else(env, upgrade):
    resp, _, closed = handshake(env, upgrade=upgrade)
    assert resp is not None and resp.status == 400, resp
    # ws's text: "Invalid Upgrade header"
    assert closed
    env.check()


@pytest.mark.parametrize("missing", ["upgrade", "connection"])
def test_handshake_without_upgrade_is_a_plain_request(env, missing):
    # Without both "Connection: Upgrade" and "Upgrade:" it is no upgrade at
    # all: a GET for transport=websocket without upgrade -> code 3 (JSON).
    kw = {missing: None}
    c = env.conn()
    c.send(ws_handshake_request(WS_PATH, env.hostport, new_ws_key(), **kw))
    assert_eio_error(read_response(c), 3)
    env.check()


@pytest.mark.parametrize("path,code", [
    (eio_path("foo"), 0),
    (eio_path("websocket", "nope"), 1),
    (eio_path("foo", "nope"), 0),
])
def test_handshake_refused_by_engineio(env, path, code):
    resp, _, closed = handshake(env, path=path)
    assert_upgrade_refused(resp, closed, code)
    env.check()


def test_handshake_post_is_bad_handshake_method(env):
    resp, _, closed = handshake(env, method="POST")
    assert_upgrade_refused(resp, closed, 2)
    env.check()


def test_engineio_checks_come_before_websocket_checks(env):
    # unknown sid *and* no key: Engine.IO's verdict wins
    resp, _, closed = handshake(env, path=eio_path("websocket", "nope"), key=None)
    assert_upgrade_refused(resp, closed, 1)
    env.check()


@pytest.mark.parametrize("eio", ["3", "5", None], ids=["EIO3", "EIO5", "no-EIO"])
def test_handshake_unsupported_protocol_opens_no_session(env, eio):
    # The reference completes the websocket handshake (101) and only then
    # writes a raw "HTTP/1.1 400 ... Unsupported protocol version" into the
    # stream and drops the connection: not a clean protocol answer. Required
    # here: no Engine.IO open packet, connection closed (a 400 before the
    # upgrade is fine too).
    c = env.conn()
    c.send(ws_handshake_request(eio_path("websocket", eio=eio), env.hostport, new_ws_key()))
    data = c.read_all(timeout=5)
    assert data.startswith(b"HTTP/1.1 101 ") or data.startswith(b"HTTP/1.1 400 "), data[:80]
    assert b'0{"sid"' not in data, data
    env.check()


def test_upgrade_on_polling_transport_opens_no_session(env):
    # transport=polling with upgrade headers: the reference answers 101 and
    # closes the websocket at once (close frame without code). Required: no
    # Engine.IO session on it, connection closed.
    c = env.conn()
    c.send(ws_handshake_request(eio_path("polling"), env.hostport, new_ws_key()))
    resp = read_response(c, head_only=True)
    if resp.status == 101:
        b0, b1 = c.read_exact(2)
        assert b0 & 0x0F == OP_CLOSE, hex(b0)
        c.send(build_frame(OP_CLOSE, b""))
        c.read_all(timeout=5)
    else:
        assert 400 <= resp.status < 500, resp.status
    env.check()


def test_upgrade_on_unknown_path_is_not_accepted(env):
    # Nobody claims the path: the reference sends nothing and drops the
    # socket after ~1 s. Required: no 101; a 4xx or a close.
    c = env.conn()
    c.send(ws_handshake_request("/not-socket-io/?EIO=4&transport=websocket", env.hostport,
                                new_ws_key()))
    data = c.read_all(timeout=5)
    assert not data.startswith(b"HTTP/1.1 101"), data[:80]
    if data:
        assert data.startswith(b"HTTP/1.1 4"), data[:80]
    env.check()


# -- frames: protocol errors (1002) -----------------------------------------------

EVENT = sio_event("message", "frame-test").encode()


def attack(env, *frames: bytes):
    s = env.ws_session()
    s.ws.send_raw(b"".join(frames))
    return s, s.expect_close(timeout=5)


def test_unmasked_client_frame(env):
    _, res = attack(env, build_frame(OP_TEXT, EVENT, mask=False))
    assert_ws_close_code(res, 1002)
    env.check()


@pytest.mark.parametrize("rsv", [4, 2, 1], ids=["RSV1", "RSV2", "RSV3"])
def test_reserved_bits_set(env, rsv):
    # RSV1 means "compressed"; permessage-deflate is not negotiated
    _, res = attack(env, build_frame(OP_TEXT, EVENT, rsv=rsv))
    assert_ws_close_code(res, 1002)
    env.check()


@pytest.mark.parametrize("opcode", [0x3, 0x7, 0xB, 0xF])
def test_unknown_opcode(env, opcode):
    _, res = attack(env, build_frame(opcode, EVENT))
    assert_ws_close_code(res, 1002)
    env.check()


def test_continuation_without_start(env):
    _, res = attack(env, build_frame(OP_CONT, EVENT))
    assert_ws_close_code(res, 1002)
    env.check()


def test_new_message_inside_fragmented_message(env):
    _, res = attack(env, build_frame(OP_TEXT, EVENT[:4], fin=False), build_frame(OP_TEXT, EVENT))
    assert_ws_close_code(res, 1002)
    env.check()


def test_ping_payload_over_125_bytes(env):
    _, res = attack(env, build_frame(OP_PING, b"p" * 126))
    assert_ws_close_code(res, 1002)
    env.check()


def test_fragmented_ping(env):
    _, res = attack(env, build_frame(OP_PING, b"p", fin=False))
    assert_ws_close_code(res, 1002)
    env.check()


def test_ping_of_125_bytes_gets_pong(env):
    s = env.ws_session()
    s.ws.send_frame(OP_PING, b"q" * 125)
    deadline = time.monotonic() + 5
    while True:
        f = s.ws.recv_frame(timeout=max(0.01, deadline - time.monotonic()))
        if f.opcode == OP_PONG:
            break
    assert f.payload == b"q" * 125 and not f.masked
    s.echo("after-ping")
    env.check()


def test_control_frame_inside_fragmented_message_is_fine(env):
    s = env.ws_session()
    s.ws.send_raw(build_frame(OP_TEXT, EVENT[:5], fin=False) + build_frame(OP_PING, b"x")
                  + build_frame(OP_CONT, EVENT[5:]))
    s.wait_for(lambda t: t == sio_event("message-back", "frame-test"))
    env.check()


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])
def test_close_frame_with_invalid_code(env, code):
    _, res = attack(env, build_frame(OP_CLOSE, close_payload(code)))
    assert_ws_close_code(res, 1002)
    env.check()


def test_close_frame_with_one_byte_payload(env):
    _, res = attack(env, build_frame(OP_CLOSE, b"\x03"))
    assert_ws_close_code(res, 1002)
    env.check()


def test_close_frame_with_invalid_utf8_reason(env):
    _, res = attack(env, build_frame(OP_CLOSE, close_payload(1000, b"bye \xff")))
    assert_ws_close_code(res, 1007)
    env.check()


@pytest.mark.parametrize("code", [1000, 1001, 3000, 4999])
def test_valid_close_is_echoed(env, code):
    # not an attack: the closing handshake the tests above rely on
    _, res = attack(env, build_frame(OP_CLOSE, close_payload(code)))
    assert_ws_close_code(res, code)
    env.check()


def test_empty_close_is_answered_with_empty_close(env):
    _, res = attack(env, build_frame(OP_CLOSE, b""))
    assert res.frame and res.code is None and res.eof, res
    env.check()


# -- frames: bad UTF-8 (1007) ----------------------------------------------------

@pytest.mark.parametrize("bad", [b"\xff\xfe", b"\xed\xa0\x80", b"\xc0\xaf", b"\xe2\x82",
                                 b"\xf4\x90\x80\x80", b"\x80"],
                         ids=["ff-fe", "surrogate", "overlong", "truncated", "above-10ffff",
                              "lone-continuation"])
def test_invalid_utf8_text_frame(env, bad):
    _, res = attack(env, build_frame(OP_TEXT, b'42["message","' + bad + b'"]'))
    assert_ws_close_code(res, 1007)
    env.check()


def test_invalid_utf8_across_fragments(env):
    _, res = attack(env, build_frame(OP_TEXT, b'42["message","\xe2\x82', fin=False),
                    build_frame(OP_CONT, b'\x41"]'))
    assert_ws_close_code(res, 1007)
    env.check()


def test_utf8_sequence_split_across_fragments_is_fine(env):
    s = env.ws_session()
    s.ws.send_raw(build_frame(OP_TEXT, b'42["message","\xe2\x82', fin=False)
                  + build_frame(OP_CONT, b'\xac"]'))
    s.wait_for(lambda t: t == sio_event("message-back", "\u20ac"))
    env.check()


def test_binary_frame_is_not_utf8_checked(env):
    # binary frames carry raw bytes; \xff is fine there (then socket.io
    # closes the session for a binary frame without a binary packet, which
    # test_bad_socketio_packets covers; here only the close code matters)
    _, res = attack(env, build_frame(OP_BINARY, b"\xff\xfe"))
    assert res.frame and res.code is None, res
    env.check()


# -- sizes (1009) ------------------------------------------------------------------

def event_bytes(n: int) -> bytes:
    base = sio_event("message", "")
    return sio_event("message", "y" * (n - len(base))).encode()


def test_message_of_exactly_max_payload_is_echoed(small_env):
    s = small_env.ws_session()
    s.ws.send_text(event_bytes(1000))
    s.wait_for(lambda t: t.startswith('42["message-back","yyy'))
    small_env.check()


def test_text_message_over_max_payload(small_env):
    _, res = attack(small_env, build_frame(OP_TEXT, event_bytes(1001)))
    assert_ws_close_code(res, 1009)
    small_env.check()


def test_binary_message_over_max_payload(small_env):
    _, res = attack(small_env, build_frame(OP_BINARY, b"\x00" * 1001))
    assert_ws_close_code(res, 1009)
    small_env.check()


def test_fragmented_message_over_max_payload(small_env):
    # each fragment is small; the sum (1001) is one byte too many
    msg = event_bytes(1001)
    frames = [build_frame(OP_TEXT if i == 0 else OP_CONT, msg[i:i + 100], fin=i + 100 >= len(msg))
              for i in range(0, len(msg), 100)]
    _, res = attack(small_env, *frames)
    assert_ws_close_code(res, 1009)
    small_env.check()


def test_declared_length_over_max_payload_closes_before_payload(small_env):
    # 16-bit length 1001 declared, 3 bytes sent: the header alone decides
    _, res = attack(small_env, build_frame(OP_TEXT, b"abc", declared_length=1001))
    assert_ws_close_code(res, 1009)
    small_env.check()


def _rss(env):
    return proc_status_kb(env.pid, "VmRSS"), proc_status_kb(env.pid, "VmHWM")


def _vm_peak(env):
    return proc_status_kb(env.pid, "VmPeak")


@pytest.mark.parametrize("declared", [2 ** 62, 2 ** 40, 2 ** 31, 2 ** 31 - 1],
                         ids=["2^62", "2^40", "2^31", "2^31-1"])
def test_huge_declared_length_is_not_allocated(env, declared):
    # default maxPayload (1e6): the server must refuse from the header and
    # must not reserve memory for the declared size -- not even untouched
    # address space, hence VmPeak as well as resident memory.
    rss0, hwm0 = _rss(env)
    peak0 = _vm_peak(env)
    _, res = attack(env, build_frame(OP_TEXT, b"tiny", declared_length=declared))
    assert_ws_close_code(res, 1009)
    rss1, hwm1 = _rss(env)
    peak1 = _vm_peak(env)
    assert rss1 - rss0 < 64 * MiB, f"VmRSS grew {rss0} -> {rss1} kB"
    assert hwm1 - hwm0 < 64 * MiB, f"VmHWM grew {hwm0} -> {hwm1} kB"
    assert peak1 - peak0 < 512 * MiB, f"VmPeak grew {peak0} -> {peak1} kB"
    env.check()


def test_length_with_most_significant_bit_set(env):
    # RFC 6455 5.2: the MSB of a 64-bit length MUST be 0. The reference says
    # 1009 (over its 2^53-1 limit); 1002 (protocol error) is the RFC's own
    # reading and accepted too.
    _, res = attack(env, build_frame(OP_TEXT, b"tiny", declared_length=2 ** 63 + 5))
    assert res.frame and res.code in (1009, 1002), res
    assert res.eof
    env.check()


@pytest.mark.parametrize("form", [126, 127], ids=["16-bit", "64-bit"])
def test_non_minimal_length_encoding(env, form):
    # RFC 6455 5.2 asks senders for the minimal length encoding but says
    # nothing of receivers. The reference (ws) accepts a short payload in
    # the 16/64-bit form; wslay rejects it as a protocol error. Required:
    # either the echo comes back or the connection is closed with 1002 --
    # and nothing else is harmed.
    s = env.ws_session()
    s.ws.send_raw(build_frame(OP_TEXT, EVENT, length_form=form))
    try:
        s.wait_for(lambda t: t == sio_event("message-back", "frame-test"))
    except Closed as e:
        assert "1002" in str(e), e
    env.check()


# -- fragment floods (1008) ------------------------------------------------------------

def one_byte_fragments(msg: bytes) -> bytes:
    out = bytearray()
    for i in range(len(msg)):
        out += build_frame(OP_TEXT if i == 0 else OP_CONT, msg[i:i + 1], fin=i == len(msg) - 1)
    return bytes(out)


def test_ten_thousand_tiny_fragments_are_reassembled(env):
    rss0, _ = _rss(env)
    s = env.ws_session()
    s.ws.send_raw(one_byte_fragments(event_bytes(10_000)))
    s.wait_for(lambda t: t.startswith('42["message-back","yyy') and len(t) == 10_005, timeout=15)
    rss1, _ = _rss(env)
    assert rss1 - rss0 < 64 * MiB, f"VmRSS grew {rss0} -> {rss1} kB"
    env.check()


def test_fragment_count_limit_boundary_16384_is_fine(env):
    s = env.ws_session()
    s.ws.send_raw(one_byte_fragments(event_bytes(16_384)))
    s.wait_for(lambda t: t.startswith('42["message-back","yyy') and len(t) == 16_389, timeout=15)
    env.check()


def test_fragment_count_over_16384_is_policy_violation(env):
    # ws's maxFragments default: the 16385th fragment of one message -> 1008
    _, res = attack(env, one_byte_fragments(event_bytes(16_385)))
    assert_ws_close_code(res, 1008)
    env.check()


def test_flood_of_empty_continuation_frames(env):
    # zero-length fragments cost nothing in bytes but must still be counted
    msg = EVENT
    frames = (build_frame(OP_TEXT, msg[:3], fin=False)
              + build_frame(OP_CONT, b"", fin=False) * 16_383
              + build_frame(OP_CONT, msg[3:]))  # fragment number 16385
    rss0, _ = _rss(env)
    _, res = attack(env, frames)
    assert_ws_close_code(res, 1008)
    rss1, _ = _rss(env)
    assert rss1 - rss0 < 64 * MiB, f"VmRSS grew {rss0} -> {rss1} kB"
    env.check()


def test_fragment_flood_over_max_payload(small_env):
    # 1001 one-byte fragments against maxPayload 1000: the size limit hits
    _, res = attack(small_env, one_byte_fragments(event_bytes(1001)))
    assert_ws_close_code(res, 1009)
    small_env.check()


# -- peers that vanish ------------------------------------------------------------------

def test_truncated_frame_then_half_close(env):
    s = env.ws_session()
    s.ws.send_raw(build_frame(OP_TEXT, b"x" * 10, declared_length=100))
    s.ws.conn.sock.shutdown(socket.SHUT_WR)
    s.ws.conn.read_all(timeout=5)  # the server must let go of the connection
    env.check()


def test_reset_in_the_middle_of_a_message(env):
    s = env.ws_session()
    s.ws.send_raw(build_frame(OP_TEXT, EVENT[:5], fin=False) + build_frame(OP_CONT, b"x" * 10,
                                                                          declared_length=500))
    s.ws.conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.ws.conn.close()  # RST
    time.sleep(0.2)
    env.check()


def test_many_connections_abandoned_mid_handshake(env):
    conns = [env.conn() for _ in range(50)]
    for c in conns:
        c.send(ws_handshake_request(WS_PATH, env.hostport, new_ws_key())[:40])
    env.check()
    for c in conns:
        c.close()
    env.check()


def test_peer_gone_while_the_server_writes(env):
    # A client sends a burst of events and closes at once.  The server's
    # first answer draws an RST from the closed socket and the next write
    # fails with EPIPE: the server must take that as a closed connection (a
    # SIGPIPE it does not ignore would kill the whole process).
    for _ in range(5):
        s = env.ws_session()
        burst = b"".join(build_frame(OP_TEXT, ('42["message","%d"]' % i).encode())
                         for i in range(300))
        s.ws.conn.sock.sendall(burst)
        s.ws.conn.sock.close()
    time.sleep(0.3)
    env.check()
