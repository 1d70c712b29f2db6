#!/usr/bin/env node
// gen_npm.js - regenerates the vector files in this directory from the real
// JavaScript implementations (socket.io-parser, engine.io-parser, V8's JSON,
// Node's Buffer/TextDecoder/crypto): the inputs are listed here, the
// expected results are whatever those implementations do, except for the
// cases marked as deliberate sioc divergences.  Add a case here rather than
// editing the JSON by hand, then run verify_npm.js and the C tests:
//
//   mkdir -p /tmp/sio-ref && (cd /tmp/sio-ref && npm install socket.io@4.8.4)
//   NODE_PATH=/tmp/sio-ref/node_modules node tests/vectors/gen_npm.js
"use strict";
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const eiop = require("engine.io-parser");
const { Decoder, Encoder, PacketType } = require("socket.io-parser");

const outDir = process.argv[2] || __dirname;
const SIO_VER = "socket.io-parser 4.2.7, engine.io-parser 5.2.3 (as used by socket.io 4.8.4 / engine.io 6.6.12), node " + process.version;

function hex(buf) { return Buffer.from(buf).toString("hex"); }
// A JS string is representable as a JSON string in the vector file that C
// (cJSON) reads back as the same UTF-8 bytes unless it has NUL or lone
// surrogates.
function needsHex(s) { return /\u0000/.test(s) || /[\ud800-\udbff](?![\udc00-\udfff])|(?:[^\ud800-\udbff]|^)[\udc00-\udfff]/.test(s); }
function inputFields(s) {
  return needsHex(s) ? { input_hex: hex(Buffer.from(s, "utf8")) } : { input: s };
}

// ---------------------------------------------------------------- socket.io
function sioRef(str, maxAttachments) {
  const d = new Decoder({ maxAttachments: maxAttachments === undefined ? 10 : maxAttachments });
  let span;
  d.tryParse = function (s) { span = s; return Decoder.prototype.tryParse.call(this, s); };
  try {
    const p = d.decodeString(str);
    const r = { type: p.type, nsp: p.nsp };
    if (p.attachments !== undefined) r.attachments = p.attachments;
    if (p.id !== undefined) r.id = Number.isNaN(p.id) ? "NaN" : p.id;
    if (span !== undefined) r.data = span;
    return r;
  } catch (e) {
    return { error: /too many attachments/.test(e.message) ? "ELIMIT" : "EPROTO", message: e.message };
  }
}

