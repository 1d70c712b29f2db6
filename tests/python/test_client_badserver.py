"""The sioc Python client against servers that misbehave, as the C client's
tests/c/test_client_badserver.c: garbage instead of HTTP, 400 and 500
answers, a server that never answers (connect timeout), an unknown sid after
the handshake, connection refused, and TLS: a self-signed certificate (made
at test time with the openssl CLI, served through Python's ssl module in
front of a real echo server) that fails verification, works with it as the
CA file, fails on a host name mismatch, and is accepted with verification
off.  Each gives a clear ConnectError (and the same connect_error / manager
error events) with the asyncio and the blocking client; nothing crashes and
no thread is left behind (conftest)."""
import asyncio
import os
import shutil
import socket
import ssl
import subprocess

import pytest

import sioc
import sioc.compat

from conftest import run
from test_client import SIOC_ECHO, Proc

HANDSHAKE = (b'0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,'
             b'"maxPayload":1000000}')


def http(status, body):
    return b"HTTP/1.1 %d X\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (
        status, len(body), body)


class FakeServer:
    """A scripted HTTP server on 127.0.0.1 in the test's loop (mode: garbage,
    400, 500, silent, unknown-sid)."""

    def __init__(self, mode):
        self.mode = mode
        self.requests = []
        self.writers = set()
        self.srv = None

    async def start(self):
        self.srv = await asyncio.start_server(self._conn, "127.0.0.1", 0)
        self.port = self.srv.sockets[0].getsockname()[1]
        return self

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    async def _conn(self, r, w):
        self.writers.add(w)
        try:
            while True:
                head = await r.readuntil(b"\r\n\r\n")
                n = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        n = int(line.split(b":")[1])
                if n:
                    await r.readexactly(n)
                self.requests.append(head.split(b"\r\n")[0])
                handshake = b"sid=" not in head.split(b"\r\n")[0]
                if self.mode == "garbage":
                    w.write(b"HELLO THERE\r\n\r\n\x01\x02garbage")
                    await w.drain()
                    break
                elif self.mode == "400":
                    w.write(http(400, b'{"code":3,"message":"Bad request"}'))
                elif self.mode == "500":
                    w.write(http(500, b"Internal Server Error"))
                elif self.mode == "unknown-sid":
                    w.write(http(200, HANDSHAKE) if handshake else
                            http(400, b'{"code":1,"message":"Session ID unknown"}'))
                # silent: reads and never answers
                await w.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.writers.discard(w)
            w.close()

    async def stop(self):
        self.srv.close()
        for w in list(self.writers):
            w.close()
        await self.srv.wait_closed()


# (mode, transports, timeout s, what the error says)
CASES = [
    ("garbage", ["polling"], 5, "invalid HTTP response"),
    ("garbage", ["websocket"], 5, "invalid HTTP response"),
    ("400", ["polling"], 5, 'HTTP 400 {"code":3'),
    ("500", ["polling"], 5, "HTTP 500"),
    ("500", ["websocket"], 5, "unexpected server response: 500"),
    ("silent", ["polling"], 0.3, "timeout"),
    ("silent", ["websocket"], 0.3, "timeout"),
    ("silent", None, 0.3, "timeout"),
]


async def expect_error(url, transports, timeout, want, **options):
    """One attempt (no reconnection) must fail with `want` in the error of
    wait_connected(), connect_error and the manager's error event."""
    sock = await sioc.connect(url, transports=transports, reconnection=False, timeout=timeout,
                              wait=False, **options)
    events = []
    sock.on("connect_error", lambda e: events.append(("connect_error", e.message)))
    sock.on("connect", lambda: events.append(("connect",)))
    sock.io.on("error", lambda e: events.append(("error", str(e))))
    try:
        with pytest.raises(sioc.ConnectError) as ei:
            await sock.wait_connected(10)
        assert want in ei.value.message, ei.value.message
        for _ in range(100):
            if len(events) >= 2:
                break
            await asyncio.sleep(0.01)
        assert events == [("error", ei.value.message), ("connect_error", ei.value.message)]
        assert not sock.connected
    finally:
        await sock.disconnect()
    return ei.value.message


def expect_error_blocking(url, transports, timeout, want, **options):
    with pytest.raises(sioc.ConnectError) as ei:
        sioc.connect_blocking(url, transports=transports, reconnection=False, timeout=timeout,
                              wait_timeout=10, **options)
    assert want in ei.value.message, ei.value.message
    return ei.value.message


@pytest.mark.parametrize("mode,transports,timeout,want", CASES,
                         ids=["%s-%s" % (c[0], c[1][0] if c[1] else "upgrade") for c in CASES])
def test_bad_server(mode, transports, timeout, want):
    async def main():
        f = await FakeServer(mode).start()
        try:
            await expect_error(f.url, transports, timeout, want)
            assert f.requests   # the server was asked
            # the blocking client says the same (its threads end with it)
            await asyncio.to_thread(expect_error_blocking, f.url, transports, timeout, want)
        finally:
            await f.stop()
    run(main())


def test_unknown_sid():
    """The handshake works, the next poll is refused (400 "Session ID
    unknown"): the manager closes with "transport error" and, without
    reconnection, the socket never connects (as socket.io-client: no
    connect_error for a close before CONNECT, so wait_connected times out)."""
    async def main():
        f = await FakeServer("unknown-sid").start()
        try:
            sock = await sioc.connect(f.url, transports=["polling"], reconnection=False,
                                      timeout=2, wait=False)
            log = []
            sock.io.on("open", lambda: log.append("m:open"))
            sock.io.on("close", lambda reason: log.append("m:close " + reason))
            for n in ("connect", "connect_error", "disconnect"):
                sock.on(n, lambda *a, n=n: log.append(n))
            with pytest.raises(asyncio.TimeoutError):
                await sock.wait_connected(1)
            assert log == ["m:open", "m:close transport error"]
            assert not sock.connected and sock.id is None
            assert any(b"sid=abc" in r for r in f.requests)
            await sock.disconnect()
        finally:
            await f.stop()
    run(main())


