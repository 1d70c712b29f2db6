"""sioc: a Socket.IO v5 / Engine.IO v4 server whose protocol stack is C.

``sioc.Server`` is the asyncio flavour, ``sioc.BlockingServer`` the
thread-based one; both offer socket.io's server API in Python spelling
(plus the classic 0.9 aliases).  The client: ``await sioc.connect(url)``
(asyncio; ``sioc.AsyncClient``) or ``sioc.connect_blocking(url)``
(``sioc.Client``) return a socket with on/emit/emit_with_ack/disconnect.  ``sioc.compat`` is python-socketio's server
API on the same core.  Logging goes to the ``sioc`` logger.
"""
from ._client import (
    AsyncClient,
    AsyncClientSocket,
    BlockingClientSocket,
    Client,
    ClientSocket,
    ConnectError,
    connect,
    connect_blocking,
)
from ._server import (
    AckTimeoutError,
    BlockingServer,
    BroadcastOperator,
    ClosedError,
    Conn,
    Engine,
    MiddlewareError,
    Namespace,
    RedisAdapter,
    RemoteSocket,
    Server,
    SiocError,
    Socket,
)

__all__ = ["Server", "BlockingServer", "Namespace", "Socket", "BroadcastOperator",
           "Conn", "Engine", "RedisAdapter", "RemoteSocket",
           "SiocError", "ClosedError", "AckTimeoutError", "MiddlewareError",
           "AsyncClient", "Client", "ClientSocket", "AsyncClientSocket",
           "BlockingClientSocket", "ConnectError", "connect", "connect_blocking"]
__version__ = "0.1.0"
