'use strict';
// sioc/client: socket.io-client 4.x's API (io, Manager, Socket) over sioc's C
// client (csrc/client_*.c through node/addon/client.c), on Node's own loop.
//
// The C manager does the work (Engine.IO transports and upgrade,
// reconnection with backoff, the offline buffer, acks and their timeouts);
// this file keeps listeners and ack callbacks and turns arguments into JSON
// text + Buffers (./binary.js, the server's convention).  Event names come
// from C (sioc_client_event_name): the socket.io 4 name and the classic one
// of SEED-API.md both fire, and the manager's own.
//
// A C manager exists while one of its sockets is active: when the last one
// disconnects (or is refused by the server), it is closed, so that no uv
// handle keeps the process alive; the next connect() makes a new one.
const fs = require('fs');
const os = require('os');
const path = require('path');
const binding = require('./binding');
const { encode, decode } = require('./binary');

/* sioc_client_event_kind_t */
const K = {
  CONNECTING: 1, CONNECT: 2, CONNECT_ERROR: 3, DISCONNECT: 4, EVENT: 5, OPEN: 6, CLOSE: 7,
  PING: 8, ERROR: 9, RECONNECT_ATTEMPT: 10, RECONNECT_ERROR: 11, RECONNECT: 12,
  RECONNECT_FAILED: 13,
};
/* NAMES[kind] = [socket.io 4 name on a socket, classic name on a socket, manager name] */
const NAMES = [];
for (let k = 1; k <= K.RECONNECT_FAILED; k++) {
  NAMES[k] = [0, 1, 2].map((flavor) => binding.clientEventName(k, flavor));
}
const E_CLOSED = -30003;
const E_TIMEDOUT = -30006;

const RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting',
  'newListener', 'removeListener']);

/* @socket.io/component-emitter's API (no throw on an unhandled 'error'). */
class Emitter {
  constructor() { this._callbacks = new Map(); }
  on(ev, fn) {
    const l = this._callbacks.get(ev);
    if (l) l.push(fn);
    else this._callbacks.set(ev, [fn]);
    return this;
  }
  addEventListener(ev, fn) { return this.on(ev, fn); }
  once(ev, fn) {
    const self = this;
    function wrapper(...args) {
      self.off(ev, wrapper);
      fn.apply(this, args);
    }
    wrapper.fn = fn;
    return this.on(ev, wrapper);
  }
  off(ev, fn) {
    if (ev === undefined) {
      this._callbacks.clear();
      return this;
    }
    const l = this._callbacks.get(ev);
    if (!l) return this;
    if (fn === undefined) {
      this._callbacks.delete(ev);
      return this;
    }
    for (let i = 0; i < l.length; i++) {
      if (l[i] === fn || l[i].fn === fn) {
        l.splice(i, 1);
        break;
      }
    }
    if (!l.length) this._callbacks.delete(ev);
    return this;
  }
  removeListener(ev, fn) { return this.off(ev, fn); }
  removeAllListeners(ev) { return this.off(ev); }
  removeEventListener(ev, fn) { return this.off(ev, fn); }
  emit(ev, ...args) {
    const l = this._callbacks.get(ev);
    if (l) for (const fn of l.slice()) fn.apply(this, args);
    return this;
  }
  emitReserved(ev, ...args) { return Emitter.prototype.emit.call(this, ev, ...args); }
  listeners(ev) { return (this._callbacks.get(ev) || []).slice(); }
  hasListeners(ev) { return !!this.listeners(ev).length; }
}

/* ---- acks ---------------------------------------------------------------- */

const acks = new Map();   /* token -> { fn, withError, socket } */
let nextToken = 0;

function onAck(token, err, json, atts) {
  const a = acks.get(token);
  if (!a) return;
  acks.delete(token);
  if (err === 0) {
    let args;
    try {
      args = decode(json, atts);
    } catch (e) {
      args = [];
    }
    if (a.withError) args.unshift(null);
    a.fn.apply(a.socket, args);
  } else if (err === E_TIMEDOUT) {
    a.fn.call(a.socket, new Error('operation has timed out'));
  } else if (a.withError) {
    a.fn.call(a.socket, new Error(err === E_CLOSED ? 'socket has been disconnected'
      : binding.strerror(err)));
  }
}

function check(r, what) {
  if (typeof r === 'number' && r !== 0) {
    const e = new Error(`sioc: ${what}: ${binding.strerror(r)}`);
    e.code = binding.errName(r);
    throw e;
  }
  return r;
}

