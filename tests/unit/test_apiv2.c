/* APIv2's wire format: the sign against the golden vectors (made with `openssl dgst`)
 * and against the openssl command line at test time, both directions; the XML codec's
 * round trip and its refusals (DOCTYPE, entities, nesting, size). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <wechatpay/apiv2.h>
#include <wechatpay/common.h>
#include <wechatpay/notify.h>
#include <wechatpay/client.h>

#include "testutil.h"

#define GOLDEN WX_SOURCE_DIR "/tests/golden/apiv2"

static char *golden(const char *kase, const char *file)
{
    char path[512];
    snprintf(path, sizeof path, GOLDEN "/sign/%s/%s", kase, file);
    return wxt_read_file(path, NULL);
}

static const char *const k_cases[] = {"wechat-example-md5", "wechat-example-hmac", "micropay-md5",
                                      "orderquery-hmac"};

static void test_sign_golden(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
        char *fields_text = golden(k_cases[i], "fields.json"), *key = golden(k_cases[i], "key");
        char *want = golden(k_cases[i], "sign"), *type_text = golden(k_cases[i], "sign_type");
        json_object *fields = json_tokener_parse(fields_text);
        assert_non_null(fields);
        wx_v2_sign_type type;
        assert_int_equal(wx_v2_sign_type_of(fields, &type, NULL), WX_OK);
        assert_int_equal(type, strcmp(type_text, "MD5") ? WX_V2_SIGN_HMAC_SHA256 : WX_V2_SIGN_MD5);
        char got[WX_V2_SIGN_MAX];
        assert_int_equal(wx_v2_sign(fields, key, type, got, NULL), WX_OK);
        assert_string_equal(got, want);
        /* the other direction: the openssl-made sign verifies, by type and by length */
        json_object_object_add(fields, "sign", json_object_new_string(want));
        assert_int_equal(wx_v2_verify(fields, key, type, NULL), WX_OK);
        assert_int_equal(wx_v2_verify(fields, key, WX_V2_SIGN_BY_LENGTH, NULL), WX_OK);
        json_object_put(fields);
        free(fields_text), free(key), free(want), free(type_text);
    }
}

/* The sign of random-ish fields, recomputed by `openssl dgst` over the message the
 * rules give, so a golden file cannot hide a shared mistake. */
static void test_sign_against_cli(void **state)
{
    (void)state;
    char *dir = wxt_tmpdir("apiv2-sign");
    char *msg_path = wxt_path(dir, "message");
    const char *key = "0123456789abcdefABCDEF0123456789";
    json_object *f = json_object_new_object();
    json_object_object_add(f, "zeta", json_object_new_string("最后"));
    json_object_object_add(f, "Alpha", json_object_new_string("upper case sorts first"));
    json_object_object_add(f, "total_fee", json_object_new_int(888));
    json_object_object_add(f, "empty", json_object_new_string(""));
    json_object_object_add(f, "a_b", json_object_new_string("x=y&z"));
    const char *message = "Alpha=upper case sorts first&a_b=x=y&z&total_fee=888&zeta=最后&key="
                          "0123456789abcdefABCDEF0123456789";
    wxt_write_file(msg_path, message, strlen(message));
    for (int hmac = 0; hmac < 2; hmac++) {
        char *out = NULL;
        int rc = hmac ? wxt_sh(&out, NULL, "%s dgst -sha256 -hmac '%s' -r '%s'", OPENSSL_CLI, key,
                               msg_path)
                      : wxt_sh(&out, NULL, "%s dgst -md5 -r '%s'", OPENSSL_CLI, msg_path);
        assert_int_equal(rc, 0);
        *strchr(out, ' ') = 0;
        for (char *c = out; *c; c++)
            if (*c >= 'a' && *c <= 'f')
                *c = (char)(*c - 32);
        char got[WX_V2_SIGN_MAX];
        assert_int_equal(wx_v2_sign(f, key, hmac ? WX_V2_SIGN_HMAC_SHA256 : WX_V2_SIGN_MD5, got, NULL),
                         WX_OK);
        assert_string_equal(got, out);
        /* lower-case hex from another signer verifies too */
        for (char *c = out; *c; c++)
            if (*c >= 'A' && *c <= 'F')
                *c = (char)(*c + 32);
        json_object_object_add(f, "sign", json_object_new_string(out));
        assert_int_equal(wx_v2_verify(f, key, WX_V2_SIGN_BY_LENGTH, NULL), WX_OK);
        free(out);
    }
    json_object_put(f);
    free(msg_path);
    free(dir);
}

