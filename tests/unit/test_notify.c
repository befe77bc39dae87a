/* Callback notifications: the openssl/Node-made golden vectors, round trips built the
 * way WeChat Pay builds them (wx_aes_gcm_encrypt + a platform key signature), every
 * tampered header, body byte, ciphertext, nonce, associated data and key rejected with
 * its reason, saved header text, the merchant's answer, the client form, and a torture
 * run that fails each allocation in turn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>
#include <wechatpay/sys/crypto.h>

#include "alloc_counter.h"
#include "fake_server.h"
#include "testutil.h"

#define PLATFORM_SERIAL "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
#define OTHER_SERIAL "7777F09EFDC096DE15EBE81A47057A7232F17777"
#define APIV3_KEY "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"
#define RESOURCE                                                                              \
    "{\"mchid\":\"1900000001\",\"out_trade_no\":\"1217752501201407033233368018\","          \
    "\"trade_state\":\"SUCCESS\",\"attach\":\"自定义\",\"amount\":{\"total\":100}}"

static wx_keyring_t *g_ring;
static wx_privkey_t *g_platform, *g_other;

static int setup(void **state)
{
    g_ring = wx_keyring_new();
    assert_int_equal(wx_keyring_add_pem(g_ring, PLATFORM_SERIAL, wxt_golden("platform_cert.pem"),
                                        NULL), WX_OK);
    assert_int_equal(wx_keyring_add_pem(g_ring, OTHER_SERIAL, wxt_golden("other_cert.pem"), NULL),
                     WX_OK);
    const char *p = wxt_golden("platform_key.pem"), *o = wxt_golden("other_key.pem");
    assert_int_equal(wx_privkey_load(p, strlen(p), NULL, &g_platform, NULL), WX_OK);
    assert_int_equal(wx_privkey_load(o, strlen(o), NULL, &g_other, NULL), WX_OK);
    return 0;
}

static int teardown(void **state)
{
    wx_keyring_free(g_ring);
    wx_privkey_free(g_platform);
    wx_privkey_free(g_other);
    return 0;
}

/* ------------------------------------------------------------------ building one */

typedef struct note {
    char ts[32], nonce[64], serial[128];
    char *sig;
    char *body;
    wx_kv_t headers[8];
} note;

static char *envelope(const char *cipher, const char *res_nonce, const char *aad,
                      const char *algorithm)
{
    char *b = malloc(strlen(cipher) + 1024);
    sprintf(b, "{\"id\":\"EV-2018022511223320873\",\"create_time\":\"2015-05-20T13:29:35+08:00\","
               "\"resource_type\":\"encrypt-resource\",\"event_type\":\"TRANSACTION.SUCCESS\","
               "\"summary\":\"支付成功\",\"resource\":{\"original_type\":\"transaction\","
               "\"algorithm\":\"%s\",\"ciphertext\":\"%s\"%s%s%s,\"nonce\":\"%s\"}}",
            algorithm, cipher, aad ? ",\"associated_data\":\"" : "", aad ? aad : "",
            aad ? "\"" : "", res_nonce);
    return b;
}

/* The body of a notification of @p plain, encrypted as WeChat Pay does. */
static char *make_body(const char *plain, const char *key, const char *res_nonce, const char *aad)
{
    char *cipher = NULL;
    assert_int_equal(wx_aes_gcm_encrypt(key, res_nonce, aad ? aad : "", plain, strlen(plain),
                                        &cipher, NULL), WX_OK);
    char *b = envelope(cipher, res_nonce, aad, "AEAD_AES_256_GCM");
    wx_free(cipher);
    return b;
}

static void note_headers(note *n)
{
    n->headers[0] = (wx_kv_t){"Content-Type", "application/json"};
    n->headers[1] = (wx_kv_t){"Wechatpay-Timestamp", n->ts};
    n->headers[2] = (wx_kv_t){"Wechatpay-Nonce", n->nonce};
    n->headers[3] = (wx_kv_t){"Wechatpay-Signature", n->sig};
    n->headers[4] = (wx_kv_t){"Wechatpay-Serial", n->serial};
    n->headers[5] = (wx_kv_t){NULL, NULL};
}

