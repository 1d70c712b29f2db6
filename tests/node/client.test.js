'use strict';
// The sioc Node client (require('sioc/client')) against the official
// socket.io 4.8.4 server, the python-socketio 5.x server (fixtures/
// client-server.py) and sioc's own server, in each transport
// mode: events, acks both ways, binary, namespaces over one connection,
// auth, connect errors from middleware, classic events; reconnection after
// the server process is killed and restarted on the same port (the exact
// event order of SEED-API.md), buffered emits, reconnect_failed; the
// process exits on its own after disconnect(); 500 connect/disconnect
// cycles leave no live object in the addon.
const assert = require('assert');
const path = require('path');
const { spawn } = require('child_process');
const { io, Manager, clientStats } = require('../../node/client');

const FIXTURE = path.join(__dirname, 'fixtures', 'client-server.js');
const PY_FIXTURE = path.join(__dirname, 'fixtures', 'client-server.py');
const MODES = {
  websocket: { transports: ['websocket'] },
  polling: { transports: ['polling'] },
  upgrade: {},
};
const SERVERS = ['sioc', 'socketio', 'python-socketio'];
// python-socketio answers an unknown namespace with its own message
const INVALID_NSP = { sioc: 'Invalid namespace', socketio: 'Invalid namespace',
  'python-socketio': 'Unable to connect' };

const live = { clients: [], procs: new Set() };

/* A server child process; resolves {port, proc}. */
function startServer(kind, port = 0) {
  return new Promise((resolve, reject) => {
    const proc = kind === 'python-socketio'
      ? spawn(process.env.PYTHON || 'python3', [PY_FIXTURE, String(port)], {
        stdio: ['pipe', 'pipe', 'inherit'],
      })
      : spawn(process.execPath, [FIXTURE, kind, String(port)], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
    live.procs.add(proc);
    proc.on('exit', () => live.procs.delete(proc));
    const t = setTimeout(() => reject(new Error(`${kind} server did not start`)), 10000);
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ port: Number(m[1]), proc, url: `http://127.0.0.1:${m[1]}` });
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${kind} server exited (${code}) before listening`));
    });
  });
}

function kill(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

/* Restarts on the same port (retrying while the port is still taken). */
async function restart(kind, port) {
  for (let i = 0; ; i++) {
    try {
      return await startServer(kind, port);
    } catch (e) {
      if (i > 20) throw e;
      await sleep(50);
    }
  }
}

function client(url, opts = {}) {
  const c = io(url, Object.assign({ forceNew: true, reconnection: false }, opts));
  live.clients.push(c);
  return c;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function onceArgs(emitter, ev, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for "${ev}"`)), ms);
    emitter.once(ev, (...args) => {
      clearTimeout(t);
      resolve(args);
    });
  });
}
const once = (e, ev, ms) => onceArgs(e, ev, ms).then((a) => a[0]);

async function until(fn, ms = 5000) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not met in time: ' + fn.toString());
    await sleep(10);
  }
}

async function cleanup() {
  for (const c of live.clients.splice(0)) c.disconnect();
  await Promise.all([...live.procs].map(kill));
}