static void test_verify_refusals(void **state)
{
    (void)state;
    const char *key = "8934e7d15453e97507ef794cf7b0519d";
    json_object *f = json_tokener_parse("{\"return_code\":\"SUCCESS\",\"out_trade_no\":\"1\"}");
    wx_error_t err = {0};
    assert_int_equal(wx_v2_verify(f, key, WX_V2_SIGN_MD5, &err), WX_E_VERIFY_SIGNATURE);
    assert_non_null(strstr(err.message, "not signed"));
    char sign[WX_V2_SIGN_MAX];
    assert_int_equal(wx_v2_sign(f, key, WX_V2_SIGN_MD5, sign, NULL), WX_OK);
    json_object_object_add(f, "sign", json_object_new_string(sign));
    assert_int_equal(wx_v2_verify(f, key, WX_V2_SIGN_MD5, NULL), WX_OK);
    /* the request asked for HMAC-SHA256: an MD5 sign is refused */
    assert_int_equal(wx_v2_verify(f, key, WX_V2_SIGN_HMAC_SHA256, &err), WX_E_VERIFY_SIGNATURE);
    assert_non_null(strstr(err.message, "not the 64"));
    /* another key, an altered field */
    assert_int_equal(wx_v2_verify(f, "another key", WX_V2_SIGN_MD5, &err), WX_E_VERIFY_SIGNATURE);
    json_object_object_add(f, "out_trade_no", json_object_new_string("2"));
    assert_int_equal(wx_v2_verify(f, key, WX_V2_SIGN_MD5, &err), WX_E_VERIFY_SIGNATURE);
    assert_non_null(strstr(err.message, "does not match"));
    /* values APIv2 cannot carry */
    json_object_object_add(f, "nested", json_object_new_object());
    assert_int_equal(wx_v2_sign(f, key, WX_V2_SIGN_MD5, sign, &err), WX_E_INVALID_ARG);
    assert_string_equal(err.where, "nested");
    assert_int_equal(wx_v2_sign(f, "", WX_V2_SIGN_MD5, sign, &err), WX_E_INVALID_ARG);
    json_object_put(f);
    wx_v2_sign_type t;
    f = json_tokener_parse("{\"sign_type\":\"RSA\"}");
    assert_int_equal(wx_v2_sign_type_of(f, &t, &err), WX_E_UNSUPPORTED);
    json_object_put(f);
}

/* ------------------------------------------------------------- XML codec */

