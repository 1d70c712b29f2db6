#!/usr/bin/env python3
"""examples/chat/server.py - the chat demo on sioc's Python package.

    python3 examples/chat/server.py [--host 127.0.0.1] [--port 3000]

sioc serves the page (public/) and the socket.io-client bundle itself with
io.serve_file(), on the same port as Socket.IO.  server.js is the same chat
on the Node package: both implement the protocol in README.md (same events,
payloads, acks and error texts), and tests/browser drives one page against
each.

Nothing here keeps its own list of users or rooms: who is online, which
rooms exist and who is in them always come from the server's queries
(io.fetch_sockets(), io.of("/").adapter.rooms, io.in_(room).fetch_sockets(),
socket.rooms).  The classic 0.9 spelling of each call is in a comment.
"""
import argparse
import asyncio
import logging
import os
import re
import signal
import sys
import time

import sioc

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- limits and validation (server.js has the same rules and texts) -------------

LIMITS = {"nick": 24, "room": 24, "text": 500, "roomsPerUser": 10}
NICK_RULE = "nickname: 1 to %d characters, no control characters" % LIMITS["nick"]
ROOM_RULE = ("room name: 1 to %d letters, digits, - or _ (not starting with - or _)"
             % LIMITS["room"])
TEXT_RULE = "message: 1 to %d characters" % LIMITS["text"]
ROOM_RE = re.compile(r"#?([A-Za-z0-9][A-Za-z0-9_-]{0,23})")
NICK_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TEXT_BAD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")   # tabs and newlines are fine
EDGE_SPACE = " \t\r\n"                               # the same set as server.js
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(s):
    """Case-insensitive for ASCII only, as server.js."""
    return s.translate(ASCII_LOWER)


def clean_nick(v):
    if not isinstance(v, str):
        return None
    s = v.strip(EDGE_SPACE)
    return s if s and len(s) <= LIMITS["nick"] and not NICK_BAD.search(s) else None


def clean_room(v):
    m = ROOM_RE.fullmatch(v) if isinstance(v, str) else None
    return "#" + fold(m.group(1)) if m else None   # "#dev": never clashes with a socket id


def clean_text(v):
    if not isinstance(v, str):
        return None
    s = v.strip(EDGE_SPACE)
    return s if s and len(s) <= LIMITS["text"] and not TEXT_BAD.search(s) else None


def by_nick(u):
    return (fold(u["nick"]), u["id"])


def user_of(s):
    return {"id": s.id, "nick": s.data["nick"]}


def now_ms():
    return int(time.time() * 1000)


# ---- the Socket.IO server --------------------------------------------------------

# Constructor options are the modern form of the classic configuration:
#   io.configure(lambda: (io.set("heartbeat interval", 10), io.set("heartbeat timeout", 5),
#                         io.set("destroy buffer size", 65536)))
OPTIONS = {"pingInterval": 10000, "pingTimeout": 5000, "maxHttpBufferSize": 64 * 1024,
           "connectTimeout": 10000}
io = sioc.Server(**OPTIONS)
started = now_ms()
message_count = 0


def next_id():
    global message_count
    message_count += 1
    return str(message_count)


def serve_page():
    """The page and the socket.io-client bundle, from the npm package that
    `npm ci` at the repository root installs (or $SIOC_CLIENT_DIST)."""
    for url, name in (("/", "index.html"), ("/app.js", "app.js"), ("/style.css", "style.css")):
        io.serve_file(url, os.path.join(HERE, "public", name))
    dist = os.environ.get("SIOC_CLIENT_DIST") or os.path.join(
        HERE, "..", "..", "node_modules", "socket.io-client", "dist")
    bundle = os.path.join(dist, "socket.io.min.js")
    if not os.path.exists(bundle):
        sys.exit("chat: %s is missing: run `npm ci` at the repository root "
                 "(make demo PY=1 does) or set SIOC_CLIENT_DIST" % bundle)
    for name in ("socket.io.min.js", "socket.io.min.js.map", "socket.io.js", "socket.io.js.map"):
        if os.path.exists(os.path.join(dist, name)):
            kind = "json" if name.endswith(".map") else "javascript"
            io.serve_file("/socket.io/" + name, os.path.join(dist, name),
                          "application/%s; charset=utf-8" % kind)


