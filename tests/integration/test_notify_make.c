/* `wxpay notify make` writes a notification that `wxpay notify` and the library accept,
 * signed with the platform certificate's key or the public key, and nothing else does:
 * an altered body, an old one, another APIv3 key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

#include "testutil.h"

#define RESOURCE "{\"out_trade_no\":\"unit_order_1\",\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":1}}"

static char *g_dir;

static int make(const char *event, const char *sign_with, const char *resource, char **err)
{
    char *h = wxt_path(g_dir, "n.headers"), *b = wxt_path(g_dir, "n.body");
    const char *argv[32] = {WXPAY_BIN, "notify", "make", "--keys", wxt_keys_dir(), "--event", event,
                            "--resource", resource, "--headers-out", h, "--body-out", b};
    int n = 13;
    if (sign_with) {
        argv[n++] = "--sign-with";
        argv[n++] = sign_with;
    }
    argv[n] = NULL;
    int rc = wxt_run((char *const *)argv, NULL, 0, NULL, err);
    free(h);
    free(b);
    return rc;
}

static int verify(const char *now, char **out, char **err)
{
    char *h = wxt_path(g_dir, "n.headers"), *b = wxt_path(g_dir, "n.body");
    char *cfg = wxt_path(wxt_keys_dir(), "CONFIG.json");
    const char *argv[] = {WXPAY_BIN, "notify", "-c", cfg, "--headers", h, "--now",
                          now ? now : "0", b, NULL};
    if (!now) {
        argv[6] = b;
        argv[7] = NULL;
    }
    int rc = wxt_run((char *const *)argv, NULL, 0, out, err);
    free(h);
    free(b);
    free(cfg);
    return rc;
}

static void round_trip(const char *sign_with)
{
    char *out = NULL, *err = NULL;
    assert_int_equal(make("REFUND.SUCCESS", sign_with, RESOURCE, &err), 0);
    free(err);
    err = NULL;
    int rc = verify(NULL, &out, &err);
    if (rc != 0)
        fail_msg("wxpay notify exited %d: %s", rc, err);
    struct json_object *o = json_tokener_parse(out), *v;
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "event_type", &v));
    assert_string_equal(json_object_get_string(v), "REFUND.SUCCESS");
    assert_true(json_object_object_get_ex(o, "summary", &v));
    assert_string_equal(json_object_get_string(v), "退款成功");
    assert_true(json_object_object_get_ex(o, "resource", &v));
    struct json_object *otn;
    assert_true(json_object_object_get_ex(v, "out_trade_no", &otn));
    assert_string_equal(json_object_get_string(otn), "unit_order_1");
    json_object_put(o);
    free(out);
    free(err);

    /* the library reads the same files */
    char *hp = wxt_path(g_dir, "n.headers"), *bp = wxt_path(g_dir, "n.body");
    char *cfg = wxt_path(wxt_keys_dir(), "CONFIG.json");
    size_t hl = 0, bl = 0;
    char *ht = wxt_read_file(hp, &hl), *bt = wxt_read_file(bp, &bl);
    wx_kv_t *headers = NULL;
    wx_client_t *c = NULL;
    wx_notification_t *n = NULL;
    wx_error_t e = {0};
    assert_int_equal(wx_notify_headers_parse(ht, hl, &headers, &e), WX_OK);
    assert_int_equal(wx_client_new_from_config(cfg, NULL, &c, &e), WX_OK);
    assert_int_equal(wx_notify_verify(c, headers, bt, bl, &n, &e), WX_OK);
    assert_string_equal(n->original_type, "refund");
    assert_string_equal(n->associated_data, "refund");
    if (sign_with && !strcmp(sign_with, "pubkey"))
        assert_true(!strncmp(n->serial, "PUB_KEY_ID_", 11));
    wx_notification_free(n);
    /* one byte changed: not verified */
    bt[bl / 2] = bt[bl / 2] == 'a' ? 'b' : 'a';
    assert_int_equal(wx_notify_verify(c, headers, bt, bl, &n, &e), WX_E_VERIFY_SIGNATURE);
    wx_client_free(c);
    wx_free(headers);
    free(ht), free(bt), free(hp), free(bp), free(cfg);
}

static void test_round_trip_cert(void **state)
{
    (void)state;
    round_trip(NULL);
}

static void test_round_trip_pubkey(void **state)
{
    (void)state;
    round_trip("pubkey");
}

static void test_tampered_and_stale(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    assert_int_equal(make("TRANSACTION.SUCCESS", NULL, RESOURCE, NULL), 0);
    /* judged an hour later: too old */
    char later[32];
    snprintf(later, sizeof later, "%lld", (long long)time(NULL) + 3600);
    assert_int_equal(verify(later, &out, &err), 3);
    assert_string_equal(out, "");
    free(out), free(err);
    char *b = wxt_path(g_dir, "n.body");
    size_t len = 0;
    char *body = wxt_read_file(b, &len);
    char *p = strstr(body, "TRANSACTION.SUCCESS");
    p[0] = 'X';
    wxt_write_file(b, body, len);
    assert_int_equal(verify(NULL, &out, &err), 3);
    assert_string_equal(out, "");
    free(out), free(err), free(body), free(b);
}

static void test_usage_errors(void **state)
{
    (void)state;
    char *err = NULL;
    assert_int_equal(make("TRANSACTION.SUCCESS", NULL, "[1,2]", &err), 2);
    assert_non_null(strstr(err, "--resource must be a JSON object"));
    free(err);
    assert_int_equal(make("TRANSACTION.SUCCESS", NULL, "{\"a\":", &err), 2);
    assert_non_null(strstr(err, "malformed JSON"));
    free(err);
    assert_int_equal(make("TRANSACTION.SUCCESS", "rsa", RESOURCE, &err), 2);
    assert_non_null(strstr(err, "--sign-with"));
    free(err);
    const char *argv[] = {WXPAY_BIN, "notify", "make", "--keys", wxt_keys_dir(), "--event",
                          "TRANSACTION.SUCCESS", NULL};
    assert_int_equal(wxt_run((char *const *)argv, NULL, 0, NULL, &err), 2);
    assert_non_null(strstr(err, "missing --resource"));
    free(err);
    const char *nokeys[] = {WXPAY_BIN, "notify", "make", "--keys", "/nonexistent-keys", "--event",
                            "A.B", "--resource", "{}", "--headers-out", "h", "--body-out", "b",
                            NULL};
    assert_int_equal(wxt_run((char *const *)nokeys, NULL, 0, NULL, &err), 2);
    assert_non_null(strstr(err, "/nonexistent-keys"));
    free(err);
}

static int setup(void **state)
{
    (void)state;
    g_dir = wxt_tmpdir("notify-make");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(g_dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_cert),
        cmocka_unit_test(test_round_trip_pubkey),
        cmocka_unit_test(test_tampered_and_stale),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
