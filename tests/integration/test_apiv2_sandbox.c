#define _GNU_SOURCE 1 /* strcasestr */
/* APIv2 against the sandbox (`wxpay mock`), through the library: the till flow in every
 * chain form, sync and async; reversal and refunds on the same state; a wrong APIv2
 * key; the till example; and `wxpay POST v2/...` with its exit codes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

#include "testutil.h"

static wxt_mock g_mock;
static wx_client_t *g_client;

static int setup(void **state)
{
    (void)state;
    wxt_mock_start(&g_mock, NULL);
    /* Every answer of the sandbox is also checked against its spec. */
    wx_client_options_t o = {.base_url = g_mock.base_url, .validate_responses = 1};
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
        fail_msg("%s: %s", wx_err_name(wx_response_err(r)), wx_response_error_detail(r)->message);
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
    assert_string_equal(wx_response_error_detail(r)->server_code, "USERPAYING");
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
    assert_string_equal(wx_response_error_detail(r)->server_code, "AUTH_CODE_INVALID");
    wx_response_free(r);
    r = wx_chain(g_client, "v2/pay/orderquery")->post(body(buf, sizeof buf, "APIV2-NONE", NULL));
    assert_string_equal(wx_response_error_detail(r)->server_code, "ORDERNOTEXIST");
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
    assert_string_equal(wx_response_error_detail(r)->server_code, "NOTENOUGH");
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
    assert_string_equal(wx_response_error_detail(r)->server_code, "FAIL");
    assert_non_null(strstr(wx_response_error_detail(r)->server_message, "签名错误"));
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
    /* -v shows an APIv2 exchange too (the debug hook), the request's sign masked */
    out = run(1, "%s -v -c %s --base-url %s --json '{\"appid\":\"wx1\",\"mch_id\":\"1900000001\","
                 "\"out_trade_no\":\"CLI-NONE\"}' POST v2/pay/orderquery 2>&1",
              w, g_mock.config, g_mock.base_url);
    assert_non_null(strstr(out, "> POST /pay/orderquery HTTP/1.1"));
    assert_non_null(strstr(out, "<out_trade_no><![CDATA[CLI-NONE]]></out_trade_no>"));
    assert_non_null(strstr(out, "<sign><![CDATA[<masked>]]></sign></xml>"));
    assert_non_null(strstr(out, "< 200 (WX_E_HTTP)"));
    free(out);
    out = run(2, "%s -c %s --base-url %s --json '{\"mch_id\":\"1234\"}' POST v2/pay/orderquery 2>&1",
              w, g_mock.config, g_mock.base_url);
    assert_non_null(strstr(out, "nothing was sent"));
    free(out);
}

/* ---------------------------------------------------------------- --tls */

static wx_client_t *tls_client(const wxt_mock *m, const char *cert, const char *password)
{
    char *ca = wxt_path(m->keys_dir, "mock-ca.pem");
    wx_client_options_t o = {.base_url = m->base_url, .ca_file = ca,
                             .merchant_cert_path = cert, .merchant_cert_password = password};
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new_from_config(m->config, &o, &c, &err) != WX_OK)
        fail_msg("client: %s", err.message);
    free(ca);
    return c;
}

typedef struct answer_buf {
    char *data;
    size_t len;
} answer_buf;

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    answer_buf *a = ud;
    char *d = realloc(a->data, a->len + size * n + 1);
    if (!d)
        return 0;
    memcpy(d + a->len, p, size * n);
    a->len += size * n;
    d[a->len] = 0;
    a->data = d;
    return size * n;
}

/* POST @p xml to the sandbox @p m by hand (libcurl), with no client certificate. */
static char *post_raw(const wxt_mock *m, const char *path, const char *xml)
{
    char *ca = wxt_path(m->keys_dir, "mock-ca.pem"), url[256];
    snprintf(url, sizeof url, "%s%s", m->base_url, path);
    answer_buf a = {0};
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, xml);
    if (!strncmp(url, "https:", 6))
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_cleanup(h);
    free(ca);
    return a.data ? a.data : strdup("");
}

static char *apiv2_key_of(const wxt_mock *m)
{
    char *cfg = wxt_read_file(m->config, NULL);
    json_object *j = json_tokener_parse(cfg);
    char *key = strdup(json_object_get_string(json_object_object_get(j, "apiv2_key")));
    json_object_put(j);
    free(cfg);
    return key;
}

/* A reversal signed by hand, sent without a client certificate. */
static char *reverse_without_certificate(const wxt_mock *m, const char *key)
{
    json_object *f = json_tokener_parse("{\"appid\":\"wx1\",\"mch_id\":\"1900000001\","
                                        "\"out_trade_no\":\"TLS-PAID\",\"nonce_str\":\"n1\"}");
    char sign[WX_V2_SIGN_MAX], *xml = NULL;
    assert_int_equal(wx_v2_sign(f, key, WX_V2_SIGN_MD5, sign, NULL), WX_OK);
    json_object_object_add(f, "sign", json_object_new_string(sign));
    assert_int_equal(wx_v2_xml_encode(f, &xml, NULL, NULL), WX_OK);
    json_object_put(f);
    char *out = post_raw(m, "secapi/pay/reverse", xml);
    wx_free(xml);
    return out;
}