/* Sign @p body (taken over) as WeChat Pay signs a notification. */
static void note_sign(note *n, char *body, long long ts, const wx_privkey_t *key,
                      const char *serial)
{
    memset(n, 0, sizeof *n);
    n->body = body;
    snprintf(n->ts, sizeof n->ts, "%lld", ts);
    snprintf(n->nonce, sizeof n->nonce, "fdasfwqewlkja484w");
    snprintf(n->serial, sizeof n->serial, "%s", serial);
    size_t len = strlen(n->ts) + strlen(n->nonce) + strlen(body) + 4;
    char *msg = malloc(len);
    snprintf(msg, len, "%s\n%s\n%s\n", n->ts, n->nonce, body);
    assert_int_equal(wx_rsa_sign(key, msg, strlen(msg), &n->sig, NULL), WX_OK);
    free(msg);
    note_headers(n);
}

static void note_good(note *n)
{
    note_sign(n, make_body(RESOURCE, APIV3_KEY, "1f5EuvhVgmH6", "transaction"), WXT_NOW,
              g_platform, PLATFORM_SERIAL);
}

static void note_free(note *n)
{
    wx_free(n->sig);
    free(n->body);
}

static wx_err check(const note *n, const char *key, wx_error_t *err)
{
    wx_notification_t *out = NULL;
    wx_err rc = wx_notify_verify_with(g_ring, key, WXT_NOW, n->headers, n->body, strlen(n->body),
                                      &out, err);
    if (rc == WX_OK)
        assert_non_null(out);
    else
        assert_null(out);
    wx_notification_free(out);
    return rc;
}

/* Rejected with @p code, err->where naming @p where and the message holding @p part. */
static void expect_reject(const note *n, const char *key, wx_err code, const char *where,
                          const char *part)
{
    wx_error_t err = {0};
    wx_err rc = check(n, key, &err);
    if (rc != code || (where && strcmp(err.where, where) != 0) ||
        (part && !strstr(err.message, part)))
        fail_msg("want %s at \"%s\" (\"%s\"), got %s at \"%s\": %s", wx_err_name(code),
                 where ? where : "*", part ? part : "*", wx_err_name(rc), err.where, err.message);
}

/* ------------------------------------------------------------------ golden vectors */

static char *golden(const char *kase, const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/golden/notify/%s/%s", WX_SOURCE_DIR, kase, file);
    char *s = wxt_read_file(path, NULL);
    if (!s)
        fail_msg("missing %s", path);
    return s;
}

static void check_golden(const char *kase, const char *original_type, const char *event)
{
    char *headers_text = golden(kase, "headers"), *body = golden(kase, "body"),
         *key = golden(kase, "apiv3_key"), *ts = golden(kase, "timestamp"),
         *plain = golden(kase, "resource.json"), *sig = golden(kase, "signature"),
         *message = golden(kase, "message");
    wx_kv_t *headers = NULL;
    wx_error_t err = {0};
    assert_int_equal(wx_notify_headers_parse(headers_text, strlen(headers_text), &headers, &err),
                     WX_OK);
    wx_notification_t *n = NULL;
    wx_err rc = wx_notify_verify_with(g_ring, key, atoll(ts), headers, body, strlen(body), &n, &err);
    if (rc != WX_OK)
        fail_msg("%s: %s", kase, err.message);
    assert_string_equal(n->plaintext, plain);
    assert_int_equal(n->plaintext_len, strlen(plain));
    assert_string_equal(n->original_type, original_type);
    assert_string_equal(n->event_type, event);
    assert_string_equal(n->serial, PLATFORM_SERIAL);
    assert_string_equal(n->algorithm, "AEAD_AES_256_GCM");
    assert_string_equal(n->resource_type, "encrypt-resource");
    struct json_object *v;
    assert_true(json_object_object_get_ex(n->resource, "mchid", &v));
    assert_string_equal(json_object_get_string(v), "1900000001");
    /* The library reproduces the independent implementations byte for byte. */
    char *cipher = NULL;
    assert_int_equal(wx_aes_gcm_encrypt(key, n->nonce, n->associated_data, plain, strlen(plain),
                                        &cipher, NULL), WX_OK);
    assert_string_equal(cipher, n->ciphertext);
    char *mine = NULL;
    assert_int_equal(wx_rsa_sign(g_platform, message, strlen(message), &mine, NULL), WX_OK);
    assert_string_equal(mine, sig);
    /* the 300 s window: its last second verifies, the next does not */
    wx_notification_free(n);
    n = NULL;
    assert_int_equal(wx_notify_verify_with(g_ring, key, atoll(ts) + 300, headers, body,
                                           strlen(body), &n, NULL), WX_OK);
    wx_notification_free(n);
    assert_int_equal(wx_notify_verify_with(g_ring, key, atoll(ts) + 301, headers, body,
                                           strlen(body), &n, NULL), WX_E_VERIFY_TIME);
    wx_free(cipher);
    wx_free(mine);
    wx_free(headers);
    free(headers_text), free(body), free(key), free(ts), free(plain), free(sig), free(message);
}

