'use strict';
// Event arguments <-> JSON text + attachments, with socket.io-parser's
// semantics (deconstructPacket / reconstructPacket): Buffers, ArrayBuffers,
// typed arrays and DataViews anywhere in the arguments (nested objects and
// arrays, objects with toJSON) become {"_placeholder":true,"num":N}.

function isBinary(obj) {
  return Buffer.isBuffer(obj) || obj instanceof ArrayBuffer || ArrayBuffer.isView(obj);
}

function hasBinary(obj, toJSON) {
  if (!obj || typeof obj !== 'object') return false;
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) if (hasBinary(obj[i])) return true;
    return false;
  }
  if (isBinary(obj)) return true;
  if (obj.toJSON && typeof obj.toJSON === 'function' && !toJSON) {
    return hasBinary(obj.toJSON(), true);
  }
  for (const key in obj) {
    if (Object.prototype.hasOwnProperty.call(obj, key) && hasBinary(obj[key])) return true;
  }
  return false;
}

function toBuffer(b) {
  if (Buffer.isBuffer(b)) return b;
  if (b instanceof ArrayBuffer) return Buffer.from(b);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function deconstruct(data, buffers) {
  if (!data) return data;
  if (isBinary(data)) {
    const placeholder = { _placeholder: true, num: buffers.length };
    buffers.push(toBuffer(data));
    return placeholder;
  }
  if (Array.isArray(data)) {
    const out = new Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = deconstruct(data[i], buffers);
    return out;
  }
  if (typeof data === 'object' && !(data instanceof Date)) {
    // toJSON() is applied here so that binary in its result is sent as
    // attachments too (hasBinary looks through toJSON the same way).
    if (typeof data.toJSON === 'function') return deconstruct(data.toJSON(), buffers);
    const out = {};
    for (const key in data) {
      if (Object.prototype.hasOwnProperty.call(data, key)) out[key] = deconstruct(data[key], buffers);
    }
    return out;
  }
  return data;
}

/* -> [json, buffers|undefined] for an array of arguments */
function encode(args) {
  if (!hasBinary(args)) return [JSON.stringify(args), undefined];
  const buffers = [];
  const json = JSON.stringify(deconstruct(args, buffers));
  return [json, buffers];
}

function reconstruct(data, buffers) {
  if (!data || typeof data !== 'object') return data;
  if (data._placeholder === true) {
    if (typeof data.num === 'number' && data.num >= 0 && data.num < buffers.length) {
      return buffers[data.num];
    }
    throw new Error('illegal attachments');
  }
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) data[i] = reconstruct(data[i], buffers);
  } else {
    for (const key in data) {
      if (Object.prototype.hasOwnProperty.call(data, key)) data[key] = reconstruct(data[key], buffers);
    }
  }
  return data;
}

/* JSON array text + attachments -> array of arguments */
function decode(json, buffers) {
  const args = JSON.parse(json);
  return buffers ? reconstruct(args, buffers) : args;
}

module.exports = { encode, decode, hasBinary, isBinary };
