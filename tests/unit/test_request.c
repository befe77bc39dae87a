/* A request's way out and back in, on the in-memory transport: the signed request
 * against golden vectors and the openssl command line, response verification and every
 * way it rejects, validation that sends nothing, injection, HTTP errors, and a torture
 * run that fails each allocation in turn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>
#include <wechatpay/sys/transport_memory.h>

#include "alloc_counter.h"
#include "fake_server.h"
#include "testutil.h"
#include "util/buf.h"

#define SEED_BODY                                                                             \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":[{\"stock_id\":16474341," \
    "\"coupon_id\":\"11004999626\"}]}"

static wxt_fake g_fake;
static const char *g_nonce;

static wx_err fixed_nonce(void *ud, char out[64])
{
    snprintf(out, 64, "%s", (const char *)ud);
    return WX_OK;
}

static int64_t golden_clock(void *ud) { return *(int64_t *)ud; }

static wx_client_t *client_with(wx_client_options_t o)
{
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new(&o, &c, &err) != WX_OK)
        fail_msg("wx_client_new: %s", err.message);
    return c;
}

static wx_client_t *new_client(void) { return client_with(wxt_fake_options(&g_fake)); }

static int setup(void **state)
{
    wxt_fake_init(&g_fake);
    return 0;
}

static int teardown(void **state)
{
    wxt_fake_free(&g_fake);
    return 0;
}

static int before_each(void **state)
{
    wxt_fake_free(&g_fake);
    wxt_fake_init(&g_fake);
    g_nonce = NULL;
    return 0;
}

static char *golden(const char *kase, const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/golden/sign/%s/%s", WX_SOURCE_DIR, kase, file);
    char *s = wxt_read_file(path, NULL);
    if (!s)
        fail_msg("missing %s", path);
    return s;
}

/* The library reproduces the openssl-made golden Authorization header byte for byte. */
static void check_golden(const char *kase, const char *node, const wx_kv_t *vars,
                         const wx_kv_t *query, wx_method m)
{
    char *ts = golden(kase, "timestamp"), *nonce = golden(kase, "nonce"),
         *body = golden(kase, "body"), *auth = golden(kase, "authorization"),
         *target = golden(kase, "target");
    int64_t now = atoll(ts);
    wx_client_options_t o = wxt_fake_options(&g_fake);
    o.clock = golden_clock;
    o.clock_ud = &now;
    o.nonce = fixed_nonce;
    o.nonce_ud = nonce;
    o.no_request_validation = 1;
    g_fake.now = now;
    wx_client_t *c = client_with(o);
    wx_request_options_t ro = {.vars = vars, .query = query, .json_text = *body ? body : NULL};
    wx_response_t *r = wx_request(wx_chain(c, node), m, &ro);
    assert_string_equal(g_fake.last_target, target);
    assert_string_equal(g_fake.last_auth, auth);
    assert_true(g_fake.auth_ok);
    assert_int_equal(wx_response_err(r), WX_OK);
    wx_response_free(r);
    wx_client_free(c);
    free(ts), free(nonce), free(body), free(auth), free(target);
}

static void test_golden_signatures(void **state)
{
    check_golden("seed-post", "v3/industry-coupon/tokens", NULL, NULL, WX_POST);
    check_golden("get-with-query", "v3/pay/transactions/id/{transaction_id}",
                 (wx_kv_t[]){{"transaction_id", "1217752501201407033233368018"}, {0}},
                 (wx_kv_t[]){{"mchid", "1230000109"}, {0}}, WX_GET);
    check_golden("chinese-body", "v3/refund/domestic/refunds", NULL, NULL, WX_POST);
}

