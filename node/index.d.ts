// Type definitions for sioc: socket.io 4.x's server API (typed events as in
// socket.io: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>).
/// <reference types="node" />
import { EventEmitter } from 'events';
import type { Server as HttpServer, IncomingHttpHeaders } from 'http';
import type { Server as HttpsServer } from 'https';

export interface EventsMap {
  [event: string]: any;
}
export interface DefaultEventsMap {
  [event: string]: (...args: any[]) => void;
}
export type EventNames<Map extends EventsMap> = keyof Map & (string | symbol);
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

type Last<T extends any[]> = T extends [...infer _H, infer L] ? L : never;
type AllButLast<T extends any[]> = T extends [...infer H, infer _L] ? H : any[];
type FirstArg<T> = T extends (arg: infer A, ...args: any[]) => any ? A : any;
type DecorateAcknowledgements<E> = {
  [K in keyof E]: E[K] extends (...args: infer P) => infer R
    ? Last<P> extends (...a: any[]) => any
      ? (...args: [...AllButLast<P>, (err: Error | null, ...res: Parameters<Last<P>>) => void]) => R
      : E[K]
    : never;
};
type DecorateAcknowledgementsWithMultipleResponses<E> = {
  [K in keyof E]: E[K] extends (...args: infer P) => infer R
    ? Last<P> extends (...a: any[]) => any
      ? (...args: [...AllButLast<P>, (err: Error | null, res: Array<FirstArg<Last<P>>>) => void]) => R
      : E[K]
    : never;
};

export type Event = [string, ...any[]];

export interface Handshake {
  headers: IncomingHttpHeaders;
  time: string;
  address: string;
  xdomain: boolean;
  secure: boolean;
  issued: number;
  url: string;
  query: Record<string, string | string[] | undefined>;
  auth: { [key: string]: any };
}

export interface CorsOptions {
  origin?: boolean | string | RegExp | Array<string | RegExp> |
    ((origin: string | undefined, cb: (err: Error | null, allow?: boolean | string) => void) => void);
  credentials?: boolean;
  methods?: string | string[];
  allowedHeaders?: string | string[];
}

export interface ServerOptions {
  /** Socket.IO mount path, "/socket.io" */
  path?: string;
  /** Serve socket.io-client's bundle at <path>/socket.io.js etc. (true) */
  serveClient?: boolean;
  pingInterval?: number;
  pingTimeout?: number;
  connectTimeout?: number;
  upgradeTimeout?: number;
  maxHttpBufferSize?: number;
  transports?: Array<'polling' | 'websocket'>;
  allowUpgrades?: boolean;
  /** Must answer synchronously in sioc. */
  allowRequest?: (req: any, fn: (err: string | null | undefined, success: boolean) => void) => void;
  cors?: CorsOptions;
  allowEIO3?: false;
  perMessageDeflate?: false;
  httpCompression?: false;
  cookie?: false;
  addTrailingSlash?: boolean;
  cleanupEmptyChildNamespaces?: boolean;
  /** sioc: limits of the C core */
  maxAttachments?: number;
  maxHeaderBytes?: number;
  maxWebSocketFragments?: number;
  maxBufferedBytes?: number;
  maxConnections?: number;
  /** sioc: the address listen(port) binds (default "::", dual stack) */
  host?: string;
  /** A cluster adapter: createRedisAdapter(url, opts) (the in-memory adapter otherwise) */
  adapter?: RedisAdapterFactory;
}

/** Options of createRedisAdapter(), named as @socket.io/redis-adapter's. */
export interface RedisAdapterOptions {
  /** Channel prefix, "socket.io" */
  key?: string;
  /** ms a cluster request (fetchSockets, allRooms, serverSideEmit acks) waits, 5000 */
  requestsTimeout?: number;
  /** answer requests on "<key>-response#<nsp>#<uid>#" instead of the shared channel */
  publishOnSpecificResponseChannel?: boolean;
  /** longer messages on the cluster's channels are dropped (logged), 16 MiB */
  maxMessageBytes?: number;
  /** bytes waiting for a Redis that does not read; past it publishes are dropped (logged), 16 MiB */
  maxBufferedBytes?: number;
}

/** What createRedisAdapter() returns: the value of the `adapter` option. */
export interface RedisAdapterFactory {
  (nsp: any): never;
}

/**
 * Joins the server to the cluster of a Redis server (redis://[[user]:pass@]host[:port][/db]),
 * in @socket.io/redis-adapter 8.x's wire format: sioc servers (C, Node,
 * Python) and socket.io servers with @socket.io/redis-adapter share rooms
 * and broadcasts.  Polling clients behind a load balancer need sticky sessions.
 */
