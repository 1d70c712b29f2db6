'use strict';
// Loads the compiled addon (node/build/Release/sioc.node, built by
// `npm install` through node/scripts/build.js).
const path = require('path');

const candidates = [
  path.join(__dirname, '..', 'build', 'Release', 'sioc.node'),
  path.join(__dirname, '..', 'build', 'Debug', 'sioc.node'),
];
let binding;
let lastError;
for (const file of candidates) {
  try {
    binding = require(file);
    break;
  } catch (e) {
    lastError = e;
    if (e.code !== 'MODULE_NOT_FOUND') throw e;
  }
}
if (!binding) {
  const err = new Error('sioc: the native addon is not built; run `npm install` (or `npm run build`) ' +
    `in ${path.join(__dirname, '..', '..')}: ${lastError && lastError.message}`);
  err.code = 'SIOC_NO_ADDON';
  throw err;
}
module.exports = binding;
