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

/* ---- walking validated text, without a tree ------------------------------
 * A span is one JSON value inside text that sioc__json_check accepted (no
 * surrounding whitespace).  Looking a member up or stepping through an
 * array costs no allocation, so a hostile value of any size costs one
 * linear scan, never a node per element. */
typedef struct {
  const char *p;
  size_t n;                      /* 0: no value */
} sioc__json_span_t;

/* The span of the single value of text s[0..n) (whitespace trimmed). */
sioc__json_span_t sioc__json_span(const char *s, size_t n);

/* The kind of v's value, or -1 for an empty span. */
int sioc__json_kind(sioc__json_span_t v);

/* The value of member `key` of object v (the last of equal keys, as
 * JSON.parse keeps), or an empty span when v is no object or has none. */
sioc__json_span_t sioc__json_get(sioc__json_span_t v, const char *key);

/* Array elements in order: *pos starts at 0; returns 1 and the next element
 * in *elem, 0 at the end (or when v is no array). */
int sioc__json_next(sioc__json_span_t v, size_t *pos, sioc__json_span_t *elem);

/* 1 when v is the literal true. */
int sioc__json_is_true(sioc__json_span_t v);

/* The number v, or 0 when v is no number (*ok set to 0/1 when non-NULL). */
double sioc__json_number(sioc__json_span_t v, int *ok);

/* A NUL-terminated copy of string v's value (JSON.parse's string, as UTF-8;
 * an escaped NUL cuts it short), or NULL when v is no string or on
 * SIOC_ENOMEM. */
char *sioc__json_strdup(sioc__json_span_t v);

#endif
