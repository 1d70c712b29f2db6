'use strict';
// The core on node's own loop: the process exits on its own after
// io.close(); a server works inside a worker thread and the worker ends.
const assert = require('assert');
const path = require('path');
const { spawn } = require('child_process');
const { Worker } = require('worker_threads');

describe('process and threads', function () {
  it('the process exits on its own after io.close()', async function () {
    const proc = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'exit-server.js')],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => { out += d; });
    const code = await new Promise((resolve) => {
      const t = setTimeout(() => { proc.kill('SIGKILL'); resolve('timeout'); }, 5000);
      proc.on('exit', (c) => { clearTimeout(t); resolve(c); });
    });
    assert.strictEqual(code, 0);
    assert.strictEqual(out.trim(), 'closed');
  });

  it('works in a worker thread, and the worker exits', async function () {
    const w = new Worker(path.join(__dirname, 'fixtures', 'worker-server.js'));
    let msg;
    w.on('message', (m) => { msg = m; });
    const code = await new Promise((resolve, reject) => {
      const t = setTimeout(() => { w.terminate(); reject(new Error('worker did not exit')); }, 8000);
      w.on('error', reject);
      w.on('exit', (c) => { clearTimeout(t); resolve(c); });
    });
    assert.strictEqual(code, 0);
    assert.strictEqual(msg.r, 42);
    assert.deepStrictEqual(msg.stats, { sockets: 0, refs: 0, servers: 0, slots: 0 });
  });

  it('a worker terminated with its server still open goes away cleanly', async function () {
    const w = new Worker(`
      const { Server } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'node'))});
      const io = new Server({ host: '127.0.0.1' }).listen(0);
      require('worker_threads').parentPort.postMessage(io.port);
    `, { eval: true });
    await new Promise((resolve) => w.once('message', resolve));
    const code = await w.terminate();
    assert.strictEqual(typeof code, 'number');
  });
});
