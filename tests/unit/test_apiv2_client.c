/* A chain under "v2" with the in-memory transport playing WeChat Pay: what goes on the
 * wire (path without v2, XML, nonce_str and sign, the TLS client certificate exactly on
 * x-api-cert-required endpoints), what is refused before sending (another merchant, no
 * certificate, a body APIv2 cannot carry), and how answers are judged (signed, tampered,
 * FAIL, unsigned where a sign is due, refused XML). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <wechatpay/wechatpay.h>
#include <wechatpay/sys/transport_memory.h>

#include "testutil.h"
#include "util/buf.h"

#define V2_KEY "8934e7d15453e97507ef794cf7b0519d"
#define KEYS WX_SOURCE_DIR "/tests/golden/keys/"

/* What the fake WeChat Pay saw and what it answers. */
typedef struct fake {
    int calls;
    char url[256];
    char content_type[64];
    json_object *sent;       /* the request's fields */
    int had_client_cert;
    enum { ANSWER_SIGNED, ANSWER_TAMPERED, ANSWER_UNSIGNED, ANSWER_FAIL, ANSWER_DOCTYPE,
           ANSWER_MD5_ALWAYS, ANSWER_BUSINESS_FAIL, ANSWER_OFF_SPEC, ANSWER_PHP_SHAPED } mode;
} fake;

static fake g;

static void answer_xml(wx_http_response_t *resp, json_object *f)
{
    char *xml = NULL;
    size_t len = 0;
    assert_int_equal(wx_v2_xml_encode(f, &xml, &len, NULL), WX_OK);
    assert_int_equal(wx_http_response_append(resp, xml, len), WX_OK);
    wx_free(xml);
}

#define PHP_SHAPED_SIGN "2E692F2ED5885ABC15557A9740B9C73647D3C760BE0A529A5DAEFC52732F24C1"

/* An answer as the PHP SDK's Transformer::toXml writes it (seen when `wxpay` talked to
 * a server built on that SDK): plain text where no character needs escaping, CDATA
 * otherwise, the fields in no sorted order, sign_type among the signed fields. The sign
 * is this golden one: HMAC-SHA256 over the ksort()ed fields, made with
 * `printf 'attach=A & B <x> "q" 中文&mch_id=1900000001&result_code=SUCCESS&return_code=
 * SUCCESS&sign_type=HMAC-SHA256&total_fee=100&key=KEY' | openssl dgst -sha256 -hmac KEY`
 * (the PHP SDK's Hash::sign gives the same, and its toXml these very bytes). */
static wx_err answer_php_shaped(wx_http_response_t *resp)
{
    static const char x[] =
        "<xml><return_code>SUCCESS</return_code><mch_id>1900000001</mch_id>"
        "<result_code>SUCCESS</result_code><total_fee>100</total_fee>"
        "<attach><![CDATA[A & B <x> \"q\" 中文]]></attach><sign_type>HMAC-SHA256</sign_type>"
        "<sign>" PHP_SHAPED_SIGN "</sign></xml>";
    return wx_http_response_append(resp, x, sizeof x - 1);
}

