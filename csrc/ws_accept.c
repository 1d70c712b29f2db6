/* ws_accept.c - the Sec-WebSocket-Accept value of RFC 6455 section 4.2.2.
 *
 * The key must be exactly what RFC 6455 4.2.1 asks of a client: the base64
 * of 16 bytes, i.e. 22 alphabet characters and "==" (the same test the ws
 * package applies).  Works on the stack only; the one allocation is the
 * digest context inside OpenSSL, whose failure is reported as SIOC_ENOMEM
 * (as is a failure to fetch SHA-1, once, at the first call).
 */
#include <string.h>

#include <openssl/evp.h>
#include <pthread.h>

#include "base64.h"
#include "sioc.h"
#include "ws_accept.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define KEY_LEN 24

/* EVP_sha1() makes every EVP_Digest fetch the implementation again (a
 * third of the digest's cost); it is fetched once per process instead (a
 * fetched EVP_MD may be shared by threads) and kept. */
static EVP_MD *sha1;
static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;

static void sha1_fetch(void) { sha1 = EVP_MD_fetch(NULL, "SHA1", NULL); }

int sioc__ws_accept(const char *key, size_t key_len, char out[29]) {
  unsigned char nonce[18];
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  char msg[KEY_LEN + sizeof(WS_GUID) - 1];

  if (key == NULL || key_len != KEY_LEN || key[22] != '=' || key[23] != '=')
    return SIOC_EPROTO;
  if (sioc__base64_decode(nonce, key, key_len) != 16)
    return SIOC_EPROTO;

  memcpy(msg, key, KEY_LEN);
  memcpy(msg + KEY_LEN, WS_GUID, sizeof(WS_GUID) - 1);
  pthread_once(&sha1_once, sha1_fetch);
  if (!sha1 || !EVP_Digest(msg, sizeof(msg), digest, &digest_len, sha1, NULL) ||
      digest_len != 20)
    return SIOC_ENOMEM;
  sioc__base64_encode_raw(out, digest, 20);
  out[28] = '\0';
  return 0;
}