/* The request as the official PHP SDK writes it: values as escaped text (CDATA only
 * for text with <, >, & or "), no sign_type, the sign over the ksort()ed fields. */
static void test_php_sdk_shaped_request(void **state)
{
    (void)state;
    char *key = apiv2_key_of(&g_mock);
    json_object *f = json_tokener_parse("{\"appid\":\"wx1\",\"mch_id\":\"1900000001\",\"body\":\"A & B\","
        "\"out_trade_no\":\"PHP-1\",\"total_fee\":\"7\",\"spbill_create_ip\":\"1.2.3.4\","
        "\"auth_code\":\"134567890123456781\",\"nonce_str\":\"Zx9PhpNonce\"}");
    char sign[WX_V2_SIGN_MAX], xml[1024];
    assert_int_equal(wx_v2_sign(f, key, WX_V2_SIGN_MD5, sign, NULL), WX_OK);
    snprintf(xml, sizeof xml, "<xml><appid>wx1</appid><mch_id>1900000001</mch_id><body><![CDATA[A & B]]></body>"
             "<out_trade_no>PHP-1</out_trade_no><total_fee>7</total_fee><spbill_create_ip>1.2.3.4"
             "</spbill_create_ip><auth_code>134567890123456781</auth_code><nonce_str>Zx9PhpNonce"
             "</nonce_str><sign>%s</sign></xml>", sign);
    char *out = post_raw(&g_mock, "pay/micropay", xml);
    json_object *a = NULL;
    assert_int_equal(wx_v2_xml_decode(out, strlen(out), &a, NULL), WX_OK);
    assert_string_equal(json_object_get_string(json_object_object_get(a, "result_code")), "SUCCESS");
    /* and the answer verifies as the PHP SDK checks it: by the sign's length */
    assert_int_equal(wx_v2_verify(a, key, WX_V2_SIGN_BY_LENGTH, NULL), WX_OK);
    json_object_put(a);
    json_object_put(f);
    free(out);
    free(key);
}

static void test_tls_client_certificate(void **state)
{
    (void)state;
    wxt_mock m;
    const char *args[] = {"--tls", NULL};
    wxt_mock_start(&m, args);
    char buf[512];
    /* PEM merchant_cert (CONFIG.json's): the secure call goes with it */
    wx_client_t *c = tls_client(&m, NULL, NULL);
    wx_response_t *r = wx_chain(c, "v2/pay/micropay")->post(body(buf, sizeof buf, "TLS-PAID",
        ",\"body\":\"b\",\"total_fee\":5,\"spbill_create_ip\":\"1.2.3.4\",\"auth_code\":\"134567890123456781\""));
    expect_ok(r);
    wx_response_free(r);
    r = wx_chain(c, "v2/secapi/pay/refund")->post(body(buf, sizeof buf, "TLS-PAID",
        ",\"out_refund_no\":\"TLS-R1\",\"total_fee\":5,\"refund_fee\":1"));
    expect_ok(r);
    wx_response_free(r);
    wx_client_free(c);
    /* the merchant's PKCS#12 file with its passphrase, as merchants download it */
    char *dir = wxt_tmpdir("apiv2-p12"), *p12 = wxt_path(dir, "apiclient_cert.p12");
    assert_int_equal(wxt_sh(NULL, NULL, "%s pkcs12 -export -in '%s/merchant_cert.pem' -inkey "
                                        "'%s/merchant_key.pem' -passout pass:1900000001 -out '%s'",
                            OPENSSL_CLI, m.keys_dir, m.keys_dir, p12), 0);
    c = tls_client(&m, p12, "1900000001");
    r = wx_chain(c, "v2/secapi/pay/refund")->post(body(buf, sizeof buf, "TLS-PAID",
        ",\"out_refund_no\":\"TLS-R2\",\"total_fee\":5,\"refund_fee\":1"));
    expect_ok(r);
    wx_response_free(r);
    wx_client_free(c);
    /* without the certificate the sandbox refuses the secure call, as WeChat Pay does */
    char *key = apiv2_key_of(&m);
    char *out = reverse_without_certificate(&m, key);
    assert_non_null(strstr(out, "FAIL"));
    assert_non_null(strstr(out, "merchant certificate"));
    free(out);
    free(key);
    free(p12);
    free(dir);
    assert_int_equal(wxt_mock_stop(&m), 0);
}

/* ---------------------------------------------------------------- callbacks */

