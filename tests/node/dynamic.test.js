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
});
