/* A merchant's notify_url for the sandbox tests: a libmicrohttpd listener on loopback
 * that keeps every callback it receives (headers and body as received) and answers each
 * with the next status of a script (then 204). Thread-safe. */
#ifndef WX_TEST_CALLBACK_SINK_H
#define WX_TEST_CALLBACK_SINK_H

#include <stddef.h>

#include <wechatpay/wechatpay.h>

typedef struct sink_item {
    wx_kv_t *headers; /* {NULL,NULL}-terminated, owned */
    char *body;
    size_t body_len;
    int answered;     /* the status it was answered with */
} sink_item;

typedef struct sink sink;

/* Listen on 127.0.0.1 (a free port); fails the test when it cannot. */
sink *sink_start(void);
void sink_stop(sink *s);
int sink_port(const sink *s);
/* "http://127.0.0.1:PORT/PATH" in out. */
void sink_url(const sink *s, const char *path, char *out, size_t out_len);
/* Answer the next @p n callbacks with these statuses (then 204 again). */
void sink_script(sink *s, const int *statuses, size_t n);
/* Answer every callback with @p status from now on (204 restores the default). */
void sink_always(sink *s, int status);
/* Wait up to @p timeout_ms for at least @p count callbacks; returns how many there are. */
size_t sink_wait(sink *s, size_t count, int timeout_ms);
/* The i-th callback received (borrowed until sink_stop); NULL past the end. */
const sink_item *sink_at(sink *s, size_t i);

#endif
