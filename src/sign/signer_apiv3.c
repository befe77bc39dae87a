/* The APIv3 request signer: SHA256withRSA over the message lines, packed into the
 * WECHATPAY2-SHA256-RSA2048 Authorization header. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <wechatpay/plugin.h>

#include "sign/sign_internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct apiv3_signer {
    wx_signer_t pub;
    char *mchid;
    char *serial;
    const wx_privkey_t *key; /* borrowed */
} apiv3_signer;

static wx_err apiv3_authorization(void *ctx, const wx_sign_input_t *in, char *out, size_t out_size,
                                  wx_error_t *err)
{
    apiv3_signer *s = ctx;
    char msg_small[1024];
    wx_buf msg = WX_BUF_INIT;
    size_t need = strlen(in->method) + strlen(in->target) + strlen(in->nonce) + in->body_len + 32;
    const char *m;
    size_t mlen;
    if (need < sizeof msg_small) {
        int n = snprintf(msg_small, sizeof msg_small, "%s\n%s\n%" PRId64 "\n%s\n", in->method,
                         in->target, in->timestamp, in->nonce);
        if (in->body_len)
            memcpy(msg_small + n, in->body, in->body_len);
        msg_small[n + in->body_len] = '\n';
        m = msg_small;
        mlen = (size_t)n + in->body_len + 1;
    } else {
        wx_sign_message_to(&msg, in);
        if (!wx_buf_ok(&msg))
            return wx_error_set(err, WX_E_NOMEM, "", "out of memory building the signed message");
        m = msg.data;
        mlen = msg.len;
    }
    char *sig = NULL;
    /* The seam's reason goes through a local error: formatting err->message into
     * itself would overlap source and destination. */
    wx_error_t e;
    e.message[0] = e.where[0] = 0;
    wx_err rc = wx_rsa_sign(s->key, m, mlen, &sig, &e);
    wx_buf_free(&msg);
    if (rc == WX_E_NOMEM)
        return wx_error_set(err, rc, "", "out of memory signing the request");
    if (rc != WX_OK)
        return wx_error_set(err, WX_E_SIGN, e.where, "signing failed: %s", e.message);
    int n = snprintf(out, out_size,
                     "WECHATPAY2-SHA256-RSA2048 mchid=\"%s\",nonce_str=\"%s\",signature=\"%s\","
                     "timestamp=\"%" PRId64 "\",serial_no=\"%s\"",
                     s->mchid, in->nonce, sig, in->timestamp, s->serial);
    wx_free(sig);
    if (n < 0 || (size_t)n >= out_size)
        return wx_error_set(err, WX_E_SIGN, "", "Authorization header longer than %zu bytes",
                            out_size);
    return WX_OK;
}

static void apiv3_destroy(void *ctx)
{
    apiv3_signer *s = ctx;
    wx_free(s->mchid);
    wx_free(s->serial);
    wx_free(s);
}

/* Values that go between quotes in the header: no quote, comma, backslash or control. */
static int quotable(const char *s)
{
    for (; *s; s++)
        if (*s == '"' || *s == ',' || *s == '\\' || (unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

wx_signer_t *wx_signer_apiv3(const char *mchid, const char *serial, const wx_privkey_t *key)
{
    if (!mchid || !serial || !key || !quotable(mchid) || !quotable(serial))
        return NULL;
    apiv3_signer *s = wx_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->mchid = wx_strdup(mchid);
    s->serial = wx_strdup(serial);
    s->key = key;
    if (!s->mchid || !s->serial) {
        apiv3_destroy(s);
        return NULL;
    }
    s->pub.ctx = s;
    s->pub.authorization = apiv3_authorization;
    s->pub.destroy = apiv3_destroy;
    return &s->pub;
}

void wx_signer_free(wx_signer_t *s)
{
    if (s && s->destroy)
        s->destroy(s->ctx);
}