/* Our signature verifies with `openssl dgst -sha256 -verify`. */
static void test_signature_verifies_with_openssl(void **state)
{
    wx_client_t *c = new_client();
    wx_response_t *r = wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens")->post(
        &(wx_request_options_t){.json_text = SEED_BODY});
    assert_int_equal(wx_response_err(r), WX_OK);
    char nonce[128], sig[1024], ts[32];
    assert_true(sscanf(strstr(g_fake.last_auth, "nonce_str=\"") + 11, "%127[^\"]", nonce) == 1);
    assert_true(sscanf(strstr(g_fake.last_auth, "signature=\"") + 11, "%1023[^\"]", sig) == 1);
    assert_true(sscanf(strstr(g_fake.last_auth, "timestamp=\"") + 11, "%31[^\"]", ts) == 1);
    char *dir = wxt_tmpdir("sig-openssl");
    char *msg_path = wxt_path(dir, "message"), *sig_path = wxt_path(dir, "sig.b64");
    char msg[2048];
    int n = snprintf(msg, sizeof msg, "POST\n/v3/industry-coupon/tokens\n%s\n%s\n%s\n", ts, nonce,
                     SEED_BODY);
    wxt_write_file(msg_path, msg, (size_t)n);
    wxt_write_file(sig_path, sig, strlen(sig));
    char *out = NULL, *err = NULL;
    int rc = wxt_sh(&out, &err,
                    "cd '%s' && openssl base64 -d -A -in sig.b64 -out sig.bin && "
                    "openssl x509 -in '%s/tests/golden/keys/merchant_cert.pem' -pubkey -noout > pub.pem && "
                    "%s dgst -sha256 -verify pub.pem -signature sig.bin message",
                    dir, WX_SOURCE_DIR, OPENSSL_CLI);
    if (rc != 0)
        fail_msg("openssl rejected our signature: %s %s", out, err);
    assert_non_null(strstr(out, "Verified OK"));
    /* and a flipped message byte makes openssl reject it: the check can fail */
    msg[0] = 'G';
    wxt_write_file(msg_path, msg, (size_t)n);
    free(out), free(err);
    rc = wxt_sh(&out, &err, "cd '%s' && %s dgst -sha256 -verify pub.pem -signature sig.bin message",
                dir, OPENSSL_CLI);
    assert_int_not_equal(rc, 0);
    free(out), free(err), free(msg_path), free(sig_path), free(dir);
    wx_response_free(r);
    wx_client_free(c);
}

/* An openssl-signed response (golden vector) verifies in the library. */
static void test_openssl_signed_response_verifies(void **state)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/golden/verify/seed-200", WX_SOURCE_DIR);
    char *files[5];
    const char *names[5] = {"timestamp", "nonce", "body", "signature", "serial"};
    for (int i = 0; i < 5; i++) {
        char *p = wxt_path(path, names[i]);
        files[i] = wxt_read_file(p, NULL);
        free(p);
    }
    char *ts = files[0], *nonce = files[1], *body = files[2], *sig = files[3], *serial = files[4];
    wx_keyring_t *ring = wx_keyring_new();
    assert_int_equal(wx_keyring_add_pem(ring, serial, wxt_golden("platform_cert.pem"), NULL), WX_OK);
    wx_verifier_t *v = wx_verifier_apiv3(ring, 300);
    wx_kv_t headers[] = {{"Wechatpay-Timestamp", ts}, {"wechatpay-nonce", nonce},
                         {"Wechatpay-Signature", sig}, {"WECHATPAY-SERIAL", serial}, {0}};
    wx_verify_input_t in = {200, headers, body, strlen(body), atoll(ts) + 10};
    wx_error_t err = {0};
    assert_int_equal(v->verify(v->ctx, &in, &err), WX_OK);
    in.body_len--; /* one byte short */
    assert_int_equal(v->verify(v->ctx, &in, &err), WX_E_VERIFY_SIGNATURE);
    wx_verifier_free(v);
    wx_keyring_free(ring);
    free(ts), free(nonce), free(body), free(sig), free(serial);
}

static wx_response_t *seed_post(wx_client_t *c)
{
    return wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens")->post(
        &(wx_request_options_t){.json_text = SEED_BODY});
}

