'use strict';
// io.attach(httpServer) / new Server(httpServer): the host server keeps its
// own routes on the same port, /socket.io/ goes to sioc; serveClient.
const assert = require('assert');
const http = require('http');
const fs = require('fs');
const path = require('path');
const { Server } = require('../../node');
const { MODES, client, once, connected, cleanup } = require('./helpers');

function listen(srv) {
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv.address().port)));
}

function get(port, p) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

describe('attach to an http.Server', function () {
  let httpServer;
  let io;
  afterEach(async function () {
    await cleanup();
    if (io) await io.close();
    io = null;
  });

  for (const mode of Object.keys(MODES)) {
    it(`socket.io traffic goes to sioc, other routes stay with the host [${mode}]`, async function () {
      httpServer = http.createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('host:' + req.url);
      });
      io = new Server(httpServer);
      io.on('connection', (s) => s.on('echo', (x, ack) => ack(x)));
      const port = await listen(httpServer);
      const before = await get(port, '/hello');
      assert.strictEqual(before.body.toString(), 'host:/hello');
      const c = client(`http://127.0.0.1:${port}`, mode);
      await connected(c);
      assert.strictEqual(await c.emitWithAck('echo', { big: 'x'.repeat(20000) }).then((r) => r.big.length), 20000);
      const bin = await c.emitWithAck('echo', Buffer.from([1, 2, 3]));
      assert.deepStrictEqual([...new Uint8Array(bin)], [1, 2, 3]);
      const after = await get(port, '/world');
      assert.strictEqual(after.body.toString(), 'host:/world');
      assert.strictEqual(io.httpServer, httpServer);
    });
  }

  it('io.attach(httpServer, opts) with a custom path; io.close() closes the http server', async function () {
    httpServer = http.createServer((req, res) => res.end('ok'));
    io = new Server();
    io.attach(httpServer, { path: '/rt' });
    const port = await listen(httpServer);
    const c = client(`http://127.0.0.1:${port}`, 'upgrade', { path: '/rt' });
    await connected(c);
    await io.close();
    io = null;
    assert.strictEqual(httpServer.listening, false);
  });

  it('serves the socket.io-client bundle (serveClient) in attach and listen modes', async function () {
    const dist = path.join(path.dirname(require.resolve('socket.io-client/package.json')), 'dist');
    httpServer = http.createServer((req, res) => res.end('host'));
    io = new Server(httpServer);
    const port = await listen(httpServer);
    for (const [file, type] of [['socket.io.js', /javascript/], ['socket.io.min.js', /javascript/],
      ['socket.io.js.map', /json/], ['socket.io.min.js.map', /json/], ['socket.io.esm.min.js', /javascript/],
      ['socket.io.esm.min.js.map', /json/]]) {
      const r = await get(port, '/socket.io/' + file);
      assert.strictEqual(r.status, 200, file);
      assert.match(r.headers['content-type'], type);
      assert.ok(r.body.equals(fs.readFileSync(path.join(dist, file))), file);
    }
    const own = new Server({ host: '127.0.0.1' }).listen(0);
    try {
      const r = await get(own.port, '/socket.io/socket.io.min.js');
      assert.strictEqual(r.status, 200);
    } finally {
      await own.close();
    }
    const off = new Server({ host: '127.0.0.1', serveClient: false }).listen(0);
    try {
      const r = await get(off.port, '/socket.io/socket.io.js');
      assert.notStrictEqual(r.status, 200);
    } finally {
      await off.close();
    }
  });

  it('refuses an express-style handler function', function () {
    assert.throws(() => new Server().attach((req, res) => {}), /http.Server/);
  });
});
