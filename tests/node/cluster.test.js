'use strict';
// The Node API of the Redis adapter: createRedisAdapter(), RemoteSocket,
// adapter.allRooms/serverCount, serverSideEmit, the classic forms
// (clients(fn), manager.cluster()), on two sioc servers in this process and
// a private redis-server.  (The four-server interop suite is tests/cluster.)
const assert = require('assert');
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { createRedisAdapter, RemoteSocket, Server } = require('../../node');
const { startServer, client, connected, once, until, cleanup } = require('./helpers');

function haveRedis() {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (_) {
    return false;
  }
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A private redis-server on a free port, without persistence:
// { url, stop() }.
async function startRedis(prefix) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((resolve) => {
    let buf = '';
    proc.stdout.on('data', (d) => {
      buf += d;
      if (/Ready to accept connections/.test(buf)) resolve();
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop() {
      proc.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('Redis adapter (Node API)', function () {
  this.timeout(30000);
  let redis;
  let url;

  before(async function () {
    if (!haveRedis()) this.skip();   // scripts/install-deps.sh installs it
    redis = await startRedis('sioc-node-redis-');
    url = redis.url;
  });

  after(function () {
    if (redis) redis.stop();
  });

  afterEach(cleanup);

  it('checks its options', function () {
    assert.throws(() => createRedisAdapter('http://x'), /redis:\/\//);
    assert.throws(() => createRedisAdapter('redis://x', { requestsTimeout: -1 }), /requestsTimeout/);
    assert.throws(() => createRedisAdapter('redis://x', { parser: {} }), /not supported/);
    assert.throws(() => createRedisAdapter('redis://x', { maxMessageBytes: 0 }), /maxMessageBytes/);
    assert.throws(() => createRedisAdapter('redis://x', { maxBufferedBytes: '1' }), /maxBufferedBytes/);
    assert.throws(() => new Server({ adapter: () => {} }), /createRedisAdapter/);
    const a = createRedisAdapter('redis://127.0.0.1:1', { key: 'k' });
    const io = new Server({ adapter: a });
    assert.strictEqual(io.adapter(), a);
  });

  async function pair(key) {
    const mk = () => startServer({ adapter: createRedisAdapter(url, { key, requestsTimeout: 2000 }) });
    const a = mk();
    const b = mk();
    for (const [s, name] of [[a, 'a'], [b, 'b']]) {
      s.io.on('connection', (socket) => {
        socket.data = { server: name };
      });
    }
    const ca = client(a.url);
    const cb = client(b.url);
    await Promise.all([connected(ca), connected(cb)]);
    await until(async () => (await a.io.fetchSockets().catch(() => [])).length === 2, 10000);
    return { a, b, ca, cb };
  }

  it('fetchSockets gives RemoteSockets that act through the cluster', async function () {
    const { a, b, cb } = await pair('node-remote');
    const found = await a.io.fetchSockets();
    const remote = found.filter((s) => s instanceof RemoteSocket);
    assert.strictEqual(remote.length, 1);
    const r = remote[0];
    assert.strictEqual(r.id, cb.id);
    assert.deepStrictEqual(r.data, { server: 'b' });
    assert.ok(r.rooms.has(cb.id));
    assert.strictEqual(r.handshake.query.EIO, '4');
    assert.strictEqual(typeof r.handshake.issued, 'number');
    // emit with an ack: one answer, as socket.emit gives
    cb.on('ask', (cbk) => cbk('answer-b'));
    const answer = await new Promise((resolve, reject) =>
      r.timeout(3000).emit('ask', (err, v) => (err ? reject(err) : resolve(v))));
    assert.strictEqual(answer, 'answer-b');
    r.join('via-remote');
    await until(() => b.io.of('/').adapter.rooms.has('via-remote'));
    r.leave('via-remote');
    await until(() => !b.io.of('/').adapter.rooms.has('via-remote'));
    const gone = once(cb, 'disconnect');
    r.disconnect();
    assert.strictEqual(await gone, 'io server disconnect');
  });

  it('allRooms, serverCount, clients(fn) and manager.cluster() see both servers', async function () {
    const { a, ca, cb } = await pair('node-rooms');
    assert.strictEqual(await a.io.of('/').adapter.serverCount(), 2);
    const rooms = await a.io.of('/').adapter.allRooms();
    assert.ok(rooms.has(ca.id) && rooms.has(cb.id));
    const ids = await new Promise((resolve, reject) =>
      a.io.sockets.clients((err, v) => (err ? reject(err) : resolve(v))));
    assert.deepStrictEqual(ids.sort(), [ca.id, cb.id].sort());
    assert.deepStrictEqual(a.io.sockets.clients().map((s) => s.id), [ca.id]);   // 0.9: local
    const all = await a.io.allSockets();
    assert.deepStrictEqual([...all].sort(), [ca.id, cb.id].sort());
    const m = await a.io.sockets.manager.cluster();
    assert.deepStrictEqual(m.rooms[''].sort(), [ca.id, cb.id].sort());
    assert.ok(m.roomClients[cb.id]['']);
  });

  it('serverSideEmit reaches the other server, with acks', async function () {
    const { a, b } = await pair('node-sse');
    const got = [];
    b.io.on('hello', (x, cbk) => {
      got.push(x);
      if (typeof cbk === 'function') cbk({ from: 'b' });
    });
    a.io.on('hello', () => got.push('a must not hear itself'));
    a.io.serverSideEmit('hello', 1);
    await until(() => got.length === 1);
    const answers = await a.io.serverSideEmitWithAck('hello', 2);
    assert.deepStrictEqual(answers, [{ from: 'b' }]);
    assert.deepStrictEqual(got, [1, 2]);
    // nobody answers "unheard": socket.io's error, counting the servers
    const [err, partial] = await new Promise((resolve) =>
      a.io.serverSideEmit('unheard', (e, r) => resolve([e, r])));
    assert.strictEqual(err && err.message, 'timeout reached: only 0 responses received out of 1');
    assert.deepStrictEqual(partial, []);
  });

  it('a broadcast with acks counts every server\'s clients', async function () {
    const { a, ca, cb } = await pair('node-back');
    ca.on('q', (cbk) => cbk('a'));
    cb.on('q', (cbk) => cbk('b'));
    const responses = await a.io.timeout(3000).emitWithAck('q');
    assert.deepStrictEqual(responses.sort(), ['a', 'b']);
  });

  it('requests fail with a timeout error while Redis is unreachable', async function () {
    const port = await freePort();
    const { io } = startServer({ adapter: createRedisAdapter(`redis://127.0.0.1:${port}`,
      { requestsTimeout: 300 }) });
    const c = client(`http://127.0.0.1:${io.port}`);
    await connected(c);
    const got = once(c, 'local');
    io.emit('local', 1);
    assert.strictEqual(await got, 1);
    await assert.rejects(io.fetchSockets(), /timeout reached while waiting for fetchSockets/);
    await assert.rejects(io.of('/').adapter.allRooms(), /timeout/);
    await assert.rejects(io.serverSideEmitWithAck('x'), /timeout/);
  });
});

describe('Redis adapter: a cluster of one', function () {
  this.timeout(20000);
  let redis;
  let url;
  before(async function () {
    if (!haveRedis()) this.skip();
    redis = await startRedis('sioc-node-redis1-');
    url = redis.url;
  });
  after(function () {
    if (redis) redis.stop();
  });
  afterEach(cleanup);

  it('broadcasts with acks and queries complete with this server alone', async function () {
    const { io, url: u } = startServer({ adapter: createRedisAdapter(url, { key: 'alone' }) });
    const c = client(u);
    await connected(c);
    c.on('q', (cbk) => cbk('only'));
    await until(async () => (await io.of('/').adapter.serverCount().catch(() => 0)) === 1, 5000);
    for (let i = 0; i < 20; i++) {
      assert.deepStrictEqual(await io.timeout(2000).emitWithAck('q'), ['only']);
    }
    assert.deepStrictEqual(await io.timeout(2000).emitWithAck('nobody-answers-this').catch((e) => e.message),
      'operation has timed out');
    assert.deepStrictEqual((await io.fetchSockets()).map((s) => s.id), [c.id]);
    assert.deepStrictEqual(await io.serverSideEmitWithAck('x'), []);
  });
});