static void expect_rejected(wx_err want, const char *what)
{
    wx_client_t *c = new_client();
    wx_response_t *r = seed_post(c);
    if (wx_response_err(r) != want)
        fail_msg("%s: got %s (%s), want %s", what, wx_err_name(wx_response_err(r)),
                 wx_response_error_detail(r)->message, wx_err_name(want));
    assert_null(wx_response_body(r, NULL));
    assert_null(wx_response_json(r));
    assert_true(wx_response_error_detail(r)->message[0]);
    wx_response_free(r);
    wx_client_free(c);
}

static void test_response_verification(void **state)
{
    wx_client_t *c = new_client();
    wx_response_t *r = seed_post(c);
    assert_int_equal(wx_response_err(r), WX_OK);
    assert_int_equal(wx_response_status(r), 200);
    struct json_object *j = wx_response_json(r), *tok;
    assert_true(json_object_object_get_ex(j, "token", &tok));
    assert_string_equal(json_object_get_string(tok), "16824f40-aec1-11e8-a69c-f7a44da04f19");
    assert_string_equal(wx_response_header(r, "request-id"), "08F0A1B2C3D4");
    assert_non_null(strstr(wx_response_request_head(r), "POST /v3/industry-coupon/tokens HTTP/1.1"));
    wx_response_free(r);
    wx_client_free(c);

    g_fake.flip_body_byte = 5;
    expect_rejected(WX_E_VERIFY_SIGNATURE, "flipped body byte");
    before_each(NULL);
    g_fake.serial = "ABCDEF0000000000000000000000000000000000";
    expect_rejected(WX_E_VERIFY_SERIAL, "unknown serial");
    before_each(NULL);
    g_fake.ts_offset = -301;
    expect_rejected(WX_E_VERIFY_TIME, "timestamp 301 s old");
    before_each(NULL);
    g_fake.ts_offset = 301;
    expect_rejected(WX_E_VERIFY_TIME, "timestamp 301 s ahead");
    const char *headers[] = {"Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature",
                             "Wechatpay-Serial"};
    for (int i = 0; i < 4; i++) {
        before_each(NULL);
        g_fake.drop_header = headers[i];
        expect_rejected(WX_E_VERIFY_HEADER, headers[i]);
    }
}

static void test_invalid_body_sends_nothing(void **state)
{
    wx_client_t *c = new_client();
    wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")->post(&(wx_request_options_t){
        .json_text = "{\"open_id\":\"x\",\"coupon_list\":[{\"stock_id\":\"16474341\","
                     "\"coupon_id\":\"1\"},{\"coupon_id\":7}]}"});
    assert_int_equal(wx_response_err(r), WX_E_VALIDATION);
    assert_int_equal(g_fake.requests, 0);
    size_t n = wx_response_violation_count(r);
    assert_true(n >= 3);
    int saw_type = 0, saw_required = 0, saw_coupon = 0;
    for (size_t i = 0; i < n; i++) {
        const wx_violation_t *v = wx_response_violation(r, i);
        if (!strcmp(v->path, "coupon_list[0].stock_id") && strstr(v->reason, "expected integer, got string"))
            saw_type = 1;
        if (!strcmp(v->path, "coupon_list[1].stock_id") && strstr(v->reason, "required"))
            saw_required = 1;
        if (!strcmp(v->path, "coupon_list[1].coupon_id") && strstr(v->reason, "expected string"))
            saw_coupon = 1;
    }
    assert_true(saw_type && saw_required && saw_coupon);
    assert_null(wx_response_request_head(r));
    wx_response_free(r);

    r = wx_chain(c, "v3/industry-coupon/tokens")->post(&(wx_request_options_t){.json_text = "{\"open_id\":"});
    assert_int_equal(wx_response_err(r), WX_E_JSON);
    assert_non_null(strstr(wx_response_error_detail(r)->message, "malformed JSON"));
    wx_response_free(r);
    r = wx_chain(c, "v3/industry-coupon/tokens")->post(NULL);
    assert_int_equal(wx_response_err(r), WX_E_VALIDATION);
    wx_response_free(r);
    assert_int_equal(g_fake.requests, 0);
    /* validation can be skipped per request: then it is sent */
    r = wx_chain(c, "v3/industry-coupon/tokens")->post(
        &(wx_request_options_t){.json_text = "{}", .no_validation = 1});
    assert_int_equal(g_fake.requests, 1);
    wx_response_free(r);
    wx_client_free(c);
}

