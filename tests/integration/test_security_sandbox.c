/* The security toolkit against the sandbox (`wxpay mock`) over loopback: certificate
 * download with and without configured platform keys, every fault the sandbox can
 * put on the download (installing nothing), auto refresh bootstrapping a client with
 * no platform key, the public-key signing mode; and `wxpay certs` / `wxpay notify` run
 * as a user runs them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>
#include <wechatpay/sys/crypto.h>

#include "test_cli_run.h"
#include "testutil.h"

#define SEED_BODY                                                                             \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":[{\"stock_id\":16474341," \
    "\"coupon_id\":\"11004999626\"}]}"

static wxt_mock g_mock;
static char *g_platform_pem;  /* the sandbox's platform certificate */
static char g_platform_serial[128];
static char g_apiv3_key[33];
static char *g_tmp;

static int setup(void **state)
{
    wxt_mock_start(&g_mock, NULL);
    char *path = wxt_path(g_mock.keys_dir, "platform_cert.pem");
    g_platform_pem = wxt_read_file(path, NULL);
    wx_pubkey_t *k = NULL;
    assert_int_equal(wx_pubkey_load_file(path, &k, NULL), WX_OK);
    snprintf(g_platform_serial, sizeof g_platform_serial, "%s", wx_pubkey_serial(k));
    wx_pubkey_free(k);
    free(path);
    struct json_object *conf = json_object_from_file(g_mock.config), *v;
    assert_true(json_object_object_get_ex(conf, "apiv3_key", &v));
    snprintf(g_apiv3_key, sizeof g_apiv3_key, "%s", json_object_get_string(v));
    json_object_put(conf);
    g_tmp = wxt_tmpdir("security-sandbox");
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(wxt_mock_stop(&g_mock), 0);
    free(g_platform_pem);
    free(g_tmp);
    cli_assert_no_secrets();
    return 0;
}

static wx_platform_key_t k_none[1];

/* A client of the sandbox; @p no_platform: as if CONFIG.json had "platform": {}. */
static wx_client_t *sandbox_client(const wxt_mock *m, int no_platform, int auto_refresh)
{
    wx_client_options_t o = {.base_url = m->base_url, .timeout_ms = 8000,
                             .auto_refresh_certificates = auto_refresh};
    if (no_platform) {
        o.platform = k_none; /* non-NULL with no entries: none from the file */
    }
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new_from_config(m->config, &o, &c, &err) != WX_OK)
        fail_msg("client: %s", err.message);
    return c;
}

static wx_response_t *seed(wx_client_t *c)
{
    return wx_chain(c, "v3/industry-coupon/tokens")->post(
        &(wx_request_options_t){.json_text = SEED_BODY});
}

/* ------------------------------------------------------------------ the library */

static void test_download(void **state)
{
    wx_client_t *c = sandbox_client(&g_mock, 0, 0);
    size_t before = wx_keyring_count(wx_client_keyring(c));
    wx_cert_set_t *set = NULL;
    wx_error_t err = {0};
    if (wx_certificates_refresh(c, NULL, &set, &err) != WX_OK)
        fail_msg("refresh: %s", err.message);
    assert_int_equal(wx_cert_set_count(set), 1);
    const wx_platform_cert_t *cert = wx_cert_set_at(set, 0);
    assert_string_equal(cert->serial, g_platform_serial);
    assert_string_equal(cert->pem, g_platform_pem);
    assert_int_equal(cert->state, WX_CERT_INSTALLED);
    assert_true(cert->not_before <= (int64_t)time(NULL) && (int64_t)time(NULL) < cert->not_after);
    assert_string_equal(wx_cert_set_signer(set), g_platform_serial);
    wx_cert_set_free(set);
    assert_int_equal(wx_keyring_count(wx_client_keyring(c)), before); /* the same one again */
    wx_client_free(c);
}

/* No platform key at all: the download vouches for itself through the APIv3 key. */
static void test_bootstrap(void **state)
{
    wx_client_t *c = sandbox_client(&g_mock, 1, 0);
    wx_keyring_t *ring = wx_client_keyring(c);
    assert_int_equal(wx_keyring_count(ring), 0);
    wx_response_t *r = seed(c);
    assert_int_equal(wx_response_err(r), WX_E_VERIFY_SERIAL);
    wx_response_free(r);
    wx_error_t err = {0};
    if (wx_certificates_refresh(c, NULL, NULL, &err) != WX_OK)
        fail_msg("refresh: %s", err.message);
    assert_true(wx_keyring_contains(ring, g_platform_serial));
    r = seed(c);
    assert_int_equal(wx_response_err(r), WX_OK);
    wx_response_free(r);
    wx_client_free(c);
}

