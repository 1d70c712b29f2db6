"""sioc's Python API: Server (asyncio), BlockingServer (threads), Namespace,
Socket and BroadcastOperator, over the C core in ``sioc._sioc``.

Threading: the core runs its libuv loop on its own thread.  Calls below post
commands to it (emits and room changes are fire-and-forget, queries wait for
the loop's answer); what happens on the network arrives as batches of event
tuples, read by asyncio through an eventfd (Server) or by a dispatch thread
(BlockingServer).  Python objects live only on the Python side.
"""
import asyncio
import concurrent.futures
import inspect
import itertools
import json
import logging
import mimetypes
import os
import re
import signal
import threading
import time
import weakref
from collections import deque
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Union
from urllib.parse import parse_qsl

from . import _codec
from ._sioc import Core, BCAST_VOLATILE, BCAST_LOCAL, BCAST_COMPRESS, ETIMEDOUT, strerror

logger = logging.getLogger("sioc")

# Event tuple kinds from the core (python/sioc/_sioc.c).
_E_CONNECT, _E_MIDDLEWARE, _E_EVENT, _E_DISCONNECTING, _E_DISCONNECT, \
    _E_ACK, _E_BACK, _E_CLOSED, _E_ERROR = range(1, 10)
_E_CLUSTER, _E_FETCH_DATA, _E_SERVER_SIDE, _E_LOG = 12, 13, 14, 15
_E_UPGRADE, _E_SOCK_ERROR, _E_CONN_ERROR = 16, 17, 18
# Core.cluster() operations
_CL_FETCH, _CL_ALL_ROOMS, _CL_SERVER_COUNT, _CL_SERVER_SIDE_EMIT = range(4)

RESERVED_EVENTS = frozenset(["connect", "connect_error", "disconnect", "disconnecting",
                             "newListener", "removeListener"])
_LOCAL_EVENTS = frozenset(["disconnect", "disconnecting", "error"])
# Disconnect reasons that leave the connection open (only the namespace goes).
_NAMESPACE_REASONS = frozenset(["client namespace disconnect", "server namespace disconnect"])


class SiocError(Exception):
    """Base class of sioc's exceptions."""


class ClosedError(SiocError):
    """The socket is disconnected or the server is closed."""


class AckTimeoutError(SiocError, TimeoutError):
    """A client did not acknowledge in time."""


class MiddlewareError(SiocError):
    """Raise (or pass to ``next``) from a middleware to refuse a connection;
    ``message`` and ``data`` reach the client's connect_error."""

    def __init__(self, message: str = "Connection rejected by server", data: Any = None):
        super().__init__(message)
        self.message = message
        self.data = data


# Python-friendly option spellings -> socket.io names.
_SNAKE = {
    "path": "path", "ping_interval": "pingInterval", "ping_timeout": "pingTimeout",
    "connect_timeout": "connectTimeout", "upgrade_timeout": "upgradeTimeout",
    "max_http_buffer_size": "maxHttpBufferSize", "transports": "transports",
    "allow_upgrades": "allowUpgrades", "cors": "cors", "allow_eio3": "allowEIO3",
    "per_message_deflate": "perMessageDeflate", "http_compression": "httpCompression",
    "cookie": "cookie", "max_attachments": "maxAttachments",
    "max_header_bytes": "maxHeaderBytes", "max_websocket_fragments": "maxWebSocketFragments",
    "max_buffered_bytes": "maxBufferedBytes", "max_connections": "maxConnections",
    "add_trailing_slash": "addTrailingSlash",
    "cleanup_empty_child_namespaces": "cleanupEmptyChildNamespaces",
}


class RedisAdapter:
    """The Redis cluster adapter, for ``Server(adapter=RedisAdapter(url))``.

    The server joins the cluster of the Redis server at ``url``
    (``redis://[[user]:password@]host[:port][/db]``) and speaks
    @socket.io/redis-adapter 8.x's wire format, so sioc servers (C, Node,
    Python) and socket.io servers with @socket.io/redis-adapter share rooms
    and broadcasts.  ``key`` is the channel prefix; ``requests_timeout``
    (seconds) bounds the cluster queries (fetch_sockets, all_rooms,
    server_side_emit acks), which raise AckTimeoutError past it;
    ``publish_on_specific_response_channel`` as socket.io's option.
    ``max_message_bytes`` (16 MiB) drops longer messages from the cluster;
    ``max_buffered_bytes`` (16 MiB) bounds what waits for a Redis that does
    not read (past it, what this server publishes is dropped, logged).  The
    adapter itself runs in C: Redis outages never stop local delivery, and
    the core reconnects with backoff.  Polling clients behind a load
    balancer need sticky sessions."""

    __slots__ = ("url", "key", "requests_timeout", "publish_on_specific_response_channel",
                 "max_message_bytes", "max_buffered_bytes")

    def __init__(self, url: str, key: str = "socket.io", requests_timeout: float = 5.0,
                 publish_on_specific_response_channel: bool = False,
                 max_message_bytes: int = 16 << 20, max_buffered_bytes: int = 16 << 20):
        if not isinstance(url, str) or not url.startswith("redis://"):
            raise ValueError("RedisAdapter needs a redis:// URL, got %r" % (url,))
        if not isinstance(key, str) or not key:
            raise ValueError("RedisAdapter key must be a non-empty str")
        if not isinstance(requests_timeout, (int, float)) or requests_timeout <= 0:
            raise ValueError("RedisAdapter requests_timeout must be > 0 seconds")
        for name, v in (("max_message_bytes", max_message_bytes),
                        ("max_buffered_bytes", max_buffered_bytes)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError("RedisAdapter %s must be a positive int" % name)
        self.url = url
        self.key = key
        self.requests_timeout = float(requests_timeout)
        self.publish_on_specific_response_channel = bool(publish_on_specific_response_channel)
        self.max_message_bytes = max_message_bytes
        self.max_buffered_bytes = max_buffered_bytes

    def __repr__(self) -> str:
        return "RedisAdapter(%r, key=%r)" % (self.url, self.key)


class RemoteSocket:
    """A socket of another server of the cluster, as fetch_sockets() returns
    it: ``id`` (and ``sid``), ``handshake``, ``rooms``, ``data``;
    emit/join/leave/disconnect go through the cluster.

    ``emit(event, *args, callback=cb)`` calls ``cb(value)`` with the
    client's answer, as ``Socket.emit(callback=)`` and python-socketio's
    ``emit(..., to=sid, callback=)`` call it with the client's ack
    arguments -- but the cluster carries only the first one (socket.io's
    RemoteSocket gives a single response too), so ``cb`` gets exactly one:
    that argument, or None when the client sent none or has left.  After
    ``timeout(seconds)`` (else the adapter's requests_timeout) without an
    answer, ``cb(AckTimeoutError)``.  ``emit_with_ack`` returns that one
    value or raises AckTimeoutError."""

    def __init__(self, nsp: "Namespace", details: dict, timeout: Optional[float] = None):
        self.nsp = nsp
        self.id = details.get("id")
        self.sid = self.id
        self.handshake = details.get("handshake") or {}
        self.rooms: Set[str] = set(details.get("rooms") or ())
        self.data = details.get("data")
        self._details = details
        self._timeout = timeout

    def __repr__(self) -> str:
        return "<sioc.RemoteSocket %s>" % self.id

    def _op(self) -> "BroadcastOperator":
        op = self.nsp.to(self.id)
        return op if self._timeout is None else op.timeout(self._timeout)

    def timeout(self, seconds: float) -> "RemoteSocket":
        """The same socket, with an ack timeout for emit/emit_with_ack."""
        return RemoteSocket(self.nsp, self._details, seconds)

    def emit(self, event: str, *args: Any, callback: Optional[Callable] = None) -> None:
        _check_event(event)
        if callback is None:
            self._op().emit(event, *args)
        else:
            self._op()._emit_ack(event, args, ("remote-cb", callback))

    def emit_with_ack(self, event: str, *args: Any) -> Any:
        """The client's answer (its first ack argument), awaitable with
        Server; AckTimeoutError past the timeout."""
        _check_event(event)
        srv = self.nsp.server
        fut = srv._new_future()
        self._op()._emit_ack(event, args, ("remote-fut", fut))
        return srv._result(fut)

    def join(self, rooms: Union[str, Iterable[str]]) -> None:
        self.nsp.to(self.id).sockets_join(rooms)

    def leave(self, room: str) -> None:
        self.nsp.to(self.id).sockets_leave(room)

    def disconnect(self, close: bool = False) -> "RemoteSocket":
        self.nsp.to(self.id).disconnect_sockets(close)
        return self


def _cluster_error(what: str, err: int, message: Optional[str]) -> Exception:
    """A cluster query's error, in the core's (socket.io's) words."""
    text = message or "%s: %s" % (what, strerror(err))
    return AckTimeoutError(text) if err == ETIMEDOUT else ClosedError(text)


def _signature_takes_ack(fn: Callable) -> bool:
    try:
        return "ack" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


# Whether a handler has an ``ack`` parameter, asked on every event: the
# answer is kept per function (inspect.signature costs ~13 us, more than
# the rest of an event's dispatch).  Bound methods are keyed by their
# function; entries go with the function.
_ack_param: "weakref.WeakKeyDictionary[Any, bool]" = weakref.WeakKeyDictionary()


def _takes_ack(fn: Callable) -> bool:
    key = getattr(fn, "__func__", fn)
    try:
        return _ack_param[key]
    except KeyError:
        pass
    except TypeError:   # not weak-referenceable or not hashable
        return _signature_takes_ack(fn)
    r = _signature_takes_ack(fn)
    try:
        _ack_param[key] = r
    except TypeError:
        pass
    return r


def _is_coro_fn(fn: Callable) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None))


def _build_handshake(text: str) -> dict:
    hs = json.loads(text)
    issued = int(hs.get("time", time.time() * 1000))
    query: Dict[str, str] = {}
    for k, v in parse_qsl(hs.get("query", ""), keep_blank_values=True):
        query[k] = v
    return {
        "headers": hs.get("headers", {}),
        "time": time.strftime("%a %b %d %Y %H:%M:%S GMT", time.gmtime(issued / 1000)),
        "address": hs.get("address", ""),
        "xdomain": bool(hs.get("xdomain")),
        "secure": bool(hs.get("secure")),
        "issued": issued,
        "url": hs.get("url", ""),
        "query": query,
        "auth": hs.get("auth", {}),
    }


def _rooms_tuple(rooms: Union[str, Iterable[str]]) -> tuple:
    if isinstance(rooms, str):
        return (rooms,)
    out = tuple(rooms)
    for r in out:
        if not isinstance(r, str):
            raise TypeError("room names must be str, not %s" % type(r).__name__)
    return out


# --------------------------------------------------------------------------
# Broadcasting