static wx_err handler(void *ud, const wx_http_request_t *req, wx_http_response_t *resp)
{
    (void)ud;
    g.calls++;
    snprintf(g.url, sizeof g.url, "%s", req->url);
    for (const wx_kv_t *h = req->headers; h->key; h++)
        if (!strcasecmp(h->key, "Content-Type"))
            snprintf(g.content_type, sizeof g.content_type, "%s", h->value);
    g.had_client_cert = req->client_cert != NULL && req->client_key != NULL;
    json_object_put(g.sent);
    g.sent = NULL;
    assert_int_equal(wx_v2_xml_decode(req->body, req->body_len, &g.sent, NULL), WX_OK);
    wx_http_response_set_status(resp, 200);
    if (g.mode == ANSWER_DOCTYPE) {
        const char *x = "<!DOCTYPE xml [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><a>&e;</a></xml>";
        return wx_http_response_append(resp, x, strlen(x));
    }
    if (g.mode == ANSWER_PHP_SHAPED)
        return answer_php_shaped(resp);
    json_object *a = json_object_new_object();
    json_object_object_add(a, "return_code", json_object_new_string(g.mode == ANSWER_FAIL ? "FAIL" : "SUCCESS"));
    json_object_object_add(a, "return_msg", json_object_new_string(g.mode == ANSWER_FAIL ? "签名错误" : "OK"));
    if (g.mode != ANSWER_FAIL) {
        int ok = g.mode != ANSWER_BUSINESS_FAIL;
        json_object_object_add(a, "result_code", json_object_new_string(ok ? "SUCCESS" : "FAIL"));
        if (!ok) {
            json_object_object_add(a, "err_code", json_object_new_string("AUTH_CODE_INVALID"));
            json_object_object_add(a, "err_code_des", json_object_new_string("付款码无效"));
        }
        json_object_object_add(a, "total_fee", json_object_new_string("100"));
        if (g.mode == ANSWER_OFF_SPEC) /* signed, but longer than the spec's maxLength 32 */
            json_object_object_add(a, "device_info", json_object_new_string(
                "0123456789012345678901234567890123456789"));
        wx_v2_sign_type t = WX_V2_SIGN_MD5;
        if (g.mode != ANSWER_MD5_ALWAYS)
            assert_int_equal(wx_v2_sign_type_of(g.sent, &t, NULL), WX_OK);
        char sign[WX_V2_SIGN_MAX];
        assert_int_equal(wx_v2_sign(a, V2_KEY, t, sign, NULL), WX_OK);
        if (g.mode != ANSWER_UNSIGNED)
            json_object_object_add(a, "sign", json_object_new_string(sign));
        if (g.mode == ANSWER_TAMPERED)
            json_object_object_add(a, "total_fee", json_object_new_string("1"));
    }
    answer_xml(resp, a);
    json_object_put(a);
    return WX_OK;
}

static void on_debug(void *ud, const char *text, size_t len)
{
    wx_buf_append(ud, text, len);
}

static wx_client_t *client_with(int with_cert, int validate_responses, wx_buf *debug)
{
    wx_client_options_t o = {.mchid = "1900000001", .serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
                             .private_key_path = KEYS "merchant_key.pem",
                             .apiv2_key = V2_KEY,
                             .merchant_cert_path = with_cert ? KEYS "merchant_cert.pem" : NULL,
                             .base_url = "https://api.mch.weixin.qq.com/",
                             .transport = wx_transport_memory(handler, NULL),
                             .validate_responses = validate_responses,
                             .debug = debug ? on_debug : NULL, .debug_ud = debug};
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new(&o, &c, &err) != WX_OK)
        fail_msg("client: %s", err.message);
    return c;
}

static wx_client_t *client(int with_cert) { return client_with(with_cert, 0, NULL); }

#define MICROPAY "{\"appid\":\"wx2421b1c4370ec43b\",\"mch_id\":\"1900000001\",\"body\":\"刷卡\"," \
                 "\"out_trade_no\":\"T1\",\"total_fee\":100,\"spbill_create_ip\":\"1.2.3.4\"," \
                 "\"auth_code\":\"120061098828009406\""

static wx_response_t *micropay(wx_client_t *c, const char *extra)
{
    char body[512];
    snprintf(body, sizeof body, MICROPAY "%s}", extra ? extra : "");
    wx_request_options_t o = {.json_text = body};
    return wx_request(wx_chain(c, "v2/pay/micropay"), WX_POST, &o);
}

