"""Raw protocol helpers for the bad-input suite (standard library only).

Everything here talks bytes over a plain `socket` so the tests can send what
no well-behaved client library would: malformed HTTP, hand-built WebSocket
frames (unmasked, reserved bits, bad opcodes, lying length fields, floods of
fragments) and broken Engine.IO / Socket.IO packets.

Pieces:
- Conn: a socket with a receive buffer (read_exact / read_until / wait_eof).
- HTTP: request building, response parsing (Content-Length, chunked or
  close-delimited bodies), one-shot `http_request` / `raw_exchange`.
- WebSocket: `build_frame` (any header you like), `WebSocket` client with a
  frame reader, close handling and `ws_connect` (RFC 6455 handshake).
- Engine.IO / Socket.IO: `WsSession` (Engine.IO over a websocket, answers
  server pings) and `PollingSession` (long-polling GET/POST).
"""
from __future__ import annotations

import base64
import dataclasses
import errno
import hashlib
import json
import os
import socket
import time
from typing import Iterable

DEFAULT_TIMEOUT = 5.0
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
RS = "\x1e"  # Engine.IO polling payload separator

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class Closed(Exception):
    """The peer closed (EOF) or reset the TCP connection."""


# --------------------------------------------------------------------------
# Buffered connection


class Conn:
    def __init__(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = bytearray()
        self.eof = False

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def try_send(self, data: bytes) -> bool:
        """Send, returning False instead of raising if the peer is gone."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def _fill(self, deadline: float) -> None:
        if self.eof:
            raise Closed("EOF")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError) as e:
            self.eof = True
            raise Closed(f"reset: {e}") from e
        if not chunk:
            self.eof = True
            raise Closed("EOF")
        self.buf += chunk

    def read_exact(self, n: int, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while len(self.buf) < n:
            self._fill(deadline)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_until(self, marker: bytes, timeout: float | None = None, limit: int = 1 << 20) -> bytes:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            i = self.buf.find(marker)
            if i >= 0:
                out = bytes(self.buf[: i + len(marker)])
                del self.buf[: i + len(marker)]
                return out
            if len(self.buf) > limit:
                raise ValueError("marker not found within limit")
            self._fill(deadline)

    def read_all(self, timeout: float | None = None) -> bytes:
        """Read until EOF (or reset); raises socket.timeout if it never comes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            while True:
                self._fill(deadline)
        except Closed:
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def wait_eof(self, timeout: float | None = None) -> bytes:
        """Wait for the peer to close; return whatever arrived before EOF."""
        return self.read_all(timeout)

    def is_open_after(self, seconds: float) -> bool:
        """True if no EOF/reset was seen for `seconds` (data is buffered)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self._fill(deadline)
        except socket.timeout:
            return True
        except Closed:
            return False


# --------------------------------------------------------------------------
# HTTP


@dataclasses.dataclass
class HttpResponse:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    raw_head: bytes = b""

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in reversed(self.headers):
            if k.lower() == name:
                return v
        return None

    def has_header(self, name: str) -> bool:
        return self.header(name) is not None

    def json(self):
        return json.loads(self.body.decode())

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def build_request(method: str, path: str, headers: Iterable[tuple[str, str]] | dict | None = None,
                  body: bytes = b"", host: str = "127.0.0.1", add_length: bool = True) -> bytes:
    hdrs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    names = {k.lower() for k, _ in hdrs}
    if "host" not in names:
        hdrs.insert(0, ("Host", host))
    if add_length and body and "content-length" not in names and "transfer-encoding" not in names:
        hdrs.append(("Content-Length", str(len(body))))
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs) + "\r\n"
    return head.encode("latin-1") + body


def read_response(conn: Conn, timeout: float | None = None, head_only: bool = False,
                  method: str = "GET") -> HttpResponse:
    """Read one HTTP/1.x response from `conn`."""
    t = conn.timeout if timeout is None else timeout
    head = conn.read_until(b"\r\n\r\n", timeout=t)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ValueError(f"bad status line: {lines[0]!r}")
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    resp = HttpResponse(status, reason, headers, b"", head)
    if head_only or status in (101, 204, 304) or 100 <= status < 200 or method == "HEAD":
        return resp
    te = resp.header("transfer-encoding")
    cl = resp.header("content-length")
    if te and "chunked" in te.lower():
        body = bytearray()
        while True:
            size_line = conn.read_until(b"\r\n", timeout=t)
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                # trailers until empty line
                while conn.read_until(b"\r\n", timeout=t) != b"\r\n":
                    pass
                break
            body += conn.read_exact(size, timeout=t)
            conn.read_exact(2, timeout=t)
        resp.body = bytes(body)
    elif cl is not None:
        resp.body = conn.read_exact(int(cl), timeout=t)
    else:
        resp.body = conn.read_all(timeout=t)
    return resp


def http_request(host: str, port: int, method: str, path: str,
                 headers: Iterable[tuple[str, str]] | dict | None = None, body: bytes = b"",
                 timeout: float = DEFAULT_TIMEOUT) -> HttpResponse:
    """One request on a fresh connection (closed afterwards)."""
    with Conn(host, port, timeout) as c:
        c.send(build_request(method, path, headers, body, host=f"{host}:{port}"))
        return read_response(c, method=method)


@dataclasses.dataclass
class RawOutcome:
    """What happened after sending raw bytes: a response, and/or a close."""
    response: HttpResponse | None
    closed: bool          # EOF/reset seen within the wait
    error: str = ""


def raw_exchange(host: str, port: int, data: bytes, timeout: float = DEFAULT_TIMEOUT,
                 close_wait: float = 3.0) -> RawOutcome:
    """Send raw bytes, read one response if any, then check whether the
    server closes the connection within `close_wait` seconds."""
    with Conn(host, port, timeout) as c:
        if not c.try_send(data):
            # the server may already have closed on us mid-send; try to read a response
            pass
        resp = None
        err = ""
        try:
            resp = read_response(c, timeout=timeout)
        except Closed as e:
            return RawOutcome(None, True, str(e))
        except socket.timeout:
            return RawOutcome(None, False, "timeout waiting for response")
        except ValueError as e:
            err = str(e)
        closed = not c.is_open_after(close_wait)
        return RawOutcome(resp, closed, err)


# --------------------------------------------------------------------------
# WebSocket


def ws_accept(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()


def new_ws_key() -> str:
    return base64.b64encode(os.urandom(16)).decode()


def mask_bytes(payload: bytes, key: bytes) -> bytes:
    if not payload:
        return b""
    n = len(payload)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def build_frame(opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0,
                mask: bool = True, mask_key: bytes | None = None,
                declared_length: int | None = None, length_form: int | None = None) -> bytes:
    """Build one WebSocket frame, client style (masked) unless mask=False.

    declared_length lies about the payload length; length_form forces the
    7-bit (0), 16-bit (126) or 64-bit (127) length encoding.
    """
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0x0F)
    n = len(payload) if declared_length is None else declared_length
    mbit = 0x80 if mask else 0
    form = length_form
    if form is None:
        form = 0 if n < 126 else (126 if n < 65536 else 127)
    if form == 0:
        hdr = bytes([b0, mbit | n])
    elif form == 126:
        hdr = bytes([b0, mbit | 126]) + n.to_bytes(2, "big")
    else:
        hdr = bytes([b0, mbit | 127]) + n.to_bytes(8, "big")
    if mask:
        key = mask_key if mask_key is not None else os.urandom(4)
        return hdr + key + mask_bytes(payload, key)
    return hdr + payload


def close_payload(code: int | None, reason: bytes = b"") -> bytes:
    return b"" if code is None else code.to_bytes(2, "big") + reason


@dataclasses.dataclass
class Frame:
    fin: bool
    rsv: int
    opcode: int
    masked: bool
    payload: bytes


@dataclasses.dataclass
class CloseResult:
    frame: bool                # a close frame was received
    code: int | None           # its status code (None: empty close payload)
    reason: bytes
    eof: bool                  # TCP closed afterwards (within the wait)
    messages: list             # data messages received before the close


class HandshakeRefused(Exception):
    def __init__(self, response: HttpResponse | None, closed: bool):
        super().__init__(f"websocket handshake refused: "
                         f"{response.status if response else 'no response'}")
        self.response = response
        self.closed = closed


class WebSocket:
    def __init__(self, conn: Conn, response: HttpResponse):
        self.conn = conn
        self.response = response
        self.close_sent = False

    # -- sending
    def send_raw(self, data: bytes) -> bool:
        return self.conn.try_send(data)

    def send_frame(self, opcode: int, payload: bytes = b"", **kw) -> bool:
        return self.send_raw(build_frame(opcode, payload, **kw))

    def send_text(self, text: str | bytes) -> bool:
        return self.send_frame(OP_TEXT, text.encode() if isinstance(text, str) else text)

    def send_binary(self, data: bytes) -> bool:
        return self.send_frame(OP_BINARY, data)

    def send_close(self, code: int | None = 1000, reason: bytes = b"") -> bool:
        self.close_sent = True
        return self.send_frame(OP_CLOSE, close_payload(code, reason))

    # -- receiving
    def recv_frame(self, timeout: float | None = None) -> Frame:
        c = self.conn
        t = c.timeout if timeout is None else timeout
        deadline = time.monotonic() + t
        b0, b1 = c.read_exact(2, timeout=t)
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(c.read_exact(2, timeout=max(0.01, deadline - time.monotonic())), "big")
        elif n == 127:
            n = int.from_bytes(c.read_exact(8, timeout=max(0.01, deadline - time.monotonic())), "big")
        key = c.read_exact(4, timeout=max(0.01, deadline - time.monotonic())) if b1 & 0x80 else None
        payload = c.read_exact(n, timeout=max(0.01, deadline - time.monotonic())) if n else b""
        if key:
            payload = mask_bytes(payload, key)
        return Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, bool(b1 & 0x80), payload)

    def recv_message(self, timeout: float | None = None, auto_pong: bool = True):
        """Next data message as (opcode, payload); ping frames are answered.
        A close frame raises Closed (after answering it)."""
        t = self.conn.timeout if timeout is None else timeout
        deadline = time.monotonic() + t
        parts: list[bytes] = []
        op = None
        while True:
            f = self.recv_frame(timeout=max(0.01, deadline - time.monotonic()))
            if f.opcode == OP_PING:
                if auto_pong:
                    self.send_frame(OP_PONG, f.payload)
                continue
            if f.opcode == OP_PONG:
                continue
            if f.opcode == OP_CLOSE:
                self._on_close_frame(f)
                raise Closed(f"close frame {self._parse_close(f.payload)}")
            if f.opcode != OP_CONT:
                op = f.opcode
            parts.append(f.payload)
            if f.fin:
                return op, b"".join(parts)

    @staticmethod
    def _parse_close(payload: bytes):
        if len(payload) >= 2:
            return int.from_bytes(payload[:2], "big"), payload[2:]
        return None, b""

    def _on_close_frame(self, f: Frame) -> None:
        if not self.close_sent:
            code, _ = self._parse_close(f.payload)
            # echo the code back as RFC 6455 5.5.1 suggests (1000 if none/odd)
            self.close_sent = True
            self.conn.try_send(build_frame(OP_CLOSE, close_payload(
                code if code is not None and code not in (1005, 1006, 1015) else None)))

    def expect_close(self, timeout: float = DEFAULT_TIMEOUT, eof_wait: float = 3.0,
                     answer: bool = True) -> CloseResult:
        """Read until a close frame or the end of the TCP stream.

        Returns what was seen. Unparseable trailing bytes after the server
        decided to drop us are ignored. Raises socket.timeout if the
        connection stays open with nothing happening for `timeout`.
        """
        deadline = time.monotonic() + timeout
        msgs = []
        parts: list[bytes] = []
        while True:
            try:
                f = self.recv_frame(timeout=max(0.01, deadline - time.monotonic()))
            except Closed:
                return CloseResult(False, None, b"", True, msgs)
            if f.opcode == OP_CLOSE:
                code, reason = self._parse_close(f.payload)
                if answer:
                    self._on_close_frame(f)
                try:
                    self.conn.read_all(timeout=eof_wait)
                    eof = True
                except socket.timeout:
                    eof = False
                return CloseResult(True, code, reason, eof, msgs)
            if f.opcode == OP_PING:
                self.conn.try_send(build_frame(OP_PONG, f.payload))
            elif f.opcode in (OP_TEXT, OP_BINARY, OP_CONT):
                parts.append(f.payload)
                if f.fin:
                    msgs.append(b"".join(parts))
                    parts = []

    def close(self) -> None:
        self.conn.close()


def ws_handshake_request(path: str, host: str, key: str | None = None,
                         extra: Iterable[tuple[str, str]] = (), *,
                         upgrade: str | None = "websocket", connection: str | None = "Upgrade",
                         version: str | None = "13", method: str = "GET") -> bytes:
    hdrs = [("Host", host)]
    if upgrade is not None:
        hdrs.append(("Upgrade", upgrade))
    if connection is not None:
        hdrs.append(("Connection", connection))
    if key is not None:
        hdrs.append(("Sec-WebSocket-Key", key))
    if version is not None:
        hdrs.append(("Sec-WebSocket-Version", version))
    hdrs.extend(extra)
    return build_request(method, path, hdrs, host=host)


def ws_connect(host: str, port: int, path: str, timeout: float = DEFAULT_TIMEOUT,
               **kw) -> WebSocket:
    """Open a websocket; raises HandshakeRefused if the answer is not 101."""
    key = kw.pop("key", None) or new_ws_key()
    conn = Conn(host, port, timeout)
    try:
        conn.send(ws_handshake_request(path, f"{host}:{port}", key, **kw))
        try:
            resp = read_response(conn, head_only=True)
        except Closed:
            raise HandshakeRefused(None, True)
        if resp.status != 101:
            # read the (small) body of the refusal
            cl = resp.header("content-length")
            try:
                if cl is not None:
                    resp.body = conn.read_exact(int(cl))
                closed = not conn.is_open_after(1.0)
            except Closed:
                closed = True
            raise HandshakeRefused(resp, closed)
        if resp.header("sec-websocket-accept") != ws_accept(key):
            raise AssertionError(f"bad Sec-WebSocket-Accept: {resp.header('sec-websocket-accept')!r}")
        return WebSocket(conn, resp)
    except BaseException:
        conn.close()
        raise


def ws_try_handshake(host: str, port: int, raw_request: bytes, timeout: float = DEFAULT_TIMEOUT):
    """Send a hand-made upgrade request; return (response or None, conn)."""
    conn = Conn(host, port, timeout)
    conn.send(raw_request)
    try:
        resp = read_response(conn, head_only=True)
    except Closed:
        return None, conn
    if resp.status != 101:
        cl = resp.header("content-length")
        if cl is not None:
            try:
                resp.body = conn.read_exact(int(cl))
            except Closed:
                pass
    return resp, conn


# --------------------------------------------------------------------------
# Engine.IO / Socket.IO

SIO_PATH = "/socket.io/"


def eio_path(transport: str, sid: str | None = None, eio: str | None = "4", path: str = SIO_PATH,
             extra: str = "") -> str:
    q = []
    if eio is not None:
        q.append(f"EIO={eio}")
    if transport is not None:
        q.append(f"transport={transport}")
    if sid is not None:
        q.append(f"sid={sid}")
    if extra:
        q.append(extra)
    return path + "?" + "&".join(q)


def sio_event(name: str, *args, nsp: str = "/", ack: int | None = None) -> str:
    prefix = "42" if nsp == "/" else f"42{nsp},"
    return prefix + ("" if ack is None else str(ack)) + json.dumps([name, *args], separators=(",", ":"), ensure_ascii=False)


class WsSession:
    """An Engine.IO session over a websocket (no upgrade), optionally with
    Socket.IO connected on '/'. Answers Engine.IO pings ('2' -> '3')."""

    def __init__(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT, path: str = SIO_PATH):
        self.ws = ws_connect(host, port, eio_path("websocket", path=path), timeout=timeout)
        op, data = self.ws.recv_message()
        text = data.decode()
        if not text.startswith("0"):
            raise AssertionError(f"expected Engine.IO open packet, got {text!r}")
        self.handshake = json.loads(text[1:])
        self.sid = self.handshake["sid"]
        self.backlog: list[tuple[int, bytes]] = []

    def send(self, text: str) -> bool:
        return self.ws.send_text(text)

    def recv(self, timeout: float | None = None) -> tuple[int, bytes]:
        """Next Engine.IO packet that is not a ping (pings are answered)."""
        if self.backlog:
            return self.backlog.pop(0)
        while True:
            op, data = self.ws.recv_message(timeout=timeout)
            if op == OP_TEXT and data == b"2":
                self.ws.send_text("3")
                continue
            return op, data

    def recv_text(self, timeout: float | None = None) -> str:
        op, data = self.recv(timeout)
        assert op == OP_TEXT, f"expected a text frame, got opcode {op}: {data!r}"
        return data.decode()

    def wait_for(self, pred, timeout: float | None = None) -> str:
        t = self.ws.conn.timeout if timeout is None else timeout
        deadline = time.monotonic() + t
        skipped = []
        while True:
            op, data = self.recv(timeout=max(0.01, deadline - time.monotonic()))
            if op == OP_TEXT and pred(data.decode()):
                self.backlog = skipped + self.backlog
                return data.decode()
            skipped.append((op, data))

    def sio_connect(self, nsp: str = "/", auth: dict | None = None) -> dict:
        prefix = "40" if nsp == "/" else f"40{nsp},"
        self.send(prefix + ("" if auth is None else json.dumps(auth)))
        text = self.wait_for(lambda t: t.startswith(prefix) or t.startswith("44"))
        assert text.startswith(prefix), f"namespace connect failed: {text!r}"
        payload = json.loads(text[len(prefix):])
        # the echo server greets every connection with an "auth" event
        greet = '42["auth"' if nsp == "/" else f'42{nsp},["auth"'
        self.wait_for(lambda t: t.startswith(greet))
        return payload

    def echo(self, tag: str, timeout: float | None = None) -> None:
        """42["message",tag] -> 42["message-back",tag]."""
        self.send(sio_event("message", tag))
        want = sio_event("message-back", tag)
        self.wait_for(lambda t: t == want, timeout=timeout)

    def expect_close(self, timeout: float = DEFAULT_TIMEOUT) -> CloseResult:
        return self.ws.expect_close(timeout=timeout)

    def close(self) -> None:
        self.ws.close()


class PollingSession:
    """An Engine.IO session over long-polling (each request on its own
    connection so a hanging GET never blocks a POST)."""

    def __init__(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT, path: str = SIO_PATH):
        self.host, self.port, self.timeout, self.path = host, port, timeout, path
        r = self.request("GET", eio_path("polling", path=path))
        assert r.status == 200, f"polling handshake failed: {r.status} {r.body!r}"
        text = r.text
        assert text.startswith("0"), text
        self.handshake = json.loads(text[1:].split(RS)[0])
        self.sid = self.handshake["sid"]

    @property
    def url(self) -> str:
        return eio_path("polling", self.sid, path=self.path)

    def request(self, method: str, path: str, body: bytes = b"", headers=None,
                timeout: float | None = None) -> HttpResponse:
        return http_request(self.host, self.port, method, path, headers, body,
                            timeout=self.timeout if timeout is None else timeout)

    def post(self, body: str | bytes, headers=None) -> HttpResponse:
        data = body.encode() if isinstance(body, str) else body
        hdrs = [("Content-Type", "text/plain;charset=UTF-8")] if headers is None else headers
        return self.request("POST", self.url, data, hdrs)

    def get(self, timeout: float | None = None) -> HttpResponse:
        return self.request("GET", self.url, timeout=timeout)

    def get_packets(self, timeout: float | None = None) -> list[str]:
        r = self.get(timeout)
        assert r.status == 200, f"poll failed: {r.status} {r.body!r}"
        return r.text.split(RS)

    def start_get(self) -> Conn:
        """Send a GET poll without waiting for the answer."""
        c = Conn(self.host, self.port, self.timeout)
        c.send(build_request("GET", self.url, host=f"{self.host}:{self.port}"))
        return c

    def drain_until(self, pred, timeout: float | None = None) -> list[str]:
        """Poll until a packet satisfies pred; returns every packet seen."""
        t = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + t
        seen: list[str] = []
        while time.monotonic() < deadline:
            pkts = self.get_packets(timeout=max(0.1, deadline - time.monotonic()))
            for p in pkts:
                if p == "2":
                    self.post("3")
            seen.extend(pkts)
            if any(pred(p) for p in pkts):
                return seen
        raise AssertionError(f"packet not seen; got {seen!r}")

    def sio_connect(self, nsp: str = "/") -> None:
        prefix = "40" if nsp == "/" else f"40{nsp},"
        r = self.post(prefix)
        assert r.status == 200 and r.body == b"ok", (r.status, r.body)
        self.drain_until(lambda p: p.startswith(prefix))

    def echo(self, tag: str) -> None:
        r = self.post(sio_event("message", tag))
        assert r.status == 200 and r.body == b"ok", (r.status, r.body)
        want = sio_event("message-back", tag)
        self.drain_until(lambda p: p == want)

    def is_unknown(self) -> bool:
        """True if the server now answers this sid with code 1."""
        r = self.get(timeout=3)
        return r.status == 400 and r.body and json.loads(r.body) == {"code": 1, "message": "Session ID unknown"}


def proc_status_kb(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


# --------------------------------------------------------------------------
# Assertions shared by the tests

EIO_ERRORS = {
    0: "Transport unknown",
    1: "Session ID unknown",
    2: "Bad handshake method",
    3: "Bad request",
    4: "Forbidden",
    5: "Unsupported protocol version",
}


def assert_eio_error(resp: HttpResponse, code: int) -> None:
    """Engine.IO's HTTP error: 400 (403 for Forbidden), JSON {"code","message"}."""
    want_status = 403 if code == 4 else 400
    assert resp.status == want_status, f"status {resp.status} {resp.body!r}, want {want_status}"
    ctype = resp.header("content-type") or ""
    assert ctype.split(";")[0].strip().lower() == "application/json", f"content-type {ctype!r}"
    assert resp.json() == {"code": code, "message": EIO_ERRORS[code]}, resp.body


def assert_upgrade_refused(resp: HttpResponse | None, closed: bool, code: int) -> None:
    """Engine.IO's refusal of a websocket upgrade request: the socket gets a
    plain `400 Bad Request` whose body is the error message (not JSON), and
    the connection is closed."""
    assert resp is not None, "no HTTP response to the upgrade request"
    assert resp.status == 400, f"status {resp.status} {resp.body!r}"
    assert resp.body == EIO_ERRORS[code].encode(), resp.body
    assert closed, "connection left open after refusing the upgrade"


def assert_no_cors(resp: HttpResponse) -> None:
    cors = [k for k, _ in resp.headers if k.lower().startswith("access-control-")]
    assert not cors, f"CORS headers present without --cors-origin: {cors}"


def assert_ws_session_closed(res: CloseResult) -> None:
    """How socket.io ends a websocket session it refuses (parse error,
    protocol violation at the Engine.IO/Socket.IO level): a close frame with
    no status code (empty payload), then the TCP connection ends."""
    assert res.frame, "connection dropped without a close frame"
    assert res.code is None, f"close frame carries code {res.code}, reference sends none"
    assert res.eof, "TCP connection not closed after the close handshake"


def assert_ws_close_code(res: CloseResult, code: int) -> None:
    """A WebSocket protocol error: close frame with `code`, then TCP close."""
    assert res.frame, f"connection dropped without a close frame (want {code})"
    assert res.code == code, f"close code {res.code}, want {code}"
    assert res.eof, "TCP connection not closed after the close frame"
