/* napi_glue.h - Node-API helpers shared by the server glue (addon.c) and the
 * client glue (client.c): JS values, counted references, and calling JS so
 * that promises and process.nextTick run right after (napi_make_callback). */
#ifndef SIOC_NAPI_GLUE_H
#define SIOC_NAPI_GLUE_H

#include <stdbool.h>
#include <stdint.h>

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include "sioc.h"

static inline napi_value glue_ref_value(napi_env env, napi_ref r) {
  napi_value v = NULL;
  if (r) napi_get_reference_value(env, r, &v);
  return v;
}

/* A strong reference; *live counts the references held (leak tests). */
static inline napi_ref glue_new_ref(napi_env env, int64_t *live, napi_value v) {
  napi_ref r = NULL;
  if (napi_create_reference(env, v, 1, &r) == napi_ok) (*live)++;
  return r;
}

static inline void glue_del_ref(napi_env env, int64_t *live, napi_ref *r) {
  if (!*r) return;
  napi_delete_reference(env, *r);
  *r = NULL;
  (*live)--;
}

/* Calls the function behind fn_ref with recv (the global object when NULL).
 * A thrown exception becomes an uncaught exception, as for any event
 * emitted from native code; the result is then NULL. */
static inline napi_value glue_call(napi_env env, napi_async_context actx, napi_ref fn_ref,
                                   napi_value recv, size_t argc, napi_value *argv) {
  napi_value fn = glue_ref_value(env, fn_ref), result = NULL;
  if (!fn) return NULL;
  if (!recv) napi_get_global(env, &recv);   /* make_callback wants an object */
  if (napi_make_callback(env, actx, recv, fn, argc, argv, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
    return NULL;
  }
  return result;
}

/* Values handed to JS (a NULL string becomes null; attachments become
 * Buffers, copied). */
static inline napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static inline napi_value undef(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

static inline napi_value str(napi_env env, const char *s, size_t len) {
  napi_value r;
  if (!s) {
    napi_get_null(env, &r);
    return r;
  }
  napi_create_string_utf8(env, s, len, &r);
  return r;
}

static inline napi_value make_bins(napi_env env, const sioc_bin_t *atts, size_t n) {
  if (!n) return undef(env);
  napi_value arr;
  napi_create_array_with_length(env, n, &arr);
  for (size_t i = 0; i < n; i++) {
    napi_value b;
    void *unused;
    napi_create_buffer_copy(env, atts[i].len, atts[i].data, &unused, &b);
    napi_set_element(env, arr, (uint32_t)i, b);
  }
  return arr;
}


#endif
