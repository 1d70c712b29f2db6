// Prints the linker flags for the system libraries of the C core (wslay,
// cJSON, http-parser, hiredis, msgpack-c), from pkg-config where a .pc file exists, else the
// plain -l flag once the header is found.  A missing library stops the
// build with one line naming the Debian package.  libuv and libcrypto are
// deliberately absent: the node binary provides both.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');

const LIBS = [
  { pc: 'libwslay', lib: '-lwslay', header: 'wslay/wslay.h', deb: 'libwslay-dev' },
  { pc: 'libcjson', lib: '-lcjson', header: 'cjson/cJSON.h', deb: 'libcjson-dev' },
  { pc: 'http-parser', lib: '-lhttp_parser', header: 'http_parser.h', deb: 'libhttp-parser-dev' },
  // The Redis adapter: hiredis is driven by our own libuv glue (csrc/
  // redis_link.c), so it links no libuv of its own.
  { pc: 'hiredis', lib: '-lhiredis', header: 'hiredis/hiredis.h', deb: 'libhiredis-dev' },
  { pc: 'msgpack', lib: '-lmsgpackc', header: 'msgpack.h', deb: 'libmsgpack-dev' },
];
const INCLUDE_DIRS = ['/usr/include', '/usr/local/include'];

const flags = [];
for (const l of LIBS) {
  let got = null;
  try {
    got = execFileSync('pkg-config', ['--libs', l.pc], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString().trim().split(/\s+/).filter(Boolean);
  } catch (_) { /* no pkg-config or no .pc file: look for the header */ }
  if (!got) {
    if (!INCLUDE_DIRS.some((d) => fs.existsSync(d + '/' + l.header))) {
      process.stderr.write(`sioc: ${l.header} not found: install the Debian package ${l.deb} ` +
        `(apt-get install ${l.deb}) or its equivalent\n`);
      process.exit(1);
    }
    got = [l.lib];
  }
  flags.push(...got);
}
flags.push('-lm');   // cluster_wire.c: floor()
process.stdout.write(flags.join('\n') + '\n');
