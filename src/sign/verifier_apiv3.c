/* The APIv3 response verifier: the four Wechatpay-* headers, a known serial, a
 * timestamp within the allowed skew, and SHA256withRSA over TIMESTAMP\nNONCE\nBODY\n. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/plugin.h>

#include "sign/sign_internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strutil.h"

typedef struct apiv3_verifier {
    wx_verifier_t pub;
    wx_keyring_t *ring; /* borrowed */
    int64_t max_skew_s;
} apiv3_verifier;

/* A timestamp is decimal digits only, as WeChat Pay sends it. */
static int parse_timestamp(const char *s, int64_t *out)
{
    if (!*s || strlen(s) > 18)
        return 0;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return 0;
    *out = strtoll(s, NULL, 10);
    return 1;
}

wx_err wx_apiv3_check(wx_keyring_t *ring, int64_t max_skew_s, int64_t now, const char *timestamp,
                      const char *nonce, const char *signature, const char *serial,
                      const char *body, size_t body_len, wx_error_t *err)
{
    static const char *const names[] = {"Wechatpay-Timestamp", "Wechatpay-Nonce",
                                        "Wechatpay-Signature", "Wechatpay-Serial"};
    const char *values[] = {timestamp, nonce, signature, serial};
    for (int i = 0; i < 4; i++) {
        if (!values[i])
            return wx_error_set(err, WX_E_VERIFY_HEADER, names[i], "header %s is missing",
                                names[i]);
        if (!*values[i])
            return wx_error_set(err, WX_E_VERIFY_HEADER, names[i], "header %s is empty", names[i]);
        if (wx_has_crlf_nul(values[i], strlen(values[i])))
            return wx_error_set(err, WX_E_VERIFY_HEADER, names[i], "header %s is malformed",
                                names[i]);
    }
    int64_t ts;
    if (!parse_timestamp(timestamp, &ts))
        return wx_error_set(err, WX_E_VERIFY_HEADER, "Wechatpay-Timestamp",
                            "Wechatpay-Timestamp is not a UNIX time: %.32s", timestamp);
    int64_t skew = max_skew_s > 0 ? max_skew_s : WX_DEFAULT_MAX_SKEW_S;
    int64_t diff = now - ts;
    if (diff > skew || diff < -skew)
        return wx_error_set(err, WX_E_VERIFY_TIME, "Wechatpay-Timestamp",
                            "Wechatpay-Timestamp %s is %lld s %s now (allowed: %lld s)", timestamp,
                            (long long)(diff < 0 ? -diff : diff),
                            diff < 0 ? "ahead of" : "behind", (long long)skew);
    wx_buf msg = WX_BUF_INIT;
    wx_verify_message_to(&msg, timestamp, nonce, body, body_len);
    if (!wx_buf_ok(&msg)) {
        wx_buf_free(&msg);
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory verifying the response");
    }
    wx_err rc = wx_keyring_verify(ring, serial, msg.data, msg.len, signature, err);
    wx_buf_free(&msg);
    if (rc == WX_E_VERIFY_SIGNATURE)
        wx_error_set(err, rc, "Wechatpay-Signature",
                     "Wechatpay-Signature does not match the body and headers received "
                     "(signed with %.64s)", serial);
    return rc;
}

static wx_err apiv3_verify(void *ctx, const wx_verify_input_t *in, wx_error_t *err)
{
    apiv3_verifier *v = ctx;
    return wx_apiv3_check(v->ring, v->max_skew_s, in->now,
                          wx_kv_find_ci(in->headers, "Wechatpay-Timestamp"),
                          wx_kv_find_ci(in->headers, "Wechatpay-Nonce"),
                          wx_kv_find_ci(in->headers, "Wechatpay-Signature"),
                          wx_kv_find_ci(in->headers, "Wechatpay-Serial"), in->body, in->body_len,
                          err);
}

static void apiv3_destroy(void *ctx) { wx_free(ctx); }

wx_verifier_t *wx_verifier_apiv3(wx_keyring_t *ring, int64_t max_skew_s)
{
    if (!ring)
        return NULL;
    apiv3_verifier *v = wx_calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->ring = ring;
    v->max_skew_s = max_skew_s;
    v->pub.ctx = v;
    v->pub.verify = apiv3_verify;
    v->pub.destroy = apiv3_destroy;
    return &v->pub;
}

void wx_verifier_free(wx_verifier_t *v)
{
    if (v && v->destroy)
        v->destroy(v->ctx);
}
