/* redis_link.h - two connections to one Redis server on a libuv loop, kept
 * up whatever Redis does: `pub` carries commands (PUBLISH, PUBSUB NUMSUB),
 * `sub` is in subscribed state and delivers messages.
 *
 * The link connects in the background, gives up a connection attempt after
 * SIO_REDIS_CONNECT_TIMEOUT_MS, and after any failure drops both
 * connections and makes both again after a backoff delay (doubling from
 * reconnect_delay_ms to reconnect_delay_max_ms).  It logs each state
 * change once (not each retry).  It bounds what it holds: a command is
 * refused while max_buffered_bytes wait to be written to Redis (a Redis
 * that stops reading must not grow our memory), a message longer than
 * max_message_bytes is dropped, and one still arriving past that length
 * resets the subscriber connection (hiredis holds a message whole: that is
 * the only way to skip it).
 *
 * Ownership: the owner (the cluster, adapter_redis.c) makes the link with
 * sio__redis_link_new() and lets go of it with sio__redis_link_close(); the
 * link then drops its connections and timers, calls on_closed once its
 * last uv handle is closed, and frees itself.  No callback runs after
 * on_closed.  The owner must stay valid until then.  The commands also
 * take NULL (a link already closed) and then fail with SIOC_ECLOSED.  Loop
 * thread only.
 */
#ifndef SIOC_REDIS_LINK_H
#define SIOC_REDIS_LINK_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "sioc.h"

/* hiredis has no connect timeout: a Redis that never answers the SYN
 * would keep us connecting forever. */
#define SIO_REDIS_CONNECT_TIMEOUT_MS 5000

/* max_message_bytes and max_buffered_bytes when the options say 0. */
#define SIO_REDIS_MAX_BYTES_DEFAULT ((size_t)16 << 20)

typedef struct sio__redis_link_s sio__redis_link_t;

typedef struct {
  /* New connections exist (not yet connected): the owner queues its
   * SUBSCRIBE commands now, so that they are in place when the link is up. */
  void (*on_connecting)(void *owner);
  /* A message on `sub` (at most max_message_bytes): pattern is the
   * PSUBSCRIBE pattern that matched, or NULL for a SUBSCRIBE'd channel.
   * Strings are valid during the call. */
  void (*on_message)(void *owner, const char *pattern, const char *channel,
                     const char *payload, size_t len);
  /* The answer to sio__redis_link_numsub(token): the number of subscribers,
   * or -1 when the command failed or the link went down first. */
  void (*on_numsub)(void *owner, uint64_t token, long n);
  /* After sio__redis_link_close(): the link is gone. */
  void (*on_closed)(void *owner);
} sio__redis_link_events_t;

/* Parses opts->url and copies the options; the link starts connecting at
 * once.  0, SIOC_EINVAL (bad URL), SIOC_ENOMEM. */
int sio__redis_link_new(uv_loop_t *loop, const sioc_redis_options_t *opts,
                        const sio__redis_link_events_t *events, void *owner,
                        sio__redis_link_t **out);

/* Drops the connections (pending command callbacks run with failure) and
 * frees the link once its handles are closed (on_closed). */
void sio__redis_link_close(sio__redis_link_t *l);

/* 1 when both connections are up (0 for NULL). */
int sio__redis_link_up(const sio__redis_link_t *l);

/* PUBLISH on `pub`.  0 (queued), SIOC_ECLOSED (the link is down: nobody
 * hears us during an outage), SIOC_ELIMIT (max_buffered_bytes wait for
 * Redis already; the first refusal of a stall is logged). */
int sio__redis_link_publish(sio__redis_link_t *l, const char *channel,
                            const char *msg, size_t len);

/* verb ("SUBSCRIBE", "UNSUBSCRIBE", "PSUBSCRIBE", "PUNSUBSCRIBE") channel
 * on `sub` while a sub connection exists (connecting or up); nothing
 * otherwise (on_connecting asks again).  0, SIOC_ECLOSED, SIOC_ELIMIT. */
int sio__redis_link_subscribe(sio__redis_link_t *l, const char *verb,
                              const char *channel);

/* PUBSUB NUMSUB channel on `pub`; on_numsub(token) answers, also on
 * failure, unless this returns an error (SIOC_ECLOSED, SIOC_ELIMIT). */
int sio__redis_link_numsub(sio__redis_link_t *l, const char *channel,
                           uint64_t token);

/* A message on `channel` was dropped because of `why`: one log line (a
 * warning, through the log callback or on stderr, as the link's own state
 * changes), then at most one a minute, with the number dropped meanwhile. */
void sio__redis_link_refused(sio__redis_link_t *l, const char *channel, const char *why);

/* "redis://host:port" (never the password), for log lines. */
const char *sio__redis_link_url(const sio__redis_link_t *l);

#endif
