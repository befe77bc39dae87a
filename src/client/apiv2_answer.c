/* An APIv2 answer, judged before anything of it is handed back: parsed with the XML
 * rules of wechatpay/apiv2.h (a refused document is WX_E_XML), return_code, then the
 * sign with the request's algorithm (unless WeChat Pay answers the endpoint unsigned),
 * then result_code. The verified fields become the response's JSON object. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/apiv2.h>

#include "client/client_internal.h"
#include "util/alloc.h"
#include "util/error.h"

/* Not one byte of an answer that fails its checks reaches the caller. */
static void reject(wx_response_t *r, wx_err rc, wx_error_t *e)
{
    e->code = rc;
    e->http_status = r->http.status;
    wx_response_fail(r, rc, e);
    wx_secure_zero(r->http.body.data, r->http.body.len);
    wx_buf_free(&r->http.body);
}

static const char *field(json_object *f, const char *name)
{
    json_object *v = json_object_object_get(f, name);
    return v ? json_object_get_string(v) : NULL;
}

/* WeChat Pay's own failure, carried like an APIv3 error's code and message. */
static void business_error(wx_response_t *r, const char *code, const char *message,
                           const char *what)
{
    wx_error_t *e = &r->error;
    snprintf(e->server_code, sizeof e->server_code, "%s", code ? code : "FAIL");
    snprintf(e->server_message, sizeof e->server_message, "%s", message ? message : "");
    snprintf(e->message, sizeof e->message, "%s: %s: %s", what, e->server_code, e->server_message);
    snprintf(e->where, sizeof e->where, "%s", what);
    e->code = WX_E_HTTP;
}

/* A 2xx body that is not XML where WeChat Pay answers unsigned: a bill, as it came. */
static int is_plain_download(const wx_call *call)
{
    const wx_buf *b = &call->resp->http.body;
    size_t i = 0;
    while (i < b->len && (b->data[i] == ' ' || b->data[i] == '\n' || b->data[i] == '\r'))
        i++;
    return call->answer.unsigned_2xx && (i == b->len || b->data[i] != '<');
}

int wx_v2_stream(void *ud, const void *data, size_t len)
{
    wx_call *call = ud;
    const char *p = data;
    if (!len)
        return 0;
    if (!call->v2.stream_seen) {
        call->v2.stream_seen = 1;
        call->v2.stream_xml = p[0] == '<' || p[0] == ' ' || p[0] == '\r' || p[0] == '\n' ||
                              p[0] == '\t';
    }
    if (!call->v2.stream_xml)
        return call->answer.sink(call->answer.sink_ud, data, len);
    /* Kept up to one byte over the decoder's limit, so that it says what is wrong. */
    wx_buf *body = &call->resp->http.body;
    size_t room = WX_V2_XML_MAX_BYTES + 1 > body->len ? WX_V2_XML_MAX_BYTES + 1 - body->len : 0;
    wx_buf_append(body, data, len < room ? len : room);
    return wx_buf_ok(body) ? 0 : -1;
}

int wx_v2_finish(wx_call *call, wx_err transport_rc, const wx_error_t *transport_err)
{
    wx_response_t *r = call->resp;
    r->error.http_status = r->http.status;
    wx_error_t e;
    wx_error_clear(&e);
    if (transport_rc != WX_OK) {
        e = *transport_err;
        e.http_status = r->http.status;
        wx_response_fail(r, transport_rc, &e);
        wx_buf_free(&r->http.body);
        return 0;
    }
    int status = r->http.status;
    if (status < 200 || status >= 300) {
        wx_error_set(&e, WX_E_HTTP, "", "HTTP %d from an APIv2 endpoint", status);
        reject(r, WX_E_HTTP, &e);
        return 0;
    }
    if (is_plain_download(call)) {
        r->body_visible = 1;
        r->error.code = WX_OK;
        return 1;
    }
    json_object *f = NULL;
    wx_err rc = wx_v2_xml_decode(r->http.body.data, r->http.body.len, &f, &e);
    if (rc != WX_OK) {
        reject(r, rc == WX_E_NOMEM ? rc : WX_E_XML, &e);
        return 0;
    }
    const char *ret = field(f, "return_code"), *result = field(f, "result_code");
    int failed_return = !ret || strcmp(ret, "SUCCESS") != 0;
    /* WeChat Pay does not sign a return_code FAIL; everything else must verify. */
    if (!failed_return && !call->answer.unsigned_2xx &&
        (rc = wx_v2_verify(f, call->client->v2.key, (wx_v2_sign_type)call->v2.sign_type, &e)) !=
            WX_OK) {
        json_object_put(f);
        wx_error_prefix(&e, "APIv2 answer");
        reject(r, rc, &e);
        return 0;
    }
    r->json = f;
    r->json_parsed = 1;
    r->body_visible = 1;
    r->error.code = WX_OK;
    if (failed_return) /* the bill downloads say which failure in error_code */
        business_error(r, field(f, "error_code") ? field(f, "error_code") : ret,
                       field(f, "return_msg"), "return_code");
    else if (result && strcmp(result, "SUCCESS") != 0)
        business_error(r, field(f, "err_code"), field(f, "err_code_des"), "result_code");
    return 1;
}
