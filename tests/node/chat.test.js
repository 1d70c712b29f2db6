'use strict';
// An unchanged socket.io example (the chat server, require line changed)
// in its own process, driven by socket.io-client.
const assert = require('assert');
const path = require('path');
const { spawn } = require('child_process');
const { client, once, onceArgs, connected, cleanup } = require('./helpers');

describe('socket.io chat example on sioc', function () {
  let proc;
  afterEach(async function () {
    await cleanup();
    if (proc && proc.exitCode === null) {
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      await exited;
    }
  });

  it('login, user joined, new message, typing, user left', async function () {
    proc = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'chat-server.js')],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = Number(String(await once(proc.stdout, 'data')).trim());
    const url = `http://127.0.0.1:${port}`;
    const alice = client(url, 'upgrade');
    const bob = client(url, 'polling');
    await Promise.all([connected(alice), connected(bob)]);
    alice.emit('add user', 'alice');
    assert.deepStrictEqual(await once(alice, 'login'), { numUsers: 1 });
    const joined = once(alice, 'user joined');
    bob.emit('add user', 'bob');
    assert.deepStrictEqual(await once(bob, 'login'), { numUsers: 2 });
    assert.deepStrictEqual(await joined, { username: 'bob', numUsers: 2 });
    const msg = once(bob, 'new message');
    alice.emit('new message', 'hello bob');
    assert.deepStrictEqual(await msg, { username: 'alice', message: 'hello bob' });
    const typing = onceArgs(alice, 'typing');
    bob.emit('typing');
    assert.deepStrictEqual(await typing, [{ username: 'bob' }]);
    const left = once(alice, 'user left');
    bob.disconnect();
    assert.deepStrictEqual(await left, { username: 'bob', numUsers: 1 });
  });
});
