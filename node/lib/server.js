'use strict';
// socket.io 4.x's server API on sioc's C core.  The protocol (Engine.IO,
// Socket.IO, rooms, broadcast fan-out, acks, timers) runs in C on node's
// own loop; this file keeps the JS objects users see (Server, Namespace,
// Socket, BroadcastOperator) and crosses into C once per call.  C calls JS
// once per incoming event (binding callbacks below); a broadcast is one C
// call whatever the number of recipients.
const { EventEmitter } = require('events');
const fs = require('fs');
const path = require('path');
const querystring = require('querystring');
const binding = require('./binding');
const { encode, decode } = require('./binary');
const createDebug = require('./debug');

const debug = createDebug('sioc:server');
const debugSocket = createDebug('sioc:socket');
const debugNsp = createDebug('sioc:namespace');

const SIOC_ETIMEDOUT = -30006;
const SIOC_ECLOSED = -30003;
const BCAST_VOLATILE = 1;
const BCAST_LOCAL = 2;
const BCAST_COMPRESS = 4;

const RESERVED_EVENTS = new Set([
  'connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener',
]);

const emitLocal = EventEmitter.prototype.emit;
const NO_FLAGS = Object.freeze({});

// Disconnect reasons that leave the connection open (only the namespace goes).
const NAMESPACE_REASONS = new Set(['client namespace disconnect', 'server namespace disconnect']);

// ---- engine.io's 'packetCreate' on socket.conn --------------------------------------
// Made only while someone listens (Socket._watchPackets): the hot paths pay
// one test of a field they already read.

const SIO_EVENT = 2;
const SIO_ACK = 3;

/** socket.io-parser's text of an EVENT / ACK (the engine.io packet's data);
 * id < 0: none (the core numbers the acks it asks for, so an emit's text
 * carries no id). */
function packetText(type, nspName, bins, id, arrayJson) {
  let t = String(bins ? type + 3 : type);
  if (bins) t += bins.length + '-';
  if (nspName !== '/') t += nspName + ',';
  if (id >= 0) t += id;
  return t + arrayJson;
}

/** [event, ...args] as JSON text, from the args' text. */
function eventJson(ev, json) {
  const name = JSON.stringify(String(ev));
  return json.length > 2 ? '[' + name + ',' + json.slice(1) : '[' + name + ']';
}

/** The WebSocket frame of an Engine.IO message (text, unmasked), as the
 * buffers ws's Sender.frame() gives: socket.io passes it with broadcasts
 * (options.wsPreEncodedFrame).  sioc's core builds its own, once. */
function wsFrame(text) {
  const data = Buffer.from('4' + text);
  const n = data.length;
  let head;
  if (n < 126) {
    head = Buffer.from([0x81, n]);
  } else if (n < 65536) {
    head = Buffer.from([0x81, 126, n >> 8, n & 0xff]);
  } else {
    head = Buffer.alloc(10);
    head[0] = 0x81;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return [head, data];
}

/** Emits packetCreate on conn for a packet (text, then its attachments). */
function packetCreate(conn, text, bins, options) {
  conn.emit('packetCreate', { type: 'message', data: text, options });
  if (bins) for (const b of bins) conn.emit('packetCreate', { type: 'message', data: b, options });
}

// ---- acks: the C side carries integer tokens, the callbacks stay here ----

const pendingAcks = new Map();
let nextToken = 1;
function registerAck(fn) {
  const t = nextToken;
  nextToken = nextToken >= 0xfffffff0 ? 1 : nextToken + 1;
  pendingAcks.set(t, fn);
  return t;
}

// The callback registered for token, forgotten (it runs once), or undefined.
function takeAck(token) {
  const fn = pendingAcks.get(token);
  pendingAcks.delete(token);
  return fn;
}

function timeoutError() {
  return new Error('operation has timed out');
}

function check(r, what) {
  if (r && r !== SIOC_ECLOSED) {
    const err = new Error(`${what}: ${binding.strerror(r)}`);
    err.code = binding.errName(r);
    throw err;
  }
  return r;
}

// ---- C -> JS ---------------------------------------------------------------------

// The Socket of every handle the core has given out (the core passes
// handles, not objects: see node/addon/addon.c).  An entry goes when the
// core releases its handle: after "disconnect", or a refusal.
const byHandle = [];

function socketsOf(handles) {
  const out = [];
  for (const h of handles) if (byHandle[h]) out.push(byHandle[h]);
  return out;
}

binding.init({
  socketNew(nsp, h, id) {
    nsp._onSocketNew(h, id);
  },
  connection(h) {
    const socket = byHandle[h];
    if (socket) socket._onconnect();
  },
  event(h, name, json, atts, ackId) {
    const socket = byHandle[h];
    if (socket) socket._onevent(name, json, atts, ackId);
  },
  disconnecting(h, reason) {
    const socket = byHandle[h];
    if (socket) socket._ondisconnecting(reason);
  },
  disconnect(h, reason) {
    const socket = byHandle[h];
    byHandle[h] = undefined;
    if (socket) socket._onclose(reason);
  },
  ack(token, err, json, atts) {
    const fn = pendingAcks.get(token);
    if (fn) {
      pendingAcks.delete(token);
      fn(err, json, atts);
    }
  },
  bcastAck(token, err, json) {
    const fn = pendingAcks.get(token);
    if (fn) {
      pendingAcks.delete(token);
      fn(err, json);
    }
  },
  newNsp(server, name, authJson, req) {
    server._resolveNsp(name, authJson, req);
  },
  closed(server) {
    server._onCoreClosed();
  },
  allowRequest(server, hs, token) {
    server._allowRequest(hs, token);
  },
  cors(server, origin) {
    return server._corsAllowed(origin);
  },
  connectionError(server, e) {
    server.engine._onConnectionError(e);
  },
  cluster(token, err, json, message) {
    const fn = takeAck(token);
    if (fn) fn(err, json, message);
  },
  fetchData(nsp, request, ids) {
    nsp._onFetchData(request, ids);
  },
  serverSide(nsp, json, ack) {
    nsp._onServerSide(json, ack);
  },
  upgrade(h) {
    const socket = byHandle[h];
    if (socket && socket._conn) socket._conn.emit('upgrade', socket._conn.transport);
  },
  error(h, message) {
    // socket.io's Client.onerror: the decoder's error, then the close
    const socket = byHandle[h];
    if (socket) socket._onerror(new Error(message));
  },
  pendingClose(h, reason) {
    // the connection of a socket still in its middlewares went away: its
    // conn hears engine.io's 'close'; the decision to come is ignored
    const socket = byHandle[h];
    if (socket && socket._conn) socket._conn.emit('close', reason);
  },
});

// ---- the cluster: createRedisAdapter() ---------------------------------------------------

const kRedis = Symbol('sioc.redisAdapter');

/**
 * createRedisAdapter(url, { key, requestsTimeout, publishOnSpecificResponseChannel,
 * maxMessageBytes, maxBufferedBytes }): the value of the `adapter` option that
 * makes a server a member of the cluster of `url`, in @socket.io/redis-adapter
 * 8.x's wire format (the adapter itself is the C core's).
 */
function createRedisAdapter(url, opts = {}) {
  if (typeof url !== 'string' || !/^redis:\/\//.test(url)) {
    throw new TypeError(`sioc: createRedisAdapter() needs a redis:// URL, got ${typeName(url)}`);
  }
  if (opts === null || typeof opts !== 'object') {
    throw new TypeError('sioc: createRedisAdapter() options must be an object');
  }
  const MiB16 = 16 * 1024 * 1024;
  const conf = { url, key: 'socket.io', requestsTimeout: 5000, publishOnSpecificResponseChannel: false,
    maxMessageBytes: MiB16, maxBufferedBytes: MiB16 };
  const positive = (k, v, max) => {
    if (typeof v !== 'number' || !(v >= 1) || v > max) {
      throw new TypeError(`sioc: redis adapter option "${k}" must be a positive number`);
    }
    return Math.floor(v);
  };
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined) continue;
    switch (k) {
      case 'key':
        if (typeof v !== 'string' || !v) throw new TypeError('sioc: redis adapter option "key" must be a non-empty string');
        conf.key = v;
        break;
      case 'requestsTimeout':
        conf.requestsTimeout = positive(k, v, 0xffffffff);
        break;
      case 'maxMessageBytes':
      case 'maxBufferedBytes':
        conf[k] = positive(k, v, Number.MAX_SAFE_INTEGER);
        break;
      case 'publishOnSpecificResponseChannel':
        conf.publishOnSpecificResponseChannel = !!v;
        break;
      default:
        throw new TypeError(`sioc: redis adapter option "${k}" is not supported ` +
          '(key, requestsTimeout, publishOnSpecificResponseChannel, maxMessageBytes, maxBufferedBytes)');
    }
  }
  const factory = function sioc_redis_adapter() {
    throw new TypeError('sioc: pass createRedisAdapter() as the "adapter" option of a sioc Server');
  };
  factory[kRedis] = Object.freeze(conf);
  return factory;
}

