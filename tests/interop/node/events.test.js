// Connect with auth, events both ways, acks both ways: socket.io-client 4.8.4
// against the echo server, in each transport mode.
'use strict';

const assert = require('assert');
const { MODES, startServer, Clients, once, emitAck, waitUpgraded, connected, withTimeout } = require('./server');

const AUTH = {
  token: 'abc',
  n: 42,
  f: -1.25,
  yes: true,
  no: false,
  nothing: null,
  list: [1, 'two', { three: [3] }, []],
  nested: { deeper: { deepest: { s: 'héllo wörld ✓ 😀', empty: {} } } },
  unicode: 'Ünïcödé — 中文 — 𝄞 — \u2028\u2029',
};

// One value of every JSON type, plus the strings most likely to trip an
// encoder: quotes, backslashes, every C0 control char (incl. \x1e, the polling
// record separator), NUL, U+2028/2029, astral-plane characters.
const CONTROL = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('');
const TRICKY = `"quoted" 'single' \\back\\slash\\ /slash ${CONTROL} \u007f \u2028 \u2029 😀👍🏽🇫🇷 𝄞 \ufeff`;
const ALL_TYPES = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -2.75e-5,
  1e300,
  9007199254740991,
  -9007199254740991,
  '',
  'plain',
  TRICKY,
  [],
  {},
  [1, [2, [3, [4, [5]]]]],
  { a: { b: { c: { d: 'e' } } }, arr: [null, true, 0, 's', { x: [] }], 'key with "quotes"\n': TRICKY },
];

// ~500 KB of text (mostly ASCII, some multi-byte) — under the 1e6 default limit.
function bigString() {
  const chunk = 'The quick brown fox jumps over the lazy dog 0123456789 ✓ "q" \\ ';
  return chunk.repeat(Math.ceil((500 * 1024) / Buffer.byteLength(chunk)));
}