static void test_path_variables_and_injection(void **state)
{
    wx_client_t *c = new_client();
    wx_response_t *r = wx_chain(c, "v3/pay/transactions/id/{transaction_id}")->get(
        &(wx_request_options_t){.query = (wx_kv_t[]){{"mchid", "1230000109"}, {0}}});
    assert_int_equal(wx_response_err(r), WX_E_MISSING_VAR);
    assert_non_null(strstr(wx_response_error_detail(r)->where, "transaction_id"));
    wx_response_free(r);
    assert_int_equal(g_fake.requests, 0);

    r = wx_chain(c, "v3/pay/transactions/id/_transaction_id_")->get(&(wx_request_options_t){
        .vars = (wx_kv_t[]){{"transaction_id", "ab?c#d\r\n"}, {0}},
        .query = (wx_kv_t[]){{"mchid", "12&x=1"}, {0}}, .no_validation = 1});
    assert_string_equal(g_fake.last_target, "/v3/pay/transactions/id/ab%3Fc%23d%0D%0A?mchid=12%26x%3D1");
    wx_response_free(r);
    /* a slash in a value would go as %2F, which a server may decode: refused */
    r = wx_chain(c, "v3/pay/transactions/id/_transaction_id_")->get(&(wx_request_options_t){
        .vars = (wx_kv_t[]){{"transaction_id", "a/b"}, {0}}, .no_validation = 1});
    assert_int_equal(wx_response_err(r), WX_E_INVALID_ARG);
    assert_non_null(strstr(wx_response_error_detail(r)->message, "encoded slash"));
    wx_response_free(r);

    /* "." and ".." segments, from a chain or a value, in any spelling: the transport or
       the server would remove them, so what arrives is neither what was signed nor what
       the answer is judged as (under billdownload/file it would skip verification) */
    int before = g_fake.requests;
    static const struct { const char *path, *value; } dotted[] = {
        {"v3/billdownload/file/../../pay/transactions/id/1", NULL},
        {"v3/pay/./transactions/id/1", NULL},
        {"v3/%2E%2e/pay/transactions/id/1", NULL},
        {"v3/pay/.%2E/x", NULL},
        {"v3/pay/transactions/id/{transaction_id}", "."},
        {"v3/pay/transactions/id/{transaction_id}", ".."},
        {"v3/pay/transactions/id/{+transaction_id}", "%2e%2E"},
        {"v3/pay/transactions/{+rest}", "id/../x"},
    };
    for (size_t i = 0; i < sizeof dotted / sizeof dotted[0]; i++) {
        const char *name = strchr(dotted[i].path, '+') ? strchr(dotted[i].path, '+') + 1
                                                        : "transaction_id";
        char var[32];
        snprintf(var, sizeof var, "%.*s", (int)strcspn(name, "}"), name);
        r = wx_chain(c, dotted[i].path)->get(&(wx_request_options_t){
            .vars = (wx_kv_t[]){{var, dotted[i].value}, {0}}, .no_validation = 1});
        if (wx_response_err(r) != WX_E_INVALID_ARG)
            fail_msg("%s with %s: %s", dotted[i].path, dotted[i].value ? dotted[i].value : "-",
                     wx_err_name(wx_response_err(r)));
        assert_string_equal(wx_response_error_detail(r)->where, "path");
        wx_response_free(r);
    }
    assert_int_equal(g_fake.requests, before);
    /* dots in a longer segment, and a value's escaped dot, are data */
    static const struct { const char *value, *target; } data[] = {
        {"...", "/v3/pay/transactions/id/..."}, {"a..b", "/v3/pay/transactions/id/a..b"},
        {"%2e", "/v3/pay/transactions/id/%252e"}};
    for (size_t i = 0; i < sizeof data / sizeof data[0]; i++) {
        r = wx_chain(c, "v3/pay/transactions/id/{transaction_id}")->get(&(wx_request_options_t){
            .vars = (wx_kv_t[]){{"transaction_id", data[i].value}, {0}}, .no_validation = 1});
        assert_int_equal(wx_response_err(r), WX_OK);
        assert_string_equal(g_fake.last_target, data[i].target);
        wx_response_free(r);
    }

    before = g_fake.requests;
    r = wx_chain(c, "v3/industry-coupon/tokens")->post(&(wx_request_options_t){
        .json_text = SEED_BODY, .headers = (wx_kv_t[]){{"X-Evil", "a\r\nInjected: 1"}, {0}}});
    assert_int_equal(wx_response_err(r), WX_E_HEADER_VALUE);
    wx_response_free(r);
    r = wx_chain(c, "v3/industry-coupon/tokens")->post(&(wx_request_options_t){
        .json_text = SEED_BODY, .headers = (wx_kv_t[]){{"Bad Name", "x"}, {0}}});
    assert_int_equal(wx_response_err(r), WX_E_HEADER_VALUE);
    wx_response_free(r);
    r = wx_chain(c, "v3/industry-coupon/tokens")->post(&(wx_request_options_t){
        .json_text = SEED_BODY, .headers = (wx_kv_t[]){{"Authorization", "x"}, {0}}});
    assert_int_equal(wx_response_err(r), WX_E_INVALID_ARG);
    wx_response_free(r);
    assert_int_equal(g_fake.requests, before);
    /* an allowed extra header reaches the wire */
    r = wx_chain(c, "v3/industry-coupon/tokens")->post(&(wx_request_options_t){
        .json_text = SEED_BODY, .headers = (wx_kv_t[]){{"Wechatpay-Serial", "ABC"}, {0}}});
    assert_non_null(strstr(g_fake.last_headers, "Wechatpay-Serial: ABC\n"));
    assert_non_null(strstr(g_fake.last_headers, "User-Agent: wechatpay-c/"));
    /* ... naming the crypto backend, "(openssl/3.0.11; libcurl/..." */
    char ua_backend[80];
    snprintf(ua_backend, sizeof ua_backend, "(%s; ", wx_crypto_backend_version());
    assert_non_null(strstr(g_fake.last_headers, ua_backend));
    assert_non_null(strstr(g_fake.last_headers, "Content-Type: application/json\n"));
    wx_response_free(r);
    wx_client_free(c);
}