// The core words cluster errors as socket.io does.
function clusterError(err, message, what) {
  return new Error(message || `${what}: ${binding.strerror(err)}`);
}

/** A socket of another server of the cluster (socket.io's RemoteSocket). */
class RemoteSocket {
  constructor(nsp, details) {
    this.id = details.id;
    this.handshake = details.handshake;
    this.rooms = new Set(details.rooms);
    this.data = details.data;
    this._operator = new BroadcastOperator(nsp, new Set([this.id]), new Set(),
      { expectSingleResponse: true });
  }

  timeout(ms) {
    return this._operator.timeout(ms);
  }

  emit(ev, ...args) {
    return this._operator.emit(ev, ...args);
  }

  join(room) {
    return this._operator.socketsJoin(room);
  }

  leave(room) {
    return this._operator.socketsLeave(room);
  }

  disconnect(close = false) {
    this._operator.disconnectSockets(close);
    return this;
  }
}

// Runs a cluster query; resolves with the parsed JSON answer.
function clusterQuery(start, what) {
  return new Promise((resolve, reject) => {
    const token = registerAck((err, json, message) => {
      if (err) return reject(clusterError(err, message, what));
      try {
        resolve(JSON.parse(json));
      } catch (e) {
        reject(e);
      }
    });
    const r = start(token);
    if (r) {
      pendingAcks.delete(token);
      reject(new Error(`${what}: ${binding.strerror(r)}`));
    }
  });
}

// ---- handshake -----------------------------------------------------------------------

function headersOf(raw) {
  const headers = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i].toLowerCase();
    if (headers[k] === undefined) headers[k] = raw[i + 1];
    else if (k === 'set-cookie') headers[k] = [].concat(headers[k], raw[i + 1]);
    else headers[k] += (k === 'cookie' ? '; ' : ', ') + raw[i + 1];
  }
  return headers;
}

function buildHandshake(hs, authJson) {
  let auth = {};
  try {
    auth = JSON.parse(authJson || '{}');
  } catch (_) { /* the core validated it */ }
  if (!hs) {
    return { headers: {}, time: new Date().toString(), address: '', xdomain: false,
      secure: false, issued: Date.now(), url: '', query: {}, auth };
  }
  const headers = headersOf(hs.rawHeaders);
  return {
    headers,
    time: new Date(hs.time).toString(),
    address: hs.address,
    xdomain: !!headers.origin,
    secure: hs.secure,
    issued: hs.time,
    url: hs.url,
    query: Object.assign({}, querystring.parse(hs.query)),
    auth,
  };
}

// ---- Socket -------------------------------------------------------------------------------

// What an idle socket holds is what an idle connection costs: the parts a
// socket may never need (the handshake object, data, flags, middlewares)
// are made on first use.  The handshake is read from the core then, and
// made before the core lets go of it (disconnecting, or a refusal).
class Socket extends EventEmitter {
  constructor(nsp, h, id) {
    super();
    this.nsp = nsp;
    this._h = h;
    this.id = id;
    this.connected = false;
    this.recovered = false;
    this._handshake = undefined;
    this._data = undefined;
    this._flags = null;
    this._fns = null;
    this._anyListeners = null;
    this._anyOutgoingListeners = null;
  }

  get server() { return this.nsp.server; }
  get adapter() { return this.nsp.adapter; }

  get handshake() {
    if (this._handshake === undefined) {
      const info = this._h >= 0 ? binding.sockInfo(this._h) : null;
      this._handshake = buildHandshake(info && info[2], info ? info[1] : '{}');
    }
    return this._handshake;
  }

  set handshake(v) { this._handshake = v; }

  get data() {
    if (this._data === undefined) this._data = {};
    return this._data;
  }

  set data(v) { this._data = v; }

  /** Modifiers for the next emit (socket.io's socket.flags). */
  get flags() {
    if (!this._flags) this._flags = {};
    return this._flags;
  }

  set flags(v) { this._flags = v; }

  get disconnected() {
    return !this.connected;
  }

  /** The underlying connection, in engine.io's shape (the parts that
   * exist): an EventEmitter that emits 'upgrade' (the new transport) when
   * it moves to WebSocket and 'close' (reason) when it ends; engine.io's
   * packet-level events are not emitted. */
  get conn() {
    if (this._conn) return this._conn;
    const h = this._h;
    const self = this;
    const conn = new EventEmitter();
    Object.defineProperties(conn, {
      id: { value: this.id, enumerable: true },
      transport: { get() { return { name: self._h >= 0 ? binding.transport(h) : undefined }; } },
      readyState: { get() { return self.connected ? 'open' : 'closed'; } },
      remoteAddress: { value: this.handshake.address, enumerable: true },
      request: { value: this.request, enumerable: true },
    });
    conn.close = () => {
      self.disconnect(true);
      return conn;
    };
    conn._pc = false;   // someone listens to 'packetCreate'
    conn.on('newListener', (ev) => {
      if (ev === 'packetCreate' && !conn._pc) self._watchPackets(true);
    });
    conn.on('removeListener', (ev) => {
      if (ev === 'packetCreate' && conn.listenerCount('packetCreate') === 0) self._watchPackets(false);
    });
    this._conn = conn;
    return conn;
  }

  /** socket.io's Client (one per connection): here the parts code reads. */
  get client() {
    if (!this._client) {
      this._client = { conn: this.conn, request: this.request, server: this.server, id: this.id };
    }
    return this._client;
  }

  /** The first HTTP request of the session, as far as the core keeps it. */
  get request() {
    return {
      headers: this.handshake.headers,
      url: this.handshake.url,
      method: 'GET',
      connection: { remoteAddress: this.handshake.address, encrypted: this.handshake.secure },
      socket: { remoteAddress: this.handshake.address, encrypted: this.handshake.secure },
    };
  }

  get rooms() {
    return new Set(this._h >= 0 ? binding.rooms(this._h) : []);
  }

  // -- modifiers (for the next emit) --
  get volatile() {
    this.flags.volatile = true;
    return this;
  }

  compress(compress) {
    this.flags.compress = compress;
    return this;
  }

  timeout(timeout) {
    this.flags.timeout = timeout;
    return this;
  }

  get broadcast() {
    return this._newBroadcastOperator();
  }

  get local() {
    return this._newBroadcastOperator().local;
  }

  to(room) {
    return this._newBroadcastOperator().to(room);
  }

  in(room) {
    return this._newBroadcastOperator().in(room);
  }

  except(room) {
    return this._newBroadcastOperator().except(room);
  }

  _newBroadcastOperator() {
    const flags = Object.assign({}, this._flags);
    this._flags = null;
    return new BroadcastOperator(this.nsp, new Set(), new Set([this.id]), flags);
  }

  // -- sending --
  emit(ev, ...args) {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${String(ev)}" is a reserved event name`);
    const flags = this._flags || NO_FLAGS;
    this._flags = null;
    let ack;
    if (typeof args[args.length - 1] === 'function') ack = args.pop();
    const watched = this._anyOutgoingListeners !== null;   // or packetCreate
    if (watched && this._anyOutgoingListeners.length) {
      for (const l of this._anyOutgoingListeners.slice()) l.call(this, ev, ...args);
    }
    if (this._h < 0) return true;
    const [json, bins] = encode(args);
    if (watched && this._conn !== undefined && this._conn._pc) {
      packetCreate(this._conn, packetText(SIO_EVENT, this.nsp.name, bins, -1, eventJson(ev, json)),
        bins, { compress: flags.compress !== false });
    }
    const name = String(ev);
    if (ack) {
      const withErr = flags.timeout !== undefined;
      const token = registerAck((err, rjson, ratts) => {
        if (err === 0) {
          const r = decode(rjson, ratts);
          if (withErr) ack.call(this, null, ...r);
          else ack.apply(this, r);
        } else if (withErr) {
          ack.call(this, timeoutError());
        }
      });
      const timeout = withErr ? Math.max(1, Math.floor(Number(flags.timeout)) || 1) : 0;
      const r = binding.emitAck(this._h, name, json, bins, timeout, token);
      if (r) {
        pendingAcks.delete(token);
        if (withErr) setTimeout(() => ack.call(this, timeoutError()), timeout).unref();
        check(r, 'emit');
      }
    } else if (flags.volatile) {
      check(binding.nspEmit(this.nsp._core, [this.id], null, BCAST_VOLATILE, name, json, bins),
        'emit');
    } else {
      check(binding.emit(this._h, name, json, bins), 'emit');
    }
    return true;
  }

