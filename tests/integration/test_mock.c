#define _GNU_SOURCE
/* The sandbox server (`wxpay mock`) driven by raw libcurl requests, signed by a small
 * signer built on wx_rsa_sign here (not on the client core, so this test does not
 * depend on it), with every answer checked by wx_rsa_verify against the platform key. */
#include <curl/curl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <wechatpay/wechatpay.h>

#include "test_mock_client.h"
#include "testutil.h"


/* ------------------------------------------------------------------ setup */
/* ------------------------------------------------------------------ tests */
static void test_good_request(void **state)
{
    (void)state;
    reply r;
    send_signed("POST", TOKENS, GOOD_BODY, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_verified(&r);
    struct json_object *o = body_json(&r);
    assert_non_null(jstr(o, "token"));
    assert_non_null(jstr(o, "expires_time"));
    json_object_put(o);
    reply_free(&r);
}

static void test_keep_alive_and_signature_cache(void **state)
{
    (void)state;
    reply a, b;
    send_signed("POST", TOKENS, GOOD_BODY, NULL, &a);
    send_signed("POST", TOKENS, GOOD_BODY, NULL, &b);
    assert_int_equal(a.status, 200);
    assert_int_equal(b.status, 200);
    assert_int_equal(b.new_connections, 0); /* the connection was reused */
    /* the identical body reuses its signature: same nonce, still verifies */
    assert_string_equal(hdr(&a, "Wechatpay-Nonce"), hdr(&b, "Wechatpay-Nonce"));
    assert_verified(&b);
    /* but each response has its own Request-ID */
    assert_string_not_equal(hdr(&a, "Request-ID"), hdr(&b, "Request-ID"));
    reply_free(&a);
    reply_free(&b);
}

static void test_bad_signature(void **state)
{
    (void)state;
    sign_opts o = {.signed_body = "{\"open_id\":\"someone else\"}"};
    char *auth = authorization("POST", TOKENS, GOOD_BODY, &o);
    reply r;
    send_raw(M.base_url, "POST", TOKENS, GOOD_BODY, auth, NULL, NULL, &r);
    assert_error(&r, 401, "SIGN_ERROR");
    free(auth);
    reply_free(&r);

    /* signed for another target: the target is part of the message */
    auth = authorization("POST", TOKENS "?x=1", GOOD_BODY, NULL);
    send_raw(M.base_url, "POST", TOKENS, GOOD_BODY, auth, NULL, NULL, &r);
    assert_error(&r, 401, "SIGN_ERROR");
    free(auth);
    reply_free(&r);
}

static void test_unknown_mchid_and_serial(void **state)
{
    (void)state;
    sign_opts o = {.mchid = "1900000999"};
    char *auth = authorization("POST", TOKENS, GOOD_BODY, &o);
    reply r;
    send_raw(M.base_url, "POST", TOKENS, GOOD_BODY, auth, NULL, NULL, &r);
    assert_error(&r, 401, "SIGN_ERROR");
    assert_non_null(strstr(r.body, "mchid"));
    free(auth);
    reply_free(&r);

    sign_opts s = {.serial = "0123456789ABCDEF0123456789ABCDEF01234567"};
    auth = authorization("POST", TOKENS, GOOD_BODY, &s);
    send_raw(M.base_url, "POST", TOKENS, GOOD_BODY, auth, NULL, NULL, &r);
    assert_error(&r, 401, "SIGN_ERROR");
    assert_non_null(strstr(r.body, "serial"));
    free(auth);
    reply_free(&r);
}

static void test_stale_timestamp(void **state)
{
    (void)state;
    long skews[] = {-301 - 5, 400};
    for (int i = 0; i < 2; i++) {
        sign_opts o = {.skew = skews[i]};
        char *auth = authorization("POST", TOKENS, GOOD_BODY, &o);
        reply r;
        send_raw(M.base_url, "POST", TOKENS, GOOD_BODY, auth, NULL, NULL, &r);
        assert_error(&r, 401, "SIGN_ERROR");
        assert_non_null(strstr(r.body, "timestamp"));
        free(auth);
        reply_free(&r);
    }
    /* inside the window is fine */
    sign_opts ok = {.skew = -200};
    char *auth = authorization("POST", TOKENS, GOOD_BODY, &ok);
    reply r;
    send_raw(M.base_url, "POST", TOKENS, GOOD_BODY, auth, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    free(auth);
    reply_free(&r);
}

static void test_missing_or_garbage_authorization(void **state)
{
    (void)state;
    const char *bad[] = {
        NULL,
        "Authorization: Bearer abc",
        "Authorization: WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",mchid=\"1900000001\"",
        "Authorization: WECHATPAY2-SHA256-RSA2048 mchid=1900000001",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reply r;
        send_raw(M.base_url, "POST", TOKENS, GOOD_BODY, bad[i], NULL, NULL, &r);
        assert_error(&r, 401, "SIGN_ERROR");
        reply_free(&r);
    }
}

static void test_invalid_body(void **state)
{
    (void)state;
    const char *body = "{\"coupon_list\":[{\"stock_id\":\"not a number\",\"coupon_id\":\"1\"}]}";
    reply r;
    send_signed("POST", TOKENS, body, NULL, &r);
    assert_error(&r, 400, "PARAM_ERROR");
    struct json_object *o = body_json(&r), *detail;
    assert_true(json_object_object_get_ex(o, "detail", &detail));
    assert_string_equal(jstr(detail, "location"), "body");
    assert_non_null(jstr(detail, "path"));
    assert_true(has_violation(detail, "stock_id"));
    assert_true(has_violation(detail, "open_id"));
    json_object_put(o);
    reply_free(&r);
}

static void test_malformed_json(void **state)
{
    (void)state;
    const char *bodies[] = {"{\"open_id\":", "{} trailing", "[1,2"};
    for (size_t i = 0; i < 3; i++) {
        reply r;
        send_signed("POST", TOKENS, bodies[i], NULL, &r);
        assert_error(&r, 400, "PARAM_ERROR");
        assert_non_null(strstr(r.body, "JSON"));
        reply_free(&r);
    }
}

static void test_unknown_path(void **state)
{
    (void)state;
    reply r;
    send_signed("GET", "/v3/no/such/endpoint", NULL, NULL, &r);
    assert_error(&r, 404, "NOT_FOUND");
    reply_free(&r);
    /* a known path with the wrong method */
    send_signed("DELETE", TOKENS, NULL, NULL, &r);
    assert_error(&r, 404, "NOT_FOUND");
    reply_free(&r);
}

static void test_target_is_signed_as_received(void **state)
{
    (void)state;
    /* escapes and a query: the signature covers them exactly as sent, so this is
     * a 404 (routed), not a 401 */
    reply r;
    send_signed("GET", "/v3/no/such/a%2Fb%20c?limit=10&offset=0&q=%E4%B8%AD", NULL, NULL, &r);
    assert_error(&r, 404, "NOT_FOUND");
    reply_free(&r);
}

static void test_certificates(void **state)
{
    (void)state;
    reply r;
    send_signed("GET", "/v3/certificates", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_verified(&r);
    struct json_object *o = body_json(&r), *data, *enc;
    assert_true(json_object_object_get_ex(o, "data", &data));
    assert_int_equal(json_object_array_length(data), 1);
    struct json_object *item = json_object_array_get_idx(data, 0);
    assert_string_equal(jstr(item, "serial_no"), K.platform_serial);
    assert_non_null(strstr(jstr(item, "effective_time"), "+08:00"));
    assert_non_null(strstr(jstr(item, "expire_time"), "+08:00"));
    assert_true(json_object_object_get_ex(item, "encrypt_certificate", &enc));
    assert_string_equal(jstr(enc, "algorithm"), "AEAD_AES_256_GCM");
    assert_string_equal(jstr(enc, "associated_data"), "certificate");
    char *plain = NULL;
    size_t len = 0;
    wx_error_t err = {0};
    assert_int_equal(wx_aes_gcm_decrypt(K.apiv3_key, jstr(enc, "nonce"), "certificate",
                                        jstr(enc, "ciphertext"), &plain, &len, &err),
                     WX_OK);
    assert_int_equal(len, strlen(K.platform_pem));
    assert_memory_equal(plain, K.platform_pem, len);
    /* and it is the certificate whose serial the list names */
    wx_pubkey_t *pk = NULL;
    assert_int_equal(wx_pubkey_load(plain, len, &pk, &err), WX_OK);
    assert_string_equal(wx_pubkey_serial(pk), K.platform_serial);
    wx_pubkey_free(pk);
    wx_free_secret(plain, len);
    json_object_put(o);
    reply_free(&r);
}

#define BOUNDARY "wxpay-test-boundary-7MA4YWxkTrZu0gW"
#define META "{\"filename\":\"a.png\",\"sha256\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"}"

/* A media upload: multipart/form-data whose signature covers only the meta part. */
static void test_media_upload_multipart(void **state)
{
    (void)state;
    const char *body = "--" BOUNDARY "\r\n"
                       "Content-Disposition: form-data; name=\"meta\"\r\n"
                       "Content-Type: application/json\r\n\r\n" META "\r\n"
                       "--" BOUNDARY "\r\n"
                       "Content-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
                       "Content-Type: image/png\r\n\r\n"
                       "\x89PNG fake image bytes\r\n"
                       "--" BOUNDARY "--\r\n";
    const char *extra[] = {"Content-Type: multipart/form-data; boundary=" BOUNDARY, NULL};
    const char *target = "/v3/merchant/media/upload";
    sign_opts meta = {.signed_body = META};
    char *auth = authorization("POST", target, body, &meta);
    reply r;
    send_raw(M.base_url, "POST", target, body, auth, extra, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_verified(&r);
    struct json_object *o = body_json(&r);
    assert_non_null(jstr(o, "media_id"));
    json_object_put(o);
    reply_free(&r);
    free(auth);

    /* signed over the whole body instead of meta: rejected */
    auth = authorization("POST", target, body, NULL);
    send_raw(M.base_url, "POST", target, body, auth, extra, NULL, &r);
    assert_error(&r, 401, "SIGN_ERROR");
    reply_free(&r);
    free(auth);

    /* no file part: the spec requires it */
    const char *no_file = "--" BOUNDARY "\r\n"
                          "Content-Disposition: form-data; name=\"meta\"\r\n\r\n" META "\r\n"
                          "--" BOUNDARY "--\r\n";
    auth = authorization("POST", target, no_file, &meta);
    send_raw(M.base_url, "POST", target, no_file, auth, extra, NULL, &r);
    assert_error(&r, 400, "PARAM_ERROR");
    struct json_object *e = body_json(&r), *detail;
    assert_true(json_object_object_get_ex(e, "detail", &detail));
    assert_true(has_violation(detail, "file"));
    json_object_put(e);
    reply_free(&r);
    free(auth);

    /* no meta part at all, or no boundary: nothing to check the signature against */
    const char *no_meta = "--" BOUNDARY "\r\n"
                          "Content-Disposition: form-data; name=\"file\"\r\n\r\nxx\r\n"
                          "--" BOUNDARY "--\r\n";
    auth = authorization("POST", target, no_meta, NULL);
    send_raw(M.base_url, "POST", target, no_meta, auth, extra, NULL, &r);
    assert_error(&r, 400, "PARAM_ERROR");
    assert_non_null(strstr(r.body, "meta"));
    reply_free(&r);
    const char *no_boundary[] = {"Content-Type: multipart/form-data", NULL};
    send_raw(M.base_url, "POST", target, no_meta, auth, no_boundary, NULL, &r);
    assert_error(&r, 400, "PARAM_ERROR");
    assert_non_null(strstr(r.body, "boundary"));
    reply_free(&r);
    free(auth);
}

/* ------------------------------------------------------------------ faults */
static void send_fault(const char *mode, reply *r)
{
    char h[128];
    snprintf(h, sizeof h, "Wxpay-Mock-Fault: %s", mode);
    const char *extra[] = {h, NULL};
    send_signed("POST", TOKENS, GOOD_BODY, extra, r);
}

static void test_fault_bad_signature(void **state)
{
    (void)state;
    reply r;
    send_fault("bad-signature", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Wechatpay-Serial"), K.platform_serial);
    assert_int_equal(verify_with(&r, K.platform), WX_E_VERIFY_SIGNATURE);
    reply_free(&r);
}

static void test_fault_unknown_serial(void **state)
{
    (void)state;
    reply r;
    send_fault("unknown-serial", &r);
    assert_int_equal(r.status, 200);
    const char *serial = hdr(&r, "Wechatpay-Serial");
    assert_non_null(serial);
    assert_string_not_equal(serial, K.platform_serial);
    assert_string_not_equal(serial, K.pubkey_id);
    reply_free(&r);
}

static void test_fault_stale_timestamp(void **state)
{
    (void)state;
    reply r;
    send_fault("stale-timestamp", &r);
    assert_int_equal(r.status, 200);
    long ts = atol(hdr(&r, "Wechatpay-Timestamp"));
    long age = (long)time(NULL) - ts;
    assert_true(age >= 590 && age <= 660);
    assert_int_equal(verify_with(&r, K.platform), WX_OK); /* signed consistently */
    reply_free(&r);
}

static void test_fault_missing_headers(void **state)
{
    (void)state;
    reply r;
    send_fault("missing-headers", &r);
    assert_int_equal(r.status, 200);
    assert_null(hdr(&r, "Wechatpay-Signature"));
    assert_null(hdr(&r, "Wechatpay-Timestamp"));
    assert_null(hdr(&r, "Wechatpay-Nonce"));
    assert_null(hdr(&r, "Wechatpay-Serial"));
    reply_free(&r);
}

static void test_fault_http_500(void **state)
{
    (void)state;
    reply r;
    send_fault("http-500", &r);
    assert_error(&r, 500, "SYSTEM_ERROR");
    reply_free(&r);
}

static void test_fault_drop_connection(void **state)
{
    (void)state;
    reply r;
    send_fault("drop-connection", &r);
    assert_int_equal(r.curl, CURLE_GOT_NOTHING);
    assert_int_equal(r.status, 0);
    reply_free(&r);
}

static void test_fault_slow_body(void **state)
{
    (void)state;
    reply r;
    send_fault("slow-body", &r);
    assert_int_equal(r.status, 200);
    assert_true(r.seconds >= 2.0);
    assert_verified(&r); /* slow, but whole and genuine */
    reply_free(&r);
}

static void test_fault_truncated_body(void **state)
{
    (void)state;
    reply r;
    send_fault("truncated-body", &r);
    assert_int_equal(r.curl, CURLE_PARTIAL_FILE);
    assert_int_equal(r.status, 200);
    assert_int_equal(verify_with(&r, K.platform), WX_E_VERIFY_SIGNATURE);
    reply_free(&r);
}

static void test_fault_unknown_mode(void **state)
{
    (void)state;
    reply r;
    send_fault("explode", &r);
    assert_error(&r, 400, "PARAM_ERROR");
    assert_non_null(strstr(r.body, "Wxpay-Mock-Fault"));
    reply_free(&r);
}

static void test_server_wide_fault(void **state)
{
    (void)state;
    wxt_mock m;
    const char *args[] = {"--fault", "http-500", NULL};
    wxt_mock_start(&m, args);
    char *auth = authorization("POST", TOKENS, GOOD_BODY, NULL);
    reply r;
    send_raw(m.base_url, "POST", TOKENS, GOOD_BODY, auth, NULL, NULL, &r);
    assert_error(&r, 500, "SYSTEM_ERROR");
    reply_free(&r);
    const char *none[] = {"Wxpay-Mock-Fault: none", NULL};
    send_raw(m.base_url, "POST", TOKENS, GOOD_BODY, auth, none, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_verified(&r);
    reply_free(&r);
    free(auth);
    assert_int_equal(wxt_mock_stop(&m), 0);
}

static void test_sign_with_pubkey(void **state)
{
    (void)state;
    wxt_mock m;
    const char *args[] = {"--sign-with", "pubkey", NULL};
    wxt_mock_start(&m, args);
    char *auth = authorization("POST", TOKENS, GOOD_BODY, NULL);
    reply r;
    send_raw(m.base_url, "POST", TOKENS, GOOD_BODY, auth, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Wechatpay-Serial"), K.pubkey_id);
    assert_int_equal(verify_with(&r, K.pubkey), WX_OK);
    assert_int_equal(verify_with(&r, K.platform), WX_E_VERIFY_SIGNATURE);
    reply_free(&r);
    free(auth);
    assert_int_equal(wxt_mock_stop(&m), 0);
}

static void test_tls(void **state)
{
    (void)state;
    /* a private copy of the keys folder, so mock-ca.pem is ours alone */
    char *dir = wxt_tmpdir("mock-tls");
    assert_int_equal(wxt_sh(NULL, NULL, "cp '%s'/*.pem '%s'/*.json '%s'/", K.dir, K.dir, dir), 0);
    wxt_mock m;
    const char *args[] = {"--keys", dir, "--tls", NULL};
    wxt_mock_start(&m, args);
    assert_int_equal(strncmp(m.base_url, "https://127.0.0.1:", 18), 0);
    char *ca = wxt_path(dir, "mock-ca.pem");
    char *auth = authorization("POST", TOKENS, GOOD_BODY, NULL);
    reply r;
    send_raw(m.base_url, "POST", TOKENS, GOOD_BODY, auth, NULL, ca, &r);
    assert_int_equal(r.status, 200);
    assert_verified(&r);
    reply_free(&r);
    /* localhost is in the certificate too */
    char local[64];
    snprintf(local, sizeof local, "https://localhost:%d/", m.port);
    send_raw(local, "POST", TOKENS, GOOD_BODY, auth, NULL, ca, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    /* without the CA the server is not trusted */
    char *other = wxt_path(K.dir, "platform_cert.pem");
    send_raw(m.base_url, "POST", TOKENS, GOOD_BODY, auth, NULL, other, &r);
    assert_int_not_equal(r.curl, CURLE_OK);
    assert_int_equal(r.status, 0);
    reply_free(&r);
    free(other);
    free(auth);
    assert_int_equal(wxt_mock_stop(&m), 0);
    free(ca);
    free(dir);
}

static void test_sigterm_summary_and_log(void **state)
{
    (void)state;
    wxt_mock m;
    wxt_mock_start(&m, NULL);
    char *log = strdup(m.log);
    char *auth = authorization("POST", TOKENS "?a=1", GOOD_BODY, NULL);
    reply r;
    send_raw(m.base_url, "POST", TOKENS "?a=1", GOOD_BODY, auth, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    free(auth);
    auth = authorization("GET", "/v3/nothing", NULL, NULL);
    const char *fault[] = {"Wxpay-Mock-Fault: stale-timestamp", NULL};
    send_raw(m.base_url, "GET", "/v3/nothing", NULL, auth, fault, NULL, &r);
    assert_int_equal(r.status, 404);
    reply_free(&r);
    free(auth);
    send_raw(m.base_url, "GET", "/v3/nothing", NULL, NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 401);
    reply_free(&r);

    assert_int_equal(wxt_mock_stop(&m), 0); /* SIGTERM: exit 0 */
    char *text = wxt_read_file(log, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "POST " TOKENS "?a=1 -> 200 "));
    assert_non_null(strstr(text, "GET /v3/nothing -> 404 (stale-timestamp) "));
    assert_non_null(strstr(text, "GET /v3/nothing -> 401 "));
    assert_non_null(strstr(text, "served 3 requests (200: 1, 401: 1, 404: 1), 1 fault"));
    free(text);
    free(log);
}

static void test_sigint_and_bad_arguments(void **state)
{
    (void)state;
    wxt_mock m;
    wxt_mock_start(&m, NULL);
    char *log = strdup(m.log);
    kill(m.pid, SIGINT);
    int status = 0;
    assert_int_equal(waitpid(m.pid, &status, 0), m.pid);
    m.pid = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    wxt_mock_stop(&m);
    char *text = wxt_read_file(log, NULL);
    assert_non_null(strstr(text, "served 0 requests"));
    free(text);
    free(log);

    const char *bad[][4] = {
        {"--port", "abc", NULL, NULL},
        {"--port", "70000", NULL, NULL},
        {"--fault", "nope", NULL, NULL},
        {"--sign-with", "magic", NULL, NULL},
        {"--bogus", NULL, NULL, NULL},
        {"--keys", "/nonexistent/keys", NULL, NULL},
        {"--spec-dir", "/nonexistent/specs", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[8] = {WXPAY_BIN, "mock", "--keys", (char *)K.dir, NULL};
        int n = 4;
        for (int j = 0; bad[i][j]; j++)
            argv[n++] = (char *)bad[i][j];
        argv[n] = NULL;
        char *err = NULL;
        int rc = wxt_run(argv, NULL, 0, NULL, &err);
        if (rc != 2)
            fail_msg("%s %s: exit %d, %s", bad[i][0], bad[i][1] ? bad[i][1] : "", rc, err);
        /* one line naming the problem; an argument mistake points to --help */
        assert_true(strlen(err) > 0);
        assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
        assert_non_null(strstr(err, "wxpay mock: "));
        if (i < 5)
            assert_non_null(strstr(err, "--help"));
        free(err);
    }
    char *argv[] = {WXPAY_BIN, "mock", "--help", NULL};
    char *out = NULL;
    assert_int_equal(wxt_run(argv, NULL, 0, &out, NULL), 0);
    const char *modes[] = {"bad-signature", "unknown-serial", "stale-timestamp", "missing-headers",
                           "http-500", "drop-connection", "slow-body", "truncated-body"};
    for (size_t i = 0; i < 8; i++)
        assert_non_null(strstr(out, modes[i]));
    assert_non_null(strstr(out, "examples"));
    free(out);
}

/* Many connections at once (bounded: 16 in flight, 160 requests): every answer is
 * whole and verifies, so the signature cache and counters hold up under threads. */
static void test_concurrent_requests(void **state)
{
    (void)state;
    enum { IN_FLIGHT = 16, ROUNDS = 10 };
    CURLM *multi = curl_multi_init();
    CURL *easy[IN_FLIGHT];
    reply replies[IN_FLIGHT];
    struct curl_slist *headers[IN_FLIGHT];
    char url[256];
    snprintf(url, sizeof url, "%.*s" TOKENS, (int)strlen(M.base_url) - 1, M.base_url);
    for (int i = 0; i < IN_FLIGHT; i++)
        easy[i] = curl_easy_init();
    int ok = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < IN_FLIGHT; i++) {
            memset(&replies[i], 0, sizeof replies[i]);
            char *auth = authorization("POST", TOKENS, GOOD_BODY, NULL);
            headers[i] = curl_slist_append(NULL, "Content-Type: application/json");
            headers[i] = curl_slist_append(headers[i], auth);
            free(auth);
            curl_easy_reset(easy[i]);
            curl_easy_setopt(easy[i], CURLOPT_URL, url);
            curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, GOOD_BODY);
            curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, headers[i]);
            curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, test_mock_body_cb);
            curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &replies[i]);
            curl_easy_setopt(easy[i], CURLOPT_HEADERFUNCTION, test_mock_header_cb);
            curl_easy_setopt(easy[i], CURLOPT_HEADERDATA, &replies[i]);
            curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, 30L);
            curl_multi_add_handle(multi, easy[i]);
        }
        int running = 1;
        while (running) {
            curl_multi_perform(multi, &running);
            if (running)
                curl_multi_poll(multi, NULL, 0, 1000, NULL);
        }
        for (int i = 0; i < IN_FLIGHT; i++) {
            curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &replies[i].status);
            curl_multi_remove_handle(multi, easy[i]);
            curl_slist_free_all(headers[i]);
            if (replies[i].status == 200 && verify_with(&replies[i], K.platform) == WX_OK)
                ok++;
            reply_free(&replies[i]);
        }
    }
    for (int i = 0; i < IN_FLIGHT; i++)
        curl_easy_cleanup(easy[i]);
    curl_multi_cleanup(multi);
    assert_int_equal(ok, IN_FLIGHT * ROUNDS);
}

/* A keys folder that does not fit together is refused at start, naming the problem. */
static void test_bad_keys_folder(void **state)
{
    (void)state;
    struct {
        const char *file, *json, *expect;
    } cases[] = {
        {"mock.json", "{\"merchant_certificate\":\"platform_cert.pem\",\"platform_private_key\":"
                      "\"platform_key.pem\",\"platform_certificate\":\"platform_cert.pem\"}",
         "does not match"},
        {"mock.json", "{\"merchant_certificate\":\"merchant_cert.pem\",\"platform_private_key\":"
                      "\"merchant_key.pem\",\"platform_certificate\":\"platform_cert.pem\"}",
         "is not the key of"},
        {"mock.json", "{\"merchant_certificate\":\"merchant_cert.pem\"}", "platform_private_key"},
        {"mock.json", "[]", "not a JSON object"},
        {"CONFIG.json", "{\"mchid\":\"1900000001\",\"serial\":\"AB\",\"apiv3_key\":\"short\"}",
         "apiv3_key"},
        {"CONFIG.json", "{\"mchid\":1900000001}", "mchid"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *dir = wxt_tmpdir("mock-badkeys");
        assert_int_equal(wxt_sh(NULL, NULL, "cp '%s'/*.pem '%s'/*.json '%s'/", K.dir, K.dir, dir), 0);
        char *p = wxt_path(dir, cases[i].file);
        wxt_write_file(p, cases[i].json, strlen(cases[i].json));
        char *argv[] = {WXPAY_BIN, "mock", "--port", "0", "--keys", dir, NULL};
        char *err = NULL;
        int rc = wxt_run(argv, NULL, 0, NULL, &err);
        if (rc != 2 || !strstr(err, cases[i].expect))
            fail_msg("case %zu: exit %d, stderr: %s", i, rc, err);
        assert_null(strstr(err, K.apiv3_key));
        free(err);
        free(p);
        free(dir);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_request),
        cmocka_unit_test(test_keep_alive_and_signature_cache),
        cmocka_unit_test(test_bad_signature),
        cmocka_unit_test(test_unknown_mchid_and_serial),
        cmocka_unit_test(test_stale_timestamp),
        cmocka_unit_test(test_missing_or_garbage_authorization),
        cmocka_unit_test(test_invalid_body),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_unknown_path),
        cmocka_unit_test(test_target_is_signed_as_received),
        cmocka_unit_test(test_certificates),
        cmocka_unit_test(test_media_upload_multipart),
        cmocka_unit_test(test_fault_bad_signature),
        cmocka_unit_test(test_fault_unknown_serial),
        cmocka_unit_test(test_fault_stale_timestamp),
        cmocka_unit_test(test_fault_missing_headers),
        cmocka_unit_test(test_fault_http_500),
        cmocka_unit_test(test_fault_drop_connection),
        cmocka_unit_test(test_fault_slow_body),
        cmocka_unit_test(test_fault_truncated_body),
        cmocka_unit_test(test_fault_unknown_mode),
        cmocka_unit_test(test_server_wide_fault),
        cmocka_unit_test(test_sign_with_pubkey),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_sigterm_summary_and_log),
        cmocka_unit_test(test_sigint_and_bad_arguments),
        cmocka_unit_test(test_bad_keys_folder),
        cmocka_unit_test(test_concurrent_requests),
    };
    return cmocka_run_group_tests_name("mock", tests, test_mock_group_setup, test_mock_group_teardown);
}
