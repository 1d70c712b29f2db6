'use strict';
// A tiny logger in the `debug` convention: DEBUG=sioc:* (comma or space
// separated patterns, `-name` excludes) turns namespaces on; lines go to
// stderr as "<namespace> <message> +<ms>ms".
const util = require('util');

function parse(spec) {
  const on = [];
  const off = [];
  for (const part of String(spec || '').split(/[\s,]+/)) {
    if (!part) continue;
    const neg = part[0] === '-';
    const re = new RegExp('^' + (neg ? part.slice(1) : part)
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*?') + '$');
    (neg ? off : on).push(re);
  }
  return { on, off };
}

let rules = parse(process.env.DEBUG);

function enabled(ns) {
  if (rules.off.some((r) => r.test(ns))) return false;
  return rules.on.some((r) => r.test(ns));
}

function createDebug(ns) {
  let prev = 0;
  const log = function (...args) {
    if (!log.enabled) return;
    const now = Date.now();
    const diff = prev ? now - prev : 0;
    prev = now;
    process.stderr.write(`${ns} ${util.format(...args)} +${diff}ms\n`);
  };
  log.namespace = ns;
  log.enabled = enabled(ns);
  return log;
}

createDebug.enable = (spec) => { rules = parse(spec); };
createDebug.enabled = enabled;
module.exports = createDebug;
