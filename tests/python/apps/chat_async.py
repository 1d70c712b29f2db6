# A python-socketio chat application, written as python-socketio's users
# write it.  Only two lines differ from the original: the import (marked
# SIOC) and the listen call at the bottom (marked SIOC) that replaces the
# aiohttp web-app glue.
import sioc.compat as socketio  # SIOC: was "import socketio"

sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
users = {}


@sio.event
async def connect(sid, environ, auth):
    if not auth or not auth.get("name"):
        raise socketio.exceptions.ConnectionRefusedError("authentication failed", {"need": "name"})
    if auth["name"] == "banned":
        return False
    async with sio.session(sid) as session:
        session["name"] = auth["name"]
    users[sid] = auth["name"]
    await sio.enter_room(sid, "lobby")
    await sio.emit("user_joined", {"name": auth["name"]}, room="lobby", skip_sid=sid)


@sio.event
async def disconnect(sid, reason):
    name = users.pop(sid, None)
    await sio.emit("user_left", {"name": name, "reason": reason}, room="lobby")


@sio.event
async def chat(sid, data):
    session = await sio.get_session(sid)
    await sio.emit("chat", {"from": session["name"], "text": data["text"]}, room=data.get("room", "lobby"), skip_sid=sid)
    return "delivered"


@sio.on("join")
async def join(sid, room):
    await sio.enter_room(sid, room)
    return sio.rooms(sid)


@sio.on("leave")
async def leave(sid, room):
    await sio.leave_room(sid, room)


@sio.on("whoami")
async def whoami(sid):
    return (await sio.get_session(sid))["name"], sid


@sio.on("ask_back")
async def ask_back(sid, question):
    answer = await sio.call("question", question, to=sid, timeout=5)
    await sio.emit("answer_was", answer, to=sid)


@sio.on("kick")
async def kick(sid, target):
    await sio.disconnect(target)


@sio.on("close")
async def close(sid, room):
    await sio.close_room(room)


@sio.on("*")
async def catch_all(event, sid, *args):
    await sio.emit("unknown", {"event": event, "args": list(args)}, to=sid)


@sio.on("connect", namespace="/admin")
async def admin_connect(sid, environ):
    if environ.get("HTTP_X_ADMIN") != "yes":
        return False


@sio.on("stats", namespace="/admin")
async def stats(sid):
    return {"users": sorted(users.values())}


async def main(port=0):
    return await sio.listen(port, "127.0.0.1")  # SIOC: was web.run_app(app)
