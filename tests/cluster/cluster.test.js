'use strict';
// A cluster on one private redis-server: the sioc C example, sioc's Node
// package, sioc's Python package and socket.io 4.8 with
// @socket.io/redis-adapter 8.x, with socket.io-client clients on each.
// Every operation of the cluster contract (CLUSTER-SERVER.md) is issued on
// EACH server and must reach exactly the right clients on every server.
//
// "Exactly": after an operation the same server broadcasts a marker to
// everyone.  Redis hands messages of one publisher to a subscriber in
// order, and each server delivers in order, so a client that has the
// marker would already have had anything the operation sent it: whatever
// it did not get by then, it was not sent.  No sleeps.
const assert = require('assert');
const path = require('path');
const { io: connect } = require('socket.io-client');
const { Redis, ServerProc } = require('./harness');

const ROOT = path.resolve(__dirname, '..', '..');
const BUILD = process.env.SIOC_BUILD_DIR || path.join(ROOT, 'build');
const PYTHON = process.env.PYTHON || 'python3';
const KEY = 'sioc-test';
const TIMEOUT_MS = '2000';   // requestsTimeout of every server

function serverDefs(url) {
  return {
    c: () => new ServerProc('c', path.join(BUILD, 'sioc-echo-server'),
      ['--port', '0', '--redis', url, '--redis-key', KEY, '--name', 'c',
        '--requests-timeout', TIMEOUT_MS]),
    node: () => new ServerProc('node', process.execPath,
      [path.join(__dirname, 'servers', 'sioc_node_server.js'), url, 'node', KEY, TIMEOUT_MS]),
    python: () => new ServerProc('python', PYTHON,
      [path.join(__dirname, 'servers', 'sioc_python_server.py'), url, 'python', KEY, TIMEOUT_MS]),
    socketio: () => new ServerProc('socketio', process.execPath,
      [path.join(__dirname, 'servers', 'socketio_server.js'), url, 'socketio', KEY]),
  };
}

const NAMES = (process.env.CLUSTER_SERVERS || 'c,node,python,socketio').split(',');

function once(emitter, ev, ms = 5000, what = ev) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    emitter.once(ev, (...args) => {
      clearTimeout(t);
      resolve(args);
    });
  });
}

function ack(client, ev, ...args) {
  return client.timeout(8000).emitWithAck(ev, ...args);
}