// [comment, input, extra]; extra.max_attachments, extra.sioc (override when
// sioc deliberately differs), extra.hex (input given as raw bytes).
const R = (s) => JSON.stringify(s);
const sioCases = [
  ["CONNECT, default namespace", "0"],
  ["CONNECT with auth payload", '0{"token":"123"}'],
  ["CONNECT to a namespace", "0/admin,"],
  ["CONNECT to a namespace with payload", '0/admin,{"token":"123"}'],
  ["CONNECT namespace without trailing comma", "0/admin"],
  ["CONNECT payload must be an object: array", "0[]"],
  ["CONNECT payload must be an object: string", '0"x"'],
  ["CONNECT payload must be an object: null", "0null"],
  ["CONNECT payload must be an object: number", "0-1"],
  ["CONNECT: digits after the type are an id, not data", "01"],
  ["CONNECT: a digit after the type is an id", "01{}"],
  ["DISCONNECT", "1"],
  ["DISCONNECT from a namespace", "1/admin,"],
  ["DISCONNECT must have no payload", "1{}"],
  ["DISCONNECT must have no payload: null", "1null"],
  ["EVENT", '2["hello",1]'],
  ["EVENT with an ack id", '212["hello",1]'],
  ["EVENT in a namespace with an ack id", '2/chat,12["hello",{"a":[1,2]}]'],
  ["EVENT with a unicode name", '2["h\u00e9llo \ud83d\ude00",1]'],
  ["EVENT name with escapes", '2["a\\"b\\\\c\\u0041",1]'],
  ["EVENT name only", '2["ping"]'],
  ["EVENT with a number as name", "2[1,2]"],
  ["EVENT with a negative float as name", '2[-1.5e3,"x"]'],
  ["EVENT with an overflowing number as name", "2[1e400]"],
  ["EVENT with white space inside the JSON", '2[ "a" , 1 ]'],
  ["EVENT with trailing white space after the JSON", '2["a"] \n'],
  ["EVENT without data is accepted by the parser", "2"],
  ["EVENT without data, namespace only", "2/chat"],
  ["EVENT with namespace and comma but no data", "2/chat,"],
  ["EVENT data must be an array: object", '2{"a":1}'],
  ["EVENT data must be an array: string", '2"a"'],
  ["EVENT data must not be an empty array", "2[]"],
  ["EVENT first element must be a string or number: null", "2[null]"],
  ["EVENT first element must be a string or number: object", '2[{"a":1}]'],
  ["EVENT first element must be a string or number: array", '2[["a"]]'],
  ["EVENT first element must be a string or number: true", "2[true]"],
  ["EVENT reserved name: connect", '2["connect"]'],
  ["EVENT reserved name: connect_error", '2["connect_error"]'],
  ["EVENT reserved name: disconnect", '2["disconnect",1]'],
  ["EVENT reserved name: disconnecting", '2["disconnecting"]'],
  ["EVENT reserved name: newListener", '2["newListener"]'],
  ["EVENT reserved name: removeListener", '2["removeListener"]'],
  ["EVENT reserved name written with an escape", '2["\\u0063onnect"]'],
  ["EVENT reserved name written with an escaped slash-free escape", '2["dis\\u0063onnect"]'],
  ["EVENT near-reserved names are fine: Connect", '2["Connect"]'],
  ["EVENT near-reserved names are fine: connect with space", '2["connect "]'],
  ["EVENT near-reserved names are fine: error", '2["error"]'],
  ["EVENT near-reserved names are fine: connecting", '2["connecting"]'],
  ["EVENT near-reserved names are fine: reconnect", '2["reconnect"]'],
  ["EVENT near-reserved names are fine: __proto__", '2["__proto__"]'],
  ["EVENT invalid JSON", '2["a",]'],
  ["EVENT invalid JSON: single quotes", "2['a']"],
  ["EVENT invalid JSON: trailing garbage", '2["a"]x'],
  ["EVENT invalid JSON: two values", '2["a"]["b"]'],
  ["EVENT invalid JSON: unterminated", '2["a"'],
  ["EVENT invalid JSON: raw control character in string", '2["a\u0001"]'],
  ["EVENT invalid JSON: NaN", '2["a",NaN]'],
  ["EVENT invalid JSON: leading zero", '2["a",01]'],
  ["EVENT invalid JSON: hex escape", '2["\\x41"]'],
  ["EVENT invalid JSON: comment", '2["a"/*x*/]'],
  ["EVENT lone surrogate escape is valid JSON", '2["\\ud800"]'],
  ["EVENT U+2028 raw in a string is valid JSON", '2["\u2028"]'],
  ["ACK", "312[1]"],
  ["ACK with empty array", "30[]"],
  ["ACK in a namespace", '3/chat,7["ok"]'],
  ["ACK data must be an array", '312{"a":1}'],
  ["ACK data must be an array: string", '312"a"'],
  ["ACK without data is accepted by the parser", "312"],
  ["ACK without an id is accepted by the parser", "3[]"],
  ["CONNECT_ERROR with an object", '4{"message":"Not authorized"}'],
  ["CONNECT_ERROR with an object and data", '4/admin,{"message":"Not authorized","data":{"code":1}}'],
  ["CONNECT_ERROR with a string (protocol v4 style)", '4"Not authorized"'],
  ["CONNECT_ERROR with an array", '4["x"]'],
  ["CONNECT_ERROR with a number", "4-1"],
  ["CONNECT_ERROR with an id and no data", "41"],
  ["CONNECT_ERROR with null", "4null"],
  ["BINARY_EVENT", '51-["upload",{"_placeholder":true,"num":0}]'],
  ["BINARY_EVENT in a namespace with an ack id", '52-/chat,9["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'],
  ["BINARY_EVENT at the attachment limit", '510-["x"]'],
  ["BINARY_EVENT over the attachment limit", '511-["x"]'],
  ["BINARY_EVENT over a custom attachment limit", '53-["x"]', { max_attachments: 2 }],
  ["BINARY_EVENT zero attachments is illegal", '50-["x"]'],
  ["BINARY_EVENT missing attachment count", '5-["x"]'],
  ["BINARY_EVENT missing dash", '51["x"]'],
  ["BINARY_EVENT non-numeric attachment count", '5a-["x"]'],
  ["BINARY_EVENT fractional attachment count", '51.5-["x"]'],
  ["BINARY_EVENT attachment count with white space (Number() trims)", '5 1 -["x"]'],
  ["BINARY_EVENT attachment count in hex (Number() parses it)", '50x2-["x"]'],
  ["BINARY_EVENT attachment count with a plus sign", '5+1-["x"]'],
  ["BINARY_EVENT attachment count 1.0", '51.0-["x"]'],
  ["BINARY_EVENT attachment count with exponent", '50.1e1-["x"]'],
  ["BINARY_EVENT attachment count that rounds to an integer", '51.0000000000000000001-["x"]'],
  ["BINARY_EVENT attachment count in binary notation", '50b11-["x"]'],
  ["BINARY_EVENT attachment count Infinity", '5Infinity-["x"]'],
  ["BINARY_EVENT attachment count with leading zeros", '5002-["x"]'],
  ["BINARY_EVENT attachment count only white space", '5 -["x"]'],
  ["BINARY_EVENT attachment count with an inner space", '51 1-["x"]'],
  ["BINARY_EVENT reserved name", '51-["disconnect",{"_placeholder":true,"num":0}]'],
  ["BINARY_EVENT without data", "51-"],
  ["BINARY_ACK", '61-4[{"_placeholder":true,"num":0}]'],
  ["BINARY_ACK in a namespace", '61-/chat,4[{"_placeholder":true,"num":0}]'],
  ["BINARY_ACK data must be an array", '61-4{"a":1}'],
  ["unknown packet type 7", "7"],
  ["unknown packet type 9", '9["a"]'],
  ["unknown packet type letter", 'a["a"]'],
  ["unknown packet type minus", "-1"],
  ["empty packet", "", { sioc: { error: "EPROTO", why: "socket.io-parser reads \"\" as CONNECT, but engine.io never passes it an empty string: an empty message reaches the Decoder as undefined and is rejected" } }],
  ["type is Number(first char): a space is 0 (CONNECT)", " {}"],
  ["type is Number(first char): a tab is 0", "\t"],
  ["type is Number(first char): U+3000 is 0", "\u3000/a,{}"],
  ["type is Number(first char): U+FEFF is 0", "\ufeff{}"],
  ["type is Number(first char): U+180E is not white space", "\u180e{}"],
  ["ack id with leading zeros", '2007["a"]'],
  ["ack id 0", '20["a"]'],
  ["ack id at Number.MAX_SAFE_INTEGER", '29007199254740991["a"]'],
  ["ack id above Number.MAX_SAFE_INTEGER", '29007199254740992["a"]', { sioc: { error: "EPROTO", why: "sioc keeps ack ids exact; socket.io-parser keeps an inexact float" } }],
  ["ack id with 30 digits", '2123456789012345678901234567890["a"]', { sioc: { error: "EPROTO", why: "sioc keeps ack ids exact; socket.io-parser keeps an inexact float" } }],
  ["ack id is Number() of digits and white space: a space alone is id 0", '2 ["a"]'],
  ["ack id with trailing space", '212 ["a"]'],
  ["ack id with a leading newline", '2\n5["a"]'],
  ["ack id with no-break space", '2\u00a05["a"]'],
  ["ack id with U+2000 (first of the U+2000..U+200A spaces)", '2\u20005["a"]'],
  ["ack id with U+200A", '2\u200a5["a"]'],
  ["ack id with U+200B (zero width space is not white space)", '2\u200b5["a"]'],
  ["ack id with U+2028 line separator", '2\u2028["a"]'],
  ["ack id with U+205F", '2\u205f7["a"]'],
  ["ack id with U+1680", '2\u16807["a"]'],
  ["ack id with U+3000", '2\u30007["a"]'],
  ["ack id with U+FEFF", '2\ufeff7["a"]'],
  ["ack id with U+0085 (NEL is not white space)", '2\u00857["a"]'],
  ["ack id with an inner space is NaN", '21 2["a"]', { sioc: { error: "EPROTO", why: "socket.io-parser keeps the id NaN and would answer \"3NaN[...]\"" } }],
  ["ack id directly followed by a namespace-like slash is data", '21/a,["a"]'],
  ["namespace runs to the first comma", '2/a/b,["x"]'],
  ["namespace without comma swallows everything", '2/chat["x"]'],
  ["namespace may be just a slash", '2/,["x"]'],
  ["namespace may contain unicode", '2/\u00e9t\u00e9,["x"]'],
  ["namespace may contain quotes and brackets", '2/a"[b],["x"]'],
  ["namespace must start the field: no slash means no namespace", 'chat,["x"]'],
  ["namespace then white space then id", '2/a, 3["x"]'],
  ["a comma without namespace is data", '2,["x"]'],
  ["BINARY_EVENT with namespace only", "51-/a"],
  ["negative id is data (invalid JSON here)", '2-1["x"]'],
  ["data may follow the id without namespace", "2123[1]"],
  ["EVENT with deeply nested data (within limits)", "2[\"d\"," + "[".repeat(100) + "]".repeat(100) + "]"],
  ["EVENT nested deeper than SIOC_JSON_MAX_DEPTH", "2[\"d\"," + "[".repeat(600) + "]".repeat(600) + "]", { sioc: { error: "EPROTO", why: "sioc limits JSON nesting to 512 levels; V8's JSON.parse has no limit" } }],
];

