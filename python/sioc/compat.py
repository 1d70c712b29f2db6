"""python-socketio's server API on sioc's C core.

A python-socketio application runs with its import changed and a standalone
listen call in place of the web-server glue::

    import sioc.compat as socketio          # was: import socketio

    sio = socketio.AsyncServer(cors_allowed_origins="*")

    @sio.event
    async def connect(sid, environ, auth):
        ...

    await sio.listen(5000)                  # was: aiohttp / ASGI app setup
    # or, for socketio.Server: sio.run(5000)

Supported: ``AsyncServer`` and ``Server``, ``@sio.event``, ``@sio.on(event,
namespace=)``, ``connect(sid, environ[, auth])`` (return False or raise
ConnectionRefusedError to refuse, with its message and data), ``disconnect
(sid[, reason])``, ``emit(event, data, to=, room=, skip_sid=, namespace=,
callback=)``, ``call(..., timeout=)``, ``send``, ``enter_room``,
``leave_room``, ``close_room``, ``rooms``, ``get_session`` /
``save_session`` / ``session(sid)``, ``disconnect(sid)``, ``'*'`` catch-all
handlers, ``sleep`` and ``start_background_task``, and
``client_manager=AsyncRedisManager(url)`` / ``RedisManager(url)`` for a
cluster of servers on Redis.  Not supported: python-socketio's other client
managers (Kafka, ...), class-based namespaces' less common hooks,
``instrument()``, and mounting on a WSGI / ASGI application.

The Redis managers here speak socket.io's format (@socket.io/redis-adapter
8.x: msgpack on "<channel>#<namespace>#" channels), NOT python-socketio's
pickle format: a sioc.compat server joins a cluster of sioc servers and
Node socket.io servers with @socket.io/redis-adapter, not one of
python-socketio servers using socketio.AsyncRedisManager.  That is why the
default channel is "socket.io" (socket.io's key) rather than "socketio".
"""
import asyncio
import inspect
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Union

from . import _server
from ._server import AckTimeoutError, BlockingServer, MiddlewareError, Server

__all__ = ["AsyncServer", "Server", "exceptions", "Namespace", "AsyncNamespace",
           "AsyncRedisManager", "RedisManager"]


class RedisManager:
    """``client_manager=`` for a cluster on Redis, in python-socketio's
    spelling (``RedisManager(url, channel=..., write_only=False)``), carried
    out by sioc's C Redis adapter in socket.io's wire format (see the module
    docstring).  ``channel`` is the channel prefix (socket.io's ``key``);
    ``requests_timeout`` (seconds) bounds cluster queries.  ``write_only``
    (an emitter that is not a server) is not supported."""

    def __init__(self, url: str = "redis://localhost:6379/0", channel: str = "socket.io",
                 write_only: bool = False, logger: Any = None,
                 redis_options: Optional[dict] = None, requests_timeout: float = 5.0):
        if write_only:
            raise ValueError("sioc.compat: write_only Redis managers are not supported")
        if redis_options:
            raise ValueError("sioc.compat: redis_options are not supported (use the URL)")
        self.adapter = _server.RedisAdapter(url, key=channel, requests_timeout=requests_timeout)
        self.url = url
        self.channel = channel


class AsyncRedisManager(RedisManager):
    """``client_manager=`` of an AsyncServer (same as RedisManager)."""


class exceptions:   # noqa: N801  (mirrors the socketio.exceptions module)
    class SocketIOError(Exception):
        pass

    class ConnectionRefusedError(SocketIOError, ConnectionRefusedError):
        """Raise from connect() to refuse; args: message[, data]."""

        def __init__(self, *args: Any):
            super().__init__(*args)
            if not args:
                self.error_args = {"message": "Connection rejected by server"}
            else:
                self.error_args = {"message": str(args[0])}
                if len(args) == 2:
                    self.error_args["data"] = args[1]
                elif len(args) > 2:
                    self.error_args["data"] = list(args[1:])

    class TimeoutError(SocketIOError):
        pass

    class DisconnectedError(SocketIOError):
        pass


ConnectionRefusedError_ = exceptions.ConnectionRefusedError


def _data_args(data: Any) -> tuple:
    if data is None:
        return ()
    if isinstance(data, tuple):
        return data
    return (data,)


def _nparams(fn: Callable) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 99
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return 99
    return len([p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)])


def _environ(sock: "_server.Socket") -> dict:
    hs = sock.handshake
    url = hs.get("url", "")
    path, _, query = url.partition("?")
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
           "REMOTE_ADDR": hs.get("address", ""), "SERVER_PROTOCOL": "HTTP/1.1",
           "wsgi.url_scheme": "https" if hs.get("secure") else "http",
           "sioc.handshake": hs}
    for k, v in hs.get("headers", {}).items():
        key = k.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            env[key] = v
        else:
            env["HTTP_" + key] = v
    return env