function makeError(message, data, err) {
  const e = new Error(message || 'error');
  if (data !== null && data !== undefined) {
    try {
      e.data = JSON.parse(data);
    } catch (_) {
      e.data = data;
    }
  }
  if (err) {
    e.code = binding.errName(err);
    // engine.io-client's TransportError shape for failures below Socket.IO
    if (e.data === undefined) e.type = 'TransportError';
  }
  return e;
}

/* ---- Socket --------------------------------------------------------------- */

class Socket extends Emitter {
  constructor(io, nsp, opts = {}) {
    super();
    this.io = io;
    this.nsp = nsp;
    this.auth = opts.auth;
    this.flags = {};
    this.recovered = false;
    this.receiveBuffer = [];
    this.sendBuffer = [];
    this._opts = Object.assign({}, opts);
    this._c = null;
    this._any = [];
    this._anyOut = [];
    if (io._autoConnect) this.open();
  }

  get id() {
    const s = this._c ? binding.clientState(this._c) : 0;
    return typeof s === 'string' ? s : undefined;
  }
  get connected() { return !!this._c && typeof binding.clientState(this._c) === 'string'; }
  get disconnected() { return !this.connected; }
  get active() { return !!this._c && binding.clientState(this._c) !== 0; }
  get volatile() {
    this.flags.volatile = true;
    return this;
  }

  timeout(ms) {
    this.flags.timeout = ms;
    return this;
  }

  compress() { return this; }

  /* The C socket, made (with its C manager) when needed. */
  _ensure() {
    if (this._c) return this._c;
    const m = this.io._ensure();
    this._c = check(binding.clientSocket(m, this.nsp, this), 'socket');
    // auth as a callback: re-evaluated (socket.auth or auth(cb)) on every attempt
    check(binding.clientSetAuth(this._c, null, true), 'auth');
    return this._c;
  }

  connect() {
    if (this.connected) return this;
    check(binding.clientConnect(this._ensure()), 'connect');
    return this;
  }

  open() { return this.connect(); }

  disconnect() {
    if (this._c) {
      binding.clientDisconnect(this._c);
      this.io._maybeClose();
    }
    return this;
  }

  close() { return this.disconnect(); }

  send(...args) {
    this.emit('message', ...args);
    return this;
  }

  emit(ev, ...args) {
    if (RESERVED.has(ev)) throw new Error(`"${String(ev)}" is a reserved event name`);
    const flags = this.flags;
    this.flags = {};
    let ack;
    if (args.length && typeof args[args.length - 1] === 'function') ack = args.pop();
    if (this._anyOut.length && this.connected) {
      for (const fn of this._anyOut.slice()) fn.call(this, ev, ...args);
    }
    const c = this._ensure();
    const [json, bufs] = encode(args);
    let token = -1;
    let timeout = 0;
    if (ack) {
      const t = flags.timeout !== undefined ? flags.timeout : this._opts.ackTimeout;
      token = nextToken;
      nextToken = (nextToken + 1) >>> 0;
      acks.set(token, { fn: ack, withError: !!ack.withError || t !== undefined, socket: this });
      timeout = t || 0;
    }
    const r = binding.clientEmit(c, String(ev), json, bufs, flags.volatile ? 1 : 0, timeout, token);
    if (r !== 0) {
      if (ack) acks.delete(token);
      check(r, `emit "${String(ev)}"`);
    }
    return this;
  }

  emitWithAck(ev, ...args) {
    return new Promise((resolve, reject) => {
      const fn = (err, value) => (err ? reject(err) : resolve(value));
      fn.withError = true;
      args.push(fn);
      this.emit(ev, ...args);
    });
  }

  onAny(fn) { this._any.push(fn); return this; }
  prependAny(fn) { this._any.unshift(fn); return this; }
  offAny(fn) {
    if (!fn) this._any = [];
    else this._any = this._any.filter((f) => f !== fn);
    return this;
  }
  listenersAny() { return this._any.slice(); }
  onAnyOutgoing(fn) { this._anyOut.push(fn); return this; }
  prependAnyOutgoing(fn) { this._anyOut.unshift(fn); return this; }
  offAnyOutgoing(fn) {
    if (!fn) this._anyOut = [];
    else this._anyOut = this._anyOut.filter((f) => f !== fn);
    return this;
  }
  listenersAnyOutgoing() { return this._anyOut.slice(); }

  _ack(c, id) {
    let sent = false;
    return (...args) => {
      if (sent) return;
      sent = true;
      const [json, bufs] = encode(args);
      binding.clientAck(c, id, json, bufs);
    };
  }
}

/* C -> JS (this = the Socket) */
function onSocketMessage(name, json, atts, ackId) {
  let args;
  try {
    args = decode(json, atts);
  } catch (e) {
    return;
  }
  if (ackId >= 0) args.push(this._ack(this._c, ackId));
  for (const fn of this._any.slice()) fn.call(this, name, ...args);
  Emitter.prototype.emit.call(this, name, ...args);
}

