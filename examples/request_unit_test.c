/* How a merchant tests the requests their own code builds, in their own unit tests,
 * without a network and without WeChat Pay: the README's "Testing your requests".
 *
 *   request_unit_test CONFIG.json [CAPTURED_BODY_OUT]
 *
 * CONFIG.json gives the merchant key the requests are signed with (a throwaway one from
 * `wxpay keys gen` does). Three things are shown:
 *  1. the client validates every request against its spec before it is sent, and with
 *     `validation` strict also refuses a path no spec describes: the code under test
 *     gets WX_E_VALIDATION and the violations, nothing reaches the transport;
 *  2. the in-memory transport (wechatpay/sys/transport_memory.h) takes what would have
 *     gone over the wire and answers it, so the test sees the exact signed request;
 *  3. the public validation call (wx_spec_find + wx_endpoint_validate_request) judges a
 *     request by itself, e.g. the one captured, as `wxpay validate` does in a shell test
 *     (the captured body is written to CAPTURED_BODY_OUT for that).
 * Exit status 0 when every check holds, 1 with the failed check on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>
#include <wechatpay/sys/transport_memory.h>

/* ------------------------------------------------ the code under test (the application) */

/* Place a Native order: the function a merchant's application has and wants to test. */
static wx_response_t *create_native_order(wx_client_t *c, const char *out_trade_no, int total)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"1900000001\","
             "\"description\":\"Image store - QQ doll\",\"out_trade_no\":\"%s\","
             "\"notify_url\":\"https://www.example.com/wxpay/notify\","
             "\"amount\":{\"total\":%d,\"currency\":\"CNY\"}}",
             out_trade_no, total);
    return wx_chain(c, "v3/pay/transactions/native")->post(&(wx_request_options_t){
        .json_text = body});
}

/* ------------------------------------------------------------------ the test's doubles */

/* What the in-memory transport received. */
typedef struct captured {
    int requests;
    char method[8];
    char url[256];
    char *body;
} captured;

/* Stands in for WeChat Pay: keeps the request, answers as the real endpoint would. */
static wx_err fake_wechatpay(void *ud, const wx_http_request_t *req, wx_http_response_t *resp)
{
    captured *cap = ud;
    cap->requests++;
    snprintf(cap->method, sizeof cap->method, "%s", req->method);
    snprintf(cap->url, sizeof cap->url, "%s", req->url);
    free(cap->body);
    size_t n = req->body ? req->body_len : 0;
    if ((cap->body = malloc(n + 1)) != NULL) {
        memcpy(cap->body, n ? req->body : "", n);
        cap->body[n] = 0;
    }
    static const char answer[] = "{\"code_url\":\"weixin://wxpay/bizpayurl?pr=p4lpSuKzz\"}";
    wx_http_response_set_status(resp, 200);
    wx_http_response_add_header(resp, "Content-Type", 12, "application/json", 16);
    return wx_http_response_append(resp, answer, sizeof answer - 1);
}

/* The answers of the fake are not signed by WeChat Pay: this test is about the requests,
 * so its client takes them as they are. Never use such a verifier outside a test. */
static wx_err accept_unsigned(void *ctx, const wx_verify_input_t *in, wx_error_t *err)
{
    (void)ctx, (void)in, (void)err;
    return WX_OK;
}

static int failures;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);  \
            failures++;                                                               \
        }                                                                             \
    } while (0)

/* ---------------------------------------------------------------------------- the tests */

/* A good order is valid, signed and sent; the test reads what went over the wire. */
static void test_good_order(wx_client_t *c, captured *cap)
{
    wx_response_t *r = create_native_order(c, "order_20261203_0001", 100);
    CHECK(wx_response_err(r) == WX_OK);
    CHECK(cap->requests == 1);
    CHECK(strcmp(cap->method, "POST") == 0);
    CHECK(strstr(cap->url, "/v3/pay/transactions/native") != NULL);
    struct json_object *answer = wx_response_json(r);
    CHECK(answer && json_object_object_get_ex(answer, "code_url", NULL));
    wx_response_free(r);
}

