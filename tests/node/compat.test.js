'use strict';
// socket.io API details that code written for socket.io relies on: the
// module as a function, io.httpServer when sioc listens itself, listening
// again after close(), ...
const assert = require('assert');
const http = require('http');
const zlib = require('zlib');
const path = require('path');
const fs = require('fs');
const sioc = require('../../node');
const { Server } = sioc;
const { startServer, client, connected, once, onceArgs, sleep, until, cleanup } = require('./helpers');

describe('socket.io API compatibility', function () {
  afterEach(cleanup);

  it('require("sioc")(srv, opts) is new Server(srv, opts)', async function () {
    assert.strictEqual(typeof sioc, 'function');
    const httpServer = http.createServer();
    const io = sioc(httpServer, { path: '/fn' });
    try {
      assert.ok(io instanceof Server);
      assert.strictEqual(io.httpServer, httpServer);
      assert.strictEqual(io.path(), '/fn');
    } finally {
      await io.close();
    }
  });

  it('io.httpServer in listen(port) mode: address(), listening, close', async function () {
    const io = new Server(0, { host: '127.0.0.1' });
    const srv = io.httpServer;
    assert.ok(srv, 'io.httpServer is set');
    assert.strictEqual(srv.listening, true);
    const addr = srv.address();
    assert.deepStrictEqual(addr, { address: '127.0.0.1', family: 'IPv4', port: io.port });
    io.on('connection', (s) => s.emit('hi', 1));
    const c = client(`http://127.0.0.1:${addr.port}`);
    assert.strictEqual(await once(c, 'hi'), 1);
    const closed = once(srv, 'close');
    await io.close();
    await closed;
    assert.strictEqual(srv.listening, false);
    assert.strictEqual(srv.address(), null);
  });

  it('io.httpServer.close(cb) closes the io server', async function () {
    const io = new Server({ host: '127.0.0.1' }).listen(0);
    const port = io.port;
    await new Promise((resolve) => io.httpServer.close(resolve));
    // the port is free again
    const probe = http.createServer();
    await new Promise((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => probe.close(resolve));
  });

  it('listens again on the same port after close() completed', async function () {
    const io = new Server(0, { host: '127.0.0.1' });
    const port = io.port;
    io.on('connection', (s) => s.on('ping?', (ack) => ack('pong')));
    const c1 = client(`http://127.0.0.1:${port}`);
    await connected(c1);
    await new Promise((resolve) => io.close(resolve));
    io.listen(port);
    try {
      assert.strictEqual(io.port, port);
      assert.strictEqual(io.httpServer.listening, true);
      const c2 = client(`http://127.0.0.1:${port}`);
      assert.strictEqual(await c2.timeout(3000).emitWithAck('ping?'), 'pong');
    } finally {
      await io.close();
    }
  });

  it('io.eio is io.engine; engine.opts merges the options with the defaults', async function () {
    const io = new Server({ pingTimeout: 6000 });
    io.attach(http.createServer(), { pingInterval: 24000 });
    try {
      assert.strictEqual(io.eio, io.engine);
      assert.strictEqual(io.eio.opts.pingTimeout, 6000);
      assert.strictEqual(io.eio.opts.pingInterval, 24000);
      assert.strictEqual(io.eio.opts.maxHttpBufferSize, 1e6);
      assert.strictEqual(io.eio.opts.path, '/socket.io/');
    } finally {
      await io.close();
    }
  });

  it('close(cb) passes the http server\'s error (ERR_SERVER_NOT_RUNNING)', async function () {
    const io = new Server(http.createServer());
    const err = await new Promise((resolve) => io.close(resolve));
    assert.ok(err instanceof Error);
    assert.strictEqual(err.code, 'ERR_SERVER_NOT_RUNNING');
  });

  it('socket.leave(array), socket.leaveAll()', async function () {
    const { io, url } = startServer();
    const c = client(url);
    const [s] = await onceArgs(io, 'connection');
    s.join(['a', 'b', 'c']);
    s.leave(['a', 'b']);
    assert.deepStrictEqual(Array.from(s.rooms).sort(), [s.id, 'c'].sort());
    assert.strictEqual(io.of('/').adapter.rooms.has('a'), false);
    s.leaveAll();
    assert.strictEqual(s.rooms.size, 0);
    await connected(c);
  });

  it('broadcast emitWithAck rejects on timeout with the responses that came', async function () {
    const { io, url } = startServer();
    const a = client(url);
    const b = client(url);
    await Promise.all([connected(a), connected(b)]);
    a.on('q', (cb) => cb('from a'));
    b.on('q', () => {});   // never answers
    const err = await io.timeout(200).emitWithAck('q').then(() => null, (e) => e);
    assert.ok(err instanceof Error);
    assert.deepStrictEqual(err.responses, ['from a']);
  });

  it('socket.conn is one EventEmitter that emits close; socket.client has conn and request', async function () {
    const { io, url } = startServer();
    const c = client(url, 'websocket', { query: { k: 'v' } });
    const [s] = await onceArgs(io, 'connection');
    assert.strictEqual(s.conn, s.conn);
    assert.strictEqual(typeof s.conn.on, 'function');
    assert.strictEqual(s.conn.transport.name, 'websocket');
    assert.strictEqual(s.conn.readyState, 'open');
    assert.strictEqual(s.client.conn, s.conn);
    assert.match(s.client.request.url, /k=v/);
    const closed = once(s.conn, 'close');
    c.io.engine.close();   // the connection itself goes, not just the namespace
    assert.strictEqual(await closed, 'transport close');
    assert.strictEqual(s.conn.readyState, 'closed');
  });

  it('socket.conn emits close while an async middleware is pending; its late next() connects nothing', async function () {
    const { io, url } = startServer();
    const seen = [];
    io.on('connection', () => seen.push('connection'));
    let c;
    const decided = new Promise((resolve) => io.use((s, next) => {
      assert.strictEqual(s.connected, false);
      s.client.conn.on('close', (reason) => {
        seen.push(`close:${reason}`);
        process.nextTick(() => {
          next();   // the client is gone: ignored
          resolve();
        });
      });
      c.io.engine.close();
    }));
    c = client(url, 'polling');
    await Promise.race([decided, sleep(3000).then(() => {
      throw new Error(`the pending socket's conn did not close (${seen})`);
    })]);
    await sleep(50);
    assert.deepStrictEqual(seen, ['close:transport close']);
    assert.strictEqual(io.sockets.sockets.size, 0);
    await until(() => io.stats().sessions === 0 && sioc.addonStats().sockets === 0);
  });

  it('socket.conn emits packetCreate for emits, broadcasts and acks while someone listens', async function () {
    const { io, url } = startServer();
    const c = client(url + '/chat');
    const [s] = await onceArgs(io.of('/chat'), 'connection');
    await connected(c);
    const seen = [];
    const listener = (p) => seen.push(p);
    s.conn.on('packetCreate', listener);
    s.emit('woot', 'hi');
    s.compress(false).emit('bin', Buffer.from([1, 2]));
    io.of('/chat').compress(false).emit('all', 1);
    s.on('ask', (fn) => fn('yes'));
    c.emit('ask', () => {});
    await until(() => seen.length === 5);
    assert.deepStrictEqual(seen[0], { type: 'message', data: '2/chat,["woot","hi"]',
      options: { compress: true } });
    assert.strictEqual(seen[1].data, '51-/chat,["bin",{"_placeholder":true,"num":0}]');
    assert.strictEqual(seen[1].options.compress, false);
    assert.deepStrictEqual(seen[2].data, Buffer.from([1, 2]));
    assert.strictEqual(seen[3].data, '2/chat,["all",1]');   // the engine.io packet's data
    assert.strictEqual(seen[3].options.compress, false);
    const frame = Buffer.concat(seen[3].options.wsPreEncodedFrame);
    const msg = Buffer.from('42/chat,["all",1]');   // Engine.IO message type + data
    assert.deepStrictEqual(frame, Buffer.concat([Buffer.from([0x81, msg.length]), msg]));
    assert.strictEqual(seen[4].data, '3/chat,0["yes"]');
    // no listener, no packets made; the client got everything all the same
    s.conn.off('packetCreate', listener);
    s.emit('after', 2);
    assert.strictEqual(await once(c, 'after'), 2);
    assert.strictEqual(seen.length, 5);
  });

  it('no event reaches a handler once its socket disconnected (socket.io #2785)', async function () {
    const { io, url } = startServer();
    const seen = { slow: [], direct: [] };
    io.of('/slow').on('connection', (s) => {
      s.use((event, next) => setTimeout(next, 50));   // the event waits in a middleware
      s.on('last', () => seen.slow.push(`last:${s.connected}`));
      s.on('disconnect', () => seen.slow.push('disconnect'));
    });
    io.of('/direct').on('connection', (s) => {
      s.on('last', () => seen.direct.push(`last:${s.connected}`));
      s.on('disconnect', () => seen.direct.push('disconnect'));
    });
    for (const nsp of ['/slow', '/direct']) {
      const c = client(url + nsp, 'websocket');
      await connected(c);
      c.emit('last', Buffer.alloc(10));
      c.disconnect();
    }
    await until(() => seen.slow.length && seen.direct.length === 2);
    await sleep(100);
    // its middleware finished after the disconnect: dropped
    assert.deepStrictEqual(seen.slow, ['disconnect']);
    // dispatched as it arrived, before the disconnect that followed it
    // (socket.io dispatches on the next tick and would drop it here)
    assert.deepStrictEqual(seen.direct, ['last:true', 'disconnect']);
  });

  it('socket.conn emits upgrade when the connection moves to WebSocket', async function () {
    const { io, url } = startServer();
    // the client's CONNECT goes over polling, its probe follows: the socket
    // is connected before the switch, so its connection handler sees it
    const seen = new Promise((resolve) => io.on('connection', (s) => {
      const before = s.conn.transport.name;
      s.conn.once('upgrade', (t) => resolve([before, t.name, s.conn.transport.name]));
    }));
    const c = client(url, 'upgrade');
    assert.deepStrictEqual(await seen, ['polling', 'websocket', 'websocket']);
    await connected(c);
  });

  it('an undecodable packet: the socket emits error (the decoder\'s message), then disconnects', async function () {
    const { io, url } = startServer();
    const c = client(url);
    const [s] = await onceArgs(io, 'connection');
    await connected(c);
    const err = once(s, 'error');
    const reason = once(s, 'disconnect');
    c.io.engine.write('5woooot');   // BINARY_EVENT without an attachment count
    assert.strictEqual((await err).message, 'Illegal attachments');
    assert.strictEqual(await reason, 'forced close');
  });

  it('cleanupEmptyChildNamespaces: an emptied child of a dynamic namespace goes, and comes back', async function () {
    const { io, url } = startServer({ cleanupEmptyChildNamespaces: true });
    const parent = io.of(/^\/dyn-\d+$/);
    parent.use((socket, next) => next(socket.handshake.auth.no ? new Error('no') : null));
    const c1 = client(url + '/dyn-1');
    await connected(c1);
    const child = io._nsps.get('/dyn-1');
    assert.ok(parent.children.has(child));
    c1.disconnect();
    await until(() => !io._nsps.has('/dyn-1'));
    assert.ok(!parent.children.has(child));
    // refused by the middleware: created, then removed again
    const c2 = client(url + '/dyn-2', 'websocket', { auth: { no: 1 } });
    assert.strictEqual((await once(c2, 'connect_error')).message, 'no');
    await until(() => !io._nsps.has('/dyn-2'));
    // a cleaned-up name can be joined again
    const c3 = client(url + '/dyn-1');
    await connected(c3);
    assert.ok(io._nsps.has('/dyn-1'));
    // a static namespace stays
    io.of('/static');
    const c4 = client(url + '/static');
    await connected(c4);
    c4.disconnect();
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(io._nsps.has('/static'));
  });

  it('io.of(name) for a name a RegExp parent matches creates its child', function () {
    const io = new Server();
    const parent = io.of(/^\/dynamic-\d+$/);
    const seen = [];
    io.on('new_namespace', (n) => seen.push(n.name));
    const child = io.of('/dynamic-101');
    assert.ok(parent.children.has(child));
    assert.strictEqual(io.of('/dynamic-101'), child);
    assert.deepStrictEqual(seen, ['/dynamic-101']);
    assert.ok(!parent.children.has(io.of('/other')));
  });

  describe('the client bundle in attach mode', function () {
    const dist = path.join(path.dirname(require.resolve('socket.io-client/package.json')), 'dist');
    const version = require('socket.io-client/package.json').version;
    let httpServer;
    let io;
    let port;

    function get(file, headers = {}) {
      return new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: '/socket.io/' + file, headers }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ res, body: Buffer.concat(chunks) }));
        }).on('error', reject);
      });
    }

    async function start(opts) {
      httpServer = http.createServer((req, res) => res.writeHead(404).end());
      io = new Server(httpServer, opts);
      await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
      port = httpServer.address().port;
    }

    afterEach(async function () {
      if (io) await io.close();
      io = null;
    });

    it('ETag is the client version; If-None-Match (strong or weak) gets 304', async function () {
      await start();
      const { res, body } = await get('socket.io.min.js?t=1');
      assert.strictEqual(res.statusCode, 200);
      assert.strictEqual(res.headers['content-type'], 'application/javascript; charset=utf-8');
      assert.strictEqual(res.headers.etag, `"${version}"`);
      assert.ok(body.equals(fs.readFileSync(path.join(dist, 'socket.io.min.js'))));
      for (const tag of [`"${version}"`, `W/"${version}"`]) {
        const r = await get('socket.io.min.js', { 'If-None-Match': tag });
        assert.strictEqual(r.res.statusCode, 304);
        assert.strictEqual(r.body.length, 0);
      }
      const other = await get('socket.io.min.js', { 'If-None-Match': '"0.0.0"' });
      assert.strictEqual(other.res.statusCode, 200);
    });

    it('compressed as Accept-Encoding asks (the first of equal weight)', async function () {
      await start();
      const plain = fs.readFileSync(path.join(dist, 'socket.io.js'));
      const gz = await get('socket.io.js', { 'Accept-Encoding': 'gzip, br, deflate' });
      assert.strictEqual(gz.res.headers['content-encoding'], 'gzip');
      assert.ok(zlib.gunzipSync(gz.body).equals(plain));
      const br = await get('socket.io.js', { 'Accept-Encoding': 'br' });
      assert.strictEqual(br.res.headers['content-encoding'], 'br');
      assert.ok(zlib.brotliDecompressSync(br.body).equals(plain));
      const q = await get('socket.io.js', { 'Accept-Encoding': 'gzip;q=0.5, deflate' });
      assert.strictEqual(q.res.headers['content-encoding'], 'deflate');
      assert.ok(zlib.inflateSync(q.body).equals(plain));
      const none = await get('socket.io.js', { 'Accept-Encoding': 'identity' });
      assert.strictEqual(none.res.headers['content-encoding'], undefined);
      assert.ok(none.body.equals(plain));
    });

    it('the msgpack bundle and maps; CORS headers from the cors option', async function () {
      await start({ cors: { origin: 'https://good.example', credentials: true } });
      const m = await get('socket.io.msgpack.min.js', { Origin: 'https://good.example' });
      assert.strictEqual(m.res.statusCode, 200);
      assert.strictEqual(m.res.headers['content-type'], 'application/javascript; charset=utf-8');
      assert.strictEqual(m.res.headers['access-control-allow-origin'], 'https://good.example');
      assert.strictEqual(m.res.headers['access-control-allow-credentials'], 'true');
      const map = await get('socket.io.msgpack.min.js.map');
      assert.strictEqual(map.res.headers['content-type'], 'application/json; charset=utf-8');
      // not a bundle file: the Socket.IO endpoint answers
      const eio = await get('?EIO=4&transport=polling');
      assert.strictEqual(eio.res.statusCode, 200);
      assert.strictEqual(eio.body.toString()[0], '0');
    });
  });
});