// Polls fn until check(result) holds (for effects applied asynchronously
// on other servers, e.g. socketsJoin); bounded.
async function eventually(fn, check, ms = 6000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (check(last)) return last;
    if (Date.now() > end) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('cluster: sioc (C, Node, Python) + socket.io on one Redis', function () {
  this.timeout(60000);
  const redis = new Redis();
  const servers = {};
  const clients = [];   // {name, server, socket, inbox: [[ev, ...args]]}
  let markerSeq = 0;

  function client(serverName, opts = {}) {
    const s = connect(servers[serverName].url, Object.assign({
      transports: ['websocket'], reconnection: true, reconnectionDelay: 100,
      reconnectionDelayMax: 500, forceNew: true,
    }, opts));
    const c = { server: serverName, socket: s, inbox: [] };
    s.onAny((ev, ...args) => c.inbox.push([ev, ...args]));
    s.on('question', (cb) => cb(s.id));
    clients.push(c);
    return c;
  }

  async function connected(c) {
    if (!c.socket.connected) await once(c.socket, 'connect', 10000, `connect to ${c.server}`);
    return c;
  }

  // The operation's effects are all in once every client has the marker.
  async function settle(from, group = clients.filter((c) => c.socket.connected)) {
    const m = `marker-${++markerSeq}`;
    const waits = group.map((c) => new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${c.server} client ${c.socket.id} missed ${m}`)), 8000);
      const h = (v) => {
        if (v !== m) return;
        clearTimeout(t);
        c.socket.off('bcast', h);
        resolve();
      };
      c.socket.on('bcast', h);
    }));
    from.socket.emit('bcast', m);
    await Promise.all(waits);
  }

  function got(c, ev, value) {
    return c.inbox.filter((e) => e[0] === ev && JSON.stringify(e.slice(1)) === JSON.stringify(value)).length;
  }

  function ids(group) {
    return group.map((c) => c.socket.id);
  }

  const core = {};   // per server: a (plain), b (in room rx too)

  before(async function () {
    await redis.start();
    const defs = serverDefs(redis.url);
    await Promise.all(NAMES.map(async (n) => {
      servers[n] = defs[n]();
      await servers[n].start();
    }));
    for (const n of NAMES) {
      core[n] = { a: client(n), b: client(n) };
    }
    await Promise.all(clients.map(connected));
    for (const n of NAMES) {
      await ack(core[n].a.socket, 'join', 'r1');
      await ack(core[n].b.socket, 'join', 'r1');
      await ack(core[n].b.socket, 'join', 'rx');
    }
    // Every server is subscribed once each sees every other's sockets.
    for (const n of NAMES) {
      const want = clients.length;
      const list = await eventually(() => ack(core[n].a.socket, 'fetch', null),
        (l) => Array.isArray(l) && l.length === want, 15000);
      assert.strictEqual(list && list.length, want, `${n} sees the whole cluster: ${JSON.stringify(list)}`);
    }
  });

  after(async function () {
    for (const c of clients) c.socket.disconnect();
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    await redis.cleanup();
    // A clean close (under ASan: no leak, no memory error) exits 0.
    for (const s of Object.values(servers)) {
      assert.strictEqual(s.exitCode, 0, `${s.name} exited ${s.exitCode} (${s.exitSignal}):\n${s.log.slice(-3000)}`);
    }
  });

  afterEach(function () {
    if (this.currentTest.state === 'failed') {
      for (const s of Object.values(servers)) {
        if (s.log) console.log(`--- ${s.name} stderr ---\n${s.log.slice(-3000)}`);
      }
    }
  });

  for (const from of NAMES) {
    describe(`issued on ${from}`, function () {
      it('io.emit reaches every client once', async function () {
        const v = `all-from-${from}`;
        core[from].a.socket.emit('bcast', v);
        await settle(core[from].a);
        for (const c of Object.values(core).flatMap((x) => [x.a, x.b])) {
          assert.strictEqual(got(c, 'bcast', [v]), 1, `${c.server} client`);
        }
      });

      it('socket.broadcast.emit reaches everyone but the sender', async function () {
        const v = { from, n: 1 };
        const sender = core[from].a;
        sender.socket.emit('broadcast', v);
        await settle(sender);
        for (const c of Object.values(core).flatMap((x) => [x.a, x.b])) {
          assert.strictEqual(got(c, 'broadcast', [v]), c === sender ? 0 : 1, `${c.server} client`);
        }
      });

      it('io.to(room).except(room) reaches exactly the room minus the excepted', async function () {
        const v = `room-except-${from}`;
        core[from].b.socket.emit('room-except', 'r1', 'rx', v, [1, 2]);
        await settle(core[from].b);
        for (const n of NAMES) {
          assert.strictEqual(got(core[n].a, 'room-message', [v, [1, 2]]), 1, `${n} a (in r1)`);
          assert.strictEqual(got(core[n].b, 'room-message', [v, [1, 2]]), 0, `${n} b (in rx)`);
        }
      });

      it('io.to(socketId) reaches that one socket on another server', async function () {
        const others = NAMES.filter((n) => n !== from);
        const targets = (others.length ? others : [from]).map((n) => core[n].b);
        for (const t of targets) {
          const v = `direct-${from}-${t.server}`;
          core[from].a.socket.emit('to-id', t.socket.id, v, Buffer.from([1, 2, 3]));
          await settle(core[from].a);
          for (const c of Object.values(core).flatMap((x) => [x.a, x.b])) {
            const n = c.inbox.filter((e) => e[0] === 'direct' && e[1] === v).length;
            assert.strictEqual(n, c === t ? 1 : 0, `${c.server} client`);
          }
          const e = t.inbox.find((x) => x[0] === 'direct' && x[1] === v);
          assert.ok(Buffer.isBuffer(e[2]) && e[2].equals(Buffer.from([1, 2, 3])), 'binary kept');
        }
      });

      it('io.volatile.emit reaches every (writable) client', async function () {
        const v = `volatile-${from}`;
        core[from].a.socket.emit('volatile', v);
        await settle(core[from].a);
        for (const c of Object.values(core).flatMap((x) => [x.a, x.b])) {
          assert.strictEqual(got(c, 'volatile', [v]), 1, `${c.server} client`);
        }
      });

      it('io.local.emit stays on the issuing server', async function () {
        const v = `local-${from}`;
        core[from].a.socket.emit('local-emit', v);
        await settle(core[from].a);
        for (const c of Object.values(core).flatMap((x) => [x.a, x.b])) {
          assert.strictEqual(got(c, 'local', [v]), c.server === from ? 1 : 0, `${c.server} client`);
        }
      });

      it('fetchSockets sees the sockets of every server, with their data', async function () {
        const all = await ack(core[from].a.socket, 'fetch', null);
        const want = clients.filter((c) => c.socket.connected).map((c) => `${c.socket.id}:${c.server}`).sort();
        assert.deepStrictEqual(all, want);
        const rx = await ack(core[from].a.socket, 'fetch', 'rx');
        assert.deepStrictEqual(rx, NAMES.map((n) => `${core[n].b.socket.id}:${n}`).sort());
      });

      it('allRooms lists the rooms of every server', async function () {
        const rooms = await ack(core[from].a.socket, 'cluster-rooms');
        for (const n of NAMES) {
          for (const id of [core[n].a.socket.id, core[n].b.socket.id]) assert.ok(rooms.includes(id), `${n}'s ${id}`);
        }
        assert.ok(rooms.includes('r1') && rooms.includes('rx'));
      });

      it('socketsJoin makes the targets of every server join', async function () {
        const room = `joined-by-${from}`;
        await ack(core[from].a.socket, 'sockets-join', room, 'rx');
        const want = NAMES.map((n) => `${core[n].b.socket.id}:${n}`).sort();
        const list = await eventually(() => ack(core[from].a.socket, 'fetch', room),
          (l) => JSON.stringify(l) === JSON.stringify(want));
        assert.deepStrictEqual(list, want);
        const v = `to-joined-${from}`;
        core[from].a.socket.emit('room-except', room, 'nobody', v);
        await settle(core[from].a);
        for (const n of NAMES) {
          assert.strictEqual(got(core[n].b, 'room-message', [v]), 1, `${n} b joined`);
          assert.strictEqual(got(core[n].a, 'room-message', [v]), 0, `${n} a did not`);
        }
      });

      it('serverSideEmit reaches the other servers only', async function () {
        const v = `ss-${from}`;
        core[from].a.socket.emit('ss-emit', v);
        // Each other server shows it to its own clients; the sender does not.
        const others = NAMES.filter((n) => n !== from);
        await Promise.all(others.map(async (n) => {
          const c = core[n].a;
          if (got(c, 'ss-seen', [n, from, v])) return;
          await new Promise((resolve, reject) => {
            const t = setTimeout(() => reject(new Error(`${n} did not see ${v}`)), 8000);
            const h = (...args) => {
              if (args[2] !== v) return;
              clearTimeout(t);
              c.socket.off('ss-seen', h);
              resolve();
            };
            c.socket.on('ss-seen', h);
          });
        }));
        await settle(core[from].a);
        for (const n of NAMES) {
          for (const c of [core[n].a, core[n].b]) {
            assert.strictEqual(got(c, 'ss-seen', [n, from, v]), n === from ? 0 : 1, `${n} client`);
          }
        }
      });

      it('serverSideEmit with an ack gathers one answer per other server', async function () {
        const answers = await ack(core[from].a.socket, 'ss-emit-ack');
        assert.deepStrictEqual(answers, NAMES.filter((n) => n !== from).sort());
      });

      it('a broadcast with acks gathers every client of every server, without timing out', async function () {
        // Repeated: the servers' client counts and Redis's server count
        // (NUMSUB) race; whichever comes first, the broadcast must end with
        // every answer and no error (ack(null) is the timeout error).
        const want = clients.filter((c) => c.socket.connected).map((c) => c.socket.id).sort();
        for (let i = 0; i < 20; i++) {
          const answers = await ack(core[from].a.socket, 'emit-ack');
          assert.deepStrictEqual(answers, want, `round ${i}`);
        }
      });

      it('disconnectSockets disconnects exactly the targets on every server', async function () {
        const room = `victims-of-${from}`;
        const victims = NAMES.map((n) => client(n));
        await Promise.all(victims.map(connected));
        for (const v of victims) await ack(v.socket, 'join', room);
        const gone = victims.map((v) => once(v.socket, 'disconnect', 8000, `${v.server} victim disconnect`));
        core[from].a.socket.emit('disconnect-sockets', room);
        const reasons = (await Promise.all(gone)).map((r) => r[0]);
        assert.deepStrictEqual(reasons, victims.map(() => 'io server disconnect'));
        await settle(core[from].a, Object.values(core).flatMap((x) => [x.a, x.b]));
        for (const c of Object.values(core).flatMap((x) => [x.a, x.b])) assert.ok(c.socket.connected);
        for (const v of victims) clients.splice(clients.indexOf(v), 1);
      });
    });
  }

  describe('Redis stopped and restarted', function () {
    it('local delivery goes on, requests time out, cluster delivery resumes', async function () {
      await redis.stop();
      for (const n of NAMES) {
        // Local delivery never stops.
        const v = `outage-local-${n}`;
        core[n].a.socket.emit('bcast', v);
        await once(core[n].b.socket, 'bcast', 5000, `local bcast on ${n} during the outage`);
      }
      // A cluster request during the outage fails by its timeout (sioc).
      for (const n of NAMES.filter((x) => x !== 'socketio')) {
        const t0 = Date.now();
        const r = await ack(core[n].a.socket, 'fetch', null);
        assert.strictEqual(r, null, `${n} fetchSockets fails while Redis is down`);
        assert.ok(Date.now() - t0 < 7000);
      }
      await redis.start();
      // Every server resubscribes: a broadcast from each reaches all again.
      for (const n of NAMES) {
        const everyone = Object.values(core).flatMap((x) => [x.a, x.b]);
        const ok = await eventually(async () => {
          const v = `after-${n}-${Date.now()}`;
          core[n].a.socket.emit('bcast', v);
          await new Promise((r) => setTimeout(r, 200));
          return everyone.every((c) => got(c, 'bcast', [v]) === 1);
        }, (x) => x, 20000);
        assert.ok(ok, `cluster delivery from ${n} resumed`);
      }
      for (const n of NAMES) {
        const list = await eventually(() => ack(core[n].a.socket, 'fetch', null),
          (l) => Array.isArray(l) && l.length === clients.length, 10000);
        assert.strictEqual(list && list.length, clients.length, `${n} fetchSockets works again`);
      }
      // One clear line per state change (sioc servers).
      for (const n of NAMES.filter((x) => x !== 'socketio')) {
        const log = servers[n].log;
        assert.strictEqual((log.match(/connection to redis:\S+ lost/g) || []).length, 1, `${n}:\n${log}`);
        assert.strictEqual((log.match(/reconnected to redis:\S+; subscriptions restored/g) || []).length, 1, `${n}:\n${log}`);
      }
    });
  });
});

