#!/usr/bin/env node
// verify_npm.js - checks every vector in this directory against the real
// JavaScript implementations (socket.io-parser, engine.io-parser, V8's JSON,
// Node's Buffer/TextDecoder/crypto).  Not part of CI: it needs the npm
// packages, which are not dependencies of sioc.  Run it after editing a
// vector:
//
//   mkdir -p /tmp/sio-ref && (cd /tmp/sio-ref && npm install socket.io@4.8.4)
//   NODE_PATH=/tmp/sio-ref/node_modules node tests/vectors/verify_npm.js
//
// A vector with "divergence" records a deliberate difference: its
// "reference" member must still be what the JavaScript side does.
"use strict";
const fs = require("fs");
const path = require("path");
const util = require("util");
const crypto = require("crypto");
const eiop = require("engine.io-parser");
const { Decoder, Encoder } = require("socket.io-parser");

let passed = 0, failed = 0;
function check(ok, what) {
  if (ok) passed++;
  else { failed++; console.log("FAIL:", what); }
}
const load = (f) => JSON.parse(fs.readFileSync(path.join(__dirname, f), "utf8"));
const input = (v, s = "input", h = "input_hex") =>
  v[h] !== undefined ? Buffer.from(v[h], "hex").toString("utf8") : v[s];
const eq = util.isDeepStrictEqual;
const label = (v) => v.comment || v.input || v.input_hex;

// ---- socketio.json
{
  const f = load("socketio.json");
  const decodeRef = (str, max) => {
    const d = new Decoder({ maxAttachments: max });
    let span;
    d.tryParse = function (s) { span = s; return Decoder.prototype.tryParse.call(this, s); };
    try {
      const p = d.decodeString(str);
      const r = { type: p.type, nsp: p.nsp };
      if (p.attachments !== undefined) r.attachments = p.attachments;
      if (p.id !== undefined) r.id = Number.isNaN(p.id) ? "NaN" : p.id;
      if (span !== undefined) { r.data = span; r.value = p.data; }
      return r;
    } catch (e) {
      return { error: /too many attachments/.test(e.message) ? "ELIMIT" : "EPROTO" };
    }
  };
  for (const v of f.decode) {
    const r = decodeRef(input(v), v.max_attachments ?? f.max_attachments);
    if (v.divergence) {
      delete r.value;
      const ref = Object.assign({}, v.reference);
      delete ref.message;
      check(eq(r, ref), "socketio decode reference " + label(v) + " " + JSON.stringify(r));
      continue;
    }
    if (v.error) { check(r.error === v.error, "socketio decode error " + label(v)); continue; }
    const want = { type: v.type, nsp: v.nsp };
    if (v.attachments !== undefined) want.attachments = v.attachments;
    if (v.id !== undefined) want.id = v.id;
    if (v.data !== undefined) { want.data = v.data; want.value = JSON.parse(v.data); }
    check(eq(r, want), "socketio decode " + label(v) + " " + JSON.stringify(r));
  }
  for (const v of f.event_split) {
    const arr = JSON.parse(v.data);
    // The name as UTF-8 bytes (a lone surrogate becomes U+FFFD).
    const name = v.name_hex !== undefined ? v.name_hex : Buffer.from(v.name).toString("hex");
    check(Buffer.from(String(arr[0])).toString("hex") === name, "event_split name " + v.data);
    check(eq(JSON.parse(v.args), arr.slice(1)), "event_split args " + v.data);
  }
  const enc = new Encoder();
  for (const v of f.encode) {
    let pkt;
    if (v.kind === "event") {
      pkt = { type: v.attachments ? 5 : 2, nsp: v.nsp, data: [v.name, ...JSON.parse(v.args)] };
      if (v.id >= 0) pkt.id = v.id;
    } else if (v.kind === "ack") {
      pkt = { type: v.attachments ? 6 : 3, nsp: v.nsp, data: JSON.parse(v.args), id: v.id };
    } else if (v.kind === "connect_error") {
      pkt = { type: 4, nsp: v.nsp, data: { message: v.message } };
      if (v.data !== undefined) pkt.data.data = JSON.parse(v.data);
    } else {
      pkt = { type: v.type, nsp: v.nsp };
      if (v.id >= 0) pkt.id = v.id;
    }
    if (v.attachments) pkt.attachments = v.attachments;
    check(enc.encodeAsString(pkt) === v.output, "socketio encode " + v.output);
  }
}

