/* What the sandbox answers: the Authorization check, routing through the spec tree,
 * request validation and the example response, in the order WeChat Pay applies them
 * (a request that is not signed correctly learns nothing else). */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth_header.h"
#include "lifecycle.h"
#include "mock.h"
#include <wechatpay/sys/spec.h>

#define FAULT_HEADER "Wxpay-Mock-Fault"

char *wx_mock_error_body(const char *code, const char *message, struct json_object *detail,
                         size_t *len)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "code", json_object_new_string(code));
    json_object_object_add(o, "message", json_object_new_string(message));
    if (detail)
        json_object_object_add(o, "detail", detail);
    size_t n = 0;
    const char *text =
        json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    char *out = text ? strdup(text) : NULL;
    json_object_put(o);
    *len = out ? n : 0;
    return out;
}

static void set_error(wx_mock_reply *reply, int status, const char *code,
                      struct json_object *detail, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void put_error(wx_mock_reply *reply, int status, const char *code,
                      struct json_object *detail, const char *message)
{
    free(reply->body);
    reply->status = status;
    reply->body = wx_mock_error_body(code, message, detail, &reply->body_len);
    reply->unsigned_reply = 0;
    reply->content_type = "application/json";
}

static void set_error(wx_mock_reply *reply, int status, const char *code,
                      struct json_object *detail, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    put_error(reply, status, code, detail, message);
}

void wx_mock_reply_error(wx_mock_reply *reply, int status, const char *code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    put_error(reply, status, code, NULL, message);
}

void wx_mock_reply_free(wx_mock_reply *reply)
{
    if (!reply)
        return;
    free(reply->body);
    memset(reply, 0, sizeof *reply);
}

const char *wx_mock_header(const wx_kv_t *headers, const char *name)
{
    for (const wx_kv_t *h = headers; h && h->key; h++)
        if (!strcasecmp(h->key, name))
            return h->value;
    return NULL;
}

int wx_mock_auth_check(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                       wx_mock_auth *a, wx_mock_reply *reply)
{
    const char *auth = wx_mock_header(req->headers, "Authorization");
    if (!auth) {
        set_error(reply, 401, "SIGN_ERROR", NULL, "Authorization header is missing");
        return -1;
    }
    char why[160];
    if (wx_mock_auth_parse(auth, strlen(auth), a, why, sizeof why) != 0) {
        set_error(reply, 401, "SIGN_ERROR", NULL, "%s", why);
        return -1;
    }
    if (strcmp(a->mchid, ctx->cfg->mchid) != 0) {
        set_error(reply, 401, "SIGN_ERROR", NULL, "mchid %s is not the configured merchant",
                  a->mchid);
        return -1;
    }
    if (strcasecmp(a->serial_no, ctx->cfg->merchant_serial) != 0) {
        set_error(reply, 401, "SIGN_ERROR", NULL,
                  "serial_no %s is not the merchant certificate's serial", a->serial_no);
        return -1;
    }
    int64_t now = (int64_t)time(NULL);
    int64_t skew = now > a->timestamp_value ? now - a->timestamp_value : a->timestamp_value - now;
    if (skew > ctx->max_skew_s) {
        set_error(reply, 401, "SIGN_ERROR", NULL,
                  "timestamp %s is %lld s away from the server's clock (limit %d s)", a->timestamp,
                  (long long)skew, ctx->max_skew_s);
        return -1;
    }
    return 0;
}

/* 0 when the request carries a valid merchant signature; else a 401 is set. */
static int check_signature(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                           const char *signed_body, size_t signed_len, wx_mock_reply *reply)
{
    wx_mock_auth a;
    if (wx_mock_auth_check(ctx, req, &a, reply) != 0)
        return -1;
    wx_mock_str msg = {0};
    wx_mock_str_printf(&msg, "%s\n%s\n%s\n%s\n", req->method, req->target, a.timestamp,
                       a.nonce_str);
    wx_mock_str_append(&msg, signed_body, signed_len);
    wx_mock_str_puts(&msg, "\n");
    if (msg.failed) {
        wx_mock_str_free(&msg);
        set_error(reply, 500, "SYSTEM_ERROR", NULL, "out of memory");
        return -1;
    }
    wx_error_t err = {0};
    wx_err rc = wx_rsa_verify(ctx->cfg->merchant_cert, msg.data, msg.len, a.signature, &err);
    wx_mock_str_free(&msg);
    if (rc != WX_OK) {
        set_error(reply, 401, "SIGN_ERROR", NULL,
                  "signature does not verify with the merchant certificate over "
                  "METHOD\\nTARGET\\nTIMESTAMP\\nNONCE\\nBODY\\n");
        return -1;
    }
    return 0;
}

static const char *location_name(wx_location loc)
{
    switch (loc) {
    case WX_LOC_BODY: return "body";
    case WX_LOC_PATH: return "path";
    case WX_LOC_QUERY: return "query";
    case WX_LOC_HEADER: return "header";
    case WX_LOC_RESPONSE: return "response";
    default: return "request";
    }
}

static void set_violations(wx_mock_reply *reply, const wx_violations_t *v)
{
    size_t n = wx_violations_count(v);
    const wx_violation_t *first = wx_violations_at(v, 0);
    struct json_object *detail = json_object_new_object();
    struct json_object *errors = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        const wx_violation_t *x = wx_violations_at(v, i);
        struct json_object *e = json_object_new_object();
        json_object_object_add(e, "location", json_object_new_string(location_name(x->location)));
        json_object_object_add(e, "path", json_object_new_string(x->path ? x->path : ""));
        json_object_object_add(e, "reason", json_object_new_string(x->reason ? x->reason : ""));
        json_object_array_add(errors, e);
    }
    json_object_object_add(detail, "location",
                           json_object_new_string(first ? location_name(first->location) : "request"));
    json_object_object_add(detail, "path",
                           json_object_new_string(first && first->path ? first->path : ""));
    json_object_object_add(detail, "errors", errors);
    if (!first) {
        set_error(reply, 400, "PARAM_ERROR", detail, "the request does not match its spec");
        return;
    }
    if (n > 1)
        set_error(reply, 400, "PARAM_ERROR", detail, "%s: %s (and %zu more)",
                  first->path ? first->path : "", first->reason ? first->reason : "", n - 1);
    else
        set_error(reply, 400, "PARAM_ERROR", detail, "%s: %s", first->path ? first->path : "",
                  first->reason ? first->reason : "");
}