class BroadcastOperator:
    """A set of target sockets: ``io.to(room).except_(other).emit(...)``.

    Immutable: every modifier returns a new operator.  A broadcast is one call
    into the C core, which encodes the packet once for all recipients."""

    __slots__ = ("_nsp", "_rooms", "_except", "_flags", "_timeout")

    def __init__(self, nsp: "Namespace", rooms: tuple = (), except_: tuple = (),
                 flags: int = 0, timeout: Optional[float] = None):
        self._nsp = nsp
        self._rooms = rooms
        self._except = except_
        self._flags = flags
        self._timeout = timeout

    def _with(self, **kw: Any) -> "BroadcastOperator":
        d = dict(rooms=self._rooms, except_=self._except, flags=self._flags,
                 timeout=self._timeout)
        d.update(kw)
        return BroadcastOperator(self._nsp, **d)

    def to(self, room: Union[str, Iterable[str]]) -> "BroadcastOperator":
        """Adds rooms to the targets (sockets in any of them)."""
        return self._with(rooms=self._rooms + tuple(
            r for r in _rooms_tuple(room) if r not in self._rooms))

    in_ = to

    def except_(self, room: Union[str, Iterable[str]]) -> "BroadcastOperator":
        """Excludes sockets in these rooms."""
        return self._with(except_=self._except + _rooms_tuple(room))

    @property
    def volatile(self) -> "BroadcastOperator":
        """Skip clients that cannot take the packet right now."""
        return self._with(flags=self._flags | BCAST_VOLATILE)

    @property
    def local(self) -> "BroadcastOperator":
        """This process only (relevant with a cluster adapter)."""
        return self._with(flags=self._flags | BCAST_LOCAL)

    def compress(self, flag: bool = True) -> "BroadcastOperator":
        """Accepted for API parity (no compression)."""
        return self._with(flags=(self._flags | BCAST_COMPRESS) if flag
                          else (self._flags & ~BCAST_COMPRESS))

    def timeout(self, seconds: float) -> "BroadcastOperator":
        """Ack timeout for ``emit(..., callback=)`` / ``emit_with_ack``."""
        return self._with(timeout=seconds)

    def emit(self, event: str, *args: Any, callback: Optional[Callable] = None) -> None:
        """Sends ``event`` with ``args`` to every target.  With ``callback``,
        it is called as callback(err, responses) once every client answered
        or the timeout passed (err is None or an AckTimeoutError).  The
        targets' ``on_any_outgoing`` handlers see it, as in socket.io."""
        _check_event(event)
        if self._nsp._outgoing:
            self._notify_outgoing(event, args)
        if callback is None:
            self._post_emit(event, args)
            return
        self._emit_ack(event, args, ("bcast-cb", callback))

    def _post_emit(self, event: str, args: tuple) -> None:
        text, bins = _codec.encode(args)
        self._nsp.server._post("emit", self._nsp.name, self._rooms, self._except,
                               self._flags, event, text, bins)

    def _notify_outgoing(self, event: str, args: tuple) -> None:
        """The on_any_outgoing handlers of the local targets that have some
        (asked only when a socket of the namespace has one)."""
        socks = self._nsp.sockets
        for i in self._ids():
            s = socks.get(i)
            if s is not None and s._any_out:
                for h in list(s._any_out):
                    h(event, *args)

    def emit_with_ack(self, event: str, *args: Any) -> Any:
        """Broadcast expecting acks; resolves to the list of responses (first
        ack argument of each client).  Raises AckTimeoutError when some did
        not answer within ``timeout()``.  Awaitable with Server; blocking
        with BlockingServer."""
        _check_event(event)
        if self._nsp._outgoing:
            self._notify_outgoing(event, args)
        srv = self._nsp.server
        fut = srv._new_future()
        self._emit_ack(event, args, ("bcast-fut", fut))
        return srv._result(fut)

    def _emit_ack(self, event: str, args: tuple, what: tuple) -> None:
        """The broadcast with acks; `what` says how the answers are given."""
        srv = self._nsp.server
        text, bins = _codec.encode(args)
        req = srv._new_request(what)
        srv._post("emit_ack", self._nsp.name, self._rooms, self._except, self._flags,
                  event, text, bins, _ms(self._timeout), req)

    def send(self, *args: Any) -> None:
        """emit("message", *args)."""
        self.emit("message", *args)

    write = send

    def _ids(self) -> List[str]:
        srv = self._nsp.server
        text = srv._core.sockets(self._nsp.name, self._rooms, self._except)
        return json.loads(text) if text else []

    def _fetch(self) -> List["Socket"]:
        socks = self._nsp.sockets
        return [socks[i] for i in self._ids() if i in socks]

    def fetch_sockets(self) -> Any:
        """The connected sockets among the targets (awaitable with Server):
        this server's Socket objects and, with a cluster adapter, a
        RemoteSocket for each target on another server (AckTimeoutError
        when a server does not answer within requests_timeout)."""
        srv = self._nsp.server
        if srv._redis is None or self._flags & BCAST_LOCAL:
            return srv._immediate(self._fetch())
        fut = srv._new_future()
        req = srv._new_request(("cluster-fetch", (fut, self._nsp, self._fetch())))
        srv._post("cluster", _CL_FETCH, self._nsp.name, self._rooms, self._except,
                  self._flags, None, 0, req)
        return srv._result(fut)

    def all_sockets(self) -> Any:
        """The ids of the targets (a set; awaitable with Server), on every
        server of the cluster with a cluster adapter (socket.io's
        allSockets)."""
        srv = self._nsp.server
        if srv._redis is None or self._flags & BCAST_LOCAL:
            return srv._immediate(set(self._ids()))
        fut = srv._new_future()
        req = srv._new_request(("cluster-all", (fut, self._nsp, self._ids())))
        srv._post("cluster", _CL_FETCH, self._nsp.name, self._rooms, self._except,
                  self._flags, None, 0, req)
        return srv._result(fut)

    def sockets_join(self, rooms: Union[str, Iterable[str]]) -> None:
        """Makes the targets join ``rooms``."""
        self._nsp.server._post("sockets_op", self._nsp.name, self._rooms, self._except,
                               0, _rooms_tuple(rooms))

    def sockets_leave(self, rooms: Union[str, Iterable[str]]) -> None:
        """Makes the targets leave ``rooms``."""
        self._nsp.server._post("sockets_op", self._nsp.name, self._rooms, self._except,
                               1, _rooms_tuple(rooms))

    def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnects the targets (close=True also closes their connection)."""
        self._nsp.server._post("sockets_op", self._nsp.name, self._rooms, self._except,
                               2, bool(close))


def _ms(seconds: Optional[float]) -> int:
    if seconds is None:
        return 0
    if seconds < 0:
        raise ValueError("timeout must be >= 0")
    return max(1, int(seconds * 1000))


def _add_handler(handlers: Dict[str, List[Callable]], event: str,
                 handler: Optional[Callable]) -> Any:
    """on(): adds handler to event's list; without a handler, returns a
    decorator that does."""
    def register(fn: Callable) -> Callable:
        handlers.setdefault(event, []).append(fn)
        return fn
    return register(handler) if handler is not None else register


def _add_once(handlers: Dict[str, List[Callable]], event: str,
              handler: Optional[Callable]) -> Any:
    """once(): a wrapper that takes itself off and runs the handler for the
    first event only -- once even when BlockingServer's workers deliver two
    events at the same time (next() on a count is atomic: one caller gets
    0).  off(event, handler) finds the wrapper by its __wrapped__."""
    def register(fn: Callable) -> Callable:
        calls = itertools.count()

        def wrapper(*a: Any, **kw: Any) -> Any:
            _remove_handler(handlers, event, wrapper)
            if next(calls):
                return None
            return fn(*a, **kw)
        wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
        handlers.setdefault(event, []).append(wrapper)
        return fn
    return register(handler) if handler is not None else register


def _remove_handler(handlers: Dict[str, List[Callable]], event: Optional[str],
                    handler: Optional[Callable]) -> None:
    """off(): one handler (or the once() wrapper of it), every handler of
    event, or all."""
    if event is None:
        handlers.clear()
    elif handler is None:
        handlers.pop(event, None)
    else:
        lst = handlers.get(event, [])
        for i, h in enumerate(lst):
            if h is handler or getattr(h, "__wrapped__", None) is handler:
                del lst[i]
                break


def _check_event(event: Any) -> None:
    if not isinstance(event, str):
        raise TypeError("event name must be a str, not %s" % type(event).__name__)
    if event in RESERVED_EVENTS:
        raise ValueError('"%s" is a reserved event name' % event)


# --------------------------------------------------------------------------
# Namespaces

class _Manager:
    """Classic ``io.sockets.manager``: ``rooms`` and ``room_clients``."""

    def __init__(self, nsp: "Namespace"):
        self._nsp = nsp

    @property
    def rooms(self) -> Dict[str, Set[str]]:
        """Room name -> set of socket ids (every socket id is a room too)."""
        return self._nsp.rooms

    @property
    def room_clients(self) -> Dict[str, Set[str]]:
        """Socket id -> set of its rooms (classic roomClients)."""
        out: Dict[str, Set[str]] = {}
        for room, ids in self._nsp.rooms.items():
            for i in ids:
                out.setdefault(i, set()).add(room)
        return out

    roomClients = room_clients

    def cluster(self) -> Any:
        """``rooms`` and ``room_clients`` as above, with the sockets of every
        server of the cluster (as Node's ``manager.cluster()``): a snapshot,
        awaitable with Server, direct with BlockingServer; AckTimeoutError
        when a server does not answer within requests_timeout.  Without a
        cluster, this server's."""
        nsp = self._nsp
        srv = nsp.server
        local = nsp._op()._fetch()
        if srv._redis is None:
            return srv._immediate(_ManagerSnapshot(local))
        fut = srv._new_future()
        req = srv._new_request(("cluster-manager", (fut, nsp, local)))
        srv._post("cluster", _CL_FETCH, nsp.name, (), (), 0, None, 0, req)
        return srv._result(fut)


class _ManagerSnapshot:
    """What ``manager.cluster()`` gives: rooms (room -> set of socket ids,
    every socket id a room too) and room_clients (socket id -> its rooms) of
    the given sockets, local and remote."""

    __slots__ = ("rooms", "room_clients")

    def __init__(self, sockets: Iterable[Any]):
        self.rooms: Dict[str, Set[str]] = {}
        self.room_clients: Dict[str, Set[str]] = {}
        for s in sockets:
            rooms = set(s.rooms)
            self.room_clients[s.id] = rooms
            for r in rooms:
                self.rooms.setdefault(r, set()).add(s.id)

    @property
    def roomClients(self) -> Dict[str, Set[str]]:   # noqa: N802  (0.9's spelling)
        return self.room_clients


class Namespace:
    """A Socket.IO namespace (``io.of("/chat")``).  ``io`` itself forwards to
    the main namespace "/"."""

    def __init__(self, server: "_ServerBase", name: str, parent: Optional["_Parent"] = None):
        self.server = server
        self.name = name
        self.sockets: Dict[str, Socket] = {}
        self._pending: Dict[str, Socket] = {}   # in connect middleware
        self._handlers: Dict[str, List[Callable]] = parent._handlers if parent else {}
        self._middlewares: List[Callable] = parent._middlewares if parent else []
        self._c_mw = bool(parent)
        self._parent = parent
        self._outgoing: Set["Socket"] = set()   # sockets with on_any_outgoing handlers
        self.manager = _Manager(self)

    def __repr__(self) -> str:
        return "<sioc.Namespace %s>" % self.name

    # handlers
    def on(self, event: str, handler: Optional[Callable] = None) -> Any:
        """Registers a handler; usable as ``@nsp.on("connection")``.  The
        namespace's events are "connection" (alias "connect"), on the main
        namespace also "new_namespace" (nsp), and what other servers of the
        cluster send with server_side_emit."""
        if event == "connect":
            event = "connection"
        return _add_handler(self._handlers, event, handler)

    def once(self, event: str, handler: Optional[Callable] = None) -> Any:
        """A handler that runs for the first event only (once, even when
        BlockingServer's workers run two connections at the same time)."""
        if event == "connect":
            event = "connection"
        return _add_once(self._handlers, event, handler)

    def off(self, event: Optional[str] = None, handler: Optional[Callable] = None) -> None:
        """Removes one handler, every handler of ``event``, or all."""
        if event == "connect":
            event = "connection"
        _remove_handler(self._handlers, event, handler)

    def listeners(self, event: str) -> List[Callable]:
        """The handlers of ``event`` (a copy)."""
        return list(self._handlers.get("connection" if event == "connect" else event, ()))

    def use(self, middleware: Callable) -> Callable:
        """Adds connect middleware ``fn(socket, next)`` (sync or async).  Call
        ``next()`` to go on or ``next(err)`` to refuse: the client gets a
        connect_error with str(err) and err.data.  Raising refuses too."""
        self._middlewares.append(middleware)
        if not self._c_mw:
            self._c_mw = True
            self.server._core.nsp(self.name, True)
        return middleware

    # targets
    def _op(self) -> "BroadcastOperator":
        return BroadcastOperator(self)

    def to(self, room: Union[str, Iterable[str]]) -> BroadcastOperator:
        """Targets the sockets in ``room``."""
        return self._op().to(room)

    in_ = to

    def except_(self, room: Union[str, Iterable[str]]) -> BroadcastOperator:
        """Targets every socket except those in ``room``."""
        return self._op().except_(room)

    @property
    def volatile(self) -> BroadcastOperator:
        return self._op().volatile

    @property
    def local(self) -> BroadcastOperator:
        return self._op().local

    def compress(self, flag: bool = True) -> BroadcastOperator:
        return self._op().compress(flag)

    def timeout(self, seconds: float) -> BroadcastOperator:
        return self._op().timeout(seconds)

    def emit(self, event: str, *args: Any, callback: Optional[Callable] = None) -> None:
        """Sends to every socket of the namespace."""
        self._op().emit(event, *args, callback=callback)

    def emit_with_ack(self, event: str, *args: Any) -> Any:
        return self._op().emit_with_ack(event, *args)

    def send(self, *args: Any) -> None:
        self._op().emit("message", *args)

    write = send

    def fetch_sockets(self) -> Any:
        """Every connected socket of the namespace (awaitable with Server)."""
        return self._op().fetch_sockets()

    def all_sockets(self) -> Any:
        """The ids of every socket of the namespace (a set; awaitable with
        Server; the cluster's with a cluster adapter)."""
        return self._op().all_sockets()

    def sockets_join(self, rooms: Union[str, Iterable[str]]) -> None:
        self._op().sockets_join(rooms)

    def sockets_leave(self, rooms: Union[str, Iterable[str]]) -> None:
        self._op().sockets_leave(rooms)

    def disconnect_sockets(self, close: bool = False) -> None:
        self._op().disconnect_sockets(close)

    @property
    def rooms(self) -> Dict[str, Set[str]]:
        """Room -> set of socket ids (socket.io's ``adapter.rooms``)."""
        text = self.server._core.rooms(self.name)
        if not text:
            return {}
        flat = json.loads(text)
        return {flat[i]: set(flat[i + 1]) for i in range(0, len(flat), 2)}

    @property
    def sids(self) -> Dict[str, Set[str]]:
        """Socket id -> set of its rooms (socket.io's ``adapter.sids``; a
        snapshot)."""
        out: Dict[str, Set[str]] = {}
        for room, ids in self.rooms.items():
            for i in ids:
                out.setdefault(i, set()).add(room)
        return out

    def socket_rooms(self, sid: str) -> Optional[Set[str]]:
        """The rooms of the connected socket ``sid`` (None when there is
        none; socket.io's ``adapter.socketRooms``)."""
        s = self.sockets.get(sid)
        return s.rooms if s is not None else None

    @property
    def adapter(self) -> "Namespace":
        """``io.of("/").adapter.rooms`` (and ``.sids``, ``.socket_rooms``,
        ``.all_rooms``, ``.server_count``) work as in socket.io."""
        return self

    # the cluster
    def _cluster_query(self, op: int, what: str, json_text: Optional[str] = None) -> Any:
        srv = self.server
        fut = srv._new_future()
        req = srv._new_request(("cluster-fut", (fut, what)))
        srv._post("cluster", op, self.name, (), (), 0, json_text, 0, req)
        return srv._result(fut)

    def all_rooms(self) -> Any:
        """Every room of the namespace on every server of the cluster (a set;
        awaitable with Server).  Without a cluster, this server's rooms."""
        if self.server._redis is None:
            return self.server._immediate(set(self.rooms))
        return self._cluster_query(_CL_ALL_ROOMS, "allRooms")

    def server_count(self) -> Any:
        """Number of servers of the cluster serving this namespace."""
        if self.server._redis is None:
            return self.server._immediate(1)
        return self._cluster_query(_CL_SERVER_COUNT, "serverCount")

    def server_side_emit(self, event: str, *args: Any,
                         callback: Optional[Callable] = None) -> None:
        """Emits ``event`` to the other servers of the cluster (their
        ``@nsp.on(event)`` handlers, never clients).  With ``callback``, it
        is called as callback(err, answers): one answer per other server
        (a handler's return value), or an AckTimeoutError and the answers so
        far.  Alone, nothing is sent and the callback gets []."""
        _check_event(event)
        srv = self.server
        if srv._redis is None:
            if callback is not None:
                srv._spawn(None, callback, (None, []))
            return
        text = json.dumps([event] + list(args))
        req = -1 if callback is None else srv._new_request(("cluster-cb", (callback, "serverSideEmit")))
        srv._post("cluster", _CL_SERVER_SIDE_EMIT, self.name, (), (), 0, text, 0, req)

    def server_side_emit_with_ack(self, event: str, *args: Any) -> Any:
        """server_side_emit expecting answers: the list of answers of the
        other servers (awaitable with Server)."""
        _check_event(event)
        srv = self.server
        if srv._redis is None:
            return srv._immediate([])
        return self._cluster_query(_CL_SERVER_SIDE_EMIT, "serverSideEmit",
                                   json.dumps([event] + list(args)))

    # classic aliases
    def socket(self, sid: str) -> Union["Socket", BroadcastOperator]:
        """Classic ``io.sockets.socket(id)``: the connected Socket with that
        id, else a target that emits to it by id (a no-op when it is not
        connected anywhere)."""
        s = self.sockets.get(sid)
        return s if s is not None else self.to(sid)

    def clients(self, room: Union[None, str, Callable] = None,
                callback: Optional[Callable] = None) -> Any:
        """Classic ``io.sockets.clients([room])``: this server's sockets
        (synchronous).  With a callback, ``clients([room,] callback)``:
        callback(err, ids) gets the ids of the sockets on every server of
        the cluster (the 2.x form)."""
        if callable(room) and callback is None:
            room, callback = None, room
        op = self.to(room) if room is not None else self._op()
        if callback is None:
            return op._fetch()
        srv = self.server
        if srv._redis is None:
            srv._spawn(None, callback, (None, [s.id for s in op._fetch()]))
            return None
        req = srv._new_request(("cluster-ids", (callback, self, op._fetch())))
        srv._post("cluster", _CL_FETCH, self.name, op._rooms, op._except, 0, None, 0, req)
        return None


class _Parent:
    """A dynamic namespace matcher (``io.of(re.compile(...))`` or
    ``io.of(fn)``): handlers and middleware apply to every child."""

    def __init__(self, server: "_ServerBase", matcher: Any):
        self.server = server
        self.matcher = matcher
        self._handlers: Dict[str, List[Callable]] = {}
        self._middlewares: List[Callable] = []
        self.children: List[Namespace] = []

    def matches(self, name: str, auth: Any) -> bool:
        if isinstance(self.matcher, re.Pattern):
            return self.matcher.search(name) is not None
        res: List[Any] = []
        r = self.matcher(name, auth, lambda err=None, ok=None: res.append((err, ok)))
        if res:
            return not res[0][0] and bool(res[0][1])
        return bool(r)

    on = Namespace.on
    once = Namespace.once
    off = Namespace.off
    listeners = Namespace.listeners

    def use(self, middleware: Callable) -> Callable:
        self._middlewares.append(middleware)
        return middleware

    def emit(self, event: str, *args: Any) -> None:
        for ns in self.children:
            ns.emit(event, *args)


# --------------------------------------------------------------------------
# Sockets

class Socket:
    """One client in one namespace (socket.io's server-side Socket)."""

    # What an idle Socket holds is what an idle connection costs: attributes
    # live in slots (an instance dict appears only if someone sets an
    # attribute of their own), the handshake stays the core's JSON text
    # until it is first read, and the lists a socket may never need start
    # as a shared empty tuple (made lists when something is added).
    __slots__ = ("server", "nsp", "id", "_hs", "_data", "connected", "_handle",
                 "_handlers", "_any", "_any_out", "_mws", "_jobs", "_busy", "_pending",
                 "_pending_rooms", "_rooms_at_disconnect", "_conn", "__dict__",
                 "__weakref__")

    #: always False: sioc has no connection state recovery
    recovered = False

    def __init__(self, server: "_ServerBase", nsp: Namespace, handle: int, sid: str,
                 handshake: Union[dict, str]):
        self.server = server
        self.nsp = nsp
        self.id = sid
        self._hs = handshake           # dict, or the core's JSON text
        self._data: Optional[Dict[str, Any]] = None
        self.connected = False
        self._handle: Optional[int] = handle
        self._handlers: Dict[str, List[Callable]] = {}
        self._any: Union[tuple, List[Callable]] = ()
        self._any_out: Union[tuple, List[Callable]] = ()
        self._mws: Union[tuple, List[Callable]] = ()
        # BlockingServer: per-socket serial execution of handlers
        self._jobs: Optional[deque] = None
        self._busy = False
        self._pending = False          # connect middleware still deciding
        self._pending_rooms: Union[tuple, List[str]] = ()
        self._rooms_at_disconnect: Optional[Set[str]] = None
        self._conn: Optional["Conn"] = None

    @property
    def namespace(self) -> Namespace:
        return self.nsp

    @property
    def adapter(self) -> Namespace:
        """The namespace's adapter view (``rooms``, ``sids``, ...)."""
        return self.nsp.adapter

    @property
    def disconnected(self) -> bool:
        return not self.connected

    @property
    def conn(self) -> "Conn":
        """The underlying Engine.IO connection (engine.io's socket, the
        parts that exist): its ``transport``, ``ready_state``,
        ``remote_address``, ``close()``, and the events "upgrade"
        (transport name, once it moved from polling to WebSocket) and
        "close" (reason, when it ends while this socket is connected)."""
        c = self._conn
        if c is None:
            c = self._conn = Conn(self)
        return c

    @property
    def sid(self) -> str:
        return self.id

    @property
    def handshake(self) -> dict:
        """socket.io's handshake: headers, time, address, xdomain, secure,
        issued, url, query, auth."""
        hs = self._hs
        if type(hs) is str:
            hs = self._hs = _build_handshake(hs)
        return hs

    @handshake.setter
    def handshake(self, value: dict) -> None:
        self._hs = value

    @property
    def data(self) -> Dict[str, Any]:
        """Anything the application keeps with the socket."""
        if self._data is None:
            self._data = {}
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value

    def __repr__(self) -> str:
        return "<sioc.Socket %s %s%s>" % (self.nsp.name, self.id,
                                          "" if self.connected else " disconnected")

    # handlers
    def on(self, event: str, handler: Optional[Callable] = None) -> Any:
        """Registers an event handler; usable as a decorator.

        The handler gets the event's arguments.  When the client asked for
        an acknowledgement, the handler's return value is sent back (a tuple
        is several arguments; None is none) -- or, if it has a parameter
        named ``ack``, it receives ``ack=<callable>`` (None when no ack was
        asked for) and answers with ``ack(*values)`` itself.  Coroutine
        functions run as asyncio tasks (Server); with BlockingServer,
        handlers run on worker threads, one at a time per socket.  Local
        events: "disconnect"(reason), "disconnecting"(reason), "error"(err):
        what a packet middleware passed to ``next(err)``, or a SiocError
        with socket.io-parser's message when the client sent a packet that
        does not decode (the connection then closes: "forced close").
        """
        return _add_handler(self._handlers, event, handler)

    def once(self, event: str, handler: Optional[Callable] = None) -> Any:
        """A handler for the first ``event`` only."""
        return _add_once(self._handlers, event, handler)

    def off(self, event: Optional[str] = None, handler: Optional[Callable] = None) -> None:
        """Removes one handler, every handler of ``event``, or all."""
        _remove_handler(self._handlers, event, handler)

    def listeners(self, event: str) -> List[Callable]:
        """The handlers of ``event`` (a copy)."""
        return list(self._handlers.get(event, ()))

    def on_any(self, handler: Callable) -> Callable:
        """``handler(event, *args)`` for every incoming event."""
        self._any = [*self._any, handler]
        return handler

    def prepend_any(self, handler: Callable) -> Callable:
        """on_any, called before the handlers already added."""
        self._any = [handler, *self._any]
        return handler

    def listeners_any(self) -> List[Callable]:
        """The on_any handlers (a copy)."""
        return list(self._any)

    def off_any(self, handler: Optional[Callable] = None) -> None:
        if handler is None:
            self._any = ()
        elif handler in self._any:
            lst = list(self._any)
            lst.remove(handler)
            self._any = lst

    def on_any_outgoing(self, handler: Callable) -> Callable:
        """``handler(event, *args)`` for every event sent to this socket:
        its own emits and the broadcasts that target it (called when they
        are sent, on the sending thread)."""
        self._any_out = [*self._any_out, handler]
        self.nsp._outgoing.add(self)
        return handler

    def prepend_any_outgoing(self, handler: Callable) -> Callable:
        """on_any_outgoing, called before the handlers already added."""
        self._any_out = [handler, *self._any_out]
        self.nsp._outgoing.add(self)
        return handler

    def off_any_outgoing(self, handler: Optional[Callable] = None) -> None:
        if handler is None:
            self._any_out = ()
        elif handler in self._any_out:
            lst = list(self._any_out)
            lst.remove(handler)
            self._any_out = lst
        if not self._any_out:
            self.nsp._outgoing.discard(self)

    def listeners_any_outgoing(self) -> List[Callable]:
        """The on_any_outgoing handlers (a copy)."""
        return list(self._any_out)

    def use(self, middleware: Callable) -> Callable:
        """Packet middleware ``fn([event, *args], next)``; ``next(err)`` drops
        the packet and emits "error" on this socket."""
        self._mws = [*self._mws, middleware]
        return middleware

    # sending
    def _h(self) -> int:
        if self._handle is None or not self.connected:
            raise ClosedError("socket %s is disconnected" % self.id)
        return self._handle

    def emit(self, event: str, *args: Any, callback: Optional[Callable] = None) -> None:
        """Sends ``event`` to this client.  With ``callback``, it is called
        with the client's ack arguments (or, after ``timeout()``, with an
        AckTimeoutError as only argument)."""
        _check_event(event)
        text, bins = _codec.encode(args)
        for h in self._any_out:
            h(event, *args)
        srv = self.server
        if callback is None:
            srv._sock_post(self, "sock_emit", event, text, bins)
        else:
            req = srv._new_request(("cb", callback))
            srv._sock_post(self, "sock_emit_ack", event, text, bins, 0, req)

    def emit_with_ack(self, event: str, *args: Any, timeout: Optional[float] = None) -> Any:
        """Sends ``event`` and returns the client's ack: one value, or a
        tuple for several (awaitable with Server, blocking with
        BlockingServer).  Raises AckTimeoutError after ``timeout`` seconds
        (None waits until the client disconnects: ClosedError)."""
        _check_event(event)
        text, bins = _codec.encode(args)
        for h in self._any_out:
            h(event, *args)
        srv = self.server
        fut = srv._new_future()
        req = srv._new_request(("fut", fut))
        srv._sock_post(self, "sock_emit_ack", event, text, bins, _ms(timeout), req)
        return srv._result(fut)

    def timeout(self, seconds: float) -> "_SocketTimeout":
        """``socket.timeout(5).emit_with_ack(...)`` / ``.emit(..., callback=)``."""
        return _SocketTimeout(self, seconds)

    def send(self, *args: Any, callback: Optional[Callable] = None) -> None:
        """emit("message", *args)."""
        self.emit("message", *args, callback=callback)

    write = send

    # rooms
    def join(self, rooms: Union[str, Iterable[str]]) -> None:
        """Joins one room or several.  In connect middleware the rooms are
        joined once the connection is accepted."""
        if self._pending:
            self._pending_rooms = [*self._pending_rooms, *_rooms_tuple(rooms)]
            return
        rooms = _rooms_tuple(rooms)
        if not self.connected:
            return   # as socket.io: a departed socket joins nothing
        for r in rooms:
            self.server._sock_post(self, "join", r)

    def leave(self, rooms: Union[str, Iterable[str]]) -> None:
        """Leaves one room or several."""
        rooms = _rooms_tuple(rooms)
        if self._pending:
            lst = list(self._pending_rooms)
            for r in rooms:
                if r in lst:
                    lst.remove(r)
            self._pending_rooms = lst
            return
        if self.connected:
            for r in rooms:
                self.server._sock_post(self, "leave", r)

    def leave_all(self) -> None:
        """Leaves every room, its own id's included (socket.io's leaveAll)."""
        self.leave(tuple(self.rooms))

    def _forget_rooms_at_disconnect(self) -> None:
        self._rooms_at_disconnect = None

    @property
    def rooms(self) -> Set[str]:
        """The rooms of this socket (its own id included); in "disconnecting"
        handlers the rooms it had; empty once disconnected."""
        if self._pending:
            return {self.id} | set(self._pending_rooms)
        if self._rooms_at_disconnect is not None:
            return set(self._rooms_at_disconnect)   # in "disconnecting" handlers
        if not self.connected or self._handle is None:
            return set()
        text = self.server._with_handle(self, self.server._core.socket_rooms)
        return set(json.loads(text)) if text else set()

    # targets
    @property
    def broadcast(self) -> BroadcastOperator:
        """Every socket of the namespace but this one."""
        return BroadcastOperator(self.nsp, (), (self.id,))

    def to(self, room: Union[str, Iterable[str]]) -> BroadcastOperator:
        """The room(s), except this socket."""
        return self.broadcast.to(room)

    in_ = to

    def except_(self, room: Union[str, Iterable[str]]) -> BroadcastOperator:
        return self.broadcast.except_(room)

    @property
    def local(self) -> BroadcastOperator:
        """``socket.local.emit(...)``: every socket of the namespace on this
        server but this one (no cluster)."""
        return self.broadcast.local

    @property
    def volatile(self) -> "_SocketVolatile":
        """``socket.volatile.emit(...)``: dropped when the client cannot take
        it right now (a write already pending, or polling with no GET
        parked), instead of being buffered."""
        return _SocketVolatile(self)

    def compress(self, flag: bool = True) -> "Socket":
        return self

    def disconnect(self, close: bool = False) -> "Socket":
        """Leaves the namespace ("server namespace disconnect"); close=True
        also closes the underlying connection."""
        if self.connected and self._handle is not None:
            self.server._sock_post(self, "sock_disconnect", bool(close))
        return self

    # socket.io 0.9 spelling
    def set(self, key: str, value: Any, callback: Optional[Callable] = None) -> None:
        self.data[key] = value
        if callback:
            callback(None)

    def get(self, key: str, callback: Optional[Callable] = None) -> Any:
        v = self.data.get(key)
        if callback:
            callback(None, v)
        return v


class _SocketVolatile:
    """What ``Socket.volatile`` returns.  The core drops volatile packets per
    recipient, so a volatile emit to one socket is a volatile broadcast to
    its own room."""

    __slots__ = ("_s",)

    def __init__(self, socket: Socket):
        self._s = socket

    def emit(self, event: str, *args: Any, callback: Optional[Callable] = None) -> None:
        """As Socket.emit; with ``callback`` the packet carries an ack id and
        is sent as a plain emit (socket.io also never drops those silently:
        the ack would wait forever)."""
        s = self._s
        if callback is not None:
            s.emit(event, *args, callback=callback)
            return
        _check_event(event)
        for h in s._any_out:
            h(event, *args)
        if not s.connected or s._handle is None:
            return
        BroadcastOperator(s.nsp, (s.id,), (), BCAST_VOLATILE)._post_emit(event, args)

    def send(self, *args: Any) -> None:
        self.emit("message", *args)

    write = send


class _SocketTimeout:
    def __init__(self, socket: Socket, seconds: float):
        self._s = socket
        self._t = seconds

    def emit_with_ack(self, event: str, *args: Any) -> Any:
        return self._s.emit_with_ack(event, *args, timeout=self._t)

    def emit(self, event: str, *args: Any, callback: Optional[Callable] = None) -> None:
        if callback is None:
            self._s.emit(event, *args)
            return
        _check_event(event)
        text, bins = _codec.encode(args)
        for h in self._s._any_out:
            h(event, *args)
        srv = self._s.server
        req = srv._new_request(("cb-timeout", callback))
        srv._sock_post(self._s, "sock_emit_ack", event, text, bins, _ms(self._t), req)


class Conn:
    """``socket.conn``: the Engine.IO connection under a socket (engine.io's
    socket, the parts sioc has).  Events: "upgrade" (the transport name,
    "websocket", once the connection moved from long-polling to WebSocket)
    and "close" (the reason, when the connection ends while the socket is
    connected; not when only the namespace is left).  Handlers run like the
    socket's own (coroutines as tasks with Server, on the socket's worker
    queue with BlockingServer)."""

    __slots__ = ("_s", "_handlers")

    def __init__(self, socket: Socket):
        self._s = socket
        self._handlers: Dict[str, List[Callable]] = {}

    def __repr__(self) -> str:
        return "<sioc.Conn of %s %s>" % (self._s.id, self.ready_state)

    def on(self, event: str, handler: Optional[Callable] = None) -> Any:
        """Registers a handler ("upgrade" or "close"); usable as a decorator."""
        return _add_handler(self._handlers, event, handler)

    def once(self, event: str, handler: Optional[Callable] = None) -> Any:
        """A handler that runs once."""
        return _add_once(self._handlers, event, handler)

    def off(self, event: Optional[str] = None, handler: Optional[Callable] = None) -> None:
        """Removes one handler, every handler of ``event``, or all."""
        _remove_handler(self._handlers, event, handler)

    @property
    def transport(self) -> Optional[str]:
        """"polling" or "websocket" (asked from the core; in connect
        middleware too), None once the socket is disconnected."""
        s = self._s
        if not s.connected and not s._pending:
            return None
        return s.server._with_handle(s, s.server._core.socket_transport)

    @property
    def ready_state(self) -> str:
        """"open" while the socket is connected, else "closed"."""
        return "open" if self._s.connected else "closed"

    @property
    def remote_address(self) -> str:
        """The peer's IP address (the handshake's)."""
        return self._s.handshake.get("address", "")

    def close(self) -> "Conn":
        """Closes the connection (socket.disconnect(True))."""
        self._s.disconnect(True)
        return self


class Engine:
    """``io.engine`` (alias ``io.eio``): engine.io's server, the parts sioc
    has: ``clients_count`` and the "connection_error" event, whose handler
    gets a dict ``{"req": {"method", "url", "headers", "address"}, "code",
    "message", "context": {}}`` for every request the server refused
    (unknown session id, bad handshake, ...; code and message as engine.io
    words them)."""

    __slots__ = ("_srv", "_handlers")

    def __init__(self, server: "_ServerBase"):
        self._srv = server
        self._handlers: Dict[str, List[Callable]] = {}

    def on(self, event: str, handler: Optional[Callable] = None) -> Any:
        """Registers a handler ("connection_error"); usable as a decorator."""
        if event == "connection_error" and not self._srv._conn_errors:
            # the core posts refused requests only once someone listens
            self._srv._conn_errors = True
            self._srv._post("conn_errors", True)
        return _add_handler(self._handlers, event, handler)

    def off(self, event: Optional[str] = None, handler: Optional[Callable] = None) -> None:
        """Removes one handler, every handler of ``event``, or all."""
        _remove_handler(self._handlers, event, handler)

    @property
    def clients_count(self) -> int:
        """The number of open Engine.IO sessions (0 when not listening)."""
        text = self._srv._core.stats() if self._srv._listening else None
        return json.loads(text)[1] if text else 0


# --------------------------------------------------------------------------
# Servers

_CLASSIC_HOST = {"log level", "log", "browser client", "authorization",
                 "browser client minification", "browser client etag",
                 "browser client gzip", "flash policy server", "match origin protocol"}


class _ServerBase:
    """What Server and BlockingServer share: options, namespaces, dispatch of
    the core's events.  Not used directly."""

    def __init__(self, **options: Any):
        self._core = Core()
        self._lock = threading.Lock()   # handle posts vs. release
        self._nsps: Dict[str, Namespace] = {}
        self._parents: List[_Parent] = []
        self._handles: Dict[int, Socket] = {}
        self._requests: Dict[int, Any] = {}
        self._req_ids = itertools.count(1)
        self._settings: Dict[str, Any] = {}
        self._authorization: Optional[Callable] = None
        self._closed = False
        self._listening = False
        self._redis: Optional[RedisAdapter] = None
        self._cleanup_children = False   # cleanupEmptyChildNamespaces
        self._nsp_lock = threading.RLock()   # a child's removal vs. its lookup
        self._conn_errors = False        # the core posts refused requests
        self.engine = Engine(self)
        self.port: Optional[int] = None
        for k, v in options.items():
            self.set(k, v)
        self.sockets = self.of("/")   # main namespace; classic io.sockets

    @property
    def eio(self) -> Engine:
        """socket.io's alias of ``engine``."""
        return self.engine

    # ---- options -------------------------------------------------------
    def set(self, key: str, value: Any = True) -> "_ServerBase":
        """Sets an option: socket.io names (pingInterval, cors, ...), their
        snake_case spellings (ping_interval) or the classic 0.9 keys
        ("heartbeat interval" in seconds, "origins", "transports", ...).
        Unknown keys and bad values raise ValueError.  Options must be set
        before listen()."""
        name = _SNAKE.get(key, key)
        if name in ("log level", "log"):
            self._settings[name] = value
            if name == "log level":
                levels = {0: logging.ERROR, 1: logging.WARNING, 2: logging.INFO, 3: logging.DEBUG}
                if value not in levels:
                    raise ValueError('option "log level" must be 0..3, got %r' % (value,))
                logger.setLevel(levels[value])
            else:
                logger.disabled = not value
            return self
        if name == "authorization":
            if value is not None and value is not False and not callable(value):
                raise ValueError('option "authorization" must be a function '
                                 '(handshake_data, callback(err, authorized))')
            self._authorization = value if callable(value) else None
            self._settings[name] = value
            return self
        if name in ("browser client", "serveClient", "serve_client"):
            self._settings[name] = value
            return self
        if name == "cleanupEmptyChildNamespaces":
            if not isinstance(value, bool):
                raise ValueError('option "%s" must be True or False, got %r' % (key, value))
            self._cleanup_children = value
            self._settings[name] = value
            return self
        if name == "adapter":
            if not isinstance(value, RedisAdapter):
                raise ValueError('option "adapter" takes sioc.RedisAdapter(url, ...) '
                                 "(the adapter is part of sioc's C core)")
            self._core.use_redis(value.url, value.key,
                                 max(1, int(value.requests_timeout * 1000)),
                                 value.publish_on_specific_response_channel,
                                 value.max_message_bytes, value.max_buffered_bytes)
            self._redis = value
            self._settings[name] = value
            return self
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):
            raise ValueError("option %r: value %r is not supported" % (key, value)) from None
        if not self._core.set_option(name, text):
            raise ValueError("unknown or unsupported option %r" % key)
        self._settings[name] = value
        return self

    def get(self, key: str) -> Any:
        """The value set for ``key`` (None when not set)."""
        return self._settings.get(_SNAKE.get(key, key))

    def enable(self, key: str) -> "_ServerBase":
        """Classic io.enable(key): set(key, True)."""
        return self.set(key, True)

    def disable(self, key: str) -> "_ServerBase":
        """Classic io.disable(key): set(key, False)."""
        return self.set(key, False)

    def enabled(self, key: str) -> bool:
        return bool(self.get(key))

    def disabled(self, key: str) -> bool:
        return not self.get(key)

    def configure(self, env: Any, fn: Optional[Callable] = None) -> "_ServerBase":
        """Classic io.configure([env,] fn): runs fn (with this server as its
        argument when it takes one) always, or only when ``env`` matches
        $PYTHON_ENV / $NODE_ENV (default "development")."""
        if fn is None:
            env, fn = None, env
        current = os.environ.get("PYTHON_ENV") or os.environ.get("NODE_ENV") or "development"
        envs = (env,) if isinstance(env, str) else tuple(env or ())
        if env is None or current in envs:
            try:
                nparams = len(inspect.signature(fn).parameters)
            except (TypeError, ValueError):
                nparams = 0
            fn(self) if nparams else fn()
        return self

    # ---- fixed documents -------------------------------------------------
    def serve(self, url_path: str, data: Union[bytes, bytearray, memoryview, str],
              content_type: str = "text/html; charset=utf-8") -> "_ServerBase":
        """Serves ``data`` (bytes, or str sent as UTF-8) to GET requests for
        exactly ``url_path`` (the query string is ignored), on the server's
        own port, next to the Socket.IO mount: a page and its assets, e.g.
        ``io.serve("/", html)``.  The data is copied into the core; calling
        again for the same path replaces the document.  Works before and
        after listen().  ValueError for a path not starting with "/"."""
        if not isinstance(url_path, str) or not url_path.startswith("/"):
            raise ValueError("url_path must be a str starting with '/', got %r" % (url_path,))
        if not isinstance(content_type, str) or not content_type:
            raise ValueError("content_type must be a non-empty str")
        if isinstance(data, str):
            data = data.encode("utf-8")
        elif not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("data must be bytes or str, not %s" % type(data).__name__)
        self._post("serve", url_path, content_type, data)
        return self

    def serve_file(self, url_path: str, file_path: Union[str, "os.PathLike[str]"],
                   content_type: Optional[str] = None) -> "_ServerBase":
        """Reads ``file_path`` now and serves its bytes at ``url_path``
        (see serve()).  The content type is guessed from the file name
        when not given (text types as UTF-8).  OSError when the file
        cannot be read."""
        with open(file_path, "rb") as f:
            data = f.read()
        if content_type is None:
            guessed, _ = mimetypes.guess_type(os.fspath(file_path))
            content_type = guessed or "application/octet-stream"
            if content_type.startswith("text/") or content_type in (
                    "application/javascript", "application/json"):
                content_type += "; charset=utf-8"
        return self.serve(url_path, data, content_type)

    # ---- namespaces ----------------------------------------------------
    def of(self, name: Any, handler: Optional[Callable] = None) -> Any:
        """The namespace ``name`` ("/chat"), created on first use.  A
        compiled regex or a function ``(name, auth, next)`` creates a
        dynamic namespace group: clients may connect to any matching name;
        a name a regex group matches becomes its child here too (as in
        socket.io).  ``handler``, when given, is added as a "connection"
        handler.  New namespaces other than "/" fire "new_namespace" (nsp)
        on the main namespace."""
        if isinstance(name, str):
            if not name.startswith("/"):
                name = "/" + name
            with self._nsp_lock:
                ns = self._nsps.get(name)
                created = ns is None
                if created:
                    parent = next((p for p in self._parents if isinstance(p.matcher, re.Pattern)
                                   and p.matcher.search(name) is not None), None)
                    if parent is not None:
                        ns = Namespace(self, name, parent)
                        parent.children.append(ns)
                        self._core.nsp(name, True)
                    else:
                        ns = Namespace(self, name)
                        if name != "/":
                            self._core.nsp(name, False)
                    self._nsps[name] = ns
            if created and name != "/":
                self._new_namespace(ns)
            if handler is not None:
                ns.on("connection", handler)
            return ns
        if isinstance(name, re.Pattern) or callable(name):
            parent = _Parent(self, name)
            if not self._parents:
                self._core.set_dynamic(True)
            self._parents.append(parent)
            if handler is not None:
                parent.on("connection", handler)
            return parent
        raise TypeError("namespace must be a str, a compiled regex or a function")

    def _new_namespace(self, ns: Namespace) -> None:
        """"new_namespace" handlers, before the namespace's first socket goes
        through its middlewares (so that they may add some)."""
        main = getattr(self, "sockets", None)
        if main is None:
            return
        for fn in list(main._handlers.get("new_namespace", ())):
            self._run_inline(fn, (ns,))

    def _run_inline(self, fn: Callable, args: tuple) -> None:
        self._spawn(None, fn, args)

    # the main namespace's API on the server
    def on(self, event: str, handler: Optional[Callable] = None) -> Any:
        """``@io.on("connection")``: handlers of the main namespace."""
        return self.sockets.on(event, handler)

    def once(self, event: str, handler: Optional[Callable] = None) -> Any:
        return self.sockets.once(event, handler)

    def off(self, event: Optional[str] = None, handler: Optional[Callable] = None) -> None:
        self.sockets.off(event, handler)

    def listeners(self, event: str) -> List[Callable]:
        return self.sockets.listeners(event)

    def use(self, middleware: Callable) -> Callable:
        """Connect middleware of the main namespace."""
        return self.sockets.use(middleware)

    def to(self, room: Union[str, Iterable[str]]) -> BroadcastOperator:
        return self.sockets.to(room)

    in_ = to

    def except_(self, room: Union[str, Iterable[str]]) -> BroadcastOperator:
        return self.sockets.except_(room)

    @property
    def volatile(self) -> BroadcastOperator:
        return self.sockets.volatile

    @property
    def local(self) -> BroadcastOperator:
        return self.sockets.local

    def compress(self, flag: bool = True) -> BroadcastOperator:
        return self.sockets.compress(flag)

    def timeout(self, seconds: float) -> BroadcastOperator:
        return self.sockets.timeout(seconds)

    def emit(self, event: str, *args: Any, callback: Optional[Callable] = None) -> None:
        """Sends to every socket of the main namespace."""
        self.sockets.emit(event, *args, callback=callback)

    def emit_with_ack(self, event: str, *args: Any) -> Any:
        return self.sockets.emit_with_ack(event, *args)

    def send(self, *args: Any) -> None:
        self.sockets.send(*args)

    write = send

    def fetch_sockets(self) -> Any:
        """Every socket of the main namespace (awaitable with Server)."""
        return self.sockets.fetch_sockets()

    def all_sockets(self) -> Any:
        """The ids of every socket of the main namespace (a set; awaitable
        with Server)."""
        return self.sockets.all_sockets()

    def sockets_join(self, rooms: Union[str, Iterable[str]]) -> None:
        self.sockets.sockets_join(rooms)

    def sockets_leave(self, rooms: Union[str, Iterable[str]]) -> None:
        self.sockets.sockets_leave(rooms)

    def disconnect_sockets(self, close: bool = False) -> None:
        self.sockets.disconnect_sockets(close)

    def server_side_emit(self, event: str, *args: Any,
                         callback: Optional[Callable] = None) -> None:
        """serverSideEmit on the main namespace (see Namespace)."""
        self.sockets.server_side_emit(event, *args, callback=callback)

    def server_side_emit_with_ack(self, event: str, *args: Any) -> Any:
        return self.sockets.server_side_emit_with_ack(event, *args)

    def stats(self) -> Dict[str, int]:
        """Live objects, for leak checks: the core's connections, sessions
        and sockets, the socket handles the binding holds, the Python
        Socket objects it tracks and pending ack requests."""
        text = self._core.stats()
        c = json.loads(text) if text else [0, 0, 0, 0, 0]
        return {"connections": c[0], "sessions": c[1], "sockets": c[2], "handles": c[3],
                "namespaces": c[4], "py_sockets": len(self._handles),
                "py_requests": len(self._requests)}

    # ---- plumbing --------------------------------------------------------
    def _post(self, method: str, *args: Any) -> None:
        if self._closed:
            raise ClosedError("the server is closed")
        getattr(self._core, method)(*args)

    def _sock_post(self, sock: Socket, method: str, *args: Any) -> None:
        with self._lock:
            if method in ("join", "leave") and sock._handle is None:
                return
            getattr(self._core, method)(sock._h(), *args)

    def _with_handle(self, sock: Socket, fn: Callable) -> Any:
        with self._lock:
            if sock._handle is None:
                return None
            return fn(sock._handle)

    def _release(self, sock: Socket) -> None:
        with self._lock:
            h = sock._handle
            sock._handle = None
            sock.connected = False
        if h is not None:
            self._handles.pop(h, None)
            self._core.release(h)

    def _new_request(self, what: Any) -> int:
        req = next(self._req_ids)
        self._requests[req] = what
        return req

    def _on_events(self, events: list) -> None:
        for ev in events:
            try:
                self._on_event(ev)
            except Exception:   # never let one event stop the others
                logger.exception("sioc: error while dispatching %r", ev[:2])

    def _on_event(self, ev: tuple) -> None:
        kind = ev[0]
        if kind == _E_EVENT:
            sock = self._handles.get(ev[2])
            if sock is None or not sock.connected:
                return
            args = _codec.decode(ev[4], ev[5])
            self._dispatch_event(sock, ev[3], args, ev[6])
        elif kind == _E_ACK:
            what = self._requests.pop(ev[1], None)
            if what is None:
                return
            err = ev[2]
            if err:
                exc: Exception = (AckTimeoutError("operation has timed out")
                                  if err == ETIMEDOUT else ClosedError(strerror(err)))
                self._resolve(what, exc, None)
            else:
                self._resolve(what, None, tuple(_codec.decode(ev[3], ev[4])))
        elif kind == _E_BACK:
            what = self._requests.pop(ev[1], None)
            if what is None:
                return
            responses = json.loads(ev[3]) if ev[3] else []
            exc = None
            if ev[2]:
                exc = (AckTimeoutError("operation has timed out")
                       if ev[2] == ETIMEDOUT else ClosedError(strerror(ev[2])))
            self._resolve(what, exc, responses)
        elif kind == _E_MIDDLEWARE:
            self._on_middleware(ev[1], ev[2], ev[3], ev[4])
        elif kind == _E_CONNECT:
            self._on_connect(ev[1], ev[2], ev[3], ev[4])
        elif kind in (_E_DISCONNECTING, _E_DISCONNECT):
            sock = self._handles.get(ev[2])
            if sock is None:
                return
            if kind == _E_DISCONNECT:
                sock.connected = False
                # after the "disconnecting" handlers, in this socket's order
                self._spawn(sock, sock._forget_rooms_at_disconnect, ())
                nsp = sock.nsp
                if nsp.sockets.get(sock.id) is sock:
                    del nsp.sockets[sock.id]
                nsp._outgoing.discard(sock)
                self._release(sock)
                self._run_local(sock, "disconnect", ev[3])
                if ev[3] not in _NAMESPACE_REASONS:
                    self._run_deferred(sock, True, "close", (ev[3],))
                self._maybe_cleanup(nsp)
            else:
                # the rooms as they were when the core began the disconnect
                sock._rooms_at_disconnect = set(json.loads(ev[4])) if ev[4] else set()
                self._run_local(sock, "disconnecting", ev[3])
        elif kind == _E_CLUSTER:
            what = self._requests.pop(ev[1], None)
            if what is not None:
                self._on_cluster_answer(what, ev[2], ev[3], ev[4])
        elif kind == _E_FETCH_DATA:
            nsp = self._nsps.get(ev[1])
            ids = json.loads(ev[3]) if ev[3] else []
            datas = []
            for i in ids:
                sock = nsp.sockets.get(i) if nsp is not None else None
                try:
                    datas.append(json.dumps(sock.data if sock is not None else {}))
                except (TypeError, ValueError):
                    datas.append("{}")
            if not self._closed:
                self._core.fetch_reply(ev[1], ev[2], tuple(ids), tuple(datas))
        elif kind == _E_SERVER_SIDE:
            self._on_server_side(ev[1], ev[2], ev[3])
        elif kind == _E_LOG:
            # the Redis adapter: outages and drops are warnings (level 1)
            logger.log(logging.WARNING if ev[2] else logging.INFO, "sioc: redis adapter: %s", ev[1])
        elif kind == _E_UPGRADE:
            sock = self._handles.get(ev[2])
            if sock is not None:
                self._run_deferred(sock, True, "upgrade", (ev[3],))
        elif kind == _E_SOCK_ERROR:
            # socket.io's Client.onerror: the decoder's message, then the
            # disconnect ("forced close") follows in this socket's order
            sock = self._handles.get(ev[2])
            if sock is not None:
                self._run_deferred(sock, False, "error", (SiocError(ev[3]),))
        elif kind == _E_CONN_ERROR:
            handlers = self.engine._handlers.get("connection_error")
            if handlers:
                try:
                    req = json.loads(ev[3]) if ev[3] else {}
                except ValueError:
                    req = {}
                info = {"req": req, "code": ev[1], "message": ev[2], "context": {}}
                for fn in list(handlers):
                    self._spawn(None, fn, (info,))
        elif kind == _E_ERROR:
            logger.warning("sioc: %s", ev[1])
        elif kind == _E_CLOSED:
            self._on_closed()

    def _on_cluster_answer(self, what: tuple, err: int, text: Optional[str],
                           message: Optional[str]) -> None:
        kind, target = what
        try:
            value = json.loads(text) if text else []
        except ValueError:
            value = []
        if kind == "cluster-all":
            fut, nsp, local = target
            if err:
                self._set_future(fut, _cluster_error("fetchSockets", err, message), None)
            else:
                self._set_future(fut, None, set(local) | {d.get("id") for d in value})
        elif kind in ("cluster-fetch", "cluster-manager"):
            fut, nsp, local = target
            if err:
                self._set_future(fut, _cluster_error("fetchSockets", err, message), None)
                return
            found = list(local) + [RemoteSocket(nsp, d) for d in value]
            self._set_future(fut, None, found if kind == "cluster-fetch" else _ManagerSnapshot(found))
        elif kind == "cluster-ids":
            callback, nsp, local = target
            if err:
                self._spawn(None, callback, (_cluster_error("fetchSockets", err, message), None))
            else:
                self._spawn(None, callback, (None, [s.id for s in local] +
                                             [d.get("id") for d in value]))
        elif kind == "cluster-cb":
            callback, what_name = target
            error = _cluster_error(what_name, err, message) if err else None
            self._spawn(None, callback, (error, value))
        else:   # cluster-fut
            fut, what_name = target
            if err:
                self._set_future(fut, _cluster_error(what_name, err, message), None)
            elif what_name == "allRooms":
                self._set_future(fut, None, set(value))
            else:
                self._set_future(fut, None, value)

    def _on_server_side(self, nsp_name: str, text: Optional[str], ack_token: Optional[str]) -> None:
        nsp = self._nsps.get(nsp_name)
        try:
            args = json.loads(text) if text else []
        except ValueError:
            return
        if nsp is None or not isinstance(args, list) or not args or not isinstance(args[0], str):
            return
        handlers = nsp._handlers.get(args[0])
        ack = None
        if ack_token is not None:
            done: List[int] = []

            def ack(*values: Any) -> None:
                """Answers the sending server (once)."""
                if done or self._closed:
                    return
                done.append(1)
                self._core.server_side_ack(nsp_name, ack_token,
                                           json.dumps(values[0] if values else None))
        for fn in list(handlers or ()):
            self._spawn(None, fn, tuple(args[1:]), ack, ack is not None)

    def _resolve(self, what: tuple, exc: Optional[Exception], value: Any) -> None:
        kind, target = what
        if kind in ("fut", "bcast-fut"):
            if kind == "fut" and exc is None:
                value = value[0] if len(value) == 1 else (value if value else None)
            self._set_future(target, exc, value)
        elif kind == "cb":
            if exc is None:
                self._spawn(None, target, value)
        elif kind == "cb-timeout":
            self._spawn(None, target, (exc,) if exc else (None,) + tuple(value))
        elif kind == "remote-fut":   # RemoteSocket: the one answer
            self._set_future(target, exc, value[0] if exc is None and value else None)
        elif kind == "remote-cb":
            self._spawn(None, target, (exc,) if exc else (value[0] if value else None,))
        else:   # bcast-cb
            self._spawn(None, target, (exc, value))

    def _namespace_for(self, name: str, hs: dict) -> Optional[Namespace]:
        ns = self._nsps.get(name)
        if ns is not None:
            return ns
        for parent in self._parents:
            try:
                ok = parent.matches(name, hs.get("auth"))
            except Exception:
                logger.exception("sioc: dynamic namespace matcher failed")
                ok = False
            if ok:
                with self._nsp_lock:
                    ns = self._nsps.get(name)
                    if ns is not None:   # made meanwhile by of(name)
                        return ns
                    ns = Namespace(self, name, parent)
                    parent.children.append(ns)
                    self._nsps[name] = ns
                self._new_namespace(ns)
                return ns
        return None

    def _maybe_cleanup(self, ns: Namespace) -> None:
        """cleanupEmptyChildNamespaces: a child of a dynamic namespace goes
        once its last socket left or was refused.  The core refuses (busy)
        while a client is connecting to it; one connecting afterwards finds
        no namespace and is resolved anew, into a new Namespace."""
        if not self._cleanup_children or ns._parent is None or self._closed:
            return
        with self._nsp_lock:
            if ns.sockets or ns._pending or self._nsps.get(ns.name) is not ns:
                return
            try:
                gone = self._core.nsp_free(ns.name)
            except RuntimeError:   # closing
                return
            if not gone:
                return
            del self._nsps[ns.name]
            try:
                ns._parent.children.remove(ns)
            except ValueError:
                pass
        logger.debug("sioc: removed the empty child namespace %s", ns.name)

    def _on_middleware(self, nsp_name: str, handle: int, sid: str, hs_text: str) -> None:
        # The handshake is parsed only if a dynamic namespace's matcher wants
        # it (or when the application first reads it).
        hs: Union[dict, str] = hs_text
        ns = self._nsps.get(nsp_name)
        if ns is None:
            hs = _build_handshake(hs_text)
            ns = self._namespace_for(nsp_name, hs)
        if ns is None:
            # no matcher wants the name: refuse and drop its C namespace
            self._core.decide(handle, False, "Invalid namespace", None, True)
            return
        sock = Socket(self, ns, handle, sid, hs)
        sock._pending = True
        with self._nsp_lock:
            if self._nsps.get(nsp_name) is not ns:
                # removed (cleanupEmptyChildNamespaces) since the lookup: the
                # core made a new one for this client
                ns = self._namespace_for(nsp_name, hs if isinstance(hs, dict)
                                         else _build_handshake(hs_text)) or ns
                sock.nsp = ns
            ns._pending[sid] = sock
        self._handles[handle] = sock
        chain = list(ns._middlewares)
        if self._authorization is not None and nsp_name == "/":
            chain.insert(0, self._classic_authorization)
        if not chain:
            self._decide(sock, None)
            return
        self._run_middlewares(sock, chain)

    def _classic_authorization(self, socket: Socket, next: Callable) -> None:
        hs = dict(socket.handshake)
        hs["headers"] = dict(hs["headers"])

        def cb(err: Any, authorized: Any) -> None:
            if err:
                next(MiddlewareError(str(err)))
            elif not authorized:
                next(MiddlewareError("not authorized"))
            else:
                next()
        self._authorization(hs, cb)   # type: ignore[misc]

    def _decide(self, sock: Socket, err: Any) -> None:
        if sock.nsp._pending.get(sock.id) is sock:
            del sock.nsp._pending[sock.id]
        sock._pending = False
        h = sock._handle
        if h is None:
            self._maybe_cleanup(sock.nsp)
            return
        if err is None:
            with self._lock:
                self._core.decide(h, True, None, None)
                for r in sock._pending_rooms:   # after the accept: FIFO
                    self._core.join(h, r)
            sock._pending_rooms = ()
            return
        data = getattr(err, "data", None)
        msg = getattr(err, "message", None) or str(err) or "Connection rejected by server"
        try:
            data_text = json.dumps(data) if data is not None else None
        except (TypeError, ValueError):
            data_text = None
        with self._lock:
            sock._handle = None
            self._handles.pop(h, None)
        self._core.decide(h, False, str(msg), data_text)
        self._maybe_cleanup(sock.nsp)   # after the refusal: FIFO

    def _on_connect(self, nsp_name: str, handle: int, sid: str, hs_text: str) -> None:
        sock = self._handles.get(handle)
        if sock is None:
            ns = self._namespace_for(nsp_name, {}) or self.of(nsp_name)
            sock = Socket(self, ns, handle, sid, hs_text)
            self._handles[handle] = sock
        sock.connected = True
        sock.nsp.sockets[sid] = sock
        for fn in list(sock.nsp._handlers.get("connection", ())):
            self._spawn(sock, fn, (sock,))

    def _run_local(self, sock: Socket, event: str, *args: Any) -> None:
        for fn in list(sock._handlers.get(event, ())):
            self._spawn(sock, fn, args)

    def _deferred_handlers(self, sock: Socket, conn: bool, event: str, args: tuple) -> list:
        """The handlers _run_deferred runs, looked up now."""
        where = sock._conn if conn else sock
        fns = list(where._handlers.get(event, ())) if where is not None else []
        if not fns and not conn and event == "error":
            logger.info('sioc: socket %s: %s (no "error" handler)', sock.id, args[0])
        return fns

    # flavour-specific: _run_deferred(sock, conn, event, args) runs the
    # handlers of `event` on the socket (conn False) or its Conn, in the
    # socket's order: BlockingServer looks them up after what the socket
    # already has queued (its connection handler, which may register
    # them, included).

    def _make_ack(self, sock: Socket, ack_id: int) -> Callable:
        done = []
        h = sock._handle

        def ack(*values: Any) -> None:
            """Sends the acknowledgement (once)."""
            if done:
                return
            done.append(1)
            text, bins = _codec.encode(values)
            with self._lock:
                if sock._handle is None:
                    return
                self._core.ack(h, ack_id, text, bins)
        return ack

    def _dispatch_event(self, sock: Socket, name: str, args: list, ack_id: int) -> None:
        ack = self._make_ack(sock, ack_id) if ack_id >= 0 else None
        if sock._mws:
            self._spawn(sock, self._run_packet_mws, (sock, name, args, ack))
            return
        self._deliver(sock, name, args, ack)

    def _run_packet_mws(self, sock: Socket, name: str, args: list, ack: Any) -> None:
        packet = [name] + list(args)
        for mw in list(sock._mws):
            res: List[Any] = []
            mw(packet, lambda err=None: res.append(err))
            if not res:
                return
            if res[0] is not None:
                self._run_local(sock, "error", res[0])
                return
        self._deliver(sock, packet[0], packet[1:], ack)

    def _deliver(self, sock: Socket, name: str, args: list, ack: Any) -> None:
        if sock._any:
            for fn in list(sock._any):
                self._spawn(sock, fn, (name,) + tuple(args))
        handlers = sock._handlers.get(name)
        if not handlers:
            return
        args_t = tuple(args)
        for fn in list(handlers):
            self._spawn(sock, fn, args_t, ack, True)

    def _call_handler(self, fn: Callable, args: tuple, ack: Any, want_ack: bool) -> Any:
        if want_ack and _takes_ack(fn):
            return fn(*args, ack=ack), False
        return fn(*args), bool(want_ack and ack)

    # flavour-specific: _spawn, _new_future, _set_future, _result, _immediate,
    # _run_middlewares, _on_closed