for (const kind of SERVERS) {
  describe(`sioc client -> ${kind} server`, function () {
    this.timeout(15000);
    let srv;
    before(async () => { srv = await startServer(kind); });
    after(cleanup);
    afterEach(() => { for (const c of live.clients.splice(0)) c.disconnect(); });

    for (const mode of Object.keys(MODES)) {
      describe(`${mode}`, function () {
        it('connects with auth; events, acks both ways, binary', async () => {
          const c = client(srv.url, Object.assign({ auth: { token: 'abc' } }, MODES[mode]));
          const log = [];
          for (const ev of ['connecting', 'connect']) c.on(ev, () => log.push(ev));
          const [auth] = await onceArgs(c, 'welcome');
          assert.deepStrictEqual(auth, { token: 'abc' });
          assert.deepStrictEqual(log, ['connecting', 'connect']);
          assert.ok(c.connected && !c.disconnected && c.active);
          assert.strictEqual(typeof c.id, 'string');
          assert.strictEqual(c.recovered, false);
          // ack from the server, binary both ways (nested, typed arrays)
          const args = await new Promise((resolve) => {
            c.emit('echo', 1, 'two', { b: Buffer.from([1, 2, 3]), u: new Uint8Array([4, 5]) },
              [new ArrayBuffer(2)], (...a) => resolve(a));
          });
          assert.strictEqual(args[0], 1);
          assert.strictEqual(args[1], 'two');
          assert.deepStrictEqual([...args[2].b], [1, 2, 3]);
          assert.deepStrictEqual([...args[2].u], [4, 5]);
          assert.strictEqual(args[3][0].length, 2);
          // emitWithAck, timeout().emit
          assert.strictEqual(await c.emitWithAck('echo', 'x'), 'x');
          const [err, v] = await new Promise((r) => c.timeout(2000).emit('echo', 7, (...a) => r(a)));
          assert.strictEqual(err, null);
          assert.strictEqual(v, 7);
          // ack toward the client: the server asks, we answer
          c.on('question', (n, buf, ack) => {
            assert.ok(Buffer.isBuffer(buf));
            ack({ answer: n * 2, raw: buf });
          });
          const ans = await c.emitWithAck('ask', 21);
          assert.strictEqual(ans.answer, 42);
          assert.deepStrictEqual([...ans.raw], [21]);
          // send() / 'message', onAny
          const any = [];
          c.onAny((ev, ...a) => any.push([ev, ...a]));
          c.send('ignored');
          c.emit('want-message', 5);
          assert.deepStrictEqual(await onceArgs(c, 'message'), ['hello', 5]);
          assert.deepStrictEqual(any, [['message', 'hello', 5]]);
          if (mode === 'upgrade') await until(() => c.io.transport === 'websocket');
          else assert.strictEqual(c.io.transport, mode);
        });

        it('ack timeout gives an error; emitWithAck rejects', async () => {
          const c = client(srv.url, MODES[mode]);
          await once(c, 'connect');
          const err = await new Promise((r) => c.timeout(50).emit('no-such-event', (e) => r(e)));
          assert.ok(err instanceof Error);
          assert.match(err.message, /timed out/);
          await assert.rejects(c.timeout(50).emitWithAck('no-such-event'), /timed out/);
          assert.throws(() => c.emit('connect'), /reserved/);
        });

        it('namespaces share one manager; connect_error from middleware', async () => {
          const url = srv.url;
          const a = io(url, Object.assign({ forceNew: true, reconnection: false }, MODES[mode]));
          live.clients.push(a);
          const b = a.io.socket('/admin', { auth: { token: 'ok' } });
          live.clients.push(b);
          assert.strictEqual(a.io, b.io);
          await Promise.all([once(a, 'connect'), once(b, 'connect')]);
          assert.notStrictEqual(a.id, b.id);
          assert.strictEqual(await b.emitWithAck('echo', 'admin'), 'admin');
          // refused by the middleware
          const bad = client(url + '/admin', Object.assign({ auth: { token: 'bad' } }, MODES[mode]));
          const failed = once(bad, 'connect_failed');
          const err = await once(bad, 'connect_error');
          assert.strictEqual(err.message, 'refused');
          assert.deepStrictEqual(err.data, { code: 42 });
          assert.strictEqual(await failed, err);
          assert.strictEqual(bad.active, false);
          assert.ok(a.connected && b.connected);
          // io(url) without forceNew multiplexes over the cached manager,
          // unless the namespace is already there
          const opts = Object.assign({ reconnection: false }, MODES[mode]);
          const m1 = io(`${url}/x-${mode}`, opts);
          const m2 = io(`${url}/y-${mode}`, opts);
          const m3 = io(`${url}/x-${mode}`, opts);
          live.clients.push(m1, m2, m3);
          assert.strictEqual(m1.io, m2.io);
          assert.notStrictEqual(m3.io, m1.io);
          const errs = await Promise.all([m1, m2, m3].map((s) => once(s, 'connect_error')));
          for (const e of errs) assert.strictEqual(e.message, INVALID_NSP[kind]);
          // server-side disconnect
          const [reason] = await Promise.all([once(b, 'disconnect'), b.emit('kick')]);
          assert.strictEqual(reason, 'io server disconnect');
          assert.ok(a.connected);
        });
      });
    }
  });
}

/* Names of socket and manager events in one log. */
const SOCKET_EVENTS = ['connecting', 'connect', 'connect_error', 'connect_failed', 'disconnect',
  'reconnecting', 'reconnect', 'reconnect_failed', 'error'];
const MANAGER_EVENTS = ['open', 'close', 'error', 'reconnect_attempt', 'reconnect_error',
  'reconnect', 'reconnect_failed'];
function record(c) {
  const log = [];
  for (const ev of SOCKET_EVENTS) c.on(ev, () => log.push(ev));
  for (const ev of MANAGER_EVENTS) c.io.on(ev, () => log.push('m:' + ev));
  return log;
}

