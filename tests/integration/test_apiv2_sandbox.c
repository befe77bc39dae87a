/* APIv2 against the sandbox (`wxpay mock`), through the library: the till flow in every
 * chain form, sync and async; reversal and refunds on the same state; a wrong APIv2
 * key; the till example; and `wxpay POST v2/...` with its exit codes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

#include "testutil.h"

static wxt_mock g_mock;
static wx_client_t *g_client;

static int setup(void **state)
{
    (void)state;
    wxt_mock_start(&g_mock, NULL);
    wx_client_options_t o = {.base_url = g_mock.base_url};
    assert_int_equal(wx_client_new_from_config(g_mock.config, &o, &g_client, NULL), WX_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wx_client_free(g_client);
    assert_int_equal(wxt_mock_stop(&g_mock), 0);
    return 0;
}

static const char *field(wx_response_t *r, const char *name)
{
    json_object *v = json_object_object_get(wx_response_json(r), name);
    return v ? json_object_get_string(v) : "";
}

static wx_request_options_t *body(char *buf, size_t size, const char *out_trade_no, const char *extra)
{
    static wx_request_options_t o;
    snprintf(buf, size, "{\"appid\":\"wx2421b1c4370ec43b\",\"mch_id\":\"1900000001\","
                        "\"out_trade_no\":\"%s\"%s}", out_trade_no, extra ? extra : "");
    memset(&o, 0, sizeof o);
    o.json_text = buf;
    return &o;
}

static wx_response_t *micropay(const char *out_trade_no, const char *code)
{
    char extra[256], buf[512];
    snprintf(extra, sizeof extra, ",\"body\":\"测试\",\"total_fee\":100,\"spbill_create_ip\":\"1.2.3.4\","
                                  "\"auth_code\":\"%s\"", code);
    /* the pure chain form */
    return wx_chain(g_client, "v2")->seg("pay")->seg("micropay")->post(body(buf, sizeof buf, out_trade_no, extra));
}

static void expect_ok(wx_response_t *r)
{
    if (wx_response_err(r) != WX_OK)
        fail_msg("%s: %s", wx_err_name(wx_response_err(r)), wx_response_error(r)->message);
}

static void test_till_flow(void **state)
{
    (void)state;
    char buf[512];
    wx_response_t *r = micropay("APIV2-PAID", "134567890123456781");
    expect_ok(r);
    assert_string_equal(field(r, "result_code"), "SUCCESS");
    assert_int_equal(strlen(field(r, "transaction_id")), 28);
    wx_response_free(r);
    /* the payer enters a password: USERPAYING, then the next query finds it paid */
    r = micropay("APIV2-WAIT", "134567890123456789");
    assert_int_equal(wx_response_err(r), WX_E_HTTP);
    assert_string_equal(wx_response_error(r)->server_code, "USERPAYING");
    wx_response_free(r);
    /* the declarative form, asynchronously */
    wx_future_t *f = wx_chain(g_client, "v2/pay/orderquery")
                         ->post_async(body(buf, sizeof buf, "APIV2-WAIT", NULL));
    r = wx_future_wait(f);
    expect_ok(r);
    assert_string_equal(field(r, "trade_state"), "SUCCESS");
    wx_response_free(r);
    /* the index form, with HMAC-SHA256 */
    r = wx_at(g_client, "v2/pay/orderquery")->post(body(buf, sizeof buf, "APIV2-WAIT",
                                                        ",\"sign_type\":\"HMAC-SHA256\""));
    expect_ok(r);
    assert_string_equal(field(r, "trade_state"), "SUCCESS");
    wx_response_free(r);
    /* a code that is no payment code; an order that does not exist */
    r = micropay("APIV2-BAD", "99");
    assert_int_equal(wx_response_err(r), WX_E_HTTP);
    assert_string_equal(wx_response_error(r)->server_code, "AUTH_CODE_INVALID");
    wx_response_free(r);
    r = wx_chain(g_client, "v2/pay/orderquery")->post(body(buf, sizeof buf, "APIV2-NONE", NULL));
    assert_string_equal(wx_response_error(r)->server_code, "ORDERNOTEXIST");
    wx_response_free(r);
}