def test_connection_refused_and_reconnect_failed():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = "http://127.0.0.1:%d" % port

    async def main():
        await expect_error(url, ["polling"], 2, "connection refused")
        await expect_error(url, ["websocket"], 2, "connection refused")
        # with reconnection: attempts, then reconnect_failed (and wait_connected gives up)
        sock = await sioc.connect(url, reconnection_attempts=2, reconnection_delay=0.02,
                                  reconnection_delay_max=0.05, wait=False)
        failed = asyncio.get_running_loop().create_future()
        sock.io.on("reconnect_failed", lambda: failed.done() or failed.set_result(True))
        await asyncio.wait_for(failed, 10)
        assert not sock.connected
        await sock.disconnect()
    run(main())


# ---- TLS ------------------------------------------------------------------------


def make_cert(tmp, name, san):
    cert, key = os.path.join(tmp, name + ".pem"), os.path.join(tmp, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=" + name, "-addext", "subjectAltName=" + san,
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
    return cert, key


class TLSProxy:
    """TLS on 127.0.0.1 (Python's ssl module) in front of a plain server."""

    def __init__(self, backend_port, cert, key):
        self.backend = backend_port
        self.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ctx.load_cert_chain(cert, key)
        self.tasks = set()
        self.handshakes = 0

    async def start(self):
        self.srv = await asyncio.start_server(self._conn, "127.0.0.1", 0, ssl=self.ctx)
        self.port = self.srv.sockets[0].getsockname()[1]
        return self

    async def _conn(self, r, w):
        self.handshakes += 1
        try:
            br, bw = await asyncio.open_connection("127.0.0.1", self.backend)
        except OSError:
            w.close()
            return

        async def pipe(src, dst):
            try:
                while True:
                    data = await src.read(65536)
                    if not data:
                        break
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError, ssl.SSLError):
                pass
            finally:
                dst.close()

        ts = [asyncio.ensure_future(pipe(r, bw)), asyncio.ensure_future(pipe(br, w))]
        self.tasks.update(ts)
        try:
            await asyncio.gather(*ts, return_exceptions=True)
        finally:
            self.tasks.difference_update(ts)

    async def stop(self):
        self.srv.close()
        for t in list(self.tasks):
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.srv.wait_closed()


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl CLI missing")
    tmp = str(tmp_path_factory.mktemp("tls"))
    return {"ip": make_cert(tmp, "sioc-test", "IP:127.0.0.1,DNS:localhost"),
            "other": make_cert(tmp, "other", "DNS:other.invalid")}


@pytest.fixture
def backend():
    s = Proc("sioc" if os.path.exists(SIOC_ECHO) else "python-socketio")
    yield s
    s.stop()


@pytest.mark.parametrize("mode", ["polling", "websocket", "upgrade"])
def test_tls(certs, backend, mode):
    transports = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": None}[mode]
    cert, key = certs["ip"]
    other, other_key = certs["other"]

    async def main():
        good = await TLSProxy(backend.port, cert, key).start()
        bad_name = await TLSProxy(backend.port, other, other_key).start()
        try:
            url = "https://127.0.0.1:%d" % good.port
            # self-signed, not trusted (system CAs)
            await expect_error(url, transports, 5, "certificate verification failed")
            await asyncio.to_thread(expect_error_blocking, url, transports, 5,
                                    "certificate verification failed")
            # trusted as CA, but issued for another name
            await expect_error("https://127.0.0.1:%d" % bad_name.port, transports, 5,
                               "certificate verification failed", ca_file=other)
            # a CA file that does not exist is refused, not ignored
            with pytest.raises((sioc.SiocError, OSError, ValueError)):
                s = await sioc.connect(url, transports=transports, reconnection=False,
                                       wait_timeout=5, ca_file="/nonexistent/ca.pem")
                await s.disconnect()
            # trusted through ca_file: a working connection, acks and binary both ways
            for opts in ({"ca_file": cert}, {"verify": False}):
                sock = await sioc.connect(url, transports=transports, reconnection=False,
                                          wait_timeout=10, **opts)
                try:
                    assert await sock.emit_with_ack("message-with-ack", 1, b"\x00tls",
                                                    timeout=5) == (1, b"\x00tls")
                    if mode == "upgrade":
                        for _ in range(100):
                            if sock.transport == "websocket":
                                break
                            await asyncio.sleep(0.05)
                    assert sock.transport == ("polling" if mode == "polling" else "websocket")
                finally:
                    await sock.disconnect()
            # the blocking client and sioc.compat's ssl_verify=False
            def blocking():
                s = sioc.connect_blocking(url, transports=transports, reconnection=False,
                                          wait_timeout=10, ca_file=cert)
                try:
                    return s.emit_with_ack("message-with-ack", "b", timeout=5)
                finally:
                    s.disconnect()
            assert await asyncio.to_thread(blocking) == "b"
            c = sioc.compat.AsyncClient(reconnection=False, ssl_verify=False)
            await c.connect(url, transports=transports, wait_timeout=10)
            try:
                assert await c.call("message-with-ack", "compat", timeout=5) == "compat"
            finally:
                await c.disconnect()
            assert good.handshakes >= 4   # TLS sessions that got through
        finally:
            await good.stop()
            await bad_name.stop()
    run(main(), timeout=60)