function onSocketEvent(kind, message, data, err, attempt) {
  const names = NAMES[kind];
  if (!names) return;
  let args;
  switch (kind) {
    case K.CONNECTING:
      args = [this.io._c ? binding.clientTransport(this.io._c) : null];
      break;
    case K.CONNECT_ERROR:
    case K.ERROR:
    case K.RECONNECT_ERROR:
      args = [makeError(message, data, err)];
      break;
    case K.DISCONNECT:
      args = [message];
      break;
    case K.RECONNECT_ATTEMPT:
    case K.RECONNECT:
      args = [attempt];
      break;
    default:
      args = [];
  }
  if (names[0]) Emitter.prototype.emit.call(this, names[0], ...args);
  if (names[1] && names[1] !== names[0]) Emitter.prototype.emit.call(this, names[1], ...args);
  if (kind === K.DISCONNECT || kind === K.CONNECT_ERROR) this.io._maybeClose();
}

/* ---- Manager -------------------------------------------------------------- */

function parseUri(uri) {
  let s = uri === undefined || uri === null ? 'http://localhost' : String(uri);
  if (s.startsWith('//')) s = 'http:' + s;
  else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = 'http://' + s;
  const u = new URL(s);
  const proto = u.protocol.replace(/:$/, '').toLowerCase();
  const port = u.port || ({ http: '80', ws: '80', https: '443', wss: '443' })[proto] || '';
  return {
    source: s,
    base: `${proto}://${u.host}`,
    id: `${proto}://${u.hostname}:${port}`,
    nsp: decodeURIComponent(u.pathname || '/') || '/',
    query: u.search ? u.search.slice(1) : '',
  };
}

