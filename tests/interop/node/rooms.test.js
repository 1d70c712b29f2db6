// Rooms and broadcasts with three socket.io-client sockets, in each transport
// mode. A fresh server per test, so that all-rooms can be compared exactly.
'use strict';

const assert = require('assert');
const { MODES, startServer, Clients, once, emitAck, waitFor, withTimeout } = require('./server');

const sorted = (xs) => [...xs].sort();
// The first argument of the ack.
const ack1 = async (...args) => (await emitAck(...args))[0];
let tagCounter = 0;

for (const [mode, modeOpts] of Object.entries(MODES)) {
  describe(`rooms [${mode}]`, function () {
    let srv;
    let clients;
    let a;
    let b;
    let c;

    beforeEach(async function () {
      srv = await startServer();
      clients = new Clients(srv.url, modeOpts);
      [a, b, c] = await Promise.all([clients.connect(), clients.connect(), clients.connect()]);
      for (const s of [a, b, c]) {
        assert.deepStrictEqual(await ack1(s, 'join', 'all'), sorted([s.id, 'all']));
      }
    });
    afterEach(async function () {
      if (clients) clients.closeAll();
      if (srv) await srv.stop();
      srv = clients = null;
    });

    /**
     * Barrier: `sender` emits a tagged room-message to room "all"; resolves once
     * every socket got it. Because the server handles one client's packets in
     * order and writes to each client in order, anything the earlier emits of
     * `sender` would have delivered is in the logs by then.
     */
    async function barrier(sender = a) {
      const tag = `barrier-${++tagCounter}`;
      const waits = [a, b, c]
        .filter((s) => s.connected)
        .map((s) =>
          withTimeout(
            new Promise((resolve) => {
              const h = (first) => {
                if (first === tag) {
                  s.off('room-message', h);
                  resolve();
                }
              };
              s.on('room-message', h);
            }),
            5000,
            `barrier on ${s.id}`
          )
        );
      sender.emit('room-emit', 'all', tag);
      await Promise.all(waits);
    }

    /** The events a socket got, without auth and barrier messages. */
    const events = (s) =>
      s.log.filter(([ev, first]) => ev !== 'auth' && !(typeof first === 'string' && first.startsWith('barrier-')));

    const clearLogs = () => {
      for (const s of [a, b, c]) s.log.length = 0;
    };

    it('join / leave ack the sorted rooms, including the socket id room', async function () {
      assert.deepStrictEqual(await ack1(a, 'join', 'zeta'), sorted([a.id, 'all', 'zeta']));
      assert.deepStrictEqual(await ack1(a, 'join', 'Alpha'), sorted([a.id, 'all', 'zeta', 'Alpha']));
      assert.deepStrictEqual(await ack1(a, 'join', '0 ü room'), sorted([a.id, 'all', 'zeta', 'Alpha', '0 ü room']));
      // joining twice changes nothing
      assert.deepStrictEqual(await ack1(a, 'join', 'zeta'), sorted([a.id, 'all', 'zeta', 'Alpha', '0 ü room']));
      assert.deepStrictEqual(await ack1(a, 'leave', 'zeta'), sorted([a.id, 'all', 'Alpha', '0 ü room']));
      // leaving a room one is not in changes nothing
      assert.deepStrictEqual(await ack1(a, 'leave', 'never-joined'), sorted([a.id, 'all', 'Alpha', '0 ü room']));
      // other sockets are unaffected
      assert.deepStrictEqual(await ack1(b, 'leave', 'never-joined'), sorted([b.id, 'all']));
    });

    it('join without an ack still joins', async function () {
      a.emit('join', 'silent');
      await waitFor(async () => (await emitAck(b, 'room-sockets', 'silent'))[0].length === 1, 3000, 'silent join');
      assert.deepStrictEqual(await emitAck(b, 'room-sockets', 'silent'), [[a.id]]);
    });

    it('room-emit reaches every member (sender included) and no one else', async function () {
      await emitAck(a, 'join', 'r1');
      await emitAck(b, 'join', 'r1');
      const pa = once(a, 'room-message');
      const pb = once(b, 'room-message');
      a.emit('room-emit', 'r1', 'hi', { x: [1, 'ü'] }, null);
      assert.deepStrictEqual(await pa, ['hi', { x: [1, 'ü'] }, null]);
      assert.deepStrictEqual(await pb, ['hi', { x: [1, 'ü'] }, null]);
      await barrier(a);
      assert.deepStrictEqual(events(c), [], 'c is not in r1');
    });

    it('room-emit from a non-member reaches the members', async function () {
      await emitAck(a, 'join', 'r1');
      await emitAck(b, 'join', 'r1');
      clearLogs();
      c.emit('room-emit', 'r1', 'from c');
      await barrier(c);
      assert.deepStrictEqual(events(a), [['room-message', 'from c']]);
      assert.deepStrictEqual(events(b), [['room-message', 'from c']]);
      assert.deepStrictEqual(events(c), []);
    });

    it('room-broadcast reaches the members but not the sender', async function () {
      await emitAck(a, 'join', 'r1');
      await emitAck(b, 'join', 'r1');
      clearLogs();
      a.emit('room-broadcast', 'r1', 'not for a', 7);
      await barrier(a);
      assert.deepStrictEqual(events(a), [], 'the sender got its own room-broadcast');
      assert.deepStrictEqual(events(b), [['room-message', 'not for a', 7]]);
      assert.deepStrictEqual(events(c), [], 'c is not in r1');
      // sender outside the room: every member gets it
      c.emit('room-broadcast', 'r1', 'from outside');
      await barrier(c);
      assert.deepStrictEqual(events(a), [['room-message', 'from outside']]);
      assert.deepStrictEqual(events(b).slice(1), [['room-message', 'from outside']]);
      assert.deepStrictEqual(events(c), []);
    });

    it('room-except skips the members of the excepted room', async function () {
      await emitAck(a, 'join', 'r1');
      await emitAck(b, 'join', 'r1');
      await emitAck(b, 'join', 'r2');
      await emitAck(c, 'join', 'r2');
      clearLogs();
      c.emit('room-except', 'r1', 'r2', 'only a', { n: 1 });
      await barrier(c);
      assert.deepStrictEqual(events(a), [['room-message', 'only a', { n: 1 }]]);
      assert.deepStrictEqual(events(b), [], 'b is in the excepted room');
      assert.deepStrictEqual(events(c), [], 'c is not in r1');
      // excepting by socket id room
      a.emit('room-except', 'all', b.id, 'not b');
      await barrier(a);
      assert.deepStrictEqual(events(a).slice(1), [['room-message', 'not b']]);
      assert.deepStrictEqual(events(b), []);
      assert.deepStrictEqual(events(c), [['room-message', 'not b']]);
    });

    it('broadcast reaches every other client but not the sender', async function () {
      clearLogs();
      a.emit('broadcast', 'to others', [1, 2], { ok: true });
      await barrier(a);
      assert.deepStrictEqual(events(a), [], 'the sender got its own broadcast');
      assert.deepStrictEqual(events(b), [['broadcast', 'to others', [1, 2], { ok: true }]]);
      assert.deepStrictEqual(events(c), [['broadcast', 'to others', [1, 2], { ok: true }]]);
    });

    it('to(socket id) reaches exactly that socket', async function () {
      clearLogs();
      a.emit('room-emit', c.id, 'direct');
      await barrier(a);
      assert.deepStrictEqual(events(a), []);
      assert.deepStrictEqual(events(b), []);
      assert.deepStrictEqual(events(c), [['room-message', 'direct']]);
    });

    it('room-sockets lists the sorted ids of a room', async function () {
      await emitAck(a, 'join', 'r1');
      await emitAck(c, 'join', 'r1');
      assert.deepStrictEqual(await emitAck(b, 'room-sockets', 'r1'), [sorted([a.id, c.id])]);
      assert.deepStrictEqual(await emitAck(b, 'room-sockets', 'all'), [sorted([a.id, b.id, c.id])]);
      assert.deepStrictEqual(await emitAck(b, 'room-sockets', a.id), [[a.id]]);
      assert.deepStrictEqual(await emitAck(b, 'room-sockets', 'no-such-room'), [[]]);
      await emitAck(a, 'leave', 'r1');
      assert.deepStrictEqual(await emitAck(b, 'room-sockets', 'r1'), [[c.id]]);
    });

    it('all-rooms lists every room of /, sorted; empty rooms disappear', async function () {
      await emitAck(a, 'join', 'r1');
      await emitAck(b, 'join', 'r1');
      await emitAck(c, 'join', 'z');
      assert.deepStrictEqual(await emitAck(a, 'all-rooms'), [sorted([a.id, b.id, c.id, 'all', 'r1', 'z'])]);
      await emitAck(a, 'leave', 'r1');
      assert.deepStrictEqual(await emitAck(a, 'all-rooms'), [sorted([a.id, b.id, c.id, 'all', 'r1', 'z'])]);
      await emitAck(b, 'leave', 'r1');
      assert.deepStrictEqual(await emitAck(a, 'all-rooms'), [sorted([a.id, b.id, c.id, 'all', 'z'])]);
    });

    it('sockets on another namespace are not in the rooms of /', async function () {
      const m = clients.manager();
      const custom = clients.managerSocket(m, '/custom');
      await custom.authP;
      assert.deepStrictEqual(await emitAck(a, 'all-rooms'), [sorted([a.id, b.id, c.id, 'all'])]);
    });

    it('sockets-join makes every socket of a room join another', async function () {
      await emitAck(a, 'join', 'r1');
      await emitAck(b, 'join', 'r1');
      assert.deepStrictEqual(await emitAck(c, 'sockets-join', 'joined', 'r1'), []);
      assert.deepStrictEqual(await emitAck(c, 'room-sockets', 'joined'), [sorted([a.id, b.id])]);
      assert.deepStrictEqual(await ack1(a, 'leave', 'nothing'), sorted([a.id, 'all', 'r1', 'joined']));
      clearLogs();
      c.emit('room-emit', 'joined', 'via joined');
      await barrier(c);
      assert.deepStrictEqual(events(a), [['room-message', 'via joined']]);
      assert.deepStrictEqual(events(b), [['room-message', 'via joined']]);
      assert.deepStrictEqual(events(c), []);
    });

    it('disconnect-sockets disconnects the room with "io server disconnect", others unaffected', async function () {
      await emitAck(a, 'join', 'r1');
      await emitAck(b, 'join', 'r1');
      const da = once(a, 'disconnect');
      const db = once(b, 'disconnect');
      c.emit('disconnect-sockets', 'r1');
      assert.strictEqual((await da)[0], 'io server disconnect');
      assert.strictEqual((await db)[0], 'io server disconnect');
      assert.strictEqual(a.connected, false);
      assert.strictEqual(a.active, false, 'no reconnection after a server disconnect');
      assert.ok(c.connected);
      assert.deepStrictEqual(await emitAck(c, 'echo', 'c alive'), ['c alive']);
      assert.deepStrictEqual(await emitAck(c, 'room-sockets', 'all'), [[c.id]]);
      assert.deepStrictEqual(await emitAck(c, 'all-rooms'), [sorted([c.id, 'all'])]);
    });

    it('a client that disconnects leaves its rooms', async function () {
      await emitAck(a, 'join', 'r1');
      const id = a.id;
      a.disconnect();
      await waitFor(
        async () => !(await emitAck(b, 'room-sockets', 'all'))[0].includes(id),
        5000,
        'the disconnected socket to leave "all"'
      );
      assert.deepStrictEqual(await emitAck(b, 'all-rooms'), [sorted([b.id, c.id, 'all'])]);
    });

    it('bcast reaches all three clients including the sender', async function () {
      const ps = [a, b, c].map((s) => once(s, 'bcast'));
      b.emit('bcast', 'x', { y: ['z'] });
      for (const args of await Promise.all(ps)) assert.deepStrictEqual(args, ['x', { y: ['z'] }]);
    });
  });
}
