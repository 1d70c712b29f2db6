'use strict';
// socket.io API details that code written for socket.io relies on: the
// module as a function, io.httpServer when sioc listens itself, listening
// again after close(), ...
const assert = require('assert');
const http = require('http');
const sioc = require('../../node');
const { Server } = sioc;
const { client, connected, once, cleanup } = require('./helpers');

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
});