static void test_http_error_is_reported(void **state)
{
    g_fake.status = 400;
    g_fake.body = "{\"code\":\"PARAM_ERROR\",\"message\":\"参数错误\"}";
    wx_client_t *c = new_client();
    wx_response_t *r = seed_post(c);
    assert_int_equal(wx_response_err(r), WX_E_HTTP);
    assert_int_equal(wx_response_status(r), 400);
    assert_string_equal(wx_response_error_detail(r)->server_code, "PARAM_ERROR");
    assert_string_equal(wx_response_error_detail(r)->server_message, "参数错误");
    assert_int_equal(wx_response_error_detail(r)->http_status, 400);
    assert_non_null(wx_response_body(r, NULL)); /* verified, so readable */
    wx_response_free(r);
    /* a forged error response is a forgery first */
    g_fake.flip_body_byte = 3;
    r = seed_post(c);
    assert_int_equal(wx_response_err(r), WX_E_VERIFY_SIGNATURE);
    wx_response_free(r);
    /* a dead server */
    g_fake.transport_error = WX_E_TRANSPORT;
    r = seed_post(c);
    assert_int_equal(wx_response_err(r), WX_E_TRANSPORT);
    assert_null(wx_response_body(r, NULL));
    wx_response_free(r);
    wx_client_free(c);
}