for (const kind of SERVERS) {
  for (const mode of Object.keys(MODES)) {
    describe(`reconnection (${kind} server, ${mode})`, function () {
      this.timeout(20000);
      afterEach(cleanup);

      it('server killed and restarted: exact event order, auth re-evaluated, buffered emits', async () => {
        let srv = await startServer(kind);
        let authCalls = 0;
        const c = client(srv.url, Object.assign({
          reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 200,
          auth: (cb) => { authCalls++; cb({ token: 't' + authCalls }); },
        }, MODES[mode]));
        const log = record(c);
        const welcomes = [];
        c.on('welcome', (a) => welcomes.push(a.token));
        await once(c, 'connect');
        await until(() => welcomes.length === 1);
        if (mode === 'upgrade') await until(() => c.io.transport === 'websocket');
        const port = srv.port;
        const disc = once(c, 'disconnect');
        await kill(srv.proc);
        // socket.io-client's reasons: a WebSocket closes, a poll fails
        assert.strictEqual(await disc, mode === 'polling' ? 'transport error' : 'transport close');
        // emitted while offline: buffered; a volatile one is dropped
        c.volatile.emit('buffered', 0);
        c.emit('buffered', 1);
        c.emit('buffered', 2);
        const got = [];
        c.on('got-buffered', (n) => got.push(n));
        await until(() => log.filter((e) => e === 'reconnecting').length >= 2, 5000);
        srv = await restart(kind, port);
        await once(c, 'connect', 10000);
        await until(() => got.length === 2);
        assert.deepStrictEqual(got, [1, 2]);
        assert.deepStrictEqual(welcomes, ['t1', 't' + authCalls]);
        assert.ok(authCalls >= 2);
        // the exact order, socket and manager events interleaved
        const s = log.join(' ');
        const failed = '(m:reconnect_attempt reconnecting (m:error error connect_error connect_failed ' +
          'm:reconnect_error ))';
        const re = new RegExp('^m:open connecting connect m:close disconnect ' + failed + '+' +
          'm:reconnect_attempt reconnecting m:open connecting m:reconnect reconnect connect$');
        assert.match(s, re);
        // the classic events alone: SEED-API.md's order
        const classic = log.filter((e) => ['connecting', 'connect', 'disconnect', 'reconnecting',
          'reconnect'].includes(e));
        const collapsed = classic.filter((e, i) => !(e === 'reconnecting' && classic[i - 1] === 'reconnecting'));
        assert.deepStrictEqual(collapsed, ['connecting', 'connect', 'disconnect', 'reconnecting',
          'connecting', 'reconnect', 'connect']);
        assert.strictEqual(await c.emitWithAck('echo', 'after'), 'after');
      });

      it('reconnect_failed after reconnectionAttempts', async () => {
        const srv = await startServer(kind);
        const c = client(srv.url, Object.assign({
          reconnection: true, reconnectionAttempts: 2, reconnectionDelay: 20,
          reconnectionDelayMax: 40,
        }, MODES[mode]));
        const log = record(c);
        await once(c, 'connect');
        const failed = once(c.io, 'reconnect_failed', 10000);
        const sockFailed = once(c, 'reconnect_failed', 10000);
        await kill(srv.proc);
        await Promise.all([failed, sockFailed]);
        assert.strictEqual(log.filter((e) => e === 'm:reconnect_attempt').length, 2);
        assert.strictEqual(log.filter((e) => e === 'reconnecting').length, 2);
        assert.deepStrictEqual(log.slice(-2), ['m:reconnect_failed', 'reconnect_failed']);
        await sleep(150);
        assert.strictEqual(log.filter((e) => e === 'm:reconnect_attempt').length, 2);
        assert.ok(!c.connected);
      });
    });
  }
}

