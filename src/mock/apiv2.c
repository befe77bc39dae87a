/* APIv2 calls on the sandbox: an XML body signed with the APIv2 key, checked in the order
 * WeChat Pay checks it (readable XML, sign, merchant, fields), answered as signed XML.
 * A request that fails before its fields are read gets return_code FAIL and the reason
 * (unsigned, as WeChat Pay sends those); a business failure is result_code FAIL, signed. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiv2.h"
#include <wechatpay/sys/spec.h>

void wx_mock_v2_put(json_object *answer, const char *name, const char *value)
{
    json_object_object_add(answer, name, json_object_new_string(value ? value : ""));
}

void wx_mock_v2_put_int(json_object *answer, const char *name, int64_t value)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)value);
    wx_mock_v2_put(answer, name, text);
}

void wx_mock_v2_fail(json_object *answer, const char *err_code, const char *des)
{
    wx_mock_v2_put(answer, "result_code", "FAIL");
    wx_mock_v2_put(answer, "err_code", err_code);
    wx_mock_v2_put(answer, "err_code_des", des);
}

const char *wx_mock_v2_field(const wx_mock_v2_call *call, const char *name)
{
    json_object *v = json_object_object_get(call->fields, name);
    return v ? json_object_get_string(v) : "";
}

/* Send @p answer as XML (taken over). */
static void send_xml(wx_mock_reply *reply, json_object *answer)
{
    char *xml = NULL;
    size_t len = 0;
    free(reply->body);
    reply->body = NULL;
    reply->body_len = 0;
    if (wx_v2_xml_encode(answer, &xml, &len, NULL) == WX_OK) {
        reply->body = strdup(xml);
        reply->body_len = reply->body ? len : 0;
    }
    wx_free(xml);
    json_object_put(answer);
    reply->status = reply->body ? 200 : 500;
}

/* return_code FAIL: "WHAT (DETAIL)", WeChat Pay's words first; an error_code when
 * given. */
static void return_fail_code(wx_mock_reply *reply, const char *what, const char *detail,
                             const char *error_code)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s%s%s%s", what, detail ? " (" : "", detail ? detail : "",
             detail ? ")" : "");
    json_object *a = json_object_new_object();
    wx_mock_v2_put(a, "return_code", "FAIL");
    wx_mock_v2_put(a, "return_msg", msg);
    if (error_code)
        wx_mock_v2_put(a, "error_code", error_code);
    send_xml(reply, a);
}

static void return_fail(wx_mock_reply *reply, const char *what, const char *detail)
{
    return_fail_code(reply, what, detail, NULL);
}

/* The first violation as "path: reason". */
static void first_violation(const wx_violations_t *v, char *out, size_t size)
{
    const wx_violation_t *x = wx_violations_at(v, 0);
    snprintf(out, size, "%s: %s", x && x->path ? x->path : "", x && x->reason ? x->reason : "");
}

/* The checks before the fields are used; 0 when the call may go on. */
static int admit(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                 const wx_endpoint_t *ep, json_object *fields, wx_v2_sign_type *type,
                 wx_mock_reply *reply)
{
    wx_error_t err = {0};
    /* Over TLS, as WeChat Pay does, the secure calls need the merchant certificate. */
    if (req->tls && wx_endpoint_cert_required(ep) && !req->merchant_client_cert) {
        return_fail(reply, "证书不存在",
                    "this call needs the merchant certificate as the TLS client certificate");
        return -1;
    }
    if (!ctx->cfg->apiv2_key) {
        return_fail(reply, "the sandbox has no apiv2_key in CONFIG.json", NULL);
        return -1;
    }
    if (wx_v2_sign_type_of(fields, type, &err) != WX_OK ||
        wx_v2_verify(fields, ctx->cfg->apiv2_key, *type, &err) != WX_OK) {
        return_fail(reply, "签名错误", err.message);
        return -1;
    }
    static const char *const ids[] = {"mch_id", "mchid", "combine_mch_id"};
    for (int i = 0; i < 3; i++) {
        json_object *v = json_object_object_get(fields, ids[i]);
        if (v && strcmp(json_object_get_string(v), ctx->cfg->mchid) != 0) {
            char why[64];
            snprintf(why, sizeof why, "%s is not the sandbox's merchant", ids[i]);
            return_fail(reply, "商户号不存在", why);
            return -1;
        }
    }
    wx_violations_t *violations = NULL;
    wx_request_view_t view = {.body = fields, .has_body = 1};
    wx_err rc = wx_endpoint_validate_request(ep, &view, &violations);
    if (rc != WX_OK) {
        char why[400];
        if (rc == WX_E_VALIDATION)
            first_violation(violations, why, sizeof why);
        else
            snprintf(why, sizeof why, "%s", wx_strerror(rc));
        wx_violations_free(violations);
        return_fail(reply, "参数格式校验错误", why);
        return -1;
    }
    wx_violations_free(violations);
    return 0;
}

/* An endpoint without state: its spec example, as a success, with the request's own
 * values where it has a field of the same name (the ids it asked about). */
