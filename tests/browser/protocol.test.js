// protocol.test.js - the chat demo's two servers (examples/chat/server.js and
// server.py) answer the same protocol: one scripted session of real
// socket.io-client 4.8.4 clients runs against each, every event and ack the
// clients get is recorded, and the two transcripts must be equal once socket
// ids, times and round-trip figures are replaced by placeholders.  Each
// step also asserts what the answer must be, so a bug shared by both servers
// fails too.  Bad input (wrong types, too long, control characters, unknown
// rooms and users, a taken nickname, a flood) must get an error answer and
// leave the server serving.
'use strict';

const assert = require('assert');
const { io } = require('socket.io-client');
const { startChat } = require('./servers');

const TEXT_RULE = 'message: 1 to 500 characters';
const ROOM_RULE = 'room name: 1 to 24 letters, digits, - or _ (not starting with - or _)';
const NICK_RULE = 'nickname: 1 to 24 characters, no control characters';
const WAIT_MS = 10000;

/** One chat user: a socket.io-client socket whose incoming events and acks
 * are all recorded in `log`; 'dm' and 'whois:ping' are acked like the page. */
class User {
  constructor(url, nick, token) {
    this.nick = nick.trim();
    this.log = [];
    this.waiters = [];
    this.socket = io(url, { auth: { nick, token: token || nick + '-token' }, forceNew: true,
      reconnection: false, transports: ['websocket'] });
    this.socket.onAny((event, ...args) => {
      const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
      if (ack) ack(event === 'dm' ? 'seen' : 'pong');
      this.record([event, ...args]);
    });
  }

  record(entry) {
    this.log.push(entry);
    this.waiters = this.waiters.filter((w) => !(w.pred(entry) && (w.resolve(entry), true)));
  }