static void test_golden_vectors(void **state)
{
    check_golden("transaction", "transaction", "TRANSACTION.SUCCESS");
    check_golden("refund", "refund", "REFUND.SUCCESS");
}

/* ------------------------------------------------------------------ round trips */

static void test_round_trip(void **state)
{
    note n;
    note_good(&n);
    wx_notification_t *out = NULL;
    wx_error_t err = {0};
    assert_int_equal(wx_notify_verify_with(g_ring, APIV3_KEY, WXT_NOW, n.headers, n.body,
                                           strlen(n.body), &out, &err), WX_OK);
    assert_string_equal(out->id, "EV-2018022511223320873");
    assert_string_equal(out->create_time, "2015-05-20T13:29:35+08:00");
    assert_string_equal(out->summary, "支付成功");
    assert_string_equal(out->associated_data, "transaction");
    assert_string_equal(out->nonce, "1f5EuvhVgmH6");
    assert_string_equal(out->plaintext, RESOURCE);
    struct json_object *v;
    assert_true(json_object_object_get_ex(out->resource, "attach", &v));
    assert_string_equal(json_object_get_string(v), "自定义");
    assert_true(json_object_object_get_ex(out->envelope, "resource", &v));
    assert_true(json_object_is_type(v, json_type_object));
    wx_notification_free(out);
    note_free(&n);

    /* no associated_data at all: decrypted with an empty one */
    note_sign(&n, make_body(RESOURCE, APIV3_KEY, "1f5EuvhVgmH6", NULL), WXT_NOW, g_platform,
              PLATFORM_SERIAL);
    assert_int_equal(check(&n, APIV3_KEY, NULL), WX_OK);
    note_free(&n);

    /* signed by the other configured platform key */
    note_sign(&n, make_body(RESOURCE, APIV3_KEY, "1f5EuvhVgmH6", "x"), WXT_NOW, g_other,
              OTHER_SERIAL);
    assert_int_equal(check(&n, APIV3_KEY, NULL), WX_OK);
    note_free(&n);
}

/* ------------------------------------------------------------------ tampering */

