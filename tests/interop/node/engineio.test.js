// Raw Engine.IO echo at /engine.io/ through engine.io-client 6.6.8: text and
// binary messages come back equal, over websocket, polling and the default
// (polling, then upgrade).
'use strict';

const assert = require('assert');
const { Socket } = require('engine.io-client');
const { MODES, startServer, once, withTimeout, normalize } = require('./server');

// Text without \x1e: Engine.IO v4 polling payloads use it as the packet
// separator and do not escape it, so no Engine.IO peer can carry it there.
const TEXT = 'héllo ✓ 😀 𝄞 "quotes" \\ \u2028\u2029 \u0000\u0001\u001f {"json":[1]} 4 2probe';

function bigBuffer(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + 1) & 0xff;
  return b;
}

for (const [mode, modeOpts] of Object.entries(MODES)) {
  describe(`raw engine.io /engine.io/ [${mode}]`, function () {
    let srv;
    let sockets;

    before(async function () {
      srv = await startServer();
    });
    after(async function () {
      if (srv) await srv.stop();
    });
    beforeEach(function () {
      sockets = [];
    });
    afterEach(function () {
      for (const s of sockets) s.close();
    });

    async function open(extra = {}) {
      const s = new Socket(srv.url, { path: '/engine.io/', ...modeOpts, ...extra });
      sockets.push(s);
      s.received = [];
      s.on('message', (m) => s.received.push(m));
      await withTimeout(
        new Promise((resolve, reject) => {
          s.once('open', resolve);
          s.once('error', reject);
        }),
        10000,
        'engine.io open'
      );
      return s;
    }

    /** Send `msgs` and resolve with as many messages received. */
    async function roundTrip(s, msgs, ms = 10000) {
      const start = s.received.length;
      const done = new Promise((resolve) => {
        const h = () => {
          if (s.received.length >= start + msgs.length) {
            s.off('message', h);
            resolve();
          }
        };
        s.on('message', h);
        h();
      });
      for (const m of msgs) s.send(m);
      await withTimeout(done, ms, `${msgs.length} echoed messages`);
      return s.received.slice(start, start + msgs.length);
    }

    it('handshake: a session id and the transport asked for', async function () {
      const s = await open();
      assert.ok(typeof s.id === 'string' && s.id.length > 0);
      if (mode === 'websocket') assert.strictEqual(s.transport.name, 'websocket');
      if (mode === 'polling') assert.strictEqual(s.transport.name, 'polling');
    });

    it('text messages come back equal, in order', async function () {
      const s = await open();
      const msgs = [TEXT, 'a', '1', 'x'.repeat(1000)];
      assert.deepStrictEqual(await roundTrip(s, msgs), msgs);
    });

    it('binary messages come back equal, as binary', async function () {
      const s = await open();
      const msgs = [Buffer.from([0, 1, 2, 255]), Buffer.from('4text-looking', 'latin1'), Buffer.alloc(1, 0x1e)];
      const got = await roundTrip(s, msgs);
      for (const g of got) assert.ok(typeof g !== 'string', `binary came back as text: ${JSON.stringify(g)}`);
      assert.deepStrictEqual(normalize(got), msgs);
    });

    it('text and binary interleaved keep their order and kind', async function () {
      const s = await open();
      const msgs = [];
      for (let i = 0; i < 30; i++) msgs.push(i % 3 === 0 ? Buffer.from([i, i + 1]) : `m${i}`);
      const got = await roundTrip(s, msgs);
      assert.deepStrictEqual(normalize(got), msgs);
    });

    it('~500 KB text and binary messages round-trip', async function () {
      const s = await open();
      const text = 'abcdefghij✓'.repeat(40000); // ~520 KB of UTF-8
      const bin = bigBuffer(500 * 1024);
      const [t, b] = await roundTrip(s, [text, bin]);
      assert.ok(t === text, 'large text differs');
      assert.ok(Buffer.from(normalize(b)).equals(bin), 'large binary differs');
    });

    if (mode === 'default') {
      it('upgrades to websocket and keeps echoing', async function () {
        const s = new Socket(srv.url, { path: '/engine.io/' });
        sockets.push(s);
        s.received = [];
        s.on('message', (m) => s.received.push(m));
        assert.strictEqual(s.transport.name, 'polling');
        const [transport] = await once(s, 'upgrade', 5000);
        assert.strictEqual(transport.name, 'websocket');
        assert.strictEqual(s.transport.name, 'websocket');
        assert.deepStrictEqual(normalize(await roundTrip(s, ['after', Buffer.from([7])])), ['after', Buffer.from([7])]);
      });
    }
  });
}
