// sioc_node.js - the BENCH.md bench server on sioc's Node binding, written
// against socket.io's API (the same handlers as socketio.js).
//   node bench/servers/sioc_node.js [--port P]
'use strict';
const { Server } = require('../..'); // the sioc package at the repository root
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
