// servers.js - starts and stops the chat demo's servers (examples/chat) as
// child processes on 127.0.0.1, for the browser and protocol tests.
//
// Every child is tracked until it has exited; an exit of this process (a
// failed test, mocha's --exit, a signal) SIGKILLs whatever is still running,
// so no server outlives the tests.
'use strict';

const { spawn } = require('child_process');
const net = require('net');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const CHAT = path.join(ROOT, 'examples', 'chat');

const VARIANTS = {
  node: () => [process.execPath, [path.join(CHAT, 'server.js')]],
  python: () => [process.env.PYTHON || 'python3', [path.join(CHAT, 'server.py')]],
};

const live = new Set();
function killAll() {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch (_) { /* already gone */ }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

/** A port that was free a moment ago on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

class ChatServer {
  constructor(variant, port) {
    if (!VARIANTS[variant]) throw new Error(`unknown server variant ${variant}`);
    this.variant = variant;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.child = null;
    this.output = '';   // stdout + stderr, for failure messages
  }

  /** Starts the server; resolves once it printed its URL (it listens). */
  start(timeoutMs = 20000) {
    const [cmd, args] = VARIANTS[this.variant]();
    const child = spawn(cmd, [...args, '--host', '127.0.0.1', '--port', String(this.port)], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      env: Object.assign({}, process.env, { PYTHONUNBUFFERED: '1' }),
    });
    this.child = child;
    live.add(child);
    child.on('exit', () => live.delete(child));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.variant} chat server did not start in ${timeoutMs} ms:\n${this.output}`));
      }, timeoutMs);
      const onData = (chunk) => {
        this.output += chunk;
        if (this.output.includes(this.url)) {
          clearTimeout(timer);
          resolve(this);
        }
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', (chunk) => { this.output += chunk; });
      child.on('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`${this.variant} chat server exited (${code ?? sig}) before listening:\n${this.output}`));
      });
    });
  }

  /** SIGTERM (the server closes cleanly), SIGKILL if it takes over timeoutMs. */
  stop(timeoutMs = 5000) {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}

/** Starts `variant` on a free port (retrying if another process took it). */
async function startChat(variant) {
  for (let attempt = 1; ; attempt++) {
    const server = new ChatServer(variant, await freePort());
    try {
      return await server.start();
    } catch (err) {
      await server.stop();
      if (attempt >= 3 || !/EADDRINUSE|address already in use/i.test(err.message)) throw err;
    }
  }
}

module.exports = { ROOT, ChatServer, startChat, freePort, VARIANTS: Object.keys(VARIANTS) };