/* Every fault of the sandbox on the download: the right error, nothing installed. */
static void test_faults(void **state)
{
    static const struct { const char *fault; wx_err want; wx_err want_bootstrap; } cases[] = {
        {"bad-signature", WX_E_VERIFY_SIGNATURE, WX_E_VERIFY_SIGNATURE},
        {"unknown-serial", WX_E_VERIFY_SERIAL, WX_E_VERIFY_SERIAL},
        {"stale-timestamp", WX_E_VERIFY_TIME, WX_E_VERIFY_TIME},
        {"missing-headers", WX_E_VERIFY_HEADER, WX_E_VERIFY_HEADER},
        {"http-500", WX_E_HTTP, WX_E_VERIFY_SERIAL},
        {"drop-connection", WX_E_TRANSPORT, WX_E_TRANSPORT},
        {"truncated-body", WX_E_TRANSPORT, WX_E_TRANSPORT},
    };
    for (int bootstrap = 0; bootstrap < 2; bootstrap++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            wx_client_t *c = sandbox_client(&g_mock, bootstrap, 0);
            size_t before = wx_keyring_count(wx_client_keyring(c));
            wx_kv_t h[] = {{"Wxpay-Mock-Fault", cases[i].fault}, {0}};
            wx_cert_set_t *set = NULL;
            wx_error_t err = {0};
            char *dir = wxt_path(g_tmp, "fault-out");
            wx_err rc = wx_certificates_refresh(
                c, &(wx_cert_refresh_options_t){.headers = h, .save_dir = dir}, &set, &err);
            wx_err want = bootstrap ? cases[i].want_bootstrap : cases[i].want;
            /* a dropped or cut connection may surface as a transport error or a timeout */
            int ok = rc == want || (want == WX_E_TRANSPORT && (rc == WX_E_TIMEOUT ||
                                                               rc == WX_E_CONNECT ||
                                                               rc == WX_E_OUTCOME_UNKNOWN));
            if (!ok)
                fail_msg("%s (%s): want %s, got %s: %s", cases[i].fault,
                         bootstrap ? "bootstrap" : "configured", wx_err_name(want),
                         wx_err_name(rc), err.message);
            assert_null(set);
            assert_int_equal(wx_keyring_count(wx_client_keyring(c)), before);
            char *listing = NULL;
            wxt_sh(&listing, NULL, "ls '%s' 2>/dev/null | wc -l", dir);
            assert_int_equal(atoi(listing), 0); /* nothing written either */
            free(listing);
            free(dir);
            wx_client_free(c);
        }
    }
}

/* auto_refresh_certificates: a client with no platform key verifies its first answer
 * by downloading the certificates once. */
static void test_auto_refresh(void **state)
{
    wx_client_t *c = sandbox_client(&g_mock, 1, 1);
    for (int i = 0; i < 3; i++) {
        wx_response_t *r = seed(c);
        if (wx_response_err(r) != WX_OK)
            fail_msg("%s", wx_response_error_detail(r)->message);
        wx_response_free(r);
    }
    assert_true(wx_keyring_contains(wx_client_keyring(c), g_platform_serial));
    char *log = wxt_read_file(g_mock.log, NULL);
    int downloads = 0;
    for (char *p = log; (p = strstr(p, "/v3/certificates")); p++)
        downloads++;
    free(log);
    assert_true(downloads >= 1);
    /* a forged serial stays rejected, refresh or not */
    wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")->post(&(wx_request_options_t){
        .json_text = SEED_BODY, .headers = (wx_kv_t[]){{"Wxpay-Mock-Fault", "unknown-serial"}, {0}}});
    assert_int_equal(wx_response_err(r), WX_E_VERIFY_SERIAL);
    assert_null(wx_response_body(r, NULL));
    wx_response_free(r);
    wx_client_free(c);
}

/* The sandbox signing with the WeChat Pay public key: certificates and the public key
 * side by side. */