static void test_request_on_the_wire(void **state)
{
    (void)state;
    json_object_put(g.sent); /* the previous test's last request */
    memset(&g, 0, sizeof g);
    wx_client_t *c = client(1);
    wx_response_t *r = micropay(c, NULL);
    assert_int_equal(wx_response_err(r), WX_OK);
    assert_string_equal(g.url, "https://api.mch.weixin.qq.com/pay/micropay");
    assert_non_null(strstr(g.content_type, "xml"));
    assert_false(g.had_client_cert); /* micropay does not need the certificate */
    /* what was sent: the fields given, a nonce_str, a sign that verifies; no sign_type */
    assert_string_equal(json_object_get_string(json_object_object_get(g.sent, "total_fee")), "100");
    assert_true(strlen(json_object_get_string(json_object_object_get(g.sent, "nonce_str"))) > 0);
    assert_false(json_object_object_get_ex(g.sent, "sign_type", NULL));
    assert_int_equal(wx_v2_verify(g.sent, V2_KEY, WX_V2_SIGN_MD5, NULL), WX_OK);
    /* the answer as a flat JSON object */
    json_object *j = wx_response_json(r);
    assert_string_equal(json_object_get_string(json_object_object_get(j, "total_fee")), "100");
    wx_response_free(r);
    /* HMAC-SHA256 when sign_type asks; a nonce_str given is kept */
    r = micropay(c, ",\"sign_type\":\"HMAC-SHA256\",\"nonce_str\":\"mine\"");
    assert_int_equal(wx_response_err(r), WX_OK);
    assert_string_equal(json_object_get_string(json_object_object_get(g.sent, "nonce_str")), "mine");
    assert_int_equal(wx_v2_verify(g.sent, V2_KEY, WX_V2_SIGN_HMAC_SHA256, NULL), WX_OK);
    wx_response_free(r);
    wx_client_free(c);
}

static void test_refused_before_sending(void **state)
{
    (void)state;
    json_object_put(g.sent); /* the previous test's last request */
    memset(&g, 0, sizeof g);
    wx_client_t *c = client(0);
    /* another merchant */
    wx_response_t *r = wx_request(wx_chain(c, "v2/pay/micropay"), WX_POST,
                                  &(wx_request_options_t){.json_text = "{\"mch_id\":\"1900000002\"}"});
    assert_int_equal(wx_response_err(r), WX_E_INVALID_ARG);
    assert_string_equal(wx_response_error_detail(r)->where, "mch_id");
    assert_null(wx_response_request_head(r));
    wx_response_free(r);
    /* a field APIv2 cannot carry */
    r = micropay(c, ",\"detail\":{\"goods\":1}");
    assert_int_equal(wx_response_err(r), WX_E_INVALID_ARG);
    wx_response_free(r);
    /* the spec: a required field missing */
    r = wx_request(wx_chain(c, "v2/pay/micropay"), WX_POST,
                   &(wx_request_options_t){.json_text = "{\"mch_id\":\"1900000001\"}"});
    assert_int_equal(wx_response_err(r), WX_E_VALIDATION);
    wx_response_free(r);
    /* a certificate endpoint without a certificate */
    r = wx_request(wx_chain(c, "v2/secapi/pay/reverse"), WX_POST,
                   &(wx_request_options_t){.json_text = "{\"appid\":\"wx1\",\"mch_id\":\"1900000001\","
                                                        "\"out_trade_no\":\"T1\"}"});
    assert_int_equal(wx_response_err(r), WX_E_CONFIG);
    assert_string_equal(wx_response_error_detail(r)->where, "merchant_cert");
    wx_response_free(r);
    /* GET is not APIv2 */
    r = wx_request(wx_chain(c, "v2/pay/orderquery"), WX_GET, NULL);
    assert_int_equal(wx_response_err(r), WX_E_INVALID_ARG);
    wx_response_free(r);
    assert_int_equal(g.calls, 0);
    wx_client_free(c);
}

static void test_client_certificate_exactly_where_marked(void **state)
{
    (void)state;
    json_object_put(g.sent); /* the previous test's last request */
    memset(&g, 0, sizeof g);
    wx_client_t *c = client(1);
    static const char *const paths[] = {"v2/secapi/pay/reverse", "v2/pay/orderquery"};
    for (int i = 0; i < 2; i++) {
        wx_response_t *r = wx_request(wx_chain(c, paths[i]), WX_POST,
                                      &(wx_request_options_t){.json_text =
                                          "{\"appid\":\"wx1\",\"mch_id\":\"1900000001\","
                                          "\"out_trade_no\":\"T1\"}"});
        assert_int_equal(wx_response_err(r), WX_OK);
        assert_int_equal(g.had_client_cert, i == 0);
        wx_response_free(r);
    }
    wx_client_free(c);
}

