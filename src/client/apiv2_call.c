/* A chain under "v2": an APIv2 call (DESIGN.md, "APIv2 (XML), beside APIv3").
 *   out: the path without its "v2" prefix; the body a flat object (strings, numbers)
 *        checked against the spec with nonce_str and sign counted as supplied; the
 *        merchant checked; nonce_str added when absent; signed with the APIv2 key
 *        (MD5, or HMAC-SHA256 when sign_type says so); sent as <xml> with CDATA values,
 *        with the merchant TLS certificate where the spec says x-api-cert-required.
 *   in:  the answer read with the same XML rules as callbacks; return_code FAIL is an
 *        error with return_msg; a sign that does not verify (or none, where one is due)
 *        is never a success; result_code FAIL is an error with err_code/err_code_des.
 * Nothing is sent when any step before sending fails. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/apiv2.h>

#include "route/route.h"
#include "client/client_internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strutil.h"

/* A sign that satisfies the spec's sign field while the body is validated: the real
 * one is computed after validation (sign is never part of what is signed). */
#define PLACEHOLDER_SIGN "00000000000000000000000000000000"
/* The same for nonce_str, which the library adds after validating when it is absent
 * (the community package lists both sign and nonce_str as required). */
#define PLACEHOLDER_NONCE "0000000000000000"

int wx_v2_node(const wx_route *node)
{
    return node->path_len >= 2 && !strncmp(node->path, "v2", 2) &&
           (node->path_len == 2 || node->path[2] == '/');
}

static wx_err fail(wx_call *call, wx_err code, wx_error_t *err)
{
    wx_response_fail(call->resp, code, err);
    return code;
}

/* The body as a new flat object: from json or json_text, strings and numbers only. */
static wx_err take_fields(const wx_request_options_t *o, json_object **out, wx_error_t *err)
{
    json_object *given = NULL;
    if (o->json && o->json_text)
        return wx_error_set(err, WX_E_INVALID_ARG, "body", "give json or json_text, not both");
    if (o->upload)
        return wx_error_set(err, WX_E_INVALID_ARG, "body", "APIv2 calls carry no uploads");
    if (o->json_text) {
        size_t len = o->json_text_len ? o->json_text_len : strlen(o->json_text);
        wx_err rc = wx_json_parse(o->json_text, len, "body", &given, err);
        if (rc != WX_OK)
            return rc;
    } else if (o->json) {
        given = json_object_get(o->json);
    }
    if (!given || !json_object_is_type(given, json_type_object)) {
        json_object_put(given);
        return wx_error_set(err, WX_E_INVALID_ARG, "body",
                            "an APIv2 call needs a body: a flat JSON object of strings and numbers");
    }
    json_object *fields = json_object_new_object();
    wx_err rc = fields ? WX_OK : wx_error_set(err, WX_E_NOMEM, "body", NULL);
    json_object_object_foreach(given, k, v)
    {
        json_type t = json_object_get_type(v);
        if (rc != WX_OK)
            break;
        if (t != json_type_string && t != json_type_int && t != json_type_double)
            rc = wx_error_set(err, WX_E_INVALID_ARG, k,
                              "APIv2 field %s must be a string or a number (XML has no %s)", k,
                              json_type_to_name(t));
        else
            json_object_object_add(fields, k, json_object_get(v));
    }
    json_object_put(given);
    if (rc != WX_OK) {
        json_object_put(fields);
        return rc;
    }
    *out = fields;
    return WX_OK;
}

/* The merchant a body names must be this client's: a call for another merchant would
 * be signed with this merchant's key. */
static wx_err check_merchant(wx_client_t *c, json_object *fields, wx_error_t *err)
{
    static const char *const ids[] = {"mch_id", "mchid", "combine_mch_id"};
    for (int i = 0; i < 3; i++) {
        json_object *v = json_object_object_get(fields, ids[i]);
        if (v && strcmp(json_object_get_string(v), c->mchid) != 0)
            return wx_error_set(err, WX_E_INVALID_ARG, ids[i],
                                "%s %.64s is not the configured merchant %s: nothing was sent",
                                ids[i], json_object_get_string(v), c->mchid);
    }
    return WX_OK;
}

