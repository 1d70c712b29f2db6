'use strict';
// Shared helpers: a sioc server on 127.0.0.1 and a free port, socket.io-client
// 4.8.4 clients in a chosen transport mode, and promise helpers.  Everything
// created here is closed in afterEach (cleanup()).
const { io: ioc } = require('socket.io-client');
const { Server } = require('../../node');

const MODES = {
  websocket: { transports: ['websocket'] },
  polling: { transports: ['polling'] },
  upgrade: {},
};

const live = { servers: [], clients: [] };

function startServer(opts = {}) {
  const io = new Server(Object.assign({ host: '127.0.0.1' }, opts));
  io.listen(0);
  live.servers.push(io);
  return { io, url: `http://127.0.0.1:${io.port}` };
}

function client(url, mode = 'websocket', opts = {}) {
  const c = ioc(url, Object.assign({ forceNew: true, reconnection: false }, MODES[mode], opts));
  live.clients.push(c);
  return c;
}

/* The arguments of the next `ev`, as an array. */
function onceArgs(emitter, ev, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for "${ev}"`)), ms);
    emitter.once(ev, (...args) => {
      clearTimeout(t);
      resolve(args);
    });
  });
}

/* The first argument of the next `ev`. */
function once(emitter, ev, ms = 5000) {
  return onceArgs(emitter, ev, ms).then((args) => args[0]);
}

function connected(c) {
  return c.connected ? Promise.resolve() : once(c, 'connect');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(fn, ms = 5000, step = 10) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time: ' + fn.toString());
    await sleep(step);
  }
}

async function cleanup() {
  for (const c of live.clients.splice(0)) c.disconnect();
  await Promise.all(live.servers.splice(0).map((io) => io.close()));
}

module.exports = { MODES, startServer, client, once, onceArgs, connected, sleep, until, cleanup };
