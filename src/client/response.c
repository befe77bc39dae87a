/* The response object and its accessors. A response that failed verification keeps
 * its status for diagnosis but never exposes its body. */
#include <string.h>

#include <json-c/json.h>

#include "client/client_internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strutil.h"

/* Returned when even a response cannot be allocated; wx_response_free ignores it. */
static wx_response_t g_oom = {
    .error = {.code = WX_E_NOMEM, .message = "out of memory"},
    .is_static = 1,
};

wx_response_t *wx_response_oom(void) { return &g_oom; }

wx_response_t *wx_response_new(void)
{
    wx_response_t *r = wx_calloc(1, sizeof *r);
    if (!r)
        return NULL;
    wx_http_response_init(&r->http, 0);
    return r;
}

void wx_response_fail(wx_response_t *r, wx_err code, const wx_error_t *err)
{
    if (r->is_static)
        return;
    int status = r->error.http_status;
    if (err && err != &r->error)
        r->error = *err;
    else if (!err)
        wx_error_set(&r->error, code, "", NULL);
    r->error.code = code;
    if (!r->error.http_status)
        r->error.http_status = status;
    r->body_visible = 0;
}

void wx_response_free(wx_response_t *r)
{
    if (!r || r->is_static)
        return;
    wx_http_response_clear(&r->http);
    if (r->json)
        json_object_put(r->json);
    wx_violations_free(r->violations);
    wx_free(r->request_head);
    wx_free(r->request_body);
    wx_free(r);
}

wx_err wx_response_err(const wx_response_t *r) { return r ? r->error.code : WX_E_NOMEM; }

const wx_error_t *wx_response_error_detail(const wx_response_t *r) { return r ? &r->error : &g_oom.error; }

int wx_response_status(const wx_response_t *r) { return r ? r->http.status : 0; }

const char *wx_response_body(const wx_response_t *r, size_t *len)
{
    if (len)
        *len = 0;
    if (!r || !r->body_visible)
        return NULL;
    if (len)
        *len = r->http.body.len;
    return wx_buf_str(&r->http.body);
}

struct json_object *wx_response_json(const wx_response_t *r)
{
    if (!r || !r->body_visible || !r->http.body.len)
        return NULL;
    wx_response_t *m = (wx_response_t *)r; /* parsing once is a cache fill */
    if (!m->json_parsed) {
        m->json_parsed = 1;
        (void)wx_json_parse(m->http.body.data, m->http.body.len, "response", &m->json, NULL);
    }
    return m->json;
}

const char *wx_response_header(const wx_response_t *r, const char *name)
{
    if (!r || !name)
        return NULL;
    for (size_t i = 0; i < r->http.header_count; i++)
        if (wx_strcasecmp_ascii(r->http.headers[i].key, name) == 0)
            return r->http.headers[i].value;
    return NULL;
}

size_t wx_response_header_count(const wx_response_t *r) { return r ? r->http.header_count : 0; }

wx_err wx_response_header_at(const wx_response_t *r, size_t i, const char **name,
                             const char **value)
{
    if (!r || i >= r->http.header_count)
        return WX_E_NOT_FOUND;
    if (name)
        *name = r->http.headers[i].key;
    if (value)
        *value = r->http.headers[i].value;
    return WX_OK;
}

size_t wx_response_violation_count(const wx_response_t *r)
{
    return r ? wx_violations_count(r->violations) : 0;
}

const wx_violation_t *wx_response_violation(const wx_response_t *r, size_t i)
{
    return r ? wx_violations_at(r->violations, i) : NULL;
}

const char *wx_response_request_head(const wx_response_t *r) { return r ? r->request_head : NULL; }

const char *wx_response_request_body(const wx_response_t *r, size_t *len)
{
    if (len)
        *len = r && r->request_body ? r->request_body_len : 0;
    return r ? r->request_body : NULL;
}