static void answer_example(const wx_endpoint_t *ep, json_object *fields, json_object *answer)
{
    int status = 0;
    json_object *ex = NULL;
    if (wx_endpoint_example_response(ep, &status, &ex, NULL) == WX_OK && ex) {
        json_object_object_foreach(ex, k, v)
        {
            json_object *given = json_object_object_get(fields, k);
            if (!json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_array))
                wx_mock_v2_put(answer, k, json_object_get_string(given ? given : v));
        }
    }
    json_object_put(ex);
    json_object_object_del(answer, "err_code");
    json_object_object_del(answer, "err_code_des");
    wx_mock_v2_put(answer, "result_code", "SUCCESS");
}

/* The frame every answer has: return_code, the caller's ids, a nonce, and the sign
 * (unless WeChat Pay answers this endpoint unsigned). */
static void frame(const wx_mock_handler_ctx *ctx, const wx_endpoint_t *ep, json_object *fields,
                  wx_v2_sign_type type, json_object *answer)
{
    static const char *const ids[] = {"appid", "mch_id", "mch_appid", "mchid", "wxappid",
                                      "sub_mch_id", "sub_appid", "device_info"};
    wx_mock_v2_put(answer, "return_code", "SUCCESS");
    wx_mock_v2_put(answer, "return_msg", "OK");
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        json_object *v = json_object_object_get(fields, ids[i]);
        if (v)
            wx_mock_v2_put(answer, ids[i], json_object_get_string(v));
    }
    unsigned char raw[16];
    char nonce[33];
    if (wx_random_bytes(raw, sizeof raw) != WX_OK)
        memset(raw, 0x5a, sizeof raw);
    for (int i = 0; i < 16; i++)
        snprintf(nonce + 2 * i, 3, "%02x", raw[i]);
    wx_mock_v2_put(answer, "nonce_str", nonce);
    json_object_object_del(answer, "sign");
    if (wx_endpoint_unsigned_response(ep))
        return;
    if (type == WX_V2_SIGN_HMAC_SHA256)
        wx_mock_v2_put(answer, "sign_type", "HMAC-SHA256");
    char sign[WX_V2_SIGN_MAX];
    if (wx_v2_sign(answer, ctx->cfg->apiv2_key, type, sign, NULL) == WX_OK)
        wx_mock_v2_put(answer, "sign", sign);
}

/* The endpoint of an APIv2 path, or NULL when @p path is not one. */
static const wx_endpoint_t *v2_endpoint(const wx_mock_handler_ctx *ctx, const char *path)
{
    char v2path[512];
    if (!strncmp(path, "/v3/", 4) || !strncmp(path, "/mock/", 6) ||
        snprintf(v2path, sizeof v2path, "/v2%s", path) >= (int)sizeof v2path)
        return NULL;
    const wx_endpoint_t *ep = NULL;
    json_object *vars = NULL;
    if (wx_spec_find(ctx->spec, "POST", v2path, &ep, &vars, NULL) != WX_OK)
        ep = NULL;
    json_object_put(vars);
    return ep && wx_endpoint_is_xml(ep) ? ep : NULL;
}

int wx_mock_v2_is_call(const wx_mock_handler_ctx *ctx, const char *method, const char *target)
{
    char path[512];
    snprintf(path, sizeof path, "%.*s", (int)strcspn(target, "?"), target);
    return !strcmp(method, "POST") && v2_endpoint(ctx, path) != NULL;
}

int wx_mock_v2_answer(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                      wx_mock_reply *reply)
{
    char path[512];
    snprintf(path, sizeof path, "%.*s", (int)strcspn(req->target, "?"), req->target);
    const wx_endpoint_t *ep = strcmp(req->method, "POST") ? NULL : v2_endpoint(ctx, path);
    if (!ep)
        return 0;
    reply->content_type = "application/xml";
    reply->unsigned_reply = 1; /* APIv2 signs inside the body, not in Wechatpay-* headers */
    json_object *fields = NULL;
    wx_error_t err = {0};
    wx_v2_sign_type type = WX_V2_SIGN_MD5;
    if (wx_v2_xml_decode(req->body, req->body_len, &fields, &err) != WX_OK) {
        return_fail(reply, "XML格式错误", err.message);
        return 1;
    }
    if (admit(ctx, req, ep, fields, &type, reply) != 0) {
        json_object_put(fields);
        return 1;
    }
    wx_mock_v2_call call = {ctx, path, fields};
    wx_mock_v2_refusal no = {0};
    int bill = ctx->store ? wx_mock_v2_bill(&call, reply, &no) : -1;
    if (bill >= 0) { /* a bill, or XML saying why there is none */
        if (bill)
            return_fail_code(reply, no.return_msg, NULL, no.error_code);
        json_object_put(fields);
        return 1;
    }
    json_object *answer = json_object_new_object();
    const wx_mock_v2_route *r = ctx->store ? wx_mock_v2_routes : NULL;
    while (r && r->path && strcmp(r->path, path) != 0)
        r++;
    if (r && r->path)
        r->fn(&call, answer);
    else
        answer_example(ep, fields, answer);
    frame(ctx, ep, fields, type, answer);
    send_xml(reply, answer);
    json_object_put(fields);
    return 1;
}