export function createRedisAdapter(url: string, opts?: RedisAdapterOptions): RedisAdapterFactory;

/** A socket of another server of the cluster, from fetchSockets(). */
export class RemoteSocket<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = any> {
  readonly id: string;
  readonly handshake: Handshake;
  readonly rooms: Set<string>;
  readonly data: SocketData;
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  timeout(timeout: number): BroadcastOperator<EmitEvents, SocketData>;
  join(room: string | string[]): void;
  leave(room: string): void;
  disconnect(close?: boolean): this;
}

export interface ClassicRooms {
  rooms: Record<string, string[]>;
  roomClients: Record<string, Record<string, true>>;
}

export interface ClassicManager extends ClassicRooms {
  cluster(): Promise<ClassicRooms>;
}

export interface ServerStats {
  connections: number;
  sessions: number;
  sockets: number;
}

export interface AddonStats {
  sockets: number;
  refs: number;
  servers: number;
  slots: number;
}

export class BroadcastOperator<EmitEvents extends EventsMap, SocketData = any> {
  to(room: string | string[]): BroadcastOperator<EmitEvents, SocketData>;
  in(room: string | string[]): BroadcastOperator<EmitEvents, SocketData>;
  except(room: string | string[]): BroadcastOperator<EmitEvents, SocketData>;
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData>;
  get volatile(): BroadcastOperator<EmitEvents, SocketData>;
  get local(): BroadcastOperator<EmitEvents, SocketData>;
  timeout(timeout: number): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData>;
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLast<EventParams<EmitEvents, Ev>>): Promise<any[]>;
  /** ids of the targets on every server of the cluster */
  allSockets(): Promise<Set<string>>;
  /** the targets on every server: local Sockets and RemoteSockets */
  fetchSockets(): Promise<Array<Socket<any, EmitEvents, any, SocketData> | RemoteSocket<EmitEvents, SocketData>>>;
  socketsJoin(room: string | string[]): void;
  socketsLeave(room: string | string[]): void;
  disconnectSockets(close?: boolean): void;
}

export class Adapter extends EventEmitter {
  readonly nsp: Namespace;
  /** room -> socket ids (a snapshot) */
  get rooms(): Map<string, Set<string>>;
  /** socket id -> rooms (a snapshot) */
  get sids(): Map<string, Set<string>>;
  socketRooms(id: string): Set<string> | undefined;
  /** servers of the cluster serving this namespace (1 without a cluster) */
  serverCount(): Promise<number>;
  /** every room on every server of the cluster */
  allRooms(): Promise<Set<string>>;
  /** 2.x form: ids (in rooms) on every server */
  clients(fn: (err: Error | null, ids?: string[]) => void): void;
  clients(rooms: string | string[], fn: (err: Error | null, ids?: string[]) => void): void;
}

export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
> extends EventEmitter {
  readonly id: string;
  readonly nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  readonly server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  readonly adapter: Adapter;
  readonly handshake: Handshake;
  readonly recovered: boolean;
  data: SocketData;
  connected: boolean;
  get disconnected(): boolean;
  get rooms(): Set<string>;
  /** An EventEmitter: 'upgrade' (transport) when the connection moves to
   * WebSocket, 'close' (reason) when it ends (also during an asynchronous
   * middleware), 'packetCreate' (packet) for what the application sends on
   * this socket, while someone listens. */
  get conn(): EventEmitter & { readonly id: string; transport: { name: string }; readyState: string;
    remoteAddress: string; request: unknown; close(): void };
  /** socket.io's Client: the parts that exist here. */
  get client(): { conn: Socket['conn']; request: unknown; server: Server; id: string };
  get request(): { headers: IncomingHttpHeaders; url: string; method: string };

  on<Ev extends EventNames<ListenEvents>>(ev: Ev, listener: ListenEvents[Ev]): this;
  on(ev: 'disconnect' | 'disconnecting', listener: (reason: string, description?: any) => void): this;
  on(ev: 'error', listener: (err: Error) => void): this;
  once<Ev extends EventNames<ListenEvents>>(ev: Ev, listener: ListenEvents[Ev]): this;
  once(ev: 'disconnect' | 'disconnecting', listener: (reason: string, description?: any) => void): this;

  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLast<EventParams<EmitEvents, Ev>>): Promise<FirstArg<Last<EventParams<EmitEvents, Ev>>>>;
  send(...args: EventParams<EmitEvents, 'message'>): this;
  write(...args: EventParams<EmitEvents, 'message'>): this;

  get volatile(): this;
  compress(compress: boolean): this;
  timeout(timeout: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>, ServerSideEvents, SocketData>;
  get broadcast(): BroadcastOperator<EmitEvents, SocketData>;
  get local(): BroadcastOperator<EmitEvents, SocketData>;
  to(room: string | string[]): BroadcastOperator<EmitEvents, SocketData>;
  in(room: string | string[]): BroadcastOperator<EmitEvents, SocketData>;
  except(room: string | string[]): BroadcastOperator<EmitEvents, SocketData>;

  join(rooms: string | string[]): void;
  leave(rooms: string | string[]): void;
  /** Leaves every room, its own id's included. */
  leaveAll(): void;
  disconnect(close?: boolean): this;

  use(fn: (event: Event, next: (err?: Error) => void) => void): this;
  onAny(listener: (event: string, ...args: any[]) => void): this;
  prependAny(listener: (event: string, ...args: any[]) => void): this;
  offAny(listener?: (event: string, ...args: any[]) => void): this;
  listenersAny(): Array<(event: string, ...args: any[]) => void>;
  onAnyOutgoing(listener: (event: string, ...args: any[]) => void): this;
  prependAnyOutgoing(listener: (event: string, ...args: any[]) => void): this;
  offAnyOutgoing(listener?: (event: string, ...args: any[]) => void): this;
  listenersAnyOutgoing(): Array<(event: string, ...args: any[]) => void>;
}

