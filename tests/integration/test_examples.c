/* The examples, run as a user would against the sandbox: each exits 0 and prints what
 * its README snippet promises. handle_notification gets a callback built here the way
 * WeChat Pay builds one (resource encrypted with the APIv3 key, signed with the
 * sandbox's platform key), and a tampered copy of it. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wechatpay/wechatpay.h>
#include <wechatpay/sys/crypto.h>

#include "testutil.h"

static wxt_mock g_mock;

static int setup(void **state)
{
    wxt_mock_start(&g_mock, (const char *const[]){"--quiet", NULL});
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(wxt_mock_stop(&g_mock), 0);
    return 0;
}

/* example CONFIG ARG2 [ARG3]; ARG2 defaults to the sandbox's base URL. */
static char *run(const char *example, const char *arg2, const char *arg3, int want_rc)
{
    char path[512];
    snprintf(path, sizeof path, "%s/examples/%s", WX_BINARY_DIR, example);
    char *argv[] = {path, g_mock.config, (char *)(arg2 ? arg2 : g_mock.base_url), (char *)arg3, NULL};
    char *out = NULL, *err = NULL;
    int rc = wxt_run(argv, NULL, 0, &out, &err);
    if (rc != want_rc)
        fail_msg("%s exited %d (want %d): %s %s", example, rc, want_rc, out, err);
    free(err);
    return out;
}

/* handle_notification with one delivery given three times. */
static char *run3(const char *example, const char *headers, const char *body)
{
    char path[512];
    snprintf(path, sizeof path, "%s/examples/%s", WX_BINARY_DIR, example);
    char *argv[] = {path, g_mock.config, (char *)headers, (char *)body, (char *)headers,
                    (char *)body, (char *)headers, (char *)body, NULL};
    char *out = NULL, *err = NULL;
    int rc = wxt_run(argv, NULL, 0, &out, &err);
    if (rc != 0)
        fail_msg("%s exited %d: %s %s", example, rc, out, err);
    free(err);
    return out;
}

static void test_seed_styles(void **state)
{
    char *out = run("industry_coupon_tokens", NULL, NULL, 0);
    assert_non_null(strstr(out, "6 of 6 styles verified"));
    assert_non_null(strstr(out, "=== async, pure chain ==="));
    assert_non_null(strstr(out, "signature=\""));
    free(out);
}

/* An order made and paid on the sandbox (wxpay, then the control API): its
 * transaction_id, malloc'd. */
static char *paid_order(const char *out_trade_no)
{
    char *out = NULL, *err = NULL;
    int rc = wxt_sh(&out, &err,
                    "'%s' -c '%s' --base-url '%s' --json '{\"appid\":\"wxd678efh567hg6787\","
                    "\"mchid\":\"1900000001\",\"description\":\"example\",\"out_trade_no\":"
                    "\"%s\",\"notify_url\":\"https://127.0.0.1:9/notify\",\"amount\":{\"total\":"
                    "1}}' POST v3/pay/transactions/native && curl -s -X POST -d "
                    "'{\"out_trade_no\":\"%s\"}' %smock/pay",
                    WXPAY_BIN, g_mock.config, g_mock.base_url, out_trade_no, out_trade_no,
                    g_mock.base_url);
    if (rc != 0)
        fail_msg("making a paid order: %s %s", out, err);
    const char *id = strstr(out, "\"transaction_id\":\"");
    assert_non_null(id);
    char *txn = strndup(id + 18, 28);
    free(out);
    free(err);
    return txn;
}

static void test_query_and_download(void **state)
{
    char *txn = paid_order("example_query_1");
    char *out = run("query_transaction", NULL, txn, 0);
    assert_non_null(strstr(out, "trade_state: SUCCESS"));
    free(out);
    free(txn);
    char *dir = wxt_tmpdir("examples"), *bill = wxt_path(dir, "bill.csv");
    char path[512];
    snprintf(path, sizeof path, "%s/examples/download_bill", WX_BINARY_DIR);
    char *argv[] = {path, g_mock.config, g_mock.base_url, "2019-06-11", bill, NULL};
    char *err = NULL;
    assert_int_equal(wxt_run(argv, NULL, 0, &out, &err), 0);
    assert_non_null(strstr(out, "SHA1 verified"));
    free(out), free(err), free(bill), free(dir);
}