class _Common:
    _async = False

    def __init__(self, cors_allowed_origins: Any = None, ping_interval: Any = None,
                 ping_timeout: Any = None, max_http_buffer_size: Any = None,
                 transports: Any = None, async_mode: Any = None, logger: Any = False,
                 engineio_logger: Any = False, always_connect: bool = False,
                 namespaces: Any = None, json: Any = None, async_handlers: bool = True,
                 **kwargs: Any):
        opts: Dict[str, Any] = {}
        if cors_allowed_origins is not None:
            origin = cors_allowed_origins
            if origin == []:
                opts["cors"] = False
            else:
                opts["cors"] = {"origin": origin}
        if ping_interval is not None:
            pi = ping_interval[0] if isinstance(ping_interval, (list, tuple)) else ping_interval
            opts["pingInterval"] = int(pi * 1000)
        if ping_timeout is not None:
            opts["pingTimeout"] = int(ping_timeout * 1000)
        if max_http_buffer_size is not None:
            opts["maxHttpBufferSize"] = max_http_buffer_size
        if transports is not None:
            opts["transports"] = list(transports)
        manager = kwargs.pop("client_manager", None)
        if isinstance(manager, RedisManager):
            opts["adapter"] = manager.adapter
        elif manager is not None and type(manager).__name__ not in ("Manager", "AsyncManager"):
            raise ValueError("sioc.compat: client_manager must be sioc.compat.AsyncRedisManager "
                             "or RedisManager (python-socketio's managers speak another format)")
        for k in ("cookie", "http_compression", "compression_threshold", "monitor_clients",
                  "allow_upgrades", "cors_credentials", "serializer",
                  "channel", "max_queue"):
            kwargs.pop(k, None)
        opts.update(kwargs)
        self.io = self._server_class(**opts)
        self.handlers: Dict[str, Dict[str, Callable]] = {}
        self._sessions: Dict[tuple, dict] = {}
        self._namespaces_set: set = set()
        self._bound: set = set()
        self.always_connect = always_connect
        self._ensure_ns("/")

    # ---- registration ----------------------------------------------------
    def on(self, event: str, handler: Optional[Callable] = None,
           namespace: Optional[str] = None) -> Any:
        """``@sio.on("event", namespace="/chat")``; "*" catches every event
        without its own handler (called as handler(event, sid, *args))."""
        ns = namespace or "/"

        def register(fn: Callable) -> Callable:
            self.handlers.setdefault(ns, {})[event] = fn
            self._ensure_ns(ns)
            return fn
        return register(handler) if handler is not None else register

    def event(self, *args: Any, **kwargs: Any) -> Any:
        """``@sio.event`` (handler named after the event) or
        ``@sio.event(namespace="/chat")``."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            return self.on(args[0].__name__)(args[0])

        def register(fn: Callable) -> Callable:
            return self.on(fn.__name__, **kwargs)(fn)
        return register

    def register_namespace(self, ns_obj: Any) -> None:
        """Class-based namespaces: methods ``on_<event>``."""
        ns_obj.server = self
        for name in dir(ns_obj):
            if name.startswith("on_"):
                self.on(name[3:], getattr(ns_obj, name), namespace=ns_obj.namespace)

    def _ensure_ns(self, ns: str) -> None:
        if ns in self._bound:
            return
        self._bound.add(ns)
        nsp = self.io.of(ns)
        nsp.use(self._middleware(ns))
        nsp.on("connection", self._on_connection(ns))

    def _handler(self, ns: str, event: str) -> Optional[Callable]:
        return self.handlers.get(ns, {}).get(event)

    def _connect_args(self, fn: Callable, sock: Any) -> tuple:
        env = _environ(sock)
        if _nparams(fn) >= 3:
            return (sock.id, env, sock.handshake.get("auth") or None)
        return (sock.id, env)

    def _refusal(self, result: Any, exc: Optional[BaseException]) -> Optional[MiddlewareError]:
        if exc is not None:
            if isinstance(exc, exceptions.ConnectionRefusedError):
                a = exc.error_args
                return MiddlewareError(a["message"], a.get("data"))
            if isinstance(exc, ConnectionRefusedError):
                args = exc.args
                msg = str(args[0]) if args else "Connection rejected by server"
                data = None if len(args) < 2 else (args[1] if len(args) == 2 else list(args[1:]))
                return MiddlewareError(msg, data)
            _server.logger.exception("sioc.compat: connect handler failed", exc_info=exc)
            return MiddlewareError("Connection rejected by server")
        if result is False and not self.always_connect:
            return MiddlewareError("Connection rejected by server")
        return None

    def _on_connection(self, ns: str) -> Callable:
        def on_connection(sock: Any) -> None:
            # Every event goes through the compat dispatcher (ack = return).
            sock._handlers = _CompatHandlers(self, ns, sock)
            sock.on("disconnect", lambda reason: self._on_disconnect(ns, sock, reason))
        return on_connection

    def _on_disconnect(self, ns: str, sock: Any, reason: str) -> Any:
        fn = self._handler(ns, "disconnect")
        self._sessions.pop((ns, sock.id), None)
        if fn is None:
            return None
        if _nparams(fn) >= 2:
            return fn(sock.id, reason)
        return fn(sock.id)

    # ---- lookups ---------------------------------------------------------
    def _socket(self, sid: str, namespace: Optional[str]) -> Any:
        nsp = self.io.of(namespace or "/")
        return nsp.sockets.get(sid) or nsp._pending.get(sid)

    def _remote_call_possible(self, sid: Any) -> bool:
        """call() to a sid this server does not have: with a cluster
        adapter it may be on another server, reached as a broadcast with
        acks to its room (python-socketio's pub/sub managers forward the
        call too)."""
        return isinstance(sid, str) and self.io._redis is not None

    @staticmethod
    def _first_answer(answers: List[Any]) -> Any:
        """A broadcast with acks answers with one value per client (the
        first ack argument); no answer means no such client anywhere."""
        if not answers:
            raise exceptions.DisconnectedError()
        return answers[0]

    def _op(self, to: Any, room: Any, skip_sid: Any, namespace: Optional[str]) -> Any:
        op = self.io.of(namespace or "/")._op()
        target = to if to is not None else room
        if target is not None:
            op = op.to(target)
        if skip_sid is not None:
            op = op.except_(skip_sid)
        return op

    def rooms(self, sid: str, namespace: Optional[str] = None) -> List[str]:
        """The rooms of ``sid`` (its own id room included)."""
        s = self._socket(sid, namespace)
        return sorted(s.rooms) if s else []

    def enter_room(self, sid: str, room: str, namespace: Optional[str] = None) -> Any:
        s = self._socket(sid, namespace)
        if s:
            s.join(room)
        return self._done()

    def leave_room(self, sid: str, room: str, namespace: Optional[str] = None) -> Any:
        s = self._socket(sid, namespace)
        if s:
            s.leave(room)
        return self._done()

    def close_room(self, room: str, namespace: Optional[str] = None) -> Any:
        self.io.of(namespace or "/").in_(room).sockets_leave(room)
        return self._done()

    def get_session(self, sid: str, namespace: Optional[str] = None) -> Any:
        return self._done(self._sessions.setdefault((namespace or "/", sid), {}))

    def save_session(self, sid: str, session: dict, namespace: Optional[str] = None) -> Any:
        self._sessions[(namespace or "/", sid)] = session
        return self._done()

    def session(self, sid: str, namespace: Optional[str] = None) -> "_Session":
        """``async with sio.session(sid) as s:`` (or ``with`` for Server)."""
        return _Session(self, sid, namespace or "/")

    def transport(self, sid: str, namespace: Optional[str] = None) -> str:
        """"polling" or "websocket": the transport client ``sid`` uses now
        (KeyError when it is not connected, as python-socketio)."""
        s = self._socket(sid, namespace)
        t = s.conn.transport if s is not None else None
        if t is None:
            raise KeyError("Session not found")
        return t

    def get_environ(self, sid: str, namespace: Optional[str] = None) -> Optional[dict]:
        s = self._socket(sid, namespace)
        return _environ(s) if s else None

    def _emit(self, event: str, data: Any, to: Any, room: Any, skip_sid: Any,
              namespace: Optional[str], callback: Optional[Callable]) -> None:
        args = _data_args(data)
        target = to if to is not None else room
        ns = namespace or "/"
        if callback is not None and isinstance(target, str):
            s = self._socket(target, ns)
            if s is not None:
                s.emit(event, *args, callback=lambda *a: callback(*a))
                return
        self._op(to, room, skip_sid, ns).emit(event, *args)


class _Session:
    def __init__(self, server: _Common, sid: str, namespace: str):
        self.server, self.sid, self.namespace = server, sid, namespace

    def _get(self) -> dict:
        return self.server._sessions.setdefault((self.namespace, self.sid), {})

    async def __aenter__(self) -> dict:
        return self._get()

    async def __aexit__(self, *exc: Any) -> None:
        pass

    def __enter__(self) -> dict:
        return self._get()

    def __exit__(self, *exc: Any) -> None:
        pass


class _CompatHandlers(dict):
    """Stands in for a Socket's handler table: every event name maps to the
    compat dispatcher (python-socketio semantics: handler(sid, *args), the
    return value is the ack, '*' catches the rest)."""

    def __init__(self, server: _Common, ns: str, sock: Any):
        super().__init__()
        self._server, self._ns, self._sock = server, ns, sock

    def get(self, event: str, default: Any = None) -> Any:   # type: ignore[override]
        if event in ("disconnect", "disconnecting", "error"):
            return super().get(event, default)
        srv, ns, sid = self._server, self._ns, self._sock.id
        fn = srv._handler(ns, event)
        if fn is not None:
            return [lambda *args: fn(sid, *args)]
        catch_all = srv._handler(ns, "*")
        if catch_all is not None:
            return [lambda *args: catch_all(event, sid, *args)]
        return default

    def setdefault(self, key: Any, default: Any = None) -> Any:
        return super().setdefault(key, default)


class AsyncServer(_Common):
    """python-socketio's ``socketio.AsyncServer`` on sioc."""
    _server_class = Server
    _async = True

    def _middleware(self, ns: str) -> Callable:
        async def middleware(sock: Any, next: Callable) -> None:
            fn = self._handler(ns, "connect")
            if fn is None:
                next()
                return
            result, exc = None, None
            try:
                result = fn(*self._connect_args(fn, sock))
                if inspect.isawaitable(result):
                    result = await result
            except Exception as e:
                exc = e
            next(self._refusal(result, exc))
        return middleware

    def _done(self, value: Any = None) -> Any:
        fut = asyncio.get_event_loop().create_future()
        fut.set_result(value)
        return fut

    async def emit(self, event: str, data: Any = None, to: Any = None, room: Any = None,
                   skip_sid: Any = None, namespace: Optional[str] = None,
                   callback: Optional[Callable] = None, **kwargs: Any) -> None:
        self._emit(event, data, to, room, skip_sid, namespace, callback)

    async def send(self, data: Any, to: Any = None, room: Any = None, skip_sid: Any = None,
                   namespace: Optional[str] = None, callback: Optional[Callable] = None,
                   **kwargs: Any) -> None:
        self._emit("message", data, to, room, skip_sid, namespace, callback)

    async def call(self, event: str, data: Any = None, to: Any = None, sid: Any = None,
                   namespace: Optional[str] = None, timeout: float = 60,
                   **kwargs: Any) -> Any:
        target = to or sid
        s = self._socket(target, namespace)
        try:
            if s is not None:
                return await s.emit_with_ack(event, *_data_args(data), timeout=timeout)
            if self._remote_call_possible(target):
                op = self._op(target, None, None, namespace).timeout(timeout)
                return self._first_answer(await op.emit_with_ack(event, *_data_args(data)))
        except AckTimeoutError:
            raise exceptions.TimeoutError() from None
        raise exceptions.DisconnectedError()

    async def disconnect(self, sid: str, namespace: Optional[str] = None,
                         ignore_queue: bool = False) -> None:
        s = self._socket(sid, namespace)
        if s:
            s.disconnect()

    async def listen(self, port: int = 5000, host: str = "0.0.0.0") -> int:
        """Standalone listen (replaces the aiohttp/ASGI glue); returns the port."""
        return await self.io.listen(port, host)

    async def shutdown(self) -> None:
        await self.io.close()

    close = shutdown

    async def wait(self) -> None:
        await self.io.wait_closed()

    def run(self, port: int = 5000, host: str = "0.0.0.0") -> None:
        self.io.run(port, host)

    async def sleep(self, seconds: float = 0) -> None:
        await asyncio.sleep(seconds)

    def start_background_task(self, target: Callable, *args: Any, **kwargs: Any) -> Any:
        return asyncio.get_event_loop().create_task(target(*args, **kwargs))


