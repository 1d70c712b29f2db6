"""sioc: a Socket.IO v5 / Engine.IO v4 server whose protocol stack is C.

``sioc.Server`` is the asyncio flavour, ``sioc.BlockingServer`` the
thread-based one; both offer socket.io's server API in Python spelling
(plus the classic 0.9 aliases).  ``sioc.compat`` is python-socketio's server
API on the same core.  Logging goes to the ``sioc`` logger.
"""
from ._server import (
    AckTimeoutError,
    BlockingServer,
    BroadcastOperator,
    ClosedError,
    MiddlewareError,
    Namespace,
    Server,
    SiocError,
    Socket,
)

__all__ = ["Server", "BlockingServer", "Namespace", "Socket", "BroadcastOperator",
           "SiocError", "ClosedError", "AckTimeoutError", "MiddlewareError"]
__version__ = "0.1.0"
