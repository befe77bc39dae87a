/* Pay-sign: the openssl-made golden vectors reproduced byte for byte (with a key, and
 * through a client's injected clock and nonce), signatures checked with
 * `openssl dgst -verify`, refused inputs, and failing allocations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

#include "alloc_counter.h"
#include "fake_server.h"
#include "testutil.h"

static wx_privkey_t *g_key;

static int setup(void **state)
{
    const char *pem = wxt_golden("merchant_key.pem");
    assert_int_equal(wx_privkey_load(pem, strlen(pem), NULL, &g_key, NULL), WX_OK);
    return 0;
}

static int teardown(void **state)
{
    wx_privkey_free(g_key);
    return 0;
}

static char *golden(const char *kase, const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/golden/paysign/%s/%s", WX_SOURCE_DIR, kase, file);
    char *s = wxt_read_file(path, NULL);
    if (!s)
        fail_msg("missing %s", path);
    return s;
}

static char *golden_opt(const char *kase, const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/golden/paysign/%s/%s", WX_SOURCE_DIR, kase, file);
    return wxt_read_file(path, NULL);
}

typedef struct fixed {
    int64_t now;
    const char *nonce;
} fixed;

static int64_t fixed_clock(void *ud) { return ((fixed *)ud)->now; }

static wx_err fixed_nonce(void *ud, char out[64])
{
    snprintf(out, 64, "%s", ((fixed *)ud)->nonce);
    return WX_OK;
}

static void check_golden(const char *kase)
{
    char *kind = golden(kase, "kind"), *appid = golden(kase, "appid"),
         *ts = golden(kase, "timestamp"), *nonce = golden(kase, "nonce"),
         *prepay = golden(kase, "prepay_id"), *json = golden(kase, "json"),
         *partner = golden_opt(kase, "partnerid");
    wx_paysign_options_t o = {.kind = strcmp(kind, "app") ? WX_PAYSIGN_JSAPI : WX_PAYSIGN_APP,
                              .appid = appid, .prepay_id = prepay, .partnerid = partner,
                              .timestamp = atoll(ts), .nonce = nonce};
    char *out = NULL;
    wx_error_t err = {0};
    if (wx_paysign_with(g_key, &o, &out, &err) != WX_OK)
        fail_msg("%s: %s", kase, err.message);
    assert_string_equal(out, json);
    wx_free(out);

    /* the client form takes time and nonce from the client's injected sources, and
     * the merchant id as partnerid */
    wxt_fake fake;
    wxt_fake_init(&fake);
    fixed f = {atoll(ts), nonce};
    wx_client_options_t co = wxt_fake_options(&fake);
    co.clock = fixed_clock;
    co.clock_ud = &f;
    co.nonce = fixed_nonce;
    co.nonce_ud = &f;
    if (partner)
        co.mchid = partner;
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&co, &c, NULL), WX_OK);
    wx_paysign_options_t oc = {.kind = o.kind, .appid = appid, .prepay_id = prepay};
    assert_int_equal(wx_paysign(c, &oc, &out, &err), WX_OK);
    assert_string_equal(out, json);
    wx_free(out);
    wx_client_free(c);
    wxt_fake_free(&fake);
    free(kind), free(appid), free(ts), free(nonce), free(prepay), free(json), free(partner);
}

static void test_golden_vectors(void **state)
{
    check_golden("jsapi");
    check_golden("miniprogram");
    check_golden("app");
}

/* A fresh signature (random nonce, real clock) checked by `openssl dgst -verify` over
 * the lines the cashier checks. */
