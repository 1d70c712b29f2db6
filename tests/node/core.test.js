'use strict';
// The core socket.io API, once per transport mode (websocket only, polling
// only, polling upgraded to websocket), driven by socket.io-client 4.8.4.
const assert = require('assert');
const { MODES, startServer, client, once, onceArgs, connected, sleep, until, cleanup } = require('./helpers');

for (const mode of Object.keys(MODES)) {
  describe(`core API [${mode}]`, function () {
    afterEach(cleanup);

    it('connection, handshake, socket.data, transport', async function () {
      const { io, url } = startServer();
      const got = once(io, 'connection');
      const c = client(url, mode, { auth: { token: 'abc' }, query: { q: '1' } });
      const socket = await got;
      await connected(c);
      assert.strictEqual(socket.id, c.id);
      assert.strictEqual(socket.connected, true);
      assert.deepStrictEqual(socket.handshake.auth, { token: 'abc' });
      assert.strictEqual(socket.handshake.query.q, '1');
      assert.strictEqual(socket.handshake.address, '127.0.0.1');
      assert.ok(socket.handshake.headers.host.startsWith('127.0.0.1:'));
      assert.strictEqual(typeof socket.handshake.issued, 'number');
      socket.data.user = 'u1';
      assert.strictEqual(io.sockets.sockets.get(socket.id).data.user, 'u1');
      assert.ok(['polling', 'websocket'].includes(socket.conn.transport.name));
      if (mode === 'websocket') assert.strictEqual(socket.conn.transport.name, 'websocket');
      if (mode === 'polling') assert.strictEqual(socket.conn.transport.name, 'polling');
    });

    it('handshake read first after the client left (made before the core lets go)', async function () {
      const { io, url } = startServer();
      const got = once(io, 'connection');
      const c = client(url, mode, { auth: { k: 1 }, query: { q: 'x' } });
      const socket = await got;
      await connected(c);
      const gone = once(socket, 'disconnect');
      c.disconnect();
      await gone;
      // nothing read the handshake while connected
      assert.deepStrictEqual(socket.handshake.auth, { k: 1 });
      assert.strictEqual(socket.handshake.query.q, 'x');
      assert.strictEqual(socket.handshake.address, '127.0.0.1');
      socket.handshake = { replaced: true };
      assert.deepStrictEqual(socket.handshake, { replaced: true });
    });

    it('strings around the addon\'s 256-byte buffer, multi-byte characters', async function () {
      const { io, url } = startServer();
      io.on('connection', (socket) => {
        socket.on('echo', (x, ack) => { socket.emit('back', x); ack(x); });
      });
      const c = client(url, mode);
      await connected(c);
      for (const unit of ['a', '\u00e9', '\u20ac', '\u{1F600}']) {
        for (let n = 60; n <= 260; n += unit.length === 1 && unit !== 'a' ? 7 : 13) {
          const x = unit.repeat(Math.ceil(n / Buffer.byteLength(unit)));
          const back = once(c, 'back');
          const acked = await c.emitWithAck('echo', x);
          assert.strictEqual(acked, x);
          assert.strictEqual(await back, x);
        }
      }
    });

    it('events both ways, socket.send/message, once/off', async function () {
      const { io, url } = startServer();
      const calls = [];
      io.on('connection', (socket) => {
        socket.on('hello', (a, b) => {
          calls.push(['hello', a, b]);
          socket.emit('world', a + 1, { b });
        });
        socket.once('one', (x) => calls.push(['one', x]));
        const off = () => calls.push(['off']);
        socket.on('off', off);
        socket.off('off', off);
        socket.on('message', (m) => socket.send('echo:' + m));
      });
      const c = client(url, mode);
      await connected(c);
      c.emit('hello', 1, 'x');
      const [n, obj] = await onceArgs(c, 'world');
      assert.strictEqual(n, 2);
      assert.deepStrictEqual(obj, { b: 'x' });
      c.emit('one', 1);
      c.emit('one', 2);
      c.emit('off');
      c.send('m');
      assert.strictEqual(await once(c, 'message'), 'echo:m');
      assert.deepStrictEqual(calls, [['hello', 1, 'x'], ['one', 1]]);
    });

    it('acks: client->server, server->client, timeout errors, emitWithAck', async function () {
      const { io, url } = startServer();
      let server;
      io.on('connection', (s) => {
        server = s;
        s.on('sum', (a, b, ack) => ack(a + b, 'done'));
      });
      const c = client(url, mode);
      await connected(c);
      const r = await c.emitWithAck('sum', 2, 3);
      assert.strictEqual(r, 5);
      await until(() => server);
      c.on('ask', (q, cb) => cb(q * 2));
      const viaCb = await new Promise((resolve) => server.emit('ask', 21, (v) => resolve(v)));
      assert.strictEqual(viaCb, 42);
      const viaTimeout = await new Promise((resolve) =>
        server.timeout(2000).emit('ask', 5, (err, v) => resolve([err, v])));
      assert.deepStrictEqual(viaTimeout, [null, 10]);
      assert.strictEqual(await server.emitWithAck('ask', 4), 8);
      c.on('silent', () => {});
      const err = await new Promise((resolve) =>
        server.timeout(100).emit('silent', (e) => resolve(e)));
      assert.ok(err instanceof Error);
      assert.strictEqual(err.message, 'operation has timed out');
      await assert.rejects(server.timeout(100).emitWithAck('silent'), /timed out/);
    });

    it('binary anywhere: Buffer, ArrayBuffer, typed arrays, nested, toJSON', async function () {
      const { io, url } = startServer();
      io.on('connection', (s) => {
        s.on('bin', (payload, ack) => {
          ack({ got: payload, kinds: [Buffer.isBuffer(payload.a), Buffer.isBuffer(payload.deep[0].b)] });
        });
        s.emit('from-server', Buffer.from([1, 2, 3]), {
          ab: new Uint8Array([4, 5]).buffer,
          u16: new Uint16Array([0x0102]),
          dv: new DataView(new Uint8Array([7]).buffer),
          nested: [{ x: Buffer.from('z') }],
          withToJSON: { toJSON() { return { inner: Buffer.from([9]) }; } },
        });
      });
      const c = client(url, mode);
      const [buf, obj] = await onceArgs(c, 'from-server');
      assert.deepStrictEqual([...new Uint8Array(buf)], [1, 2, 3]);
      assert.deepStrictEqual([...new Uint8Array(obj.ab)], [4, 5]);
      assert.strictEqual(new Uint8Array(obj.u16).length, 2);
      assert.deepStrictEqual([...new Uint8Array(obj.dv)], [7]);
      assert.deepStrictEqual([...new Uint8Array(obj.nested[0].x)], [122]);
      assert.deepStrictEqual([...new Uint8Array(obj.withToJSON.inner)], [9]);
      const res = await c.emitWithAck('bin', { a: Buffer.from('hey'), deep: [{ b: new Uint8Array([1]) }] });
      assert.deepStrictEqual(res.kinds, [true, true]);
      assert.strictEqual(Buffer.from(res.got.a).toString(), 'hey');
    });

    it('rooms, broadcast, to/in/except, socket.broadcast, socket.to', async function () {
      const { io, url } = startServer();
      const sockets = [];
      io.on('connection', (s) => {
        sockets.push(s);
        s.on('join', (room, ack) => {
          s.join(room);
          ack([...s.rooms].sort());
        });
        s.on('leave', (room, ack) => {
          s.leave(room);
          ack([...s.rooms].sort());
        });
        s.on('shout', (m) => s.broadcast.emit('shout', m));
        s.on('tell', (room, m) => s.to(room).emit('tell', m));
      });
      const [a, b, c] = [client(url, mode), client(url, mode), client(url, mode)];
      await Promise.all([a, b, c].map(connected));
      assert.deepStrictEqual(await a.emitWithAck('join', 'r1'), [a.id, 'r1'].sort());
      await b.emitWithAck('join', 'r1');
      await c.emitWithAck('join', 'r2');
      const seen = { a: [], b: [], c: [] };
      for (const [k, cl] of Object.entries({ a, b, c })) {
        for (const ev of ['shout', 'tell', 'room', 'all', 'except']) cl.on(ev, (m) => seen[k].push(ev + ':' + m));
      }
      a.emit('shout', 1);           // b, c
      c.emit('tell', 'r1', 2);      // a, b (c not in r1: sender need not be in the room)
      a.emit('tell', 'r1', 3);      // b only
      io.to('r1').emit('room', 4);  // a, b
      io.in('r2').emit('room', 5);  // c
      io.emit('all', 6);            // a, b, c
      io.except('r1').emit('except', 7); // c
      io.to(a.id).emit('room', 8);  // a
      await until(() => seen.a.length >= 4 && seen.b.length >= 5 && seen.c.length >= 4);
      await sleep(50);
      assert.deepStrictEqual(seen.a.sort(), ['all:6', 'room:4', 'room:8', 'tell:2'].sort());
      assert.deepStrictEqual(seen.b.sort(), ['all:6', 'room:4', 'shout:1', 'tell:2', 'tell:3'].sort());
      assert.deepStrictEqual(seen.c.sort(), ['all:6', 'except:7', 'room:5', 'shout:1'].sort());
      assert.deepStrictEqual(await a.emitWithAck('leave', 'r1'), [a.id]);
      const rooms = io.of('/').adapter.rooms;
      assert.deepStrictEqual([...rooms.get('r1')], [b.id]);
      assert.deepStrictEqual([...rooms.get('r2')], [c.id]);
    });

    it('modifiers: volatile, compress, local, timeout broadcast acks', async function () {
      const { io, url } = startServer();
      const [a, b] = [client(url, mode), client(url, mode)];
      await Promise.all([a, b].map(connected));
      const got = [];
      a.on('v', (x) => got.push(x));
      a.on('q', (x, cb) => cb('a' + x));
      b.on('q', (x, cb) => cb('b' + x));
      io.volatile.emit('v', 1);
      io.compress(false).emit('v', 2);
      io.local.emit('v', 3);
      const responses = await io.timeout(2000).emitWithAck('q', 1);
      assert.deepStrictEqual(responses.sort(), ['a1', 'b1']);
      const viaCb = await new Promise((resolve) => io.timeout(2000).emit('q', 2, (err, r) => resolve([err, r.sort()])));
      assert.deepStrictEqual(viaCb, [null, ['a2', 'b2']]);
      b.off('q');
      b.on('q', () => {});  // never answers
      const [err, partial] = await new Promise((resolve) =>
        io.timeout(150).emit('q', 3, (e, r) => resolve([e, r])));
      assert.ok(err instanceof Error);
      assert.deepStrictEqual(partial, ['a3']);
      await until(() => got.length >= 2);
      assert.ok(got.includes(2) && got.includes(3));
    });

    it('io.use middleware: next(err) is a connect_error with data; socket.use', async function () {
      const { io, url } = startServer();
      io.use((socket, next) => {
        if (socket.handshake.auth.token !== 'ok') {
          const e = new Error('not authorized');
          e.data = { reason: 'bad token' };
          return next(e);
        }
        setTimeout(next, 5);  // asynchronous decision
      });
      io.on('connection', (s) => {
        s.use(([ev, ...args], next) => (ev === 'forbidden' ? next(new Error('nope')) : next()));
        s.on('error', (e) => s.emit('mw-error', e.message));
        s.on('allowed', (x) => s.emit('allowed-back', x));
        s.on('forbidden', () => s.emit('should-not-happen'));
      });
      const bad = client(url, mode, { auth: { token: 'no' } });
      const err = await once(bad, 'connect_error');
      assert.strictEqual(err.message, 'not authorized');
      assert.deepStrictEqual(err.data, { reason: 'bad token' });
      const good = client(url, mode, { auth: { token: 'ok' } });
      await connected(good);
      let wrong = false;
      good.on('should-not-happen', () => { wrong = true; });
      good.emit('forbidden');
      assert.strictEqual(await once(good, 'mw-error'), 'nope');
      good.emit('allowed', 7);
      assert.strictEqual(await once(good, 'allowed-back'), 7);
      assert.strictEqual(wrong, false);
    });

    it('disconnecting/disconnect reasons; disconnect(close)', async function () {
      const { io, url } = startServer();
      const events = [];
      io.on('connection', (s) => {
        s.join('room');
        s.on('disconnecting', (reason) => events.push(['disconnecting', reason, [...s.rooms].includes('room')]));
        s.on('disconnect', (reason) => events.push(['disconnect', reason, s.rooms.size]));
        s.on('kick', (close) => s.disconnect(close));
      });
      const a = client(url, mode);
      await connected(a);
      a.disconnect();
      await until(() => events.length === 2);
      assert.deepStrictEqual(events.splice(0), [
        ['disconnecting', 'client namespace disconnect', true],
        ['disconnect', 'client namespace disconnect', 0]]);
      const b = client(url, mode);
      await connected(b);
      const reason = once(b, 'disconnect');
      b.emit('kick', false);
      assert.strictEqual(await reason, 'io server disconnect');
      await until(() => events.length === 2);
      assert.strictEqual(events[1][1], 'server namespace disconnect');
      events.length = 0;
      const c = client(url, mode);
      await connected(c);
      const r2 = once(c, 'disconnect');
      c.emit('kick', true);
      assert.strictEqual(await r2, 'io server disconnect');
      await until(() => events.length === 2);
      assert.strictEqual(events[1][1], 'server namespace disconnect');
      assert.strictEqual(io.sockets.sockets.size, 0);
    });

    it('onAny / prependAny / offAny / onAnyOutgoing / prependAnyOutgoing / offAnyOutgoing', async function () {
      const { io, url } = startServer();
      const log = [];
      io.on('connection', (s) => {
        const any = (ev, ...args) => log.push(['any', ev, ...args]);
        s.onAny(any);
        s.prependAny((ev) => log.push(['first', ev]));
        s.onAnyOutgoing((ev, ...args) => log.push(['out', ev, ...args]));
        s.prependAnyOutgoing((ev) => log.push(['out-first', ev]));
        s.on('x', (v) => {
          s.emit('y', v);
          io.emit('z', v);           // broadcasts reach outgoing listeners too
          s.offAny(any);
          assert.strictEqual(s.listenersAny().length, 1);
          s.offAnyOutgoing();
          assert.strictEqual(s.listenersAnyOutgoing().length, 0);
          s.emit('done');
        });
      });
      const c = client(url, mode);
      await connected(c);
      c.emit('x', 1);
      await once(c, 'done');
      assert.deepStrictEqual(log, [['first', 'x'], ['any', 'x', 1], ['out-first', 'y'], ['out', 'y', 1],
        ['out-first', 'z'], ['out', 'z', 1]]);
    });

    it('fetchSockets, socketsJoin, socketsLeave, disconnectSockets, allSockets', async function () {
      const { io, url } = startServer();
      const [a, b] = [client(url, mode), client(url, mode)];
      await Promise.all([a, b].map(connected));
      let all = await io.fetchSockets();
      assert.deepStrictEqual(all.map((s) => s.id).sort(), [a.id, b.id].sort());
      io.in(a.id).socketsJoin(['g1', 'g2']);
      assert.deepStrictEqual((await io.in('g1').fetchSockets()).map((s) => s.id), [a.id]);
      io.socketsJoin('everyone');
      assert.deepStrictEqual([...(await io.in('everyone').allSockets())].sort(), [a.id, b.id].sort());
      io.in('g1').socketsLeave('everyone');
      assert.deepStrictEqual([...(await io.in('everyone').allSockets())], [b.id]);
      const d = once(b, 'disconnect');
      io.in('everyone').disconnectSockets();
      assert.strictEqual(await d, 'io server disconnect');
      await until(() => io.sockets.sockets.size === 1);
      all = await io.fetchSockets();
      assert.deepStrictEqual(all.map((s) => s.id), [a.id]);
      assert.deepStrictEqual([...all[0].rooms].sort(), [a.id, 'g1', 'g2'].sort());
    });

    it('namespaces are multiplexed over one connection', async function () {
      const { io, url } = startServer();
      const chat = io.of('/chat');
      chat.on('connection', (s) => s.on('hi', (ack) => ack(s.nsp.name)));
      io.on('connection', (s) => s.emit('main', 1));
      const main = client(url, mode);
      await once(main, 'main');
      const c = main.io.socket('/chat');
      await connected(c);
      assert.strictEqual(await c.emitWithAck('hi'), '/chat');
      chat.emit('only-chat', 1);
      assert.strictEqual(await once(c, 'only-chat'), 1);
      assert.strictEqual(io.sockets.sockets.size, 1);
      assert.strictEqual(chat.sockets.size, 1);
      const bad = client(url + '/nope', mode);
      const err = await once(bad, 'connect_error');
      assert.strictEqual(err.message, 'Invalid namespace');
    });

    it('io.close() disconnects everyone with "server shutting down"', async function () {
      const { io, url } = startServer();
      const reasons = [];
      io.on('connection', (s) => s.on('disconnect', (r) => reasons.push(r)));
      const c = client(url, mode);
      await connected(c);
      const d = once(c, 'disconnect');
      let cbCalled = false;
      await io.close(() => { cbCalled = true; });
      assert.ok(cbCalled);
      assert.deepStrictEqual(reasons, ['server shutting down']);
      const reason = await d;
      assert.ok(['io server disconnect', 'transport close', 'transport error'].includes(reason), reason);
      assert.deepStrictEqual(io.stats(), { connections: 0, sessions: 0, sockets: 0 });
    });
  });
}
