/* libFuzzer target for callback notifications (src/sign/notify.c): header text parsing,
 * verification, envelope parsing, AES-GCM decryption of `resource`, and the reply.
 *
 * Input: byte 0 is a set of switches, then "Name: value" lines, an empty line and the
 * body (fuzz_support.h). Switches:
 *   0x01  also send the four Wechatpay-* headers, correctly signed over the body with
 *         the golden platform key (after the fuzzed headers)
 *   0x02  the body is a resource plaintext: wrap it in a notification envelope,
 *         encrypted with the fuzz APIv3 key, before signing (reaches the decrypted JSON)
 *   0x04  take the headers from wx_notify_headers_parse over the header text instead
 * The keyring holds the golden platform and other certificates; the clock reads WXF_NOW.
 * Checked on every input:
 * - wx_notify_headers_parse gives WX_OK with a terminated list of non-NULL strings free
 *   of CR and LF, or WX_E_VERIFY_HEADER naming a line;
 * - wx_notify_verify_with gives only the codes its header lists; a failure leaves no
 *   notification and says why; WX_OK only when the headers really are signed (rechecked
 *   independently) and then every field of the notification is there;
 * - a notification that verifies, delivered three times through a replay guard, is
 *   admitted once and then WX_E_REPLAY (issue 16), with its signed timestamp;
 * - wx_notify_reply answers 204 with no body, or 400/500 with a JSON object;
 * - nothing leaks, nothing crashes (ASan/UBSan).
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/crypto.h>
#include <wechatpay/notify.h>
#include <wechatpay/plugin.h>
#include <wechatpay/sys/crypto.h>

#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_APIV3_KEY "fuzzAPIv3key0123456789abcdefABCD"

static wx_keyring_t *g_ring;
static wx_privkey_t *g_platform_key;
static wx_pubkey_t *g_platform, *g_other;

static void setup(void)
{
    if (g_ring)
        return;
    g_ring = wx_keyring_new();
    const char *p = wxf_golden("platform_cert.pem"), *o = wxf_golden("other_cert.pem"),
               *k = wxf_golden("platform_key.pem");
    if (wx_keyring_add_pem(g_ring, WXF_PLATFORM_SERIAL, p, NULL) != WX_OK ||
        wx_keyring_add_pem(g_ring, WXF_OTHER_SERIAL, o, NULL) != WX_OK ||
        wx_pubkey_load(p, strlen(p), &g_platform, NULL) != WX_OK ||
        wx_pubkey_load(o, strlen(o), &g_other, NULL) != WX_OK ||
        wx_privkey_load(k, strlen(k), NULL, &g_platform_key, NULL) != WX_OK)
        abort();
}

static const char *find(const wx_kv_t *h, const char *name)
{
    for (size_t i = 0; h[i].key; i++)
        if (strcasecmp(h[i].key, name) == 0)
            return h[i].value;
    return NULL;
}

static char *message(const char *ts, const char *nonce, const char *body, size_t len, size_t *n)
{
    *n = strlen(ts) + strlen(nonce) + len + 3;
    char *msg = malloc(*n);
    int off = snprintf(msg, *n, "%s\n%s\n", ts, nonce);
    memcpy(msg + off, body, len);
    msg[*n - 1] = '\n';
    return msg;
}

static int really_signed(const wx_kv_t *h, const char *body, size_t len)
{
    const char *ts = find(h, "Wechatpay-Timestamp"), *nonce = find(h, "Wechatpay-Nonce"),
               *sig = find(h, "Wechatpay-Signature"), *serial = find(h, "Wechatpay-Serial");
    if (!ts || !nonce || !sig || !serial)
        return 0;
    const wx_pubkey_t *key = strcmp(serial, WXF_PLATFORM_SERIAL) == 0 ? g_platform
                             : strcmp(serial, WXF_OTHER_SERIAL) == 0  ? g_other
                                                                      : NULL;
    long long t = strtoll(ts, NULL, 10);
    if (!key || t < WXF_NOW - 300 || t > WXF_NOW + 300)
        return 0;
    size_t n;
    char *msg = message(ts, nonce, body, len, &n);
    int ok = wx_rsa_verify(key, msg, n, sig, NULL) == WX_OK;
    free(msg);
    return ok;
}

/* A notification envelope around the plaintext, encrypted with the fuzz APIv3 key. */
static char *envelope(const char *plain, size_t len, size_t *out_len)
{
    char *ct = NULL;
    if (wx_aes_gcm_encrypt(FUZZ_APIV3_KEY, "fuzznonce123", "transaction", plain, len, &ct,
                           NULL) != WX_OK)
        abort();
    json_object *res = json_object_new_object(), *env = json_object_new_object();
    json_object_object_add(res, "original_type", json_object_new_string("transaction"));
    json_object_object_add(res, "algorithm", json_object_new_string("AEAD_AES_256_GCM"));
    json_object_object_add(res, "ciphertext", json_object_new_string(ct));
    json_object_object_add(res, "associated_data", json_object_new_string("transaction"));
    json_object_object_add(res, "nonce", json_object_new_string("fuzznonce123"));
    json_object_object_add(env, "id", json_object_new_string("EV-2018022511223320873"));
    json_object_object_add(env, "create_time", json_object_new_string("2015-05-20T13:29:35+08:00"));
    json_object_object_add(env, "resource_type", json_object_new_string("encrypt-resource"));
    json_object_object_add(env, "event_type", json_object_new_string("TRANSACTION.SUCCESS"));
    json_object_object_add(env, "summary", json_object_new_string("ok"));
    json_object_object_add(env, "resource", res);
    const char *text = json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN);
    char *copy = strdup(text);
    *out_len = strlen(copy);
    json_object_put(env);
    wx_free(ct);
    return copy;
}