for (const [mode, modeOpts] of Object.entries(MODES)) {
  describe(`events [${mode}]`, function () {
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

    it('connects and the auth event echoes the auth object exactly', async function () {
      const s = clients.socket('/', { auth: AUTH });
      await connected(s);
      assert.ok(s.id, 'socket has an id');
      const [auth] = await s.authP;
      assert.deepStrictEqual(auth, AUTH);
    });

    it('the auth event carries {} when no auth was given', async function () {
      const s = await clients.connect('/');
      const [auth] = await s.authP;
      assert.deepStrictEqual(auth, {});
    });

    if (mode === 'default') {
      it('starts on polling and upgrades to websocket', async function () {
        const s = clients.socket('/');
        const engine = s.io.engine;
        assert.strictEqual(engine.transport.name, 'polling', 'the first transport is polling');
        const upgraded = once(engine, 'upgrade', 5000);
        await connected(s);
        const [transport] = await upgraded;
        assert.strictEqual(transport.name, 'websocket');
        await waitUpgraded(s);
        assert.strictEqual(s.io.engine.transport.name, 'websocket');
        // The session survives the upgrade: same engine id, still answering.
        assert.strictEqual(s.io.engine, engine);
        const [back] = await emitAck(s, 'message-with-ack', 'after upgrade');
        assert.strictEqual(back, 'after upgrade');
      });
    }

    it('message -> message-back with every JSON type as separate arguments', async function () {
      const s = await clients.connect();
      const p = once(s, 'message-back');
      s.emit('message', ...ALL_TYPES);
      const args = await p;
      assert.deepStrictEqual(args, ALL_TYPES);
    });

    it('message -> message-back with no argument and with one', async function () {
      const s = await clients.connect();
      let p = once(s, 'message-back');
      s.emit('message');
      assert.deepStrictEqual(await p, []);
      p = once(s, 'message-back');
      s.emit('message', TRICKY);
      assert.deepStrictEqual(await p, [TRICKY]);
    });

    it('many messages come back in order', async function () {
      const s = await clients.connect();
      const got = [];
      const done = new Promise((resolve) => {
        s.on('message-back', (i) => {
          got.push(i);
          if (got.length === 100) resolve();
        });
      });
      for (let i = 0; i < 100; i++) s.emit('message', i);
      await withTimeout(done, 8000, '100 message-back events');
      assert.deepStrictEqual(got, Array.from({ length: 100 }, (_, i) => i));
    });

    it('a ~500 KB string round-trips (event and ack)', async function () {
      this.timeout(20000);
      const big = bigString();
      const s = await clients.connect();
      const p = once(s, 'message-back', 15000);
      s.emit('message', big, 'tail');
      const [a, b] = await p;
      assert.strictEqual(a.length, big.length);
      assert.ok(a === big, 'large string differs');
      assert.strictEqual(b, 'tail');
      const [c] = await emitAck(s, 'message-with-ack', big);
      assert.ok(c === big, 'large string differs in ack');
    });

    it('client -> server ack returns every argument (message-with-ack)', async function () {
      const s = await clients.connect();
      const resp = await emitAck(s, 'message-with-ack', ...ALL_TYPES);
      assert.deepStrictEqual(resp, ALL_TYPES);
      assert.deepStrictEqual(await emitAck(s, 'message-with-ack'), []);
    });

    it('emitWithAck resolves with the single ack argument', async function () {
      const s = await clients.connect();
      const r = await s.timeout(5000).emitWithAck('message-with-ack', { k: TRICKY });
      assert.deepStrictEqual(r, { k: TRICKY });
    });

    it('concurrent acks are matched to their own requests', async function () {
      const s = await clients.connect();
      const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => emitAck(s, 'message-with-ack', i, `s${i}`)));
      rs.forEach((r, i) => assert.deepStrictEqual(r, [i, `s${i}`]));
    });

    it('server -> client ack: request-ack / ack-request / ack-response', async function () {
      const s = await clients.connect();
      s.on('ack-request', (...args) => {
        const ack = args.pop();
        assert.strictEqual(typeof ack, 'function', 'server asked for an ack');
        ack('got', ...args);
      });
      const p = once(s, 'ack-response');
      s.emit('request-ack', 1, 'two', { three: [3] }, TRICKY);
      const [resp] = await p;
      assert.deepStrictEqual(resp, ['got', 1, 'two', { three: [3] }, TRICKY]);
    });

    it('server -> client ack with no argument gives []', async function () {
      const s = await clients.connect();
      s.on('ack-request', (ack) => ack());
      const p = once(s, 'ack-response');
      s.emit('request-ack');
      assert.deepStrictEqual(await p, [[]]);
    });

    it('server -> client ack never sent -> ack-response null after 5 s', async function () {
      this.timeout(9000);
      const s = await clients.connect();
      let asked = false;
      s.on('ack-request', () => {
        asked = true; // never call the ack
      });
      const t0 = Date.now();
      const p = once(s, 'ack-response', 8000);
      s.emit('request-ack', 'x');
      const [resp] = await p;
      assert.ok(asked, 'the ack-request event was received');
      assert.strictEqual(resp, null);
      assert.ok(Date.now() - t0 >= 4500, `timed out too early (${Date.now() - t0} ms)`);
    });

    it('bench: echo acks every argument back', async function () {
      const s = await clients.connect();
      assert.deepStrictEqual(await emitAck(s, 'echo', 'ping', 1, { t: Date.now() > 0 }), ['ping', 1, { t: true }]);
    });

    it('bench: bcast reaches every client including the sender', async function () {
      const a = await clients.connect();
      const b = await clients.connect();
      const c = await clients.connect();
      const ps = [a, b, c].map((s) => once(s, 'bcast'));
      a.emit('bcast', 'hello all', { n: 3 });
      for (const args of await Promise.all(ps)) assert.deepStrictEqual(args, ['hello all', { n: 3 }]);
    });
  });
}
