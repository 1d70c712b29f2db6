'use strict';
// sioc/client: socket.io-client 4.x's API on sioc's C client.
//   const { io, Manager } = require('sioc/client');
module.exports = require('./lib/client');