static void check_headers_parse(const char *text, size_t len)
{
    wx_kv_t *h = (wx_kv_t *)1;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_err rc = wx_notify_headers_parse(text, len, &h, &err);
    if (rc == WX_OK) {
        for (size_t i = 0; h[i].key; i++)
            if (!h[i].value || strpbrk(h[i].key, "\r\n") || strpbrk(h[i].value, "\r\n"))
                abort();
        wx_free(h);
    } else if (rc == WX_E_VERIFY_HEADER) {
        if (!err.message[0])
            abort();
    } else if (rc != WX_E_NOMEM && rc != WX_E_INVALID_ARG) {
        abort();
    }
}

static void check_reply(uint8_t code, const char *msg)
{
    int status = 0;
    char *body = NULL;
    wx_err result = (wx_err)(code % 32);
    if (wx_notify_reply(result, msg, &status, &body) != WX_OK)
        abort();
    if (result == WX_OK) {
        if (status != 204 || body)
            abort();
        return;
    }
    if ((status != 400 && status != 500) || !body)
        abort();
    json_object *j = json_tokener_parse(body);
    if (!j || !json_object_is_type(j, json_type_object))
        abort();
    json_object_put(j);
    wx_free(body);
}

/* The verified notification @p n delivered twice more, the same bytes each time. */
static void check_replay(const wx_kv_t *hs, const char *body, size_t body_len,
                         const wx_notification_t *n)
{
    wx_notify_guard_options_t o = WX_NOTIFY_GUARD_OPTIONS_INIT;
    o.capacity = 4;
    wx_notify_guard_t *g = NULL;
    if (n->timestamp != WXF_NOW || wx_notify_guard_new(&o, &g, NULL) != WX_OK)
        abort();
    wx_err want = strlen(n->id) <= WX_NOTIFY_GUARD_KEY_MAX ? WX_OK : WX_E_INVALID_ARG;
    if (wx_notify_guard_admit(g, n->id, n->timestamp, WXF_NOW, NULL) != want)
        abort();
    wx_notify_guard_finish(g, n->id, 1);
    for (int i = 0; want == WX_OK && i < 2; i++) {
        wx_notification_t *again = NULL;
        if (wx_notify_verify_with(g_ring, FUZZ_APIV3_KEY, WXF_NOW, hs, body, body_len, &again,
                                  NULL) != WX_OK ||
            wx_notify_guard_admit(g, again->id, again->timestamp, WXF_NOW, NULL) != WX_E_REPLAY)
            abort();
        wx_notification_free(again);
    }
    wx_notify_guard_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 16384)
        return 0;
    setup();
    uint8_t sw = data[0];

    /* the header text alone, through the saved-headers parser */
    const uint8_t *blank = NULL;
    for (size_t i = 1; i + 1 < size && !blank; i++)
        if (data[i] == '\n' && (data[i + 1] == '\n' || (data[i + 1] == '\r' && i + 2 < size && data[i + 2] == '\n')))
            blank = data + i + 1;
    size_t head_len = blank ? (size_t)(blank - data - 1) : size - 1;
    char *head = malloc(head_len ? head_len : 1);
    memcpy(head, data + 1, head_len);
    check_headers_parse(head, head_len);

    wxf_message m;
    wxf_message_parse(data + 1, size - 1, &m);
    const char *body = m.body;
    size_t body_len = m.body_len;
    char *wrapped = NULL;
    if (sw & 0x02) {
        wrapped = envelope(m.body, m.body_len, &body_len);
        body = wrapped;
    }

    /* the headers to verify: parsed by the library or by the splitter, plus a signature */
    wx_kv_t *parsed = NULL, hs[40];
    size_t nh = 0;
    if ((sw & 0x04) && wx_notify_headers_parse(head, head_len, &parsed, NULL) == WX_OK) {
        for (size_t i = 0; parsed[i].key && nh < 32; i++)
            hs[nh++] = parsed[i];
    } else {
        for (size_t i = 0; i < m.header_count; i++)
            hs[nh++] = m.headers[i];
    }
    char ts[32], *sig = NULL;
    if (sw & 0x01) {
        snprintf(ts, sizeof ts, "%d", WXF_NOW);
        size_t n;
        char *msg = message(ts, "fuzznonce", body, body_len, &n);
        if (wx_rsa_sign(g_platform_key, msg, n, &sig, NULL) != WX_OK)
            abort();
        free(msg);
        hs[nh++] = (wx_kv_t){"Wechatpay-Timestamp", ts};
        hs[nh++] = (wx_kv_t){"Wechatpay-Nonce", "fuzznonce"};
        hs[nh++] = (wx_kv_t){"Wechatpay-Signature", sig};
        hs[nh++] = (wx_kv_t){"Wechatpay-Serial", WXF_PLATFORM_SERIAL};
    }
    hs[nh] = (wx_kv_t){NULL, NULL};

    wx_notification_t *n = (wx_notification_t *)1;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_err rc = wx_notify_verify_with(g_ring, FUZZ_APIV3_KEY, WXF_NOW, hs, body, body_len, &n, &err);
    switch (rc) {
    case WX_OK:
        if (!n || !really_signed(hs, body, body_len) || !n->id || !n->event_type ||
            !n->resource_type || !n->algorithm || !n->nonce || !n->ciphertext || !n->serial ||
            !n->plaintext || !n->resource || !n->envelope || !n->associated_data ||
            !n->create_time || !n->summary || !n->original_type)
            abort();
        check_replay(hs, body, body_len, n);
        break;
    case WX_E_VERIFY_HEADER:
    case WX_E_VERIFY_SERIAL:
    case WX_E_VERIFY_TIME:
    case WX_E_VERIFY_SIGNATURE:
    case WX_E_JSON:
    case WX_E_UNSUPPORTED:
    case WX_E_DECRYPT:
    case WX_E_NOMEM:
        if (n || !err.message[0])
            abort();
        /* nothing after the signature is looked at unless it verified */
        if ((rc == WX_E_JSON || rc == WX_E_UNSUPPORTED || rc == WX_E_DECRYPT) &&
            !really_signed(hs, body, body_len))
            abort();
        break;
    default:
        fprintf(stderr, "fuzz_notify: unexpected %s: %s\n", wx_err_name(rc), err.message);
        abort();
    }
    wx_notification_free(rc == WX_OK ? n : NULL);
    check_reply(sw, m.header_count ? m.headers[0].value : NULL);

    wx_free(sig);
    wx_free(parsed);
    free(wrapped);
    free(head);
    wxf_message_free(&m);
    return 0;
}
