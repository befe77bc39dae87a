/* libFuzzer target for response verification (src/sign/verifier_apiv3.c, keyring.c):
 * the APIv3 verifier over a keyring holding the golden platform certificate and the
 * second platform certificate, fed arbitrary response headers and body.
 *
 * Input: "Name: value" lines, an empty line, then the body (fuzz_support.h); the
 * clock reads WXF_NOW. Checked on every input:
 * - the result is WX_OK or one of WX_E_VERIFY_HEADER/_SERIAL/_TIME/_SIGNATURE, and a
 *   failure names its reason in err.message;
 * - WX_OK only when all four Wechatpay-* headers are there, the serial is one of the
 *   two known ones, the timestamp is digits within 300 s of now, and the signature
 *   checks out again, independently, with that certificate over TIMESTAMP\nNONCE\nBODY\n;
 * - the verdict is the same on a second call (no state between verifications).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/crypto.h>
#include <wechatpay/plugin.h>

#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static wx_keyring_t *g_ring;
static wx_verifier_t *g_verifier;
static wx_pubkey_t *g_platform, *g_other;

static void setup(void)
{
    if (g_ring)
        return;
    g_ring = wx_keyring_new();
    const char *p = wxf_golden("platform_cert.pem"), *o = wxf_golden("other_cert.pem");
    if (wx_keyring_add_pem(g_ring, WXF_PLATFORM_SERIAL, p, NULL) != WX_OK ||
        wx_keyring_add_pem(g_ring, WXF_OTHER_SERIAL, o, NULL) != WX_OK ||
        wx_pubkey_load(p, strlen(p), &g_platform, NULL) != WX_OK ||
        wx_pubkey_load(o, strlen(o), &g_other, NULL) != WX_OK)
        abort();
    g_verifier = wx_verifier_apiv3(g_ring, 0);
    if (!g_verifier)
        abort();
}

static const char *find(const wx_kv_t *h, const char *name)
{
    for (size_t i = 0; h[i].key; i++)
        if (strcasecmp(h[i].key, name) == 0)
            return h[i].value;
    return NULL;
}

/* What WX_OK promises, rechecked from scratch. */
static void check_accepted(const wxf_message *m)
{
    const char *ts = find(m->headers, "Wechatpay-Timestamp"),
               *nonce = find(m->headers, "Wechatpay-Nonce"),
               *sig = find(m->headers, "Wechatpay-Signature"),
               *serial = find(m->headers, "Wechatpay-Serial");
    if (!ts || !nonce || !sig || !serial || !*ts || !*nonce || !*sig)
        abort();
    const wx_pubkey_t *key = strcmp(serial, WXF_PLATFORM_SERIAL) == 0 ? g_platform
                             : strcmp(serial, WXF_OTHER_SERIAL) == 0  ? g_other
                                                                      : NULL;
    if (!key)
        abort();
    for (const char *p = ts; *p; p++)
        if (*p < '0' || *p > '9')
            abort();
    long long t = strtoll(ts, NULL, 10);
    if (t < WXF_NOW - 300 || t > WXF_NOW + 300)
        abort();
    size_t n = strlen(ts) + strlen(nonce) + m->body_len + 3;
    char *msg = malloc(n);
    size_t off = 0;
    memcpy(msg + off, ts, strlen(ts));
    off += strlen(ts);
    msg[off++] = '\n';
    memcpy(msg + off, nonce, strlen(nonce));
    off += strlen(nonce);
    msg[off++] = '\n';
    memcpy(msg + off, m->body, m->body_len);
    off += m->body_len;
    msg[off++] = '\n';
    if (wx_rsa_verify(key, msg, off, sig, NULL) != WX_OK)
        abort();
    free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    wxf_message m;
    wxf_message_parse(data, size, &m);
    wx_verify_input_t in = {200, m.headers, m.body, m.body_len, WXF_NOW};
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_err rc = g_verifier->verify(g_verifier->ctx, &in, &err);
    switch (rc) {
    case WX_OK:
        check_accepted(&m);
        break;
    case WX_E_VERIFY_HEADER:
    case WX_E_VERIFY_SERIAL:
    case WX_E_VERIFY_TIME:
    case WX_E_VERIFY_SIGNATURE:
        if (!err.message[0] || strnlen(err.message, sizeof err.message) >= sizeof err.message)
            abort();
        break;
    default:
        abort();
    }
    wx_error_t err2;
    memset(&err2, 0, sizeof err2);
    if (g_verifier->verify(g_verifier->ctx, &in, &err2) != rc)
        abort();
    wxf_message_free(&m);
    return 0;
}