static void test_headers_missing_empty_malformed(void **state)
{
    static const char *const names[] = {"Wechatpay-Timestamp", "Wechatpay-Nonce",
                                        "Wechatpay-Signature", "Wechatpay-Serial"};
    for (int i = 0; i < 4; i++) {
        note n;
        note_good(&n);
        /* missing: move the terminator over it */
        wx_kv_t saved = n.headers[1 + i];
        for (int j = 1 + i; j < 5; j++)
            n.headers[j] = n.headers[j + 1];
        expect_reject(&n, APIV3_KEY, WX_E_VERIFY_HEADER, names[i], "missing");
        note_headers(&n);
        /* empty */
        n.headers[1 + i].value = "";
        expect_reject(&n, APIV3_KEY, WX_E_VERIFY_HEADER, names[i], "empty");
        /* given twice, the second one differing */
        note_headers(&n);
        n.headers[5] = (wx_kv_t){saved.key, "1"};
        n.headers[6] = (wx_kv_t){NULL, NULL};
        expect_reject(&n, APIV3_KEY, WX_E_VERIFY_HEADER, names[i], "more than once");
        note_free(&n);
    }
    note n;
    note_good(&n);
    n.headers[1].value = "17000000OO";
    expect_reject(&n, APIV3_KEY, WX_E_VERIFY_HEADER, "Wechatpay-Timestamp", "not a UNIX time");
    note_headers(&n);
    n.headers[2].value = "a\nb";
    expect_reject(&n, APIV3_KEY, WX_E_VERIFY_HEADER, "Wechatpay-Nonce", "malformed");
    /* a signature scheme other than RSA */
    note_headers(&n);
    n.headers[5] = (wx_kv_t){"Wechatpay-Signature-Type", "WECHATPAY2-SM2-WITH-SM3"};
    n.headers[6] = (wx_kv_t){NULL, NULL};
    expect_reject(&n, APIV3_KEY, WX_E_UNSUPPORTED, "Wechatpay-Signature-Type", "SM2");
    n.headers[5].value = "WECHATPAY2-SHA256-RSA2048";
    assert_int_equal(check(&n, APIV3_KEY, NULL), WX_OK);
    /* names are matched case-insensitively, as HTTP wants */
    note_headers(&n);
    for (int i = 1; i < 5; i++) {
        static char lower[4][32];
        snprintf(lower[i - 1], sizeof lower[i - 1], "%s", n.headers[i].key);
        for (char *p = lower[i - 1]; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        n.headers[i].key = lower[i - 1];
    }
    assert_int_equal(check(&n, APIV3_KEY, NULL), WX_OK);
    note_free(&n);
}

static void test_header_values_altered(void **state)
{
    note n;
    note_good(&n);
    char buf[64];
    /* timestamp: another second (still fresh) breaks the signature */
    snprintf(buf, sizeof buf, "%lld", (long long)WXT_NOW + 1);
    n.headers[1].value = buf;
    expect_reject(&n, APIV3_KEY, WX_E_VERIFY_SIGNATURE, "Wechatpay-Signature", "does not match");
    note_headers(&n);
    n.headers[2].value = "fdasfwqewlkja484W";
    expect_reject(&n, APIV3_KEY, WX_E_VERIFY_SIGNATURE, "Wechatpay-Signature", "does not match");
    note_headers(&n);
    char *sig = strdup(n.sig);
    sig[10] = sig[10] == 'A' ? 'B' : 'A';
    n.headers[3].value = sig;
    expect_reject(&n, APIV3_KEY, WX_E_VERIFY_SIGNATURE, "Wechatpay-Signature", NULL);
    n.headers[3].value = "not base64!";
    expect_reject(&n, APIV3_KEY, WX_E_VERIFY_SIGNATURE, "Wechatpay-Signature", NULL);
    free(sig);
    note_headers(&n);
    n.headers[4].value = "0123456789ABCDEF0123456789ABCDEF01234567";
    expect_reject(&n, APIV3_KEY, WX_E_VERIFY_SERIAL, "Wechatpay-Serial", "not configured");
    note_headers(&n);
    n.headers[4].value = OTHER_SERIAL; /* a known key that did not sign it */
    expect_reject(&n, APIV3_KEY, WX_E_VERIFY_SIGNATURE, "Wechatpay-Signature", OTHER_SERIAL);
    note_free(&n);

    /* stale and future timestamps, signed consistently */
    note_sign(&n, make_body(RESOURCE, APIV3_KEY, "1f5EuvhVgmH6", "t"), WXT_NOW - 301, g_platform,
              PLATFORM_SERIAL);
    expect_reject(&n, APIV3_KEY, WX_E_VERIFY_TIME, "Wechatpay-Timestamp", "behind");
    note_free(&n);
    note_sign(&n, make_body(RESOURCE, APIV3_KEY, "1f5EuvhVgmH6", "t"), WXT_NOW + 301, g_platform,
              PLATFORM_SERIAL);
    expect_reject(&n, APIV3_KEY, WX_E_VERIFY_TIME, "Wechatpay-Timestamp", "ahead of");
    note_free(&n);
    /* signed by a key that is not the one the serial names */
    note_sign(&n, make_body(RESOURCE, APIV3_KEY, "1f5EuvhVgmH6", "t"), WXT_NOW, g_other,
              PLATFORM_SERIAL);
    expect_reject(&n, APIV3_KEY, WX_E_VERIFY_SIGNATURE, "Wechatpay-Signature", NULL);
    note_free(&n);
}

/* Every single byte of the body, flipped, is caught by the signature; so are bytes
 * added or taken away. */
static void test_every_body_byte(void **state)
{
    note n;
    note_good(&n);
    size_t len = strlen(n.body);
    for (size_t i = 0; i < len; i++) {
        char orig = n.body[i];
        n.body[i] = (char)(orig ^ 0x01);
        wx_error_t err = {0};
        wx_notification_t *out = NULL;
        wx_err rc = wx_notify_verify_with(g_ring, APIV3_KEY, WXT_NOW, n.headers, n.body, len, &out,
                                          &err);
        if (rc != WX_E_VERIFY_SIGNATURE || strcmp(err.where, "Wechatpay-Signature") != 0)
            fail_msg("byte %zu flipped: %s %s", i, wx_err_name(rc), err.message);
        n.body[i] = orig;
    }
    wx_notification_t *out = NULL;
    assert_int_equal(wx_notify_verify_with(g_ring, APIV3_KEY, WXT_NOW, n.headers, n.body, len - 1,
                                           &out, NULL), WX_E_VERIFY_SIGNATURE);
    char *longer = malloc(len + 2);
    memcpy(longer, n.body, len);
    memcpy(longer + len, " ", 2);
    assert_int_equal(wx_notify_verify_with(g_ring, APIV3_KEY, WXT_NOW, n.headers, longer, len + 1,
                                           &out, NULL), WX_E_VERIFY_SIGNATURE);
    free(longer);
    assert_int_equal(check(&n, APIV3_KEY, NULL), WX_OK); /* intact again */
    note_free(&n);
}

/* A notification whose signature is valid but whose resource was altered before it
 * was signed (or encrypted with another key) fails at decryption, saying so. */
static void test_resource_altered(void **state)
{
    char *cipher = NULL;
    assert_int_equal(wx_aes_gcm_encrypt(APIV3_KEY, "1f5EuvhVgmH6", "transaction", RESOURCE,
                                        strlen(RESOURCE), &cipher, NULL), WX_OK);
    note n;
    /* ciphertext: one character changed */
    char *c2 = strdup(cipher);
    c2[5] = c2[5] == 'A' ? 'B' : 'A';
    note_sign(&n, envelope(c2, "1f5EuvhVgmH6", "transaction", "AEAD_AES_256_GCM"), WXT_NOW,
              g_platform, PLATFORM_SERIAL);
    expect_reject(&n, APIV3_KEY, WX_E_DECRYPT, "resource.ciphertext", "tag does not match");
    note_free(&n);
    free(c2);
    /* nonce */
    note_sign(&n, envelope(cipher, "1f5EuvhVgmH7", "transaction", "AEAD_AES_256_GCM"), WXT_NOW,
              g_platform, PLATFORM_SERIAL);
    expect_reject(&n, APIV3_KEY, WX_E_DECRYPT, "resource.ciphertext", ".nonce");
    note_free(&n);
    /* associated data changed, and left out */
    note_sign(&n, envelope(cipher, "1f5EuvhVgmH6", "refund", "AEAD_AES_256_GCM"), WXT_NOW,
              g_platform, PLATFORM_SERIAL);
    expect_reject(&n, APIV3_KEY, WX_E_DECRYPT, "resource.ciphertext", ".associated_data");
    note_free(&n);
    note_sign(&n, envelope(cipher, "1f5EuvhVgmH6", NULL, "AEAD_AES_256_GCM"), WXT_NOW, g_platform,
              PLATFORM_SERIAL);
    expect_reject(&n, APIV3_KEY, WX_E_DECRYPT, "resource.ciphertext", NULL);
    note_free(&n);
    /* another merchant's APIv3 key */
    note_good(&n);
    expect_reject(&n, "b7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb", WX_E_DECRYPT, "resource.ciphertext",
                  "another APIv3 key");
    expect_reject(&n, "short", WX_E_INVALID_ARG, "apiv3_key", NULL);
    note_free(&n);
    /* ciphertext that is not base64, or too short to hold a tag */
    note_sign(&n, envelope("@@@@", "1f5EuvhVgmH6", "t", "AEAD_AES_256_GCM"), WXT_NOW, g_platform,
              PLATFORM_SERIAL);
    expect_reject(&n, APIV3_KEY, WX_E_DECRYPT, "resource.ciphertext", "not base64");
    note_free(&n);
    note_sign(&n, envelope("QUJD", "1f5EuvhVgmH6", "t", "AEAD_AES_256_GCM"), WXT_NOW, g_platform,
              PLATFORM_SERIAL);
    expect_reject(&n, APIV3_KEY, WX_E_DECRYPT, "resource.ciphertext", "16-byte");
    note_free(&n);
    /* another algorithm */
    note_sign(&n, envelope(cipher, "1f5EuvhVgmH6", "transaction", "AEAD_SM4_GCM"), WXT_NOW,
              g_platform, PLATFORM_SERIAL);
    expect_reject(&n, APIV3_KEY, WX_E_UNSUPPORTED, "resource.algorithm", "AEAD_SM4_GCM");
    note_free(&n);
    wx_free(cipher);
    /* a resource that decrypts to something other than JSON */
    char *text = NULL;
    assert_int_equal(wx_aes_gcm_encrypt(APIV3_KEY, "1f5EuvhVgmH6", "", "not json", 8, &text,
                                        NULL), WX_OK);
    note_sign(&n, envelope(text, "1f5EuvhVgmH6", NULL, "AEAD_AES_256_GCM"), WXT_NOW, g_platform,
              PLATFORM_SERIAL);
    expect_reject(&n, APIV3_KEY, WX_E_JSON, "decrypted resource", "malformed JSON");
    note_free(&n);
    wx_free(text);
}

/* Signed bodies that are not notifications: the reason names the member. */
static void test_envelope_shape(void **state)
{
    static const struct { const char *body; wx_err code; const char *where; } cases[] = {
        {"not json", WX_E_JSON, "notification body"},
        {"[1,2]", WX_E_JSON, "notification body"},
        {"{\"id\":1}", WX_E_JSON, "id"},
        {"{\"create_time\":\"x\"}", WX_E_JSON, "id"},
        {"{\"id\":\"a\",\"create_time\":\"b\",\"event_type\":\"c\",\"resource_type\":\"d\","
         "\"summary\":\"e\"}", WX_E_JSON, "resource"},
        {"{\"id\":\"a\",\"create_time\":\"b\",\"event_type\":\"c\",\"resource_type\":\"plain\","
         "\"summary\":\"e\",\"resource\":{}}", WX_E_UNSUPPORTED, "resource_type"},
        {"{\"id\":\"a\",\"create_time\":\"b\",\"event_type\":\"c\",\"resource_type\":"
         "\"encrypt-resource\",\"summary\":\"e\",\"resource\":{\"algorithm\":\"AEAD_AES_256_GCM\","
         "\"ciphertext\":\"QUJD\",\"nonce\":\"n\"}}", WX_E_JSON, "resource.original_type"},
        {"{\"id\":\"\",\"create_time\":\"b\"}", WX_E_JSON, "id"},
        {"{\"id\":\"a\"} trailing", WX_E_JSON, "notification body"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        note n;
        note_sign(&n, strdup(cases[i].body), WXT_NOW, g_platform, PLATFORM_SERIAL);
        expect_reject(&n, APIV3_KEY, cases[i].code, cases[i].where, NULL);
        note_free(&n);
    }
}

/* ------------------------------------------------------------------ saved headers */

static void test_headers_text(void **state)
{
    const char *text = "POST /notify HTTP/1.1\r\n"
                       "Host: shop.example\r\n"
                       "Wechatpay-Nonce:   abc  \r\n"
                       "X-Folded: one\r\n"
                       "\t two\r\n"
                       "Empty:\r\n"
                       "\r\n"
                       "{\"body\":\"not read\"}";
    wx_kv_t *h = NULL;
    assert_int_equal(wx_notify_headers_parse(text, strlen(text), &h, NULL), WX_OK);
    assert_string_equal(h[0].key, "Host");
    assert_string_equal(h[0].value, "shop.example");
    assert_string_equal(h[1].key, "Wechatpay-Nonce");
    assert_string_equal(h[1].value, "abc");
    assert_string_equal(h[2].key, "X-Folded");
    assert_string_equal(h[2].value, "one two");
    assert_string_equal(h[3].key, "Empty");
    assert_string_equal(h[3].value, "");
    assert_null(h[4].key);
    wx_free(h);

    assert_int_equal(wx_notify_headers_parse("", 0, &h, NULL), WX_OK);
    assert_null(h[0].key);
    wx_free(h);
    /* an absolute-form request line, a status line */
    assert_int_equal(wx_notify_headers_parse("POST https://shop.example/n HTTP/1.1\nA: 1\n", 42,
                                             &h, NULL), WX_OK);
    assert_string_equal(h[0].key, "A");
    assert_null(h[1].key);
    wx_free(h);
    assert_int_equal(wx_notify_headers_parse("HTTP/1.1 200 OK\nA: 1\n", 21, &h, NULL), WX_OK);
    assert_string_equal(h[0].key, "A");
    wx_free(h);
    /* no final newline */
    assert_int_equal(wx_notify_headers_parse("A: 1\nB: 2", 9, &h, NULL), WX_OK);
    assert_string_equal(h[1].value, "2");
    assert_null(h[2].key);
    wx_free(h);

    static const struct { const char *text; const char *where; const char *part; } bad[] = {
        {"A: 1\nno colon here\n", "line 2", "expected \"Name: value\""},
        {"Bad Name: 1\n", "line 1", "not a header name"},
        {": value\n", "line 1", "not a header name"},
        {" folded: first\n", "line 1", "continuation"},
        {"GET / HTTP/1.1\nGET / HTTP/1.1\n", "line 2", "expected"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wx_error_t err = {0};
        h = (wx_kv_t *)1;
        assert_int_equal(wx_notify_headers_parse(bad[i].text, strlen(bad[i].text), &h, &err),
                         WX_E_VERIFY_HEADER);
        assert_null(h);
        assert_string_equal(err.where, bad[i].where);
        assert_non_null(strstr(err.message, bad[i].part));
    }
    wx_error_t err = {0};
    assert_int_equal(wx_notify_headers_parse("A: \0b\n", 6, &h, &err), WX_E_VERIFY_HEADER);
    assert_non_null(strstr(err.message, "NUL"));
    /* a bare CR inside a line (only a line's last CR ends it) */
    assert_int_equal(wx_notify_headers_parse("A: 1\r\nB: x\ry\r\n", 15, &h, &err),
                     WX_E_VERIFY_HEADER);
    assert_string_equal(err.where, "line 2");
    assert_non_null(strstr(err.message, "carriage return"));
    assert_int_equal(wx_notify_headers_parse(NULL, 3, &h, NULL), WX_E_INVALID_ARG);
}

/* ------------------------------------------------------------------ the answer */

static void test_reply(void **state)
{
    int status = 0;
    char *body = (char *)1;
    assert_int_equal(wx_notify_reply(WX_OK, NULL, &status, &body), WX_OK);
    assert_int_equal(status, 204);
    assert_null(body);

    assert_int_equal(wx_notify_reply(WX_E_VERIFY_SIGNATURE, "签名错误 \"x\"", &status, &body),
                     WX_OK);
    assert_int_equal(status, 400);
    assert_string_equal(body, "{\"code\":\"FAIL\",\"message\":\"签名错误 \\\"x\\\"\"}");
    struct json_object *j = json_tokener_parse(body);
    assert_non_null(j);
    json_object_put(j);
    wx_free(body);

    assert_int_equal(wx_notify_reply(WX_E_NOMEM, NULL, &status, &body), WX_OK);
    assert_int_equal(status, 500);
    assert_non_null(strstr(body, "\"code\":\"FAIL\""));
    assert_non_null(strstr(body, wx_strerror(WX_E_NOMEM)));
    wx_free(body);
    assert_int_equal(wx_notify_reply(WX_E_DECRYPT, NULL, NULL, &body), WX_E_INVALID_ARG);
}

/* ------------------------------------------------------------------ the client form */

/* A client on the in-memory transport with the test APIv3 key. */
static wx_client_t *notify_client(wxt_fake *fake, wx_client_options_t *o)
{
    wxt_fake_init(fake);
    *o = wxt_fake_options(fake);
    o->apiv3_key = APIV3_KEY;
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(o, &c, NULL), WX_OK);
    return c;
}

static void test_client_form(void **state)
{
    wxt_fake fake;
    wx_client_options_t o;
    wx_client_t *c = notify_client(&fake, &o);
    note n;
    note_good(&n);
    wx_notification_t *out = NULL;
    wx_error_t err = {0};
    assert_int_equal(wx_notify_verify(c, n.headers, n.body, strlen(n.body), &out, &err), WX_OK);
    assert_string_equal(out->event_type, "TRANSACTION.SUCCESS");
    wx_notification_free(out);
    /* the client's clock decides freshness */
    note_free(&n);
    note_sign(&n, make_body(RESOURCE, APIV3_KEY, "1f5EuvhVgmH6", "t"), WXT_NOW - 400, g_platform,
              PLATFORM_SERIAL);
    assert_int_equal(wx_notify_verify(c, n.headers, n.body, strlen(n.body), &out, &err),
                     WX_E_VERIFY_TIME);
    assert_null(out);
    note_free(&n);
    wx_client_free(c);

    /* no APIv3 key: nothing to decrypt with */
    o = wxt_fake_options(&fake);
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    note_good(&n);
    assert_int_equal(wx_notify_verify(c, n.headers, n.body, strlen(n.body), &out, &err),
                     WX_E_CONFIG);
    assert_string_equal(err.where, "apiv3_key");
    assert_int_equal(wx_notify_verify(NULL, n.headers, n.body, 1, &out, &err), WX_E_INVALID_ARG);
    note_free(&n);
    wx_client_free(c);
    wxt_fake_free(&fake);
}

/* The same notification delivered three times through the client and a replay guard:
 * handed back (and credited) once, then WX_E_REPLAY with nothing handed back. */
static void test_client_guarded(void **state)
{
    wxt_fake fake;
    wx_client_options_t o;
    wx_client_t *c = notify_client(&fake, &o);
    wx_notify_guard_t *g = NULL;
    assert_int_equal(wx_notify_guard_new(NULL, &g, NULL), WX_OK);
    note n;
    note_good(&n);
    int credits = 0;
    wx_err want[3] = {WX_OK, WX_E_REPLAY, WX_E_REPLAY};
    for (int i = 0; i < 3; i++) {
        wx_notification_t *out = (wx_notification_t *)1;
        wx_error_t err = {0};
        wx_err rc = wx_notify_verify_guarded(c, g, n.headers, n.body, strlen(n.body), &out, &err);
        assert_int_equal(rc, want[i]);
        if (rc == WX_OK) {
            assert_int_equal(out->timestamp, WXT_NOW);
            credits++;
            wx_notify_guard_finish(g, out->id, 1);
        } else {
            assert_null(out);
            assert_string_equal(err.where, "id");
        }
        wx_notification_free(out);
        int status = 0;
        char *body = NULL;
        assert_int_equal(wx_notify_reply(rc, NULL, &status, &body), WX_OK);
        assert_int_equal(status, 204); /* acknowledged every time */
        assert_null(body);
    }
    assert_int_equal(credits, 1);
    note_free(&n);
    /* outside the window: refused by the verifier, never remembered */
    note_sign(&n, make_body(RESOURCE, APIV3_KEY, "1f5EuvhVgmH6", "t"), WXT_NOW - 301, g_platform,
              PLATFORM_SERIAL);
    wx_notification_t *out = NULL;
    assert_int_equal(wx_notify_verify_guarded(c, g, n.headers, n.body, strlen(n.body), &out, NULL),
                     WX_E_VERIFY_TIME);
    assert_null(out);
    assert_int_equal(wx_notify_guard_count(g), 1);
    assert_int_equal(wx_notify_verify_guarded(c, NULL, n.headers, n.body, strlen(n.body), &out,
                                              NULL), WX_E_INVALID_ARG);
    note_free(&n);
    wx_notify_guard_free(g);
    wx_client_free(c);
    wxt_fake_free(&fake);
}

/* ------------------------------------------------------------------ torture */

static void test_allocation_failures(void **state)
{
    note n;
    note_good(&n);
    const char *text = "POST / HTTP/1.1\nA: 1\n  2\nB: 3\n";
    wxt_alloc_install();
    long i = 1;
    for (long stride = wxt_alloc_torture_stride();; i += stride) {
        wxt_alloc_fail_at(i);
        wx_notification_t *out = NULL;
        wx_kv_t *h = NULL;
        wx_err rc = wx_notify_verify_with(g_ring, APIV3_KEY, WXT_NOW, n.headers, n.body,
                                          strlen(n.body), &out, NULL);
        wx_err rc2 = wx_notify_headers_parse(text, strlen(text), &h, NULL);
        int failed = wxt_alloc_failed();
        if (rc == WX_OK)
            assert_non_null(out);
        else
            assert_int_equal(rc, WX_E_NOMEM);
        if (rc2 != WX_OK)
            assert_int_equal(rc2, WX_E_NOMEM);
        wx_notification_free(out);
        wx_free(h);
        if (!failed)
            break;
    }
    assert_int_equal(wxt_alloc_live(), 0);
    wxt_alloc_uninstall();
    print_message("torture: %ld allocation points exercised\n", i);
    assert_true(i > 5);
    note_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_vectors),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_headers_missing_empty_malformed),
        cmocka_unit_test(test_header_values_altered),
        cmocka_unit_test(test_every_body_byte),
        cmocka_unit_test(test_resource_altered),
        cmocka_unit_test(test_envelope_shape),
        cmocka_unit_test(test_headers_text),
        cmocka_unit_test(test_reply),
        cmocka_unit_test(test_client_form),
        cmocka_unit_test(test_client_guarded),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