function queryString(q) {
  if (q === undefined || q === null) return undefined;
  if (typeof q === 'string') return q.replace(/^\?/, '');
  const parts = [];
  for (const k of Object.keys(q)) {
    if (q[k] === undefined) continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(q[k]))}`);
  }
  return parts.join('&');
}

const TRANSPORT_BITS = { polling: 1, websocket: 2 };

let caSeq = 0;

class Manager extends Emitter {
  constructor(uri, opts) {
    super();
    if (uri && typeof uri === 'object') {
      opts = uri;
      uri = undefined;
    }
    this.opts = opts = opts || {};
    this.uri = uri;
    this._url = parseUri(uri);
    this.nsps = {};
    this._c = null;
    this._autoConnect = opts.autoConnect !== false;
  }

  reconnection(v) { return this._opt('reconnection', v); }
  reconnectionAttempts(v) { return this._opt('reconnectionAttempts', v); }
  reconnectionDelay(v) { return this._opt('reconnectionDelay', v); }
  reconnectionDelayMax(v) { return this._opt('reconnectionDelayMax', v); }
  randomizationFactor(v) { return this._opt('randomizationFactor', v); }
  timeout(v) { return this._opt('timeout', v); }

  /* getter / setter; a new value applies from the next connection. */
  _opt(name, v) {
    if (v === undefined) return this._options()[name];
    this.opts[name] = v;
    return this;
  }

  _options() {
    const o = this.opts;
    const pick = (v, d) => (v === undefined || v === null ? d : v);
    return {
      reconnection: o.reconnection !== false,
      reconnectionAttempts: pick(o.reconnectionAttempts, Infinity),
      reconnectionDelay: pick(o.reconnectionDelay, 1000),
      reconnectionDelayMax: pick(o.reconnectionDelayMax, 5000),
      randomizationFactor: pick(o.randomizationFactor, 0.5),
      timeout: o.timeout === false ? 0 : pick(o.timeout, 20000),
    };
  }

  _ensure() {
    if (this._c) return this._c;
    const o = this.opts;
    const copts = this._options();
    let p = o.path || '/socket.io';
    if (o.addTrailingSlash !== false && !p.endsWith('/')) p += '/';
    copts.path = p;
    let mask = 0;
    for (const t of o.transports || ['polling', 'websocket']) mask |= TRANSPORT_BITS[t] || 0;
    copts.transports = mask || 3;
    copts.upgrade = o.upgrade !== false;
    const q = o.query !== undefined ? queryString(o.query) : this._url.query;
    if (q) copts.query = q;
    if (o.extraHeaders) {
      copts.extraHeaders = Object.keys(o.extraHeaders).map((k) => [k, String(o.extraHeaders[k])]);
    }
    if (o.rejectUnauthorized === false) copts.rejectUnauthorized = false;
    let caFile;
    if (o.ca) {
      // the C client loads a CA bundle from a file (at sioc_manager_new)
      const pem = [].concat(o.ca).map((c) => c.toString()).join('\n');
      caFile = path.join(os.tmpdir(), `sioc-ca-${process.pid}-${caSeq++}.pem`);
      fs.writeFileSync(caFile, pem, { mode: 0o600 });
      copts.caFile = caFile;
    }
    let r;
    try {
      r = binding.clientManagerNew(this, this._url.base, copts);
    } finally {
      if (caFile) fs.rmSync(caFile, { force: true });
    }
    this._c = check(r, `io("${this._url.source}")`);
    return this._c;
  }

  /* Closes the C manager once no socket of it is active. */
  _maybeClose() {
    if (!this._c) return;
    for (const nsp of Object.keys(this.nsps)) {
      const s = this.nsps[nsp];
      if (s._c && binding.clientState(s._c) !== 0) return;
    }
    const c = this._c;
    this._c = null;
    for (const nsp of Object.keys(this.nsps)) this.nsps[nsp]._c = null;
    binding.clientManagerClose(c);
  }

  socket(nsp, opts) {
    let socket = this.nsps[nsp];
    if (!socket) {
      socket = new Socket(this, nsp, opts);
      this.nsps[nsp] = socket;
    } else if (this._autoConnect && !socket.active) {
      socket.connect();
    }
    return socket;
  }

  /* Connection happens when a socket connects; fn hears the next open or
   * error. */
  open(fn) {
    if (fn) {
      const onOpen = () => { this.off('error', onErr); fn(); };
      const onErr = (err) => { this.off('open', onOpen); fn(err); };
      this.once('open', onOpen);
      this.once('error', onErr);
    }
    return this;
  }

  connect(fn) { return this.open(fn); }

  /* "polling" / "websocket" while open, else null. */
  get transport() { return this._c ? binding.clientTransport(this._c) : null; }

  _close() {
    for (const nsp of Object.keys(this.nsps)) this.nsps[nsp].disconnect();
    if (this._c) {
      const c = this._c;
      this._c = null;
      for (const nsp of Object.keys(this.nsps)) this.nsps[nsp]._c = null;
      binding.clientManagerClose(c);
    }
  }
}

/* C -> JS (this = the Manager) */
function onManagerEvent(kind, message, data, err, attempt) {
  const names = NAMES[kind];
  const name = names && names[2];
  if (!name) return;
  switch (kind) {
    case K.CLOSE:
      this.emit(name, message);
      break;
    case K.ERROR:
    case K.RECONNECT_ERROR:
      this.emit(name, makeError(message, data, err));
      break;
    case K.RECONNECT_ATTEMPT:
    case K.RECONNECT:
      this.emit(name, attempt);
      break;
    default:
      this.emit(name);
  }
}

/* C -> JS (this = the Socket): auth for this attempt */
function onAuth() {
  const c = this._c;
  const reply = (data) => {
    if (this._c !== c || !c) return;
    const json = data === undefined || data === null ? null : JSON.stringify(data);
    binding.clientAuthReply(c, json);
  };
  if (typeof this.auth === 'function') this.auth(reply);
  else reply(this.auth);
}

binding.clientInit({
  managerEvent: onManagerEvent,
  socketEvent: onSocketEvent,
  socketMessage: onSocketMessage,
  ack: onAck,
  auth: onAuth,
});

/* ---- io() ---------------------------------------------------------------- */

const cache = {};

function lookup(uri, opts) {
  if (uri && typeof uri === 'object') {
    opts = uri;
    uri = undefined;
  }
  opts = opts || {};
  const parsed = parseUri(uri);
  const sameNamespace = cache[parsed.id] && parsed.nsp in cache[parsed.id].nsps;
  const newConnection = opts.forceNew || opts['force new connection'] ||
    opts.multiplex === false || sameNamespace;
  let io;
  if (newConnection) {
    io = new Manager(uri, opts);
  } else {
    if (!cache[parsed.id]) cache[parsed.id] = new Manager(uri, opts);
    io = cache[parsed.id];
  }
  return io.socket(parsed.nsp, opts);
}

Object.assign(lookup, { Manager, Socket, io: lookup, connect: lookup });

/** The client glue's live objects (C managers and sockets, napi_refs,
 * pending acks), for leak checks. */
function clientStats() {
  const s = binding.clientStats();
  return { managers: s.managers, sockets: s.sockets, refs: s.refs, acks: s.acks, jsAcks: acks.size };
}

module.exports = { io: lookup, connect: lookup, Manager, Socket, protocol: 5, clientStats };