// ---- engineio.json
{
  const f = load("engineio.json");
  const TYPES = ["open", "close", "ping", "pong", "message", "upgrade", "noop"];
  const out = (p) => {
    if (p.type === "error") return null;
    const r = { type: TYPES.indexOf(p.type) };
    if (Buffer.isBuffer(p.data)) { r.binary = true; r.data_hex = p.data.toString("hex"); }
    else r.data = p.data === undefined ? "" : p.data;
    return r;
  };
  const pick = (v) => {
    const r = { type: v.type };
    if (v.binary) { r.binary = true; r.data_hex = v.data_hex; } else r.data = v.data;
    return r;
  };
  for (const v of f.decode_packet) {
    const r = out(eiop.decodePacket(input(v)));
    if (v.divergence) check(eq(r, v.reference), "engineio packet reference " + label(v));
    else if (v.error) check(r === null, "engineio packet error " + label(v));
    else check(eq(r, pick(v)), "engineio packet " + label(v));
  }
  for (const v of f.decode_payload) {
    const pkts = [];
    let err;
    for (const p of eiop.decodePayload(input(v), "nodebuffer")) {
      const o = out(p);
      if (o === null) { err = "EPROTO"; break; }
      pkts.push(o);
    }
    if (v.divergence) check(eq({ packets: pkts, error: err }, Object.assign({ error: undefined }, v.reference)), "engineio payload reference " + label(v));
    else check(eq(pkts, v.packets.map(pick)) && err === v.error, "engineio payload " + label(v));
  }
  for (const v of f.encode_payload) {
    const js = v.packets.map((p) => p.binary_hex !== undefined
      ? { type: "message", data: Buffer.from(p.binary_hex, "hex") }
      : { type: TYPES[p.type], data: p.data });
    let s;
    eiop.encodePayload(js, (x) => { s = x; });
    check(s === v.output, "engineio encode_payload " + v.output);
  }
  for (const v of f.open) {
    const data = JSON.stringify({ sid: v.sid, upgrades: v.upgrades ? ["websocket"] : [], pingInterval: v.pingInterval, pingTimeout: v.pingTimeout, maxPayload: v.maxPayload });
    let s;
    eiop.encodePacket({ type: "open", data }, true, (x) => { s = x; });
    check(s === v.output, "engineio open " + v.output);
  }
}

// ---- json.json
{
  const f = load("json.json");
  const kind = (x) => x === null ? "null" : x === true ? "true" : x === false ? "false" : Array.isArray(x) ? "array" : typeof x;
  for (const v of f.check) {
    let r;
    try { r = { kind: kind(JSON.parse(input(v))) }; } catch (e) { r = { error: "EPROTO" }; }
    if (v.divergence) check(eq(r, v.reference), "json check reference " + label(v));
    else if (v.error && v.input_hex !== undefined && r.kind) check(false, "json check " + label(v) + ": Node accepts it, mark it a divergence");
    else check(v.error ? r.error === v.error : r.kind === v.kind, "json check " + String(label(v)).slice(0, 60));
  }
  for (const v of f.quote)
    check(JSON.stringify(input(v)) === v.output, "json quote " + v.output);
  for (const v of f.unquote)
    check(Buffer.from(JSON.parse(v.input), "utf8").toString("hex") === v.output_hex, "json unquote " + v.input);
  for (const v of f.value_len) {
    let ok = true;
    try { JSON.parse(v.input.slice(0, v.len)); } catch (e) { ok = false; }
    const rest = v.input.slice(v.len);
    check(ok && !/^[\w.+-]/.test(rest), "json value_len " + v.input);
  }
}

// ---- misc.json
{
  const f = load("misc.json");
  for (const v of f.base64_encode)
    check(Buffer.from(v.hex, "hex").toString("base64") === v.base64, "base64 encode " + v.hex);
  for (const v of f.base64_decode)
    if (!v.error) check(Buffer.from(v.input, "base64").toString("hex") === v.hex, "base64 decode " + v.input);
  for (const v of f.utf8) {
    let ok = true;
    try { new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(v.hex, "hex")); } catch (e) { ok = false; }
    check(ok === v.valid, "utf8 " + v.hex);
  }
  const keyRegex = /^[+/0-9A-Za-z]{22}==$/; // the ws package's test
  for (const v of f.ws_accept) {
    if (v.error) { check(!keyRegex.test(v.key), "ws_accept bad key " + v.key); continue; }
    const acc = crypto.createHash("sha1").update(v.key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    check(keyRegex.test(v.key) && acc === v.accept, "ws_accept " + v.key);
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