export interface ExtendedError extends Error {
  data?: any;
}

export class Namespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
> extends EventEmitter {
  readonly name: string;
  readonly sockets: Map<string, Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>;
  readonly adapter: Adapter;
  readonly server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;

  on(ev: 'connection' | 'connect', listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  on(ev: 'new_namespace', listener: (nsp: Namespace) => void): this;
  once(ev: 'connection' | 'connect', listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  use(fn: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, next: (err?: ExtendedError) => void) => void): this;
  to(room: string | string[]): BroadcastOperator<EmitEvents, SocketData>;
  in(room: string | string[]): BroadcastOperator<EmitEvents, SocketData>;
  except(room: string | string[]): BroadcastOperator<EmitEvents, SocketData>;
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLast<EventParams<EmitEvents, Ev>>): Promise<any[]>;
  send(...args: EventParams<EmitEvents, 'message'>): this;
  write(...args: EventParams<EmitEvents, 'message'>): this;
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: EventParams<ServerSideEvents, Ev>): boolean;
  serverSideEmitWithAck(ev: string, ...args: any[]): Promise<any[]>;
  allSockets(): Promise<Set<string>>;
  fetchSockets(): Promise<Array<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | RemoteSocket<EmitEvents, SocketData>>>;
  socketsJoin(room: string | string[]): void;
  socketsLeave(room: string | string[]): void;
  disconnectSockets(close?: boolean): void;
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData>;
  get volatile(): BroadcastOperator<EmitEvents, SocketData>;
  get local(): BroadcastOperator<EmitEvents, SocketData>;
  timeout(timeout: number): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData>;

  /** classic (0.9): the connected socket with this id, or a no-op target */
  socket(id: string): Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | BroadcastOperator<EmitEvents, SocketData>;
  /** classic (0.9): this server's sockets (of a room), synchronously */
  clients(room?: string): Array<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>;
  /** with a callback (2.x form): the ids on every server of the cluster */
  clients(fn: (err: Error | null, ids?: string[]) => void): this;
  clients(room: string, fn: (err: Error | null, ids?: string[]) => void): this;
  /** classic (0.9): rooms and roomClients in 0.9's shape ("" = the namespace, "/room")
   * of this server; cluster() resolves to the same for every server */
  get manager(): ClassicManager;
}

export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  readonly children: Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>;
}

export type ParentNspNameMatchFn = (name: string, auth: { [key: string]: any },
  fn: (err: Error | null, success: boolean) => void) => void;

/** io.httpServer when sioc listens itself (new Server(port)). */
export interface CoreListener extends EventEmitter {
  readonly listening: boolean;
  address(): { address: string; family: string; port: number } | null;
  close(cb?: (err?: Error) => void): this;
}

