#include "http_response.h"

#include <string.h>

#include "util/alloc.h"

void wx_http_response_init(wx_http_response_t *r, size_t max_bytes)
{
    memset(r, 0, sizeof *r);
    wx_buf_init(&r->body);
    r->body.limit = max_bytes;
}

static void free_headers(wx_http_response_t *r)
{
    for (size_t i = 0; i < r->header_count; i++)
        wx_free((char *)r->headers[i].key); /* key and value share one allocation */
    wx_free(r->headers);
    r->headers = NULL;
    r->header_count = r->header_cap = 0;
}

void wx_http_response_clear(wx_http_response_t *r)
{
    size_t limit = r->body.limit;
    free_headers(r);
    wx_buf_free(&r->body);
    wx_http_response_init(r, limit);
}

void wx_http_response_restart(wx_http_response_t *r)
{
    free_headers(r);
    wx_buf_reset(&r->body);
    r->status = 0;
    r->sink_bytes = 0;
}

void wx_http_response_set_status(wx_http_response_t *r, int status)
{
    if (r)
        r->status = status;
}

wx_err wx_http_response_add_header(wx_http_response_t *r, const char *name, size_t name_len,
                                   const char *value, size_t value_len)
{
    if (!r || !name)
        return WX_E_INVALID_ARG;
    if (r->header_count + 1 >= r->header_cap) {
        size_t cap = r->header_cap ? r->header_cap * 2 : 16;
        wx_kv_t *h = wx_realloc(r->headers, cap * sizeof *h);
        if (!h)
            return WX_E_NOMEM;
        r->headers = h;
        r->header_cap = cap;
    }
    char *mem = wx_malloc(name_len + value_len + 2);
    if (!mem)
        return WX_E_NOMEM;
    memcpy(mem, name, name_len);
    mem[name_len] = 0;
    if (value_len)
        memcpy(mem + name_len + 1, value, value_len);
    mem[name_len + 1 + value_len] = 0;
    r->headers[r->header_count++] = (wx_kv_t){mem, mem + name_len + 1};
    r->headers[r->header_count] = (wx_kv_t){NULL, NULL};
    return WX_OK;
}

wx_err wx_http_response_append(wx_http_response_t *r, const void *data, size_t len)
{
    if (!r)
        return WX_E_INVALID_ARG;
    /* Only a success streams to the caller; an error answer is kept to be verified.
     * A stream is not held in memory, so the size limit is for kept bodies only. */
    if (r->sink && r->status >= 200 && r->status < 300) {
        r->sink_bytes += len;
        if (r->sink(r->sink_ud, data, len) != 0) {
            r->sink_aborted = 1;
            return WX_E_IO;
        }
        return WX_OK;
    }
    wx_buf_append(&r->body, data, len);
    return r->body.failed;
}