describe('cluster: Redis unreachable when the servers start', function () {
  this.timeout(60000);
  const redis = new Redis();
  const servers = [];
  const sockets = [];

  after(async function () {
    for (const s of sockets) s.disconnect();
    await Promise.all(servers.map((s) => s.stop()));
    await redis.cleanup();
    for (const s of servers) assert.strictEqual(s.exitCode, 0, `${s.name} exited ${s.exitCode}:\n${s.log}`);
  });

  it('serve locally, log once, fail requests by timeout, then join the cluster', async function () {
    const { freePort } = require('./harness');
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const defs = serverDefs(url);
    const names = NAMES.filter((n) => n !== 'socketio');   // node-redis would not start
    for (const n of names) servers.push(await defs[n]().start());
    const pairs = servers.map((s) => [connect(s.url, { transports: ['websocket'], forceNew: true }),
      connect(s.url, { transports: ['websocket'], forceNew: true })]);
    for (const p of pairs) sockets.push(...p);
    await Promise.all(sockets.map((s) => (s.connected ? null : once(s, 'connect'))));
    for (const [a, b] of pairs) {
      a.emit('bcast', 'local while down');
      const [v] = await once(b, 'bcast', 5000, 'local delivery without Redis');
      assert.strictEqual(v, 'local while down');
      const t0 = Date.now();
      assert.strictEqual(await a.timeout(8000).emitWithAck('fetch', null), null);
      assert.ok(Date.now() - t0 >= 1500, 'failed by the requests timeout');
    }
    await redis.start(port);
    for (const s of servers) {
      await eventually(async () => s.log, (log) => /connected to redis:/.test(log), 15000);
      assert.strictEqual((s.log.match(/cannot connect to/g) || []).length, 1, `${s.name}: one line for the outage:\n${s.log}`);
      assert.match(s.log, /connected to redis:\/\/127\.0\.0\.1/);
    }
    const want = sockets.length;
    for (const [a] of pairs) {
      const list = await eventually(() => a.timeout(8000).emitWithAck('fetch', null),
        (l) => Array.isArray(l) && l.length === want, 15000);
      assert.strictEqual(list && list.length, want);
    }
  });
});