  emitWithAck(ev, ...args) {
    const withErr = this._flags !== null && this._flags.timeout !== undefined;
    return new Promise((resolve, reject) => {
      args.push((arg1, arg2) => {
        if (withErr) return arg1 ? reject(arg1) : resolve(arg2);
        return resolve(arg1);
      });
      this.emit(ev, ...args);
    });
  }

  send(...args) {
    this.emit('message', ...args);
    return this;
  }

  write(...args) {
    this.emit('message', ...args);
    return this;
  }

  // -- rooms --
  join(rooms) {
    for (const room of [].concat(rooms)) {
      if (this._h >= 0) check(binding.join(this._h, String(room), false), 'join');
    }
  }

  leave(rooms) {
    for (const room of [].concat(rooms)) {
      if (this._h >= 0) check(binding.join(this._h, String(room), true), 'leave');
    }
  }

  /** Leaves every room, its own id's included (socket.io's leaveAll). */
  leaveAll() {
    this.leave(Array.from(this.rooms));
  }

  disconnect(close = false) {
    if (!this.connected || this._h < 0) return this;
    binding.disconnect(this._h, !!close);
    return this;
  }

  // -- middlewares and catch-all listeners --
  use(fn) {
    (this._fns = this._fns || []).push(fn);
    return this;
  }

  onAny(listener) {
    (this._anyListeners = this._anyListeners || []).push(listener);
    return this;
  }

  prependAny(listener) {
    (this._anyListeners = this._anyListeners || []).unshift(listener);
    return this;
  }

  offAny(listener) {
    if (!this._anyListeners) return this;
    if (listener) {
      const i = this._anyListeners.indexOf(listener);
      if (i !== -1) this._anyListeners.splice(i, 1);
    } else {
      this._anyListeners = [];
    }
    return this;
  }

  listenersAny() {
    return this._anyListeners || [];
  }

  onAnyOutgoing(listener) {
    (this._anyOutgoingListeners = this._anyOutgoingListeners || []).push(listener);
    this.nsp._outgoing.add(this);
    return this;
  }

  prependAnyOutgoing(listener) {
    (this._anyOutgoingListeners = this._anyOutgoingListeners || []).unshift(listener);
    this.nsp._outgoing.add(this);
    return this;
  }

  offAnyOutgoing(listener) {
    if (!this._anyOutgoingListeners) return this;
    if (listener) {
      const i = this._anyOutgoingListeners.indexOf(listener);
      if (i !== -1) this._anyOutgoingListeners.splice(i, 1);
    } else {
      this._anyOutgoingListeners = [];
    }
    if (!this._anyOutgoingListeners.length && !(this._conn && this._conn._pc)) {
      this.nsp._outgoing.delete(this);
    }
    return this;
  }

  /** Starts or stops packetCreate on conn: the socket's emits and acks
   * check it where they check onAnyOutgoing listeners, broadcasts look for
   * it among the namespace's watched sockets. */
  _watchPackets(on) {
    this._conn._pc = on;
    if (on) {
      if (this._anyOutgoingListeners === null) this._anyOutgoingListeners = [];
      if (this._h >= 0) this.nsp._outgoing.add(this);
    } else if (!this._anyOutgoingListeners || !this._anyOutgoingListeners.length) {
      this.nsp._outgoing.delete(this);
    }
  }

  listenersAnyOutgoing() {
    return this._anyOutgoingListeners || [];
  }

  // -- from the core --
  _onconnect() {
    debugSocket('socket %s connected to %s', this.id, this.nsp.name);
    this.connected = true;
    this.nsp.sockets.set(this.id, this);
    this.nsp._emitConnection(this);
  }

  _onevent(name, json, atts, ackId) {
    let args;
    try {
      args = decode(json, atts);
    } catch (e) {
      debugSocket('bad event arguments: %s', e.message);
      return;
    }
    if (ackId >= 0) args.push(this._ackFn(ackId));
    if (this._anyListeners && this._anyListeners.length) {
      for (const l of this._anyListeners.slice()) l.call(this, name, ...args);
    }
    if (this._fns !== null && this._fns.length) this._dispatch([name, ...args]);
    else this._emitIncoming(name, args);
  }

  _emitIncoming(name, args) {
    if (name === 'error' && this.listenerCount('error') === 0) return;
    emitLocal.call(this, name, ...args);
  }

  _dispatch(event) {
    const fns = this._fns.slice(0);
    const done = (err) => {
      process.nextTick(() => {
        if (err) return this._onerror(err);
        if (this.connected) this._emitIncoming(event[0], event.slice(1));
      });
    };
    const run = (i) => {
      fns[i](event, (err) => {
        if (err) return done(err);
        if (i + 1 >= fns.length) return done();
        run(i + 1);
      });
    };
    run(0);
  }

  _onerror(err) {
    if (this.listenerCount('error')) {
      emitLocal.call(this, 'error', err);
    } else {
      console.error('Missing error handler on `socket`.');
      console.error(err && err.stack);
    }
  }

  _ackFn(id) {
    let sent = false;
    return (...args) => {
      if (sent || this._h < 0) return;
      sent = true;
      const [json, bins] = encode(args);
      if (this._conn !== undefined && this._conn._pc) {
        packetCreate(this._conn, packetText(SIO_ACK, this.nsp.name, bins, id, json), bins,
          { compress: true });
      }
      binding.ack(this._h, id, json, bins);
    };
  }

  _ondisconnecting(reason) {
    this.handshake;   // the core lets go of it after this
    emitLocal.call(this, 'disconnecting', reason, undefined);
  }

  _onclose(reason) {
    debugSocket('socket %s closing: %s', this.id, reason);
    this.connected = false;
    this.nsp.sockets.delete(this.id);
    this.nsp._outgoing.delete(this);
    emitLocal.call(this, 'disconnect', reason, undefined);
    this._h = -1;
    if (this._conn && !NAMESPACE_REASONS.has(reason)) this._conn.emit('close', reason);
    this.nsp._maybeCleanup();
  }
}

// ---- BroadcastOperator ------------------------------------------------------------------

class BroadcastOperator {
  constructor(nsp, rooms = new Set(), exceptRooms = new Set(), flags = {}) {
    this.nsp = nsp;
    this.rooms = rooms;
    this.exceptRooms = exceptRooms;
    this.flags = flags;
  }

  to(room) {
    const rooms = new Set(this.rooms);
    for (const r of [].concat(room)) rooms.add(r);
    return new BroadcastOperator(this.nsp, rooms, this.exceptRooms, this.flags);
  }

  in(room) {
    return this.to(room);
  }

  except(room) {
    const ex = new Set(this.exceptRooms);
    for (const r of [].concat(room)) ex.add(r);
    return new BroadcastOperator(this.nsp, this.rooms, ex, this.flags);
  }

  compress(compress) {
    return new BroadcastOperator(this.nsp, this.rooms, this.exceptRooms,
      Object.assign({}, this.flags, { compress }));
  }

  get volatile() {
    return new BroadcastOperator(this.nsp, this.rooms, this.exceptRooms,
      Object.assign({}, this.flags, { volatile: true }));
  }

  get local() {
    return new BroadcastOperator(this.nsp, this.rooms, this.exceptRooms,
      Object.assign({}, this.flags, { local: true }));
  }

  timeout(timeout) {
    return new BroadcastOperator(this.nsp, this.rooms, this.exceptRooms,
      Object.assign({}, this.flags, { timeout }));
  }

  _target() {
    const rooms = this.rooms.size ? Array.from(this.rooms, String) : null;
    const except = this.exceptRooms.size ? Array.from(this.exceptRooms, String) : null;
    const f = this.flags;
    const flags = (f.volatile ? BCAST_VOLATILE : 0) | (f.local ? BCAST_LOCAL : 0) |
      (f.compress ? BCAST_COMPRESS : 0);
    return [rooms, except, flags];
  }