class Server(_ServerBase):
    """An asyncio Socket.IO server::

        io = sioc.Server(cors={"origin": "*"})

        @io.on("connection")
        async def on_connection(socket):
            socket.join("lobby")

            @socket.on("chat")
            async def chat(msg):
                socket.broadcast.to("lobby").emit("chat", msg)
                return "ok"          # the ack, when the client asked for one

        await io.listen(3000)

    Handlers may be plain functions or coroutines (run as tasks, so a slow
    handler never blocks the others).  Emits are fire-and-forget; the
    network I/O runs in C on its own thread.
    """

    def __init__(self, **options: Any):
        super().__init__(**options)
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._closed_fut: Optional[asyncio.Future] = None
        self._tasks: Set[asyncio.Task] = set()
        self._ev_group: Optional[list] = None   # events awaiting their callback

    async def listen(self, port: int = 0, host: str = "0.0.0.0") -> int:
        """Starts listening (port 0 picks a free one); returns the port."""
        if self._listening:
            raise RuntimeError("the server is already listening")
        if self._closed:
            raise ClosedError("the server is closed")
        self._loop = asyncio.get_running_loop()
        self._closed_fut = self._loop.create_future()
        self._loop.add_reader(self._core.fileno(), self._readable)
        try:
            self.port = self._core.start(host, int(port))
        except Exception:
            self._loop.remove_reader(self._core.fileno())
            raise
        self._listening = True
        logger.info("sioc: listening on %s:%d", host, self.port)
        return self.port

    attach = listen

    async def wait_closed(self) -> None:
        """Returns once the server is closed."""
        if self._closed_fut is not None:
            await asyncio.shield(self._closed_fut)

    async def close(self) -> None:
        """Disconnects every client ("server shutting down"), stops listening
        and stops the loop thread."""
        if not self._listening:
            self._closed = True
            return
        if not self._closed:
            self._closed = True
            self._core.close()
        await asyncio.shield(self._closed_fut)  # type: ignore[arg-type]

    def run(self, port: int = 3000, host: str = "0.0.0.0") -> None:
        """Runs the server until Ctrl-C / SIGTERM, then closes it cleanly."""
        async def main() -> None:
            await self.listen(port, host)
            loop = asyncio.get_running_loop()
            stop = loop.create_future()
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
                except (NotImplementedError, RuntimeError):
                    pass
            await asyncio.wait([stop, self._closed_fut], return_when=asyncio.FIRST_COMPLETED)
            await self.close()
        asyncio.run(main())

    def _readable(self) -> None:
        self._on_events(self._core.drain())

    def _on_closed(self) -> None:
        self._core.join_thread()
        if self._loop is not None:
            self._loop.remove_reader(self._core.fileno())
        self._closed = True
        for sock in list(self._handles.values()):
            sock.connected = False
            sock._handle = None
        self._handles.clear()
        for ns in self._nsps.values():
            ns.sockets.clear()
        for req, what in list(self._requests.items()):
            self._resolve(what, ClosedError("the server is closed"), ())
        self._requests.clear()
        if self._closed_fut is not None and not self._closed_fut.done():
            self._closed_fut.set_result(None)

    def _on_events(self, events: list) -> None:
        for ev in events:
            if ev[0] != _E_EVENT:
                self._ev_group = None   # events after this go after its tasks
            try:
                self._on_event(ev)
            except Exception:   # never let one event stop the others
                logger.exception("sioc: error while dispatching %r", ev[:2])
        self._ev_group = None

    def _dispatch_event(self, sock: Socket, name: str, args: list, ack_id: int) -> None:
        # After the current batch: a coroutine connection handler created
        # just before gets to register its handlers first.  Consecutive
        # events of a batch share one loop callback (one per event was a
        # tenth of an echo's cost); anything else in the batch, which may
        # start tasks, ends the group.
        group = self._ev_group
        if group is None:
            group = self._ev_group = []
            self._loop.call_soon(self._run_events, group)  # type: ignore[union-attr]
        group.append((sock, name, args, ack_id))

    def _run_deferred(self, sock: Socket, conn: bool, event: str, args: tuple) -> None:
        # now, as "disconnect" handlers run (an error comes before the
        # disconnect that follows it); a plain connection handler already
        # ran when the connection event was read
        for fn in self._deferred_handlers(sock, conn, event, args):
            self._spawn(sock, fn, args)

    def _run_events(self, group: list) -> None:
        if self._ev_group is group:
            self._ev_group = None
        dispatch = _ServerBase._dispatch_event
        for sock, name, args, ack_id in group:
            try:
                dispatch(self, sock, name, args, ack_id)
            except Exception:
                logger.exception("sioc: error while dispatching %r", name)

    def _spawn(self, sock: Optional[Socket], fn: Callable, args: tuple, ack: Any = None,
               want_ack: bool = False) -> None:
        try:
            res, auto_ack = self._call_handler(fn, args, ack, want_ack)
        except Exception:
            logger.exception("sioc: error in handler %r", fn)
            return
        if res is not None and inspect.isawaitable(res):
            task = self._loop.create_task(self._finish(fn, res, ack if auto_ack else None))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif auto_ack:
            ack(*_codec.ack_args(res))

    async def _finish(self, fn: Callable, aw: Any, ack: Any) -> None:
        try:
            res = await aw
        except Exception:
            logger.exception("sioc: error in handler %r", fn)
            return
        if ack is not None:
            ack(*_codec.ack_args(res))

    def _run_middlewares(self, sock: Socket, chain: List[Callable]) -> None:
        task = self._loop.create_task(self._middleware_task(sock, chain))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _middleware_task(self, sock: Socket, chain: List[Callable]) -> None:
        for mw in chain:
            fut = self._loop.create_future()

            def nxt(err: Any = None, _f: asyncio.Future = fut) -> None:
                if not _f.done():
                    self._loop.call_soon_threadsafe(
                        lambda: _f.done() or _f.set_result(err))
            try:
                r = mw(sock, nxt)
                if inspect.isawaitable(r):
                    await r
                err = await fut
            except Exception as e:   # raising refuses, as next(e) does
                err = e
            if err is not None:
                self._decide(sock, err)
                return
        self._decide(sock, None)

    def _new_future(self) -> asyncio.Future:
        return self._loop.create_future()  # type: ignore[union-attr]

    def _set_future(self, fut: asyncio.Future, exc: Optional[Exception], value: Any) -> None:
        if fut.done():
            return
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(value)

    def _result(self, fut: asyncio.Future) -> asyncio.Future:
        return fut

    def _immediate(self, value: Any) -> Any:
        fut = asyncio.get_event_loop().create_future()
        fut.set_result(value)
        return fut


