/* A chain under "v2": an APIv2 call (DESIGN.md, "APIv2 (XML), beside APIv3"). These are
 * the APIv2 steps of the request pipeline (pipeline.c runs them with the common ones):
 *   path:     POST only, the APIv2 key configured, "v2/pay/micropay" -> "/pay/micropay";
 *   body:     a flat object (strings, numbers) naming no other merchant;
 *   endpoint: the spec's endpoint, or WeChat Pay's habits by path when there is none;
 *   validate: against the spec with nonce_str and sign counted as supplied;
 *   encode:   nonce_str added when absent, signed with the APIv2 key (MD5, or
 *             HMAC-SHA256 when sign_type says so), the <xml> with CDATA values;
 *   cert:     the merchant TLS certificate where the spec says x-api-cert-required.
 * The answer is judged in apiv2_answer.c. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/apiv2.h>

#include "client/pipeline.h"
#include "route/route.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"

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

wx_err wx_step_v2_path(wx_prep *p)
{
    p->call->v2.on = 1;
    if (p->method != WX_POST)
        return wx_error_set(&p->err, WX_E_INVALID_ARG, "method", "APIv2 calls are POST, not %s",
                            p->method_name);
    if (!p->client->v2.key)
        return wx_error_set(&p->err, WX_E_CONFIG, "apiv2_key",
                            "an APIv2 call needs the APIv2 key (apiv2_key): nothing was sent");
    const wx_uri_template_t *t = wx_route_template(p->route, &p->err);
    if (!t)
        return p->err.code ? p->err.code : WX_E_TEMPLATE;
    char *full = NULL; /* "v2/pay/micropay": APIv2 paths have no variables */
    wx_err rc = wx_uri_template_expand(t, NULL, WX_URI_REQUEST, &full, &p->err);
    if (rc == WX_OK && strlen(full) <= 3)
        rc = wx_error_set(&p->err, WX_E_INVALID_ARG, "path", "an APIv2 call needs a path after v2/");
    if (rc == WX_OK)
        wx_buf_puts(&p->target, full + 2); /* "v2/pay/micropay" -> "/pay/micropay" */
    if (rc == WX_OK && !wx_buf_ok(&p->target))
        rc = wx_prep_nomem(p);
    wx_free(full);
    return rc;
}

/* The caller's body as a value: from json or json_text (borrowed or owned by p). */
static wx_err given_body(wx_prep *p, json_object **given)
{
    const wx_request_options_t *o = p->o;
    *given = NULL;
    if (o->json && o->json_text)
        return wx_error_set(&p->err, WX_E_INVALID_ARG, "body", "give json or json_text, not both");
    if (o->upload)
        return wx_error_set(&p->err, WX_E_INVALID_ARG, "body", "APIv2 calls carry no uploads");
    if (o->json_text) {
        size_t len = o->json_text_len ? o->json_text_len : strlen(o->json_text);
        wx_err rc = wx_json_parse(o->json_text, len, "body", given, &p->err);
        if (rc != WX_OK)
            return rc;
    } else if (o->json) {
        *given = json_object_get(o->json);
    }
    if (!*given || !json_object_is_type(*given, json_type_object)) {
        json_object_put(*given);
        *given = NULL;
        return wx_error_set(&p->err, WX_E_INVALID_ARG, "body",
                            "an APIv2 call needs a body: a flat JSON object of strings and numbers");
    }
    return WX_OK;
}

/* The merchant a body names must be this client's: a call for another merchant would
 * be signed with this merchant's key. */
static wx_err check_merchant(wx_prep *p)
{
    static const char *const ids[] = {"mch_id", "mchid", "combine_mch_id"};
    for (int i = 0; i < 3; i++) {
        json_object *v = json_object_object_get(p->body, ids[i]);
        if (v && strcmp(json_object_get_string(v), p->client->mchid) != 0)
            return wx_error_set(&p->err, WX_E_INVALID_ARG, ids[i],
                                "%s %.64s is not the configured merchant %s: nothing was sent",
                                ids[i], json_object_get_string(v), p->client->mchid);
    }
    return WX_OK;
}