  emit(ev, ...args) {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${String(ev)}" is a reserved event name`);
    const nsp = this.nsp;
    if (nsp instanceof ParentNamespace) {
      return nsp._forChildren((child) =>
        new BroadcastOperator(child, this.rooms, this.exceptRooms, this.flags).emit(ev, ...args));
    }
    let ack;
    if (typeof args[args.length - 1] === 'function') ack = args.pop();
    const [rooms, except, flags] = this._target();
    let watchers = null;   // targets whose conn listens to packetCreate
    if (nsp._outgoing.size && nsp._core) {
      for (const s of socketsOf(binding.nspSockets(nsp._core, rooms, except))) {
        if (s._anyOutgoingListeners) {
          for (const l of s._anyOutgoingListeners.slice()) l.call(s, ev, ...args);
        }
        if (s._conn !== undefined && s._conn._pc) (watchers = watchers || []).push(s);
      }
    }
    if (!nsp._core) {
      if (ack) process.nextTick(() => ack(null, []));
      return true;
    }
    const [json, bins] = encode(args);
    if (watchers) {
      const text = packetText(SIO_EVENT, nsp.name, bins, -1, eventJson(ev, json));
      const options = { preEncoded: true, volatile: !!this.flags.volatile,
        compress: this.flags.compress !== false };
      if (!bins) options.wsPreEncodedFrame = wsFrame(text);
      for (const s of watchers) packetCreate(s._conn, text, bins, options);
    }
    if (!ack) {
      check(binding.nspEmit(nsp._core, rooms, except, flags, String(ev), json, bins), 'emit');
      return true;
    }
    const timeout = this.flags.timeout;
    const single = !!this.flags.expectSingleResponse;
    const token = registerAck((err, rjson) => {
      let responses = [];
      try {
        responses = JSON.parse(rjson);
      } catch (_) { /* keep [] */ }
      if (err === SIOC_ETIMEDOUT) ack(timeoutError(), single ? null : responses);
      else ack(null, single ? responses[0] : responses);
    });
    const ms = timeout === undefined ? 0 : Math.max(1, Math.floor(Number(timeout)) || 1);
    const r = binding.nspEmitAck(nsp._core, rooms, except, flags, String(ev), json, bins, ms, token);
    if (r) {
      pendingAcks.delete(token);
      check(r, 'emit');
    }
    return true;
  }

  emitWithAck(ev, ...args) {
    return new Promise((resolve, reject) => {
      args.push((err, responses) => {
        if (!err) return resolve(responses);
        err.responses = responses;   /* the acks that did arrive (socket.io) */
        return reject(err);
      });
      this.emit(ev, ...args);
    });
  }

  /** Local sockets of the targets, synchronously. */
  _sockets() {
    const nsp = this.nsp;
    if (nsp instanceof ParentNamespace) {
      const all = [];
      nsp._forChildren((c) => all.push(...new BroadcastOperator(c, this.rooms,
        this.exceptRooms, this.flags)._sockets()));
      return all;
    }
    if (!nsp._core) return [];
    const [rooms, except] = this._target();
    return socketsOf(binding.nspSockets(nsp._core, rooms, except));
  }

  /** Ids of the targets on every server of the cluster. */
  async allSockets() {
    return new Set((await this.fetchSockets()).map((s) => s.id));
  }

  /** The targets on every server: this server's Socket objects, and a
   * RemoteSocket for each socket of another server (rejects after the
   * adapter's requestsTimeout when a server does not answer). */
  async fetchSockets() {
    const local = this._sockets();
    const nsp = this.nsp;
    if (nsp instanceof ParentNamespace || !nsp._core || this.flags.local || !nsp.server._redis) {
      return local;
    }
    const [rooms, except, flags] = this._target();
    const remote = await clusterQuery((t) => binding.nspFetch(nsp._core, rooms, except, flags, t),
      'fetchSockets');
    return local.concat(remote.map((d) => new RemoteSocket(nsp, d)));
  }

  socketsJoin(room) {
    this._rooms(room, false);
  }

  socketsLeave(room) {
    this._rooms(room, true);
  }

  _rooms(room, leave) {
    const nsp = this.nsp;
    if (nsp instanceof ParentNamespace) {
      nsp._forChildren((c) => new BroadcastOperator(c, this.rooms, this.exceptRooms,
        this.flags)._rooms(room, leave));
      return;
    }
    if (!nsp._core) return;
    const [rooms, except] = this._target();
    check(binding.nspJoin(nsp._core, rooms, except, [].concat(room).map(String), leave),
      leave ? 'socketsLeave' : 'socketsJoin');
  }

  disconnectSockets(close = false) {
    const nsp = this.nsp;
    if (nsp instanceof ParentNamespace) {
      nsp._forChildren((c) => new BroadcastOperator(c, this.rooms, this.exceptRooms,
        this.flags).disconnectSockets(close));
      return;
    }
    if (!nsp._core) return;
    const [rooms, except] = this._target();
    check(binding.nspDisconnect(nsp._core, rooms, except, !!close), 'disconnectSockets');
  }
}

// ---- Adapter: the room index lives in C; this is a read-only view ----------------------

class Adapter extends EventEmitter {
  constructor(nsp) {
    super();
    this.nsp = nsp;
  }

  /** Map room -> Set of socket ids (socket id rooms included). */
  get rooms() {
    const map = new Map();
    if (!this.nsp._core) return map;
    const flat = binding.nspRooms(this.nsp._core);
    for (let i = 0; i < flat.length; i += 2) map.set(flat[i], new Set(flat[i + 1]));
    return map;
  }

  /** Map socket id -> Set of rooms. */
  get sids() {
    const map = new Map();
    for (const [room, ids] of this.rooms) {
      for (const id of ids) {
        if (!map.has(id)) map.set(id, new Set());
        map.get(id).add(room);
      }
    }
    return map;
  }

  socketRooms(id) {
    const s = this.nsp.sockets.get(id);
    return s ? s.rooms : undefined;
  }

  /** Number of servers of the cluster serving this namespace (1 alone). */
  serverCount() {
    const nsp = this.nsp;
    if (!nsp._core || !nsp.server._redis) return Promise.resolve(1);
    return clusterQuery((t) => binding.nspServerCount(nsp._core, t), 'serverCount');
  }

  /** Every room of the namespace on every server: a Promise of a Set. */
  async allRooms() {
    const nsp = this.nsp;
    if (!nsp._core || !nsp.server._redis) return new Set(this.rooms.keys());
    return new Set(await clusterQuery((t) => binding.nspAllRooms(nsp._core, t), 'allRooms'));
  }

  /** The 2.x form adapter.clients(rooms, fn): ids on every server. */
  clients(rooms, fn) {
    if (typeof rooms === 'function') {
      fn = rooms;
      rooms = [];
    }
    const op = new BroadcastOperator(this.nsp, new Set([].concat(rooms || [])));
    op.allSockets().then((ids) => fn(null, Array.from(ids)), (err) => fn(err));
  }
}

// ---- Namespace ----------------------------------------------------------------------------

class Namespace extends EventEmitter {
  constructor(server, name, parent) {
    super();
    this.name = name;
    this.server = server;
    this.sockets = new Map();
    this.adapter = new Adapter(this);
    this._fns = [];
    this._core = null;
    this._outgoing = new Set();
    this._parent = parent || null;
    if (server._core && !(this instanceof ParentNamespace)) this._attachCore();
  }

  _attachCore() {
    this._core = binding.nspOf(this.server._core, this.name, this);
  }

  use(fn) {
    (this._fns = this._fns || []).push(fn);
    return this;
  }

  to(room) {
    return new BroadcastOperator(this).to(room);
  }

  in(room) {
    return new BroadcastOperator(this).in(room);
  }

  except(room) {
    return new BroadcastOperator(this).except(room);
  }

  emit(ev, ...args) {
    return new BroadcastOperator(this).emit(ev, ...args);
  }

  emitWithAck(ev, ...args) {
    return new BroadcastOperator(this).emitWithAck(ev, ...args);
  }

  send(...args) {
    this.emit('message', ...args);
    return this;
  }

  write(...args) {
    this.emit('message', ...args);
    return this;
  }

  /** Emits to the other servers of the cluster (their namespace's
   * listeners, not clients).  With an ack, ack(err, answers) gets one answer
   * per other server, or a timeout error and the answers so far.  Alone,
   * nothing is sent and acks get []. */
  serverSideEmit(ev, ...args) {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${String(ev)}" is a reserved event name`);
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    if (!this._core || !this.server._redis) {
      if (ack) process.nextTick(() => ack(null, []));
      return true;
    }
    const text = JSON.stringify([ev, ...args]);
    if (!ack) {
      check(binding.nspServerSideEmit(this._core, text, 0, -1), 'serverSideEmit');
      return true;
    }
    const token = registerAck((err, json, message) => {
      let answers = [];
      try {
        answers = JSON.parse(json);
      } catch (_) { /* keep [] */ }
      ack(err ? clusterError(err, message, 'serverSideEmit') : null, answers);
    });
    const r = binding.nspServerSideEmit(this._core, text, 0, token);
    if (r) {
      pendingAcks.delete(token);
      check(r, 'serverSideEmit');
    }
    return true;
  }