/* Parse the body as one JSON value with nothing but blanks after it. */
static int parse_body(const wx_mock_request *req, struct json_object **out, char *why,
                      size_t why_len)
{
    *out = NULL;
    if (req->body_len >= INT32_MAX) { /* json-c takes an int length */
        snprintf(why, why_len, "request body is too large");
        return -1;
    }
    if (memchr(req->body, 0, req->body_len)) {
        snprintf(why, why_len, "request body contains a NUL byte");
        return -1;
    }
    struct json_tokener *tok = json_tokener_new();
    if (!tok) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    /* Including the terminating NUL tells json-c the input ends there, so a bare
     * number like `12` is complete rather than "to be continued". */
    struct json_object *o = json_tokener_parse_ex(tok, req->body, (int)req->body_len + 1);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (e != json_tokener_success) {
        json_object_put(o);
        snprintf(why, why_len, "request body is not valid JSON: %s",
                 e == json_tokener_continue ? "unexpected end of input"
                                            : json_tokener_error_desc(e));
        return -1;
    }
    for (size_t i = used; i < req->body_len; i++) {
        char c = req->body[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            json_object_put(o);
            snprintf(why, why_len, "request body is not valid JSON: text after the value "
                     "at offset %zu", i);
            return -1;
        }
    }
    *out = o;
    return 0;
}

/* Path variables arrive percent-encoded in the target; the validator wants values. */
static int decode_vars(struct json_object *vars)
{
    if (!vars)
        return 0;
    json_object_object_foreach(vars, name, value) {
        if (!json_object_is_type(value, json_type_string))
            continue;
        const char *raw = json_object_get_string(value);
        if (!strchr(raw, '%'))
            continue;
        char *dec = wx_mock_pct_decode(raw, strlen(raw));
        if (!dec)
            return -1;
        json_object_object_add(vars, name, json_object_new_string(dec));
        free(dec);
    }
    return 0;
}