static void test_openssl_verifies(void **state)
{
    wxt_fake fake;
    wxt_fake_init(&fake);
    wx_client_options_t co = wxt_fake_options(&fake);
    co.clock = NULL; /* the real clock and the default nonce source */
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&co, &c, NULL), WX_OK);
    char *dir = wxt_tmpdir("paysign-openssl");
    for (int kind = 0; kind < 2; kind++) {
        wx_paysign_options_t o = {.kind = (wx_paysign_kind)kind, .appid = "wxd678efh567hg6787",
                                  .prepay_id = "wx17144813292497b3f1a5d4b1c0dc270000"};
        char *out = NULL;
        assert_int_equal(wx_paysign(c, &o, &out, NULL), WX_OK);
        struct json_object *j = json_tokener_parse(out), *v;
        assert_non_null(j);
        const char *k_ts = kind ? "timestamp" : "timeStamp", *k_nonce = kind ? "noncestr" : "nonceStr",
                   *k_sig = kind ? "sign" : "paySign";
        char msg[512];
        const char *ts = json_object_get_string(json_object_object_get(j, k_ts));
        const char *nonce = json_object_get_string(json_object_object_get(j, k_nonce));
        assert_int_equal(strlen(nonce), 32);
        assert_true(llabs(atoll(ts) - (long long)time(NULL)) < 60);
        if (kind) {
            snprintf(msg, sizeof msg, "%s\n%s\n%s\n%s\n", o.appid, ts, nonce, o.prepay_id);
            assert_true(json_object_object_get_ex(j, "partnerid", &v));
            assert_string_equal(json_object_get_string(v), "1900000001");
            assert_string_equal(json_object_get_string(json_object_object_get(j, "package")),
                                "Sign=WXPay");
        } else {
            snprintf(msg, sizeof msg, "%s\n%s\n%s\nprepay_id=%s\n", o.appid, ts, nonce,
                     o.prepay_id);
            assert_string_equal(json_object_get_string(json_object_object_get(j, "signType")),
                                "RSA");
        }
        char *m = wxt_path(dir, "message"), *s = wxt_path(dir, "sig.b64");
        wxt_write_file(m, msg, strlen(msg));
        const char *sig = json_object_get_string(json_object_object_get(j, k_sig));
        wxt_write_file(s, sig, strlen(sig));
        char *errs = NULL;
        int rc = wxt_sh(NULL, &errs,
                        "%s x509 -in '%s/tests/golden/keys/merchant_cert.pem' -pubkey -noout > "
                        "'%s/pub.pem' && base64 -d '%s' > '%s/sig.bin' && %s dgst -sha256 -verify "
                        "'%s/pub.pem' -signature '%s/sig.bin' '%s'",
                        OPENSSL_CLI, WX_SOURCE_DIR, dir, s, dir, OPENSSL_CLI, dir, dir, m);
        if (rc != 0)
            fail_msg("openssl dgst -verify: %s", errs);
        free(errs), free(m), free(s);
        json_object_put(j);
        wx_free(out);
    }
    free(dir);
    wx_client_free(c);
    wxt_fake_free(&fake);
}

static void test_refused(void **state)
{
    static const struct { wx_paysign_options_t o; const char *where; } cases[] = {
        {{.appid = NULL, .prepay_id = "p", .timestamp = 1, .nonce = "n"}, "appid"},
        {{.appid = "a", .prepay_id = "", .timestamp = 1, .nonce = "n"}, "prepay_id"},
        {{.appid = "a\nb", .prepay_id = "p", .timestamp = 1, .nonce = "n"}, "appid"},
        {{.appid = "a", .prepay_id = "p\r", .timestamp = 1, .nonce = "n"}, "prepay_id"},
        {{.appid = "a", .prepay_id = "p", .timestamp = 0, .nonce = "n"}, "timestamp"},
        {{.appid = "a", .prepay_id = "p", .timestamp = 1, .nonce = NULL}, "nonce"},
        {{.kind = WX_PAYSIGN_APP, .appid = "a", .prepay_id = "p", .timestamp = 1, .nonce = "n"},
         "partnerid"},
        {{.kind = (wx_paysign_kind)7, .appid = "a", .prepay_id = "p", .timestamp = 1,
          .nonce = "n"}, "kind"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = (char *)1;
        wx_error_t err = {0};
        assert_int_equal(wx_paysign_with(g_key, &cases[i].o, &out, &err), WX_E_INVALID_ARG);
        assert_null(out);
        assert_string_equal(err.where, cases[i].where);
    }
    char *out = NULL;
    assert_int_equal(wx_paysign_with(NULL, &cases[0].o, &out, NULL), WX_E_INVALID_ARG);
    assert_int_equal(wx_paysign(NULL, &cases[0].o, &out, NULL), WX_E_INVALID_ARG);
    /* a client with a custom signer holds no merchant key */
    wxt_fake fake;
    wxt_fake_init(&fake);
    wx_client_options_t co = wxt_fake_options(&fake);
    wx_privkey_t *k = NULL;
    const char *pem = wxt_golden("merchant_key.pem");
    assert_int_equal(wx_privkey_load(pem, strlen(pem), NULL, &k, NULL), WX_OK);
    co.signer = wx_signer_apiv3("1900000001", "3C9A", k);
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&co, &c, NULL), WX_OK);
    wx_error_t err = {0};
    assert_int_equal(wx_paysign(c, &(wx_paysign_options_t){.appid = "a", .prepay_id = "p"}, &out,
                                &err), WX_E_CONFIG);
    wx_client_free(c);
    wx_privkey_free(k);
    wxt_fake_free(&fake);
}

static void test_allocation_failures(void **state)
{
    wx_paysign_options_t o = {.kind = WX_PAYSIGN_JSAPI, .appid = "wx1", .prepay_id = "wx2",
                              .timestamp = 1700000000, .nonce = "N"};
    wxt_alloc_install();
    long n = 1;
    for (long stride = wxt_alloc_torture_stride();; n += stride) {
        wxt_alloc_fail_at(n);
        char *out = NULL;
        wx_err rc = wx_paysign_with(g_key, &o, &out, NULL);
        int failed = wxt_alloc_failed();
        if (rc == WX_OK)
            assert_non_null(out);
        else
            assert_int_equal(rc, WX_E_NOMEM);
        wx_free(out);
        if (!failed)
            break;
    }
    assert_int_equal(wxt_alloc_live(), 0);
    wxt_alloc_uninstall();
    print_message("torture: %ld allocation points exercised\n", n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_vectors),
        cmocka_unit_test(test_openssl_verifies),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