const sioInvalidUtf8 = [
  ["invalid UTF-8 in the event name", "325b22ff225d", "sioc requires valid UTF-8; engine.io's polling transport would read U+FFFD, its WebSocket transport closes the connection (1007)"],
  ["invalid UTF-8 in the namespace", "322f61ff2c5b2278225d", "as above"],
  ["UTF-16 surrogate encoded in UTF-8 (CESU) in a string", "325b22eda080225d", "as above"],
  ["overlong encoding in a string", "325b22c0af225d", "as above"],
  ["truncated 3-byte sequence as the type", "e280325b2261225d"],
  ["truncated 3-byte sequence where an id may start", "32e280325b2261225d"],
  ["lone continuation byte as the type", "805b2261225d"],
];

function sioVectors() {
  const decode = [];
  for (const [comment, input, extra = {}] of sioCases) {
    const ref = sioRef(input, extra.max_attachments);
    const v = Object.assign({ comment }, inputFields(input));
    if (extra.max_attachments !== undefined) v.max_attachments = extra.max_attachments;
    if (extra.sioc) {
      Object.assign(v, { error: extra.sioc.error, reference: ref, divergence: extra.sioc.why });
    } else if (ref.error) {
      v.error = ref.error;
      v.reference_message = ref.message;
    } else {
      Object.assign(v, ref);
    }
    decode.push(v);
  }
  for (const [comment, h, why] of sioInvalidUtf8) {
    const ref = sioRef(Buffer.from(h, "hex").toString("utf8"));
    if (ref.error) decode.push({ comment, input_hex: h, error: ref.error, reference_message: ref.message });
    else decode.push({ comment, input_hex: h, error: "EPROTO", reference: ref, divergence: why });
  }

  // Event name/args split: name as the server's EventEmitter sees it
  // (String(name) is the listener key), args = the rest as a JSON array.
  const splitCases = [
    '["hello",1,"two",{"three":3}]', '["hello"]', '["a\\"b\\\\c\\u0041\\n"]', '["\\ud83d\\ude00 x",null]',
    '["\\ud800 lone"]', '["\\u0000nul"]', '[ "spaced" , 1 , 2 ] ', '[1,2]', '[-0]', '[1.0,"x"]', '[1e21]', '[1e-7]', '[123456789012345678]',
    '[0.1]', '[-1.5e3,"x"]', '[1e400]', '[-1e400]', '[5e-324]', '[0.000001]', '[1.7976931348623157e308]', '[2e-7]', '[100e-2]',
    '[123456789012345]', '[1234567890123456]', '[9007199254740993]', '[0.30000000000000004]', '[4.35]', '[1e23]',
    '["\u00e9v\u00e9nement",[1,[2]],{"a":"]"}]',
  ];
  const event_split = splitCases.map((data) => {
    const arr = JSON.parse(data);
    const name = String(arr[0]);
    const v = { data };
    if (needsHex(name)) v.name_hex = hex(Buffer.from(name, "utf8")); else v.name = name;
    // args: the text after the name, re-bracketed in place (not re-encoded).
    let i = data.indexOf("[") + 1;
    while (" \t\n\r".includes(data[i])) i++;
    if (data[i] === '"') { i++; while (data[i] !== '"') i += data[i] === "\\" ? 2 : 1; i++; }
    else i += /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(data.slice(i))[0].length;
    while (" \t\n\r".includes(data[i])) i++;
    v.args = data[i] === "]" ? "[]" : "[" + data.slice(i + 1).replace(/[ \t\n\r]+$/, "");
    if (!require("util").isDeepStrictEqual(JSON.parse(v.args), arr.slice(1))) throw new Error("split " + data);
    return v;
  });

  // Encoding, checked against Encoder#encode.
  const enc = new Encoder();
  const encodeCases = [
    { kind: "event", nsp: "/", id: -1, name: "hello", args: "[1,\"two\"]" },
    { kind: "event", nsp: "/", id: -1, name: "hello", args: "[]" },
    { kind: "event", nsp: "/chat", id: 12, name: "hello", args: "[{\"a\":[1,2]}]" },
    { kind: "event", nsp: "/", id: 0, name: "q\"uote\\ \n\u2028\ud83d\ude00\u0001\u007f", args: "[]" },
    { kind: "event", nsp: "/", id: -1, name: "upload", args: "[{\"_placeholder\":true,\"num\":0}]", attachments: 1 },
    { kind: "event", nsp: "/x", id: 3, name: "up2", args: "[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", attachments: 2 },
    { kind: "ack", nsp: "/", id: 12, args: "[\"ok\"]" },
    { kind: "ack", nsp: "/chat", id: 0, args: "[]" },
    { kind: "ack", nsp: "/", id: 5, args: "[{\"_placeholder\":true,\"num\":0}]", attachments: 1 },
    { kind: "connect_error", nsp: "/", message: "Not authorized" },
    { kind: "connect_error", nsp: "/admin", message: "Invalid namespace" },
    { kind: "connect_error", nsp: "/", message: "bad \"thing\"\n", data: "{\"code\":42}" },
    { kind: "header", type: 0, nsp: "/", id: -1 },
    { kind: "header", type: 0, nsp: "/admin", id: -1 },
    { kind: "header", type: 1, nsp: "/admin", id: -1 },
    { kind: "header", type: 3, nsp: "/", id: 9007199254740991 },
    { kind: "header", type: 5, attachments: 3, nsp: "/a", id: 7 },
  ];
  const encode = encodeCases.map((c) => {
    let pkt;
    const nspField = c.nsp;
    if (c.kind === "event") {
      pkt = { type: c.attachments ? PacketType.BINARY_EVENT : PacketType.EVENT, nsp: nspField, data: [c.name, ...JSON.parse(c.args)] };
      if (c.attachments) pkt.attachments = c.attachments;
      if (c.id >= 0) pkt.id = c.id;
    } else if (c.kind === "ack") {
      pkt = { type: c.attachments ? PacketType.BINARY_ACK : PacketType.ACK, nsp: nspField, data: JSON.parse(c.args), id: c.id };
      if (c.attachments) pkt.attachments = c.attachments;
    } else if (c.kind === "connect_error") {
      const data = { message: c.message };
      if (c.data !== undefined) data.data = JSON.parse(c.data);
      pkt = { type: PacketType.CONNECT_ERROR, nsp: nspField, data };
    } else {
      pkt = { type: c.type, nsp: nspField };
      if (c.attachments) pkt.attachments = c.attachments;
      if (c.id >= 0) pkt.id = c.id;
    }
    // encodeAsString: placeholders are already in the data, so the binary
    // types must not go through hasBinary/deconstruction.
    const out = enc.encodeAsString(pkt);
    return Object.assign({}, c, { output: out });
  });

  return {
    about: "Socket.IO v5 packet vectors. See README.md in this directory for the format.",
    reference: SIO_VER,
    max_attachments: 10,
    reserved_event_names: ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"],
    decode, event_split, encode,
  };
}

