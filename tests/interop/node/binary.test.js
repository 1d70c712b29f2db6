// Binary payloads both ways (Buffers as top-level arguments, nested, several
// attachments per packet, in events and in acks), in each transport mode.
'use strict';

const assert = require('assert');
const { MODES, startServer, Clients, once, emitAck, assertDeepEqualNormalized } = require('./server');

const bytes = (...xs) => Buffer.from(xs);
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
// Bytes that look like protocol syntax: placeholders, separators, packet types.
const SNEAKY = Buffer.from('{"_placeholder":true,"num":0}\x1e451-["x"]\x00\xff', 'latin1');

function bigBuffer(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

for (const [mode, modeOpts] of Object.entries(MODES)) {
  describe(`binary [${mode}]`, function () {
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

    it('a Buffer as the only argument comes back as equal bytes', async function () {
      const s = await clients.connect();
      const p = once(s, 'message-back');
      s.emit('message', ALL_BYTES);
      const [b] = await p;
      assert.ok(Buffer.isBuffer(b) || b instanceof ArrayBuffer, `got ${typeof b}`);
      assertDeepEqualNormalized([b], [ALL_BYTES]);
    });

    it('empty and protocol-looking Buffers survive', async function () {
      const s = await clients.connect();
      const p = once(s, 'message-back');
      s.emit('message', Buffer.alloc(0), SNEAKY, 'text', bytes(0));
      assertDeepEqualNormalized(await p, [Buffer.alloc(0), SNEAKY, 'text', bytes(0)]);
    });

    it('several attachments mixed with JSON, nested in objects and arrays', async function () {
      const s = await clients.connect();
      const args = [
        bytes(1, 2, 3),
        'between',
        { a: bytes(4), nested: { deeper: [bytes(5, 6), { b: bytes(7) }], n: 1 }, s: 'x' },
        [bytes(8), [bytes(9, 10)], null, 3.5],
        bytes(255, 0, 255),
        { _placeholder: false, num: 'not a placeholder' },
      ];
      const p = once(s, 'message-back');
      s.emit('message', ...args);
      assertDeepEqualNormalized(await p, args);
    });

    it('ten attachments in one packet', async function () {
      const s = await clients.connect();
      const args = Array.from({ length: 10 }, (_, i) => Buffer.alloc(i + 1, i));
      const p = once(s, 'message-back');
      s.emit('message', ...args);
      assertDeepEqualNormalized(await p, args);
    });

    it('the same Buffer referenced twice comes back twice', async function () {
      const s = await clients.connect();
      const b = bytes(42, 43);
      const p = once(s, 'message-back');
      s.emit('message', [b, b], { again: b });
      assertDeepEqualNormalized(await p, [[b, b], { again: b }]);
    });

    it('a ~500 KB Buffer round-trips', async function () {
      const s = await clients.connect();
      const big = bigBuffer(500 * 1024);
      const p = once(s, 'message-back', 10000);
      s.emit('message', big);
      const [b] = await p;
      assert.ok(Buffer.from(b).equals(big), 'large buffer differs');
    });

    it('binary in client -> server acks', async function () {
      const s = await clients.connect();
      const args = [bytes(1), { x: [bytes(2, 3)] }, 'ok', [bytes(4), bytes(5)]];
      assertDeepEqualNormalized(await emitAck(s, 'message-with-ack', ...args), args);
    });

    it('binary in server -> client acks', async function () {
      const s = await clients.connect();
      s.on('ack-request', (...args) => {
        const ack = args.pop();
        // reply with what we got, plus binary of our own
        ack(...args, bytes(9, 8, 7), { mine: [bytes(6)] });
      });
      const p = once(s, 'ack-response');
      s.emit('request-ack', bytes(1, 2), 'txt');
      const [resp] = await p;
      assertDeepEqualNormalized(resp, [bytes(1, 2), 'txt', bytes(9, 8, 7), { mine: [bytes(6)] }]);
    });

    it('binary in server -> client event arguments (ack-request carries the bytes)', async function () {
      const s = await clients.connect();
      const got = once(s, 'ack-request');
      s.emit('request-ack', { deep: [bytes(0xde, 0xad)] }, bytes(0xbe, 0xef));
      const args = await got;
      const ack = args.pop();
      assert.strictEqual(typeof ack, 'function');
      assertDeepEqualNormalized(args, [{ deep: [bytes(0xde, 0xad)] }, bytes(0xbe, 0xef)]);
      ack();
    });

    it('binary and text packets interleaved keep their order', async function () {
      const s = await clients.connect();
      const got = [];
      const done = new Promise((resolve) => {
        s.on('message-back', (v) => {
          got.push(v);
          if (got.length === 40) resolve();
        });
      });
      const sent = Array.from({ length: 40 }, (_, i) => (i % 2 ? bytes(i) : i));
      for (const v of sent) s.emit('message', v);
      await done;
      assertDeepEqualNormalized(got, sent);
    });

    it('binary broadcast reaches the other clients (bcast)', async function () {
      const a = await clients.connect();
      const b = await clients.connect();
      const ps = [a, b].map((s) => once(s, 'bcast'));
      a.emit('bcast', { file: bytes(1, 2, 3) }, bytes(4));
      for (const args of await Promise.all(ps)) assertDeepEqualNormalized(args, [{ file: bytes(1, 2, 3) }, bytes(4)]);
    });
  });
}