// What another process publishes on the cluster's channels is never
// trusted: garbage, lying msgpack headers, deep nesting, wrong types,
// unknown requests and oversized messages are dropped with a log line (at
// most one a minute), and every sioc server goes on serving and
// delivering.  (socket.io's adapter is left out: it throws on a broadcast
// it cannot decode.)
describe('cluster: hostile messages on the channels', function () {
  this.timeout(60000);
  const { createClient } = require('redis');
  const HKEY = 'sioc-hostile';
  const MAX = 65536;   // max_message_bytes of every server here
  const names = NAMES.filter((n) => n !== 'socketio');
  const redis = new Redis();
  const servers = {};
  const sockets = {};
  let pub;

  function serverFor(n, url) {
    if (n === 'c') {
      return new ServerProc('c', path.join(BUILD, 'sioc-echo-server'),
        ['--port', '0', '--redis', url, '--redis-key', HKEY, '--name', 'c',
          '--requests-timeout', TIMEOUT_MS, '--redis-max-message', String(MAX)]);
    }
    const script = n === 'node' ? [process.execPath, 'sioc_node_server.js'] : [PYTHON, 'sioc_python_server.py'];
    return new ServerProc(n, script[0], [path.join(__dirname, 'servers', script[1]), url, n, HKEY,
      TIMEOUT_MS, String(MAX)]);
  }

  before(async function () {
    if (!names.length) this.skip();
    await redis.start();
    pub = createClient({ url: redis.url });
    pub.on('error', () => {});
    await pub.connect();
    for (const n of names) {
      servers[n] = await serverFor(n, redis.url).start();
      const s = connect(servers[n].url, { transports: ['websocket'], forceNew: true });
      s.inbox = [];
      s.onAny((ev, ...args) => s.inbox.push([ev, ...args]));
      sockets[n] = s;
    }
    await Promise.all(Object.values(sockets).map((s) => (s.connected ? null : once(s, 'connect'))));
    for (const n of names) {
      const list = await eventually(() => sockets[n].timeout(8000).emitWithAck('fetch', null),
        (l) => Array.isArray(l) && l.length === names.length, 15000);
      assert.strictEqual(list.length, names.length, `${n} sees the cluster`);
    }
  });

  after(async function () {
    for (const s of Object.values(sockets)) s.disconnect();
    if (pub) await pub.quit().catch(() => {});
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    await redis.cleanup();
    for (const s of Object.values(servers)) {
      assert.strictEqual(s.exitCode, 0, `${s.name} exited ${s.exitCode} (${s.exitSignal}):\n${s.log.slice(-3000)}`);
    }
  });

  const hex = (h) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
  const bcast = `${HKEY}#/#`;
  const request = `${HKEY}-request#/#`;
  const response = `${HKEY}-response#/#`;
  // [uid, {type: 2, data: [...], nsp: "/"}, opts] with a chosen tail
  const packetHead = '93 a3657669 83 a474797065 02 a3 6e7370 a12f a464617461';

  const garbage = [
    [bcast, hex('c1')],                                      // reserved byte
    [bcast, hex('dd ffffffff c0')],                          // 4G elements announced
    [bcast, hex('df ffffffff a16b')],                        // 4G members announced
    [bcast, hex('c6 ffffffff 00')],                          // 4 GB bin announced
    [bcast, Buffer.concat([hex('91'.repeat(700)), hex('c0')])],          // nested 700 deep
    // 30000 empty bins: 60 KB that would be 900 KB of JSON
    [bcast, Buffer.concat([hex('dd 00007530'), Buffer.alloc(30000 * 2, Buffer.from([0xc4, 0]))])],
    [`${bcast}r1#`, hex(`${packetHead} 91 01 80`)],          // event not a string
    [bcast, hex(`${packetHead} 91 a165 81 a5726f6f6d73 80`)], // rooms an object
    [bcast, hex(`${packetHead} 91 a165 07`)],                // opts a number
    [bcast, Buffer.from('{"not":"msgpack"}')],
    [bcast, require('crypto').randomBytes(5000)],
    [request, Buffer.from('{')],
    [request, Buffer.from('{"type":"7"}')],
    [request, Buffer.from('{"type":99,"requestId":"x"}')],
    [request, Buffer.from('{"type":7,"requestId":"x","packet":1}')],
    [request, Buffer.from('{"type":2,"opts":{"rooms":{}},"rooms":["x"]}')],
    [request, Buffer.from('{"type":4,"opts":{"rooms":[[]]}}')],
    [request, Buffer.from('{"type":6,"data":{"0":"ss"}}')],
    [request, Buffer.from(`{"a":${'['.repeat(600)}${']'.repeat(600)}}`)],
    [request, hex('81 a474797065 cb 7ff8000000000000')],     // {type: NaN}
    [response, Buffer.from('{"requestId":')],
    [response, Buffer.from('{"requestId":5,"sockets":{}}')],
    [response, require('crypto').randomBytes(3000)],
    [bcast, Buffer.alloc(MAX + 1000, 0x41)],                 // over max_message_bytes
  ];

  it('drops garbage with a log line and goes on serving', async function () {
    for (const [ch, msg] of garbage) await pub.publish(ch, msg);
    // then a real broadcast from each server reaches every client, and
    // nothing the garbage named was delivered
    for (const n of names) {
      const v = `after-garbage-${n}`;
      const waits = Object.values(sockets).map((s) => once(s, 'bcast', 8000, `${v} on ${s.id}`));
      sockets[n].emit('bcast', v);
      for (const [got] of await Promise.all(waits)) assert.strictEqual(got, v);
    }
    for (const s of Object.values(sockets)) {
      // (the C example greets with "auth")
      assert.deepStrictEqual(s.inbox.map((e) => e[0]).filter((e) => e !== 'bcast' && e !== 'auth'), [],
        'only the markers');
    }
    for (const n of names) {
      const list = await sockets[n].timeout(8000).emitWithAck('fetch', null);
      assert.strictEqual(list && list.length, names.length, `${n} still answers fetchSockets`);
      const log = servers[n].log;
      assert.match(log, /dropped a message on sioc-hostile/, `${n}:\n${log}`);
      // throttled: the first line, then at most one a minute
      assert.strictEqual((log.match(/dropped (a message|\d+ messages) on/g) || []).length, 1, `${n}:\n${log}`);
      assert.doesNotMatch(log, /lost/, `${n}: no connection was reset:\n${log}`);
    }
  });

  it('a message still arriving past max_message_bytes resets the subscription, which comes back', async function () {
    await pub.publish(bcast, Buffer.alloc(4 * MAX, 0x42));
    for (const n of names) {
      await eventually(async () => servers[n].log,
        (log) => /reconnected to redis:\S+; subscriptions restored/.test(log), 15000);
      assert.match(servers[n].log, /lost \(a message longer than max_message_bytes \(65536\) was arriving\)/);
    }
    for (const n of names) {
      const ok = await eventually(async () => {
        const v = `after-reset-${n}-${Date.now()}`;
        const waits = Object.values(sockets).map((s) => once(s, 'bcast', 3000, v).then(([x]) => x === v, () => false));
        sockets[n].emit('bcast', v);
        return (await Promise.all(waits)).every((x) => x);
      }, (x) => x, 15000);
      assert.ok(ok, `cluster delivery from ${n} after the reset`);
    }
  });
});

