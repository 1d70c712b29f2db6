// Prints the addon's C sources for binding.gyp: node/addon/*.c and csrc/*.c,
// relative to node/ (where binding.gyp is).
'use strict';
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..', '..');
const rel = { 'node/addon': 'addon', csrc: '../csrc' };
const out = [];
for (const dir of ['node/addon', 'csrc']) {
  for (const f of fs.readdirSync(path.join(root, dir)).sort()) {
    if (f.endsWith('.c')) out.push(rel[dir] + '/' + f);
  }
}
process.stdout.write(out.join('\n') + '\n');
