/* APIv2 callbacks (wechatpay/notify.h): a payment notification's sign is checked
 * before it is handed back; a refund notification's req_info is decrypted with the
 * MD5 of the APIv2 key and parsed. A failure hands back nothing. */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include <wechatpay/apiv2.h>
#include <wechatpay/notify.h>

#include "crypto/backend.h"
#include "util/alloc.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/error.h"

void wx_v2_notification_free(wx_v2_notification_t *n)
{
    if (!n)
        return;
    json_object_put(n->fields);
    json_object_put(n->req_info);
    wx_free(n);
}

/* The AES-256 key of req_info: the 32 characters of the lower-case hex MD5 of the key. */
static wx_err req_info_key(const char *apiv2_key, unsigned char key[32], wx_error_t *err)
{
    if (!apiv2_key || !*apiv2_key)
        return wx_error_set(err, WX_E_INVALID_ARG, "apiv2_key", "the APIv2 key is empty");
    static const char digits[] = "0123456789abcdef";
    unsigned char d[16];
    wxc_md5(apiv2_key, strlen(apiv2_key), d);
    for (int i = 0; i < 16; i++) {
        key[2 * i] = (unsigned char)digits[d[i] >> 4];
        key[2 * i + 1] = (unsigned char)digits[d[i] & 15];
    }
    wx_secure_zero(d, sizeof d);
    return WX_OK;
}

wx_err wx_v2_req_info_encrypt(const char *apiv2_key, const char *plain, size_t len, char **b64,
                              wx_error_t *err)
{
    if (!b64 || (!plain && len))
        return wx_error_set(err, WX_E_INVALID_ARG, "req_info", "no plaintext");
    *b64 = NULL;
    unsigned char key[32];
    wx_err rc = req_info_key(apiv2_key, key, err);
    if (rc != WX_OK)
        return rc;
    size_t cap = (len / 16 + 1) * 16;
    unsigned char *ct = wx_malloc(cap);
    char *text = wx_malloc(wx_base64_encoded_len(cap) + 1);
    if (!ct || !text)
        rc = wx_error_set(err, WX_E_NOMEM, "req_info", NULL);
    else
        rc = wxc_aes256ecb_encrypt(key, (const unsigned char *)plain, len, ct, &cap, err);
    if (rc == WX_OK) {
        wx_base64_encode_to(ct, cap, text);
        *b64 = text;
        text = NULL;
    }
    wx_secure_zero(key, sizeof key);
    wx_free(ct);
    wx_free(text);
    return rc;
}

wx_err wx_v2_req_info_decrypt(const char *apiv2_key, const char *b64, char **plain,
                              size_t *plain_len, wx_error_t *err)
{
    if (!b64 || !plain)
        return wx_error_set(err, WX_E_INVALID_ARG, "req_info", "no ciphertext");
    *plain = NULL;
    unsigned char key[32];
    wx_err rc = req_info_key(apiv2_key, key, err);
    if (rc != WX_OK)
        return rc;
    size_t len = strlen(b64);
    unsigned char *ct = wx_malloc(len / 4 * 3 + 3);
    char *out = wx_malloc(len / 4 * 3 + 3);
    long n = ct ? wx_base64_decode_to(b64, len, ct) : -1;
    size_t out_len = len / 4 * 3 + 2;
    if (!ct || !out)
        rc = wx_error_set(err, WX_E_NOMEM, "req_info", NULL);
    else if (n <= 0)
        rc = wx_error_set(err, WX_E_DECRYPT, "req_info", "req_info is not base64");
    else
        rc = wxc_aes256ecb_decrypt(key, ct, (size_t)n, (unsigned char *)out, &out_len, err);
    wx_secure_zero(key, sizeof key);
    wx_free(ct);
    if (rc != WX_OK) {
        if (err && rc == WX_E_DECRYPT)
            snprintf(err->where, sizeof err->where, "req_info");
        wx_free(out);
        return rc;
    }
    out[out_len] = 0;
    *plain = out;
    if (plain_len)
        *plain_len = out_len;
    return WX_OK;
}

/* return_code FAIL: WeChat Pay's own failure, carried like an HTTP error's code. */
static wx_err return_code_check(json_object *f, wx_error_t *err)
{
    json_object *rc = json_object_object_get(f, "return_code");
    if (!rc || !strcmp(json_object_get_string(rc), "SUCCESS"))
        return WX_OK;
    json_object *msg = json_object_object_get(f, "return_msg");
    wx_error_set(err, WX_E_HTTP, "return_code", "the notification says %s: %s",
                 json_object_get_string(rc), msg ? json_object_get_string(msg) : "");
    if (err) {
        snprintf(err->server_code, sizeof err->server_code, "%s", json_object_get_string(rc));
        snprintf(err->server_message, sizeof err->server_message, "%s",
                 msg ? json_object_get_string(msg) : "");
    }
    return WX_E_HTTP;
}