/* A notification as WeChat Pay sends one, from the sandbox's keys. */
static void make_notification(const char *dir, int tamper, char **headers_path, char **body_path)
{
    char *cfg_text = wxt_read_file(g_mock.config, NULL);
    struct json_object *cfg = json_tokener_parse(cfg_text), *v, *platform;
    assert_true(json_object_object_get_ex(cfg, "apiv3_key", &v));
    const char *apiv3 = json_object_get_string(v);
    assert_true(json_object_object_get_ex(cfg, "platform", &platform));
    const char *serial = NULL;
    json_object_object_foreach(platform, id, file)
    {
        if (strncmp(id, "PUB_KEY_ID_", 11) != 0)
            serial = id;
        (void)file;
    }
    const char *resource = "{\"mchid\":\"1900000001\",\"out_trade_no\":\"1217752501201407033233368018\","
                           "\"transaction_id\":\"4200000001\",\"trade_state\":\"SUCCESS\","
                           "\"amount\":{\"total\":100,\"currency\":\"CNY\"}}";
    char *cipher = NULL;
    assert_int_equal(wx_aes_gcm_encrypt(apiv3, "fdasflkja484w", "transaction", resource,
                                        strlen(resource), &cipher, NULL), WX_OK);
    char body[4096];
    snprintf(body, sizeof body,
             "{\"id\":\"EV-2018022511223320873\",\"create_time\":\"2015-05-20T13:29:35+08:00\","
             "\"resource_type\":\"encrypt-resource\",\"event_type\":\"TRANSACTION.SUCCESS\","
             "\"summary\":\"支付成功\",\"resource\":{\"original_type\":\"transaction\","
             "\"algorithm\":\"AEAD_AES_256_GCM\",\"ciphertext\":\"%s\",\"associated_data\":"
             "\"transaction\",\"nonce\":\"fdasflkja484w\"}}",
             cipher);
    char ts[32], msg[8192];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    snprintf(msg, sizeof msg, "%s\nfdasfwf8ca\n%s\n", ts, body);
    char *key_path = wxt_path(g_mock.keys_dir, "platform_key.pem");
    wx_privkey_t *key = NULL;
    assert_int_equal(wx_privkey_load_file(key_path, NULL, &key, NULL), WX_OK);
    char *sig = NULL;
    assert_int_equal(wx_rsa_sign(key, msg, strlen(msg), &sig, NULL), WX_OK);
    if (tamper)
        body[strlen(body) - 3] ^= 1; /* inside the nonce */
    char headers[2048];
    snprintf(headers, sizeof headers,
             "Wechatpay-Timestamp: %s\nWechatpay-Nonce: fdasfwf8ca\nWechatpay-Signature: %s\n"
             "Wechatpay-Serial: %s\nContent-Type: application/json\n",
             ts, sig, serial);
    *headers_path = wxt_path(dir, tamper ? "headers.bad" : "headers");
    *body_path = wxt_path(dir, tamper ? "body.bad" : "body");
    wxt_write_file(*headers_path, headers, strlen(headers));
    wxt_write_file(*body_path, body, strlen(body));
    wx_free(sig), wx_free(cipher), wx_privkey_free(key), free(key_path);
    json_object_put(cfg);
    free(cfg_text);
}

static void test_notification_handler(void **state)
{
    char *dir = wxt_tmpdir("examples-notify"), *h, *b;
    make_notification(dir, 0, &h, &b);
    char *out = run("handle_notification", h, b, 0);
    assert_non_null(strstr(out, "TRANSACTION.SUCCESS (支付成功) credited"));
    assert_non_null(strstr(out, "\"trade_state\":\"SUCCESS\""));
    assert_non_null(strstr(out, "answer: HTTP 204"));
    free(out);
    /* delivered three times: credited once, each repeat acknowledged (issue 16) */
    out = run3("handle_notification", h, b);
    const char *first = strstr(out, "credited");
    assert_non_null(first);
    assert_null(strstr(first + 1, "credited:"));
    const char *r1 = strstr(out, "already handled");
    assert_non_null(r1);
    assert_non_null(strstr(r1 + 1, "already handled"));
    int answers = 0;
    for (const char *p = out; (p = strstr(p, "answer: HTTP 204")); p++)
        answers++;
    assert_int_equal(answers, 3);
    free(out), free(h), free(b);
    make_notification(dir, 1, &h, &b);
    out = run("handle_notification", h, b, 3);
    assert_non_null(strstr(out, "\"code\":\"FAIL\""));
    assert_null(strstr(out, "trade_state"));
    free(out), free(h), free(b), free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_styles),
        cmocka_unit_test(test_query_and_download),
        cmocka_unit_test(test_notification_handler),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