static void test_retries(void **state)
{
    /* nothing reached the server: sent again, freshly signed */
    g_fake.transport_error = WX_E_CONNECT;
    g_fake.fail_first = 1;
    wx_client_t *c = new_client();
    wx_response_t *r = seed_post(c);
    assert_int_equal(wx_response_err(r), WX_OK);
    assert_int_equal(g_fake.requests, 2);
    assert_true(g_fake.auth_ok);
    wx_response_free(r);
    /* the server may have seen it: not sent again ... */
    g_fake.requests = 0;
    g_fake.transport_error = WX_E_TRANSPORT;
    g_fake.fail_first = 1;
    r = seed_post(c);
    assert_int_equal(wx_response_err(r), WX_E_TRANSPORT);
    assert_int_equal(g_fake.requests, 1);
    wx_response_free(r);
    /* ... unless the caller says it is safe */
    g_fake.requests = 0;
    r = wx_chain(c, "v3/industry-coupon/tokens")->post(
        &(wx_request_options_t){.json_text = SEED_BODY, .retry_safe = 1});
    assert_int_equal(wx_response_err(r), WX_OK);
    assert_int_equal(g_fake.requests, 2);
    wx_response_free(r);
    /* a 5xx is retried only when safe, and the budget is bounded */
    g_fake.transport_error = WX_OK;
    g_fake.requests = 0;
    g_fake.status = 500;
    g_fake.body = "{\"code\":\"SYSTEM_ERROR\",\"message\":\"busy\"}";
    r = seed_post(c);
    assert_int_equal(wx_response_err(r), WX_E_HTTP);
    assert_int_equal(g_fake.requests, 1);
    wx_response_free(r);
    g_fake.requests = 0;
    r = wx_chain(c, "v3/industry-coupon/tokens")->post(
        &(wx_request_options_t){.json_text = SEED_BODY, .retry_safe = 1});
    assert_int_equal(wx_response_err(r), WX_E_HTTP);
    assert_int_equal(g_fake.requests, 2); /* default: one extra attempt */
    wx_response_free(r);
    wx_client_free(c);

    /* no retries at all, and a backup domain */
    before_each(NULL);
    g_fake.transport_error = WX_E_CONNECT;
    wx_client_options_t o = wxt_fake_options(&g_fake);
    o.max_retries = -1;
    c = client_with(o);
    r = seed_post(c);
    assert_int_equal(wx_response_err(r), WX_E_CONNECT);
    assert_int_equal(g_fake.requests, 1);
    wx_response_free(r);
    wx_client_free(c);
    g_fake.requests = 0;
    g_fake.fail_first = 1;
    o = wxt_fake_options(&g_fake);
    o.backup_base_url = "https://api2.mch.weixin.qq.com";
    c = client_with(o);
    r = seed_post(c);
    assert_int_equal(wx_response_err(r), WX_OK);
    assert_int_equal(g_fake.requests, 2);
    assert_string_equal(g_fake.last_url, "https://api2.mch.weixin.qq.com/v3/industry-coupon/tokens");
    wx_response_free(r);
    wx_client_free(c);
}

static void test_bad_nonce_is_refused(void **state)
{
    static const char *const bad[] = {"", "abc\",mchid=\"666", "a b", "a\r\nb"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wx_client_options_t o = wxt_fake_options(&g_fake);
        o.nonce = fixed_nonce;
        o.nonce_ud = (void *)bad[i];
        wx_client_t *c = client_with(o);
        int before = g_fake.requests;
        wx_response_t *r = seed_post(c);
        assert_int_equal(wx_response_err(r), WX_E_SIGN);
        assert_int_equal(g_fake.requests, before);
        wx_response_free(r);
        wx_client_free(c);
    }
    /* the unsigned-download rule matches the path, not a prefix of a name (a path no
       spec describes: validation on, not the tests' strict) */
    wx_client_options_t o = wxt_fake_options(&g_fake);
    o.validation = WX_VALIDATION_ON;
    wx_client_t *c = client_with(o);
    g_fake.sign_key = "other"; /* a signature that does not verify */
    wx_response_t *r = wx_chain(c, "v3/billdownload/filez")->get(NULL);
    assert_int_equal(wx_response_err(r), WX_E_VERIFY_SIGNATURE);
    wx_response_free(r);
    wx_client_free(c);
}

