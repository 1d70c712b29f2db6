/* error.c - descriptions of sioc's error codes.  Codes outside sioc's own
 * range are libuv's and are described by libuv. */
#include "sioc.h"

const char *sioc_strerror(int err) {
  switch (err) {
#define SIOC__ERR_MSG(name, value, msg) case SIOC_E##name: return msg;
    SIOC_ERRNO_MAP(SIOC__ERR_MSG)
#undef SIOC__ERR_MSG
    case 0: return "success";
    default: return uv_strerror(err);
  }
}

const char *sioc_err_name(int err) {
  switch (err) {
#define SIOC__ERR_NAME(name, value, msg) case SIOC_E##name: return "SIOC_E" #name;
    SIOC_ERRNO_MAP(SIOC__ERR_NAME)
#undef SIOC__ERR_NAME
    case 0: return "OK";
    default: return uv_err_name(err);
  }
}
