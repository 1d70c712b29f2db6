'use strict';
// The cluster contract (tests/cluster/CLUSTER-SERVER.md) written once against
// socket.io's API, so that it runs unchanged on socket.io 4.8 with
// @socket.io/redis-adapter and on sioc's Node package: `io` is either.
const sorted = (a) => a.slice().sort();

function install(io, name) {
  io.on('connection', (socket) => {
    socket.data.server = name;
    socket.on('join', (room, ack) => {
      socket.join(room);
      if (ack) ack(sorted([...socket.rooms]));
    });
    socket.on('bcast', (...args) => io.emit('bcast', ...args));
    socket.on('room-except', (room, except, ...args) =>
      io.to(room).except(except).emit('room-message', ...args));
    socket.on('broadcast', (...args) => socket.broadcast.emit('broadcast', ...args));
    socket.on('volatile', (...args) => io.volatile.emit('volatile', ...args));
    socket.on('to-id', (id, ...args) => io.to(id).emit('direct', ...args));
    socket.on('local-emit', (...args) => io.local.emit('local', ...args));
    socket.on('sockets-join', (room, target, ack) => {
      io.in(target).socketsJoin(room);
      if (ack) ack();
    });
    socket.on('disconnect-sockets', (room) => io.in(room).disconnectSockets());
    socket.on('fetch', async (room, ack) => {
      try {
        const op = room == null ? io : io.in(room);
        const list = await op.fetchSockets();
        ack(sorted(list.map((s) => `${s.id}:${s.data && s.data.server}`)));
      } catch (e) {
        ack(null);
      }
    });
    socket.on('cluster-rooms', async (ack) => {
      try {
        ack(sorted([...(await io.of('/').adapter.allRooms())]));
      } catch (e) {
        ack(null);
      }
    });
    socket.on('ss-emit', (...args) => io.serverSideEmit('ss', name, ...args));
    socket.on('ss-emit-ack', (ack) => {
      io.serverSideEmit('ss-ack', name, (err, answers) => ack(err ? null : sorted(answers)));
    });
    socket.on('emit-ack', (ack) => {
      io.timeout(3000).emit('question', (err, answers) => ack(err ? null : sorted(answers)));
    });
  });
  io.on('ss', (from, ...args) => io.local.emit('ss-seen', name, from, ...args));
  io.on('ss-ack', (from, cb) => cb(name));
}

module.exports = { install };