  serverSideEmitWithAck(ev, ...args) {
    return new Promise((resolve, reject) => {
      this.serverSideEmit(ev, ...args, (err, answers) => (err ? reject(err) : resolve(answers)));
    });
  }

  // -- from the cluster --

  _onServerSide(json, ackId) {
    let args;
    try {
      args = JSON.parse(json);
    } catch (_) {
      return;
    }
    if (!Array.isArray(args) || !args.length) return;
    if (ackId !== null) {
      let called = false;
      args.push((arg) => {
        if (called || !this._core) return;
        called = true;
        binding.nspServerSideAck(this._core, ackId, JSON.stringify(arg === undefined ? null : arg));
      });
    }
    emitLocal.apply(this, args);
  }

  _onFetchData(request, ids) {
    const datas = ids.map((id) => {
      const s = this.sockets.get(id);
      try {
        return JSON.stringify(s && s.data !== undefined ? s.data : {}) || '{}';
      } catch (_) {
        return '{}';
      }
    });
    binding.nspFetchDataReply(this._core, request, ids, datas);
  }

  allSockets() {
    return new BroadcastOperator(this).allSockets();
  }

  fetchSockets() {
    return new BroadcastOperator(this).fetchSockets();
  }

  socketsJoin(room) {
    return new BroadcastOperator(this).socketsJoin(room);
  }

  socketsLeave(room) {
    return new BroadcastOperator(this).socketsLeave(room);
  }

  disconnectSockets(close = false) {
    return new BroadcastOperator(this).disconnectSockets(close);
  }

  compress(compress) {
    return new BroadcastOperator(this).compress(compress);
  }

  get volatile() {
    return new BroadcastOperator(this).volatile;
  }

  get local() {
    return new BroadcastOperator(this).local;
  }

  timeout(timeout) {
    return new BroadcastOperator(this).timeout(timeout);
  }

  // -- classic (0.9) aliases --

  /** io.sockets.socket(id): the connected socket, or a no-op target. */
  socket(id) {
    return this.sockets.get(id) || this.to(id);
  }

  /** io.sockets.clients([room]): this server's sockets, synchronously
   * (0.9).  With a callback, clients([room,] fn) gives fn(err, ids) with the
   * ids on every server of the cluster (the 2.x form). */
  clients(room, fn) {
    if (typeof room === 'function') {
      fn = room;
      room = undefined;
    }
    const op = room === undefined ? new BroadcastOperator(this) : new BroadcastOperator(this).to(room);
    if (typeof fn === 'function') {
      op.allSockets().then((ids) => fn(null, Array.from(ids)), (err) => fn(err));
      return this;
    }
    return op._sockets();
  }

  /** io.sockets.manager: rooms and roomClients in 0.9's shape. */
  get manager() {
    return this.server._manager();
  }

  // -- from the core --
  _onSocketNew(h, id) {
    let socket;
    try {
      socket = new Socket(this, h, id);
      byHandle[h] = socket;
    } catch (e) {
      byHandle[h] = undefined;
      binding.reject(h, 'server error', null);
      throw e;
    }
    this._runMiddlewares(socket, (err) => {
      if (err) {
        socket.handshake;   // the core lets go of it with the refusal
        debugNsp('middleware refused %s: %s', socket.id, err && err.message);
        let data = null;
        if (err && err.data !== undefined) {
          try {
            data = JSON.stringify(err.data);
          } catch (_) { data = null; }
        }
        byHandle[h] = undefined;
        binding.reject(h, String((err && err.message) || err), data === undefined ? null : data);
        socket._h = -1;
        this._maybeCleanup();
        return;
      }
      if (socket._h < 0) return;
      if (binding.accept(h)) {   /* the client left: the core released the handle */
        if (byHandle[h] === socket) byHandle[h] = undefined;
        socket._h = -1;
      }
    });
  }

  _runMiddlewares(socket, fn) {
    const fns = this.server._classicAuth ? [this.server._classicAuth].concat(this._fns) : this._fns.slice(0);
    if (!fns.length) return fn(null);
    // A middleware that finishes later may read the handshake after the
    // client left (the core then has none): make it now.
    socket.handshake;
    let finished = false;
    const finish = (err) => {
      if (finished) return;
      finished = true;
      fn(err);
    };
    const run = (i) => {
      try {
        fns[i](socket, (err) => {
          if (err) return finish(err);
          if (i + 1 >= fns.length) return finish(null);
          run(i + 1);
        });
      } catch (e) {
        finish(e);
      }
    };
    run(0);
  }

  _emitConnection(socket) {
    emitLocal.call(this, 'connect', socket);
    emitLocal.call(this, 'connection', socket);
  }

  /** cleanupEmptyChildNamespaces: a child of a dynamic namespace goes once
   * its last socket left (on the next tick, out of the core's callback). */
  _maybeCleanup() {
    if (!this._parent || !this.server.opts.cleanupEmptyChildNamespaces) return;
    process.nextTick(() => {
      if (this.sockets.size || !this._core || this.server._nsps.get(this.name) !== this) return;
      if (binding.nspFree(this._core) !== 0) return;   /* a socket is still joining */
      debugNsp('closing child namespace %s', this.name);
      this._core = null;
      this.server._nsps.delete(this.name);
      this._parent.children.delete(this);
    });
  }
}

class ParentNamespace extends Namespace {
  constructor(server) {
    super(server, '/_' + ParentNamespace.count++);
    this.children = new Set();
  }

  _createChild(name) {
    const nsp = new Namespace(this.server, name, this);
    nsp._fns = this._fns.slice(0);
    for (const ev of ['connect', 'connection']) {
      for (const l of this.listeners(ev)) nsp.on(ev, l);
    }
    this.children.add(nsp);
    return nsp;
  }

  _forChildren(fn) {
    for (const c of this.children) fn(c);
    return true;
  }
}
ParentNamespace.count = 0;

// ---- Engine (io.engine) ------------------------------------------------------------------

class Engine extends EventEmitter {
  constructor(server) {
    super();
    this._server = server;
  }

  get clientsCount() {
    const core = this._server._core;
    return core ? binding.stats(core).sessions : 0;
  }

  /** engine.io's effective options (socket.io's defaults, then the ones given). */
  get opts() {
    return Object.assign({
      pingTimeout: 20000, pingInterval: 25000, upgradeTimeout: 10000, maxHttpBufferSize: 1e6,
      transports: ['polling', 'websocket'], allowUpgrades: true, perMessageDeflate: false,
      httpCompression: false, cors: false, allowEIO3: false, path: this._server._path + '/',
    }, this._server.opts);
  }

  /** engine.io's "connection_error": a refused handshake or request. */
  _onConnectionError(e) {
    if (this.listenerCount('connection_error') === 0) return;
    const req = {
      method: e.method,
      url: e.url,
      headers: headersOf(e.rawHeaders),
      rawHeaders: e.rawHeaders,
      connection: { remoteAddress: e.address },
      socket: { remoteAddress: e.address },
    };
    this.emit('connection_error', { req, code: e.code, message: e.message, context: {} });
  }
}

// ---- io.httpServer in listen(port) mode -----------------------------------------------------

/** `io.httpServer` when sioc listens itself (new Server(port), listen(port)):
 * the listening socket belongs to the C core, so this is no http.Server; it
 * has the parts of net.Server that code reads: address(), listening,
 * close([cb]) (closes the io server) and the 'close' event. */
class CoreListener extends EventEmitter {
  constructor(server, host, port) {
    super();
    this._server = server;
    this._address = { address: host, family: host.includes(':') ? 'IPv6' : 'IPv4', port };
    this.listening = true;
  }

  address() {
    return this.listening ? Object.assign({}, this._address) : null;
  }

  close(cb) {
    this._server.close(cb);
    return this;
  }

  ref() { return this; }

  unref() { return this; }

  _onClosed() {
    this.listening = false;
    this.emit('close');
  }
}

// ---- options ------------------------------------------------------------------------------

const JS_OPTIONS = new Set(['serveClient', 'allowRequest', 'adapter', 'parser',
  'connectionStateRecovery', 'cleanupEmptyChildNamespaces', 'wsEngine', 'host', 'cors']);

const CLIENT_FILES = {
  'socket.io.js': 'application/javascript; charset=utf-8',
  'socket.io.js.map': 'application/json; charset=utf-8',
  'socket.io.min.js': 'application/javascript; charset=utf-8',
  'socket.io.min.js.map': 'application/json; charset=utf-8',
  'socket.io.esm.min.js': 'application/javascript; charset=utf-8',
  'socket.io.esm.min.js.map': 'application/json; charset=utf-8',
  'socket.io.msgpack.min.js': 'application/javascript; charset=utf-8',
  'socket.io.msgpack.min.js.map': 'application/json; charset=utf-8',
};