static void test_public_key_mode(void **state)
{
    wxt_mock m;
    wxt_mock_start(&m, (const char *[]){"--sign-with", "pubkey", NULL});
    wx_client_t *c = sandbox_client(&m, 0, 0);
    wx_cert_set_t *set = NULL;
    wx_error_t err = {0};
    if (wx_certificates_refresh(c, NULL, &set, &err) != WX_OK)
        fail_msg("refresh: %s", err.message);
    assert_int_equal(strncmp(wx_cert_set_signer(set), "PUB_KEY_ID_", 11), 0);
    wx_cert_set_free(set);
    assert_true(wx_keyring_contains(wx_client_keyring(c), g_platform_serial));
    wx_response_t *r = seed(c);
    assert_int_equal(wx_response_err(r), WX_OK);
    wx_response_free(r);
    wx_client_free(c);
    /* without the public key configured the download cannot vouch for its signer */
    c = sandbox_client(&m, 1, 0);
    assert_int_equal(wx_certificates_refresh(c, NULL, NULL, &err), WX_E_VERIFY_SERIAL);
    assert_non_null(strstr(err.message, "neither the keyring nor the download"));
    wx_client_free(c);
    assert_int_equal(wxt_mock_stop(&m), 0);
}

/* ------------------------------------------------------------------ wxpay certs */

static void test_cli_certs(void **state)
{
    char *out = wxt_path(g_tmp, "certs-out");
    cli_result r = cli_run("certs", "-c", g_mock.config, "--base-url", g_mock.base_url, "--out",
                           out, NULL);
    cli_expect(&r, 0, NULL, "1 certificate written");
    char line[256];
    snprintf(line, sizeof line, "%s  ", g_platform_serial);
    assert_int_equal(strncmp(r.out, line, strlen(line)), 0);
    assert_int_equal(cli_count_lines(r.out, "  valid"), 1);
    assert_int_equal(cli_count_lines(r.out, "Z  "), 1); /* UTC times */
    cli_result_free(&r);
    char name[160];
    snprintf(name, sizeof name, "%s.pem", g_platform_serial);
    char *file = wxt_path(out, name);
    char *pem = wxt_read_file(file, NULL);
    assert_non_null(pem);
    assert_string_equal(pem, g_platform_pem);
    free(pem), free(file), free(out);

    /* a sandbox that forges every signature: exit 3, nothing on stdout, nothing saved */
    wxt_mock bad;
    wxt_mock_start(&bad, (const char *[]){"--fault", "bad-signature", NULL});
    char *none = wxt_path(g_tmp, "certs-none");
    r = cli_run("certs", "-c", bad.config, "--base-url", bad.base_url, "--out", none, NULL);
    cli_expect(&r, 3, "", "WX_E_VERIFY_SIGNATURE");
    cli_result_free(&r);
    char *listing = NULL;
    wxt_sh(&listing, NULL, "ls '%s' 2>/dev/null | wc -l", none);
    assert_int_equal(atoi(listing), 0);
    free(listing), free(none);
    assert_int_equal(wxt_mock_stop(&bad), 0);
    /* a verified HTTP error: exit 1 with the server's code */
    wxt_mock busy;
    wxt_mock_start(&busy, (const char *[]){"--fault", "http-500", NULL});
    r = cli_run("certs", "-c", busy.config, "--base-url", busy.base_url, NULL);
    cli_expect(&r, 1, "", "SYSTEM_ERROR");
    cli_result_free(&r);
    assert_int_equal(wxt_mock_stop(&busy), 0);
    /* nobody listening */
    r = cli_run("certs", "-c", g_mock.config, "--base-url", "http://127.0.0.1:1/", NULL);
    cli_expect(&r, 3, "", "no verified download");
    cli_result_free(&r);
    /* usage */
    r = cli_run("certs", "-c", g_mock.config, "extra", NULL);
    cli_expect_usage_error(&r, "unexpected argument");
    cli_result_free(&r);
    r = cli_run("certs", "--nope", NULL);
    cli_expect_usage_error(&r, "--nope");
    cli_result_free(&r);
    r = cli_run("certs", "-c", "/nonexistent/CONFIG.json", NULL);
    cli_expect(&r, 2, "", "/nonexistent/CONFIG.json");
    cli_result_free(&r);
    r = cli_run("certs", "--help", NULL);
    cli_expect(&r, 0, NULL, NULL);
    assert_non_null(strstr(r.out, "usage: wxpay certs"));
    assert_non_null(strstr(r.out, "examples:"));
    cli_result_free(&r);
}

