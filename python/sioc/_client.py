"""sioc's Python client: AsyncClient (asyncio) and Client (threads), each a
socket.io-client Manager (one Engine.IO connection, reconnection with
backoff) whose sockets, one per namespace, are ClientSocket objects.

    sock = await sioc.connect("http://127.0.0.1:3000/chat", auth={"token": "t"})

    @sock.on("news")
    async def news(item):
        return "thanks"            # the ack, when the server asked for one

    sock.emit("hello", b"\\x00bytes", {"any": ["json"]})
    reply = await sock.emit_with_ack("echo", 1, timeout=5)
    await sock.disconnect()

Threading: the C manager runs on the loop thread of a ``_sioc.Core`` in
client mode (the same loop thread and queues as the server, see _sioc.c).
Calls here post commands; what happens on the network comes back as event
tuples, read through an eventfd by asyncio (AsyncClient) or by a dispatch
thread (Client), which hands handler calls to one handler thread so that a
blocking handler may itself wait for an ack.

Events on a socket fire under their socket.io 4 name and their classic 0.9
name (``sioc_client_event_name``): first connect ``connecting`` (its
argument: the transport the connection opened with) -> ``connect``; on loss ``disconnect`` -> ``reconnecting``... -> ``connecting``
-> ``reconnect`` -> ``connect``; ``connect_error`` and ``connect_failed``,
``error``, ``reconnect_failed``.  The manager (``sock.io``) has the
manager's names (``open``, ``close``, ``ping``, ``error``,
``reconnect_attempt``, ``reconnect_error``, ``reconnect``,
``reconnect_failed``).
"""
import asyncio
import concurrent.futures
import inspect
import itertools
import json
import logging
import queue
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Union
from urllib.parse import urlsplit

from . import _codec
from ._server import AckTimeoutError, ClosedError, SiocError
from ._sioc import (Core, ECLOSED, EMIT_VOLATILE, ETIMEDOUT, TRANSPORT_POLLING,
                    TRANSPORT_WEBSOCKET, client_event_name, strerror, CLIENT_EVENT_MAX)

logger = logging.getLogger("sioc")

_E_ACK, _E_CLOSED, _E_ERROR, _E_CL, _E_CL_AUTH = 6, 8, 9, 10, 11

# sioc_client_event_kind_t
CONNECTING, CONNECT, CONNECT_ERROR, DISCONNECT, EVENT, OPEN, CLOSE, PING, ERROR, \
    RECONNECT_ATTEMPT, RECONNECT_ERROR, RECONNECT, RECONNECT_FAILED = range(1, 14)

_NAMES: Dict[int, tuple] = {}
for _k in range(1, CLIENT_EVENT_MAX + 1):
    _sock = [n for n in (client_event_name(_k, 0), client_event_name(_k, 1)) if n]
    _NAMES[_k] = (tuple(dict.fromkeys(_sock)), client_event_name(_k, 2))

RESERVED_EVENTS = frozenset(["connect", "connect_error", "disconnect", "disconnecting",
                             "newListener", "removeListener"])


class ConnectError(SiocError, ConnectionError):
    """A connection attempt failed: ``message``, and ``data`` from the
    server's middleware (``next(err)`` with ``err.data``), else None."""

    def __init__(self, message: str, data: Any = None, err: int = 0):
        super().__init__(message)
        self.message = message
        self.data = data
        self.err = err


def _transports_mask(transports: Any) -> tuple:
    """-> (mask, upgrade) from None, "websocket" or a list of names."""
    if transports is None:
        return TRANSPORT_POLLING | TRANSPORT_WEBSOCKET, 1
    if isinstance(transports, str):
        transports = [transports]
    mask = 0
    for t in transports:
        if t == "polling":
            mask |= TRANSPORT_POLLING
        elif t == "websocket":
            mask |= TRANSPORT_WEBSOCKET
        else:
            raise ValueError("unknown transport %r (polling, websocket)" % (t,))
    if not mask:
        raise ValueError("transports must not be empty")
    upgrade = 1 if mask == (TRANSPORT_POLLING | TRANSPORT_WEBSOCKET) else 0
    return mask, upgrade