// ---------------------------------------------------------------- engine.io
const TYPES = ["open", "close", "ping", "pong", "message", "upgrade", "noop"];
function eioPacketOut(p) {
  if (p.type === "error") return null;
  const r = { type: TYPES.indexOf(p.type) };
  if (Buffer.isBuffer(p.data)) { r.binary = true; r.data_hex = hex(p.data); }
  else r.data = p.data === undefined ? "" : p.data;
  return r;
}
function eioVectors() {
  const packetCases = [
    ["open", '0{"sid":"abc"}'], ["close", "1"], ["ping", "2"], ["ping probe", "2probe"], ["pong", "3"], ["pong probe", "3probe"],
    ["message", "4hello"], ["empty message", "4"], ["message with unicode", "4h\u00e9llo \ud83d\ude00"],
    ["message carrying a Socket.IO packet", '42["a",1]'], ["upgrade", "5"], ["noop", "6"],
    ["binary message as base64", "bAQID"], ["binary message, padded", "bAQI="], ["binary message, unpadded", "bAQI"],
    ["empty binary message", "b"], ["binary message of one byte", "b/w=="],
    ["empty packet", ""], ["type 7", "7"], ["type letter", "x"], ["type 9 with data", "9abc"],
    ["binary message with invalid base64 character (decoded leniently, as Node does)", "bAQ*D"],
    ["binary message with white space in base64 (decoded leniently, as Node does)", "bAQ ID"],
    ["binary message with impossible base64 length (decoded leniently, as Node does)", "bAQIDB"],
    ["binary message with base64url alphabet (decoded leniently, as Node does)", "b-_8"],
    ["junk after whole canonical groups (a strict pass would have clobbered them)", "bAQIDBAUG*Bw"],
    ["URL-safe digits after canonical groups", "bAQIDBAUG-_8"],
    ["data after padding is ignored", "bZg==Zg=="],
    ["padding inside a group ends the data", "bZm9=v"],
    ["only padding", "b===="],
    ["non-ASCII junk", "bZm\u00e99v"],
  ];
  const decode_packet = packetCases.map(([comment, input, sioc]) => {
    const ref = eiop.decodePacket(input);
    const out = eioPacketOut(ref);
    const v = Object.assign({ comment }, inputFields(input));
    if (sioc) return Object.assign(v, { error: sioc.error, reference: out, divergence: sioc.why });
    if (out === null) return Object.assign(v, { error: "EPROTO" });
    return Object.assign(v, out);
  });

  const RS = "\x1e";
  const payloadCases = [
    ["single packet", "4hello"],
    ["two packets", "4hello" + RS + "4world"],
    ["ping probe and messages", "2probe" + RS + "4a" + RS + "3"],
    ["binary and text", "bAQID" + RS + "4text" + RS + "b"],
    ["Socket.IO packets", '40' + RS + '42["a",1]' + RS + '42/chat,1["b"]'],
    ["close in a payload", "4a" + RS + "1"],
    ["empty body", ""],
    ["trailing separator", "4a" + RS],
    ["leading separator", RS + "4a"],
    ["double separator", "4a" + RS + RS + "4b"],
    ["bad type in the middle", "4a" + RS + "9x" + RS + "4b"],
    ["bad base64 in the middle (decoded leniently, as Node does)", "4a" + RS + "b*" + RS + "4b"],
    ["lenient base64 between packets", "4a" + RS + "bAQIDBAUG*B w" + RS + "4b"],
    ["empty messages", "4" + RS + "4"],
  ];
  const decode_payload = payloadCases.map(([comment, input, sioc]) => {
    const ref = eiop.decodePayload(input, "nodebuffer");
    const v = Object.assign({ comment }, inputFields(input));
    const pkts = [];
    let err = false;
    for (const p of ref) { const o = eioPacketOut(p); if (o === null) { err = true; break; } pkts.push(o); }
    if (sioc) {
      // sioc stops at the segment Node tolerated.
      const segs = input.split(RS);
      const bad = segs.findIndex((s) => s === "b*");
      v.packets = pkts.slice(0, bad);
      v.error = "EPROTO";
      v.reference = { packets: pkts, error: err ? "EPROTO" : undefined };
      v.divergence = sioc.why;
      return v;
    }
    v.packets = pkts;
    if (err) v.error = "EPROTO";
    return v;
  });

  const encCases = [
    [{ type: 4, data: "hello" }],
    [{ type: 4, data: "hello" }, { type: 4, data: "world" }],
    [{ type: 2, data: "probe" }],
    [{ type: 3 }],
    [{ type: 6 }],
    [{ type: 1 }],
    [{ type: 4, data: '42["a",1]' }, { binary_hex: "010203" }, { type: 4, data: "\u00e9\ud83d\ude00" }],
    [{ binary_hex: "" }],
    [{ binary_hex: "ff" }, { binary_hex: "fffe" }, { binary_hex: "fffefd" }, { binary_hex: "fffefdfc" }],
    [{ type: 4, data: "" }],
  ];
  const encode_payload = encCases.map((packets) => {
    const js = packets.map((p) => p.binary_hex !== undefined ? { type: "message", data: Buffer.from(p.binary_hex, "hex") } : { type: TYPES[p.type], data: p.data });
    let output;
    eiop.encodePayload(js, (s) => { output = s; });
    return { packets, output };
  });

  // The open packet, as engine.io's Socket#onOpen writes it.
  const openCases = [
    { sid: "lv_VI97HAXpY6yYWAAAC", upgrades: true, pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000 },
    { sid: "abc", upgrades: false, pingInterval: 300, pingTimeout: 200, maxPayload: 100 },
  ];
  const open = openCases.map((c) => {
    const data = JSON.stringify({ sid: c.sid, upgrades: c.upgrades ? ["websocket"] : [], pingInterval: c.pingInterval, pingTimeout: c.pingTimeout, maxPayload: c.maxPayload });
    let output;
    eiop.encodePacket({ type: "open", data }, true, (s) => { output = s; });
    return Object.assign({}, c, { output });
  });

  return {
    about: "Engine.IO v4 packet and polling payload vectors. See README.md in this directory for the format.",
    reference: SIO_VER,
    record_separator: RS,
    decode_packet, decode_payload, encode_payload, open,
  };
}