static void test_reverse_and_refund(void **state)
{
    (void)state;
    char buf[512];
    wx_response_free(micropay("APIV2-REV", "134567890123456789")); /* USERPAYING */
    wx_response_t *r = wx_chain(g_client, "v2/secapi/pay/reverse")->post(body(buf, sizeof buf, "APIV2-REV", NULL));
    expect_ok(r);
    assert_string_equal(field(r, "recall"), "N");
    wx_response_free(r);
    r = wx_chain(g_client, "v2/pay/orderquery")->post(body(buf, sizeof buf, "APIV2-REV", NULL));
    assert_string_equal(field(r, "trade_state"), "REVOKED");
    wx_response_free(r);

    wx_response_free(micropay("APIV2-REF", "134567890123456781"));
    r = wx_chain(g_client, "v2/secapi/pay/refund")->post(body(buf, sizeof buf, "APIV2-REF",
        ",\"out_refund_no\":\"APIV2-R1\",\"total_fee\":100,\"refund_fee\":60"));
    expect_ok(r);
    assert_int_equal(strlen(field(r, "refund_id")), 29);
    wx_response_free(r);
    /* more than is left: refused, and nothing changes */
    r = wx_chain(g_client, "v2/secapi/pay/refund")->post(body(buf, sizeof buf, "APIV2-REF",
        ",\"out_refund_no\":\"APIV2-R2\",\"total_fee\":100,\"refund_fee\":50"));
    assert_int_equal(wx_response_err(r), WX_E_HTTP);
    assert_string_equal(wx_response_error(r)->server_code, "NOTENOUGH");
    wx_response_free(r);
    r = wx_chain(g_client, "v2/pay/refundquery")->post(body(buf, sizeof buf, "APIV2-REF", NULL));
    expect_ok(r);
    assert_string_equal(field(r, "refund_count"), "1");
    assert_string_equal(field(r, "refund_fee_0"), "60");
    wx_response_free(r);
    r = wx_chain(g_client, "v2/pay/orderquery")->post(body(buf, sizeof buf, "APIV2-REF", NULL));
    assert_string_equal(field(r, "trade_state"), "REFUND");
    wx_response_free(r);
}

static void test_wrong_key(void **state)
{
    (void)state;
    wx_client_options_t o = {.base_url = g_mock.base_url, .apiv2_key = "0123456789abcdef0123456789abcdef"};
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new_from_config(g_mock.config, &o, &c, NULL), WX_OK);
    char buf[512];
    wx_response_t *r = wx_chain(c, "v2/pay/orderquery")->post(body(buf, sizeof buf, "APIV2-PAID", NULL));
    assert_int_equal(wx_response_err(r), WX_E_HTTP);
    assert_string_equal(wx_response_error(r)->server_code, "FAIL");
    assert_non_null(strstr(wx_response_error(r)->server_message, "签名错误"));
    wx_response_free(r);
    wx_client_free(c);
}

static char *run(int want, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *run(int want, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char *out = NULL, *err = NULL;
    int rc = wxt_sh(&out, &err, "%s", cmd);
    if (rc != want)
        fail_msg("%s: exit %d (want %d)\n%s\n%s", cmd, rc, want, out, err);
    free(err);
    return out;
}

static void test_till_example(void **state)
{
    (void)state;
    const char *ex = WX_BINARY_DIR "/examples/till_micropay";
    char *out = run(0, "%s %s %s 134567890123456781 TILL-1", ex, g_mock.config, g_mock.base_url);
    assert_non_null(strstr(out, "paid 4200"));
    free(out);
    out = run(0, "%s %s %s 134567890123456789 TILL-2", ex, g_mock.config, g_mock.base_url);
    assert_non_null(strstr(out, "orderquery: SUCCESS"));
    free(out);
    /* the till gives up at once: reversal, with the merchant certificate */
    out = run(0, "%s %s %s 134567890123456789 TILL-3 0", ex, g_mock.config, g_mock.base_url);
    assert_non_null(strstr(out, "reversed"));
    free(out);
    out = run(1, "%s %s %s 12345 TILL-4", ex, g_mock.config, g_mock.base_url);
    assert_non_null(strstr(out, "AUTH_CODE_INVALID"));
    free(out);
}

static void test_cli(void **state)
{
    (void)state;
    const char *w = WXPAY_BIN;
    char *out = run(0, "%s -c %s --base-url %s --json '{\"appid\":\"wx1\",\"mch_id\":\"1900000001\","
                       "\"body\":\"b\",\"out_trade_no\":\"CLI-1\",\"total_fee\":1,\"spbill_create_ip\":"
                       "\"1.1.1.1\",\"auth_code\":\"134567890123456781\"}' POST v2/pay/micropay",
                    w, g_mock.config, g_mock.base_url);
    json_object *j = json_tokener_parse(out);
    assert_non_null(j);
    assert_string_equal(json_object_get_string(json_object_object_get(j, "result_code")), "SUCCESS");
    json_object_put(j);
    free(out);
    out = run(1, "%s -c %s --base-url %s --json '{\"appid\":\"wx1\",\"mch_id\":\"1900000001\","
                 "\"out_trade_no\":\"CLI-NONE\"}' POST v2/pay/orderquery 2>&1",
              w, g_mock.config, g_mock.base_url);
    assert_non_null(strstr(out, "ORDERNOTEXIST"));
    free(out);
    out = run(2, "%s -c %s --base-url %s --json '{\"mch_id\":\"1234\"}' POST v2/pay/orderquery 2>&1",
              w, g_mock.config, g_mock.base_url);
    assert_non_null(strstr(out, "nothing was sent"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_till_flow),
        cmocka_unit_test(test_reverse_and_refund),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_till_example),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests_name("APIv2 against the sandbox", tests, setup, teardown);
}
