// npm install hook: builds the addon with node-gyp against the headers of
// the running node (its <prefix>/include/node, as Debian and the official
// tarballs install them), so no header download is needed.  Falls back to
// node-gyp's own header lookup when they are absent.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const prefix = path.resolve(process.execPath, '..', '..');
const args = ['rebuild'];
if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) &&
    !process.env.npm_config_nodedir) {
  args.push('--nodedir=' + prefix);
}
let gyp = process.env.npm_config_node_gyp;
let cmd, cmdArgs;
if (gyp && fs.existsSync(gyp)) {
  cmd = process.execPath;
  cmdArgs = [gyp, ...args];
} else {
  cmd = 'node-gyp';
  cmdArgs = args;
}
// node/ holds binding.gyp: node-gyp's rebuild wipes <cwd>/build, and the
// repository root's build/ is CMake's.
const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: path.join(__dirname, '..') });
if (r.error) {
  process.stderr.write('sioc: could not run node-gyp: ' + r.error.message + '\n');
  process.exit(1);
}
process.exit(r.status === null ? 1 : r.status);