/** The encoding socket.io's sendFile picks (the accepts package): the
 * highest q, then the first in the header, among br, gzip and deflate ("*"
 * stands for them in that order); null for identity. */
function pickEncoding(header) {
  if (!header) return null;
  const supported = ['br', 'gzip', 'deflate'];
  let best = null;
  let bestQ = 0;
  let wildQ = 0;
  const explicit = new Set();
  for (const part of String(header).split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    let q = 1;
    for (const p of params) {
      const m = /^\s*q=([0-9.]+)\s*$/.exec(p);
      if (m) q = Number(m[1]);
    }
    if (name === '*') wildQ = q;
    else if (supported.includes(name)) {
      explicit.add(name);
      if (q > bestQ) {
        best = name;
        bestQ = q;
      }
    }
  }
  if (wildQ > bestQ) {
    const rest = supported.find((e) => !explicit.has(e));
    if (rest) best = rest;
  }
  return best;
}

/** socket.io-client's dist file `name`: its bytes, its version and its
 * compressed forms (made on first use), or null when not installed. */
const clientFiles = new Map();
function clientFile(name) {
  if (clientFiles.has(name)) return clientFiles.get(name);
  let f = null;
  try {
    const pkg = require.resolve('socket.io-client/package.json');
    const data = fs.readFileSync(path.join(path.dirname(pkg), 'dist', name));
    const version = JSON.parse(fs.readFileSync(pkg, 'utf8')).version;
    const zlib = require('zlib');
    const made = new Map();
    const make = { br: zlib.brotliCompressSync, gzip: zlib.gzipSync, deflate: zlib.deflateSync };
    f = {
      version,
      encoded(enc) {
        if (!enc) return data;
        if (!made.has(enc)) made.set(enc, make[enc](data));
        return made.get(enc);
      },
    };
  } catch (_) {
    f = null;
  }
  clientFiles.set(name, f);
  return f;
}