class _SyncServer(_Common):
    """python-socketio's ``socketio.Server`` (threads) on sioc."""
    _server_class = BlockingServer

    def _middleware(self, ns: str) -> Callable:
        def middleware(sock: Any, next: Callable) -> None:
            fn = self._handler(ns, "connect")
            if fn is None:
                next()
                return
            result, exc = None, None
            try:
                result = fn(*self._connect_args(fn, sock))
            except Exception as e:
                exc = e
            next(self._refusal(result, exc))
        return middleware

    def _done(self, value: Any = None) -> Any:
        return value

    def emit(self, event: str, data: Any = None, to: Any = None, room: Any = None,
             skip_sid: Any = None, namespace: Optional[str] = None,
             callback: Optional[Callable] = None, **kwargs: Any) -> None:
        self._emit(event, data, to, room, skip_sid, namespace, callback)

    def send(self, data: Any, to: Any = None, room: Any = None, skip_sid: Any = None,
             namespace: Optional[str] = None, callback: Optional[Callable] = None,
             **kwargs: Any) -> None:
        self._emit("message", data, to, room, skip_sid, namespace, callback)

    def call(self, event: str, data: Any = None, to: Any = None, sid: Any = None,
             namespace: Optional[str] = None, timeout: float = 60, **kwargs: Any) -> Any:
        target = to or sid
        s = self._socket(target, namespace)
        try:
            if s is not None:
                return s.emit_with_ack(event, *_data_args(data), timeout=timeout)
            if self._remote_call_possible(target):
                op = self._op(target, None, None, namespace).timeout(timeout)
                return self._first_answer(op.emit_with_ack(event, *_data_args(data)))
        except AckTimeoutError:
            raise exceptions.TimeoutError() from None
        raise exceptions.DisconnectedError()

    def disconnect(self, sid: str, namespace: Optional[str] = None,
                   ignore_queue: bool = False) -> None:
        s = self._socket(sid, namespace)
        if s:
            s.disconnect()

    def listen(self, port: int = 5000, host: str = "0.0.0.0") -> int:
        """Standalone listen in the background; returns the port."""
        return self.io.listen(port, host)

    def run(self, port: int = 5000, host: str = "0.0.0.0") -> None:
        """Listens and blocks until shutdown() or Ctrl-C."""
        self.io.run(port, host)

    def shutdown(self) -> None:
        self.io.close()

    close = shutdown

    def sleep(self, seconds: float = 0) -> None:
        time.sleep(seconds)

    def start_background_task(self, target: Callable, *args: Any, **kwargs: Any) -> Any:
        t = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
        t.start()
        return t


