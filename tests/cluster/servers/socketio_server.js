'use strict';
// socket.io 4.8 with @socket.io/redis-adapter 8.x: the reference member of
// the cluster.  node socketio_server.js <redis-url> <name> [key]
const { Server } = require('socket.io');
const { createAdapter } = require('@socket.io/redis-adapter');
const { createClient } = require('redis');
const { install } = require('./contract');

async function main() {
  const [url, name, key] = process.argv.slice(2);
  const pub = createClient({ url });
  const sub = pub.duplicate();
  pub.on('error', () => {});
  sub.on('error', () => {});
  await Promise.all([pub.connect(), sub.connect()]);
  const io = new Server({ adapter: createAdapter(pub, sub, { key: key || 'socket.io', requestsTimeout: 3000,
    publishOnSpecificResponseChannel: process.env.CLUSTER_SPECIFIC_RESPONSE === '1' }) });
  install(io, name);
  io.listen(0);
  const port = io.httpServer.address().port;
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
  const stop = () => io.close(() => Promise.allSettled([pub.quit(), sub.quit()]).then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
main().catch((e) => { console.error(e); process.exit(1); });