describe('sioc client: lifecycle', function () {
  this.timeout(60000);
  afterEach(cleanup);

  it('the process exits on its own after socket.disconnect()', async () => {
    const srv = await startServer('sioc');
    const script = `
      const { io } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'node', 'client'))});
      const s = io(${JSON.stringify(srv.url)}, { auth: { token: 'x' } });
      const admin = s.io.socket('/admin');
      s.on('connect', async () => {
        const v = await s.emitWithAck('echo', 'hi');
        await admin.emitWithAck('echo', 'hi');
        admin.disconnect();
        s.disconnect();
        console.log(v);
      });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    live.procs.add(child);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const code = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the client process did not exit')), 10000);
      child.on('exit', (c) => { clearTimeout(t); resolve(c); });
    });
    assert.strictEqual(code, 0);
    assert.strictEqual(out.trim(), 'hi');
  });

  it('Manager, autoConnect: false, connect() and disconnect() again', async () => {
    const srv = await startServer('socketio');
    const m = new Manager(srv.url, { autoConnect: false, reconnection: false, transports: ['websocket'] });
    const s = m.socket('/');
    live.clients.push(s);
    await sleep(50);
    assert.ok(!s.active);
    s.connect();
    await once(s, 'connect');
    s.disconnect();
    assert.ok(!s.connected && !s.active);
    // a disconnected socket connects again (a new connection)
    s.connect();
    await once(s, 'connect');
    assert.strictEqual(await s.emitWithAck('echo', 2), 2);
    s.disconnect();
    await until(() => clientStats().managers === 0);
  });

  it('worker_threads: a worker with connected clients is terminated cleanly', async () => {
    const { Worker } = require('worker_threads');
    const srv = await startServer('sioc');
    const code = `
      const { parentPort } = require('worker_threads');
      const { io } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'node', 'client'))});
      const a = io(${JSON.stringify(srv.url)}, { reconnectionDelay: 20 });
      const b = io(${JSON.stringify(srv.url + '/admin')}, { transports: ['polling'] });
      let n = 0;
      for (const s of [a, b]) s.on('connect', () => { if (++n === 2) parentPort.postMessage('up'); });`;
    for (let i = 0; i < 3; i++) {
      const w = new Worker(code, { eval: true });
      await once(w, 'message');
      await w.terminate();
    }
    assert.strictEqual(await (async () => {
      const c = client(srv.url);
      await once(c, 'connect');
      return c.emitWithAck('echo', 'still fine');
    })(), 'still fine');
  });

  it('backoff: delays between attempts follow reconnectionDelay * 2^n, capped', async () => {
    const srv = await startServer('sioc');
    const c = client(srv.url, {
      reconnection: true, reconnectionDelay: 80, reconnectionDelayMax: 320,
      randomizationFactor: 0, reconnectionAttempts: 5, transports: ['websocket'],
    });
    await once(c, 'connect');
    const marks = [];   // [what, time]
    c.io.on('close', () => marks.push(['fail', Date.now()]));
    c.io.on('reconnect_error', () => marks.push(['fail', Date.now()]));
    c.io.on('reconnect_attempt', () => marks.push(['attempt', Date.now()]));
    const failed = once(c.io, 'reconnect_failed', 10000);
    await kill(srv.proc);
    await failed;
    const delays = [];
    for (let i = 1; i < marks.length; i++) {
      if (marks[i][0] === 'attempt' && marks[i - 1][0] === 'fail') delays.push(marks[i][1] - marks[i - 1][1]);
    }
    const want = [80, 160, 320, 320, 320];
    assert.strictEqual(delays.length, want.length, JSON.stringify(marks));
    delays.forEach((d, i) => {
      assert.ok(d >= want[i] - 5 && d <= want[i] + 150, `delay ${i}: ${d}ms, want ${want[i]}`);
    });
  });

  it('backoff with jitter stays within [d * (1 - f), d * (1 + f)]', async () => {
    const srv = await startServer('sioc');
    const c = client(srv.url, {
      reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 100,
      randomizationFactor: 0.5, reconnectionAttempts: 6, transports: ['websocket'],
    });
    await once(c, 'connect');
    let last = 0;
    const delays = [];
    c.io.on('close', () => { last = Date.now(); });
    c.io.on('reconnect_error', () => { last = Date.now(); });
    c.io.on('reconnect_attempt', () => delays.push(Date.now() - last));
    const failed = once(c.io, 'reconnect_failed', 10000);
    await kill(srv.proc);
    await failed;
    assert.strictEqual(delays.length, 6);
    // socket.io-client's Backoff: min(d +/- d * f * rand, max)
    for (const d of delays) assert.ok(d >= 45 && d <= 100 + 150, `delay ${d}ms`);
  });

  it('500 connect/disconnect cycles: the addon counters return to zero', async () => {
    const srv = await startServer('sioc');
    const base = clientStats();
    const BATCH = 50;
    for (let done = 0; done < 500; done += BATCH) {
      const cs = [];
      for (let i = 0; i < BATCH; i++) {
        const multiplex = i % 2 === 0;
        cs.push(io(srv.url, { forceNew: multiplex ? undefined : true, transports: ['websocket'],
          reconnection: false }));
      }
      await Promise.all(cs.map((c) => once(c, 'connect')));
      await Promise.all(cs.map((c) => c.emitWithAck('echo', 1)));
      // a pending ack is failed by the disconnect
      const pending = cs.map((c) => c.timeout(5000).emitWithAck('no-such-event').catch((e) => e));
      for (const c of cs) c.disconnect();
      for (const e of await Promise.all(pending)) assert.match(e.message, /disconnected/);
    }
    await until(() => clientStats().managers === 0, 10000);
    await new Promise((r) => setImmediate(r));
    assert.deepStrictEqual(clientStats(), { managers: 0, sockets: 0, refs: 0, acks: 0, jsAcks: 0 });
    assert.deepStrictEqual(base, { managers: 0, sockets: 0, refs: 0, acks: 0, jsAcks: 0 });
  });
});