static void test_xml_round_trip(void **state)
{
    (void)state;
    json_object *f = json_object_new_object();
    json_object_object_add(f, "body", json_object_new_string("刷卡支付测试 <b>&amp; \"quoted\""));
    json_object_object_add(f, "tricky", json_object_new_string("a]]>b]]]]>>c\r\nd"));
    json_object_object_add(f, "total_fee", json_object_new_int(1));
    json_object_object_add(f, "empty", json_object_new_string(""));
    char *xml = NULL;
    size_t len = 0;
    assert_int_equal(wx_v2_xml_encode(f, &xml, &len, NULL), WX_OK);
    assert_int_equal(len, strlen(xml));
    assert_non_null(strstr(xml, "<xml><body><![CDATA[刷卡支付测试 <b>&amp; \"quoted\"]]></body>"));
    assert_non_null(strstr(xml, "<total_fee>1</total_fee>"));
    json_object *back = NULL;
    assert_int_equal(wx_v2_xml_decode(xml, len, &back, NULL), WX_OK);
    assert_string_equal(json_object_get_string(json_object_object_get(back, "body")),
                        "刷卡支付测试 <b>&amp; \"quoted\"");
    assert_string_equal(json_object_get_string(json_object_object_get(back, "tricky")),
                        "a]]>b]]]]>>c\r\nd");
    assert_string_equal(json_object_get_string(json_object_object_get(back, "total_fee")), "1");
    assert_string_equal(json_object_get_string(json_object_object_get(back, "empty")), "");
    assert_int_equal(json_object_object_length(back), 4);
    json_object_put(back);
    wx_free(xml);
    json_object_put(f);

    /* what WeChat Pay sends: whitespace between fields, escaped text, an empty element */
    const char *answer = "<xml>\n  <return_code><![CDATA[SUCCESS]]></return_code>\n"
                         "  <return_msg>OK &lt;&amp;&gt; &#x4E2D;</return_msg>\n  <attach/>\n</xml>\n";
    assert_int_equal(wx_v2_xml_decode(answer, strlen(answer), &back, NULL), WX_OK);
    assert_string_equal(json_object_get_string(json_object_object_get(back, "return_msg")),
                        "OK <&> 中");
    assert_string_equal(json_object_get_string(json_object_object_get(back, "attach")), "");
    json_object_put(back);
}

static void refused(const char *doc, size_t len, wx_err code, const char *words)
{
    json_object *out = (json_object *)1;
    wx_error_t err = {0};
    assert_int_equal(wx_v2_xml_decode(doc, len, &out, &err), code);
    assert_null(out);
    if (!strstr(err.message, words))
        fail_msg("'%s' does not say '%s'", err.message, words);
}

static void test_xml_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *doc, *words;
    } k_bad[] = {
        {"<?xml version=\"1.0\"?><!DOCTYPE xml><xml><a>1</a></xml>", "DOCTYPE"},
        /* an external entity (XXE) */
        {"<!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
         "<xml><return_msg>&x;</return_msg></xml>", "DOCTYPE"},
        /* billion laughs */
        {"<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
         "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
         "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
         "<xml><a>&lol3;</a></xml>", "DOCTYPE"},
        {"<xml><a>&secret;</a></xml>", "entity"},
        {"<xml><a><b>1</b></a></xml>", "nesting"},
        {"<xml><a x=\"1\">1</a></xml>", "attributes"},
        {"<xml><a>1</a><a>2</a></xml>", "twice"},
        {"<html><a>1</a></html>", "<xml>"},
        {"<xml>loose<a>1</a></xml>", "outside"},
        {"<xml><?php evil(); ?><a>1</a></xml>", "processing instruction"},
        {"<xml><a>1</a>", "refused"},
        {"", "refused"},
    };
    for (size_t i = 0; i < sizeof k_bad / sizeof k_bad[0]; i++)
        refused(k_bad[i].doc, strlen(k_bad[i].doc), WX_E_XML, k_bad[i].words);

    size_t big = WX_V2_XML_MAX_BYTES + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    memcpy(huge, "<xml><a>", 8);
    refused(huge, big, WX_E_TOO_LARGE, "more than");
    free(huge);

    /* the error says where */
    json_object *out = NULL;
    wx_error_t err = {0};
    const char *late = "<xml>\n<a>1</a>\n<b><c/></b></xml>";
    assert_int_equal(wx_v2_xml_decode(late, strlen(late), &out, &err), WX_E_XML);
    assert_non_null(strstr(err.where, "line 3"));
}

static void test_xml_encode_refusals(void **state)
{
    (void)state;
    char *xml = (char *)1;
    wx_error_t err = {0};
    json_object *f = json_tokener_parse("{\"a\":[1]}");
    assert_int_equal(wx_v2_xml_encode(f, &xml, NULL, &err), WX_E_INVALID_ARG);
    assert_null(xml);
    assert_string_equal(err.where, "a");
    json_object_put(f);
    f = json_tokener_parse("{\"a><b\":\"1\"}");
    assert_int_equal(wx_v2_xml_encode(f, &xml, NULL, &err), WX_E_INVALID_ARG);
    json_object_put(f);
}