/* A merchant's notify_url on loopback: takes one POST, keeps its body, answers SUCCESS. */
typedef struct receiver {
    int fd, port;
    pthread_t thread;
    char body[8192];
} receiver;

static void *receive_one(void *ud)
{
    receiver *rc = ud;
    int c = accept(rc->fd, NULL, NULL);
    char buf[16384];
    size_t got = 0;
    ssize_t n;
    const char *end = NULL;
    long want = -1;
    while (c >= 0 && got < sizeof buf - 1 && (n = read(c, buf + got, sizeof buf - 1 - got)) > 0) {
        got += (size_t)n;
        buf[got] = 0;
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strcasestr(buf, "Content-Length:");
            want = cl ? strtol(cl + 15, NULL, 10) : 0;
        }
        if (end && (long)(got - (size_t)(end + 4 - buf)) >= want)
            break;
    }
    if (end)
        snprintf(rc->body, sizeof rc->body, "%s", end + 4);
    const char *answer = "<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>";
    char head[128];
    int h = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     strlen(answer));
    if (c >= 0) {
        (void)!write(c, head, (size_t)h);
        (void)!write(c, answer, strlen(answer));
        close(c);
    }
    return NULL;
}

static void receiver_start(receiver *rc)
{
    memset(rc, 0, sizeof *rc);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    rc->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(rc->fd >= 0);
    assert_int_equal(bind(rc->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(rc->fd, 4), 0);
    assert_int_equal(getsockname(rc->fd, (struct sockaddr *)&sa, &len), 0);
    rc->port = ntohs(sa.sin_port);
    pthread_create(&rc->thread, NULL, receive_one, rc);
}

static void receiver_wait(receiver *rc)
{
    pthread_join(rc->thread, NULL);
    close(rc->fd);
}

static void control(const char *path, const char *json)
{
    char *out = post_raw(&g_mock, path, json);
    free(out);
}

static void test_callbacks(void **state)
{
    (void)state;
    char buf[1024], extra[512];
    receiver rc;
    receiver_start(&rc);
    snprintf(extra, sizeof extra, ",\"body\":\"b\",\"total_fee\":30,\"spbill_create_ip\":\"1.2.3.4\","
             "\"trade_type\":\"NATIVE\",\"product_id\":\"p1\",\"notify_url\":\"http://127.0.0.1:%d/pay\"", rc.port);
    wx_response_t *r = wx_chain(g_client, "v2/pay/unifiedorder")->post(body(buf, sizeof buf, "CB-1", extra));
    expect_ok(r);
    assert_non_null(strstr(field(r, "code_url"), "weixin://"));
    wx_response_free(r);
    control("mock/pay", "{\"out_trade_no\":\"CB-1\"}");
    receiver_wait(&rc);
    /* what the merchant received verifies with the client's APIv2 key */
    wx_v2_notification_t *n = NULL;
    wx_error_t err = {0};
    if (wx_v2_notify_verify(g_client, rc.body, strlen(rc.body), &n, &err) != WX_OK)
        fail_msg("payment callback: %s\n%s", err.message, rc.body);
    assert_int_equal(n->kind, WX_V2_NOTIFY_PAYMENT);
    assert_string_equal(json_object_get_string(json_object_object_get(n->fields, "out_trade_no")), "CB-1");
    assert_string_equal(json_object_get_string(json_object_object_get(n->fields, "total_fee")), "30");
    wx_v2_notification_free(n);

    /* a refund of it, completed by the control API: req_info decrypts */
    receiver_start(&rc);
    snprintf(extra, sizeof extra, ",\"out_refund_no\":\"CB-R1\",\"total_fee\":30,\"refund_fee\":10,"
             "\"notify_url\":\"http://127.0.0.1:%d/refund\"", rc.port);
    r = wx_chain(g_client, "v2/secapi/pay/refund")->post(body(buf, sizeof buf, "CB-1", extra));
    expect_ok(r);
    wx_response_free(r);
    control("mock/refund/succeed", "{\"out_refund_no\":\"CB-R1\"}");
    receiver_wait(&rc);
    if (wx_v2_notify_verify(g_client, rc.body, strlen(rc.body), &n, &err) != WX_OK)
        fail_msg("refund callback: %s\n%s", err.message, rc.body);
    assert_int_equal(n->kind, WX_V2_NOTIFY_REFUND);
    assert_string_equal(json_object_get_string(json_object_object_get(n->req_info, "refund_fee")), "10");
    assert_string_equal(json_object_get_string(json_object_object_get(n->req_info, "refund_status")), "SUCCESS");
    wx_v2_notification_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_till_flow),
        cmocka_unit_test(test_reverse_and_refund),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_till_example),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_tls_client_certificate),
        cmocka_unit_test(test_php_sdk_shaped_request),
        cmocka_unit_test(test_callbacks),
    };
    return cmocka_run_group_tests_name("APIv2 against the sandbox", tests, setup, teardown);
}