/* Validate with nonce_str and sign counted as supplied. */
static wx_err validate(wx_call *call, const wx_route_spec *spec, json_object *fields,
                       const wx_request_options_t *o, wx_error_t *err)
{
    wx_client_t *c = call->client;
    if (spec->rc == WX_E_NOMEM)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory looking up the spec");
    if (!c->validate_requests || o->no_validation)
        return WX_OK;
    if (spec->rc == WX_E_SPEC) {
        if (spec->err)
            *err = *spec->err;
        return spec->err ? WX_E_SPEC : wx_error_set(err, WX_E_SPEC, "", "the spec is unusable");
    }
    if (!call->answer.ep)
        return WX_OK;
    int add_sign = !json_object_object_get_ex(fields, "sign", NULL);
    int add_nonce = !json_object_object_get_ex(fields, "nonce_str", NULL);
    if (add_sign)
        json_object_object_add(fields, "sign", json_object_new_string(PLACEHOLDER_SIGN));
    if (add_nonce)
        json_object_object_add(fields, "nonce_str", json_object_new_string(PLACEHOLDER_NONCE));
    wx_violations_t *v = NULL;
    wx_request_view_t view = {.headers = o->headers, .body = fields, .has_body = 1};
    wx_err rc = wx_endpoint_validate_request(call->answer.ep, &view, &v);
    if (add_sign)
        json_object_object_del(fields, "sign");
    if (add_nonce)
        json_object_object_del(fields, "nonce_str");
    if (rc == WX_OK) {
        wx_violations_free(v);
        return WX_OK;
    }
    call->resp->violations = v;
    const wx_violation_t *first = wx_violations_at(v, 0);
    if (rc == WX_E_VALIDATION && first)
        return wx_error_set(err, rc, first->path, "POST %s: %zu violation%s, first: %s: %s",
                            wx_endpoint_template(call->answer.ep), wx_violations_count(v),
                            wx_violations_count(v) == 1 ? "" : "s", first->path, first->reason);
    return wx_error_set(err, rc, "", "request validation failed: %s", wx_strerror(rc));
}

/* What WeChat Pay does without a spec to say: secapi/ calls and transfers need the
 * certificate; bills, transfers and red packets are answered unsigned. */
static void judge_by_path(wx_call *call, const char *target, int *cert)
{
    int mkt = !strncmp(target, "/mmpaymkttransfers/", 19);
    *cert = !strncmp(target, "/secapi/", 8) || mkt;
    call->answer.unsigned_2xx = mkt || !strcmp(target, "/pay/downloadbill") ||
                         !strcmp(target, "/pay/downloadfundflow");
}

/* nonce_str when absent, the sign, and the XML that goes on the wire. */
static wx_err sign_and_encode(wx_call *call, json_object *fields, wx_error_t *err)
{
    wx_client_t *c = call->client;
    wx_v2_sign_type type;
    wx_err rc = wx_v2_sign_type_of(fields, &type, err);
    if (rc != WX_OK)
        return rc;
    call->v2.sign_type = type;
    if (!json_object_object_get_ex(fields, "nonce_str", NULL)) {
        char nonce[64];
        nonce[sizeof nonce - 1] = 0;
        if ((rc = c->nonce(c->nonce_ud, nonce)) != WX_OK || !nonce[0])
            return wx_error_set(err, WX_E_SIGN, "nonce_str", "no nonce: %s", wx_strerror(rc));
        json_object_object_add(fields, "nonce_str", json_object_new_string(nonce));
    }
    char sign[WX_V2_SIGN_MAX];
    if ((rc = wx_v2_sign(fields, c->v2.key, type, sign, err)) != WX_OK)
        return rc;
    json_object_object_add(fields, "sign", json_object_new_string(sign));
    return wx_v2_xml_encode(fields, &call->wire.body, &call->wire.body_len, err);
}

/* The method, path and checks that come before the body is looked at. */
static wx_err aim_path(wx_call *call, wx_route *node, wx_method method, wx_buf *target,
                       wx_error_t *err)
{
    if (method != WX_POST)
        return wx_error_set(err, WX_E_INVALID_ARG, "method", "APIv2 calls are POST, not %s",
                            wx_method_name(method));
    if (!call->client->v2.key)
        return wx_error_set(err, WX_E_CONFIG, "apiv2_key",
                            "an APIv2 call needs the APIv2 key (apiv2_key): nothing was sent");
    const wx_uri_template_t *t = wx_route_template(node, err);
    if (!t)
        return err ? err->code : WX_E_TEMPLATE;
    char *full = NULL; /* "v2/pay/micropay": APIv2 paths have no variables */
    wx_err rc = wx_uri_template_expand(t, NULL, WX_URI_REQUEST, &full, err);
    if (rc == WX_OK && strlen(full) <= 3)
        rc = wx_error_set(err, WX_E_INVALID_ARG, "path", "an APIv2 call needs a path after v2/");
    if (rc == WX_OK)
        wx_buf_puts(target, full + 2); /* "v2/pay/micropay" -> "/pay/micropay" */
    if (rc == WX_OK && !wx_buf_ok(target))
        rc = wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    wx_free(full);
    return rc;
}

/* Headers: the caller's (checked), the XML content type and the User-Agent. */
static wx_err make_headers(wx_call *call, const wx_kv_t *given, wx_error_t *err)
{
    size_t n = 0;
    while (given && given[n].key)
        n++;
    call->wire.headers = wx_calloc(n + 4, sizeof *call->wire.headers);
    if (!call->wire.headers)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    size_t k = 0;
    call->wire.headers[k++] = (wx_kv_t){"Content-Type", "text/xml; charset=utf-8"};
    call->wire.headers[k++] = (wx_kv_t){"Accept", "text/xml, application/xml, text/plain"};
    call->wire.headers[k++] = (wx_kv_t){"User-Agent", call->client->user_agent};
    for (size_t i = 0; i < n; i++) {
        const char *v = given[i].value ? given[i].value : "";
        if (wx_has_crlf_nul(given[i].key, strlen(given[i].key)) || wx_has_crlf_nul(v, strlen(v)))
            return wx_error_set(err, WX_E_HEADER_VALUE, given[i].key,
                                "header %.64s: CR, LF or NUL", given[i].key);
        if (!wx_strcasecmp_ascii(given[i].key, "Content-Type") ||
            !wx_strcasecmp_ascii(given[i].key, "Content-Length") ||
            !wx_strcasecmp_ascii(given[i].key, "Host"))
            return wx_error_set(err, WX_E_INVALID_ARG, given[i].key,
                                "header %s is set by the library and cannot be given", given[i].key);
        call->wire.headers[k++] = (wx_kv_t){given[i].key, v};
    }
    return WX_OK;
}