function typeName(v) {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function json(v) {
  return JSON.stringify(v === undefined ? null : v);
}

// ---- Server ---------------------------------------------------------------------------------

class Server {
  constructor(srv, opts) {
    if (srv && typeof srv === 'object' && !isHttpServer(srv) && opts === undefined) {
      opts = srv;
      srv = undefined;
    }
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
      throw new TypeError(`sioc: options must be an object, got ${typeName(opts)}`);
    }
    this._core = null;
    this._redis = null;           // createRedisAdapter()'s settings
    this._pairs = new Map();      // option name -> JSON text (for the core)
    this._values = new Map();     // option name -> value as given (io.get)
    this._path = '/socket.io';
    this._serveClient = true;
    this._allowRequestFn = null;
    this._corsFn = null;
    this._classicAuth = null;
    this._host = undefined;
    this._nsps = new Map();
    this._parentNsps = new Map();
    this._closeWaiters = [];
    this._closed = false;
    this.httpServer = null;
    this.engine = new Engine(this);
    this.opts = Object.assign({}, opts);
    for (const k of Object.keys(opts || {})) {
      if (opts[k] !== undefined) this._setOption(k, opts[k], false);
    }
    this.sockets = this.of('/');
    if (srv !== undefined && srv !== null) this.attach(srv);
  }

  // -- options --

  _setOption(name, value, classic) {
    if (this._core) {
      throw new Error(`sioc: cannot change option "${name}" after the server started ` +
        '(options apply before listen()/attach())');
    }
    switch (name) {
      case 'serveClient':
      case 'browser client':
        if (typeof value !== 'boolean') {
          throw new TypeError(`sioc: option "${name}" must be true or false, got ${typeName(value)}`);
        }
        this._serveClient = value;
        break;
      case 'allowRequest':
        if (typeof value !== 'function') {
          throw new TypeError(`sioc: option "allowRequest" must be a function, got ${typeName(value)}`);
        }
        this._allowRequestFn = value;
        break;
      case 'authorization':
        if (typeof value !== 'function') {
          throw new TypeError(`sioc: option "authorization" must be a function, got ${typeName(value)}`);
        }
        this._classicAuth = classicAuthorization(value);
        break;
      case 'adapter':
        if (typeof value !== 'function' || !value[kRedis]) {
          throw new TypeError('sioc: option "adapter" takes createRedisAdapter(url, opts) ' +
            "from 'sioc' (the adapter is part of sioc's C core)");
        }
        this._redis = value[kRedis];
        break;
      case 'parser':
      case 'wsEngine':
        throw new TypeError(`sioc: option "${name}" is not supported: the ${name} is part of sioc's C core`);
      case 'connectionStateRecovery':
        throw new TypeError('sioc: option "connectionStateRecovery" is not supported');
      case 'cleanupEmptyChildNamespaces':
        if (typeof value !== 'boolean') {
          throw new TypeError(`sioc: option "${name}" must be true or false, got ${typeName(value)}`);
        }
        break;
      case 'host':
        if (typeof value !== 'string') {
          throw new TypeError(`sioc: option "host" must be a string, got ${typeName(value)}`);
        }
        this._host = value;
        break;
      case 'log level':
      case 'log':
        if (name === 'log' && typeof value !== 'boolean') {
          throw new TypeError('sioc: option "log" must be true or false');
        }
        if (name === 'log level' && typeof value !== 'number') {
          throw new TypeError('sioc: option "log level" must be a number (0-3)');
        }
        break;
      case 'cors': {
        if (value && typeof value === 'object' && !Array.isArray(value)) {
          const o = value.origin;
          const fnLike = typeof o === 'function' || o instanceof RegExp ||
            (Array.isArray(o) && o.some((x) => x instanceof RegExp));
          if (fnLike) {
            this._corsFn = corsMatcher(o);
            const rest = Object.assign({}, value);
            delete rest.origin;
            this._checkCore('cors', json(rest));
            break;
          }
          this._corsFn = null;
        }
        this._checkCore('cors', json(value));
        break;
      }
      case 'path': {
        this._checkCore(name, json(value));
        let p = String(value).replace(/\/$/, '');
        if (p[0] !== '/') p = '/' + p;
        this._path = p;
        break;
      }
      case 'resource':
        this._checkCore(name, json(value));
        this._path = String(value).replace(/\/$/, '');
        if (this._path[0] !== '/') this._path = '/' + this._path;
        break;
      default:
        if (!classic && JS_OPTIONS.has(name)) break;
        this._checkCore(name, json(value));
    }
    this._values.set(name, value);
    if (!classic) this.opts[name] = value;
  }

  /** Validates name=value with the core's option table, then keeps it. */
  _checkCore(name, text) {
    const pairs = Array.from(this._pairs);
    pairs.push([name, text]);
    binding.optionsCheck(pairs);
    this._pairs.set(name, text);
  }

  path(v) {
    if (!arguments.length) return this._path;
    this._setOption('path', v, false);
    return this;
  }

  serveClient(v) {
    if (!arguments.length) return this._serveClient;
    this._setOption('serveClient', v, false);
    return this;
  }

  connectTimeout(v) {
    if (v === undefined) return this._values.get('connectTimeout') ?? 45000;
    this._setOption('connectTimeout', v, false);
    return this;
  }

  adapter(v) {
    if (v === undefined) return this._redis ? this.opts.adapter : Adapter;
    this._setOption('adapter', v, false);
    return this;
  }

  // -- classic (0.9) configuration --

  /** io.set(key, value): classic keys map to options; unknown keys throw. */
  set(key, value) {
    this._setOption(String(key), value, true);
    return this;
  }

  get(key) {
    return this._values.get(key);
  }

  enable(key) {
    return this.set(key, true);
  }

  disable(key) {
    return this.set(key, false);
  }

  enabled(key) {
    return !!this._values.get(key);
  }

  disabled(key) {
    return !this._values.get(key);
  }

  /** io.configure([env...,] fn): fn runs when NODE_ENV (default
   * "development") is one of the envs, or always without envs. */
  configure(...args) {
    const fn = args.pop();
    if (typeof fn !== 'function') throw new TypeError('sioc: configure() needs a function');
    const env = process.env.NODE_ENV || 'development';
    if (!args.length || args.some((e) => e === env)) fn.call(this);
    return this;
  }

  /** io.sockets.manager (0.9): rooms and roomClients of this server,
   * synchronously; manager.cluster() resolves to the same shape with the
   * sockets of every server of the cluster. */
  _manager() {
    const m = this._managerLocal();
    Object.defineProperty(m, 'cluster', { value: () => this._managerCluster() });
    return m;
  }

  async _managerCluster() {
    const rooms = {};
    const roomClients = {};
    for (const nsp of this._nsps.values()) {
      if (!nsp._core) continue;
      const prefix = nsp.name === '/' ? '' : nsp.name;
      const sockets = await nsp.fetchSockets();
      rooms[prefix] = sockets.map((s) => s.id);
      for (const s of sockets) {
        (roomClients[s.id] = roomClients[s.id] || {})[prefix] = true;
        for (const room of s.rooms) {
          if (room === s.id) continue;
          (rooms[prefix + '/' + room] = rooms[prefix + '/' + room] || []).push(s.id);
          roomClients[s.id][prefix + '/' + room] = true;
        }
      }
    }
    return { rooms, roomClients };
  }

  _managerLocal() {
    const rooms = {};
    const roomClients = {};
    for (const nsp of this._nsps.values()) {
      if (!nsp._core) continue;
      const prefix = nsp.name === '/' ? '' : nsp.name;
      rooms[prefix] = Array.from(nsp.sockets.keys());
      for (const id of nsp.sockets.keys()) {
        (roomClients[id] = roomClients[id] || {})[prefix] = true;
      }
      for (const [room, ids] of nsp.adapter.rooms) {
        if (nsp.sockets.has(room) && ids.size === 1 && ids.has(room)) continue;
        rooms[prefix + '/' + room] = Array.from(ids);
        for (const id of ids) (roomClients[id] = roomClients[id] || {})[prefix + '/' + room] = true;
      }
    }
    return { rooms, roomClients };
  }

  // -- namespaces --

  of(name, fn) {
    if (typeof name === 'function' || name instanceof RegExp) {
      const parent = new ParentNamespace(this);
      if (typeof name === 'function') {
        this._parentNsps.set(name, parent);
      } else {
        const re = name;
        parent._regex = re;
        this._parentNsps.set((nsp, auth, next) => next(null, re.test(nsp)), parent);
      }
      if (fn) parent.on('connect', fn);
      return parent;
    }
    name = String(name);
    if (name[0] !== '/') name = '/' + name;
    let nsp = this._nsps.get(name);
    if (!nsp) {
      // socket.io: a name that a RegExp parent matches becomes its child
      for (const parent of this._parentNsps.values()) {
        if (parent._regex && parent._regex.test(name)) {
          nsp = parent._createChild(name);
          this._nsps.set(name, nsp);
          emitLocal.call(this.sockets, 'new_namespace', nsp);
          if (fn) nsp.on('connect', fn);
          return nsp;
        }
      }
      debug('initializing namespace %s', name);
      nsp = new Namespace(this, name);
      this._nsps.set(name, nsp);
      if (name !== '/' && this.sockets) emitLocal.call(this.sockets, 'new_namespace', nsp);
    }
    if (fn) nsp.on('connect', fn);
    return nsp;
  }

  /** socket.io's _checkNamespace: the io.of(fn) checks in turn, each
   * answering now or later through next(err, allow); the client's CONNECT
   * waits in the core until answer() runs (once). */
  _resolveNsp(name, authJson, req) {
    let answered = false;
    const answer = (nsp) => {
      if (answered) return;
      answered = true;
      binding.nspAnswer(req, nsp && nsp._core ? nsp._core : null);
    };
    if (this._nsps.has(name)) return answer(this._nsps.get(name));
    let auth = {};
    try {
      auth = JSON.parse(authJson);
    } catch (_) { /* the core validated it */ }
    const checks = Array.from(this._parentNsps);
    const run = (i) => {
      if (i >= checks.length) return answer(null);
      const [fn, parent] = checks[i];
      let called = false;
      const next = (err, allow) => {
        if (called) return;
        called = true;
        if (err || !allow) return run(i + 1);
        // another CONNECT may have created it meanwhile (socket.io #4136)
        let nsp = this._nsps.get(name);
        if (!nsp) {
          nsp = parent._createChild(name);
          this._nsps.set(name, nsp);
          emitLocal.call(this.sockets, 'new_namespace', nsp);
        }
        return answer(nsp);
      };
      try {
        fn(name, auth, next);
      } catch (e) {
        debug('namespace check threw: %s', e && e.message);
        next(e);
      }
    };
    run(0);
  }

  // -- the socket.io API of the main namespace --

  use(fn) {
    this.sockets.use(fn);
    return this;
  }

  to(room) { return this.sockets.to(room); }

  in(room) { return this.sockets.in(room); }

  except(room) { return this.sockets.except(room); }

  emit(ev, ...args) { return this.sockets.emit(ev, ...args); }

  emitWithAck(ev, ...args) { return this.sockets.emitWithAck(ev, ...args); }

  send(...args) {
    this.sockets.emit('message', ...args);
    return this;
  }

  write(...args) {
    this.sockets.emit('message', ...args);
    return this;
  }

  serverSideEmit(ev, ...args) { return this.sockets.serverSideEmit(ev, ...args); }

  serverSideEmitWithAck(ev, ...args) { return this.sockets.serverSideEmitWithAck(ev, ...args); }

  allSockets() { return this.sockets.allSockets(); }

  fetchSockets() { return this.sockets.fetchSockets(); }

  socketsJoin(room) { return this.sockets.socketsJoin(room); }

  socketsLeave(room) { return this.sockets.socketsLeave(room); }

  disconnectSockets(close = false) { return this.sockets.disconnectSockets(close); }

  compress(c) { return this.sockets.compress(c); }

  get volatile() { return this.sockets.volatile; }

  get local() { return this.sockets.local; }

  timeout(ms) { return this.sockets.timeout(ms); }

  // -- listening --

  _ensureCore() {
    if (this._core) return this._core;
    // socket.io can listen again once close() finished (its callback ran).
    this._closed = false;
    this._core = binding.serverNew(this, Array.from(this._pairs),
      !!this._allowRequestFn, !!this._corsFn);
    if (this._redis) {
      const c = this._redis;
      check(binding.useRedis(this._core, c.url, c.key, c.requestsTimeout,
        c.publishOnSpecificResponseChannel, c.maxMessageBytes, c.maxBufferedBytes), 'adapter');
    }
    for (const nsp of this._nsps.values()) {
      if (!(nsp instanceof ParentNamespace)) nsp._attachCore();
    }
    if (this._serveClient) this._serveClientFiles();
    return this._core;
  }

  _serveClientFiles() {
    let dir;
    try {
      dir = path.join(path.dirname(require.resolve('socket.io-client/package.json')), 'dist');
    } catch (_) {
      debug('socket.io-client not found: not serving the client bundle');
      return;
    }
    for (const [file, type] of Object.entries(CLIENT_FILES)) {
      let data;
      try {
        data = fs.readFileSync(path.join(dir, file));
      } catch (_) {
        continue;
      }
      binding.serve(this._core, `${this._path}/${file}`, type, data);
    }
  }

  /** socket.io's name for io.engine. */
  get eio() {
    return this.engine;
  }

  /** The port sioc listens on itself (listen(port) mode), else undefined. */
  get port() {
    return this._port;
  }

  listen(srv, opts) {
    return this.attach(srv, opts);
  }

  attach(srv, opts) {
    if (typeof srv === 'function') {
      throw new Error('You are trying to attach socket.io to an express request handler function. ' +
        'Please pass a http.Server instance.');
    }
    if (opts) {
      for (const k of Object.keys(opts)) if (opts[k] !== undefined) this._setOption(k, opts[k], false);
    }
    if (typeof srv === 'number' || (typeof srv === 'string' && /^\d+$/.test(srv))) {
      const port = Number(srv);
      const core = this._ensureCore();
      if (this._host) {
        this._port = binding.listen(core, this._host, port);
      } else {
        try {
          this._port = binding.listen(core, '::', port);
        } catch (e) {
          if (e.code === 'EADDRINUSE') throw e;
          this._port = binding.listen(core, '0.0.0.0', port);
        }
      }
      debug('listening on port %d', this._port);
      this.httpServer = new CoreListener(this, this._host || '::', this._port);
      return this;
    }
    if (!isHttpServer(srv)) {
      throw new TypeError('sioc: attach() needs a port number or an http.Server');
    }
    this._ensureCore();
    this._attachHttp(srv);
    return this;
  }

  _matches(url) {
    const p = this._path + '/';
    return typeof url === 'string' && (url.startsWith(p) || url === this._path ||
      url.startsWith(this._path + '?'));
  }

  _attachHttp(srv) {
    this.httpServer = srv;
    const previous = srv.listeners('request').slice(0);
    srv.removeAllListeners('request');
    const onRequest = (req, res) => {
      if (this._serveClient && this._core && this._serveClientFile(req, res)) return;
      if (this._core && this._matches(req.url)) {
        this._adoptRequest(req, res);
      } else {
        for (const l of previous) l.call(srv, req, res);
      }
    };
    const onUpgrade = (req, socket, head) => {
      if (this._core && this._matches(req.url)) {
        this._adopt(req.socket || socket, serializeRequest(req, head));
      } else if (srv.listeners('upgrade').length === 1) {
        // nobody else handles it: close it as engine.io's destroyUpgrade does
        setTimeout(() => {
          if (socket.writable && socket.bytesWritten <= 0) socket.end();
        }, 1000).unref();
      }
    };
    srv.on('request', onRequest);
    srv.on('upgrade', onUpgrade);
    this._detachHttp = () => {
      srv.removeListener('request', onRequest);
      srv.removeListener('upgrade', onUpgrade);
      for (const l of previous) srv.on('request', l);
    };
  }

  /** In attach mode the client bundle is served here, as socket.io's
   * serve() does: ETag (the client's version) and 304, br/gzip/deflate,
   * CORS headers.  false when req is not for one of its files. */
  _serveClientFile(req, res) {
    if (req.method !== 'GET' || typeof req.url !== 'string') return false;
    const prefix = this._path + '/';
    if (!req.url.startsWith(prefix)) return false;
    const name = req.url.slice(prefix.length).replace(/\?.*$/, '');
    const type = CLIENT_FILES[name];
    if (!type) return false;
    const file = clientFile(name);
    if (!file) return false;
    for (const [k, v] of this._corsHeadersFor(req.headers.origin)) res.setHeader(k, v);
    const etag = `"${file.version}"`;
    const inm = req.headers['if-none-match'];
    if (inm && (inm === etag || inm === 'W/' + etag)) {
      res.writeHead(304);
      res.end();
      return true;
    }
    res.setHeader('Cache-Control', 'public, max-age=0');
    res.setHeader('Content-Type', type);
    res.setHeader('ETag', etag);
    const enc = pickEncoding(req.headers['accept-encoding']);
    if (enc) res.setHeader('Content-Encoding', enc);
    res.writeHead(200);
    res.end(file.encoded(enc));
    return true;
  }

  /** CORS headers for a client-bundle answer (the cors package's rules). */
  _corsHeadersFor(origin) {
    const cors = this._values.get('cors');
    const out = [];
    if (!cors) return out;
    const o = cors === true ? {} : cors;
    let allow = null;
    if (this._corsFn) allow = origin && this._corsFn(origin) ? origin : null;
    else if (o.origin === undefined || o.origin === '*') allow = '*';
    else if (o.origin === true) allow = origin || null;
    else if (typeof o.origin === 'string') allow = o.origin;
    else if (Array.isArray(o.origin)) allow = origin && o.origin.includes(origin) ? origin : null;
    if (!allow) return out;
    out.push(['Access-Control-Allow-Origin', allow]);
    if (allow !== '*') out.push(['Vary', 'Origin']);
    if (o.credentials) out.push(['Access-Control-Allow-Credentials', 'true']);
    return out;
  }

  _adoptRequest(req, res) {
    if (req.method === 'POST') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => this._adopt(req.socket, serializeRequest(req, Buffer.concat(chunks), true)));
      return;
    }
    this._adopt(req.socket, serializeRequest(req, null));
  }

  _adopt(socket, head) {
    const fd = socket && socket._handle && socket._handle.fd;
    if (typeof fd !== 'number' || fd < 0 || !this._core) {
      if (socket) socket.destroy();
      return;
    }
    const r = binding.adopt(this._core, fd, head);
    if (r) debug('adopt failed: %s', binding.strerror(r));
    // The core holds its own copy of the descriptor; this one goes without
    // a byte written.
    socket.destroy();
  }

  /** socket.io's allowRequest(req, callback): the handshake waits in C until
   * the callback runs, now or later; its first call decides. */
  _allowRequest(hs, token) {
    const fn = this._allowRequestFn;
    let decided = false;
    const decide = (message) => {
      if (decided) return;
      decided = true;
      binding.requestDecide(token, message);
    };
    if (!fn) {
      decide(null);
      return;
    }
    const req = {
      headers: headersOf(hs.rawHeaders),
      rawHeaders: hs.rawHeaders,
      url: hs.url,
      method: 'GET',
      _query: Object.assign({}, querystring.parse(hs.query)),
      connection: { remoteAddress: hs.address, encrypted: hs.secure },
      socket: { remoteAddress: hs.address, encrypted: hs.secure },
    };
    try {
      fn(req, (err, success) => {
        if (success) decide(null);
        else decide(typeof err === 'string' ? err : (err && err.message) || 'Forbidden');
      });
    } catch (e) {
      decide('Server error');
      throw e;
    }
  }


  _corsAllowed(origin) {
    return this._corsFn ? this._corsFn(origin) : false;
  }

  // -- closing --

  close(fn) {
    const p = new Promise((resolve) => {
      const done = (err) => {
        if (fn) fn(err);
        resolve();
      };
      if (this._closed) {
        process.nextTick(done);
        return;
      }
      this._closed = true;
      let http = this.httpServer;
      if (http instanceof CoreListener) {
        const own = http;   /* the core's own listener: closed with the core */
        this._closeWaiters.push(() => own._onClosed());
        http = null;
      }
      let pending = 1 + (http ? 1 : 0);
      let error;
      const one = (err) => {
        if (err && !error) error = err;
        if (--pending === 0) done(error);
      };
      if (this._core) {
        this._closeWaiters.push(() => one());
        const r = binding.close(this._core);
        if (r) one();
      } else {
        one();
      }
      if (http) {
        if (this._detachHttp) this._detachHttp();
        // as socket.io: httpServer.close(fn), ERR_SERVER_NOT_RUNNING included
        http.close((err) => one(err));
      }
    });
    return p;
  }

  _onCoreClosed() {
    debug('core closed');
    this._core = null;
    for (const nsp of this._nsps.values()) nsp._core = null;
    const w = this._closeWaiters;
    this._closeWaiters = [];
    for (const f of w) f();
  }

  // -- leak checks --

  /** Live objects of this server's core: connections, sessions, sockets. */
  stats() {
    return this._core ? binding.stats(this._core) : { connections: 0, sessions: 0, sockets: 0 };
  }
}

