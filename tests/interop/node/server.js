// Start the echo server under test on a free loopback port, and small client
// helpers shared by the mocha suites.
//
// ECHO_SERVER=reference runs tests/interop/reference_echo_server.js (socket.io
// 4.8.4); anything else runs sioc's C example, $SIOC_ECHO_SERVER or
// build/sioc-echo-server. Same logic as tests/interop/echo_server_proc.py.
'use strict';

const { spawn } = require('child_process');
const path = require('path');
const assert = require('assert');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const READY = /listening on http:\/\/([^:\s]+):(\d+)/;

function whichServer() {
  return process.env.ECHO_SERVER === 'reference' ? 'reference' : 'sioc';
}

function serverCommand(args) {
  if (whichServer() === 'reference') {
    return [process.execPath, [path.join(ROOT, 'tests/interop/reference_echo_server.js'), ...args]];
  }
  const binary = process.env.SIOC_ECHO_SERVER || path.join(ROOT, 'build/sioc-echo-server');
  return [binary, args];
}

// Every server started and not yet reaped, so that a crashing test run still
// leaves nothing behind.
const running = new Set();
process.on('exit', () => {
  for (const child of running) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch (_) {
      /* already gone */
    }
  }
});

/**
 * Start the echo server with extra command-line args.
 * Resolves to { url, host, port, proc, stop(), exited }: `exited` is a
 * promise of { code, signal }; stop() sends SIGTERM, then SIGKILL to the
 * process group after `killAfterMs`, and resolves to the same.
 */
function startServer(extraArgs = [], { host = '127.0.0.1', timeoutMs = 15000 } = {}) {
  const [cmd, args] = serverCommand(['--host', host, '--port', '0', ...extraArgs]);
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    running.add(proc);
    let out = '';
    let ready = false;
    const exited = new Promise((res) => {
      proc.on('exit', (code, signal) => {
        running.delete(proc);
        res({ code, signal });
      });
    });
    const fail = (err) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      killGroup(proc, 'SIGKILL');
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new Error(`echo server did not become ready in ${timeoutMs} ms: ${JSON.stringify(out)}`)),
      timeoutMs
    );
    proc.on('error', fail);
    proc.on('exit', (code, signal) =>
      fail(new Error(`echo server exited (${code ?? signal}) before ready: ${JSON.stringify(out)}`))
    );
    proc.stdout.on('data', (chunk) => {
      if (ready) return;
      out += chunk.toString();
      const m = READY.exec(out);
      if (!m) return;
      ready = true;
      clearTimeout(timer);
      const srv = {
        host: m[1],
        port: Number(m[2]),
        url: `http://${m[1]}:${m[2]}`,
        proc,
        exited,
        alive: () => proc.exitCode === null && proc.signalCode === null,
        stop: (killAfterMs = 5000) => stopProc(proc, exited, killAfterMs),
      };
      resolve(srv);
    });
    // Keep draining stdout so the child never blocks on a full pipe.
    proc.stdout.resume();
  });
}

function killGroup(proc, signal) {
  try {
    process.kill(-proc.pid, signal);
  } catch (_) {
    /* already gone */
  }
}

async function stopProc(proc, exited, killAfterMs) {
  if (proc.exitCode !== null || proc.signalCode !== null) return exited;
  try {
    proc.kill('SIGTERM');
  } catch (_) {
    /* already gone */
  }
  let timer;
  const timedOut = new Promise((res) => {
    timer = setTimeout(() => res('timeout'), killAfterMs);
  });
  const r = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (r === 'timeout') {
    killGroup(proc, 'SIGKILL');
    await exited;
    return { code: null, signal: 'SIGKILL', timedOut: true };
  }
  // Anything the server itself forked goes too.
  killGroup(proc, 'SIGKILL');
  return r;
}

// ---------------------------------------------------------------------------
// client helpers

/** Transport modes every feature is tested in. */
const MODES = {
  websocket: { transports: ['websocket'] },
  polling: { transports: ['polling'] },
  default: {},
};