// publishOnSpecificResponseChannel on every server: answers go to the
// requester's own "<key>-response#<nsp>#<uid>#" channel (serverSideEmit
// answers stay on the shared one, as socket.io sends them), and every
// request still completes, whoever asks.
describe('cluster: publishOnSpecificResponseChannel', function () {
  this.timeout(60000);
  const { createClient } = require('redis');
  const SKEY = 'sioc-specific';
  const redis = new Redis();
  const servers = {};
  const sockets = {};
  const shared = [];    // what arrives on the shared response channel
  const specific = [];  // ... and on the servers' own ones
  let sub;

  function serverFor(n, url) {
    const env = { CLUSTER_SPECIFIC_RESPONSE: '1' };
    if (n === 'c') {
      return new ServerProc('c', path.join(BUILD, 'sioc-echo-server'),
        ['--port', '0', '--redis', url, '--redis-key', SKEY, '--name', 'c',
          '--requests-timeout', TIMEOUT_MS, '--redis-specific-response', '1'], env);
    }
    if (n === 'socketio') {
      return new ServerProc(n, process.execPath,
        [path.join(__dirname, 'servers', 'socketio_server.js'), url, n, SKEY], env);
    }
    const script = n === 'node' ? [process.execPath, 'sioc_node_server.js'] : [PYTHON, 'sioc_python_server.py'];
    return new ServerProc(n, script[0], [path.join(__dirname, 'servers', script[1]), url, n, SKEY,
      TIMEOUT_MS], env);
  }

  before(async function () {
    await redis.start();
    sub = createClient({ url: redis.url });
    sub.on('error', () => {});
    await sub.connect();
    await sub.subscribe(`${SKEY}-response#/#`, (m) => shared.push(m));
    await sub.pSubscribe(`${SKEY}-response#/#?*#`, (m) => specific.push(m));
    for (const n of NAMES) {
      servers[n] = await serverFor(n, redis.url).start();
      const s = connect(servers[n].url, { transports: ['websocket'], forceNew: true });
      s.on('question', (cb) => cb(s.id));
      sockets[n] = s;
    }
    await Promise.all(Object.values(sockets).map((s) => (s.connected ? null : once(s, 'connect'))));
    for (const n of NAMES) {
      await eventually(() => sockets[n].timeout(8000).emitWithAck('fetch', null),
        (l) => Array.isArray(l) && l.length === NAMES.length, 15000);
    }
  });

  after(async function () {
    for (const s of Object.values(sockets)) s.disconnect();
    if (sub) await sub.quit().catch(() => {});
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    await redis.cleanup();
    for (const s of Object.values(servers)) {
      assert.strictEqual(s.exitCode, 0, `${s.name} exited ${s.exitCode} (${s.exitSignal}):\n${s.log.slice(-3000)}`);
    }
  });

  it('every request completes, with its answers on the requester\'s own channel', async function () {
    shared.length = 0;
    specific.length = 0;
    const ids = NAMES.map((n) => sockets[n].id).sort();
    for (const n of NAMES) {
      const s = sockets[n].timeout(8000);
      const fetched = await s.emitWithAck('fetch', null);
      assert.deepStrictEqual(fetched, NAMES.map((m) => `${sockets[m].id}:${m}`).sort(), `fetch on ${n}`);
      const rooms = await s.emitWithAck('cluster-rooms');
      for (const id of ids) assert.ok(rooms && rooms.includes(id), `allRooms on ${n}`);
      assert.deepStrictEqual(await s.emitWithAck('emit-ack'), ids, `broadcast with acks on ${n}`);
      assert.deepStrictEqual(await s.emitWithAck('ss-emit-ack'), NAMES.filter((m) => m !== n).sort(),
        `serverSideEmit with acks on ${n}`);
    }
    // the shared channel carried serverSideEmit answers (type 6) only
    assert.ok(shared.length >= NAMES.length * (NAMES.length - 1) - NAMES.length, 'serverSideEmit answers');
    for (const m of shared) assert.match(m, /^\{"type":6,/, `on the shared channel: ${m.slice(0, 200)}`);
    assert.ok(specific.length > 0, 'answers on the requesters\' own channels');
  });
});
