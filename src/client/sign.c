/* Signing a request: the Authorization value over the method, target, time, nonce and
 * body, then the URL and the record of the request head. Also the pipeline's last two
 * steps (sign, freeze), and the debug hook's view of what is sent. */
#define _GNU_SOURCE 1 /* memmem */
#include <string.h>

#include "client/pipeline.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

enum { WX_NONCE_MAX = 64, WX_AUTH_MAX = 2048 };

/* The body as the debug hook shows it: an APIv2 body's sign masked, as the
 * Authorization signature is. */
static void debug_body(wx_buf *d, const char *body, size_t len)
{
    static const char open[] = "<sign><![CDATA[";
    const char *sign = memmem(body, len, open, sizeof open - 1);
    const char *end = sign ? memmem(sign, len - (size_t)(sign - body), "]]>", 3) : NULL;
    if (!end) {
        wx_buf_append(d, body, len);
        return;
    }
    wx_buf_append(d, body, (size_t)(sign - body) + sizeof open - 1);
    wx_buf_puts(d, "<masked>");
    wx_buf_append(d, end, len - (size_t)(end - body));
}

static void debug_request(wx_call *call)
{
    wx_client_t *c = call->client;
    if (!c->debug)
        return;
    wx_buf d = WX_BUF_INIT;
    wx_buf_puts(&d, "> ");
    const char *head = call->resp->request_head;
    /* The signature is not a secret, but a log is no place for credentials. */
    const char *sig = strstr(head, "signature=\"");
    if (sig) {
        wx_buf_append(&d, head, (size_t)(sig - head) + 11);
        wx_buf_puts(&d, "<masked>");
        const char *q = strchr(sig + 11, '"');
        wx_buf_puts(&d, q ? q : "\"");
    } else {
        wx_buf_puts(&d, head);
    }
    if (call->wire.body_len) {
        wx_buf_putc(&d, '\n');
        debug_body(&d, call->wire.body, call->wire.body_len);
        wx_buf_putc(&d, '\n');
    }
    if (wx_buf_ok(&d))
        c->debug(c->debug_ud, d.data, d.len);
    wx_buf_free(&d);
}

/* A nonce from the client's source. It goes between quotes in the header: letters and
 * digits only. */