/* The transport request, with the merchant certificate when the call needs it. */
static wx_err fill_request(wx_call *call, int cert, const wx_request_options_t *o, wx_error_t *err)
{
    wx_client_t *c = call->client;
    if (cert && !c->v2.cert)
        return wx_error_set(err, WX_E_CONFIG, "merchant_cert",
                            "POST %s needs the merchant certificate (merchant_cert) as the TLS "
                            "client certificate: nothing was sent", call->wire.target);
    call->wire.req = (wx_http_request_t){
        .method = call->wire.method,
        .headers = call->wire.headers,
        .body = call->wire.body,
        .body_len = call->wire.body_len,
        .connect_timeout_ms = c->connect_timeout_ms,
        .timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : c->timeout_ms,
        .max_response_bytes = c->max_response_bytes,
        .retry_safe = o->retry_safe,
        .low_speed_limit = c->low_speed_limit,
        .low_speed_time_s = c->low_speed_time_s,
    };
    if (cert) {
        call->wire.req.client_cert = c->v2.cert;
        call->wire.req.client_cert_len = c->v2.cert_len;
        call->wire.req.client_cert_p12 = c->v2.cert_is_p12;
        call->wire.req.client_key = c->v2.tls_key;
        call->wire.req.client_key_len = c->v2.tls_key_len;
        call->wire.req.client_key_password =
            c->v2.cert_is_p12 ? c->v2.cert_password : c->v2.tls_key_password;
    }
    if (!(call->resp->request_body = wx_memdup(call->wire.body, call->wire.body_len)))
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    call->resp->request_body_len = call->wire.body_len;
    call->resp->http.body.limit = c->max_response_bytes;
    return WX_OK;
}

wx_err wx_v2_prepare(wx_call *call, wx_route *node, wx_method method,
                     const wx_request_options_t *o)
{
    wx_error_t err;
    wx_error_clear(&err);
    call->v2.on = 1;
    wx_buf target = WX_BUF_INIT;
    json_object *fields = NULL;
    int cert = 0;
    wx_err rc = aim_path(call, node, method, &target, &err);
    if (rc == WX_OK && (rc = take_fields(o, &fields, &err)) == WX_OK)
        rc = check_merchant(call->client, fields, &err);
    if (rc == WX_OK) {
        const wx_route_spec *spec = wx_route_spec_for(node, method);
        call->answer.ep = spec->rc == WX_OK ? spec->ep : NULL;
        judge_by_path(call, target.data, &cert);
        if (call->answer.ep) {
            cert = wx_endpoint_cert_required(call->answer.ep);
            call->answer.unsigned_2xx = wx_endpoint_unsigned_response(call->answer.ep);
        }
        rc = validate(call, spec, fields, o, &err);
    }
    if (rc == WX_OK)
        rc = sign_and_encode(call, fields, &err);
    if (rc == WX_OK && (!(call->wire.method = wx_strdup("POST")) ||
                        !(call->wire.target = wx_strdup(target.data))))
        rc = wx_error_set(&err, WX_E_NOMEM, "", "out of memory");
    if (rc == WX_OK)
        rc = make_headers(call, o->headers, &err);
    if (rc == WX_OK)
        rc = fill_request(call, cert, o, &err);
    if (rc == WX_OK)
        rc = wx_v2_aim(call, call->client->base_url, &err);
    json_object_put(fields);
    wx_buf_free(&target);
    return rc == WX_OK ? WX_OK : fail(call, rc, &err);
}

wx_err wx_v2_aim(wx_call *call, const char *base_url, wx_error_t *err)
{
    wx_buf url = WX_BUF_INIT, head = WX_BUF_INIT;
    wx_buf_puts(&url, base_url);
    wx_buf_puts(&url, call->wire.target + 1);
    wx_buf_printf(&head, "POST %s HTTP/1.1\n", call->wire.target);
    for (size_t i = 0; call->wire.headers[i].key; i++)
        wx_buf_printf(&head, "%s: %s\n", call->wire.headers[i].key, call->wire.headers[i].value);
    if (!wx_buf_ok(&url) || !wx_buf_ok(&head)) {
        wx_buf_free(&url);
        wx_buf_free(&head);
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    wx_buf_free(&call->wire.url);
    call->wire.url = url;
    call->wire.req.url = call->wire.url.data;
    wx_free(call->resp->request_head);
    call->resp->request_head = wx_buf_steal(&head, NULL);
    return WX_OK;
}