/* A bug in the code under test (an order number shorter than WeChat Pay's 6 characters)
 * is caught before sending, with the field named. */
static void test_bad_order_is_not_sent(wx_client_t *c, captured *cap)
{
    int before = cap->requests;
    wx_response_t *r = create_native_order(c, "A1", 100);
    CHECK(wx_response_err(r) == WX_E_VALIDATION);
    CHECK(wx_response_violation_count(r) == 2); /* minLength and pattern */
    const wx_violation_t *v = wx_response_violation(r, 0);
    CHECK(v && strcmp(v->path, "out_trade_no") == 0);
    for (size_t i = 0; i < wx_response_violation_count(r); i++)
        printf("  refused as expected: %s: %s\n", wx_response_violation(r, i)->path,
               wx_response_violation(r, i)->reason);
    CHECK(cap->requests == before);
    wx_response_free(r);
}

/* With validation strict, a path no spec describes (a typo) is refused, not sent. */
static void test_unknown_path_is_not_sent(wx_client_t *c, captured *cap)
{
    int before = cap->requests;
    wx_response_t *r = wx_chain(c, "v3/pay/transactions/natve")->post(&(wx_request_options_t){
        .json_text = "{}"});
    CHECK(wx_response_err(r) == WX_E_VALIDATION);
    CHECK(strstr(wx_response_error_detail(r)->message, "v3/pay/transactions/natve") != NULL);
    CHECK(cap->requests == before);
    wx_response_free(r);
}

/* The public validation call judges a request on its own: here the body captured from the
 * wire, against the spec compiled into the library. */
static void test_captured_request_meets_its_spec(captured *cap)
{
    wx_spec_t *spec = NULL;
    const wx_endpoint_t *ep = NULL;
    struct json_object *vars = NULL;
    wx_violations_t *v = NULL;
    wx_error_t err = {0};
    CHECK(wx_spec_new(NULL, &spec, &err) == WX_OK);
    CHECK(wx_spec_find(spec, "POST", "/v3/pay/transactions/native", &ep, &vars, &err) == WX_OK);
    struct json_object *body = json_tokener_parse(cap->body ? cap->body : "");
    wx_request_view_t view = {.path_vars = vars, .body = body, .has_body = 1};
    CHECK(ep && wx_endpoint_validate_request(ep, &view, &v) == WX_OK);
    CHECK(v && wx_violations_count(v) == 0);
    /* the same call finds what is wrong with a body the application might build */
    json_object_object_del(body, "notify_url");
    wx_violations_free(v);
    v = NULL;
    CHECK(ep && wx_endpoint_validate_request(ep, &view, &v) == WX_E_VALIDATION);
    CHECK(v && wx_violations_count(v) == 1 &&
          strcmp(wx_violations_at(v, 0)->path, "notify_url") == 0);
    wx_violations_free(v);
    json_object_put(body);
    json_object_put(vars);
    wx_spec_free(spec);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CONFIG.json [CAPTURED_BODY_OUT]\n", argv[0]);
        return 2;
    }
    captured cap = {0};
    static wx_verifier_t verifier = {.version = WX_VERIFIER_VERSION, .verify = accept_unsigned};
    wx_client_options_t o = WX_CLIENT_OPTIONS_INIT;
    o.transport = wx_transport_memory(fake_wechatpay, &cap);
    o.verifier = &verifier;
    o.validation = WX_VALIDATION_STRICT;
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new_from_config(argv[1], &o, &c, &err) != WX_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], err.message);
        return 2;
    }
    test_good_order(c, &cap);
    test_bad_order_is_not_sent(c, &cap);
    test_unknown_path_is_not_sent(c, &cap);
    test_captured_request_meets_its_spec(&cap);
    if (argc > 2 && cap.body) {
        FILE *f = fopen(argv[2], "w");
        CHECK(f && fputs(cap.body, f) >= 0 && fclose(f) == 0);
    }
    free(cap.body);
    wx_client_free(c);
    printf("%s\n", failures ? "request tests failed" : "request tests passed");
    return failures ? 1 : 0;
}