/** Resolve with the arguments of the next `event` on `emitter`, or reject after `ms`. */
function once(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`timed out after ${ms} ms waiting for "${event}"`));
    }, ms);
    function handler(...args) {
      clearTimeout(timer);
      emitter.off(event, handler);
      resolve(args);
    }
    emitter.on(event, handler);
  });
}

/** Reject if `promise` does not settle within `ms`. */
function withTimeout(promise, ms, what = 'operation') {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `pred` (may be async) until it is truthy, failing after `ms`. */
async function waitFor(pred, ms = 5000, what = 'condition', step = 25) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(step);
  }
}

/** Replace Buffers / ArrayBuffers / typed arrays by Buffers, recursively, for deepStrictEqual. */
function normalize(v) {
  if (Buffer.isBuffer(v)) return Buffer.from(v);
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = normalize(v[k]);
    return o;
  }
  return v;
}

function assertDeepEqualNormalized(actual, expected, msg) {
  assert.deepStrictEqual(normalize(actual), normalize(expected), msg);
}

/**
 * A set of socket.io-client sockets created through it, all closed by
 * closeAll(). Each socket records every event it receives in `socket.log`
 * (as [event, ...args]) and its auth emit is available as `socket.authP`.
 */
class Clients {
  constructor(url, modeOpts) {
    this.url = url;
    this.modeOpts = modeOpts;
    this.sockets = [];
    this.managers = [];
    const { io, Manager } = require('socket.io-client');
    this.io = io;
    this.Manager = Manager;
  }

  _watch(socket) {
    socket.log = [];
    socket.onAny((...args) => socket.log.push(args));
    socket.authP = once(socket, 'auth', 10000);
    socket.authP.catch(() => {}); // may legitimately never come (rejected namespaces)
    this.sockets.push(socket);
    return socket;
  }

  /** A socket on its own Manager (forceNew), not yet awaited. */
  socket(nsp = '/', opts = {}) {
    const s = this.io(this.url + nsp, {
      forceNew: true,
      reconnection: false,
      timeout: 10000,
      ...this.modeOpts,
      ...opts,
    });
    return this._watch(s);
  }

  /** A Manager; sockets made with managerSocket() share its connection. */
  manager(opts = {}) {
    const m = new this.Manager(this.url, {
      reconnection: false,
      timeout: 10000,
      ...this.modeOpts,
      ...opts,
    });
    this.managers.push(m);
    return m;
  }

  managerSocket(manager, nsp, opts = {}) {
    return this._watch(manager.socket(nsp, opts));
  }

  /** A connected socket (resolves after "connect"). */
  async connect(nsp = '/', opts = {}) {
    const s = this.socket(nsp, opts);
    await connected(s);
    return s;
  }

  closeAll() {
    for (const s of this.sockets) s.disconnect();
    for (const m of this.managers) {
      if (m.engine) m.engine.close();
    }
    this.sockets = [];
    this.managers = [];
  }
}

/** Wait for "connect", rejecting on connect_error. */
function connected(socket, ms = 10000) {
  if (socket.connected) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no connect within ${ms} ms`)), ms);
    function done(err) {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
      if (err) reject(err);
      else resolve(socket);
    }
    function onConnect() {
      done();
    }
    function onError(err) {
      done(Object.assign(new Error(`connect_error: ${err.message}`), { cause: err }));
    }
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
  });
}

/** Emit with an ack, bounded in time; resolves to the ack's arguments array. */
function emitAck(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(5000).emit(event, ...args, (err, ...resp) => {
      if (err) reject(new Error(`no ack for "${event}" within 5000 ms`));
      else resolve(resp);
    });
  });
}

/** Wait until a socket.io-client socket's engine runs over websocket. */
async function waitUpgraded(socket, ms = 5000) {
  await waitFor(
    () => socket.io.engine && socket.io.engine.transport && socket.io.engine.transport.name === 'websocket',
    ms,
    'upgrade to websocket'
  );
}

module.exports = {
  ROOT,
  MODES,
  whichServer,
  startServer,
  once,
  withTimeout,
  sleep,
  waitFor,
  normalize,
  assertDeepEqualNormalized,
  Clients,
  connected,
  emitAck,
  waitUpgraded,
};
