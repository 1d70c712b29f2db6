#!/usr/bin/env node
// Reference implementation of tests/interop/ECHO-SERVER.md on the official
// socket.io 4.8.4 server, plus a raw engine.io server at /engine.io/ on the
// same listener. The interop and bad-input suites run against this file
// (ECHO_SERVER=reference) to prove the tests right; sioc-echo-server must then
// pass the very same tests.
'use strict';

const http = require('http');
const path = require('path');

// Resolve the pinned packages from tests/interop/node_modules even when the
// script is started from another working directory.
const here = path.dirname(__filename);
const need = (name) => require(require.resolve(name, { paths: [here] }));
const { Server } = need('socket.io');
const engine = need('engine.io');

function usage(msg) {
  process.stderr.write(
    (msg ? `reference_echo_server: ${msg}\n` : '') +
      'usage: reference_echo_server.js [--host 127.0.0.1] [--port 3000] ' +
      '[--ping-interval MS] [--ping-timeout MS] [--connect-timeout MS] ' +
      '[--max-payload BYTES] [--cors-origin ORIGIN]...\n'
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    host: '127.0.0.1',
    port: 3000,
    pingInterval: 25000,
    pingTimeout: 20000,
    connectTimeout: 45000,
    maxPayload: 1e6,
    corsOrigins: [],
  };
  const numeric = {
    '--port': 'port',
    '--ping-interval': 'pingInterval',
    '--ping-timeout': 'pingTimeout',
    '--connect-timeout': 'connectTimeout',
    '--max-payload': 'maxPayload',
  };
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i];
    let value;
    const eq = flag.indexOf('=');
    if (flag.startsWith('--') && eq > 0) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    if (flag === '-h' || flag === '--help') usage();
    const takeValue = () => {
      if (value !== undefined) return value;
      if (i + 1 >= argv.length) usage(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === '--host') {
      opts.host = takeValue();
    } else if (flag === '--cors-origin') {
      opts.corsOrigins.push(takeValue());
    } else if (Object.prototype.hasOwnProperty.call(numeric, flag)) {
      const raw = takeValue();
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) usage(`${flag}: not a non-negative integer: ${raw}`);
      opts[numeric[flag]] = n;
    } else {
      usage(`unknown argument: ${argv[i]}`);
    }
  }
  if (opts.port > 65535) usage('--port out of range');
  return opts;
}

const opts = parseArgs(process.argv.slice(2));

let cors;
if (opts.corsOrigins.length > 0) {
  cors = {
    origin: opts.corsOrigins.includes('*')
      ? '*'
      : opts.corsOrigins.length === 1
        ? opts.corsOrigins[0]
        : opts.corsOrigins,
  };
}

const httpServer = http.createServer((req, res) => {
  // Only reached for paths neither /socket.io/ nor /engine.io/ claimed.
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('not found\n');
});

const io = new Server(httpServer, {
  serveClient: false,
  pingInterval: opts.pingInterval,
  pingTimeout: opts.pingTimeout,
  connectTimeout: opts.connectTimeout,
  maxHttpBufferSize: opts.maxPayload,
  ...(cors ? { cors } : {}),
});

// Raw Engine.IO echo on the same listener.
const eio = new engine.Server({
  pingInterval: opts.pingInterval,
  pingTimeout: opts.pingTimeout,
  maxHttpBufferSize: opts.maxPayload,
  ...(cors ? { cors } : {}),
});
eio.attach(httpServer, { path: '/engine.io/' });
eio.on('connection', (socket) => {
  socket.on('message', (data) => socket.send(data));
});

const sorted = (iterable) => [...iterable].sort();
const isFn = (x) => typeof x === 'function';
// Split a handler's arguments into (args, ack) where ack is the client's
// acknowledgement callback, if it asked for one.
function splitAck(args) {
  if (args.length > 0 && isFn(args[args.length - 1])) {
    return [args.slice(0, -1), args[args.length - 1]];
  }
  return [args, undefined];
}