/* ------------------------------------------------------------------ wxpay notify */

static char *golden(const char *kase, const char *file)
{
    static char path[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(path[i], sizeof path[i], "%s/tests/golden/notify/%s/%s", WX_SOURCE_DIR, kase, file);
    return path[i];
}

/* A CONFIG.json for the golden keys and the golden vectors' APIv3 key. */
static char *golden_config(void)
{
    char *path = wxt_path(g_tmp, "golden-CONFIG.json");
    char text[2048];
    snprintf(text, sizeof text,
             "{\"mchid\":\"1900000001\",\"serial\":\"3C9A2F1B7E5D4C3B2A1908F7E6D5C4B3A2918070\","
             "\"private_key\":\"%s/tests/golden/keys/merchant_key.pem\",\"platform\":"
             "{\"5157F09EFDC096DE15EBE81A47057A7232F1B8E1\":"
             "\"%s/tests/golden/keys/platform_cert.pem\"},"
             "\"apiv3_key\":\"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb\"}",
             WX_SOURCE_DIR, WX_SOURCE_DIR);
    wxt_write_file(path, text, strlen(text));
    return path;
}

static void test_cli_notify_golden(void **state)
{
    char *config = golden_config();
    cli_result r = cli_run("notify", "-c", config, "--now", "1700000000", "--headers",
                           golden("transaction", "headers"), golden("transaction", "body"), NULL);
    cli_expect(&r, 0, NULL, "");
    struct json_object *out = json_tokener_parse(r.out), *res, *v;
    assert_non_null(out);
    assert_true(json_object_object_get_ex(out, "resource", &res));
    assert_true(json_object_object_get_ex(res, "attach", &v));
    assert_string_equal(json_object_get_string(v), "自定义数据");
    assert_true(json_object_object_get_ex(out, "event_type", &v));
    assert_string_equal(json_object_get_string(v), "TRANSACTION.SUCCESS");
    assert_false(json_object_object_get_ex(res, "ciphertext", &v));
    json_object_put(out);
    cli_result_free(&r);

    /* the body on standard input, the refund case */
    char *body = wxt_read_file(golden("refund", "body"), NULL);
    r = cli_run_in(body, "notify", "-c", config, "--now", "1700000123", "--headers",
                   golden("refund", "headers"), "-", NULL);
    cli_expect(&r, 0, NULL, "");
    assert_non_null(strstr(r.out, "招商银行信用卡0403"));
    cli_result_free(&r);

    /* stale: judged against the real clock */
    r = cli_run("notify", "-c", config, "--headers", golden("transaction", "headers"),
                golden("transaction", "body"), NULL);
    cli_expect(&r, 3, "", "WX_E_VERIFY_TIME");
    cli_result_free(&r);

    /* one byte of the body changed */
    char *tampered = strdup(body);
    char *p = strstr(tampered, "REFUND.SUCCESS");
    p[0] = 'X';
    r = cli_run_in(tampered, "notify", "-c", config, "--now", "1700000123", "--headers",
                   golden("refund", "headers"), NULL);
    cli_expect(&r, 3, "", "Wechatpay-Signature does not match");
    cli_result_free(&r);
    free(tampered);

    /* a header left out; a header file that is not headers */
    char *h = wxt_read_file(golden("refund", "headers"), NULL);
    char *cut = strstr(h, "wechatpay-nonce:");
    *strchr(cut, '\n') = 0;
    memmove(cut, cut + strlen(cut) + 1, strlen(cut + strlen(cut) + 1) + 1);
    char *hpath = wxt_path(g_tmp, "cut.headers");
    wxt_write_file(hpath, h, strlen(h));
    r = cli_run_in(body, "notify", "-c", config, "--now", "1700000123", "--headers", hpath, NULL);
    cli_expect(&r, 3, "", "Wechatpay-Nonce is missing");
    cli_result_free(&r);
    wxt_write_file(hpath, "this is not a header\n", 21);
    r = cli_run_in(body, "notify", "-c", config, "--now", "1700000123", "--headers", hpath, NULL);
    cli_expect(&r, 2, "", "line 1: expected \"Name: value\", got \"this is not a header\"\n");
    cli_result_free(&r);

    /* usage and unreadable input */
    r = cli_run_in(body, "notify", "-c", config, NULL);
    cli_expect_usage_error(&r, "--headers");
    cli_result_free(&r);
    r = cli_run_in(body, "notify", "-c", config, "--headers", "-", NULL);
    cli_expect_usage_error(&r, "both");
    cli_result_free(&r);
    r = cli_run("notify", "-c", config, "--now", "soon", "--headers", hpath, "x", NULL);
    cli_expect_usage_error(&r, "--now");
    cli_result_free(&r);
    r = cli_run("notify", "-c", config, "--headers", "/nonexistent/h", "x", NULL);
    cli_expect(&r, 2, "", "/nonexistent/h");
    cli_result_free(&r);
    r = cli_run("notify", "-c", config, "--headers", golden("refund", "headers"), "a", "b", NULL);
    cli_expect_usage_error(&r, "unexpected argument");
    cli_result_free(&r);
    r = cli_run("notify", "--help", NULL);
    cli_expect(&r, 0, NULL, NULL);
    assert_non_null(strstr(r.out, "usage: wxpay notify"));
    assert_non_null(strstr(r.out, "examples:"));
    cli_result_free(&r);
    free(hpath), free(h), free(body), free(config);
}

/* A notification made now with the sandbox's platform key and APIv3 key, checked with
 * the sandbox's CONFIG.json and the real clock; then with the wrong APIv3 key. */
static void test_cli_notify_sandbox_keys(void **state)
{
    char *keyfile = wxt_path(g_mock.keys_dir, "platform_key.pem");
    wx_privkey_t *key = NULL;
    assert_int_equal(wx_privkey_load_file(keyfile, NULL, &key, NULL), WX_OK);
    free(keyfile);
    const char *plain = "{\"out_trade_no\":\"T1\",\"trade_state\":\"SUCCESS\"}";
    for (int wrong = 0; wrong < 2; wrong++) {
        char apiv3[33];
        snprintf(apiv3, sizeof apiv3, "%s", g_apiv3_key);
        if (wrong)
            apiv3[0] = apiv3[0] == 'A' ? 'B' : 'A';
        char *cipher = NULL;
        assert_int_equal(wx_aes_gcm_encrypt(apiv3, "0123456789ab", "transaction", plain,
                                            strlen(plain), &cipher, NULL), WX_OK);
        char body[2048], msg[4096], ts[32], headers[2048];
        snprintf(body, sizeof body,
                 "{\"id\":\"EV-9\",\"create_time\":\"2026-01-01T00:00:00+08:00\",\"resource_type\":"
                 "\"encrypt-resource\",\"event_type\":\"TRANSACTION.SUCCESS\",\"summary\":\"ok\","
                 "\"resource\":{\"original_type\":\"transaction\",\"algorithm\":"
                 "\"AEAD_AES_256_GCM\",\"ciphertext\":\"%s\",\"associated_data\":\"transaction\","
                 "\"nonce\":\"0123456789ab\"}}", cipher);
        snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
        snprintf(msg, sizeof msg, "%s\nNONCE42\n%s\n", ts, body);
        char *sig = NULL;
        assert_int_equal(wx_rsa_sign(key, msg, strlen(msg), &sig, NULL), WX_OK);
        snprintf(headers, sizeof headers,
                 "Wechatpay-Timestamp: %s\nWechatpay-Nonce: NONCE42\nWechatpay-Signature: %s\n"
                 "Wechatpay-Serial: %s\n", ts, sig, g_platform_serial);
        char *hpath = wxt_path(g_tmp, "sandbox.headers");
        wxt_write_file(hpath, headers, strlen(headers));
        cli_result r = cli_run_in(body, "notify", "-c", g_mock.config, "--headers", hpath, NULL);
        if (wrong) {
            cli_expect(&r, 3, "", "WX_E_DECRYPT");
        } else {
            cli_expect(&r, 0, NULL, "");
            assert_non_null(strstr(r.out, "\"resource\":{\"out_trade_no\":\"T1\""));
        }
        cli_result_free(&r);
        free(hpath);
        wx_free(sig);
        wx_free(cipher);
    }
    wx_privkey_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_download),
        cmocka_unit_test(test_bootstrap),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_auto_refresh),
        cmocka_unit_test(test_public_key_mode),
        cmocka_unit_test(test_cli_certs),
        cmocka_unit_test(test_cli_notify_golden),
        cmocka_unit_test(test_cli_notify_sandbox_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