static void expect_answer(wx_client_t *c, int mode, wx_err want, int visible)
{
    g.mode = mode;
    wx_response_t *r = micropay(c, mode == ANSWER_MD5_ALWAYS ? ",\"sign_type\":\"HMAC-SHA256\"" : NULL);
    if (wx_response_err(r) != want)
        fail_msg("mode %d: %s (%s)", mode, wx_err_name(wx_response_err(r)), wx_response_error_detail(r)->message);
    size_t len = 0;
    const char *body = wx_response_body(r, &len);
    assert_int_equal(body != NULL && len > 0, visible);
    assert_int_equal(wx_response_json(r) != NULL, visible);
    wx_response_free(r);
}

static void test_answers_judged(void **state)
{
    (void)state;
    json_object_put(g.sent); /* the previous test's last request */
    memset(&g, 0, sizeof g);
    wx_client_t *c = client(1);
    expect_answer(c, ANSWER_SIGNED, WX_OK, 1);
    expect_answer(c, ANSWER_TAMPERED, WX_E_VERIFY_SIGNATURE, 0);
    expect_answer(c, ANSWER_UNSIGNED, WX_E_VERIFY_SIGNATURE, 0);
    expect_answer(c, ANSWER_MD5_ALWAYS, WX_E_VERIFY_SIGNATURE, 0); /* asked HMAC, got MD5 */
    expect_answer(c, ANSWER_DOCTYPE, WX_E_XML, 0);
    /* the PHP SDK's way of writing an answer reads and verifies */
    g.mode = ANSWER_PHP_SHAPED;
    wx_response_t *php = micropay(c, ",\"sign_type\":\"HMAC-SHA256\"");
    if (wx_response_err(php) != WX_OK)
        fail_msg("PHP-shaped answer: %s", wx_response_error_detail(php)->message);
    assert_string_equal(json_object_get_string(json_object_object_get(wx_response_json(php), "attach")),
                        "A & B <x> \"q\" 中文");
    wx_response_free(php);
    /* WeChat Pay's failures: errors that say what WeChat Pay said */
    g.mode = ANSWER_FAIL;
    wx_response_t *r = micropay(c, NULL);
    assert_int_equal(wx_response_err(r), WX_E_HTTP);
    assert_string_equal(wx_response_error_detail(r)->server_message, "签名错误");
    wx_response_free(r);
    g.mode = ANSWER_BUSINESS_FAIL;
    r = micropay(c, NULL);
    assert_int_equal(wx_response_err(r), WX_E_HTTP);
    assert_string_equal(wx_response_error_detail(r)->server_code, "AUTH_CODE_INVALID");
    assert_string_equal(wx_response_error_detail(r)->server_message, "付款码无效");
    assert_non_null(wx_response_json(r)); /* verified, so readable */
    wx_response_free(r);
    /* an unsigned endpoint is exempt */
    g.mode = ANSWER_UNSIGNED;
    r = wx_request(wx_chain(c, "v2/mmpaymkttransfers/gettransferinfo"), WX_POST,
                   &(wx_request_options_t){.json_text = "{\"appid\":\"wx1\",\"mch_id\":\"1900000001\","
                                                        "\"partner_trade_no\":\"P1\"}"});
    assert_int_equal(wx_response_err(r), WX_OK);
    assert_true(g.had_client_cert);
    wx_response_free(r);
    json_object_put(g.sent);
    g.sent = NULL;
    wx_client_free(c);
}

/* The community package's APIv2 specs list nonce_str and sign as required: the library
 * adds both, so a body without them validates and goes out. */