// ---------------------------------------------------------------- JSON text
function jsonKind(v) {
  if (v === null) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (Array.isArray(v)) return "array";
  return typeof v;
}
function jsonVectors() {
  const checkCases = [
    "null", "true", "false", "0", "-0", "1", "-1", "1.5", "1e10", "1E+10", "1e-10", "-0.0e0", "123456789012345678901234567890",
    '""', '"a"', '"\\"\\\\\\/\\b\\f\\n\\r\\t"', '"\\u0041\\u00e9\\uD83D\\uDE00"', '"\\ud800"', '"\\udc00\\ud800"', '"\u00e9\u2028\ud83d\ude00"', '"\u007f"',
    "[]", "{}", "[1,2,3]", '{"a":1,"b":[true,false,null],"c":{"d":"e"}}', " \t\n\r[ 1 , 2 ] \t\n\r", '{"a":1,"a":2}', '[[[[[]]]]]',
    "", " ", "nul", "nulls", "True", "undefined", "NaN", "Infinity", "-Infinity", "+1", "01", "-01", "1.", ".1", "1e", "1e+", "-", "0x10", "1_000",
    "'a'", '"a', '"\\x41"', '"\\u12"', '"\\u12G4"', '"\\U0041"', '"\\a"', '"a\u0000"', '"a\u001f"', '"a\tb"', '"a\nb"',
    "[1,]", "[,1]", "[1 2]", "{\"a\"}", "{\"a\":}", "{a:1}", "{\"a\":1,}", "{,}", "[", "]", "{", "}", "[}", "{]", "[1]]", "[1][2]", "1 2",
    "\u00a0[]", "[]\u00a0", "\ufeff[]", "\u000b[]", "\u000c[]", "[1]/**/", "//\n[1]",
    "[" + "[".repeat(510) + "]".repeat(510) + "]",
    "[".repeat(512) + "]".repeat(512),
  ];
  const check = checkCases.map((input) => {
    const v = inputFields(input);
    try { v.kind = jsonKind(JSON.parse(input)); } catch (e) { v.error = "EPROTO"; }
    return v;
  });
  check.push({ comment: "nesting deeper than SIOC_JSON_MAX_DEPTH (512)", input: "[".repeat(513) + "]".repeat(513), error: "EPROTO", reference: { kind: "array" }, divergence: "V8 has no nesting limit in JSON.parse" });
  check.push({ comment: "object nesting deeper than SIOC_JSON_MAX_DEPTH", input: '{"a":'.repeat(513) + "1" + "}".repeat(513), error: "EPROTO", reference: { kind: "object" }, divergence: "V8 has no nesting limit in JSON.parse" });
  const badUtf8 = [
    ["invalid byte in a string", "22ff22"], ["lone continuation byte", "228022"], ["overlong NUL", "22c08022"], ["overlong slash", "22c0af22"],
    ["CESU surrogate", "22eda08022"], ["above U+10FFFF", "22f490808022"], ["truncated 3-byte sequence", "22e28222"], ["truncated 4-byte at end", "22f09f98"],
    ["raw non-ASCII outside a string", "5bc3a95d"],
  ];
  for (const [comment, h] of badUtf8) {
    let ref;
    try { ref = { kind: jsonKind(JSON.parse(Buffer.from(h, "hex").toString())) }; } catch (e) { ref = { error: "EPROTO" }; }
    const v = { comment, input_hex: h, error: "EPROTO" };
    if (!ref.error) Object.assign(v, { reference: ref, divergence: "sioc requires valid UTF-8; Node would decode the bytes with U+FFFD first" });
    check.push(v);
  }
  const goodUtf8 = [["2-byte", "22c3a922"], ["3-byte", "22e282ac22"], ["4-byte", "22f09f988022"], ["U+10FFFF", "22f48fbfbf22"], ["U+FFFF", "22efbfbf22"], ["U+D7FF", "22ed9fbf22"], ["U+E000", "22ee808022"]];
  for (const [comment, h] of goodUtf8) check.push({ comment, input_hex: h, kind: jsonKind(JSON.parse(Buffer.from(h, "hex").toString())) });

  // JSON.stringify quoting of UTF-8 input (invalid sequences decoded the
  // way Node's Buffer#toString does).
  const quoteStr = [
    "", "hello", "quote\" backslash\\ slash/", "\b\f\n\r\t", "\u0000\u0001\u001f\u007f", "\u0080\u00ff\u0100", "\u2028\u2029", "\ud83d\ude00 emoji \ud83c\udff3\ufe0f\u200d\ud83c\udf08",
    "\ufeffbom", "\uffff\ufffd", "</script>", "a".repeat(100) + "\"" + "b".repeat(9),
  ];
  const quote = quoteStr.map((s) => {
    const v = needsHex(s) ? { input_hex: hex(Buffer.from(s)) } : { input: s };
    v.output = JSON.stringify(s);
    return v;
  });
  const quoteBytes = [
    ["ff"], ["c3"], ["e282"], ["f09f98"], ["f09f98" + "41"], ["eda080"], ["c080"], ["c0af"], ["e080af"], ["f08282ac"], ["f4908080"], ["f5"], ["80bf"],
    ["61ff62"], ["e2ff"], ["fe"], ["ed9fbf"], ["f48fbfbf"], ["c3a9e2"], ["e282e282ac"],
  ];
  for (const [h] of quoteBytes) quote.push({ input_hex: h, output: JSON.stringify(Buffer.from(h, "hex").toString("utf8")) });

  const unquoteCases = ['""', '"abc"', '"\\"\\\\\\/\\b\\f\\n\\r\\t"', '"\\u0041\\u00e9\\u20ac"', '"\\ud83d\\ude00"', '"\\uD83D\\uDE00"', '"\\ud800"', '"\\udc00"', '"\\ud800x"',
    '"\\ud800\\ud800\\udc00"', '"\\udc00\\ud800"', '"\\ud800\\u0041"', '"\u00e9\ud83d\ude00"', '"\\u0000"', '"a\\u2028b"'];
  const unquote = unquoteCases.map((lit) => ({ input: lit, output_hex: hex(Buffer.from(JSON.parse(lit), "utf8")) }));

  const valueLenCases = [
    ["1,2", 1], ["-1.5e3]", 6], ["true,", 4], ["false]", 5], ["null}", 4], ['"a\\"b",1', 6], ['"\\\\",1', 4], ["[1,[2,[3]],\"]\"],4", 15], ['{"a":"}","b":{}} ,', 16], ["[] ", 2],
  ];
  const value_len = valueLenCases.map(([input, len]) => ({ input, len }));
  return {
    about: "JSON text vectors: validation by the JSON.parse grammar, JSON.stringify string quoting, unquoting to UTF-8, value length. See README.md.",
    reference: "JSON.parse / JSON.stringify / Buffer of node " + process.version,
    max_depth: 512,
    check, quote, unquote, value_len,
  };
}

