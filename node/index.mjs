// ESM entry point: the same objects as the CommonJS one.
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const sioc = require('./index.js');

export const { Server, Namespace, Socket, BroadcastOperator, ParentNamespace, RemoteSocket,
  createRedisAdapter, addonStats } = sioc;
export default sioc;
