// Heartbeats with short intervals (--ping-interval 300 --ping-timeout 200):
// a healthy client stays connected and sees pings; a client whose pongs stop
// is dropped by the server. In each transport mode.
'use strict';

const assert = require('assert');
const { MODES, startServer, Clients, emitAck, sleep, waitFor } = require('./server');

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;

for (const [mode, modeOpts] of Object.entries(MODES)) {
  describe(`heartbeat [${mode}]`, function () {
    this.timeout(15000);
    let srv;
    let clients;

    before(async function () {
      srv = await startServer(['--ping-interval', String(PING_INTERVAL), '--ping-timeout', String(PING_TIMEOUT)]);
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

    it('the handshake advertises the configured ping interval and timeout', async function () {
      const s = await clients.connect();
      assert.strictEqual(s.io.engine._pingInterval, PING_INTERVAL);
      assert.strictEqual(s.io.engine._pingTimeout, PING_TIMEOUT);
      assert.strictEqual(s.io.engine._maxPayload, 1e6);
    });

    it('a healthy client stays connected > 2 s and receives pings', async function () {
      const s = await clients.connect();
      let pings = 0;
      s.io.on('ping', () => pings++);
      const disconnects = [];
      s.on('disconnect', (reason) => disconnects.push(reason));
      const engineId = s.io.engine.id;
      await sleep(2200);
      assert.deepStrictEqual(disconnects, [], 'no disconnect');
      assert.ok(s.connected);
      assert.strictEqual(s.io.engine.id, engineId, 'same Engine.IO session');
      // ~7 pings expected at 300 ms; allow slack for a loaded machine
      assert.ok(pings >= 4, `only ${pings} pings in 2.2 s`);
      assert.ok(pings <= 12, `${pings} pings in 2.2 s: interval not honoured`);
      assert.deepStrictEqual(await emitAck(s, 'echo', 'alive'), ['alive']);
    });

    it('a client whose pongs stop is dropped (leaves its rooms)', async function () {
      const observer = await clients.connect();
      const victim = await clients.connect();
      await emitAck(observer, 'join', 'hb');
      await emitAck(victim, 'join', 'hb');
      if (mode === 'default') {
        await waitFor(() => victim.io.engine.transport.name === 'websocket', 5000, 'upgrade');
      }
      const victimId = victim.id;
      assert.deepStrictEqual((await emitAck(observer, 'room-sockets', 'hb'))[0].sort(), [observer.id, victimId].sort());

      const victimDisconnect = new Promise((resolve) => victim.on('disconnect', (reason) => resolve(reason)));
      // Stop answering pings: drop every outgoing PONG of the victim's engine.
      const engine = victim.io.engine;
      const send = engine._sendPacket;
      assert.strictEqual(typeof send, 'function', 'engine.io-client internals changed');
      engine._sendPacket = function (type, ...rest) {
        if (type === 'pong') return undefined;
        return send.call(this, type, ...rest);
      };
      const t0 = Date.now();
      await waitFor(
        async () => !(await emitAck(observer, 'room-sockets', 'hb'))[0].includes(victimId),
        4000,
        'the server to drop the silent client',
        50
      );
      const elapsed = Date.now() - t0;
      // It must have been the heartbeat: not before one ping went unanswered.
      assert.ok(elapsed >= PING_TIMEOUT, `dropped after ${elapsed} ms`);
      const reason = await Promise.race([victimDisconnect, sleep(3000).then(() => 'none')]);
      // The reference closes the dropped client's transport (websocket close /
      // polling "close" packet), so the client sees "transport close".
      assert.strictEqual(reason, 'transport close');
      // The observer, answering its pings, is untouched.
      assert.ok(observer.connected);
      assert.deepStrictEqual(await emitAck(observer, 'room-sockets', 'hb'), [[observer.id]]);
    });
  });
}
