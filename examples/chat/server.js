#!/usr/bin/env node
// examples/chat/server.js - the chat demo on sioc's Node package.
//
//   node examples/chat/server.js [--host 127.0.0.1] [--port 3000]
//
// A plain http.Server serves the page (public/); sioc attaches to it and
// answers everything under /socket.io/, the client bundle included.
// server.py is the same chat on the Python package: both implement the
// protocol in README.md (same events, payloads, acks and error texts), and
// tests/browser drives one page against each.
//
// Nothing here keeps its own list of users or rooms: who is online, which
// rooms exist and who is in them always come from the server's queries
// (io.fetchSockets(), io.of('/').adapter.rooms, io.in(room).fetchSockets(),
// socket.rooms).  The classic 0.9 spelling of each call is in a comment.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const { Server } = require('../..');   // require('sioc') in a project of your own

// ---- command line ----------------------------------------------------------------

function parseArgs(argv) {
  const opts = { host: '127.0.0.1', port: 3000 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--host' && value) opts.host = value;
    else if (flag === '--port' && /^\d+$/.test(value || '')) opts.port = Number(value);
    else {
      console.error('usage: server.js [--host HOST] [--port PORT]');
      process.exit(2);
    }
    i++;
  }
  return opts;
}
const { host, port } = parseArgs(process.argv.slice(2));

// ---- limits and validation (server.py has the same rules and texts) ---------------

const LIMITS = { nick: 24, room: 24, text: 500, roomsPerUser: 10 };
const NICK_RULE = `nickname: 1 to ${LIMITS.nick} characters, no control characters`;
const ROOM_RULE = `room name: 1 to ${LIMITS.room} letters, digits, - or _ (not starting with - or _)`;
const TEXT_RULE = `message: 1 to ${LIMITS.text} characters`;
const ROOM_RE = /^#?([A-Za-z0-9][A-Za-z0-9_-]{0,23})$/;
const NICK_BAD = /[\u0000-\u001f\u007f-\u009f]/;
const TEXT_BAD = /[\u0000-\u0008\u000b-\u001f\u007f]/;   // tabs and newlines are fine
const EDGE_SPACE = /^[ \t\r\n]+|[ \t\r\n]+$/g;          // the same set as Python's strip(" \t\r\n")

const chars = (s) => [...s].length;                       // code points, as Python's len()
const fold = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());   // ASCII only, as server.py

function cleanNick(v) {
  if (typeof v !== 'string') return null;
  const s = v.replace(EDGE_SPACE, '');
  return s && chars(s) <= LIMITS.nick && !NICK_BAD.test(s) ? s : null;
}

function cleanRoom(v) {
  const m = typeof v === 'string' ? ROOM_RE.exec(v) : null;
  return m ? '#' + fold(m[1]) : null;   // '#dev': room names never clash with socket ids
}

