'use strict';
// The package's CommonJS and ESM entry points, and debug logging.
const assert = require('assert');
const path = require('path');
const { spawnSync } = require('child_process');

describe('entry points and debug logging', function () {
  it('require("sioc") and import("sioc") give the same Server', async function () {
    const cjs = require('sioc');
    const esm = await import('sioc');
    assert.strictEqual(typeof cjs.Server, 'function');
    assert.strictEqual(esm.Server, cjs.Server);
    assert.strictEqual(esm.default.Server, cjs.Server);
  });

  it('DEBUG=sioc:* logs in the debug convention; off by default', function () {
    const script = `const { Server } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'node'))});
      const io = new Server({ host: '127.0.0.1' }).listen(0); io.of('/x'); io.close();`;
    const on = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, DEBUG: 'sioc:*' }, timeout: 10000 });
    assert.match(String(on.stderr), /^sioc:server listening on port \d+ \+\d+ms$/m);
    assert.match(String(on.stderr), /sioc:server initializing namespace \/x/);
    const off = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, DEBUG: '' }, timeout: 10000 });
    assert.strictEqual(String(off.stderr), '');
  });
});
