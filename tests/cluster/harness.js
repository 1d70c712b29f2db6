'use strict';
// Processes of the cluster tests: a private redis-server and the servers,
// each started on a free 127.0.0.1 port and stopped (by pid) afterwards.
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Resolves with the first stdout line matching re; rejects on exit/timeout.
function waitLine(child, re, what, ms = 15000) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${what}: no "${re}" within ${ms} ms:\n${buf}`)), ms);
    const onData = (d) => {
      buf += d.toString();
      const m = buf.match(re);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before "${re}":\n${buf}`));
    });
  });
}

class Redis {
  async start(port) {
    this.port = port || this.port || await freePort();
    this.dir = this.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'sioc-cluster-redis-'));
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1',
      '--save', '', '--appendonly', 'no', '--dir', this.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitLine(this.proc, /Ready to accept connections/, 'redis-server');
    this.url = `redis://127.0.0.1:${this.port}`;
    return this;
  }

  stop() {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }

  async cleanup() {
    await this.stop();
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// A server of the cluster: cmd prints "listening on http://127.0.0.1:PORT".
class ServerProc {
  constructor(name, cmd, args, env) {
    this.name = name;
    this.cmd = cmd;
    this.args = args;
    this.env = env;
    this.log = '';
  }

  async start() {
    this.proc = spawn(this.cmd, this.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: Object.assign({}, process.env, this.env || {}),
    });
    this.proc.stderr.on('data', (d) => { this.log += d.toString(); });
    const m = await waitLine(this.proc, /listening on http:\/\/[\d.]+:(\d+)/, this.name);
    this.url = `http://127.0.0.1:${m[1]}`;
    return this;
  }

  stop() {
    const p = this.proc;
    if (!p || p.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => p.kill('SIGKILL'), 5000);
      p.once('exit', (code, signal) => {
        clearTimeout(t);
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
      p.kill('SIGTERM');
    });
  }
}

module.exports = { freePort, Redis, ServerProc };