function cleanText(v) {
  if (typeof v !== 'string') return null;
  const s = v.replace(EDGE_SPACE, '');
  return s && chars(s) <= LIMITS.text && !TEXT_BAD.test(s) ? s : null;
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const byNick = (a, b) => (fold(a.nick) < fold(b.nick) ? -1 : fold(a.nick) > fold(b.nick) ? 1
  : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const userOf = (s) => ({ id: s.id, nick: s.data.nick });

// ---- the page ------------------------------------------------------------------------

const PUBLIC = path.join(__dirname, 'public');
const PAGES = new Map([
  ['/', ['index.html', 'text/html; charset=utf-8']],
  ['/app.js', ['app.js', 'text/javascript; charset=utf-8']],
  ['/style.css', ['style.css', 'text/css; charset=utf-8']],
].map(([url, [file, type]]) => [url, { type, body: fs.readFileSync(path.join(PUBLIC, file)) }]));

const httpServer = http.createServer((req, res) => {
  const page = req.method === 'GET' ? PAGES.get(req.url.split('?')[0]) : undefined;
  if (!page) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('not found\n');
    return;
  }
  res.writeHead(200, { 'Content-Type': page.type, 'Content-Length': page.body.length,
    'Cache-Control': 'public, max-age=0' });
  res.end(page.body);
});

// ---- the Socket.IO server --------------------------------------------------------------

// Constructor options are the modern form of the classic configuration:
//   io.configure(() => { io.set('heartbeat interval', 10); io.set('heartbeat timeout', 5);
//                        io.set('destroy buffer size', 65536); });
const OPTIONS = { pingInterval: 10000, pingTimeout: 5000, maxHttpBufferSize: 64 * 1024,
  connectTimeout: 10000 };
const io = new Server(httpServer, OPTIONS);   // serves /socket.io/socket.io.min.js too
const started = Date.now();
let messageCount = 0;

// A nickname is checked before the socket joins '/': next(err) becomes the
// client's connect_error (err.message, err.data), shown by the login form.
io.use((socket, next) => {
  const auth = isObject(socket.handshake.auth) ? socket.handshake.auth : {};
  const nick = cleanNick(auth.nick);
  const token = typeof auth.token === 'string' ? auth.token.slice(0, 64) : '';
  if (!nick) return next(Object.assign(new Error(NICK_RULE), { data: { field: 'nick' } }));
  const replaced = [];
  for (const other of io.sockets.sockets.values()) {   // classic: io.sockets.clients()
    if (other.id === socket.id || fold(other.data.nick) !== fold(nick)) continue;
    // The same page coming back before its old connection timed out.
    if (token && other.data.token === token) replaced.push(other);
    else return next(Object.assign(new Error(`nickname "${nick}" is taken`), { data: { field: 'nick' } }));
  }
  socket.data.nick = nick;
  socket.data.token = token;
  socket.data.since = socket.handshake.issued;
  for (const old of replaced) old.disconnect(true);
  next();
});

io.on('connection', (socket) => {
  const nick = socket.data.nick;
  const me = () => userOf(socket);
  const myRooms = () => [...socket.rooms].filter((r) => r.startsWith('#')).sort();

  // Every incoming event passes this packet middleware first: a token
  // bucket per socket (30 at once, 10 a second); next(err) drops the event
  // and fires 'error' on this socket, which tells the user.
  let tokens = 30;
  let last = Date.now();
  socket.use((packet, next) => {
    const now = Date.now();
    tokens = Math.min(30, tokens + (now - last) / 100);
    last = now;
    if (tokens < 1) return next(new Error('slow down: too many messages'));
    tokens -= 1;
    next();
  });
  socket.on('error', (err) => socket.emit('notice', { level: 'error', text: err.message }));

  socket.emit('welcome', { id: socket.id, nick, server: 'node', limits: LIMITS,
    heartbeat: OPTIONS.pingInterval });
  socket.broadcast.emit('notice', { level: 'info', text: `${nick} joined the chat` });

  // on(event, fn): handlers take (payload, ack) whatever the client sent;
  // a missing ack (the client did not ask for one) is a no-op.
  const on = (event, fn) => socket.on(event, (...args) => {
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : () => {};
    Promise.resolve(fn(args[0], ack)).catch((err) => {
      console.error(`chat: ${event} failed:`, err);
      ack({ ok: false, error: 'server error' });
    });
  });

  on('lobby:message', (text, ack) => {
    const t = cleanText(text);
    if (t === null) return ack({ ok: false, error: TEXT_RULE });
    const msg = { id: String(++messageCount), kind: 'lobby', from: me(), text: t, time: Date.now() };
    io.emit('message', msg);                     // everyone (classic: io.sockets.emit)
    ack({ ok: true, id: msg.id });
    statsChanged();
  });

  on('room:join', async (name, ack) => {
    const room = cleanRoom(name);
    if (!room) return ack({ ok: false, error: ROOM_RULE });
    const joined = socket.rooms.has(room);
    if (!joined && myRooms().length >= LIMITS.roomsPerUser) {
      return ack({ ok: false, error: `you can be in at most ${LIMITS.roomsPerUser} rooms` });
    }
    socket.join(room);
    // the room except the sender
    if (!joined) socket.to(room).emit('notice', { level: 'info', room, text: `${nick} joined ${room}` });
    const members = await io.in(room).fetchSockets();   // classic: io.sockets.clients(room)
    // a new room: everyone who is not in it hears of it
    if (members.length === 1) io.except(room).emit('notice', { level: 'info', text: `${nick} opened ${room}` });
    await presence();
    ack({ ok: true, room, rooms: myRooms(), members: members.map(userOf).sort(byNick) });
  });

  on('room:leave', async (name, ack) => {
    const room = cleanRoom(name);
    if (!room) return ack({ ok: false, error: ROOM_RULE });
    if (!socket.rooms.has(room)) return ack({ ok: false, error: `you are not in ${room}` });
    socket.leave(room);
    socket.broadcast.to(room).emit('notice', { level: 'info', room, text: `${nick} left ${room}` });
    await presence();
    ack({ ok: true, room, rooms: myRooms() });
  });

  on('room:message', (payload, ack) => {
    const room = isObject(payload) ? cleanRoom(payload.room) : null;
    if (!room) return ack({ ok: false, error: ROOM_RULE });
    if (!socket.rooms.has(room)) return ack({ ok: false, error: `you are not in ${room}` });
    const t = cleanText(payload.text);
    if (t === null) return ack({ ok: false, error: TEXT_RULE });
    const msg = { id: String(++messageCount), kind: 'room', room, from: me(), text: t, time: Date.now() };
    io.to(room).emit('message', msg);             // the whole room, sender included (classic: io.sockets.in(room))
    ack({ ok: true, id: msg.id });
    statsChanged();
  });

  on('dm', (payload, ack) => {
    const target = isObject(payload) && typeof payload.to === 'string'
      ? io.sockets.sockets.get(payload.to) : undefined;
    if (!target) return ack({ ok: false, error: 'no such user (they may have left)' });
    if (target.id === socket.id) return ack({ ok: false, error: 'you cannot message yourself' });
    const t = cleanText(payload.text);
    if (t === null) return ack({ ok: false, error: TEXT_RULE });
    const msg = { id: String(++messageCount), kind: 'dm', from: me(), to: userOf(target), text: t,
      time: Date.now() };
    // one client by id (classic: io.sockets.socket(id).emit); its page acks
    // the message, and the sender learns that it was delivered
    io.to(target.id).timeout(5000).emit('dm', msg, (err, receipts) => {
      socket.emit('dm:delivered', { id: msg.id, delivered: !err && receipts.length === 1 });
    });
    ack({ ok: true, message: msg });
    statsChanged();
  });

  on('typing', (payload) => {
    const where = isObject(payload) ? payload.where : null;
    const event = { from: me(), where };
    // volatile: dropped rather than queued when a client cannot take it now
    if (where === 'lobby') socket.volatile.broadcast.emit('typing', event);
    else if (typeof where === 'string' && cleanRoom(where) === where && socket.rooms.has(where)) {
      socket.volatile.to(where).emit('typing', event);
    }
  });

  on('whois', async (id, ack) => {
    const target = typeof id === 'string' ? io.sockets.sockets.get(id) : undefined;
    if (!target) return ack({ ok: false, error: 'no such user (they may have left)' });
    const t0 = Date.now();
    let rtt = null;
    try {
      await target.timeout(3000).emitWithAck('whois:ping', { from: me() });
      rtt = Date.now() - t0;
    } catch (_) {
      rtt = null;   // no answer in time, or gone meanwhile
    }
    ack({ ok: true, user: { id: target.id, nick: target.data.nick, since: target.data.since,
      rooms: [...target.rooms].filter((r) => r.startsWith('#')).sort(), rtt } });
  });

  // While disconnecting the socket is still in its rooms: tell each of them.
  socket.on('disconnecting', () => {
    for (const room of myRooms()) {
      socket.to(room).emit('notice', { level: 'info', room, text: `${nick} left ${room}` });
    }
  });
  socket.on('disconnect', (reason) => {
    io.emit('notice', { level: 'info', text: `${nick} left the chat (${reason})` });
    presence();
  });

  presence();   // everyone's online list and room directory, now with this socket
});

// ---- presence: the online list and the room directory, from the server's queries ------

async function presence() {
  const sockets = await io.fetchSockets();           // every connected socket of '/'
  const users = sockets.map((s) => ({ id: s.id, nick: s.data.nick, since: s.data.since })).sort(byNick);
  const nickOf = new Map(users.map((u) => [u.id, u.nick]));
  const rooms = [];
  // every room with its members (classic: io.sockets.manager.rooms); each
  // socket is also in a room named after its id, which is not listed
  for (const [name, ids] of io.of('/').adapter.rooms) {
    if (!name.startsWith('#')) continue;
    const members = [...ids].filter((id) => nickOf.has(id)).map((id) => ({ id, nick: nickOf.get(id) }));
    rooms.push({ name, members: members.sort(byNick) });
  }
  io.emit('users', users);
  io.emit('rooms', rooms.sort(byName));
  await statsChanged();
}

// ---- /stats: a second namespace over the same connection ---------------------------------

const statsNsp = io.of('/stats');
async function stats() {
  const users = (await io.fetchSockets()).length;
  const rooms = [...io.of('/').adapter.rooms.keys()].filter((r) => r.startsWith('#')).length;
  return { users, rooms, messages: messageCount, server: 'node', started };
}
async function statsChanged() {
  statsNsp.emit('stats', await stats());
}
statsNsp.on('connection', async (socket) => socket.emit('stats', await stats()));

// ---- run ---------------------------------------------------------------------------------

httpServer.on('error', (err) => {
  console.error(`chat: cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});
httpServer.listen(port, host, () => {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${httpServer.address().port}`;
  console.log(`sioc chat (Node) on ${url}`);
});

function shutdown() {
  setTimeout(() => process.exit(0), 3000).unref();
  io.close(() => process.exit(0));   // disconnects everyone, closes httpServer too
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
