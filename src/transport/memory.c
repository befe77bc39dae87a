/* The in-memory transport: a handler function plays the server. Unit tests use it to
 * see exactly what would go on the wire and to answer anything they like. */
#include <wechatpay/plugin.h>
#include <wechatpay/sys/transport_memory.h>

#include "transport/http_response.h"
#include "util/alloc.h"
#include "util/error.h"

typedef struct memory_transport {
    wx_transport_t pub;
    wx_memory_handler_fn handler;
    void *ud;
} memory_transport;

static wx_err memory_submit(void *ctx, const wx_http_request_t *req, wx_http_response_t *resp,
                            wx_http_done_fn done, void *done_ud)
{
    memory_transport *t = ctx;
    wx_err rc = t->handler(t->ud, req, resp);
    wx_error_t err;
    wx_error_clear(&err);
    if (rc != WX_OK)
        wx_error_set(&err, rc, req->url, "in-memory transport: %s", wx_strerror(rc));
    done(done_ud, rc, &err);
    return WX_OK;
}

static size_t memory_perform(void *ctx, int64_t timeout_ms) { return 0; }

static void memory_destroy(void *ctx) { wx_free(ctx); }

wx_transport_t *wx_transport_memory(wx_memory_handler_fn handler, void *ud)
{
    if (!handler)
        return NULL;
    memory_transport *t = wx_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->handler = handler;
    t->ud = ud;
    t->pub.ctx = t;
    t->pub.submit = memory_submit;
    t->pub.perform = memory_perform;
    t->pub.destroy = memory_destroy;
    return &t->pub;
}

void wx_transport_free(wx_transport_t *t)
{
    if (t && t->destroy)
        t->destroy(t->ctx);
}