  /** The next event (already logged from index `from`, or yet to come) matching pred. */
  waitFor(pred, what, from = 0) {
    const seen = this.log.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.nick}: no ${what} in ${WAIT_MS} ms; ` +
        `the last events: ${JSON.stringify(this.log.slice(-8)).slice(0, 3000)}`)), WAIT_MS);
      this.waiters.push({ pred, resolve: (e) => { clearTimeout(timer); resolve(e); } });
    });
  }

  waitEvent(event, pred = () => true, from = 0) {
    return this.waitFor((e) => e[0] === event && pred(e[1]), event, from);
  }

  /** Resolves once connected (after 'welcome' and the 'users' that follows). */
  async ready() {
    await new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('connect_error', (err) => reject(new Error(`${this.nick}: ${err.message}`)));
    });
    this.id = this.socket.id;
    await this.waitEvent('users', (list) => list.some((u) => u.id === this.id));
    return this;
  }

  /** emits event(...args) with an ack; records and returns the answer. */
  ask(event, ...args) {
    // a callback, not emitWithAck: the answer is logged the moment it
    // arrives, in order with the events around it
    return new Promise((resolve, reject) => {
      this.socket.timeout(WAIT_MS).emit(event, ...args, (err, res) => {
        if (err) return reject(new Error(`${this.nick}: no answer to ${event}: ${err.message}`));
        this.record([`ack:${event}`, res]);
        resolve(res);
      });
    });
  }

  /** How many entries are logged (a mark to wait from). */
  mark() { return this.log.length; }
}

/** The connect_error a nickname gets: [message, data]. */
function refused(url, auth) {
  return new Promise((resolve, reject) => {
    const s = io(url, { auth, forceNew: true, reconnection: false, transports: ['websocket'] });
    const timer = setTimeout(() => { s.close(); reject(new Error('no connect_error')); }, WAIT_MS);
    s.on('connect', () => { clearTimeout(timer); s.close(); reject(new Error(`${JSON.stringify(auth)} was accepted`)); });
    s.on('connect_error', (err) => { clearTimeout(timer); s.close(); resolve([err.message, err.data]); });
  });
}

/** Replaces what differs between runs: ids by the user's name, times and
 * round-trip figures by placeholders (after checking they are plausible). */
function normalize(value, users, t0) {
  const names = new Map(users.filter((u) => u.id).map((u) => [u.id, `<${u.nick}>`]));
  const walk = (v, key) => {
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    }
    if (typeof v === 'string' && names.has(v)) return names.get(v);
    if ((key === 'time' || key === 'since' || key === 'started') && typeof v === 'number') {
      assert.ok(v >= t0 - 60000 && v <= Date.now() + 1000, `${key} ${v} is not a time of this test`);
      return '<time>';
    }
    if (key === 'rtt' && typeof v === 'number') {
      assert.ok(v >= 0 && v < WAIT_MS, `rtt ${v}`);
      return '<rtt>';
    }
    if (key === 'server' && (v === 'node' || v === 'python')) return '<server>';
    return v;
  };
  return walk(value);
}

const transcripts = {};

async function session(variant) {
  const server = await startChat(variant);
  const users = [];
  const t0 = Date.now();
  const out = { refused: [] };
  try {
    const { url } = server;
    // -- nicknames the middleware refuses (connect_error with data.field) --
    for (const auth of [{ nick: '' }, { nick: '   ' }, { nick: 'x'.repeat(25) }, { nick: 'a\u0007b' },
      { nick: 123 }, {}, { nick: ['alice'] }]) {
      out.refused.push(await refused(url, auth));
    }
    for (const r of out.refused) assert.deepStrictEqual(r, [NICK_RULE, { field: 'nick' }]);

    const alice = await new User(url, 'alice').ready();
    users.push(alice);
    const w = alice.log.find((e) => e[0] === 'welcome')[1];
    assert.deepStrictEqual(w, { id: alice.id, nick: 'alice', server: variant,
      limits: { nick: 24, room: 24, text: 500, roomsPerUser: 10 }, heartbeat: 10000 });
    const bob = await new User(url, '  bob ').ready();          // trimmed
    users.push(bob);
    assert.strictEqual(bob.log.find((e) => e[0] === 'welcome')[1].nick, 'bob');
    await alice.waitEvent('users', (l) => l.length === 2);
    out.refused.push(await refused(url, { nick: 'ALICE', token: 'another' }));
    assert.deepStrictEqual(out.refused[out.refused.length - 1], ['nickname "ALICE" is taken', { field: 'nick' }]);
    const carol = await new User(url, 'carol').ready();
    users.push(carol);
    await alice.waitEvent('users', (l) => l.length === 3);
    await bob.waitEvent('users', (l) => l.length === 3);
    assert.deepStrictEqual(carol.log.find((e) => e[0] === 'users')[1].map((u) => u.nick), ['alice', 'bob', 'carol']);

    // -- the lobby: everyone, sender included --
    let r = await alice.ask('lobby:message', 'hello everyone');
    assert.deepStrictEqual(Object.keys(r), ['ok', 'id']);
    for (const u of [alice, bob, carol]) {
      const [, m] = await u.waitEvent('message', (x) => x.id === r.id);
      assert.deepStrictEqual([m.kind, m.from.nick, m.text], ['lobby', 'alice', 'hello everyone']);
    }
    for (const bad of ['', '   \n', 'x'.repeat(501), 42, null, 'a\u0000b', { text: 'hi' }]) {
      r = await alice.ask('lobby:message', bad);
      assert.deepStrictEqual(r, { ok: false, error: TEXT_RULE }, JSON.stringify(bad));
    }
    r = await alice.ask('lobby:message', '\u{1F600}'.repeat(500));   // 500 characters, 1000 UTF-16 units
    assert.strictEqual(r.ok, true);
    r = await alice.ask('lobby:message', ' \t two\nlines \n');
    const [, trimmed] = await carol.waitEvent('message', (x) => x.id === r.id);
    assert.strictEqual(trimmed.text, 'two\nlines');

    // -- rooms: join, members from the server, messages only to members --
    r = await alice.ask('room:join', 'Dev');
    assert.deepStrictEqual(r, { ok: true, room: '#dev', rooms: ['#dev'], members: [{ id: alice.id, nick: 'alice' }] });
    await carol.waitEvent('notice', (n) => n.text === 'alice opened #dev');
    const [, dir] = await carol.waitEvent('rooms', (l) => l.length === 1);
    assert.deepStrictEqual(dir, [{ name: '#dev', members: [{ id: alice.id, nick: 'alice' }] }]);
    for (const bad of ['', '#', '-x', '_x', 'a b', 'x'.repeat(25), {}, 7, '#dev!', 'd\u00e9v']) {
      r = await bob.ask('room:join', bad);
      assert.deepStrictEqual(r, { ok: false, error: ROOM_RULE }, JSON.stringify(bad));
    }
    r = await alice.ask('room:message', { room: '#dev', text: 'only dev' });
    assert.strictEqual(r.ok, true);
    const devMsg1 = r.id;
    await alice.waitEvent('message', (x) => x.id === devMsg1);
    r = await bob.ask('room:message', { room: '#dev', text: 'let me in' });
    assert.deepStrictEqual(r, { ok: false, error: 'you are not in #dev' });
    r = await bob.ask('room:message', 'not an object');
    assert.deepStrictEqual(r, { ok: false, error: ROOM_RULE });
    let mark = alice.mark();
    r = await bob.ask('room:join', '#dev');
    assert.deepStrictEqual(r.members.map((m) => m.nick), ['alice', 'bob']);
    // the room except the sender: alice hears of bob, bob does not
    await alice.waitEvent('notice', (n) => n.room === '#dev' && n.text === 'bob joined #dev', mark);
    r = await bob.ask('room:message', { room: '#dev', text: 'hi dev' });
    const devMsg2 = r.id;
    await alice.waitEvent('message', (x) => x.id === devMsg2);
    await bob.waitEvent('message', (x) => x.id === devMsg2);
    r = await alice.ask('room:join', '#DEV');                       // already in: no notice
    assert.deepStrictEqual(r.rooms, ['#dev']);
    r = await bob.ask('room:message', { room: '#dev', text: 'x'.repeat(501) });
    assert.deepStrictEqual(r, { ok: false, error: TEXT_RULE });

    // -- typing: volatile, to the lobby or to a room the sender is in --
    mark = alice.mark();
    bob.socket.emit('typing', { where: '#dev' });
    bob.socket.emit('typing', { where: '#ops' });                  // not a member: nobody
    bob.socket.emit('typing', 'junk');
    bob.socket.emit('typing', { where: 'lobby' });
    await alice.waitEvent('typing', (t) => t.where === 'lobby', mark);
    await carol.waitEvent('typing', (t) => t.where === 'lobby');

    // -- a direct message: only its target, with a delivery receipt --
    mark = alice.mark();
    r = await alice.ask('dm', { to: bob.id, text: 'psst' });
    assert.deepStrictEqual([r.ok, r.message.kind, r.message.to, r.message.text],
      [true, 'dm', { id: bob.id, nick: 'bob' }, 'psst']);
    await bob.waitEvent('dm', (m) => m.id === r.message.id);
    const [, receipt] = await alice.waitEvent('dm:delivered', () => true, mark);
    assert.deepStrictEqual(receipt, { id: r.message.id, delivered: true });
    for (const [bad, error] of [[{ to: alice.id, text: 'me' }, 'you cannot message yourself'],
      [{ to: 'nobody', text: 'x' }, 'no such user (they may have left)'],
      [{ to: bob.id, text: '' }, TEXT_RULE], ['psst', 'no such user (they may have left)'],
      [{ to: 5, text: 'x' }, 'no such user (they may have left)']]) {
      r = await alice.ask('dm', bad);
      assert.deepStrictEqual(r, { ok: false, error }, JSON.stringify(bad));
    }

    // -- whois: socket.rooms of another socket and a server-side emitWithAck --
    r = await carol.ask('whois', alice.id);
    assert.deepStrictEqual([r.ok, r.user.nick, r.user.rooms, typeof r.user.rtt], [true, 'alice', ['#dev'], 'number']);
    await alice.waitEvent('whois:ping', (p) => p.from.nick === 'carol');
    r = await carol.ask('whois', 'nobody');
    assert.deepStrictEqual(r, { ok: false, error: 'no such user (they may have left)' });

    // -- leave --
    mark = alice.mark();
    r = await bob.ask('room:leave', '#dev');
    assert.deepStrictEqual(r, { ok: true, room: '#dev', rooms: [] });
    await alice.waitEvent('notice', (n) => n.text === 'bob left #dev', mark);
    r = await bob.ask('room:leave', '#dev');
    assert.deepStrictEqual(r, { ok: false, error: 'you are not in #dev' });
    r = await bob.ask('room:leave', '');
    assert.deepStrictEqual(r, { ok: false, error: ROOM_RULE });

    // -- at most 10 rooms each --
    for (let i = 0; i < 10; i++) assert.strictEqual((await carol.ask('room:join', `r${i}`)).ok, true);
    r = await carol.ask('room:join', 'r10');
    assert.deepStrictEqual(r, { ok: false, error: 'you can be in at most 10 rooms' });
    const [, rooms11] = await alice.waitEvent('rooms', (l) => l.length === 11);
    assert.deepStrictEqual(rooms11.map((x) => x.name), ['#dev', ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `#r${i}`)]);

