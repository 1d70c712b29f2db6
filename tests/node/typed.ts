// Typed-events usage as socket.io's docs show it; compiled with
// `tsc --noEmit -p tests/node/tsconfig.json` (npm test).  The lines marked
// as expected errors must fail to compile: the types are enforced, not
// just present.
import { Server, Socket, addonStats } from 'sioc';
import { createServer } from 'http';

interface ServerToClientEvents {
  noArg: () => void;
  basicEmit: (a: number, b: string, c: Buffer) => void;
  withAck: (d: string, callback: (e: number) => void) => void;
}

interface ClientToServerEvents {
  hello: () => void;
  add: (a: number, b: number, ack: (sum: number) => void) => void;
}

interface InterServerEvents {
  ping: () => void;
}

interface SocketData {
  name: string;
  age: number;
}

const httpServer = createServer();
const io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(httpServer, {
  pingInterval: 10000,
  cors: { origin: ['http://localhost:3000'], credentials: true },
});

io.on('connection', (socket: Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>) => {
  socket.emit('noArg');
  socket.emit('basicEmit', 1, '2', Buffer.from([3]));
  socket.emit('withAck', '4', (e: number) => console.log(e.toFixed()));
  socket.timeout(1000).emit('withAck', '4', (err: Error | null, e: number) => console.log(err, e));
  socket.on('hello', () => {});
  socket.on('add', (a, b, ack) => ack(a + b));
  socket.data.name = 'john';
  socket.data.age = 42;
  socket.join(['room1', 'room2']);
  socket.to('room1').emit('basicEmit', 1, 'x', Buffer.alloc(0));
  socket.on('disconnect', (reason: string) => console.log(reason));
  // @ts-expect-error: wrong argument type
  socket.emit('basicEmit', 'one', '2', Buffer.from([3]));
  // @ts-expect-error: unknown event
  socket.emit('nope');
});

io.to('room').emit('noArg');
io.timeout(500).emit('withAck', 'x', (err: Error | null, responses: number[]) => console.log(err, responses.length));
io.of('/admin').use((socket, next) => next(new Error('no')));
io.of(/^\/dyn-\d+$/).on('connection', (socket) => socket.emit('noArg'));

async function later(): Promise<void> {
  const sockets = await io.fetchSockets();
  for (const s of sockets) console.log(s.id, s.data.name, [...s.rooms]);
  io.in('room').socketsJoin('other');
  io.disconnectSockets(true);
  const n: number = addonStats().sockets + io.stats().sockets;
  console.log(n);
  io.configure('production', function () {
    this.set('heartbeat interval', 20);
  });
  await io.close();
}
void later;

// ---- the Redis adapter (cluster) ----
import { createRedisAdapter, RemoteSocket } from 'sioc';
const clustered = new Server({ adapter: createRedisAdapter('redis://127.0.0.1:6379', { key: 'socket.io', requestsTimeout: 5000,
  publishOnSpecificResponseChannel: false, maxMessageBytes: 1 << 20, maxBufferedBytes: 8 << 20 }) });
async function clusterTypes(): Promise<void> {
  const all = await clustered.fetchSockets();
  for (const s of all) {
    if (s instanceof RemoteSocket) {
      const rooms: Set<string> = s.rooms;
      s.emit('hello', rooms.size);
      s.join('r');
      s.disconnect(true);
    }
  }
  const rooms: Set<string> = await clustered.of('/').adapter.allRooms();
  const n: number = await clustered.of('/').adapter.serverCount();
  const answers: any[] = await clustered.serverSideEmitWithAck('ping', rooms.size, n);
  clustered.sockets.clients((err, ids) => { if (!err && ids) ids.join(','); });
  const m = await clustered.sockets.manager.cluster();
  Object.keys(m.rooms).concat(String(answers.length));
}
void clusterTypes;
