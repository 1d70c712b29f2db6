// Namespaces: /custom multiplexed with / on one connection, dynamic /dyn-*,
// the /private middleware, unknown namespaces; in each transport mode.
'use strict';

const assert = require('assert');
const { MODES, startServer, Clients, once, emitAck, connected, sleep } = require('./server');

/** Resolve with the connect_error Error, reject if the socket connects instead. */
function connectError(socket, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connect_error within ${ms} ms`)), ms);
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      resolve(err);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      reject(new Error(`unexpectedly connected to ${socket.nsp}`));
    });
  });
}

for (const [mode, modeOpts] of Object.entries(MODES)) {
  describe(`namespaces [${mode}]`, function () {
    let srv;
    let clients;

    before(async function () {
      srv = await startServer();
    });
    after(async function () {
      if (srv) await srv.stop();
    });
    beforeEach(function () {
      clients = new Clients(srv.url, modeOpts);
    });
    afterEach(function () {
      clients.closeAll();
    });

    it('/custom and / multiplexed on one connection, each with its own auth', async function () {
      const m = clients.manager();
      const root = clients.managerSocket(m, '/', { auth: { who: 'root' } });
      const custom = clients.managerSocket(m, '/custom', { auth: { who: 'custom', n: [1, 2] } });
      await Promise.all([connected(root), connected(custom)]);
      assert.strictEqual(root.io, custom.io, 'same Manager');
      assert.ok(m.engine && m.engine.id, 'one engine session');
      assert.notStrictEqual(root.id, custom.id, 'distinct socket ids per namespace');
      assert.deepStrictEqual((await root.authP)[0], { who: 'root' });
      assert.deepStrictEqual((await custom.authP)[0], { who: 'custom', n: [1, 2] });
    });

    it('events stay in their namespace on a multiplexed connection', async function () {
      const m = clients.manager();
      const root = clients.managerSocket(m, '/');
      const custom = clients.managerSocket(m, '/custom');
      await Promise.all([connected(root), connected(custom)]);
      await custom.authP;
      // /custom has no message handler: nothing comes back there ...
      custom.emit('message', 'to custom');
      // ... while / echoes on /.
      const p = once(root, 'message-back');
      root.emit('message', 'to root');
      assert.deepStrictEqual(await p, ['to root']);
      // An ack round trip on / after both emits orders things: anything /custom
      // would have sent back would be here by now.
      await emitAck(root, 'message-with-ack', 'sync');
      await sleep(50);
      assert.deepStrictEqual(
        custom.log.map((e) => e[0]),
        ['auth'],
        `/custom got unexpected events: ${JSON.stringify(custom.log)}`
      );
      assert.ok(!root.log.some((e) => e[1] === 'to custom'), '/ got the /custom message');
    });

    it('disconnecting /custom leaves / connected on the same connection', async function () {
      const m = clients.manager();
      const root = clients.managerSocket(m, '/');
      const custom = clients.managerSocket(m, '/custom');
      await Promise.all([connected(root), connected(custom)]);
      const engine = m.engine;
      const reason = once(custom, 'disconnect');
      custom.disconnect();
      assert.strictEqual((await reason)[0], 'io client disconnect');
      assert.deepStrictEqual(await emitAck(root, 'message-with-ack', 'still here'), ['still here']);
      assert.strictEqual(m.engine, engine, 'same engine session');
      assert.ok(root.connected);
    });

    it('dynamic namespace /dyn-abc emits auth and nsp', async function () {
      const s = clients.socket('/dyn-abc', { auth: { d: 'ÿ' } });
      const nsp = once(s, 'nsp');
      await connected(s);
      assert.deepStrictEqual((await s.authP)[0], { d: 'ÿ' });
      assert.deepStrictEqual(await nsp, ['/dyn-abc']);
    });

    it('two dynamic namespaces are distinct', async function () {
      const m = clients.manager();
      const a = clients.managerSocket(m, '/dyn-a1');
      const b = clients.managerSocket(m, '/dyn-2b');
      const na = once(a, 'nsp');
      const nb = once(b, 'nsp');
      await Promise.all([connected(a), connected(b)]);
      assert.deepStrictEqual(await na, ['/dyn-a1']);
      assert.deepStrictEqual(await nb, ['/dyn-2b']);
    });

    it('a name outside the dynamic pattern is an invalid namespace (/dyn-ABC)', async function () {
      const s = clients.socket('/dyn-ABC');
      const err = await connectError(s);
      assert.strictEqual(err.message, 'Invalid namespace');
    });

    it('/private rejects a missing token: connect_error "unauthorized" {reason:"bad token"}', async function () {
      const s = clients.socket('/private');
      const err = await connectError(s);
      assert.strictEqual(err.message, 'unauthorized');
      assert.deepStrictEqual(err.data, { reason: 'bad token' });
      assert.strictEqual(s.connected, false);
    });

    it('/private rejects a wrong token', async function () {
      const s = clients.socket('/private', { auth: { token: 'Secret' } });
      const err = await connectError(s);
      assert.strictEqual(err.message, 'unauthorized');
      assert.deepStrictEqual(err.data, { reason: 'bad token' });
    });

    it('/private accepts token "secret" and emits auth', async function () {
      const auth = { token: 'secret', extra: { k: [true] } };
      const s = clients.socket('/private', { auth });
      await connected(s);
      assert.deepStrictEqual((await s.authP)[0], auth);
    });

    it('a /private rejection does not hurt / on the same connection', async function () {
      const m = clients.manager();
      const root = clients.managerSocket(m, '/');
      const priv = clients.managerSocket(m, '/private', { auth: { token: 'nope' } });
      const err = await connectError(priv);
      assert.strictEqual(err.message, 'unauthorized');
      await connected(root);
      assert.deepStrictEqual(await emitAck(root, 'message-with-ack', 1), [1]);
    });

    it('unknown namespace -> connect_error "Invalid namespace"', async function () {
      const s = clients.socket('/nope');
      const err = await connectError(s);
      assert.strictEqual(err.message, 'Invalid namespace');
      assert.strictEqual(s.connected, false);
    });

    it('unknown namespace next to / on one connection: / still works', async function () {
      const m = clients.manager();
      const root = clients.managerSocket(m, '/');
      const bad = clients.managerSocket(m, '/does-not-exist');
      const err = await connectError(bad);
      assert.strictEqual(err.message, 'Invalid namespace');
      await connected(root);
      assert.deepStrictEqual(await emitAck(root, 'echo', 'ok'), ['ok']);
    });
  });
}
