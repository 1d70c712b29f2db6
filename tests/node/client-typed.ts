// sioc/client typed as socket.io-client's docs show it (npm test compiles it).
import { io, Manager, Socket } from 'sioc/client';

interface ServerToClientEvents {
  news: (d: string, b: Buffer) => void;
}
interface ClientToServerEvents {
  add: (a: number, b: number, ack: (sum: number) => void) => void;
}

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io('http://127.0.0.1:1', {
  autoConnect: false, transports: ['websocket'], auth: (cb) => cb({ token: 'x' }),
  reconnectionAttempts: 3, timeout: 1000,
});
socket.on('news', (d: string, b: Buffer) => { void d; void b; });
socket.on('connect_error', (err) => { void err.data; void err.message; });
socket.on('disconnect', (reason: string) => { void reason; });
socket.on('reconnecting', (n: number) => { void n; });
socket.emit('add', 1, 2, (sum: number) => { void sum; });
socket.timeout(10).emit('add', 1, 2, (err: Error | null, sum: number) => { void err; void sum; });
const p: Promise<number> = socket.emitWithAck('add', 1, 2);
void p;
// @ts-expect-error: wrong argument type
socket.emit('add', 'x', 2, () => {});
const m = new Manager('http://127.0.0.1:1', { reconnectionDelay: 10, autoConnect: false });
m.on('reconnect_attempt', (n: number) => { void n; });
const s2 = m.socket('/admin', { auth: { token: 1 } });
s2.volatile.emit('x');
s2.disconnect();
const id: string | undefined = socket.id;
void id;