    // -- leaving the chat: the reason reaches everyone, the lists shrink --
    mark = alice.mark();
    const bobMark = bob.mark();
    carol.socket.disconnect();
    await alice.waitEvent('notice', (n) => n.text === 'carol left the chat (client namespace disconnect)', mark);
    const [, after] = await alice.waitEvent('rooms', (l) => l.length === 1, mark);
    assert.deepStrictEqual(after, [{ name: '#dev', members: [{ id: alice.id, nick: 'alice' }] }]);
    await bob.waitEvent('users', (l) => l.length === 2, bobMark);

    // What must never have arrived: the #dev messages at bob before he
    // joined or at carol at all, the DM anywhere but at bob.
    assert.ok(!carol.log.some((e) => e[0] === 'message' && e[1].kind === 'room'));
    assert.ok(!bob.log.some((e) => e[0] === 'message' && e[1].id === devMsg1));
    assert.ok(!carol.log.some((e) => e[0] === 'dm') && !alice.log.some((e) => e[0] === 'dm'));
    assert.ok(!carol.log.some((e) => e[0] === 'typing' && e[1].where !== 'lobby'));
    assert.ok(!bob.log.some((e) => e[0] === 'notice' && e[1].text === 'bob joined #dev'));
    assert.ok(!alice.log.some((e) => e[0] === 'notice' && e[1].text === 'alice opened #dev'));   // except(room)
    assert.ok(!carol.log.some((e) => e[0] === 'notice' && e[1].text === 'carol opened #r0'));
    assert.ok(alice.log.some((e) => e[0] === 'notice' && e[1].text === 'carol opened #r0'));

