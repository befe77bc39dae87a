/* A request's way back in: after a failed attempt, whether to send it again; then
 * verify the signature over the exact bytes received (before anything is parsed), turn
 * a 4xx/5xx into WX_E_HTTP with the server's code/message, and optionally validate the
 * response against its endpoint. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <wechatpay/sensitive.h>

#include "client/client_internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

static void debug_response(wx_call *call)
{
    wx_client_t *c = call->client;
    if (!c->debug)
        return;
    wx_response_t *r = call->resp;
    wx_buf d = WX_BUF_INIT;
    wx_buf_printf(&d, "< %d (%s)\n", r->http.status, wx_err_name(r->error.code));
    for (size_t i = 0; i < r->http.header_count; i++)
        wx_buf_printf(&d, "< %s: %s\n", r->http.headers[i].key, r->http.headers[i].value);
    if (r->body_visible && r->http.body.len) {
        wx_buf_append(&d, r->http.body.data, r->http.body.len);
        wx_buf_putc(&d, '\n');
    } else if (r->error.code != WX_OK) {
        wx_buf_printf(&d, "< error: %s\n", r->error.message);
    }
    if (wx_buf_ok(&d))
        c->debug(c->debug_ud, d.data, d.len);
    wx_buf_free(&d);
}

/* ---------------------------------------------------------------- retry */

int wx_call_retry(wx_call *call, wx_err rc)
{
    wx_client_t *c = call->client;
    wx_response_t *r = call->resp;
    call->wire.attempts++;
    if (call->wire.attempts > c->max_retries || r->http.sink_bytes)
        return 0; /* out of attempts, or part of the body already went to the caller */
    int status = r->http.status;
    int nothing_sent = rc == WX_E_CONNECT;
    int maybe_received = (rc == WX_E_TRANSPORT || rc == WX_E_TIMEOUT) ||
                         (rc == WX_OK && status >= 500 && status < 600);
    if (!nothing_sent && !(maybe_received && call->wire.req.retry_safe))
        return 0;
    /* A connection failure goes to the other domain, when there is one. */
    const char *base = c->base_url;
    if (nothing_sent && c->backup_base_url) {
        call->wire.on_backup = !call->wire.on_backup;
        base = call->wire.on_backup ? c->backup_base_url : c->base_url;
    } else if (call->wire.on_backup) {
        base = c->backup_base_url;
    }
    wx_error_t err;
    wx_error_clear(&err);
    if (wx_call_sign(call, base, &err) != WX_OK)
        return 0;
    wx_http_response_restart(&r->http);
    return 1;
}

/* ---------------------------------------------------------------- finish */

static void take_server_error(wx_response_t *r)
{
    struct json_object *j = wx_response_json(r), *v;
    wx_error_t *e = &r->error;
    if (j && json_object_object_get_ex(j, "code", &v) && json_object_is_type(v, json_type_string))
        snprintf(e->server_code, sizeof e->server_code, "%s", json_object_get_string(v));
    if (j && json_object_object_get_ex(j, "message", &v) &&
        json_object_is_type(v, json_type_string))
        snprintf(e->server_message, sizeof e->server_message, "%s", json_object_get_string(v));
    if (e->server_code[0])
        snprintf(e->message, sizeof e->message, "HTTP %d %s: %s", r->http.status, e->server_code,
                 e->server_message);
    else
        snprintf(e->message, sizeof e->message, "HTTP %d", r->http.status);
}

/* A response that does not verify: its error, and not one byte of its body. */
static void reject(wx_call *call, wx_err rc, wx_error_t *e)
{
    wx_response_t *r = call->resp;
    e->code = rc;
    e->http_status = r->http.status;
    wx_response_fail(r, rc, e);
    wx_secure_zero(r->http.body.data, r->http.body.len);
    wx_buf_free(&r->http.body);
    debug_response(call);
}

static void finish_verified(wx_call *call);
static void finish_checked(wx_call *call);

void wx_call_finish(wx_call *call, wx_err transport_rc, const wx_error_t *transport_err)
{
    if (call->v2.on) { /* judged by its own rules, then the common checks */
        if (wx_v2_finish(call, transport_rc, transport_err))
            finish_checked(call);
        else
            debug_response(call);
        return;
    }
    wx_client_t *c = call->client;
    wx_response_t *r = call->resp;
    r->error.http_status = r->http.status;
    if (transport_rc != WX_OK) {
        wx_error_t e = *transport_err;
        e.http_status = r->http.status;
        wx_response_fail(r, transport_rc, &e);
        wx_buf_free(&r->http.body);
        debug_response(call);
        return;
    }
    int status = r->http.status;
    int ok2xx = status >= 200 && status < 300;
    if (!(call->answer.unsigned_2xx && ok2xx)) {
        wx_error_t e;
        wx_error_clear(&e);
        wx_verify_input_t in = {status, r->http.headers ? r->http.headers : (wx_kv_t[]){{0, 0}},
                                r->http.body.data ? r->http.body.data : "", r->http.body.len,
                                wx_client_now(c)};
        wx_err rc = c->verifier->verify(c->verifier->ctx, &in, &e);
        if (rc == WX_E_VERIFY_SERIAL && wx_certs_hold_for_serial(call)) {
            /* An unknown platform key: the body is kept, unseen (body_visible stays 0),
             * until wx_call_settle has refreshed the certificates, or for the
             * certificate download to check itself against what it carries. */
            e.code = rc;
            e.http_status = status;
            wx_response_fail(r, rc, &e);
            call->answer.serial_pending = 1;
            return;
        }
        if (rc != WX_OK) {
            /* Not one byte of an unverified body reaches the caller. */
            reject(call, rc, &e);
            return;
        }
    }
    finish_verified(call);
}

