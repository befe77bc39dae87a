/* Pipeline step: the request's header list. Authorization comes first with an empty
 * value (the sign step fills it in), then Accept, Content-Type and User-Agent unless the
 * caller gave them, then the caller's, checked. An APIv2 call is signed inside its XML
 * body: no Authorization, and XML types. */
#include <string.h>

#include "client/pipeline.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

enum { WX_MAX_HEADERS = 48 };

typedef struct header_list {
    size_t name[WX_MAX_HEADERS], value[WX_MAX_HEADERS]; /* offsets in head_store */
    size_t count;
} header_list;

static int header_token_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 32 || c >= 127 || strchr("()<>@,;:\\\"/[]?={}", c))
            return 0;
    }
    return 1;
}

static void add_header(wx_call *call, header_list *h, const char *name, const char *value)
{
    wx_buf *store = &call->wire.head_store;
    if (h->count == WX_MAX_HEADERS) {
        store->failed = WX_E_TOO_LARGE;
        return;
    }
    h->name[h->count] = store->len;
    wx_buf_append(store, name, strlen(name) + 1);
    h->value[h->count] = store->len;
    wx_buf_append(store, value, strlen(value) + 1);
    h->count++;
}

/* One header the caller gave: a token name, a value as RFC 9110 allows it (no control
 * byte but tab: CR and LF would forge a header, servers and proxies refuse the others),
 * and none of the headers the library sets itself. */
static wx_err check_caller_header(const char *name, const char *value, wx_error_t *err)
{
    if (!header_token_ok(name))
        return wx_error_set(err, WX_E_HEADER_VALUE, name, "header name \"%.64s\" is not a token",
                            name);
    if (wx_has_control(value, 1))
        return wx_error_set(err, WX_E_HEADER_VALUE, name,
                            "header %s: value contains a control character (CR, LF, ...)",
                            name);
    if (wx_strcasecmp_ascii(name, "Authorization") == 0 ||
        wx_strcasecmp_ascii(name, "Content-Length") == 0 || wx_strcasecmp_ascii(name, "Host") == 0)
        return wx_error_set(err, WX_E_INVALID_ARG, name,
                            "header %s is set by the library and cannot be given", name);
    return WX_OK;
}

/* The list as wx_kv_t pairs into head_store, ended by {NULL, NULL}. */
static wx_err freeze_list(wx_prep *p, const header_list *h)
{
    wx_call *call = p->call;
    wx_buf *store = &call->wire.head_store;
    if (!wx_buf_ok(store))
        return wx_error_set(&p->err, store->failed, "headers",
                            store->failed == WX_E_TOO_LARGE ? "more than %d headers"
                                                            : "out of memory",
                            WX_MAX_HEADERS);
    if (!(call->wire.headers = wx_malloc((h->count + 1) * sizeof *call->wire.headers)))
        return wx_prep_nomem(p);
    for (size_t i = 0; i < h->count; i++)
        call->wire.headers[i] = (wx_kv_t){store->data + h->name[i], store->data + h->value[i]};
    call->wire.headers[h->count] = (wx_kv_t){NULL, NULL};
    return WX_OK;
}

wx_err wx_step_headers(wx_prep *p)
{
    wx_call *call = p->call;
    const wx_kv_t *given = p->headers;
    int v2 = call->v2.on;
    header_list h = {0};
    if (!v2)
        add_header(call, &h, "Authorization", "");
    /* the bills come as text, or gzip with tar_type GZIP */
    add_header(call, &h, "Accept",
               v2 ? "text/xml, application/xml, text/plain, application/x-gzip" : "application/json");
    if (call->wire.body && !wx_kv_find_ci(given, "Content-Type"))
        add_header(call, &h, "Content-Type", v2 ? "text/xml; charset=utf-8" : "application/json");
    if (!wx_kv_find_ci(given, "User-Agent"))
        add_header(call, &h, "User-Agent", p->client->user_agent);
    for (size_t i = 0; given && given[i].key; i++) {
        const char *value = given[i].value ? given[i].value : "";
        wx_err rc = check_caller_header(given[i].key, value, &p->err);
        if (rc != WX_OK)
            return rc;
        add_header(call, &h, given[i].key, value);
    }
    return freeze_list(p, &h);
}