    // one last round trip each, so that nothing is still on its way
    await alice.ask('whois', alice.id);
    await bob.ask('whois', bob.id);
    for (const u of users) out[u.nick] = normalize(u.log, users, t0);

    // -- a flood is slowed down (token bucket in socket.use), the server goes on --
    mark = bob.mark();
    for (let i = 0; i < 100; i++) bob.socket.emit('typing', { where: 'nowhere' });
    const [, slow] = await bob.waitEvent('notice', (n) => n.level === 'error', mark);
    assert.strictEqual(slow.text, 'slow down: too many messages');
    const dave = await new User(url, 'dave').ready();             // still serving
    users.push(dave);
    assert.strictEqual((await dave.ask('lobby:message', 'still here')).ok, true);
    await bob.waitEvent('message', (m) => m.text === 'still here', mark);
    assert.strictEqual(bob.socket.connected, true);                // slowed, not dropped
  } finally {
    for (const u of users) u.socket.close();
    await server.stop();
  }
  return out;
}

describe('chat demo protocol: server.js and server.py answer alike', function () {
  this.timeout(90000);

  for (const variant of ['node', 'python']) {
    it(`${variant}: every step answers as specified`, async () => {
      transcripts[variant] = await session(variant);
    });
  }

  it('both transcripts are equal', function () {
    if (!transcripts.node || !transcripts.python) this.skip();
    for (const who of Object.keys(transcripts.node)) {
      assert.deepStrictEqual(transcripts.python[who], transcripts.node[who], `transcript of ${who}`);
    }
    assert.deepStrictEqual(Object.keys(transcripts.python).sort(), Object.keys(transcripts.node).sort());
  });
});
