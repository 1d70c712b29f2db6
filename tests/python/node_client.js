// A socket.io-client 4.8 driver for the Python tests.
//   node node_client.js URL '{"namespace":"/","auth":{},"transports":[...],
//        "listen":["ev",...],"actions":[["emit",ev,...args],
//        ["ack",ev,...args],["wait",ms]],"end":ms}'
// Prints one JSON line per record: {"type":"connect"|"connect_error"|"event"|
// "ack"|"disconnect",...}; Buffers print as {"$bin":"<hex>"}.
'use strict';
const { io } = require('socket.io-client');

const [url, scriptText] = process.argv.slice(2);
const script = JSON.parse(scriptText);

function enc(v) {
  if (Buffer.isBuffer(v) || v instanceof ArrayBuffer) return { $bin: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map(enc);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = enc(v[k]);
    return o;
  }
  return v;
}
function dec(v) {
  if (v && typeof v === 'object' && !Array.isArray(v) && '$bin' in v) return Buffer.from(v.$bin, 'hex');
  if (Array.isArray(v)) return v.map(dec);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = dec(v[k]);
    return o;
  }
  return v;
}
const out = (rec) => process.stdout.write(JSON.stringify(enc(rec)) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const socket = io(url + (script.namespace || '/'), {
  auth: script.auth || {},
  transports: script.transports || ['polling', 'websocket'],
  reconnection: false,
  forceNew: true,
});
for (const ev of script.listen || []) {
  socket.on(ev, (...args) => {
    const last = args[args.length - 1];
    if (typeof last === 'function') { args.pop(); last('node-ack'); }
    out({ type: 'event', event: ev, args });
  });
}
socket.on('disconnect', (reason) => out({ type: 'disconnect', reason }));
socket.on('connect_error', (err) => {
  out({ type: 'connect_error', message: err.message, data: err.data === undefined ? null : err.data });
  process.exit(0);
});
socket.on('connect', async () => {
  out({ type: 'connect', id: socket.id });
  for (const a of script.actions || []) {
    if (a[0] === 'wait') await sleep(a[1]);
    else if (a[0] === 'emit') socket.emit(a[1], ...dec(a.slice(2)));
    else if (a[0] === 'ack') {
      const res = await socket.timeout(5000).emitWithAck(a[1], ...dec(a.slice(2)));
      out({ type: 'ack', event: a[1], args: [res] });
    }
  }
  await sleep(script.end || 100);
  socket.disconnect();
  process.exit(0);
});
setTimeout(() => { out({ type: 'timeout' }); process.exit(1); }, 8000);
