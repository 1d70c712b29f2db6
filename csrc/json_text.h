/* json_text.h - JSON text without a tree: a strict validating scanner and a
 * string quoter that writes what JavaScript's JSON.stringify writes.
 *
 * The hot path never builds a JSON tree: received event data is validated
 * once with sioc__json_check and then passed along as text.  No allocation.
 */
#ifndef SIOC_JSON_TEXT_H
#define SIOC_JSON_TEXT_H

#include <stddef.h>
#include "buf.h"

typedef enum {
  SIOC_JSON_NULL,
  SIOC_JSON_FALSE,
  SIOC_JSON_TRUE,
  SIOC_JSON_NUMBER,
  SIOC_JSON_STRING,
  SIOC_JSON_ARRAY,
  SIOC_JSON_OBJECT
} sioc__json_kind_t;

/* Nesting deeper than this is rejected (V8 itself stops near this depth). */
#define SIOC_JSON_MAX_DEPTH 512

/* Checks that s[0..n) is exactly one JSON value, with optional surrounding
 * JSON whitespace, by the grammar of ECMAScript JSON.parse (RFC 8259).  The
 * bytes must be valid UTF-8.  Returns the value's kind (>= 0) or SIOC_EPROTO. */
int sioc__json_check(const char *s, size_t n);

/* Given text already accepted by sioc__json_check, returns the length of the
 * single JSON value starting at s (no leading whitespace), so that a caller
 * can walk array elements.  On other text it returns some length <= n and
 * never reads outside s[0..n).  */
size_t sioc__json_value_len(const char *s, size_t n);

/* Appends the JSON string literal (with quotes) for the UTF-8 text s[0..n),
 * escaping exactly as JSON.stringify does: \" \\ \b \f \n \r \t, other
 * control characters as \u00xx (lowercase hex), everything else verbatim.
 * Invalid UTF-8 sequences are written as U+FFFD.  0 or SIOC_ENOMEM. */
int sioc__json_quote(sioc__sbuf_t *out, const char *s, size_t n);

/* Appends the UTF-8 value of the JSON string literal lit[0..n) (quotes
 * included, already validated).  Escaped lone surrogates become U+FFFD (as
 * Node's Buffer.from(string) does).  The value is never longer than the
 * literal.  0 or SIOC_ENOMEM. */
int sioc__json_unquote(sioc__sbuf_t *out, const char *lit, size_t n);

#endif
