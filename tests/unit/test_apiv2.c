/* APIv2's wire format: the sign against the golden vectors (made with `openssl dgst`)
 * and against the openssl command line at test time, both directions; the XML codec's
 * round trip and its refusals (DOCTYPE, entities, nesting, size). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <wechatpay/apiv2.h>
#include <wechatpay/common.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_golden),
        cmocka_unit_test(test_sign_against_cli),
        cmocka_unit_test(test_verify_refusals),
        cmocka_unit_test(test_xml_round_trip),
        cmocka_unit_test(test_xml_refusals),
        cmocka_unit_test(test_xml_encode_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