def _ms(seconds: Optional[float]) -> int:
    if seconds is None:
        return 0
    return max(1, int(round(float(seconds) * 1000)))


def _trim(fn: Callable, args: tuple) -> tuple:
    """Reserved events' arguments cut to what the handler accepts, so that
    ``def on_disconnect():`` and ``def on_disconnect(reason):`` both work."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return args
    n = 0
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            return args
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n += 1
    return args[:n]


def _ack_value(args: Sequence[Any]) -> Any:
    """Ack arguments as one value: none -> None, one -> it, more -> tuple
    (the server side's convention)."""
    if not args:
        return None
    return args[0] if len(args) == 1 else tuple(args)


class _Emitter:
    """on/once/off/on_any handler registry shared by sockets and managers."""

    def __init__(self) -> None:
        self._handlers: Dict[str, List[Callable]] = {}
        self._any: List[Callable] = []

    def on(self, event: str, handler: Optional[Callable] = None) -> Any:
        """Adds a handler; usable as ``@sock.on("event")``."""
        def add(fn: Callable) -> Callable:
            self._handlers.setdefault(event, []).append(fn)
            return fn
        return add(handler) if handler is not None else add

    def once(self, event: str, handler: Optional[Callable] = None) -> Any:
        """A handler that runs once."""
        def add(fn: Callable) -> Callable:
            def wrapper(*args: Any) -> Any:
                self.off(event, wrapper)
                return fn(*args)
            wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
            self._handlers.setdefault(event, []).append(wrapper)
            return fn
        return add(handler) if handler is not None else add

    def off(self, event: Optional[str] = None, handler: Optional[Callable] = None) -> None:
        """Removes one handler, every handler of an event, or all."""
        if event is None:
            self._handlers.clear()
            return
        if handler is None:
            self._handlers.pop(event, None)
            return
        hs = self._handlers.get(event, [])
        for h in list(hs):
            if h is handler or getattr(h, "__wrapped__", None) is handler:
                hs.remove(h)
                break

    def on_any(self, handler: Callable) -> Callable:
        """``handler(event, *args)`` for every event from the server."""
        self._any.append(handler)
        return handler

    def prepend_any(self, handler: Callable) -> Callable:
        """on_any, called before the handlers already added."""
        self._any.insert(0, handler)
        return handler

    def off_any(self, handler: Optional[Callable] = None) -> None:
        if handler is None:
            self._any.clear()
        elif handler in self._any:
            self._any.remove(handler)

    def listeners_any(self) -> List[Callable]:
        """The on_any handlers (a copy)."""
        return list(self._any)

    def listeners(self, event: str) -> List[Callable]:
        return list(self._handlers.get(event, ()))

    def has_listeners(self, event: str) -> bool:
        """Whether ``event`` has a handler."""
        return bool(self._handlers.get(event))


class _Volatile:
    def __init__(self, sock: "ClientSocket"):
        self._sock = sock

    def emit(self, event: str, *args: Any) -> None:
        """Emits now, or drops the packet when not connected."""
        self._sock._emit(event, args, EMIT_VOLATILE)


class _Timeout:
    def __init__(self, sock: "ClientSocket", seconds: float):
        self._sock, self._seconds = sock, seconds

    def emit_with_ack(self, event: str, *args: Any) -> Any:
        return self._sock.emit_with_ack(event, *args, timeout=self._seconds)

    def emit(self, event: str, *args: Any, callback: Optional[Callable] = None) -> None:
        """callback(err, *ack_args): err is None or an AckTimeoutError."""
        self._sock._emit_cb(event, args, callback, self._seconds, with_err=True)


class ClientSocket(_Emitter):
    """A client socket of one namespace (socket.io-client's Socket).

    ``id`` (None while disconnected), ``connected``, ``active``, ``nsp``,
    ``io`` (the manager: AsyncClient or Client), ``transport``.  Handlers may
    be plain functions or, with AsyncClient, coroutines; when the server
    asked for an ack, the handler's return value is the ack (None: no
    argument, a tuple: several)."""

    def __init__(self, manager: "_ClientBase", nsp: str, auth: Any = None):
        super().__init__()
        self.io = manager
        self.nsp = nsp
        self.auth = auth
        self.id: Optional[str] = None
        self.connected = False
        self.active = False
        self.recovered = False
        self._owns_manager = False
        self._waiters: List[Any] = []
        self._any_out: List[Callable] = []

    def __repr__(self) -> str:
        return "<sioc.ClientSocket %s id=%s connected=%s>" % (self.nsp, self.id, self.connected)

    # -- connection -----------------------------------------------------------
    def connect(self) -> "ClientSocket":
        """Joins the namespace (opening the connection if needed); returns
        at once.  Reconnects automatically after losses (manager options)."""
        self.active = True
        auth = self.auth
        if callable(auth):
            self.io._core.cl_connect(self.nsp, None, True)
        else:
            self.io._core.cl_connect(self.nsp, None if auth is None else json.dumps(auth), False)
        return self

    open = connect

    def _disconnect(self) -> None:
        self.active = False
        if self.io._closing:
            return
        self.io._core.cl_disconnect(self.nsp)
        if self._owns_manager:
            self.io._start_close()

    @property
    def transport(self) -> Optional[str]:
        """"polling" or "websocket" while open, else None."""
        st = self.io._state(self.nsp)
        return st[0] if st else None

    @property
    def disconnected(self) -> bool:
        return not self.connected

    @property
    def volatile(self) -> _Volatile:
        """``sock.volatile.emit(...)``: dropped instead of buffered offline."""
        return _Volatile(self)

    def compress(self, flag: bool = True) -> "ClientSocket":
        """Accepted for API parity (no compression)."""
        return self

    # -- outgoing listeners ---------------------------------------------------
    def on_any_outgoing(self, handler: Callable) -> Callable:
        """``handler(event, *args)`` for every event this socket emits while
        connected (at the emit call; events buffered offline are not
        reported, as with sioc's Node client)."""
        self._any_out.append(handler)
        return handler

    def prepend_any_outgoing(self, handler: Callable) -> Callable:
        """on_any_outgoing, called before the handlers already added."""
        self._any_out.insert(0, handler)
        return handler

    def off_any_outgoing(self, handler: Optional[Callable] = None) -> None:
        if handler is None:
            self._any_out.clear()
        elif handler in self._any_out:
            self._any_out.remove(handler)

    def listeners_any_outgoing(self) -> List[Callable]:
        """The on_any_outgoing handlers (a copy)."""
        return list(self._any_out)

    def _notify_out(self, event: str, args: Sequence[Any]) -> None:
        if self._any_out and self.connected:
            for h in list(self._any_out):
                h(event, *args)

    def timeout(self, seconds: float) -> _Timeout:
        """``sock.timeout(5).emit_with_ack(...)`` / ``.emit(..., callback=)``."""
        return _Timeout(self, seconds)

    # -- emitting -------------------------------------------------------------
    def _emit(self, event: str, args: Sequence[Any], flags: int = 0) -> None:
        if not isinstance(event, str):
            raise TypeError("event name must be a str")
        text, bins = _codec.encode(args)
        self._notify_out(event, args)
        self.io._post("cl_emit", self.nsp, event, text, bins, flags)

    def emit(self, event: str, *args: Any, callback: Optional[Callable] = None) -> None:
        """Sends an event (buffered while offline).  ``callback(*ack_args)``
        runs when the server acknowledges."""
        if callback is not None:
            self._emit_cb(event, args, callback, None, with_err=False)
        else:
            self._emit(event, args)

    def send(self, *args: Any, callback: Optional[Callable] = None) -> None:
        """emit("message", ...)"""
        self.emit("message", *args, callback=callback)

    def _emit_cb(self, event: str, args: Sequence[Any], callback: Optional[Callable],
                 timeout: Optional[float], with_err: bool) -> None:
        text, bins = _codec.encode(args)
        self._notify_out(event, args)
        req = self.io._new_request(("cb-err" if with_err else "cb", callback))
        self.io._post("cl_emit_ack", self.nsp, event, text, bins, 0, _ms(timeout), req)

    def _emit_future(self, event: str, args: Sequence[Any], timeout: Optional[float],
                     fut: Any) -> None:
        text, bins = _codec.encode(args)
        self._notify_out(event, args)
        req = self.io._new_request(("fut", fut))
        self.io._post("cl_emit_ack", self.nsp, event, text, bins, 0, _ms(timeout), req)

    # -- from the core --------------------------------------------------------
    def _on_client_event(self, ev: tuple) -> None:
        _, kind, _nsp, message, name_or_id, data, bins, ack_id, err, attempt = ev
        if kind == EVENT:
            args = _codec.decode(data, bins)
            self.io._run_event(self, name_or_id, args, ack_id)
            return
        if kind == CONNECT:
            self.id, self.connected, self.active = name_or_id, True, True
            self._wake(None)
            args: tuple = ()
        elif kind == DISCONNECT:
            self.id, self.connected = None, False
            if message in ("io client disconnect", "io server disconnect"):
                self.active = False
            args = (message,)
        elif kind == CONNECT_ERROR:
            d = json.loads(data) if data else None
            exc = ConnectError(message or "connect error", d, err)
            if d is not None or err == 0:
                self.active = False   # refused by the server: no retry
            self._wake(exc)
            args = (exc,)
        elif kind == ERROR:
            args = (ConnectError(message or strerror(err), None, err),)
        elif kind in (RECONNECT_ATTEMPT, RECONNECT):
            args = (attempt,)
        elif kind == CONNECTING:
            args = (name_or_id,)   # the transport the connection opened with
        elif kind == RECONNECT_FAILED:
            self.active = False
            self._wake(ConnectError("reconnection failed"))
            args = ()
        else:
            args = ()
        for name in _NAMES[kind][0]:
            self.io._run_local(self, name, args)

    def _wake(self, exc: Optional[BaseException]) -> None:
        ws, self._waiters = self._waiters, []
        for w in ws:
            self.io._set_future(w, exc, self)


class _ClientBase(_Emitter):
    """A manager: one connection to ``url`` for sockets of many namespaces.

    Options (socket.io-client's, in Python spelling; times in seconds):
    ``path`` ("/socket.io/"), ``transports`` (["polling", "websocket"]:
    polling upgraded to WebSocket; ["websocket"]; ["polling"]), ``query``
    (dict or "a=1&b=2"), ``headers`` (dict), ``reconnection`` (True),
    ``reconnection_attempts`` (None: infinite), ``reconnection_delay`` (1),
    ``reconnection_delay_max`` (5), ``randomization_factor`` (0.5),
    ``timeout`` (20: per connection attempt), ``ca_file``, ``verify``
    (True: TLS certificates are checked)."""

    def __init__(self, url: str, *, path: str = "/socket.io/", transports: Any = None,
                 query: Any = None, headers: Optional[Dict[str, str]] = None,
                 extra_headers: Optional[Dict[str, str]] = None,
                 reconnection: bool = True, reconnection_attempts: Optional[int] = None,
                 reconnection_delay: float = 1.0, reconnection_delay_max: float = 5.0,
                 randomization_factor: float = 0.5, timeout: Optional[float] = 20.0,
                 ca_file: Optional[str] = None, verify: bool = True):
        super().__init__()
        self.url = url
        mask, upgrade = _transports_mask(transports)
        if isinstance(query, dict):
            from urllib.parse import urlencode
            query = urlencode(query)
        hdrs = dict(headers or {})
        hdrs.update(extra_headers or {})
        if not path.startswith("/"):
            path = "/" + path
        if not path.endswith("/"):
            path += "/"
        attempts = -1 if reconnection_attempts is None or reconnection_attempts == float("inf") \
            else int(reconnection_attempts)
        self._core = Core()
        self._core.start_client(
            url, path, mask, upgrade, query or None,
            [(str(k), str(v)) for k, v in hdrs.items()], bool(reconnection), attempts,
            _ms(reconnection_delay) if reconnection_delay else 0,
            _ms(reconnection_delay_max) if reconnection_delay_max else 0,
            float(randomization_factor), _ms(timeout), ca_file, bool(verify))
        self._sockets: Dict[str, ClientSocket] = {}
        self._requests: Dict[int, tuple] = {}
        self._req_ids = itertools.count(1)
        self._closing = False
        self._closed = False

    def __repr__(self) -> str:
        return "<sioc.%s %s>" % (type(self).__name__, self.url)

    def socket(self, nsp: str = "/", auth: Any = None) -> ClientSocket:
        """The socket for namespace nsp (created on first use, not connected:
        call its connect()).  auth: a dict, or a function returning one (a
        coroutine function with AsyncClient), called on every attempt."""
        if not nsp.startswith("/"):
            nsp = "/" + nsp
        s = self._sockets.get(nsp)
        if s is None:
            s = self._sockets[nsp] = self._socket_cls(self, nsp, auth)
        elif auth is not None:
            s.auth = auth
        return s

    @property
    def transport(self) -> Optional[str]:
        st = self._state("/")
        return st[0] if st else None

    def _state(self, nsp: str) -> Optional[list]:
        if self._closed:
            return None
        txt = self._core.cl_state(nsp)
        return json.loads(txt) if txt else None

    def _post(self, method: str, *args: Any) -> None:
        if self._closing:
            raise ClosedError("the client is closed")
        getattr(self._core, method)(*args)

    def _new_request(self, what: tuple) -> int:
        req = next(self._req_ids)
        self._requests[req] = what
        return req

    def _start_close(self) -> None:
        if not self._closing:
            self._closing = True
            self._core.close()

    def _on_events(self, events: list) -> None:
        for ev in events:
            try:
                self._on_event(ev)
            except Exception:
                logger.exception("sioc: error while dispatching client event %r", ev[:3])

    def _on_event(self, ev: tuple) -> None:
        kind = ev[0]
        if kind == _E_CL:
            if ev[2] is None:   # manager event
                k = ev[1]
                name = _NAMES[k][1]
                if not name:
                    return
                if k in (ERROR, RECONNECT_ERROR):
                    args: tuple = (ConnectError(ev[3] or strerror(ev[8]), None, ev[8]),)
                elif k in (RECONNECT_ATTEMPT, RECONNECT):
                    args = (ev[9],)
                elif k == CLOSE:
                    args = (ev[3],)
                else:
                    args = ()
                self._run_local(None, name, args)
            else:
                s = self._sockets.get(ev[2])
                if s is not None:
                    s._on_client_event(ev)
        elif kind == _E_CL_AUTH:
            s = self._sockets.get(ev[1])
            self._run_auth(s, ev[1])
        elif kind == _E_ACK:
            what = self._requests.pop(ev[1], None)
            if what is None:
                return
            err = ev[2]
            exc: Optional[Exception] = None
            if err:
                exc = (AckTimeoutError("operation has timed out") if err == ETIMEDOUT
                       else ClosedError("socket has been disconnected" if err == ECLOSED
                                        else strerror(err)))
            args = () if exc else tuple(_codec.decode(ev[3], ev[4]))
            self._resolve(what, exc, args)
        elif kind == _E_ERROR:
            logger.warning("sioc client: %s", ev[1])
        elif kind == _E_CLOSED:
            self._on_closed()

    def _resolve(self, what: tuple, exc: Optional[Exception], args: tuple) -> None:
        kind, target = what
        if kind == "fut":
            self._set_future(target, exc, _ack_value(args))
        elif kind == "cb":
            if exc is None:
                self._call(None, target, args)
        else:   # cb-err
            self._call(None, target, (exc,) if exc else (None,) + args)

    def _auth_value(self, s: Optional[ClientSocket]) -> Any:
        a = s.auth if s is not None else None
        return a() if callable(a) else a

    def _auth_reply(self, nsp: str, value: Any) -> None:
        if not self._closing:
            self._core.cl_auth(nsp, None if value is None else json.dumps(value))

    def _run_local(self, sock: Optional[ClientSocket], name: str, args: tuple) -> None:
        target = sock if sock is not None else self
        for fn in target.listeners(name):
            self._call(sock, fn, _trim(fn, args))

    def _run_event(self, sock: ClientSocket, name: str, args: list, ack_id: int) -> None:
        fns = sock.listeners(name)
        for fn in list(sock._any):
            self._call(sock, fn, (name, *args))
        if not fns:
            if ack_id >= 0:
                logger.debug("sioc: no handler for %r; its ack stays unanswered", name)
            return
        for i, fn in enumerate(fns):
            self._call(sock, fn, tuple(args),
                       ack=(sock.nsp, ack_id) if ack_id >= 0 and i == 0 else None)

    def _send_ack(self, ack: tuple, result: Any) -> None:
        if self._closing:
            return
        text, bins = _codec.encode(_codec.ack_args(result))
        self._core.cl_ack(ack[0], ack[1], text, bins)

    def _fail_all(self) -> None:
        for req, what in list(self._requests.items()):
            self._resolve(what, ClosedError("the client is closed"), ())
        self._requests.clear()
        for s in self._sockets.values():
            s.connected, s.active, s.id = False, False, None
            s._wake(ClosedError("the client is closed"))

    # flavour-specific: _call, _run_auth, _set_future, _on_closed


class AsyncClient(_ClientBase):
    """The asyncio client (a manager).  Create it inside a running loop::

        client = sioc.AsyncClient("http://127.0.0.1:3000", transports=["websocket"])
        chat = client.socket("/chat", auth={"token": "t"}).connect()
        await chat.wait_connected()
        ...
        await client.close()

    ``sioc.connect(url, ...)`` does all of this for the URL's namespace."""

    def __init__(self, url: str, **options: Any):
        self._loop = asyncio.get_running_loop()
        super().__init__(url, **options)
        self._tasks: Set[asyncio.Task] = set()
        self._closed_fut = self._loop.create_future()
        self._loop.add_reader(self._core.fileno(), self._readable)

    def _readable(self) -> None:
        self._on_events(self._core.drain())

    def _call(self, sock: Optional[ClientSocket], fn: Callable, args: tuple,
              ack: Optional[tuple] = None) -> None:
        try:
            r = fn(*args)
        except Exception:
            logger.exception("sioc: client handler %r failed", fn)
            return
        if inspect.isawaitable(r):
            async def finish() -> None:
                try:
                    v = await r
                except Exception:
                    logger.exception("sioc: client handler %r failed", fn)
                    return
                if ack is not None:
                    self._send_ack(ack, v)
            t = self._loop.create_task(finish())
            self._tasks.add(t)
            t.add_done_callback(self._tasks.discard)
        elif ack is not None:
            self._send_ack(ack, r)

    def _run_auth(self, s: Optional[ClientSocket], nsp: str) -> None:
        try:
            v = self._auth_value(s)
        except Exception:
            logger.exception("sioc: auth function failed")
            v = None
        if inspect.isawaitable(v):
            async def finish() -> None:
                try:
                    val = await v
                except Exception:
                    logger.exception("sioc: auth function failed")
                    val = None
                self._auth_reply(nsp, val)
            t = self._loop.create_task(finish())
            self._tasks.add(t)
            t.add_done_callback(self._tasks.discard)
        else:
            self._auth_reply(nsp, v)

    def _set_future(self, fut: asyncio.Future, exc: Optional[BaseException], value: Any) -> None:
        if not fut.done():
            if exc is not None:
                fut.set_exception(exc)
            else:
                fut.set_result(value)

    def _on_closed(self) -> None:
        self._core.join_thread()
        self._loop.remove_reader(self._core.fileno())
        self._closing = self._closed = True
        self._fail_all()
        if not self._closed_fut.done():
            self._closed_fut.set_result(None)

    async def close(self) -> None:
        """Disconnects every socket ("io client disconnect"), stops
        reconnecting, fails pending acks and waits for the loop thread."""
        self._start_close()
        await asyncio.shield(self._closed_fut)
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def wait_closed(self) -> None:
        await asyncio.shield(self._closed_fut)


class AsyncClientSocket(ClientSocket):
    """ClientSocket of an AsyncClient: ``emit_with_ack`` and
    ``wait_connected`` are coroutines, ``disconnect()`` returns an awaitable
    (awaiting it is optional; it completes once the socket is closed)."""

    async def emit_with_ack(self, event: str, *args: Any, timeout: Optional[float] = None) -> Any:
        """Emits and waits for the server's ack: None (no argument), the
        value, or a tuple of several.  AckTimeoutError after timeout
        seconds; ClosedError if the client closes first."""
        fut = self.io._loop.create_future()
        self._emit_future(event, args, timeout, fut)
        return await fut

    async def wait_connected(self, timeout: Optional[float] = None) -> "AsyncClientSocket":
        """Waits until connected.  Raises ConnectError when the server
        refuses (connect_error from middleware) or reconnection gives up,
        asyncio.TimeoutError after timeout."""
        if self.connected:
            return self
        fut = self.io._loop.create_future()
        self._waiters.append(fut)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
        finally:
            if fut in self._waiters:
                self._waiters.remove(fut)

    def disconnect(self) -> "asyncio.Future":
        """Leaves the namespace and stops reconnecting; a socket made by
        sioc.connect() also closes its client."""
        self._disconnect()
        if self._owns_manager:
            return asyncio.ensure_future(self.io.close())
        f = self.io._loop.create_future()
        f.set_result(None)
        return f

    close = disconnect


class Client(_ClientBase):
    """The blocking client (a manager); handlers run on one handler thread,
    in order, and may block (even on emit_with_ack)::

        client = sioc.Client("http://127.0.0.1:3000")
        sock = client.socket("/").connect().wait_connected(5)
        print(sock.emit_with_ack("echo", 1, timeout=5))
        client.close()

    ``sioc.connect_blocking(url, ...)`` does this for the URL's namespace."""

    def __init__(self, url: str, **options: Any):
        super().__init__(url, **options)
        self._closed_evt = threading.Event()
        self._jobs: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self._lock = threading.RLock()
        self._thread = threading.Thread(target=self._dispatch_loop, name="sioc-client-dispatch",
                                        daemon=True)
        self._worker = threading.Thread(target=self._work_loop, name="sioc-client-handler",
                                        daemon=True)
        self._thread.start()
        self._worker.start()

    def socket(self, nsp: str = "/", auth: Any = None) -> "ClientSocket":
        with self._lock:
            return super().socket(nsp, auth)

    def _new_request(self, what: tuple) -> int:
        with self._lock:
            return super()._new_request(what)

    def _dispatch_loop(self) -> None:
        while True:
            evs = self._core.wait(0.5)
            if evs:
                with self._lock:
                    self._on_events(evs)
                if any(e[0] == _E_CLOSED for e in evs):
                    self._jobs.put(None)
                    return

    def _work_loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, args, ack = job
            try:
                r = fn(*args)
            except Exception:
                logger.exception("sioc: client handler %r failed", fn)
                continue
            if ack is not None:
                self._send_ack(ack, r)

    def _call(self, sock: Optional[ClientSocket], fn: Callable, args: tuple,
              ack: Optional[tuple] = None) -> None:
        self._jobs.put((fn, args, ack))

    def _run_auth(self, s: Optional[ClientSocket], nsp: str) -> None:
        self._jobs.put((lambda: self._auth_reply(nsp, self._auth_value(s)), (), None))

    def _set_future(self, fut: concurrent.futures.Future, exc: Optional[BaseException],
                    value: Any) -> None:
        if not fut.done():
            if exc is not None:
                fut.set_exception(exc)
            else:
                fut.set_result(value)

    def _on_closed(self) -> None:
        self._core.join_thread()
        self._closing = self._closed = True
        self._fail_all()
        self._closed_evt.set()

    def close(self, timeout: float = 10.0) -> None:
        """Disconnects every socket, stops reconnecting, and waits for the
        loop, dispatch and handler threads (unless called from a handler)."""
        with self._lock:
            self._start_close()
        me = threading.current_thread()
        if me is not self._thread:
            self._closed_evt.wait(timeout)
            self._thread.join(timeout)
        if me is not self._worker and me is not self._thread:
            self._worker.join(timeout)

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until the client is closed; False on timeout."""
        return self._closed_evt.wait(timeout)


class BlockingClientSocket(ClientSocket):
    """ClientSocket of a (blocking) Client."""

    def emit_with_ack(self, event: str, *args: Any, timeout: Optional[float] = None) -> Any:
        """Emits and blocks for the server's ack (see AsyncClientSocket)."""
        fut: concurrent.futures.Future = concurrent.futures.Future()
        self._emit_future(event, args, timeout, fut)
        try:
            return fut.result()
        except concurrent.futures.CancelledError:   # pragma: no cover
            raise ClosedError("the client is closed") from None

    def wait_connected(self, timeout: Optional[float] = None) -> "BlockingClientSocket":
        """Blocks until connected (see AsyncClientSocket.wait_connected);
        TimeoutError after timeout."""
        fut: concurrent.futures.Future = concurrent.futures.Future()
        with self.io._lock:  # type: ignore[attr-defined]
            if self.connected:
                return self
            self._waiters.append(fut)
        try:
            return fut.result(timeout)
        except concurrent.futures.TimeoutError:
            raise TimeoutError("not connected after %ss" % timeout) from None
        finally:
            with self.io._lock:  # type: ignore[attr-defined]
                if fut in self._waiters:
                    self._waiters.remove(fut)

    def disconnect(self) -> "BlockingClientSocket":
        """Leaves the namespace and stops reconnecting; a socket made by
        sioc.connect_blocking() also closes its client (and waits)."""
        with self.io._lock:  # type: ignore[attr-defined]
            self._disconnect()
        if self._owns_manager:
            self.io.close()  # type: ignore[attr-defined]
        return self

    close = disconnect


AsyncClient._socket_cls = AsyncClientSocket  # type: ignore[attr-defined]
Client._socket_cls = BlockingClientSocket  # type: ignore[attr-defined]



def _split(url: str, namespace: Optional[str]) -> tuple:
    parts = urlsplit(url)
    nsp = namespace or parts.path or "/"
    return url, nsp


async def connect(url: str, *, auth: Any = None, namespace: Optional[str] = None,
                  wait: bool = True, wait_timeout: Optional[float] = None,
                  **options: Any) -> AsyncClientSocket:
    """io(url, opts): an AsyncClient for url and its socket for the URL's
    path (or ``namespace``), connected.  Options: see AsyncClient.  With
    ``wait`` (default) it returns once connected and raises ConnectError
    when refused; ``disconnect()`` on the socket closes the client."""
    url, nsp = _split(url, namespace)
    client = AsyncClient(url, **options)
    sock = client.socket(nsp, auth)
    sock._owns_manager = True
    sock.connect()
    if wait:
        try:
            await sock.wait_connected(wait_timeout)
        except BaseException:
            await client.close()
            raise
    return sock  # type: ignore[return-value]


def connect_blocking(url: str, *, auth: Any = None, namespace: Optional[str] = None,
                     wait: bool = True, wait_timeout: Optional[float] = None,
                     **options: Any) -> BlockingClientSocket:
    """The blocking flavour of connect() (a Client and its socket)."""
    url, nsp = _split(url, namespace)
    client = Client(url, **options)
    sock = client.socket(nsp, auth)
    sock._owns_manager = True
    sock.connect()
    if wait:
        try:
            sock.wait_connected(wait_timeout)  # type: ignore[attr-defined]
        except BaseException:
            client.close()
            raise
    return sock  # type: ignore[return-value]