class BlockingServer(_ServerBase):
    """The same API without asyncio: handlers run on worker threads (one at
    a time per socket, so a socket's events keep their order while a slow
    handler of one client never delays the others); ``emit_with_ack`` and
    ``fetch_sockets`` return their result directly::

        io = sioc.BlockingServer()

        @io.on("connection")
        def on_connection(socket):
            socket.on("echo", lambda msg: msg)   # returned value -> ack

        io.run(3000)     # blocks; Ctrl-C closes cleanly
    """

    def __init__(self, max_workers: int = 32, **options: Any):
        super().__init__(**options)
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="sioc-handler")
        self._thread: Optional[threading.Thread] = None
        self._closed_evt = threading.Event()
        self._jobs_lock = threading.Lock()

    def listen(self, port: int = 0, host: str = "0.0.0.0") -> int:
        """Starts listening and the dispatch thread; returns the port."""
        if self._listening:
            raise RuntimeError("the server is already listening")
        if self._closed:
            raise ClosedError("the server is closed")
        self.port = self._core.start(host, int(port))
        self._listening = True
        self._thread = threading.Thread(target=self._dispatch_loop, name="sioc-dispatch",
                                        daemon=True)
        self._thread.start()
        logger.info("sioc: listening on %s:%d", host, self.port)
        return self.port

    def run(self, port: int = 3000, host: str = "0.0.0.0") -> None:
        """Listens and blocks until close() is called or Ctrl-C (which closes
        the server cleanly)."""
        if not self._listening:
            self.listen(port, host)
        try:
            while not self._closed_evt.wait(0.2):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.close()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until the server is closed; False on timeout."""
        return self._closed_evt.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Disconnects every client, stops listening, waits for the loop and
        dispatch threads, and shuts the worker threads down."""
        if not self._listening:
            self._closed = True
            self._pool.shutdown(wait=False)
            return
        if not self._closed:
            self._closed = True
            self._core.close()
        if threading.current_thread() is not self._thread:
            self._closed_evt.wait(timeout)
            if self._thread is not None:
                self._thread.join(timeout)
        if not any(t is threading.current_thread() for t in self._pool._threads):
            self._pool.shutdown(wait=True)

    def _dispatch_loop(self) -> None:
        while True:
            evs = self._core.wait(0.5)
            if evs:
                self._on_events(evs)
                if any(e[0] == _E_CLOSED for e in evs):
                    return

    def _on_closed(self) -> None:
        self._core.join_thread()
        self._closed = True
        with self._lock:
            for sock in list(self._handles.values()):
                sock.connected = False
                sock._handle = None
            self._handles.clear()
        for ns in self._nsps.values():
            ns.sockets.clear()
        for req, what in list(self._requests.items()):
            self._resolve(what, ClosedError("the server is closed"), ())
        self._requests.clear()
        self._closed_evt.set()

    def _dispatch_event(self, sock: Socket, name: str, args: list, ack_id: int) -> None:
        # In the socket's queue: its connection handler registers handlers
        # first.
        self._spawn(sock, super()._dispatch_event, (sock, name, args, ack_id))

    def _run_inline(self, fn: Callable, args: tuple) -> None:
        # On the calling (dispatch) thread: "new_namespace" handlers run
        # before the namespace's first middleware chain is taken.
        self._run_job((fn, args, None, False))

    def _run_deferred(self, sock: Socket, conn: bool, event: str, args: tuple) -> None:
        # in the socket's queue, after its connection handler
        self._spawn(sock, self._run_deferred_now, (sock, conn, event, args))

    def _run_deferred_now(self, sock: Socket, conn: bool, event: str, args: tuple) -> None:
        for fn in self._deferred_handlers(sock, conn, event, args):
            self._run_job((fn, args, None, False))

    # per-socket serial jobs on the pool
    def _spawn(self, sock: Optional[Socket], fn: Callable, args: tuple, ack: Any = None,
               want_ack: bool = False) -> None:
        job = (fn, args, ack, want_ack)
        if sock is None:
            self._submit(self._run_job, job)
            return
        with self._jobs_lock:
            if sock._jobs is None:
                sock._jobs = deque()
            sock._jobs.append(job)
            if sock._busy:
                return
            sock._busy = True
        self._submit(self._drain_jobs, sock)

    def _submit(self, fn: Callable, arg: Any) -> None:
        try:
            self._pool.submit(fn, arg)
        except RuntimeError:   # pool shut down
            pass

    def _drain_jobs(self, sock: Socket) -> None:
        while True:
            with self._jobs_lock:
                if not sock._jobs:
                    sock._busy = False
                    return
                job = sock._jobs.popleft()
            self._run_job(job)

    def _run_job(self, job: tuple) -> None:
        fn, args, ack, want_ack = job
        try:
            res, auto_ack = self._call_handler(fn, args, ack, want_ack)
            if inspect.isawaitable(res):
                res = asyncio.run(_await(res))
            if auto_ack:
                ack(*_codec.ack_args(res))
        except Exception:
            logger.exception("sioc: error in handler %r", fn)

    def _run_middlewares(self, sock: Socket, chain: List[Callable]) -> None:
        self._spawn(sock, self._middleware_job, (sock, chain))

    def _middleware_job(self, sock: Socket, chain: List[Callable]) -> None:
        for mw in chain:
            got = threading.Event()
            box: List[Any] = []

            def nxt(err: Any = None) -> None:
                if not box:
                    box.append(err)
                    got.set()
            try:
                mw(sock, nxt)
                # next() may be called later from another thread; bounded by
                # the core's connectTimeout anyway.
                got.wait(60)
                err = box[0] if box else MiddlewareError("middleware timed out")
            except Exception as e:
                err = e
            if err is not None:
                self._decide(sock, err)
                return
        self._decide(sock, None)

    def _new_future(self) -> concurrent.futures.Future:
        return concurrent.futures.Future()

    def _set_future(self, fut: concurrent.futures.Future, exc: Optional[Exception],
                    value: Any) -> None:
        if fut.done():
            return
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(value)

    def _result(self, fut: concurrent.futures.Future) -> Any:
        if self._thread is not None and threading.current_thread() is self._thread:
            raise RuntimeError("emit_with_ack cannot wait on the dispatch thread")
        return fut.result()

    def _immediate(self, value: Any) -> Any:
        return value


async def _await(aw: Any) -> Any:
    return await aw