static wx_err open_refund(const char *apiv2_key, json_object *fields, json_object **req_info,
                          wx_error_t *err)
{
    char *plain = NULL;
    size_t plain_len = 0;
    wx_err rc = wx_v2_req_info_decrypt(apiv2_key, json_object_get_string(
                                                      json_object_object_get(fields, "req_info")),
                                       &plain, &plain_len, err);
    if (rc != WX_OK)
        return rc;
    rc = wx_v2_xml_decode(plain, plain_len, req_info, err);
    if (rc != WX_OK)
        wx_error_prefix(err, "req_info");
    wx_free_secret(plain, plain_len);
    return rc;
}

wx_err wx_v2_notify_verify_with(const char *apiv2_key, const char *body, size_t len,
                           wx_v2_notification_t **out, wx_error_t *err)
{
    if (!out || !apiv2_key || !*apiv2_key)
        return wx_error_set(err, WX_E_INVALID_ARG, "apiv2_key", "the APIv2 key is required");
    *out = NULL;
    json_object *fields = NULL, *req_info = NULL;
    wx_err rc = wx_v2_xml_decode(body, len, &fields, err);
    if (rc == WX_OK)
        rc = return_code_check(fields, err);
    wx_v2_notify_kind kind = WX_V2_NOTIFY_PAYMENT;
    if (rc == WX_OK && json_object_object_get_ex(fields, "req_info", NULL)) {
        kind = WX_V2_NOTIFY_REFUND;
        rc = open_refund(apiv2_key, fields, &req_info, err);
    } else if (rc == WX_OK) {
        wx_v2_sign_type type = WX_V2_SIGN_BY_LENGTH;
        if (json_object_object_get_ex(fields, "sign_type", NULL))
            rc = wx_v2_sign_type_of(fields, &type, err);
        if (rc == WX_OK)
            rc = wx_v2_verify(fields, apiv2_key, type, err);
    }
    wx_v2_notification_t *n = rc == WX_OK ? wx_calloc(1, sizeof *n) : NULL;
    if (rc == WX_OK && !n)
        rc = wx_error_set(err, WX_E_NOMEM, "notification", NULL);
    if (rc != WX_OK) {
        json_object_put(fields);
        json_object_put(req_info);
        return rc;
    }
    n->kind = kind;
    n->fields = fields;
    n->req_info = req_info;
    *out = n;
    return WX_OK;
}

/* A non-empty string field of an APIv2 callback, or NULL. */
static const char *v2_field(json_object *o, const char *name)
{
    json_object *v = o ? json_object_object_get(o, name) : NULL;
    const char *s = v ? json_object_get_string(v) : NULL;
    return s && *s ? s : NULL;
}

wx_err wx_v2_notify_key(const wx_v2_notification_t *n, char key[WX_NOTIFY_GUARD_KEY_MAX + 1],
                        wx_error_t *err)
{
    if (!n || !key)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "notification and key are required");
    int refund = n->kind == WX_V2_NOTIFY_REFUND;
    json_object *o = refund ? n->req_info : n->fields;
    const char *id_name = refund ? "refund_id" : "transaction_id";
    const char *state_name = refund ? "refund_status" : "result_code";
    const char *id = v2_field(o, id_name), *state = v2_field(o, state_name);
    if (!id || !state)
        return wx_error_set(err, WX_E_XML, id ? state_name : id_name,
                            "APIv2 callback: %s is missing or empty", id ? state_name : id_name);
    int n_out = snprintf(key, WX_NOTIFY_GUARD_KEY_MAX + 1, "%s:%s:%s",
                         refund ? "v2refund" : "v2pay", id, state);
    if (n_out < 0 || n_out > WX_NOTIFY_GUARD_KEY_MAX)
        return wx_error_set(err, WX_E_INVALID_ARG, id_name,
                            "APIv2 callback: %s and %s are too long for a guard key", id_name,
                            state_name);
    return WX_OK;
}

wx_err wx_v2_notify_reply(wx_err result, const char *message, char **xml, size_t *len)
{
    if (!xml)
        return WX_E_INVALID_ARG;
    json_object *f = json_object_new_object();
    if (!f)
        return WX_E_NOMEM;
    const char *msg = result == WX_OK ? "OK" : message ? message : wx_strerror(result);
    json_object_object_add(f, "return_code",
                           json_object_new_string(result == WX_OK ? "SUCCESS" : "FAIL"));
    json_object_object_add(f, "return_msg", json_object_new_string(msg));
    wx_err rc = wx_v2_xml_encode(f, xml, len, NULL);
    json_object_put(f);
    return rc;
}
