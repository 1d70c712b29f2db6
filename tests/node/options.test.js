'use strict';
// Options: socket.io's names and defaults, unknown names and wrong types
// throw with a message naming the option.
const assert = require('assert');
const http = require('http');
const { Server } = require('../../node');
const { startServer, client, once, onceArgs, connected, until, cleanup } = require('./helpers');

describe('options', function () {
  afterEach(cleanup);

  it('unknown options and wrong types throw with the option name', function () {
    assert.throws(() => new Server({ pingIntervall: 1000 }), (e) => e instanceof TypeError && /pingIntervall/.test(e.message));
    assert.throws(() => new Server({ pingInterval: 'fast' }), /pingInterval/);
    assert.throws(() => new Server({ transports: ['carrier-pigeon'] }), /transports/);
    assert.throws(() => new Server({ serveClient: 'yes' }), /serveClient/);
    assert.throws(() => new Server({ allowRequest: 42 }), /allowRequest/);
    assert.throws(() => new Server({ adapter: {} }), /adapter/);
    assert.throws(() => new Server(3000, 'nope'), /options must be an object/);
    assert.doesNotThrow(() => new Server({ pingInterval: 1000, pingTimeout: 500, maxHttpBufferSize: 1e5,
      connectTimeout: 1000, path: '/x', transports: ['polling', 'websocket'], cors: { origin: '*' },
      serveClient: false, cleanupEmptyChildNamespaces: true }));
  });

  it('pingInterval / pingTimeout reach the client handshake', async function () {
    const { url } = startServer({ pingInterval: 1234, pingTimeout: 567 });
    const c = client(url, 'polling');
    await connected(c);
    assert.strictEqual(c.io.engine._pingInterval ?? c.io.engine.pingInterval, 1234);
    assert.strictEqual(c.io.engine._pingTimeout ?? c.io.engine.pingTimeout, 567);
  });

  it('maxHttpBufferSize: a bigger message closes that client only', async function () {
    const { io, url } = startServer({ maxHttpBufferSize: 1000 });
    const reasons = [];
    io.on('connection', (s) => s.on('disconnect', (r) => reasons.push(r)));
    const small = client(url);
    const big = client(url);
    await Promise.all([connected(small), connected(big)]);
    const d = once(big, 'disconnect');
    big.emit('x', 'y'.repeat(5000));
    await d;
    assert.strictEqual(small.connected, true);
    await until(() => reasons.length === 1);
  });

  it('path: the server answers at the configured path only', async function () {
    const { url } = startServer({ path: '/custom' });
    const bad = client(url, 'polling');
    await once(bad, 'connect_error');
    const good = client(url, 'polling', { path: '/custom' });
    await connected(good);
  });

  it('connectTimeout: a client that never joins a namespace is closed', async function () {
    const { io, url } = startServer({ connectTimeout: 200 });
    const c = client(url, 'websocket', { autoConnect: false });
    c.io.open();   // Engine.IO session without any namespace CONNECT
    await once(c.io, 'open');
    await until(() => io.engine.clientsCount === 0 && c.io.engine.readyState === 'closed', 3000);
  });

  it('allowRequest: refusing gives 403 with the message', async function () {
    const { url } = startServer({
      allowRequest: (req, cb) => cb(req.headers['x-pass'] === 'ok' ? null : 'go away', req.headers['x-pass'] === 'ok'),
    });
    const bad = client(url, 'polling');
    const err = await once(bad, 'connect_error');
    assert.ok(/xhr poll error/.test(err.message));
    assert.strictEqual(err.description, 403);
    const good = client(url, 'polling', { extraHeaders: { 'x-pass': 'ok' } });
    await connected(good);
  });

  it('allowRequest may answer later (after I/O), in every transport mode', async function () {
    const decided = [];
    const { url } = startServer({
      allowRequest: (req, cb) => setTimeout(() => {
        const ok = req.headers['x-pass'] === 'ok';
        decided.push(ok);
        cb(ok ? null : 'not now', ok);
      }, 50),
    });
    for (const mode of ['polling', 'websocket', 'upgrade']) {
      const bad = client(url, mode);
      const err = await once(bad, 'connect_error');
      assert.ok(err, `refused (${mode})`);
      bad.close();
      const good = client(url, mode, { extraHeaders: { 'x-pass': 'ok' } });
      await connected(good);
      assert.strictEqual(good.connected, true);
    }
    assert.ok(decided.includes(true) && decided.includes(false));
  });

  it('cors: origin list and function', async function () {
    const { io } = startServer({ cors: { origin: (origin, cb) => cb(null, origin === 'http://good.example') } });
    const port = io.port;
    const get = (origin) => new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/socket.io/?EIO=4&transport=polling', headers: { origin } }, (res) => {
        res.resume();
        resolve(res.headers['access-control-allow-origin']);
      }).on('error', reject);
    });
    assert.strictEqual(await get('http://good.example'), 'http://good.example');
    assert.strictEqual(await get('http://evil.example'), undefined);
    const s2 = startServer({ cors: { origin: ['http://a.example'] } });
    const get2 = (origin) => new Promise((resolve) => {
      http.get({ host: '127.0.0.1', port: s2.io.port, path: '/socket.io/?EIO=4&transport=polling', headers: { origin } }, (res) => {
        res.resume();
        resolve(res.headers['access-control-allow-origin']);
      });
    });
    assert.strictEqual(await get2('http://a.example'), 'http://a.example');
    assert.strictEqual(await get2('http://b.example'), undefined);
  });

  it('transports: websocket only refuses polling', async function () {
    const { url } = startServer({ transports: ['websocket'] });
    const p = client(url, 'polling');
    await once(p, 'connect_error');
    const w = client(url, 'websocket');
    await connected(w);
  });

  it('options cannot change once listening', function () {
    const { io } = startServer();
    assert.throws(() => io.set('pingInterval', 1000), /after the server started/);
    assert.throws(() => io.path('/other'), /after the server started/);
  });

  it('io.engine: clientsCount', async function () {
    const { io, url } = startServer();
    assert.strictEqual(io.engine.clientsCount, 0);
    const c = client(url);
    await connected(c);
    assert.strictEqual(io.engine.clientsCount, 1);
  });

  it('io.engine: connection_error for refused requests, as engine.io emits it', async function () {
    const { io, url } = startServer();
    const got = onceArgs(io.engine, 'connection_error');
    const res = await new Promise((resolve, reject) => {
      http.get(`${url}/socket.io/?EIO=4&transport=carrier-pigeon`, { headers: { 'x-probe': 'yes' } }, (r) => {
        let body = '';
        r.on('data', (d) => { body += d; });
        r.on('end', () => resolve({ status: r.statusCode, body }));
      }).on('error', reject);
    });
    assert.strictEqual(res.status, 400);
    assert.deepStrictEqual(JSON.parse(res.body), { code: 0, message: 'Transport unknown' });
    const [err] = await got;
    assert.strictEqual(err.code, 0);
    assert.strictEqual(err.message, 'Transport unknown');
    assert.strictEqual(err.req.method, 'GET');
    assert.strictEqual(err.req.url, '/socket.io/?EIO=4&transport=carrier-pigeon');
    assert.strictEqual(err.req.headers['x-probe'], 'yes');
    assert.strictEqual(err.req.connection.remoteAddress, '127.0.0.1');
  });
});
