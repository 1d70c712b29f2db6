'use strict';
// sioc: socket.io 4.x's server API, with the protocol stack in C.
//   const { Server } = require('sioc');
const { Server, Namespace, Socket, BroadcastOperator, ParentNamespace, RemoteSocket,
  createRedisAdapter } = require('./lib/server');
const binding = require('./lib/binding');

/** The addon's own live objects (JS socket wrappers, napi_refs, servers),
 * for leak checks. */
function addonStats() {
  const s = binding.addonStats();
  return { sockets: s.sockets, refs: s.refs, servers: s.servers, slots: s.slots };
}

// As socket.io: require('sioc')(srv, opts) is new Server(srv, opts).
module.exports = (srv, opts) => new Server(srv, opts);
Object.assign(module.exports, { Server, Namespace, Socket, BroadcastOperator, ParentNamespace,
  RemoteSocket, createRedisAdapter, addonStats });
