/* ws_accept.h - the RFC 6455 Sec-WebSocket-Accept value. */
#ifndef SIOC_WS_ACCEPT_H
#define SIOC_WS_ACCEPT_H

#include <stddef.h>

/* base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")) into out
 * (28 characters + NUL).  0, or SIOC_EPROTO when the key is not the base64
 * of 16 bytes (RFC 6455 4.2.1 item 5), or SIOC_ENOMEM. */
int sioc__ws_accept(const char *key, size_t key_len, char out[29]);

#endif