static wx_err fresh_nonce(wx_client_t *c, char nonce[WX_NONCE_MAX], wx_error_t *err)
{
    nonce[WX_NONCE_MAX - 1] = 0;
    wx_err rc = c->nonce(c->nonce_ud, nonce);
    if (rc != WX_OK)
        return wx_error_set(err, WX_E_SIGN, "", "no nonce: %s", wx_strerror(rc));
    int ok = nonce[0] != 0;
    for (const char *p = nonce; *p; p++)
        ok &= (*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z');
    if (!ok)
        return wx_error_set(err, WX_E_SIGN, "nonce",
                            "the nonce source gave an empty nonce or one with characters "
                            "other than letters and digits");
    return WX_OK;
}

/* Sign (again, for a retry: a fresh timestamp and nonce) and aim at base_url: the
 * Authorization value, the URL and the record of the request head. */
wx_err wx_call_sign(wx_call *call, const char *base_url, wx_error_t *err)
{
    if (call->v2.on) { /* signed inside the body, which stays as it is */
        wx_err rc = wx_v2_aim(call, base_url, err);
        if (rc == WX_OK)
            debug_request(call);
        return rc;
    }
    wx_client_t *c = call->client;
    char nonce[WX_NONCE_MAX];
    wx_err rc = fresh_nonce(c, nonce, err);
    if (rc != WX_OK)
        return rc;
    const char *body = call->upload.meta ? call->upload.meta : call->wire.body;
    size_t body_len = call->upload.meta ? strlen(call->upload.meta) : call->wire.body_len;
    wx_sign_input_t in = {call->wire.method, call->wire.target, body ? body : "", body ? body_len : 0,
                          wx_client_now(c), nonce};
    char auth[WX_AUTH_MAX];
    auth[sizeof auth - 1] = 0; /* whatever the signer does, the header ends here */
    if ((rc = c->signer->authorization(c->signer->ctx, &in, auth, sizeof auth, err)) != WX_OK) {
        rc = rc == WX_E_NOMEM ? rc : WX_E_SIGN;
        if (err)
            err->code = rc;
        return rc;
    }
    if (wx_has_crlf_nul(auth, strlen(auth)))
        return wx_error_set(err, WX_E_SIGN, "", "the signer produced a header with CR or LF");
    char *copy = wx_strdup(auth);
    wx_buf url = WX_BUF_INIT, head = WX_BUF_INIT;
    wx_buf_puts(&url, base_url);
    wx_buf_puts(&url, call->wire.target + 1);
    if (copy) {
        call->wire.headers[0].value = copy;
        wx_buf_printf(&head, "%s %s HTTP/1.1\n", call->wire.method, call->wire.target);
        for (size_t i = 0; call->wire.headers[i].key; i++)
            wx_buf_printf(&head, "%s: %s\n", call->wire.headers[i].key, call->wire.headers[i].value);
    }
    if (!copy || !wx_buf_ok(&url) || !wx_buf_ok(&head)) {
        if (copy)
            call->wire.headers[0].value = call->wire.auth ? call->wire.auth : "";
        wx_free(copy);
        wx_buf_free(&url);
        wx_buf_free(&head);
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    wx_free(call->wire.auth);
    call->wire.auth = copy;
    wx_buf_free(&call->wire.url);
    call->wire.url = url;
    call->wire.req.url = call->wire.url.data;
    wx_free(call->resp->request_head);
    call->resp->request_head = wx_buf_steal(&head, NULL);
    debug_request(call);
    return WX_OK;
}

/* ---------------------------------------------------------------- steps */

wx_err wx_step_sign(wx_prep *p)
{
    wx_call *call = p->call;
    wx_client_t *c = p->client;
    if (!(call->wire.method = wx_strdup(p->method_name)) ||
        !(call->wire.target = wx_strdup(p->target.data)))
        return wx_prep_nomem(p);
    wx_http_request_t *req = &call->wire.req; /* the upload fields are the payload step's */
    req->method = call->wire.method;
    req->headers = call->wire.headers;
    req->body = call->wire.body;
    req->body_len = call->wire.body_len;
    req->connect_timeout_ms = c->connect_timeout_ms;
    req->timeout_ms = p->o->timeout_ms > 0 ? p->o->timeout_ms : c->timeout_ms;
    req->max_response_bytes = c->max_response_bytes;
    req->retry_safe = p->o->retry_safe;
    req->low_speed_limit = c->low_speed_limit;
    req->low_speed_time_s = c->low_speed_time_s;
    return wx_call_sign(call, c->base_url, &p->err);
}

wx_err wx_step_freeze(wx_prep *p)
{
    wx_call *call = p->call;
    wx_response_t *r = call->resp;
    /* The record of the body: for an upload, the meta JSON that was signed. */
    const char *sent = call->upload.meta ? call->upload.meta : call->wire.body;
    size_t sent_len = call->upload.meta ? strlen(call->upload.meta) : call->wire.body_len;
    if (sent && !(r->request_body = wx_memdup(sent, sent_len)))
        return wx_prep_nomem(p);
    r->request_body_len = sent_len;
    r->http.body.limit = p->client->max_response_bytes;
    call->answer.sink = p->o->sink;
    call->answer.sink_ud = p->o->sink_ud;
    call->answer.decrypt = p->o->version >= 2 && p->o->decrypt_response; /* a version 2 member */
    if (p->o->sink && call->answer.unsigned_2xx) {
        /* Nothing to verify: stream straight to the caller, whatever its size (a bill
           may be larger than any body worth keeping; an error body still is kept and
           limited). */
        /* An APIv2 download answers a failure as XML with 200: wx_v2_stream keeps
           that back to be judged and passes a bill on. */
        r->http.sink = call->v2.on ? wx_v2_stream : p->o->sink;
        r->http.sink_ud = call->v2.on ? (void *)call : p->o->sink_ud;
        call->wire.req.max_response_bytes = 0;
    }
    return WX_OK;
}