// EventEmitter methods act on the main namespace, as in socket.io.
for (const fn of ['on', 'once', 'off', 'addListener', 'removeListener', 'removeAllListeners',
  'prependListener', 'prependOnceListener', 'listeners', 'rawListeners', 'listenerCount',
  'eventNames', 'setMaxListeners', 'getMaxListeners']) {
  Server.prototype[fn] = function (...args) {
    const r = this.sockets[fn](...args);
    return r === this.sockets ? this : r;
  };
}

function isHttpServer(srv) {
  return srv && typeof srv === 'object' && typeof srv.listen === 'function' &&
    typeof srv.on === 'function' && typeof srv.listeners === 'function';
}

/** The request as bytes for the core: request line, raw headers, body. */
function serializeRequest(req, body, isPost) {
  let head = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i].toLowerCase();
    if (isPost && (k === 'content-length' || k === 'transfer-encoding')) continue;
    head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  if (isPost) head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  const h = Buffer.from(head, 'latin1');
  return body && body.length ? Buffer.concat([h, body]) : h;
}

/** cors.origin as a function / RegExp / list: a synchronous matcher. */
function corsMatcher(o) {
  if (typeof o === 'function') {
    return (origin) => {
      let ok = false;
      o(origin, (err, allow) => {
        ok = !err && (allow === true || allow === origin ||
          (allow instanceof RegExp && allow.test(origin)) ||
          (Array.isArray(allow) && allow.includes(origin)));
      });
      return ok;
    };
  }
  const list = [].concat(o);
  return (origin) => list.some((x) => (x instanceof RegExp ? x.test(origin) : x === origin));
}

/** io.set('authorization', fn(handshakeData, cb(err, authorized))) as a
 * middleware in front of every namespace's own. */
function classicAuthorization(fn) {
  return (socket, next) => {
    fn(socket.handshake, (err, authorized) => {
      if (err) return next(err instanceof Error ? err : new Error(String(err)));
      if (!authorized) return next(new Error('not authorized'));
      next();
    });
  };
}

module.exports = { Server, Namespace, Socket, BroadcastOperator, ParentNamespace, Adapter,
  RemoteSocket, createRedisAdapter, RESERVED_EVENTS };