static void test_client_options_errors(void **state)
{
    wx_client_options_t o = wxt_fake_options(&g_fake);
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    o.mchid = NULL;
    assert_int_equal(wx_client_new(&o, &c, &err), WX_E_CONFIG);
    assert_string_equal(err.where, "mchid");
    wx_transport_free(o.transport); /* still the caller's after a failure */
    o = wxt_fake_options(&g_fake);
    wx_transport_free(o.transport);
    o.transport = NULL;
    o.private_key_pem = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n";
    assert_int_equal(wx_client_new(&o, &c, &err), WX_E_KEY);
    assert_non_null(strstr(err.message, "merchant private key"));
    assert_null(strstr(err.message, "BEGIN"));
    o = wxt_fake_options(&g_fake);
    wx_transport_free(o.transport);
    o.transport = NULL;
    o.base_url = "ftp://example.com";
    assert_int_equal(wx_client_new(&o, &c, &err), WX_E_CONFIG);
    assert_string_equal(err.where, "base_url");
    assert_null(c);
    o.base_url = "https://api.mch.weixin.qq.com/v3/"; /* would sign one path, send another */
    assert_int_equal(wx_client_new(&o, &c, &err), WX_E_CONFIG);
    assert_string_equal(err.where, "base_url");
    o.base_url = "https://api.mch.weixin.qq.com:443/";
    assert_int_equal(wx_client_new(&o, &c, &err), WX_OK);
    wx_client_free(c);
    o = wxt_fake_options(&g_fake);
    o.base_url = "https://api.mch.weixin.qq.com";
    assert_int_equal(wx_client_new(&o, &c, &err), WX_OK);
    wx_client_free(c);
}