static void test_community_specs(void **state)
{
    (void)state;
    memset(&g, 0, sizeof g);
    const char *dirs[] = {wxt_openapi_sample_dir(), NULL};
    wx_client_options_t o = {.mchid = "1900000001", .serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
                             .private_key_path = KEYS "merchant_key.pem", .apiv2_key = V2_KEY,
                             .spec_dirs = dirs, .no_builtin_specs = 1,
                             .transport = wx_transport_memory(handler, NULL)};
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new(&o, &c, &err) != WX_OK)
        fail_msg("client: %s", err.message);
    wx_response_t *r = micropay(c, NULL);
    if (wx_response_err(r) != WX_OK)
        fail_msg("%s: %s", wx_err_name(wx_response_err(r)), wx_response_error_detail(r)->message);
    assert_int_equal(g.calls, 1);
    wx_response_free(r);
    /* and a field the package requires is still required */
    r = wx_request(wx_chain(c, "v2/pay/micropay"), WX_POST,
                   &(wx_request_options_t){.json_text = "{\"mch_id\":\"1900000001\"}"});
    assert_int_equal(wx_response_err(r), WX_E_VALIDATION);
    wx_response_free(r);
    json_object_put(g.sent);
    g.sent = NULL;
    wx_client_free(c);
}

/* An APIv2 call goes through the common pipeline: the debug hook sees what is sent (the
 * sign masked) and what came back, and validate_responses checks a verified answer. */
static void test_debug_hook_and_response_validation(void **state)
{
    (void)state;
    json_object_put(g.sent);
    memset(&g, 0, sizeof g);
    wx_buf log = WX_BUF_INIT;
    wx_client_t *c = client_with(0, 1, &log);
    wx_response_t *r = micropay(c, NULL);
    assert_int_equal(wx_response_err(r), WX_OK);
    wx_response_free(r);
    assert_true(wx_buf_ok(&log));
    const char *text = wx_buf_str(&log);
    assert_non_null(strstr(text, "> POST /pay/micropay HTTP/1.1"));
    assert_non_null(strstr(text, "Content-Type: text/xml"));
    /* as the PHP SDK asks: XML, or the text or gzip of a bill */
    assert_non_null(strstr(text, "Accept: text/xml, application/xml, text/plain, application/x-gzip"));
    assert_null(strstr(text, "Authorization"));
    assert_non_null(strstr(text, "<out_trade_no><![CDATA[T1]]></out_trade_no>"));
    assert_non_null(strstr(text, "<sign><![CDATA[<masked>]]></sign>"));
    char sign[WX_V2_SIGN_MAX];
    assert_int_equal(wx_v2_sign(g.sent, V2_KEY, WX_V2_SIGN_MD5, sign, NULL), WX_OK);
    assert_null(strstr(text, sign)); /* the request's sign is not in the log */
    assert_non_null(strstr(text, "< 200 (WX_OK)"));
    assert_non_null(strstr(text, "<total_fee><![CDATA[100]]></total_fee>"));
    /* a rejected answer is logged as an error, without its body */
    log.len = 0;
    g.mode = ANSWER_TAMPERED;
    r = micropay(c, NULL);
    assert_int_equal(wx_response_err(r), WX_E_VERIFY_SIGNATURE);
    wx_response_free(r);
    assert_non_null(strstr(wx_buf_str(&log), "< error: "));
    assert_null(strstr(wx_buf_str(&log), "<total_fee><![CDATA[1]]>"));
    /* a signed answer the spec does not allow */
    g.mode = ANSWER_OFF_SPEC;
    r = micropay(c, NULL);
    assert_int_equal(wx_response_err(r), WX_E_VALIDATION);
    assert_string_equal(wx_response_error_detail(r)->where, "device_info");
    assert_true(wx_response_violation_count(r) >= 1);
    wx_response_free(r);
    wx_client_free(c);
    /* ... which is the caller's business when validate_responses is off */
    c = client(0);
    r = micropay(c, NULL);
    assert_int_equal(wx_response_err(r), WX_OK);
    wx_response_free(r);
    wx_client_free(c);
    wx_buf_free(&log);
    json_object_put(g.sent);
    g.sent = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_on_the_wire),
        cmocka_unit_test(test_refused_before_sending),
        cmocka_unit_test(test_client_certificate_exactly_where_marked),
        cmocka_unit_test(test_answers_judged),
        cmocka_unit_test(test_community_specs),
        cmocka_unit_test(test_debug_hook_and_response_validation),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    json_object_put(g.sent); /* the last request the handler decoded */
    return failed;
}