export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
> {
  constructor(opts?: ServerOptions);
  constructor(srv?: HttpServer | HttpsServer | number, opts?: ServerOptions);
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** engine.io's events that exist here: "connection_error". */
  readonly engine: EventEmitter & { readonly clientsCount: number; readonly opts: Record<string, unknown> };
  /** socket.io's alias of engine. */
  readonly eio: Server['engine'];
  /** The attached http(s).Server; in listen(port) mode a stand-in for the
   * core's own listener (address(), listening, close()). */
  httpServer: HttpServer | HttpsServer | CoreListener | null;
  /** sioc: the port of listen(port) */
  readonly port: number | undefined;

  listen(srv: HttpServer | HttpsServer | number, opts?: ServerOptions): this;
  attach(srv: HttpServer | HttpsServer | number, opts?: ServerOptions): this;
  path(): string;
  path(v: string): this;
  serveClient(): boolean;
  serveClient(v: boolean): this;
  connectTimeout(): number;
  connectTimeout(v: number): this;
  of(nsp: string | RegExp | ParentNspNameMatchFn,
    fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void):
    Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  close(fn?: (err?: Error) => void): Promise<void>;

  on(ev: 'connection' | 'connect', listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  on(ev: 'new_namespace', listener: (nsp: Namespace) => void): this;
  once(ev: 'connection' | 'connect', listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  off(ev?: string, listener?: (...args: any[]) => void): this;
  use(fn: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, next: (err?: ExtendedError) => void) => void): this;
  to(room: string | string[]): BroadcastOperator<EmitEvents, SocketData>;
  in(room: string | string[]): BroadcastOperator<EmitEvents, SocketData>;
  except(room: string | string[]): BroadcastOperator<EmitEvents, SocketData>;
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLast<EventParams<EmitEvents, Ev>>): Promise<any[]>;
  send(...args: EventParams<EmitEvents, 'message'>): this;
  write(...args: EventParams<EmitEvents, 'message'>): this;
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: EventParams<ServerSideEvents, Ev>): boolean;
  serverSideEmitWithAck(ev: string, ...args: any[]): Promise<any[]>;
  allSockets(): Promise<Set<string>>;
  fetchSockets(): Promise<Array<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | RemoteSocket<EmitEvents, SocketData>>>;
  socketsJoin(room: string | string[]): void;
  socketsLeave(room: string | string[]): void;
  disconnectSockets(close?: boolean): void;
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData>;
  get volatile(): BroadcastOperator<EmitEvents, SocketData>;
  get local(): BroadcastOperator<EmitEvents, SocketData>;
  timeout(timeout: number): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData>;

  /** classic (0.9) configuration: keys map to options; unknown keys throw */
  set(key: string, value: any): this;
  get(key: string): any;
  enable(key: string): this;
  disable(key: string): this;
  enabled(key: string): boolean;
  disabled(key: string): boolean;
  configure(fn: (this: this) => void): this;
  configure(env: string, fn: (this: this) => void): this;
  configure(...envsAndFn: Array<string | ((this: this) => void)>): this;

  /** sioc: live objects of the C core */
  stats(): ServerStats;
}

/** sioc: the addon's live objects (JS socket wrappers, napi_refs, servers) */
export function addonStats(): AddonStats;

// ---- client: require('sioc/client') (node/client.d.ts re-exports this) ----
// socket.io-client 4.x's API on sioc's C client.  Socket events: the
// socket.io 4 ones (connect, connect_error, disconnect) and the classic ones
// (connecting, connect_failed, reconnecting, reconnect, reconnect_failed,
// error); manager events: open, close, ping, error, reconnect_attempt,
// reconnect_error, reconnect, reconnect_failed.
export namespace client {
  interface ManagerOptions {
    forceNew?: boolean;
    multiplex?: boolean;
    path?: string;
    addTrailingSlash?: boolean;
    reconnection?: boolean;
    reconnectionAttempts?: number;
    reconnectionDelay?: number;
    reconnectionDelayMax?: number;
    randomizationFactor?: number;
    timeout?: number | false;
    autoConnect?: boolean;
    transports?: Array<'polling' | 'websocket'>;
    upgrade?: boolean;
    query?: string | { [key: string]: any };
    extraHeaders?: { [header: string]: string };
    /** PEM CA certificate(s) to trust instead of the system's (https/wss). */
    ca?: string | Buffer | Array<string | Buffer>;
    /** false accepts any server certificate (default true). */
    rejectUnauthorized?: boolean;
  }
  interface SocketOptions {
    auth?: { [key: string]: any } | ((cb: (data: object) => void) => void);
    ackTimeout?: number;
  }
  type Options = ManagerOptions & SocketOptions;

  /** socket.io-client's connect_error: message, and data from middleware. */
  interface ConnectError extends Error {
    data?: any;
    type?: string;
    code?: string;
  }

