'use strict';
// Regenerates cluster.json: the Redis adapter's wire format as
// @socket.io/redis-adapter 8.3.0 produces it, with its own codec
// (notepack.io, from tests/cluster/node_modules).
//   node tests/vectors/gen_cluster.js > tests/vectors/cluster.json
const path = require('path');
const msgpack = require(path.join(__dirname, '..', 'cluster', 'node_modules', 'notepack.io'));

const hex = (b) => Buffer.from(b).toString('hex');

// JS value -> [JSON text with placeholders, [bins]] (socket.io-parser's deconstruction)
function deconstruct(v) {
  const bins = [];
  const walk = (x) => {
    if (Buffer.isBuffer(x)) {
      bins.push(x);
      return { _placeholder: true, num: bins.length - 1 };
    }
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') {
      const o = {};
      for (const [k, val] of Object.entries(x)) if (val !== undefined) o[k] = walk(val);
      return o;
    }
    return x;
  };
  return [JSON.stringify(walk(v)), bins.map(hex)];
}

const values = [
  ['null', null], ['true', true], ['false', false], ['zero', 0], ['fixint', 127],
  ['uint8', 200], ['uint16', 65535], ['uint32', 4294967295], ['uint64', 2 ** 53 - 1],
  ['negfix', -32], ['int8', -128], ['int16', -32768], ['int32', -2147483648],
  ['int64', -(2 ** 53 - 1)], ['float', 1.5], ['negfloat', -0.1],
  ['empty string', ''], ['fixstr', 'hello'], ['str8', 'x'.repeat(40)], ['str16', 'y'.repeat(300)],
  ['unicode', 'héllo ✓ 𝄞'], ['escapes', 'a"b\\c\n\t\u0001'],
  ['array', [1, 'a', null, [true]]], ['array16', Array.from({ length: 20 }, (_, i) => i)],
  ['map', { a: 1, b: [2, 3], c: { d: 'e' } }], ['empty map', {}],
  ['map16', Object.fromEntries(Array.from({ length: 17 }, (_, i) => ['k' + i, i]))],
  ['bin', Buffer.from([1, 2, 3])], ['empty bin', Buffer.alloc(0)],
  ['nested bins', { file: Buffer.from('abc'), list: [Buffer.from([0xff]), 'x'] }],
  ['bin16', Buffer.alloc(300, 7)],
];

const to_json = values.map(([comment, v]) => {
  const [json, bins] = deconstruct(v);
  return { comment, msgpack_hex: hex(msgpack.encode(v)), json, bins_hex: bins };
});
// undefined: left out of objects, null in arrays (as JSON.stringify)
to_json.push({ comment: 'undefined member', msgpack_hex: hex(msgpack.encode({ a: undefined, b: 1 })),
  json: '{"b":1}', bins_hex: [] });
to_json.push({ comment: 'undefined in array (notepack fixext 0)', msgpack_hex: '939001d40000',
  json: '[[],1,null]', bins_hex: [] , note: 'hand-made: [[], 1, undefined]' });
to_json.push({ comment: 'date', msgpack_hex: hex(msgpack.encode(new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 678)))),
  json: '"2020-01-02T03:04:05.678Z"', bins_hex: [] });

const from_json = values.map(([comment, v]) => {
  const [json, bins] = deconstruct(v);
  return { comment, json, bins_hex: bins, msgpack_hex: hex(msgpack.encode(v)) };
});

// Broadcasts exactly as RedisAdapter.broadcast() publishes them.
function bcast(comment, uid, nsp, data, rooms, except, flags) {
  const packet = { type: 2, data };
  packet.nsp = nsp;
  const msg = msgpack.encode([uid, packet, { rooms, except, flags }]);
  const [args, bins] = deconstruct(data.slice(1));
  return { comment, msgpack_hex: hex(msg), uid, nsp, event: data[0], args, bins_hex: bins,
    rooms, except, flags };
}
const broadcast = [
  bcast('io.emit', 'AbC123', '/', ['hello', 1, 'two', { three: 3 }], [], [], {}),
  bcast('to room except', 'uid-x_', '/', ['room-message', 'v'], ['r1'], ['rx'], {}),
  bcast('volatile, two rooms', 'q1w2e3', '/chat', ['ev'], ['a', 'b'], [], { volatile: true }),
  bcast('compress false', 'q1w2e3', '/', ['ev', null], [], ['sid1'], { compress: false }),
  bcast('binary', 'Zz9_-a', '/', ['file', Buffer.from([0, 1, 2, 255]), { nested: Buffer.from('hi') }], ['sid2'], [], {}),
  bcast('with timeout', 'tttttt', '/', ['question'], [], [], { timeout: 3000 }),
];

// (Nesting beyond SIO_WIRE_MAX_DEPTH is SIOC_ELIMIT: tests/c/test_cluster_wire.c.)
const malformed = [
  { comment: 'empty', hex: '' },
  { comment: 'truncated str', hex: 'a5616263' },
  { comment: 'truncated array', hex: '93c0c0' },
  { comment: 'reserved 0xc1', hex: 'c1' },
  { comment: 'array32 that lies about its size', hex: 'ddffffffff' },
  { comment: 'map32 that lies about its size', hex: 'dfffffffff01' },
  { comment: 'bin32 longer than the input', hex: 'c6ffffffff00' },
  { comment: 'trailing bytes', hex: 'c0c0' },
  { comment: 'truncated float64', hex: 'cb3ff0' },
];

const channels = [
  { key: 'socket.io', nsp: '/', room: null, bcast: 'socket.io#/#' },
  { key: 'socket.io', nsp: '/', room: 'r1', bcast: 'socket.io#/#r1#' },
  { key: 'app', nsp: '/chat', room: null, bcast: 'app#/chat#', request: 'app-request#/chat#',
    response: 'app-response#/chat#', uid: 'AbC123', specific: 'app-response#/chat#AbC123#' },
];

process.stdout.write(JSON.stringify({
  reference: '@socket.io/redis-adapter 8.3.0 with notepack.io 3.0.1',
  to_json, from_json, broadcast, malformed, channels,
}, null, 1) + '\n');