/* ------------------------------------------------------------- callbacks */

#define V2_KEY "8934e7d15453e97507ef794cf7b0519d"

static char *refund_file(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, GOLDEN "/refund-notify/%s", name);
    return wxt_read_file(path, len);
}

static void test_refund_notification_golden(void **state)
{
    (void)state;
    size_t body_len = 0, plain_len = 0;
    char *body = refund_file("body.xml", &body_len), *want_b64 = refund_file("req_info", NULL);
    char *plain = refund_file("req_info.xml", &plain_len);
    /* our encryption gives openssl's bytes (ECB is deterministic) ... */
    char *b64 = NULL;
    assert_int_equal(wx_v2_req_info_encrypt(V2_KEY, plain, plain_len, &b64, NULL), WX_OK);
    assert_string_equal(b64, want_b64);
    wx_free(b64);
    /* ... and openssl's decrypts */
    wx_v2_notification_t *n = NULL;
    assert_int_equal(wx_v2_notify_verify_with(V2_KEY, body, body_len, &n, NULL), WX_OK);
    assert_int_equal(n->kind, WX_V2_NOTIFY_REFUND);
    assert_string_equal(json_object_get_string(json_object_object_get(n->req_info, "refund_fee")),
                        "3960");
    assert_string_equal(
        json_object_get_string(json_object_object_get(n->req_info, "refund_recv_accout")),
        "支付用户零钱");
    assert_string_equal(json_object_get_string(json_object_object_get(n->fields, "mch_id")),
                        "10000100");
    wx_v2_notification_free(n);

    /* another key, or a ciphertext altered: an error and nothing handed back */
    wx_error_t err = {0};
    n = (wx_v2_notification_t *)1;
    assert_int_not_equal(wx_v2_notify_verify_with("another key 0123456789abcdef0123", body, body_len,
                                             &n, &err), WX_OK);
    assert_null(n);
    char *cut = strstr(body, "]]></req_info>");
    memmove(cut - 4, cut, strlen(cut) + 1); /* the last base64 quantum gone */
    assert_int_equal(wx_v2_notify_verify_with(V2_KEY, body, strlen(body), &n, &err), WX_E_DECRYPT);
    assert_string_equal(err.where, "req_info");
    const char *not_b64 = "<xml><return_code>SUCCESS</return_code><req_info>@@@@</req_info></xml>";
    assert_int_equal(wx_v2_notify_verify_with(V2_KEY, not_b64, strlen(not_b64), &n, &err), WX_E_DECRYPT);
    assert_null(n);
    free(body), free(want_b64), free(plain);
}

static char *signed_payment(const char *sign_type, const char *key)
{
    json_object *f = json_tokener_parse(
        "{\"return_code\":\"SUCCESS\",\"result_code\":\"SUCCESS\",\"appid\":\"wx2421b1c4370ec43b\","
        "\"mch_id\":\"10000100\",\"out_trade_no\":\"1409811653\",\"total_fee\":\"1\","
        "\"nonce_str\":\"5d2b6c2a8db53831f7eda20af46e531c\",\"transaction_id\":\"1004400740201409030005092168\"}");
    if (sign_type)
        json_object_object_add(f, "sign_type", json_object_new_string(sign_type));
    char sign[WX_V2_SIGN_MAX];
    wx_v2_sign_type t = sign_type ? WX_V2_SIGN_HMAC_SHA256 : WX_V2_SIGN_MD5;
    assert_int_equal(wx_v2_sign(f, key, t, sign, NULL), WX_OK);
    json_object_object_add(f, "sign", json_object_new_string(sign));
    char *xml = NULL;
    assert_int_equal(wx_v2_xml_encode(f, &xml, NULL, NULL), WX_OK);
    json_object_put(f);
    return xml;
}

