// args.js - "--port P --host H" for the Node bench servers.
'use strict';
const argv = process.argv.slice(2);
let port = 3000;
let host = '127.0.0.1';
for (let i = 0; i + 1 < argv.length; i += 2) {
  if (argv[i] === '--port') port = Number(argv[i + 1]);
  else if (argv[i] === '--host') host = argv[i + 1];
}
module.exports = { port, host };
