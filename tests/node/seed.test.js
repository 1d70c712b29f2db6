'use strict';
// One test per row of SEED-API.md's server table: the classic (0.9)
// spelling and the modern one, both against socket.io-client 4.8.4.
const assert = require('assert');
const { Server } = require('../../node');
const { startServer, client, once, connected, sleep, until, cleanup } = require('./helpers');

async function pair(io, url, n = 2) {
  const sockets = [];
  io.on('connection', (s) => sockets.push(s));
  const clients = [];
  for (let i = 0; i < n; i++) clients.push(client(url));
  await Promise.all(clients.map(connected));
  await until(() => sockets.length === n);
  const byId = new Map(sockets.map((s) => [s.id, s]));
  return { clients, servers: clients.map((c) => byId.get(c.id)) };
}

describe('SEED-API server table', function () {
  afterEach(cleanup);

  it("io.on('connection', fn(socket))", async function () {
    const { io, url } = startServer();
    const got = once(io, 'connection');
    const c = client(url);
    const s = await got;
    await connected(c);
    assert.strictEqual(s.id, c.id);
  });

  it('io.sockets.emit(ev, data) / io.emit(ev, data)', async function () {
    const { io, url } = startServer();
    const { clients: [a, b] } = await pair(io, url);
    const all = Promise.all([once(a, 'classic'), once(b, 'classic'), once(a, 'modern'), once(b, 'modern')]);
    io.sockets.emit('classic', 1);
    io.emit('modern', 2);
    assert.deepStrictEqual(await all, [1, 1, 2, 2]);
  });

  it('io.sockets.socket(id).emit / io.to(id).emit', async function () {
    const { io, url } = startServer();
    const { clients: [a, b] } = await pair(io, url);
    let bGot = 0;
    b.on('only-a', () => bGot++);
    const p = Promise.all([once(a, 'only-a'), once(a, 'only-a-modern')]);
    io.sockets.socket(a.id).emit('only-a', 1);
    io.to(a.id).emit('only-a-modern', 2);
    assert.deepStrictEqual(await p, [1, 2]);
    io.sockets.socket('no-such-id').emit('only-a', 3);   // unknown id: nobody
    await sleep(50);
    assert.strictEqual(bGot, 0);
  });

  it("socket.on(ev, fn(data, ack)): ack present when the client asked", async function () {
    const { io, url } = startServer();
    const seen = [];
    io.on('connection', (s) => s.on('ev', (data, ack) => {
      seen.push([data, typeof ack]);
      if (ack) ack('acked:' + data);
    }));
    const c = client(url);
    await connected(c);
    c.emit('ev', 'no-ack');
    assert.strictEqual(await c.emitWithAck('ev', 'with-ack'), 'acked:with-ack');
    assert.deepStrictEqual(seen, [['no-ack', 'undefined'], ['with-ack', 'function']]);
  });

  it('socket.emit(ev, data) (+ ack callback, emitWithAck, timeout)', async function () {
    const { io, url } = startServer();
    const { clients: [a], servers: [s] } = await pair(io, url, 1);
    a.on('q', (x, cb) => cb && cb(x + 1));
    const p = once(a, 'plain');
    s.emit('plain', 'data');
    assert.strictEqual(await p, 'data');
    assert.strictEqual(await new Promise((r) => s.emit('q', 1, r)), 2);
    assert.strictEqual(await s.emitWithAck('q', 2), 3);
    assert.strictEqual(await s.timeout(1000).emitWithAck('q', 3), 4);
  });

  it('socket.broadcast.emit: everyone in the namespace but the sender', async function () {
    const { io, url } = startServer();
    const { clients: [a, b, c], servers: [sa] } = await pair(io, url, 3);
    let aGot = 0;
    a.on('b', () => aGot++);
    const p = Promise.all([once(b, 'b'), once(c, 'b')]);
    sa.broadcast.emit('b', 'x');
    assert.deepStrictEqual(await p, ['x', 'x']);
    await sleep(50);
    assert.strictEqual(aGot, 0);
  });

  it('socket.join(room) / socket.leave(room); every socket is in its id room', async function () {
    const { io, url } = startServer();
    const { servers: [s] } = await pair(io, url, 1);
    assert.deepStrictEqual([...s.rooms], [s.id]);
    s.join('r1');
    s.join(['r2', 'r3']);
    assert.deepStrictEqual([...s.rooms].sort(), [s.id, 'r1', 'r2', 'r3'].sort());
    s.leave('r2');
    assert.deepStrictEqual([...s.rooms].sort(), [s.id, 'r1', 'r3'].sort());
  });

  it('socket.broadcast.to(room).emit: the room except the sender, who need not be in it', async function () {
    const { io, url } = startServer();
    const { clients: [a, b, c], servers: [sa, sb, sc] } = await pair(io, url, 3);
    sa.join('room');
    sb.join('room');
    let aGot = 0;
    let cGot = 0;
    a.on('m', () => aGot++);
    c.on('m', () => cGot++);
    const p = once(b, 'm');
    sa.broadcast.to('room').emit('m', 1);   // a is in the room: excluded
    assert.strictEqual(await p, 1);
    const p2 = Promise.all([once(a, 'm'), once(b, 'm')]);
    sc.broadcast.to('room').emit('m', 2);   // c not in the room
    assert.deepStrictEqual(await p2, [2, 2]);
    await sleep(50);
    assert.strictEqual(aGot, 1);
    assert.strictEqual(cGot, 0);
  });

  it('io.sockets.in(room).emit / io.in(room).emit / io.to(room).emit', async function () {
    const { io, url } = startServer();
    const { clients: [a, b], servers: [sa] } = await pair(io, url);
    sa.join('room');
    let bGot = 0;
    b.on('r', () => bGot++);
    const p = Promise.all([once(a, 'r'), once(a, 'r2'), once(a, 'r3')]);
    io.sockets.in('room').emit('r', 1);
    io.in('room').emit('r2', 2);
    io.to('room').emit('r3', 3);
    assert.deepStrictEqual(await p, [1, 2, 3]);
    await sleep(50);
    assert.strictEqual(bGot, 0);
  });

  it('io.sockets.clients() / io.fetchSockets() / io.sockets.sockets (Map)', async function () {
    const { io, url } = startServer();
    const { clients: [a, b] } = await pair(io, url);
    const ids = [a.id, b.id].sort();
    const classic = io.sockets.clients();
    assert.ok(Array.isArray(classic));
    assert.deepStrictEqual(classic.map((s) => s.id).sort(), ids);
    assert.deepStrictEqual((await io.fetchSockets()).map((s) => s.id).sort(), ids);
    assert.ok(io.sockets.sockets instanceof Map);
    assert.deepStrictEqual([...io.sockets.sockets.keys()].sort(), ids);
  });

  it('io.sockets.clients(room) / io.in(room).fetchSockets()', async function () {
    const { io, url } = startServer();
    const { clients: [a], servers: [sa] } = await pair(io, url);
    sa.join('room');
    assert.deepStrictEqual(io.sockets.clients('room').map((s) => s.id), [a.id]);
    assert.deepStrictEqual((await io.in('room').fetchSockets()).map((s) => s.id), [a.id]);
    assert.deepStrictEqual(io.sockets.clients('empty'), []);
  });

  it('io.sockets.manager.rooms / io.of("/").adapter.rooms (Map room -> Set of ids)', async function () {
    const { io, url } = startServer();
    const { clients: [a, b], servers: [sa, sb] } = await pair(io, url);
    sa.join('room');
    sb.join('room');
    const rooms = io.of('/').adapter.rooms;
    assert.ok(rooms instanceof Map);
    assert.deepStrictEqual([...rooms.get('room')].sort(), [a.id, b.id].sort());
    assert.deepStrictEqual([...rooms.get(a.id)], [a.id]);
    const classic = io.sockets.manager.rooms;   // 0.9's shape
    assert.deepStrictEqual(classic[''].sort(), [a.id, b.id].sort());
    assert.deepStrictEqual(classic['/room'].sort(), [a.id, b.id].sort());
  });

  it('io.sockets.manager.roomClients[id] / socket.rooms (Set)', async function () {
    const { io, url } = startServer();
    const { clients: [a], servers: [sa] } = await pair(io, url, 1);
    sa.join('room');
    assert.deepStrictEqual(io.sockets.manager.roomClients[a.id], { '': true, '/room': true });
    assert.ok(sa.rooms instanceof Set);
    assert.deepStrictEqual([...sa.rooms].sort(), [a.id, 'room'].sort());
  });

  it("io.of('/some').on('connection'): namespaces multiplexed over one connection", async function () {
    const { io, url } = startServer();
    const got = once(io.of('/some'), 'connection');
    const main = client(url);
    await connected(main);
    const some = main.io.socket('/some');
    const s = await got;
    await connected(some);
    assert.strictEqual(s.nsp.name, '/some');
    assert.strictEqual(main.io.engine.id, some.io.engine.id);
  });

  it('io.configure([env,] fn), io.set/enable/disable: classic keys, unknown keys are errors', async function () {
    const io = new Server();
    const prev = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    const ran = [];
    try {
      io.configure(() => ran.push('all'));
      io.configure('production', function () {
        ran.push('production');
        this.set('heartbeat interval', 10);
        this.set('heartbeat timeout', 30);
        this.set('transports', ['websocket']);
        this.enable('browser client');
      });
      io.configure('development', () => ran.push('development'));
    } finally {
      process.env.NODE_ENV = prev;
    }
    assert.deepStrictEqual(ran, ['all', 'production']);
    assert.strictEqual(io.get('heartbeat interval'), 10);
    assert.ok(io.enabled('browser client'));
    io.disable('browser client');
    assert.ok(io.disabled('browser client'));
    assert.throws(() => io.set('no such key', 1), /no such key/);
    assert.throws(() => io.set('heartbeat interval', 'soon'), /heartbeat interval/);
    io.set('authorization', (hs, cb) => cb(null, hs.query.pass === 'yes'));
    io.set('origins', '*:*');
    io.listen(0, { host: '127.0.0.1' });
    const url = `http://127.0.0.1:${io.port}`;
    try {
      const denied = client(url, 'websocket');
      const err = await once(denied, 'connect_error');
      assert.strictEqual(err.message, 'not authorized');
      const ok = client(url, 'websocket', { query: { pass: 'yes' } });
      await connected(ok);
      // polling is off: transports were set to websocket only
      const polling = client(url, 'polling', { query: { pass: 'yes' } });
      await once(polling, 'connect_error');
      assert.throws(() => io.set('heartbeat interval', 5), /after the server started/);
    } finally {
      await io.close();
    }
  });
});
