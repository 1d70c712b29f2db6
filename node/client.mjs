// sioc/client as an ES module.
import client from './client.js';

export const { io, connect, Manager, Socket, protocol, clientStats } = client;
export default io;