static void test_payment_notification(void **state)
{
    (void)state;
    wx_v2_notification_t *n = NULL;
    wx_error_t err = {0};
    for (int hmac = 0; hmac < 2; hmac++) {
        char *xml = signed_payment(hmac ? "HMAC-SHA256" : NULL, V2_KEY);
        assert_int_equal(wx_v2_notify_verify_with(V2_KEY, xml, strlen(xml), &n, NULL), WX_OK);
        assert_int_equal(n->kind, WX_V2_NOTIFY_PAYMENT);
        assert_null(n->req_info);
        assert_string_equal(json_object_get_string(json_object_object_get(n->fields, "out_trade_no")),
                            "1409811653");
        wx_v2_notification_free(n);
        /* altered: the amount */
        char *fee = strstr(xml, "<total_fee><![CDATA[1]]>");
        fee[strlen("<total_fee><![CDATA[")] = '9';
        n = (wx_v2_notification_t *)1;
        assert_int_equal(wx_v2_notify_verify_with(V2_KEY, xml, strlen(xml), &n, &err),
                         WX_E_VERIFY_SIGNATURE);
        assert_null(n);
        wx_free(xml);
    }
    /* signed with another key */
    char *xml = signed_payment(NULL, "another key");
    assert_int_equal(wx_v2_notify_verify_with(V2_KEY, xml, strlen(xml), &n, &err), WX_E_VERIFY_SIGNATURE);
    wx_free(xml);
    /* not signed at all */
    const char *bare = "<xml><return_code>SUCCESS</return_code><out_trade_no>1</out_trade_no></xml>";
    assert_int_equal(wx_v2_notify_verify_with(V2_KEY, bare, strlen(bare), &n, &err), WX_E_VERIFY_SIGNATURE);
    /* WeChat Pay's own failure */
    const char *fail = "<xml><return_code>FAIL</return_code><return_msg>参数格式校验错误</return_msg></xml>";
    assert_int_equal(wx_v2_notify_verify_with(V2_KEY, fail, strlen(fail), &n, &err), WX_E_HTTP);
    assert_string_equal(err.server_code, "FAIL");
    assert_string_equal(err.server_message, "参数格式校验错误");
    /* refused XML is refused here too */
    const char *xxe = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><a>&e;</a></xml>";
    assert_int_equal(wx_v2_notify_verify_with(V2_KEY, xxe, strlen(xxe), &n, &err), WX_E_XML);
    assert_null(n);
}

/* The replay guard key of APIv2 callbacks (they have no notification id). */
static void test_notification_guard_keys(void **state)
{
    (void)state;
    char key[WX_NOTIFY_GUARD_KEY_MAX + 1];
    wx_v2_notification_t *n = NULL;
    char *xml = signed_payment(NULL, V2_KEY);
    assert_int_equal(wx_v2_notify_verify_with(V2_KEY, xml, strlen(xml), &n, NULL), WX_OK);
    assert_int_equal(wx_v2_notify_key(n, key, NULL), WX_OK);
    assert_string_equal(key, "v2pay:1004400740201409030005092168:SUCCESS");
    wx_notify_guard_t *g = NULL;
    assert_int_equal(wx_notify_guard_new(NULL, &g, NULL), WX_OK);
    assert_int_equal(wx_notify_guard_admit(g, key, 1700000000, 1700000000, NULL), WX_OK);
    wx_notify_guard_finish(g, key, 1);
    assert_int_equal(wx_notify_guard_admit(g, key, 1700000015, 1700000015, NULL), WX_E_REPLAY);
    wx_notify_guard_free(g);
    /* without its transaction_id there is nothing to key on */
    json_object_object_del(n->fields, "transaction_id");
    wx_error_t err = {0};
    assert_int_equal(wx_v2_notify_key(n, key, &err), WX_E_XML);
    assert_string_equal(err.where, "transaction_id");
    wx_v2_notification_free(n);
    wx_free(xml);

    size_t body_len = 0;
    char *body = refund_file("body.xml", &body_len);
    assert_int_equal(wx_v2_notify_verify_with(V2_KEY, body, body_len, &n, NULL), WX_OK);
    assert_int_equal(wx_v2_notify_key(n, key, NULL), WX_OK);
    assert_int_equal(strncmp(key, "v2refund:", 9), 0);
    assert_non_null(strstr(key, json_object_get_string(json_object_object_get(n->req_info,
                                                                              "refund_id"))));
    wx_v2_notification_free(n);
    free(body);
    assert_int_equal(wx_v2_notify_key(NULL, key, NULL), WX_E_INVALID_ARG);
}