// ---------------------------------------------------------------- misc
function miscVectors() {
  const b64 = ["", "f", "fo", "foo", "foob", "fooba", "foobar"].map((s) => ({ hex: hex(Buffer.from(s)), base64: Buffer.from(s).toString("base64") }));
  b64.push({ hex: "00ff10fe20fd", base64: Buffer.from("00ff10fe20fd", "hex").toString("base64") });
  b64.push({ hex: "fbff", base64: Buffer.from("fbff", "hex").toString("base64") });
  const base64_decode = [
    { input: "Zm9vYmFy", hex: "666f6f626172" }, { input: "Zg==", hex: "66" }, { input: "Zg", hex: "66" }, { input: "Zm8=", hex: "666f" }, { input: "Zm8", hex: "666f" },
    { input: "+/+/", hex: Buffer.from("+/+/", "base64").toString("hex") }, { input: "", hex: "" },
    { input: "Z", error: "EPROTO" }, { input: "Zg=", error: "EPROTO" }, { input: "Zg===", error: "EPROTO" }, { input: "Z===", error: "EPROTO" }, { input: "====", error: "EPROTO" },
    { input: "Zm9v YmFy", error: "EPROTO" }, { input: "Zm9v\nYmFy", error: "EPROTO" }, { input: "Zm9v-_", error: "EPROTO" }, { input: "Zg==Zg==", error: "EPROTO" }, { input: "Z=g=", error: "EPROTO" },
    { input: "Zh==", hex: "66", comment: "non-zero unused bits are ignored, as Node and Python do" },
  ];
  for (const v of base64_decode) if (!v.error) v.reference_hex = Buffer.from(v.input, "base64").toString("hex");
  const utf8 = [
    ["", 1], ["41", 1], ["c3a9", 1], ["e282ac", 1], ["f09f9880", 1], ["f48fbfbf", 1], ["ed9fbf", 1], ["ee8080", 1], ["efbfbf", 1], ["0041424344454647484950", 1],
    ["ff", 0], ["80", 0], ["c0af", 0], ["c1bf", 0], ["e080af", 0], ["eda080", 0], ["edbfbf", 0], ["f08082ac", 0], ["f4908080", 0], ["f5808080", 0], ["c3", 0], ["e282", 0],
    ["f09f98", 0], ["414243444546474849c3", 0], ["41424344454647ff", 0], ["c328", 0], ["e228a1", 0], ["f0289f98", 0],
  ].map(([h]) => {
    let ok = 1;
    try { new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(h, "hex")); } catch (e) { ok = 0; }
    return { hex: h, valid: !!ok };
  });
  const keys = ["dGhlIHNhbXBsZSBub25jZQ==", "x3JJHMbDL1EzLkh9GBhXDw==", "AAAAAAAAAAAAAAAAAAAAAA==", "/////////////////////w=="];
  const ws_accept = keys.map((key) => ({ key, accept: crypto.createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64") }));
  const keyRegex = /^[+/0-9A-Za-z]{22}==$/;
  for (const key of ["", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===", "dGhlIHNhbXBsZSBub25jZXg=", " dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZ*==", "dGhlIHNhbXBsZSBub25jZQ==x", "dGhlIHNhbXBsZSBub25j"]) {
    if (keyRegex.test(key)) throw new Error("bad invalid key " + key);
    ws_accept.push({ key, error: "EPROTO" });
  }
  return {
    about: "base64, UTF-8 validity and Sec-WebSocket-Accept vectors. See README.md.",
    reference: "Buffer, TextDecoder(fatal), crypto of node " + process.version + "; invalid WebSocket keys are those the ws package's /^[+/0-9A-Za-z]{22}==$/ rejects",
    base64_encode: b64, base64_decode, utf8, ws_accept,
  };
}

// One vector per line: readable, and diffs stay small.
function write(name, obj) {
  const parts = Object.keys(obj).map((k) => {
    const v = obj[k];
    if (Array.isArray(v) && v.length && typeof v[0] === "object")
      return " " + JSON.stringify(k) + ": [\n" + v.map((e) => "  " + JSON.stringify(e)).join(",\n") + "\n ]";
    return " " + JSON.stringify(k) + ": " + JSON.stringify(v);
  });
  fs.writeFileSync(path.join(outDir, name), "{\n" + parts.join(",\n") + "\n}\n");
}
write("socketio.json", sioVectors());
write("engineio.json", eioVectors());
write("json.json", jsonVectors());
write("misc.json", miscVectors());
