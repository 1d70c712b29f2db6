# The same chat application for python-socketio's threaded socketio.Server.
# Only the import and the listen call (marked SIOC) differ from the original.
import sioc.compat as socketio  # SIOC: was "import socketio"

sio = socketio.Server(cors_allowed_origins="*")
users = {}


@sio.event
def connect(sid, environ, auth):
    if not auth or not auth.get("name"):
        raise ConnectionRefusedError("authentication failed", {"need": "name"})
    if auth["name"] == "banned":
        return False
    with sio.session(sid) as session:
        session["name"] = auth["name"]
    users[sid] = auth["name"]
    sio.enter_room(sid, "lobby")
    sio.emit("user_joined", {"name": auth["name"]}, room="lobby", skip_sid=sid)


@sio.event
def disconnect(sid, reason):
    name = users.pop(sid, None)
    sio.emit("user_left", {"name": name, "reason": reason}, room="lobby")


@sio.event
def chat(sid, data):
    session = sio.get_session(sid)
    sio.emit("chat", {"from": session["name"], "text": data["text"]}, room=data.get("room", "lobby"), skip_sid=sid)
    return "delivered"


@sio.on("join")
def join(sid, room):
    sio.enter_room(sid, room)
    return sio.rooms(sid)


@sio.on("leave")
def leave(sid, room):
    sio.leave_room(sid, room)


@sio.on("whoami")
def whoami(sid):
    return sio.get_session(sid)["name"], sid


@sio.on("ask_back")
def ask_back(sid, question):
    answer = sio.call("question", question, to=sid, timeout=5)
    sio.emit("answer_was", answer, to=sid)


@sio.on("kick")
def kick(sid, target):
    sio.disconnect(target)


@sio.on("close")
def close(sid, room):
    sio.close_room(room)


@sio.on("*")
def catch_all(event, sid, *args):
    sio.emit("unknown", {"event": event, "args": list(args)}, to=sid)


@sio.on("connect", namespace="/admin")
def admin_connect(sid, environ):
    if environ.get("HTTP_X_ADMIN") != "yes":
        return False


@sio.on("stats", namespace="/admin")
def stats(sid):
    return {"users": sorted(users.values())}


def main(port=0):
    return sio.listen(port, "127.0.0.1")  # SIOC: was app = socketio.WSGIApp(sio); eventlet.wsgi.server(...)
