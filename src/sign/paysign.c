/* Cashier parameters for JSAPI / mini-program and APP payments, signed with the
 * merchant key over the lines WeChat Pay's client SDKs check:
 *   JSAPI: appId\ntimeStamp\nnonceStr\npackage\n
 *   APP:   appid\ntimestamp\nnoncestr\nprepayid\n */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <wechatpay/paysign.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/struct_version.h"

/* A value goes into one line of the signed message: a control character (a newline
 * above all) would let two different parameter sets sign the same bytes. */
static wx_err check_value(const char *what, const char *v, wx_error_t *err)
{
    if (!v || !*v)
        return wx_error_set(err, WX_E_INVALID_ARG, what, "paysign: %s is required", what);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 32 || *p == 127)
            return wx_error_set(err, WX_E_INVALID_ARG, what,
                                "paysign: %s contains a control character", what);
    return WX_OK;
}

static void add(struct json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, json_object_new_string(value));
}

wx_err wx_paysign_with(const wx_privkey_t *key, const wx_paysign_options_t *o, char **json,
                       wx_error_t *err)
{
    if (json)
        *json = NULL;
    if (!key || !o || !json)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "paysign: key, options and out are required");
    if (o->version > WX_PAYSIGN_OPTIONS_VERSION)
        return wx_struct_version_check(o->version, WX_PAYSIGN_OPTIONS_VERSION,
                                       "wx_paysign_options_t", err);
    if (o->kind != WX_PAYSIGN_JSAPI && o->kind != WX_PAYSIGN_APP)
        return wx_error_set(err, WX_E_INVALID_ARG, "kind", "paysign: unknown kind %d",
                            (int)o->kind);
    int app = o->kind == WX_PAYSIGN_APP;
    wx_err rc;
    if ((rc = check_value("appid", o->appid, err)) != WX_OK ||
        (rc = check_value("prepay_id", o->prepay_id, err)) != WX_OK ||
        (rc = check_value("nonce", o->nonce, err)) != WX_OK ||
        (app && (rc = check_value("partnerid", o->partnerid, err)) != WX_OK))
        return rc;
    if (o->timestamp <= 0)
        return wx_error_set(err, WX_E_INVALID_ARG, "timestamp",
                            "paysign: timestamp must be a positive UNIX time");
    char ts[24];
    snprintf(ts, sizeof ts, "%" PRId64, o->timestamp);

    wx_buf msg = WX_BUF_INIT, package = WX_BUF_INIT;
    if (app) {
        wx_buf_printf(&msg, "%s\n%s\n%s\n%s\n", o->appid, ts, o->nonce, o->prepay_id);
    } else {
        wx_buf_printf(&package, "prepay_id=%s", o->prepay_id);
        wx_buf_printf(&msg, "%s\n%s\n%s\n%s\n", o->appid, ts, o->nonce, wx_buf_str(&package));
    }
    char *sig = NULL;
    if (!wx_buf_ok(&msg) || !wx_buf_ok(&package)) {
        rc = wx_error_set(err, WX_E_NOMEM, "", "out of memory");
        goto out;
    }
    /* A local error for the seam's reason: err->message cannot be formatted into itself. */
    wx_error_t e;
    e.message[0] = e.where[0] = 0;
    if ((rc = wx_rsa_sign(key, msg.data, msg.len, &sig, &e)) != WX_OK) {
        rc = rc == WX_E_NOMEM ? wx_error_set(err, rc, "", "out of memory")
                              : wx_error_set(err, WX_E_SIGN, e.where, "paysign: signing failed: %s",
                                             e.message);
        goto out;
    }
    struct json_object *j = json_object_new_object();
    if (!j) {
        rc = wx_error_set(err, WX_E_NOMEM, "", "out of memory");
        goto out;
    }
    if (app) {
        add(j, "appid", o->appid);
        add(j, "partnerid", o->partnerid);
        add(j, "prepayid", o->prepay_id);
        add(j, "package", "Sign=WXPay");
        add(j, "noncestr", o->nonce);
        add(j, "timestamp", ts);
        add(j, "sign", sig);
    } else {
        add(j, "appId", o->appid);
        add(j, "timeStamp", ts);
        add(j, "nonceStr", o->nonce);
        add(j, "package", wx_buf_str(&package));
        add(j, "signType", "RSA");
        add(j, "paySign", sig);
    }
    const char *text =
        json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (text)
        *json = wx_strdup(text);
    json_object_put(j);
    rc = *json ? WX_OK : wx_error_set(err, WX_E_NOMEM, "", "out of memory");
out:
    wx_free(sig);
    wx_buf_free(&msg);
    wx_buf_free(&package);
    return rc;
}