# A nickname is checked before the socket joins "/": next(err) becomes the
# client's connect_error (err.message, err.data), shown by the login form.
@io.use
def check_nick(socket, next):
    auth = socket.handshake["auth"] if isinstance(socket.handshake["auth"], dict) else {}
    nick = clean_nick(auth.get("nick"))
    token = auth["token"][:64] if isinstance(auth.get("token"), str) else ""
    if not nick:
        return next(sioc.MiddlewareError(NICK_RULE, {"field": "nick"}))
    replaced = []
    for other in list(io.sockets.sockets.values()):   # classic: io.sockets.clients()
        if other.id == socket.id or fold(other.data["nick"]) != fold(nick):
            continue
        # The same page coming back before its old connection timed out.
        if token and other.data["token"] == token:
            replaced.append(other)
        else:
            return next(sioc.MiddlewareError('nickname "%s" is taken' % nick, {"field": "nick"}))
    socket.data["nick"] = nick
    socket.data["token"] = token
    socket.data["since"] = socket.handshake["issued"]
    for old in replaced:
        old.disconnect(True)
    next()


def handler(socket, event):
    """@handler(socket, event): fn(payload, ack) gets the first argument
    whatever the client sent, and an ack that is a no-op when the client
    did not ask for one; an exception answers "server error"."""
    def register(fn):
        @socket.on(event)
        async def run(*args, ack=None):
            reply = ack or (lambda *_: None)
            try:
                result = fn(args[0] if args else None, reply)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                logging.exception("chat: %s failed", event)
                reply({"ok": False, "error": "server error"})
        return fn
    return register


@io.on("connection")
async def on_connection(socket):
    nick = socket.data["nick"]

    def me():
        return user_of(socket)

    def my_rooms():
        return sorted(r for r in socket.rooms if r.startswith("#"))

    # Every incoming event passes this packet middleware first: a token
    # bucket per socket (30 at once, 10 a second); next(err) drops the event
    # and fires "error" on this socket, which tells the user.
    bucket = {"tokens": 30.0, "last": now_ms()}

    @socket.use
    def rate_limit(packet, next):
        t = now_ms()
        bucket["tokens"] = min(30.0, bucket["tokens"] + (t - bucket["last"]) / 100)
        bucket["last"] = t
        if bucket["tokens"] < 1:
            return next(Exception("slow down: too many messages"))
        bucket["tokens"] -= 1
        next()

    socket.on("error", lambda err: socket.emit("notice", {"level": "error", "text": str(err)}))

    socket.emit("welcome", {"id": socket.id, "nick": nick, "server": "python", "limits": LIMITS,
                            "heartbeat": OPTIONS["pingInterval"]})
    socket.broadcast.emit("notice", {"level": "info", "text": "%s joined the chat" % nick})

    @handler(socket, "lobby:message")
    async def lobby_message(text, ack):
        t = clean_text(text)
        if t is None:
            return ack({"ok": False, "error": TEXT_RULE})
        msg = {"id": next_id(), "kind": "lobby", "from": me(), "text": t, "time": now_ms()}
        io.emit("message", msg)                     # everyone (classic: io.sockets.emit)
        ack({"ok": True, "id": msg["id"]})
        await stats_changed()

    @handler(socket, "room:join")
    async def room_join(name, ack):
        room = clean_room(name)
        if not room:
            return ack({"ok": False, "error": ROOM_RULE})
        joined = room in socket.rooms
        if not joined and len(my_rooms()) >= LIMITS["roomsPerUser"]:
            return ack({"ok": False,
                        "error": "you can be in at most %d rooms" % LIMITS["roomsPerUser"]})
        socket.join(room)
        if not joined:   # the room except the sender
            socket.to(room).emit("notice", {"level": "info", "room": room,
                                            "text": "%s joined %s" % (nick, room)})
        members = await io.in_(room).fetch_sockets()   # classic: io.sockets.clients(room)
        if len(members) == 1:   # a new room: everyone who is not in it hears of it
            io.except_(room).emit("notice", {"level": "info", "text": "%s opened %s" % (nick, room)})
        await presence()
        ack({"ok": True, "room": room, "rooms": my_rooms(),
             "members": sorted((user_of(s) for s in members), key=by_nick)})

    @handler(socket, "room:leave")
    async def room_leave(name, ack):
        room = clean_room(name)
        if not room:
            return ack({"ok": False, "error": ROOM_RULE})
        if room not in socket.rooms:
            return ack({"ok": False, "error": "you are not in %s" % room})
        socket.leave(room)
        socket.broadcast.to(room).emit("notice", {"level": "info", "room": room,
                                                  "text": "%s left %s" % (nick, room)})
        await presence()
        ack({"ok": True, "room": room, "rooms": my_rooms()})

    @handler(socket, "room:message")
    async def room_message(payload, ack):
        room = clean_room(payload.get("room")) if isinstance(payload, dict) else None
        if not room:
            return ack({"ok": False, "error": ROOM_RULE})
        if room not in socket.rooms:
            return ack({"ok": False, "error": "you are not in %s" % room})
        t = clean_text(payload.get("text"))
        if t is None:
            return ack({"ok": False, "error": TEXT_RULE})
        msg = {"id": next_id(), "kind": "room", "room": room, "from": me(), "text": t,
               "time": now_ms()}
        io.to(room).emit("message", msg)   # the whole room, sender included (classic: io.sockets.in_(room))
        ack({"ok": True, "id": msg["id"]})
        await stats_changed()

    @handler(socket, "dm")
    async def dm(payload, ack):
        to = payload.get("to") if isinstance(payload, dict) else None
        target = io.sockets.sockets.get(to) if isinstance(to, str) else None
        if target is None:
            return ack({"ok": False, "error": "no such user (they may have left)"})
        if target.id == socket.id:
            return ack({"ok": False, "error": "you cannot message yourself"})
        t = clean_text(payload.get("text"))
        if t is None:
            return ack({"ok": False, "error": TEXT_RULE})
        msg = {"id": next_id(), "kind": "dm", "from": me(), "to": user_of(target), "text": t,
               "time": now_ms()}

        # one client by id (classic: io.sockets.socket(id).emit); its page acks
        # the message, and the sender learns that it was delivered
        def delivered(err, receipts):
            socket.emit("dm:delivered", {"id": msg["id"],
                                         "delivered": err is None and len(receipts) == 1})
        io.to(target.id).timeout(5).emit("dm", msg, callback=delivered)
        ack({"ok": True, "message": msg})
        await stats_changed()

    @handler(socket, "typing")
    def typing(payload, ack):
        where = payload.get("where") if isinstance(payload, dict) else None
        event = {"from": me(), "where": where}
        # volatile: dropped rather than queued when a client cannot take it now
        if where == "lobby":
            socket.broadcast.volatile.emit("typing", event)
        elif isinstance(where, str) and clean_room(where) == where and where in socket.rooms:
            socket.to(where).volatile.emit("typing", event)

    @handler(socket, "whois")
    async def whois(sid, ack):
        target = io.sockets.sockets.get(sid) if isinstance(sid, str) else None
        if target is None:
            return ack({"ok": False, "error": "no such user (they may have left)"})
        t0 = now_ms()
        try:
            await target.timeout(3).emit_with_ack("whois:ping", {"from": me()})
            rtt = now_ms() - t0
        except (sioc.AckTimeoutError, sioc.ClosedError):
            rtt = None   # no answer in time, or gone meanwhile
        ack({"ok": True, "user": {"id": target.id, "nick": target.data["nick"],
                                  "since": target.data["since"],
                                  "rooms": sorted(r for r in target.rooms if r.startswith("#")),
                                  "rtt": rtt}})

    # While disconnecting the socket is still in its rooms: tell each of them.
    @socket.on("disconnecting")
    def disconnecting(reason):
        for room in my_rooms():
            socket.to(room).emit("notice", {"level": "info", "room": room,
                                            "text": "%s left %s" % (nick, room)})

    @socket.on("disconnect")
    async def disconnect(reason):
        io.emit("notice", {"level": "info", "text": "%s left the chat (%s)" % (nick, reason)})
        await presence()

    await presence()   # everyone's online list and room directory, now with this socket