const main = io.of('/');
main.on('connection', (socket) => {
  socket.emit('auth', socket.handshake.auth);

  socket.on('message', (...raw) => {
    const [args] = splitAck(raw);
    socket.emit('message-back', ...args);
  });

  socket.on('message-with-ack', (...raw) => {
    const [args, ack] = splitAck(raw);
    if (ack) ack(...args);
  });

  socket.on('echo', (...raw) => {
    const [args, ack] = splitAck(raw);
    if (ack) ack(...args);
  });

  socket.on('bcast', (...raw) => {
    const [args] = splitAck(raw);
    io.emit('bcast', ...args);
  });

  socket.on('join', (room, ...rest) => {
    const [, ack] = splitAck(rest);
    socket.join(room);
    if (ack) ack(sorted(socket.rooms));
  });

  socket.on('leave', (room, ...rest) => {
    const [, ack] = splitAck(rest);
    socket.leave(room);
    if (ack) ack(sorted(socket.rooms));
  });

  socket.on('room-emit', (room, ...raw) => {
    const [args] = splitAck(raw);
    io.to(room).emit('room-message', ...args);
  });

  socket.on('room-broadcast', (room, ...raw) => {
    const [args] = splitAck(raw);
    socket.to(room).emit('room-message', ...args);
  });

  socket.on('room-except', (room, exceptRoom, ...raw) => {
    const [args] = splitAck(raw);
    io.to(room).except(exceptRoom).emit('room-message', ...args);
  });

  socket.on('broadcast', (...raw) => {
    const [args] = splitAck(raw);
    socket.broadcast.emit('broadcast', ...args);
  });

  socket.on('volatile', (...raw) => {
    const [args] = splitAck(raw);
    io.volatile.emit('volatile', ...args);
  });

  socket.on('request-ack', (...raw) => {
    const [args] = splitAck(raw);
    socket.timeout(5000).emit('ack-request', ...args, (err, ...resp) => {
      socket.emit('ack-response', err ? null : resp);
    });
  });

  socket.on('server-disconnect', () => {
    socket.disconnect();
  });

  socket.on('room-sockets', (room, ...rest) => {
    const [, ack] = splitAck(rest);
    const members = main.adapter.rooms.get(room);
    if (ack) ack(sorted(members || []));
  });

  socket.on('all-rooms', (...rest) => {
    const [, ack] = splitAck(rest);
    if (ack) ack(sorted(main.adapter.rooms.keys()));
  });

  socket.on('sockets-join', (room, targetRoom, ...rest) => {
    const [, ack] = splitAck(rest);
    io.in(targetRoom).socketsJoin(room);
    if (ack) ack();
  });

  socket.on('disconnect-sockets', (room) => {
    io.in(room).disconnectSockets();
  });
});

io.of('/custom').on('connection', (socket) => {
  socket.emit('auth', socket.handshake.auth);
});

const priv = io.of('/private');
priv.use((socket, next) => {
  const auth = socket.handshake.auth;
  if (auth && auth.token === 'secret') return next();
  const err = new Error('unauthorized');
  err.data = { reason: 'bad token' };
  return next(err);
});
priv.on('connection', (socket) => {
  socket.emit('auth', socket.handshake.auth);
});

io.of(/^\/dyn-[a-z0-9]+$/).on('connection', (socket) => {
  socket.emit('auth', socket.handshake.auth);
  socket.emit('nsp', socket.nsp.name);
});

let closing = false;
function shutdown() {
  if (closing) return;
  closing = true;
  // socket.io's own graceful close: sockets leave with "server shutting
  // down", sessions close without a DISCONNECT packet, clients see their
  // transport close and reconnect (as after any server restart).
  eio.close();
  io.close(() => process.exit(0));
  // Don't let a lingering keep-alive connection hold the process.
  setTimeout(() => process.exit(0), 4000).unref();
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

httpServer.on('error', (err) => {
  process.stderr.write(`reference_echo_server: ${err.message}\n`);
  process.exit(1);
});
httpServer.listen(opts.port, opts.host, () => {
  const addr = httpServer.address();
  const host = addr.family === 'IPv6' || addr.family === 6 ? `[${addr.address}]` : addr.address;
  process.stdout.write(`listening on http://${host}:${addr.port}\n`);
});