/* The body as a new flat object (owned by p: encode adds nonce_str and sign to it). */
wx_err wx_step_v2_body(wx_prep *p)
{
    json_object *given = NULL;
    wx_err rc = given_body(p, &given);
    if (rc != WX_OK)
        return rc;
    p->body = json_object_new_object();
    p->own_body = 1;
    if (!p->body)
        rc = wx_prep_nomem(p);
    json_object_object_foreach(given, k, v)
    {
        json_type t = json_object_get_type(v);
        if (rc != WX_OK)
            break;
        if (t != json_type_string && t != json_type_int && t != json_type_double)
            rc = wx_error_set(&p->err, WX_E_INVALID_ARG, k,
                              "APIv2 field %s must be a string or a number (XML has no %s)", k,
                              json_type_to_name(t));
        else
            json_object_object_add(p->body, k, json_object_get(v));
    }
    json_object_put(given);
    return rc == WX_OK ? check_merchant(p) : rc;
}

/* The common endpoint step, then what WeChat Pay does without a spec to say: secapi/
 * calls and transfers need the certificate; bills, transfers and red packets are
 * answered unsigned. */
wx_err wx_step_v2_endpoint(wx_prep *p)
{
    wx_err rc = wx_step_endpoint(p);
    if (rc != WX_OK)
        return rc;
    wx_call *call = p->call;
    const char *target = p->target.data;
    if (call->answer.ep) {
        p->v2_cert = wx_endpoint_cert_required(call->answer.ep);
        return WX_OK;
    }
    int mkt = !strncmp(target, "/mmpaymkttransfers/", 19);
    p->v2_cert = !strncmp(target, "/secapi/", 8) || mkt;
    call->answer.unsigned_2xx = mkt || !strcmp(target, "/pay/downloadbill") ||
                                !strcmp(target, "/pay/downloadfundflow");
    return WX_OK;
}

/* The common validation, with nonce_str and sign counted as supplied. */
wx_err wx_step_v2_validate(wx_prep *p)
{
    if (!p->call->answer.ep || !p->client->validate_requests || p->o->no_validation)
        return WX_OK;
    int add_sign = !json_object_object_get_ex(p->body, "sign", NULL);
    int add_nonce = !json_object_object_get_ex(p->body, "nonce_str", NULL);
    if (add_sign)
        json_object_object_add(p->body, "sign", json_object_new_string(PLACEHOLDER_SIGN));
    if (add_nonce)
        json_object_object_add(p->body, "nonce_str", json_object_new_string(PLACEHOLDER_NONCE));
    wx_err rc = wx_step_validate(p);
    if (add_sign)
        json_object_object_del(p->body, "sign");
    if (add_nonce)
        json_object_object_del(p->body, "nonce_str");
    return rc;
}

/* nonce_str when absent, the sign, and the XML that goes on the wire. */
wx_err wx_step_v2_encode(wx_prep *p)
{
    wx_call *call = p->call;
    wx_client_t *c = p->client;
    wx_v2_sign_type type;
    wx_err rc = wx_v2_sign_type_of(p->body, &type, &p->err);
    if (rc != WX_OK)
        return rc;
    call->v2.sign_type = type;
    if (!json_object_object_get_ex(p->body, "nonce_str", NULL)) {
        char nonce[64];
        nonce[sizeof nonce - 1] = 0;
        if ((rc = c->nonce(c->nonce_ud, nonce)) != WX_OK || !nonce[0])
            return wx_error_set(&p->err, WX_E_SIGN, "nonce_str", "no nonce: %s", wx_strerror(rc));
        json_object_object_add(p->body, "nonce_str", json_object_new_string(nonce));
    }
    char sign[WX_V2_SIGN_MAX];
    if ((rc = wx_v2_sign(p->body, c->v2.key, type, sign, &p->err)) != WX_OK)
        return rc;
    json_object_object_add(p->body, "sign", json_object_new_string(sign));
    return wx_v2_xml_encode(p->body, &call->wire.body, &call->wire.body_len, &p->err);
}

/* The merchant certificate as the TLS client certificate, when the call needs it. */
wx_err wx_step_v2_cert(wx_prep *p)
{
    wx_client_t *c = p->client;
    if (!p->v2_cert)
        return WX_OK;
    if (!c->v2.cert)
        return wx_error_set(&p->err, WX_E_CONFIG, "merchant_cert",
                            "POST %s needs the merchant certificate (merchant_cert) as the TLS "
                            "client certificate: nothing was sent", p->target.data);
    wx_http_request_t *req = &p->call->wire.req;
    req->client_cert = c->v2.cert;
    req->client_cert_len = c->v2.cert_len;
    req->client_cert_p12 = c->v2.cert_is_p12;
    req->client_key = c->v2.tls_key;
    req->client_key_len = c->v2.tls_key_len;
    req->client_key_password = c->v2.cert_is_p12 ? c->v2.cert_password : c->v2.tls_key_password;
    return WX_OK;
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