  interface ReservedSocketEvents {
    connect: () => void;
    connect_error: (err: ConnectError) => void;
    disconnect: (reason: string, description?: any) => void;
    connecting: (transport: string | null) => void;
    connect_failed: (err: ConnectError) => void;
    reconnecting: (attempt: number) => void;
    reconnect: (attempt: number) => void;
    reconnect_failed: () => void;
    error: (err: Error) => void;
  }
  interface ManagerEvents {
    open: () => void;
    close: (reason: string) => void;
    ping: () => void;
    error: (err: Error) => void;
    reconnect_attempt: (attempt: number) => void;
    reconnect_error: (err: Error) => void;
    reconnect: (attempt: number) => void;
    reconnect_failed: () => void;
  }

  class Emitter<Events extends EventsMap> {
    on<Ev extends EventNames<Events>>(ev: Ev, listener: Events[Ev]): this;
    once<Ev extends EventNames<Events>>(ev: Ev, listener: Events[Ev]): this;
    off<Ev extends EventNames<Events>>(ev?: Ev, listener?: Events[Ev]): this;
    removeListener<Ev extends EventNames<Events>>(ev?: Ev, listener?: Events[Ev]): this;
    removeAllListeners<Ev extends EventNames<Events>>(ev?: Ev): this;
    listeners<Ev extends EventNames<Events>>(ev: Ev): Array<Events[Ev]>;
    hasListeners<Ev extends EventNames<Events>>(ev: Ev): boolean;
  }

  class Socket<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = ListenEvents,
  > extends Emitter<ListenEvents & ReservedSocketEvents> {
    readonly io: Manager;
    readonly nsp: string;
    readonly id: string | undefined;
    readonly connected: boolean;
    readonly disconnected: boolean;
    readonly active: boolean;
    readonly recovered: boolean;
    auth: SocketOptions['auth'];
    get volatile(): this;
    timeout(ms: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>>;
    compress(compress: boolean): this;
    connect(): this;
    open(): this;
    disconnect(): this;
    close(): this;
    emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): this;
    emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLast<EventParams<EmitEvents, Ev>>): Promise<FirstArg<Last<EventParams<EmitEvents, Ev>>>>;
    send(...args: any[]): this;
    onAny(listener: (event: string, ...args: any[]) => void): this;
    prependAny(listener: (event: string, ...args: any[]) => void): this;
    offAny(listener?: (event: string, ...args: any[]) => void): this;
    listenersAny(): Array<(event: string, ...args: any[]) => void>;
    onAnyOutgoing(listener: (event: string, ...args: any[]) => void): this;
    prependAnyOutgoing(listener: (event: string, ...args: any[]) => void): this;
    offAnyOutgoing(listener?: (event: string, ...args: any[]) => void): this;
    listenersAnyOutgoing(): Array<(event: string, ...args: any[]) => void>;
  }

  class Manager extends Emitter<ManagerEvents> {
    constructor(uri?: string, opts?: Partial<ManagerOptions>);
    constructor(opts: Partial<ManagerOptions>);
    readonly nsps: { [nsp: string]: Socket };
    readonly opts: Partial<ManagerOptions>;
    /** "polling" / "websocket" while open, else null. */
    readonly transport: string | null;
    socket<L extends EventsMap = DefaultEventsMap, E extends EventsMap = L>(nsp: string, opts?: Partial<SocketOptions>): Socket<L, E>;
    open(fn?: (err?: Error) => void): this;
    connect(fn?: (err?: Error) => void): this;
    reconnection(): boolean;
    reconnection(v: boolean): this;
    reconnectionAttempts(): number;
    reconnectionAttempts(v: number): this;
    reconnectionDelay(): number;
    reconnectionDelay(v: number): this;
    reconnectionDelayMax(): number;
    reconnectionDelayMax(v: number): this;
    randomizationFactor(): number;
    randomizationFactor(v: number): this;
    timeout(): number;
    timeout(v: number | false): this;
  }

  interface ClientStats {
    managers: number;
    sockets: number;
    refs: number;
    acks: number;
    jsAcks: number;
  }

  function io<L extends EventsMap = DefaultEventsMap, E extends EventsMap = L>(opts?: Partial<Options>): Socket<L, E>;
  function io<L extends EventsMap = DefaultEventsMap, E extends EventsMap = L>(uri: string, opts?: Partial<Options>): Socket<L, E>;
  const connect: typeof io;
  const protocol: number;
  /** The client glue's live objects, for leak checks. */
  function clientStats(): ClientStats;
}