static void test_config_file(void **state)
{
    char *dir = wxt_tmpdir("config");
    char *key = wxt_path(dir, "key.pem"), *cert = wxt_path(dir, "cert.pem"),
         *cfg = wxt_path(dir, "CONFIG.json");
    wxt_write_file(key, wxt_golden("merchant_key.pem"), strlen(wxt_golden("merchant_key.pem")));
    wxt_write_file(cert, wxt_golden("platform_cert.pem"), strlen(wxt_golden("platform_cert.pem")));
    wx_client_options_t o = wxt_fake_options(&g_fake);
    wx_client_options_t over = {.transport = o.transport, .clock = o.clock, .no_env_spec_path = 1};
    static const struct {
        const char *json;
        wx_err want;
        const char *where;
    } cases[] = {
        {"{\"mchid\":\"1900000001\",\"serial\":\"3C9A2F1B7E5D4C3B2A1908F7E6D5C4B3A2918070\","
         "\"private_key\":\"key.pem\",\"platform\":{\"5157F09EFDC096DE15EBE81A47057A7232F1B8E1\":\"cert.pem\"}}",
         WX_OK, ""},
        {"{\"serial\":\"3C9A\",\"private_key\":\"key.pem\",\"platform\":{}}", WX_E_CONFIG, "mchid"},
        {"{\"mchid\":\"1\",\"serial\":\"3C9A\",\"private_key\":\"missing.pem\",\"platform\":{}}",
         WX_E_IO, "private_key"},
        {"{\"mchid\":\"1\",\"serial\":\"3C9A\",\"private_key\":\"key.pem\"}", WX_E_CONFIG, "platform"},
        {"{\"mchid\":\"1\",\"serial\":\"3C9A\",\"private_key\":\"key.pem\",\"auto_refresh_certificates\":true,"
         "\"apiv3_key\":\"0123456789abcdef0123456789abcdef\"}", WX_OK, ""},
        {"{\"mchid\":\"1\",\"serial\":\"3C9A\",\"private_key\":\"key.pem\",\"auto_refresh_certificates\":1}",
         WX_E_CONFIG, "auto_refresh_certificates"},
        {"{\"mchid\":1}", WX_E_CONFIG, "mchid"},
        {"{\"mchid\":\"1\",", WX_E_JSON, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wxt_write_file(cfg, cases[i].json, strlen(cases[i].json));
        wx_client_t *c = NULL;
        wx_error_t err = {0};
        wx_err rc = wx_client_new_from_config(cfg, &over, &c, &err);
        if (rc != cases[i].want)
            fail_msg("case %zu: %s (%s)", i, wx_err_name(rc), err.message);
        if (cases[i].where)
            assert_string_equal(err.where, cases[i].where);
        if (rc == WX_OK) {
            over.transport = wx_transport_memory(wxt_fake_handler, &g_fake); /* taken */
            wx_client_free(c);
        }
    }
    wx_transport_free(over.transport);
    free(key), free(cert), free(cfg), free(dir);
}

static void debug_sink(void *ud, const char *text, size_t len)
{
    wx_buf *b = ud;
    wx_buf_append(b, text, len);
}

static void test_debug_hook_masks_signature(void **state)
{
    wx_buf log = WX_BUF_INIT;
    wx_client_options_t o = wxt_fake_options(&g_fake);
    o.debug = debug_sink;
    o.debug_ud = &log;
    wx_client_t *c = client_with(o);
    wx_response_free(seed_post(c));
    char sig[1024];
    assert_true(sscanf(strstr(g_fake.last_auth, "signature=\"") + 11, "%1023[^\"]", sig) == 1);
    assert_non_null(strstr(wx_buf_str(&log), "signature=\"<masked>\""));
    assert_null(strstr(wx_buf_str(&log), sig));
    assert_non_null(strstr(wx_buf_str(&log), "16824f40"));
    wx_buf_free(&log);
    wx_client_free(c);
}

/* Fail every allocation of a whole request in turn: each run ends in a response
 * (an error one) and, under ASan/valgrind, leaks nothing. */
static void test_allocation_failures(void **state)
{
    wxt_alloc_install();
    long n = 1;
    for (long stride = wxt_alloc_torture_stride();; n += stride) {
        wx_client_options_t o = wxt_fake_options(&g_fake);
        wx_client_t *c = NULL;
        wxt_alloc_fail_at(n);
        wx_err rc = wx_client_new(&o, &c, NULL);
        if (rc != WX_OK) {
            assert_null(c);
            wx_transport_free(o.transport);
            continue;
        }
        wx_response_t *r = seed_post(c);
        assert_non_null(r);
        int failed = wxt_alloc_failed();
        if (!failed)
            assert_int_equal(wx_response_err(r), WX_OK);
        wx_response_free(r);
        wx_client_free(c);
        if (!failed)
            break;
    }
    wxt_alloc_uninstall();
    print_message("torture: %ld allocation points exercised\n", n);
    assert_true(n > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_golden_signatures, before_each),
        cmocka_unit_test_setup(test_signature_verifies_with_openssl, before_each),
        cmocka_unit_test_setup(test_openssl_signed_response_verifies, before_each),
        cmocka_unit_test_setup(test_response_verification, before_each),
        cmocka_unit_test_setup(test_invalid_body_sends_nothing, before_each),
        cmocka_unit_test_setup(test_path_variables_and_injection, before_each),
        cmocka_unit_test_setup(test_http_error_is_reported, before_each),
        cmocka_unit_test_setup(test_retries, before_each),
        cmocka_unit_test_setup(test_bad_nonce_is_refused, before_each),
        cmocka_unit_test_setup(test_client_options_errors, before_each),
        cmocka_unit_test_setup(test_config_file, before_each),
        cmocka_unit_test_setup(test_debug_hook_masks_signature, before_each),
        cmocka_unit_test_setup(test_allocation_failures, before_each),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
