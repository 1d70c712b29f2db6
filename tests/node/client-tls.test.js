'use strict';
// The sioc Node client over https:// and wss:// against socket.io 4.8.4 on
// a node https server with a self-signed certificate for 127.0.0.1:
// rejected by default, accepted with `ca`, or with rejectUnauthorized: false.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const https = require('https');
const { execFileSync } = require('child_process');
const { Server } = require('socket.io');
const { io } = require('../../node/client');

describe('sioc client: TLS', function () {
  this.timeout(15000);
  let dir, cert, key, srv, h, url;
  const clients = [];

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sioc-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
      { stdio: 'ignore' });
    } catch (e) {
      this.skip();   // no openssl CLI
    }
    cert = fs.readFileSync(path.join(dir, 'cert.pem'));
    key = fs.readFileSync(path.join(dir, 'key.pem'));
    h = https.createServer({ cert, key });
    srv = new Server(h);
    srv.on('connection', (s) => s.on('echo', (v, ack) => ack(v)));
    await new Promise((r) => h.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${h.address().port}`;
  });

  after(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    if (srv) await new Promise((r) => srv.close(r));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function client(u, opts) {
    const c = io(u, Object.assign({ forceNew: true, reconnection: false }, opts));
    clients.push(c);
    return c;
  }

  function next(c) {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no connect/connect_error')), 8000);
      c.once('connect', () => { clearTimeout(t); resolve('connect'); });
      c.once('connect_error', (e) => { clearTimeout(t); resolve(e); });
    });
  }

  for (const [mode, transports] of [['polling', ['polling']], ['websocket', ['websocket']], ['upgrade', undefined]]) {
    it(`${mode}: untrusted certificate -> connect_error; ca or rejectUnauthorized:false -> connects`, async () => {
      const u = mode === 'websocket' ? url.replace('https', 'wss') : url;
      const bad = await next(client(u, { transports }));
      assert.ok(bad instanceof Error, 'expected a connect_error');
      assert.match(bad.message, /certificate/);
      for (const opts of [{ ca: cert }, { ca: cert.toString() }, { rejectUnauthorized: false }]) {
        const c = client(u, Object.assign({ transports }, opts));
        assert.strictEqual(await next(c), 'connect');
        assert.strictEqual(await c.emitWithAck('echo', 'tls'), 'tls');
        c.disconnect();
      }
    });
  }
});
