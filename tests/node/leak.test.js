'use strict';
// 5,000 WebSocket clients connect and disconnect (in batches); afterwards
// the addon's live-object counters and the core's stats are back to zero.
const assert = require('assert');
const { Server, addonStats } = require('../../node');
const { io: ioc } = require('socket.io-client');
const { until } = require('./helpers');

describe('leaks', function () {
  this.timeout(90000);

  it('5,000 clients connect and disconnect; counters return to zero', async function () {
    const base = addonStats();
    const io = new Server({ host: '127.0.0.1' }).listen(0);
    const url = `http://127.0.0.1:${io.port}`;
    let connections = 0;
    let disconnects = 0;
    io.on('connection', (socket) => {
      connections++;
      socket.join('room');
      socket.on('hi', (ack) => ack(socket.id));
      socket.on('disconnect', () => { disconnects++; });
    });
    const TOTAL = 5000;
    const BATCH = 250;
    for (let done = 0; done < TOTAL; done += BATCH) {
      const clients = [];
      for (let i = 0; i < BATCH; i++) {
        clients.push(ioc(url, { transports: ['websocket'], forceNew: true, reconnection: false }));
      }
      await Promise.all(clients.map((c) => new Promise((resolve, reject) => {
        c.once('connect', resolve);
        c.once('connect_error', reject);
      })));
      // one round trip each, and a broadcast to the batch
      const ids = await Promise.all(clients.map((c) => c.emitWithAck('hi')));
      assert.deepStrictEqual(ids, clients.map((c) => c.id));
      io.to('room').emit('tick', done);
      for (const c of clients) c.disconnect();
      await until(() => io.stats().sockets === 0 && io.stats().connections === 0, 10000);
    }
    assert.strictEqual(connections, TOTAL);
    await until(() => disconnects === TOTAL);
    assert.deepStrictEqual(io.stats(), { connections: 0, sessions: 0, sockets: 0 });
    const mid = addonStats();
    assert.strictEqual(mid.sockets, base.sockets);
    assert.strictEqual(mid.slots, base.slots);
    assert.strictEqual(io.sockets.sockets.size, 0);
    await io.close();
    await new Promise((r) => setImmediate(r));
    assert.deepStrictEqual(addonStats(), base);
  });
});
