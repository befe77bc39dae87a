/* What a transport fills while a response arrives: status, headers, body (or a
 * caller's body sink), bounded by the request's maximum size. */
#ifndef WX_TRANSPORT_HTTP_RESPONSE_H
#define WX_TRANSPORT_HTTP_RESPONSE_H

#include <wechatpay/chain.h>
#include <wechatpay/plugin.h>
#include "util/buf.h"

struct wx_http_response {
    int status;
    wx_kv_t *headers;        /* owned strings; headers[count] = {NULL, NULL} */
    size_t header_count, header_cap;
    wx_buf body;             /* body.limit = the request's maximum size */
    wx_body_sink_fn sink;    /* when set, a 2xx body goes here instead of `body` */
    void *sink_ud;
    size_t sink_bytes;
    int sink_aborted;
};

void wx_http_response_init(wx_http_response_t *r, size_t max_bytes);
void wx_http_response_clear(wx_http_response_t *r);   /* frees, then re-inits empty */
/* Forget headers and body (a new status line arrived: redirect, 100-continue, retry). */
void wx_http_response_restart(wx_http_response_t *r);

#endif
