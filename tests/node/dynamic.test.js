'use strict';
// Dynamic namespaces: io.of(regex | fn); the parent's middlewares and
// connection handlers apply to the children; a parent broadcast reaches
// every child.
const assert = require('assert');
const { startServer, client, once, connected, cleanup } = require('./helpers');

describe('dynamic namespaces', function () {
  afterEach(cleanup);

  it('io.of(regex): parent middleware + connection handler; parent emit reaches children', async function () {
    const { io, url } = startServer();
    const created = [];
    io.on('new_namespace', (nsp) => created.push(nsp.name));
    const parent = io.of(/^\/dyn-\d+$/);
    parent.use((socket, next) => (socket.handshake.auth.ok ? next() : next(new Error('parent says no'))));
    parent.on('connection', (s) => s.emit('where', s.nsp.name));
    const a = client(url + '/dyn-1', 'websocket', { auth: { ok: true } });
    assert.strictEqual(await once(a, 'where'), '/dyn-1');
    const b = client(url + '/dyn-2', 'websocket', { auth: { ok: true } });
    assert.strictEqual(await once(b, 'where'), '/dyn-2');
    const refused = client(url + '/dyn-3', 'websocket', { auth: {} });
    assert.strictEqual((await once(refused, 'connect_error')).message, 'parent says no');
    const invalid = client(url + '/other', 'websocket');
    assert.strictEqual((await once(invalid, 'connect_error')).message, 'Invalid namespace');
    const both = Promise.all([once(a, 'all'), once(b, 'all')]);
    parent.emit('all', 'x');
    assert.deepStrictEqual(await both, ['x', 'x']);
    assert.deepStrictEqual(created.sort(), ['/dyn-1', '/dyn-2', '/dyn-3']);
    assert.strictEqual(io.of('/dyn-1').sockets.size, 1);
  });

  it('io.of(fn): the function decides', async function () {
    const { io, url } = startServer();
    io.of((name, auth, next) => next(null, name.startsWith('/team-')))
      .on('connection', (s) => s.emit('hi', s.nsp.name));
    const c = client(url + '/team-a');
    assert.strictEqual(await once(c, 'hi'), '/team-a');
    const d = client(url + '/nope');
    assert.strictEqual((await once(d, 'connect_error')).message, 'Invalid namespace');
    await connected(c);
  });

  it('io.of(fn) answering later: next() after a delay, with the auth payload; one namespace for racing CONNECTs', async function () {
    const { io, url } = startServer();
    const created = [];
    io.on('new_namespace', (nsp) => created.push(nsp.name));
    const asked = [];
    const waiting = [];
    io.of((name, auth, next) => {
      asked.push([name, auth]);
      waiting.push(() => next(null, auth.team === name));
      if (waiting.length === 2) setTimeout(() => waiting.splice(0).forEach((f) => f()), 30);
    }).on('connection', (s) => s.emit('hi', s.nsp.name));
    // socket.io #4136: both CONNECTs wait, then both are let in
    const a = client(url + '/t-1', 'websocket', { auth: { team: '/t-1' } });
    const b = client(url + '/t-1', 'polling', { auth: { team: '/t-1' } });
    assert.deepStrictEqual(await Promise.all([once(a, 'hi'), once(b, 'hi')]), ['/t-1', '/t-1']);
    assert.deepStrictEqual(created, ['/t-1']);
    assert.strictEqual(io.of('/t-1').sockets.size, 2);
    assert.deepStrictEqual(asked, [['/t-1', { team: '/t-1' }], ['/t-1', { team: '/t-1' }]]);
    // refused later
    const c = client(url + '/t-2', 'websocket', { auth: { team: 'other' } });
    const d = client(url + '/t-3', 'websocket', { auth: { team: 'other' } });
    assert.strictEqual((await once(c, 'connect_error')).message, 'Invalid namespace');
    assert.strictEqual((await once(d, 'connect_error')).message, 'Invalid namespace');
  });
});
