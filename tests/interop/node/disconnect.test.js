// Disconnect reasons seen by socket.io-client, in each transport mode:
// client disconnect(), server-disconnect, the server stopped by SIGTERM
// (graceful: the server says goodbye) and killed by SIGKILL.
'use strict';

const assert = require('assert');
const { MODES, startServer, Clients, once, emitAck, waitFor, connected, withTimeout } = require('./server');

for (const [mode, modeOpts] of Object.entries(MODES)) {
  describe(`disconnect [${mode}]`, function () {
    let srv;
    let clients;

    beforeEach(async function () {
      srv = await startServer();
      clients = new Clients(srv.url, modeOpts);
    });
    afterEach(async function () {
      if (clients) clients.closeAll();
      if (srv) await srv.stop();
      srv = clients = null;
    });

    it('client disconnect() -> "io client disconnect"; the server forgets the socket', async function () {
      const observer = await clients.connect();
      const s = await clients.connect();
      await emitAck(s, 'join', 'room');
      const id = s.id;
      const reason = once(s, 'disconnect');
      s.disconnect();
      assert.strictEqual((await reason)[0], 'io client disconnect');
      assert.strictEqual(s.connected, false);
      await waitFor(
        async () => (await emitAck(observer, 'room-sockets', 'room'))[0].length === 0,
        5000,
        'the server to drop the socket'
      );
      assert.ok(!(await emitAck(observer, 'all-rooms'))[0].includes(id));
    });

    it('server-disconnect -> "io server disconnect", no reconnection', async function () {
      const s = await clients.connect('/', { reconnection: true, reconnectionDelay: 50 });
      const reason = once(s, 'disconnect');
      s.emit('server-disconnect');
      assert.strictEqual((await reason)[0], 'io server disconnect');
      assert.strictEqual(s.connected, false);
      assert.strictEqual(s.active, false, 'the client must not reconnect after a server disconnect');
    });

    it('server-disconnect on / does not disconnect /custom on the same connection', async function () {
      const m = clients.manager();
      const root = clients.managerSocket(m, '/');
      const custom = clients.managerSocket(m, '/custom');
      await Promise.all([connected(root), connected(custom)]);
      const reason = once(root, 'disconnect');
      root.emit('server-disconnect');
      assert.strictEqual((await reason)[0], 'io server disconnect');
      // /custom is still connected on the same engine session
      assert.ok(custom.connected);
      assert.ok(m.engine && m.engine.readyState === 'open', `engine ${m.engine && m.engine.readyState}`);
      // and / can connect again over it
      root.connect();
      await connected(root);
      assert.deepStrictEqual(await emitAck(root, 'echo', 'back'), ['back']);
    });

    it('SIGTERM: io.close() semantics: transports close, clients try to reconnect, exit 0', async function () {
      const m = clients.manager({ reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
      const root = clients.managerSocket(m, '/');
      const custom = clients.managerSocket(m, '/custom');
      const other = clients.socket('/dyn-x1');
      await Promise.all([connected(root), connected(custom), connected(other)]);
      const reasons = [root, custom, other].map((s) => once(s, 'disconnect', 8000));
      const retry = once(m, 'reconnect_attempt', 8000);
      const status = await srv.stop(8000);
      assert.deepStrictEqual(status, { code: 0, signal: null }, 'graceful exit status');
      const got = (await Promise.all(reasons)).map((r) => r[0]);
      // No DISCONNECT packet: a server restart must not stop reconnection.
      // A client still on long-polling (polling mode, or default mode before
      // its upgrade finished) sees the cut as a failed request.
      const allowed = mode === 'websocket' ? ['transport close'] : ['transport close', 'transport error'];
      for (const reason of got) assert.ok(allowed.includes(reason), `reason ${reason}`);
      await retry;
    });

    it('SIGKILL: clients see the transport go away', async function () {
      const s = await clients.connect();
      const reason = once(s, 'disconnect', 8000);
      srv.proc.kill('SIGKILL');
      await withTimeout(srv.exited, 5000, 'server exit');
      const [r] = await reason;
      assert.ok(['transport close', 'transport error'].includes(r), `reason ${r}`);
    });
  });
}