static void test_notify_reply(void **state)
{
    (void)state;
    char *xml = NULL;
    assert_int_equal(wx_v2_notify_reply(WX_OK, NULL, &xml, NULL), WX_OK);
    assert_string_equal(xml, "<xml><return_code><![CDATA[SUCCESS]]></return_code>"
                             "<return_msg><![CDATA[OK]]></return_msg></xml>");
    wx_free(xml);
    assert_int_equal(wx_v2_notify_reply(WX_E_VERIFY_SIGNATURE, "签名失败", &xml, NULL), WX_OK);
    assert_string_equal(xml, "<xml><return_code><![CDATA[FAIL]]></return_code>"
                             "<return_msg><![CDATA[签名失败]]></return_msg></xml>");
    wx_free(xml);
}

/* ---------------------------------------------------------- client setup */

static wx_err client_with(const char *apiv2_key, const char *cert, wx_client_t **c, wx_error_t *err)
{
    char cert_path[512];
    snprintf(cert_path, sizeof cert_path, WX_SOURCE_DIR "/tests/golden/keys/%s", cert ? cert : "");
    wx_client_options_t o = {.mchid = "1900000001", .serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
                             .private_key_path = WX_SOURCE_DIR "/tests/golden/keys/merchant_key.pem",
                             .apiv2_key = apiv2_key, .merchant_cert_path = cert ? cert_path : NULL,
                             .no_builtin_specs = 1, .no_env_spec_path = 1};
    return wx_client_new(&o, c, err);
}

static void test_client_apiv2_config(void **state)
{
    (void)state;
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    assert_int_equal(client_with(V2_KEY, "merchant_cert.pem", &c, &err), WX_OK);
    /* the client's key checks callbacks */
    char *xml = signed_payment(NULL, V2_KEY);
    wx_v2_notification_t *n = NULL;
    assert_int_equal(wx_v2_notify_verify(c, xml, strlen(xml), &n, NULL), WX_OK);
    wx_v2_notification_free(n);
    wx_client_free(c);
    /* without an APIv2 key, callbacks cannot be checked */
    assert_int_equal(client_with(NULL, NULL, &c, &err), WX_OK);
    assert_int_equal(wx_v2_notify_verify(c, xml, strlen(xml), &n, &err), WX_E_CONFIG);
    assert_string_equal(err.where, "apiv2_key");
    wx_client_free(c);
    wx_free(xml);
    /* a key of another length; a certificate of another key; a missing file */
    assert_int_equal(client_with("short", NULL, &c, &err), WX_E_CONFIG);
    assert_non_null(strstr(err.message, "32 characters"));
    assert_int_equal(client_with(V2_KEY, "other_cert.pem", &c, &err), WX_E_CONFIG);
    assert_non_null(strstr(err.message, "not the certificate of the merchant private key"));
    assert_int_equal(client_with(V2_KEY, "no-such-cert.pem", &c, &err), WX_E_IO);
    assert_string_equal(err.where, "merchant_cert");
    assert_null(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_golden),
        cmocka_unit_test(test_sign_against_cli),
        cmocka_unit_test(test_verify_refusals),
        cmocka_unit_test(test_xml_round_trip),
        cmocka_unit_test(test_xml_refusals),
        cmocka_unit_test(test_xml_encode_refusals),
        cmocka_unit_test(test_refund_notification_golden),
        cmocka_unit_test(test_payment_notification),
        cmocka_unit_test(test_notification_guard_keys),
        cmocka_unit_test(test_notify_reply),
        cmocka_unit_test(test_client_apiv2_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
