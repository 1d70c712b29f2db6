'use strict';
// sioc's Node package as a member of the cluster (same contract as
// socketio_server.js).
//   node sioc_node_server.js <redis-url> <name> <key> <timeoutMs> [maxMessageBytes]
const path = require('path');
const { Server, createRedisAdapter } = require(path.join(__dirname, '..', '..', '..'));
const { install } = require('./contract');

const [url, name, key, timeout, maxMessage] = process.argv.slice(2);
const io = new Server({
  adapter: createRedisAdapter(url, { key, requestsTimeout: Number(timeout) || 5000,
    maxMessageBytes: maxMessage ? Number(maxMessage) : undefined,
    publishOnSpecificResponseChannel: process.env.CLUSTER_SPECIFIC_RESPONSE === '1' }),
});
install(io, name);
io.listen(0);
process.stdout.write(`listening on http://127.0.0.1:${io.port}\n`);
const stop = () => io.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