Server = _SyncServer  # type: ignore[misc]  # noqa: F811


class Namespace:
    """Class-based namespace (methods on_<event>(sid, ...))."""

    def __init__(self, namespace: Optional[str] = None):
        self.namespace = namespace or "/"
        self.server: Any = None

    def emit(self, event: str, data: Any = None, **kw: Any) -> Any:
        kw.setdefault("namespace", self.namespace)
        return self.server.emit(event, data, **kw)


AsyncNamespace = Namespace


# ---- python-socketio's client API ---------------------------------------------

from . import _client  # noqa: E402


class _Reason:
    CLIENT_DISCONNECT = "client disconnect"
    SERVER_DISCONNECT = "server disconnect"
    TRANSPORT_ERROR = "transport error"


_REASONS = {"io client disconnect": _Reason.CLIENT_DISCONNECT,
            "io server disconnect": _Reason.SERVER_DISCONNECT}


def _exc(kind: str, *args: Any) -> Exception:
    cls = getattr(exceptions, kind, None)
    if cls is None:
        cls = type(kind, (exceptions.SocketIOError,), {})
        setattr(exceptions, kind, cls)
    return cls(*args)


class _ClientCommon:
    """Shared by AsyncClient and Client: python-socketio's handler registry
    (``@sio.event``, ``@sio.on(event, namespace=)``, ``'*'``) mapped onto
    sioc client sockets, one per namespace, over one sioc manager."""

    reason = _Reason

    def __init__(self, reconnection: bool = True, reconnection_attempts: int = 0,
                 reconnection_delay: float = 1, reconnection_delay_max: float = 5,
                 randomization_factor: float = 0.5, logger: Any = False,
                 serializer: Any = "default", json: Any = None, handle_sigint: bool = True,
                 request_timeout: float = 5, ssl_verify: bool = True, **kwargs: Any):
        self._opts = dict(reconnection=reconnection,
                          reconnection_attempts=reconnection_attempts or None,
                          reconnection_delay=reconnection_delay,
                          reconnection_delay_max=reconnection_delay_max,
                          randomization_factor=randomization_factor, verify=ssl_verify)
        self.handlers: Dict[str, Dict[str, Callable]] = {}
        self.namespaces: Dict[str, Optional[str]] = {}
        self.connection_url: Optional[str] = None
        self.connection_namespaces: List[str] = []
        self.connected = False
        self._initial = False
        self._mgr: Any = None
        self._socks: Dict[str, Any] = {}

    def on(self, event: str, handler: Optional[Callable] = None,
           namespace: Optional[str] = None) -> Any:
        ns = namespace or "/"

        def set_handler(fn: Callable) -> Callable:
            self.handlers.setdefault(ns, {})[event] = fn
            return fn
        return set_handler(handler) if handler is not None else set_handler

    def event(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and callable(args[0]):
            return self.on(args[0].__name__)(args[0])

        def deco(fn: Callable) -> Callable:
            return self.on(fn.__name__, **kwargs)(fn)
        return deco

    def register_namespace(self, ns_obj: Any) -> None:
        raise NotImplementedError("class-based client namespaces are not supported")

    @property
    def sid(self) -> Optional[str]:
        return self.get_sid("/")

    def get_sid(self, namespace: Optional[str] = None) -> Optional[str]:
        s = self._socks.get(namespace or "/")
        return s.id if s is not None else None

    def transport(self) -> Optional[str]:
        return self._mgr.transport if self._mgr is not None and not self._mgr._closed else None

    def _handler(self, ns: str, event: str) -> Optional[Callable]:
        return self.handlers.get(ns, {}).get(event)

    def _setup(self, url: str, headers: Any, auth: Any, transports: Any,
               namespaces: Any, socketio_path: str, factory: Callable) -> List[str]:
        if self.connected:
            raise exceptions.ConnectionError("Already connected")
        if isinstance(namespaces, str):
            namespaces = [namespaces]
        if not namespaces:
            namespaces = [n for n in self.handlers if n != "*"] or ["/"]
        self.connection_url, self.connection_namespaces = url, list(namespaces)
        self._mgr = factory(url, path=socketio_path, transports=transports,
                            headers=headers or None, **self._opts)
        self._socks = {}
        for ns in namespaces:
            s = self._mgr.socket(ns, auth)
            self._socks[ns] = s
            self._wire(ns, s)
        return namespaces

    def _wire(self, ns: str, s: Any) -> None:
        def on_connect() -> Any:
            self.namespaces[ns] = s.id
            self.connected = True
            return self._fire(ns, "connect", ())

        def on_connect_error(err: Any) -> Any:
            if self._initial:
                return None   # reported by connect()
            payload: Any = {"message": err.message}
            if err.data is not None:
                payload["data"] = err.data
            return self._fire(ns, "connect_error", (payload,))

        def on_disconnect(reason: str) -> Any:
            self.namespaces.pop(ns, None)
            if not self.namespaces:
                self.connected = False
            r = self._fire(ns, "disconnect", (_REASONS.get(reason, _Reason.TRANSPORT_ERROR),))
            if not self._initial and (not s.active or not self._opts["reconnection"]):
                self._finished()
            return r

        def on_any(event: str, *args: Any) -> Any:
            fn = self._handler(ns, event)
            if fn is not None:
                return fn(*args)
            fn = self._handler(ns, "*") or self._handler("*", "*")
            if fn is not None:
                return fn(event, *args) if self._handler(ns, "*") else fn(event, ns, *args)
            return None

        s.on("connect", on_connect)
        s.on("connect_error", on_connect_error)
        s.on("disconnect", on_disconnect)
        s.on("reconnect_failed", lambda: self._finished())
        s._dispatch_any = on_any

    def _fire(self, ns: str, event: str, args: tuple) -> Any:
        fn = self._handler(ns, event)
        if fn is None:
            return None
        return fn(*_client._trim(fn, args))

    def _sock(self, namespace: Optional[str]) -> Any:
        ns = namespace or "/"
        s = self._socks.get(ns)
        if s is None or not s.connected:
            raise exceptions.BadNamespaceError(ns + " is not a connected namespace.")
        return s

    def _finished(self) -> None:
        pass


for _n in ("ConnectionError", "BadNamespaceError"):
    if not hasattr(exceptions, _n):
        setattr(exceptions, _n, type(_n, (exceptions.SocketIOError,), {}))


def _route_events() -> None:
    """Routes server events of compat sockets through python-socketio's
    handler table (one dispatcher per socket, set as _dispatch_any)."""
    orig = _client._ClientBase._run_event

    def run_event(self: Any, sock: Any, name: str, args: list, ack_id: int) -> None:
        d = getattr(sock, "_dispatch_any", None)
        if d is None:
            return orig(self, sock, name, args, ack_id)
        self._call(sock, d, (name, *args), ack=(sock.nsp, ack_id) if ack_id >= 0 else None)
    _client._ClientBase._run_event = run_event  # type: ignore[assignment]


_route_events()


class AsyncClient(_ClientCommon):
    """python-socketio's ``socketio.AsyncClient`` on sioc's C client::

        sio = socketio.AsyncClient()

        @sio.event
        async def connect():
            print("connected", sio.sid)

        @sio.on("news", namespace="/chat")
        async def news(data):
            return "ack value"

        await sio.connect("http://localhost:5000", auth={"token": "t"},
                          namespaces=["/", "/chat"], transports=["websocket"])
        await sio.emit("hello", {"a": 1})
        print(await sio.call("echo", 1, timeout=5))
        await sio.wait()
    """

    async def connect(self, url: str, headers: Any = {}, auth: Any = None,  # noqa: B006
                      transports: Any = None, namespaces: Any = None,
                      socketio_path: str = "socket.io", wait: bool = True,
                      wait_timeout: float = 1, retry: bool = False) -> None:
        self._initial = True
        self._done = asyncio.get_running_loop().create_future()
        nss = self._setup(url, headers, auth, transports, namespaces, socketio_path,
                          _client.AsyncClient)
        for s in self._socks.values():
            s.connect()
        try:
            await asyncio.gather(*(s.wait_connected(wait_timeout + 5) for s in self._socks.values()))
        except (Exception, asyncio.TimeoutError) as e:
            if isinstance(e, _client.ConnectError):
                payload: Any = {"message": e.message}
                if e.data is not None:
                    payload["data"] = e.data
                for ns in nss:
                    if not self._socks[ns].connected:
                        r = self._fire(ns, "connect_error", (payload if e.data is not None or
                                                             e.err == 0 else e.message,))
                        if inspect.isawaitable(r):
                            await r
            self.connected = False
            await self._mgr.close()
            self.namespaces = {}
            raise exceptions.ConnectionError(
                "One or more namespaces failed to connect: %s" % e
                if isinstance(e, _client.ConnectError) else "Connection error: %s" % e) from None
        finally:
            self._initial = False

    def _finished(self) -> None:
        if self._mgr is not None:
            asyncio.ensure_future(self._close_mgr())

    async def _close_mgr(self) -> None:
        if self._mgr is not None:
            await self._mgr.close()
        if not self._done.done():
            self._done.set_result(None)

    async def wait(self) -> None:
        """Returns once disconnected for good (disconnect() or reconnection
        gave up)."""
        await asyncio.shield(self._done)

    async def emit(self, event: str, data: Any = None, namespace: Optional[str] = None,
                   callback: Optional[Callable] = None) -> None:
        self._sock(namespace).emit(event, *_data_args(data), callback=callback)

    async def send(self, data: Any, namespace: Optional[str] = None,
                   callback: Optional[Callable] = None) -> None:
        await self.emit("message", data, namespace, callback)

    async def call(self, event: str, data: Any = None, namespace: Optional[str] = None,
                   timeout: float = 60) -> Any:
        try:
            return await self._sock(namespace).emit_with_ack(event, *_data_args(data),
                                                             timeout=timeout)
        except AckTimeoutError:
            raise exceptions.TimeoutError() from None

    async def disconnect(self) -> None:
        for s in list(self._socks.values()):
            s.disconnect()
        await self._close_mgr()
        self.connected = False
        self.namespaces = {}

    async def shutdown(self) -> None:
        await self.disconnect()

    async def sleep(self, seconds: float = 0) -> None:
        await asyncio.sleep(seconds)

    def start_background_task(self, target: Callable, *args: Any, **kwargs: Any) -> Any:
        return asyncio.ensure_future(target(*args, **kwargs))


class Client(_ClientCommon):
    """python-socketio's blocking ``socketio.Client`` on sioc's C client:
    handlers run on a handler thread; ``wait()`` blocks until disconnected
    for good."""

    def connect(self, url: str, headers: Any = {}, auth: Any = None,  # noqa: B006
                transports: Any = None, namespaces: Any = None,
                socketio_path: str = "socket.io", wait: bool = True,
                wait_timeout: float = 1, retry: bool = False) -> None:
        self._initial = True
        self._done = threading.Event()
        nss = self._setup(url, headers, auth, transports, namespaces, socketio_path,
                          _client.Client)
        for s in self._socks.values():
            s.connect()
        try:
            for s in self._socks.values():
                s.wait_connected(wait_timeout + 5)
        except Exception as e:
            if isinstance(e, _client.ConnectError):
                payload: Any = {"message": e.message}
                if e.data is not None:
                    payload["data"] = e.data
                for ns in nss:
                    if not self._socks[ns].connected:
                        self._fire(ns, "connect_error", (payload if e.data is not None or
                                                         e.err == 0 else e.message,))
            self.connected = False
            self._mgr.close()
            self.namespaces = {}
            raise exceptions.ConnectionError(
                "One or more namespaces failed to connect: %s" % e
                if isinstance(e, _client.ConnectError) else "Connection error: %s" % e) from None
        finally:
            self._initial = False

    def _finished(self) -> None:
        self._done.set()   # wait() or disconnect() closes the manager

    def wait(self) -> None:
        while not self._done.wait(0.2):
            pass
        if self._mgr is not None:
            self._mgr.close()

    def emit(self, event: str, data: Any = None, namespace: Optional[str] = None,
             callback: Optional[Callable] = None) -> None:
        self._sock(namespace).emit(event, *_data_args(data), callback=callback)

    def send(self, data: Any, namespace: Optional[str] = None,
             callback: Optional[Callable] = None) -> None:
        self.emit("message", data, namespace, callback)

    def call(self, event: str, data: Any = None, namespace: Optional[str] = None,
             timeout: float = 60) -> Any:
        try:
            return self._sock(namespace).emit_with_ack(event, *_data_args(data), timeout=timeout)
        except AckTimeoutError:
            raise exceptions.TimeoutError() from None

    def disconnect(self) -> None:
        for s in list(self._socks.values()):
            s.disconnect()
        if self._mgr is not None:
            self._mgr.close()
        self.connected = False
        self.namespaces = {}
        if hasattr(self, "_done"):
            self._done.set()

    def shutdown(self) -> None:
        self.disconnect()

    def sleep(self, seconds: float = 0) -> None:
        time.sleep(seconds)

    def start_background_task(self, target: Callable, *args: Any, **kwargs: Any) -> Any:
        t = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
        t.start()
        return t


class _SimpleCommon:
    def _queue_event(self, event: str, *args: Any) -> None:
        self._input.put([event, *args])


class SimpleClient:
    """python-socketio's ``socketio.SimpleClient``: connect, emit, call,
    receive(timeout) -> [event, *args], disconnect; a context manager."""

    def __init__(self, *args: Any, **kwargs: Any):
        import queue as _q
        self._client_args, self._client_kwargs = args, kwargs
        self.client: Optional[Client] = None
        self.namespace = "/"
        self._input: Any = _q.Queue()
        self.connected_event = threading.Event()
        self.connected = False

    def connect(self, url: str, headers: Any = {}, auth: Any = None,  # noqa: B006
                transports: Any = None, namespace: str = "/",
                socketio_path: str = "socket.io", wait_timeout: float = 5) -> None:
        if self.connected:
            raise RuntimeError("Already connected")
        self.namespace = namespace
        self.client = Client(*self._client_args, **self._client_kwargs)

        @self.client.event(namespace=namespace)
        def connect() -> None:
            self.connected = True
            self.connected_event.set()

        @self.client.event(namespace=namespace)
        def disconnect() -> None:
            self.connected_event.clear()

        @self.client.on("*", namespace=namespace)
        def on_any(event: str, *args: Any) -> None:
            self._input.put([event, *args])

        self.client.connect(url, headers=headers, auth=auth, transports=transports,
                            namespaces=[namespace], socketio_path=socketio_path,
                            wait_timeout=wait_timeout)
        # The "connect" handler above runs on the client's handler thread:
        # wait for it, so that connected is true when connect() returns.
        if not self.connected_event.wait(wait_timeout):
            self.client.disconnect()
            raise exceptions.ConnectionError("One or more namespaces failed to connect")

    @property
    def sid(self) -> Optional[str]:
        return self.client.get_sid(self.namespace) if self.client else None

    @property
    def transport(self) -> str:
        return (self.client.transport() if self.client else None) or ""

    def emit(self, event: str, data: Any = None) -> None:
        if not self.connected or self.client is None:
            raise exceptions.DisconnectedError()
        self.client.emit(event, data, namespace=self.namespace)

    def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        if not self.connected or self.client is None:
            raise exceptions.DisconnectedError()
        return self.client.call(event, data, namespace=self.namespace, timeout=timeout)

    def receive(self, timeout: Optional[float] = None) -> list:
        import queue as _q
        if not self.connected:
            raise exceptions.DisconnectedError()
        try:
            return self._input.get(timeout=timeout)
        except _q.Empty:
            raise exceptions.TimeoutError() from None

    def disconnect(self) -> None:
        if self.connected and self.client is not None:
            self.client.disconnect()
            self.client = None
            self.connected = False

    def __enter__(self) -> "SimpleClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.disconnect()


class AsyncSimpleClient:
    """python-socketio's ``socketio.AsyncSimpleClient`` (async with)."""

    def __init__(self, *args: Any, **kwargs: Any):
        self._client_args, self._client_kwargs = args, kwargs
        self.client: Optional[AsyncClient] = None
        self.namespace = "/"
        self._input: "asyncio.Queue[list]" = asyncio.Queue()
        self.connected = False

    async def connect(self, url: str, headers: Any = {}, auth: Any = None,  # noqa: B006
                      transports: Any = None, namespace: str = "/",
                      socketio_path: str = "socket.io", wait_timeout: float = 5) -> None:
        if self.connected:
            raise RuntimeError("Already connected")
        self.namespace = namespace
        self.client = AsyncClient(*self._client_args, **self._client_kwargs)

        @self.client.event(namespace=namespace)
        def connect() -> None:
            self.connected = True

        @self.client.on("*", namespace=namespace)
        def on_any(event: str, *args: Any) -> None:
            self._input.put_nowait([event, *args])

        await self.client.connect(url, headers=headers, auth=auth, transports=transports,
                                  namespaces=[namespace], socketio_path=socketio_path,
                                  wait_timeout=wait_timeout)

    @property
    def sid(self) -> Optional[str]:
        return self.client.get_sid(self.namespace) if self.client else None

    @property
    def transport(self) -> str:
        return (self.client.transport() if self.client else None) or ""

    async def emit(self, event: str, data: Any = None) -> None:
        if not self.connected or self.client is None:
            raise exceptions.DisconnectedError()
        await self.client.emit(event, data, namespace=self.namespace)

    async def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        if not self.connected or self.client is None:
            raise exceptions.DisconnectedError()
        return await self.client.call(event, data, namespace=self.namespace, timeout=timeout)

    async def receive(self, timeout: Optional[float] = None) -> list:
        if not self.connected:
            raise exceptions.DisconnectedError()
        try:
            return await asyncio.wait_for(self._input.get(), timeout)
        except asyncio.TimeoutError:
            raise exceptions.TimeoutError() from None

    async def disconnect(self) -> None:
        if self.connected and self.client is not None:
            await self.client.disconnect()
            self.client = None
            self.connected = False

    async def __aenter__(self) -> "AsyncSimpleClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.disconnect()


__all__ += ["AsyncClient", "Client", "SimpleClient", "AsyncSimpleClient"]