# ---- presence: the online list and the room directory, from the server's queries --

async def presence():
    sockets = await io.fetch_sockets()             # every connected socket of "/"
    users = sorted(({"id": s.id, "nick": s.data["nick"], "since": s.data["since"]}
                    for s in sockets), key=by_nick)
    nick_of = {u["id"]: u["nick"] for u in users}
    rooms = []
    # every room with its members (classic: io.sockets.manager.rooms); each
    # socket is also in a room named after its id, which is not listed
    for name, ids in io.of("/").adapter.rooms.items():
        if not name.startswith("#"):
            continue
        members = [{"id": i, "nick": nick_of[i]} for i in ids if i in nick_of]
        rooms.append({"name": name, "members": sorted(members, key=by_nick)})
    io.emit("users", users)
    io.emit("rooms", sorted(rooms, key=lambda r: r["name"]))
    await stats_changed()


# ---- /stats: a second namespace over the same connection ----------------------------

stats_nsp = io.of("/stats")


async def stats():
    users = len(await io.fetch_sockets())
    rooms = sum(1 for r in io.of("/").adapter.rooms if r.startswith("#"))
    return {"users": users, "rooms": rooms, "messages": message_count, "server": "python",
            "started": started}


async def stats_changed():
    stats_nsp.emit("stats", await stats())


@stats_nsp.on("connection")
async def on_stats_connection(socket):
    socket.emit("stats", await stats())


# ---- run ------------------------------------------------------------------------

async def main(host, port):
    serve_page()
    try:
        bound = await io.listen(port, host)
    except OSError as e:
        sys.exit("chat: %s" % e)
    print("sioc chat (Python) on http://%s:%d" % ("[%s]" % host if ":" in host else host, bound),
          flush=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    await stop
    await io.close()   # disconnects everyone


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="sioc chat demo (Python)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=3000)
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    asyncio.run(main(a.host, a.port))