void wx_call_settle(wx_call *call)
{
    if (!call->answer.serial_pending || call->answer.cert_download)
        return;
    call->answer.serial_pending = 0;
    wx_client_t *c = call->client;
    wx_response_t *r = call->resp;
    wx_error_t e;
    wx_error_clear(&e);
    wx_err rc = wx_certs_refresh_for_serial(c, wx_response_header(r, "Wechatpay-Serial"), &e);
    if (rc == WX_OK) {
        /* The refreshed keyring holds the serial: the usual check decides. */
        wx_verify_input_t in = {r->http.status, r->http.headers, wx_buf_str(&r->http.body),
                                r->http.body.len, wx_client_now(c)};
        rc = c->verifier->verify(c->verifier->ctx, &in, &e);
    }
    if (rc != WX_OK) {
        reject(call, rc, &e);
        return;
    }
    wx_error_clear(&r->error); /* the unknown-serial failure recorded while it waited */
    r->error.http_status = r->http.status;
    finish_verified(call);
}

/* After verification (or for an unsigned download): HTTP errors, then the common
 * checks. */
static void finish_verified(wx_call *call)
{
    wx_response_t *r = call->resp;
    int status = r->http.status;
    r->body_visible = 1;
    r->error.code = WX_OK;
    if (status < 200 || status >= 300) {
        r->error.code = WX_E_HTTP;
        take_server_error(r);
    }
    finish_checked(call);
}

typedef struct decrypt_job {
    wx_client_t *client;
    wx_error_t *err;
} decrypt_job;

/* One field the response's spec marks sensitive: replaced in place by its clear text. */
static wx_err decrypt_marked(void *ud, const wx_sensitive_field_t *f)
{
    decrypt_job *job = ud;
    wx_err rc = wx_client_decrypt_fields(job->client, f->parent,
                                         (const char *const[]){f->key, NULL}, job->err);
    if (rc != WX_OK)
        snprintf(job->err->where, sizeof job->err->where, "%s", f->path);
    return rc;
}

/* decrypt_response: after verification and validation (both judge what WeChat Pay sent),
 * the marked fields of wx_response_json() become clear text. A field that does not
 * decrypt fails the response: the caller asked for clear values and would otherwise
 * read ciphertext as a phone number. */
static void decrypt_answer(wx_call *call)
{
    wx_response_t *r = call->resp;
    struct json_object *j = wx_response_json(r);
    if (!j)
        return;
    wx_error_t e;
    wx_error_clear(&e);
    decrypt_job job = {call->client, &e};
    wx_err rc = wx_endpoint_sensitive_response_paths(call->answer.ep, r->http.status, j,
                                                     decrypt_marked, &job);
    if (rc != WX_OK) {
        char where[sizeof e.where];
        snprintf(where, sizeof where, "%s", e.where);
        wx_error_set(&r->error, rc, where, "decrypt_response: %s: %s", where, e.message);
        r->error.http_status = r->http.status;
    }
}

/* An answer that is kept (APIv3 or APIv2, success or server error), after its own
 * checks: optional response validation of a success, the body sink, the debug hook. */
static void finish_checked(wx_call *call)
{
    wx_client_t *c = call->client;
    wx_response_t *r = call->resp;
    int status = r->http.status;
    int ok = status >= 200 && status < 300 && r->error.code == WX_OK;
    if (ok && c->validate_responses && call->answer.ep && !r->http.sink) {
        wx_violations_t *v = NULL;
        /* An APIv2 answer's JSON is its verified fields; a bill has none. */
        struct json_object *j = call->v2.on ? r->json : wx_response_json(r);
        if (j && wx_endpoint_validate_response(call->answer.ep, status, j, &v) == WX_E_VALIDATION) {
            r->violations = v;
            const wx_violation_t *first = wx_violations_at(v, 0);
            wx_error_set(&r->error, WX_E_VALIDATION, first ? first->path : "",
                         "response does not match its spec: %s: %s", first ? first->path : "",
                         first ? first->reason : "");
            r->error.http_status = status;
        } else {
            wx_violations_free(v);
        }
    }
    if (ok && call->answer.decrypt && call->answer.ep && !call->v2.on && !call->answer.sink &&
        !r->http.sink && r->error.code == WX_OK)
        decrypt_answer(call);
    if (ok && call->answer.sink && !r->http.sink && r->error.code == WX_OK) {
        /* Verified first, then handed over. */
        if (r->http.body.len && call->answer.sink(call->answer.sink_ud, r->http.body.data, r->http.body.len) != 0)
            wx_error_set(&r->error, WX_E_IO, "sink", "the body sink refused the data");
        wx_buf_free(&r->http.body);
    }
    if (r->http.sink_aborted)
        wx_error_set(&r->error, WX_E_IO, "sink", "the body sink refused the data");
    debug_response(call);
}
