// socketio.js - the BENCH.md bench server on socket.io 4.8.4 (Node, default
// `ws` engine, WebSocket transport only).
//   node bench/servers/socketio.js [--port P] [--host H]
'use strict';
const path = require('path');
const { Server } = require(path.join(__dirname, '..', 'node_modules', 'socket.io'));
const { port, host } = require('./args');

const io = new Server({ transports: ['websocket'], serveClient: false });
io.on('connection', (socket) => {
  socket.on('echo', (...args) => {
    const ack = args.pop();
    if (typeof ack === 'function') ack(...args);
  });
  socket.on('bcast', (...args) => {
    if (typeof args[args.length - 1] === 'function') args.pop();
    io.emit('bcast', ...args);
  });
});
io.listen(port);
console.log(`listening on http://${host}:${port}`);
