/* wxpay and APIv2: `wxpay notify --v2` on payment and refund callbacks signed or
 * encrypted with the APIv2 key of a `wxpay keys gen` folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <wechatpay/apiv2.h>
#include <wechatpay/notify.h>

#include "test_cli_run.h"

static char *g_dir, *g_config, *g_key;

static int setup(void **state)
{
    (void)state;
    g_dir = wxt_tmpdir("cli-apiv2");
    g_config = wxt_path(wxt_keys_dir(), "CONFIG.json");
    char *text = wxt_read_file(g_config, NULL);
    json_object *c = json_tokener_parse(text);
    g_key = strdup(json_object_get_string(json_object_object_get(c, "apiv2_key")));
    json_object_put(c);
    free(text);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cli_assert_no_secrets();
    free(g_dir), free(g_config), free(g_key);
    return 0;
}

static char *payment_xml(const char *key, const char *amount)
{
    json_object *f = json_tokener_parse(
        "{\"return_code\":\"SUCCESS\",\"result_code\":\"SUCCESS\",\"appid\":\"wx8888888888888888\","
        "\"mch_id\":\"1900000001\",\"out_trade_no\":\"T20231115001\",\"trade_type\":\"MICROPAY\","
        "\"nonce_str\":\"a1b2c3d4e5\",\"transaction_id\":\"4200000001202311150000000001\"}");
    json_object_object_add(f, "total_fee", json_object_new_string(amount));
    char sign[WX_V2_SIGN_MAX];
    assert_int_equal(wx_v2_sign(f, key, WX_V2_SIGN_MD5, sign, NULL), WX_OK);
    json_object_object_add(f, "sign", json_object_new_string(sign));
    char *xml = NULL;
    assert_int_equal(wx_v2_xml_encode(f, &xml, NULL, NULL), WX_OK);
    json_object_put(f);
    return xml;
}

static void test_notify_v2_payment(void **state)
{
    (void)state;
    char *xml = payment_xml(g_key, "88");
    char *path = wxt_path(g_dir, "pay.xml");
    wxt_write_file(path, xml, strlen(xml));
    cli_result r = cli_run("notify", "--v2", "-c", g_config, path, NULL);
    cli_expect(&r, 0, NULL, NULL);
    json_object *o = json_tokener_parse(r.out);
    assert_non_null(o);
    assert_string_equal(json_object_get_string(json_object_object_get(o, "total_fee")), "88");
    json_object_put(o);
    cli_result_free(&r);
    /* the same from standard input */
    r = cli_run_in(xml, "notify", "--v2", "-c", g_config, "-", NULL);
    cli_expect(&r, 0, NULL, NULL);
    cli_result_free(&r);
    wx_free(xml);
    /* altered after signing, or signed with another key: exit 3, nothing on stdout */
    xml = payment_xml(g_key, "88");
    char *fee = strstr(xml, "[88]");
    fee[1] = '1';
    r = cli_run_in(xml, "notify", "--v2", "-c", g_config, NULL);
    cli_expect(&r, 3, "", "does not match");
    cli_result_free(&r);
    wx_free(xml);
    xml = payment_xml("0123456789abcdef0123456789abcdef", "88");
    r = cli_run_in(xml, "notify", "--v2", "-c", g_config, NULL);
    cli_expect(&r, 3, "", "WX_E_VERIFY_SIGNATURE");
    cli_result_free(&r);
    wx_free(xml);
    /* a DOCTYPE: exit 3 */
    r = cli_run_in("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><a>&e;</a></xml>",
                   "notify", "--v2", "-c", g_config, NULL);
    cli_expect(&r, 3, "", "DOCTYPE");
    cli_result_free(&r);
    /* --v2 with headers is a usage error */
    r = cli_run("notify", "--v2", "--headers", path, "-c", g_config, path, NULL);
    cli_expect_usage_error(&r, "--v2");
    cli_result_free(&r);
    free(path);
}

static void test_notify_v2_refund(void **state)
{
    (void)state;
    const char *plain = "<root><out_refund_no><![CDATA[R1]]></out_refund_no>"
                        "<refund_fee><![CDATA[50]]></refund_fee>"
                        "<refund_status><![CDATA[SUCCESS]]></refund_status></root>";
    char *b64 = NULL;
    assert_int_equal(wx_v2_req_info_encrypt(g_key, plain, strlen(plain), &b64, NULL), WX_OK);
    char body[2048];
    snprintf(body, sizeof body,
             "<xml><return_code>SUCCESS</return_code><mch_id>1900000001</mch_id>"
             "<req_info><![CDATA[%s]]></req_info></xml>", b64);
    cli_result r = cli_run_in(body, "notify", "--v2", "-c", g_config, NULL);
    cli_expect(&r, 0, NULL, NULL);
    json_object *o = json_tokener_parse(r.out);
    json_object *ri = json_object_object_get(o, "req_info");
    assert_true(json_object_is_type(ri, json_type_object));
    assert_string_equal(json_object_get_string(json_object_object_get(ri, "refund_fee")), "50");
    json_object_put(o);
    cli_result_free(&r);
    wx_free(b64);
    /* encrypted under another key: exit 3 */
    assert_int_equal(wx_v2_req_info_encrypt("another key", plain, strlen(plain), &b64, NULL), WX_OK);
    snprintf(body, sizeof body, "<xml><return_code>SUCCESS</return_code>"
                                "<req_info><![CDATA[%s]]></req_info></xml>", b64);
    r = cli_run_in(body, "notify", "--v2", "-c", g_config, NULL);
    assert_int_equal(r.rc, 3);
    assert_string_equal(r.out, "");
    cli_result_free(&r);
    wx_free(b64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify_v2_payment),
        cmocka_unit_test(test_notify_v2_refund),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