void wx_mock_answer_example(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                           const wx_endpoint_t *ep, wx_mock_reply *reply)
{
    struct json_object *example = NULL;
    wx_error_t err = {0};
    int status = 200;
    if (wx_endpoint_example_response(ep, &status, &example, &err) != WX_OK) {
        set_error(reply, 500, "SYSTEM_ERROR", NULL, "building the example response: %s",
                  err.message);
        goto done;
    }
    reply->status = status;
    wx_mock_bill_answer(ctx, req, example);
    char why[256];
    if (wx_mock_encrypt_sensitive(ctx->cfg, ep, status, example, why, sizeof why) != 0) {
        set_error(reply, 500, "SYSTEM_ERROR", NULL, "%s", why);
        goto done;
    }
    reply->unsigned_reply = status >= 200 && status < 300 && wx_endpoint_unsigned_response(ep);
    reply->content_type = "application/json";
    if (example) {
        const char *text;
        size_t n = 0;
        if (reply->unsigned_reply && json_object_is_type(example, json_type_string)) {
            /* A download: the file itself, not a JSON document. */
            text = json_object_get_string(example);
            n = (size_t)json_object_get_string_len(example);
            reply->content_type = "application/octet-stream";
        } else {
            text = json_object_to_json_string_length(
                example, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
        }
        reply->body = text ? malloc(n + 1) : NULL;
        if (!reply->body) {
            set_error(reply, 500, "SYSTEM_ERROR", NULL, "out of memory");
            goto done;
        }
        memcpy(reply->body, text, n);
        reply->body[n] = 0;
        reply->body_len = n;
    }
done:
    json_object_put(example);
}

static void answer_endpoint(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                            const char *path, const char *query,
                            const wx_mock_form_part *parts, size_t nparts, wx_mock_reply *reply)
{
    const wx_endpoint_t *ep = NULL;
    struct json_object *vars = NULL, *body = NULL;
    wx_kv_t *qv = NULL;
    wx_violations_t *violations = NULL;
    wx_error_t err = {0};
    char why[256];

    wx_err rc = wx_spec_find(ctx->spec, req->method, path, &ep, &vars, &err);
    if (rc == WX_E_NOT_FOUND) {
        char *near = NULL;
        if (wx_spec_nearest(ctx->spec, req->method, path, &near) != WX_OK)
            near = NULL;
        set_error(reply, 404, "NOT_FOUND", NULL, "no endpoint %s %s in the spec tree%s%s",
                  req->method, path, near ? "; " : "", near ? near : "");
        wx_free(near);
        goto out;
    }
    if (rc != WX_OK) {
        set_error(reply, 500, "SYSTEM_ERROR", NULL, "spec for %s %s is unusable: %s%s%s",
                  req->method, path, err.where, err.where[0] ? ": " : "", err.message);
        goto out;
    }
    if (decode_vars(vars) != 0) {
        set_error(reply, 400, "PARAM_ERROR", NULL, "a path segment has an invalid percent-escape");
        goto out;
    }
    if (!(qv = wx_mock_query_parse(query, why, sizeof why))) {
        set_error(reply, 400, "PARAM_ERROR", NULL, "%s", why);
        goto out;
    }
    /* A media upload's body is multipart: the validator takes its fields as an
     * object of strings. */
    if (parts) {
        body = json_object_new_object();
        for (size_t i = 0; body && i < nparts; i++)
            json_object_object_add(body, parts[i].name,
                                   json_object_new_string_len(parts[i].data, (int)parts[i].len));
    } else if (req->body_len > 0 && parse_body(req, &body, why, sizeof why) != 0) {
        struct json_object *detail = json_object_new_object();
        json_object_object_add(detail, "location", json_object_new_string("body"));
        json_object_object_add(detail, "path", json_object_new_string(""));
        json_object_object_add(detail, "errors", json_object_new_array());
        set_error(reply, 400, "PARAM_ERROR", detail, "%s", why);
        goto out;
    }
    wx_request_view_t view = {
        .path_vars = vars,
        .query = qv,
        .headers = req->headers,
        .body = body,
        .has_body = parts != NULL || req->body_len > 0,
    };
    rc = ctx->cfg->validation == WX_VALIDATION_OFF
             ? WX_OK
             : wx_endpoint_validate_request(ep, &view, &violations);
    if (rc == WX_E_VALIDATION) {
        set_violations(reply, violations);
        goto out;
    }
    if (rc != WX_OK) {
        set_error(reply, 500, "SYSTEM_ERROR", NULL, "validating the request: %s", wx_strerror(rc));
        goto out;
    }
    char clear[256];
    if (wx_mock_sensitive_in_clear(ep, parts ? NULL : body, qv, req->headers, clear,
                                   sizeof clear)) {
        set_error(reply, 400, "PARAM_ERROR", NULL,
                  "%s is a sensitive field and arrived in clear: encrypt it with the platform "
                  "key (RSA-OAEP) and name the key in Wechatpay-Serial", clear);
        goto out;
    }
    /* Orders, refunds and the like answer from the state (lifecycle.h). */
    wx_mock_call call = {ctx, req, wx_endpoint_template(ep), vars, qv, body, ep};
    if (wx_mock_lifecycle_answer(&call, reply))
        goto out;

    wx_mock_answer_example(ctx, req, ep, reply);
out:
    json_object_put(vars);
    json_object_put(body);
    wx_mock_kv_free(qv);
    wx_violations_free(violations);
}

void wx_mock_handle(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                    wx_mock_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    reply->fault = ctx->default_fault;
    reply->content_type = "application/json";

    const char *fault = wx_mock_header(req->headers, FAULT_HEADER);
    if (fault && wx_mock_fault_parse(fault, strlen(fault), &reply->fault) != 0) {
        reply->fault = WX_FAULT_NONE;
        set_error(reply, 400, "PARAM_ERROR", NULL,
                  "unknown " FAULT_HEADER " mode '%.40s' (see wxpay mock --help)", fault);
        return;
    }
    /* The control API (lifecycle.h): unsigned, loopback peers only. */
    if (!strncmp(req->target, "/mock/", 6)) {
        wx_mock_control_answer(ctx, req, reply);
        return;
    }
    /* APIv2 (XML, signed with the APIv2 key in the body) has its own rules. */
    if (wx_mock_v2_answer(ctx, req, reply))
        return;
    /* What the signature covers: the body, or for a media upload its `meta` part. */
    const char *signed_body = req->body;
    size_t signed_len = req->body_len;
    const char *ctype = wx_mock_header(req->headers, "Content-Type");
    wx_mock_form_part parts[16];
    size_t nparts = 0;
    int multipart = ctype && !strncasecmp(ctype, "multipart/form-data", 19);
    if (multipart) {
        char why[160];
        if (wx_mock_multipart_parse(ctype, req->body, req->body_len, parts, 16, &nparts, why,
                                    sizeof why) != 0) {
            set_error(reply, 400, "PARAM_ERROR", NULL, "%s", why);
            return;
        }
        signed_body = NULL;
        for (size_t i = 0; i < nparts; i++)
            if (!strcmp(parts[i].name, "meta")) {
                signed_body = parts[i].data;
                signed_len = parts[i].len;
            }
        if (!signed_body) {
            set_error(reply, 400, "PARAM_ERROR", NULL,
                      "multipart/form-data body has no \"meta\" part (what the signature covers)");
            return;
        }
    }
    if (check_signature(ctx, req, signed_body, signed_len, reply) == 0) {
        char *target = strdup(req->target);
        if (!target) {
            set_error(reply, 500, "SYSTEM_ERROR", NULL, "out of memory");
        } else {
            char *q = strchr(target, '?');
            if (q)
                *q++ = 0;
            if (!strcmp(req->method, "GET") && !strcmp(target, "/v3/certificates")) {
                char why[256];
                reply->status = 200;
                reply->body = wx_mock_certificates_body(ctx->cfg, &reply->body_len, why, sizeof why);
                if (!reply->body)
                    set_error(reply, 500, "SYSTEM_ERROR", NULL, "%s", why);
            } else {
                answer_endpoint(ctx, req, target, q ? q : "", multipart ? parts : NULL, nparts,
                                reply);
            }
            free(target);
        }
    }
    if (reply->fault == WX_FAULT_HTTP_500)
        set_error(reply, 500, "SYSTEM_ERROR", NULL, "system error (injected fault http-500)");
}
