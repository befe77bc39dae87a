/* The sandbox honours CONFIG.json `validation`: with the tests' keys (strict) a body that
 * breaks its spec is 400 PARAM_ERROR and a path no spec describes is 404 naming the
 * endpoint meant; with `off` the same body is answered; a value that is not a mode stops
 * the sandbox with a message naming it; a sensitive query parameter in clear is refused.
 * Clients here run with validation off, so that
 * what they send reaches the sandbox as it is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/wechatpay.h>

#include "testutil.h"

#define BROKEN "{\"coupon_list\":[{\"stock_id\":\"16474341\"}]}"

/* A copy of the test keys whose CONFIG.json says `validation` is @p mode. */
static char *keys_with(const char *name, const char *mode)
{
    char *dir = wxt_tmpdir(name);
    char *cmd[] = {"/bin/sh", "-c", NULL, NULL};
    char line[2048];
    snprintf(line, sizeof line, "cp -R '%s'/. '%s'/", wxt_keys_dir(), dir);
    cmd[2] = line;
    assert_int_equal(wxt_run(cmd, NULL, 0, NULL, NULL), 0);
    char *cfg = wxt_path(dir, "CONFIG.json");
    char *text = wxt_read_file(cfg, NULL);
    char *at = strstr(text, "\"validation\": \"strict\"");
    assert_non_null(at);
    char out[65536];
    snprintf(out, sizeof out, "%.*s\"validation\": \"%s\"%s", (int)(at - text), text, mode,
             at + strlen("\"validation\": \"strict\""));
    wxt_write_file(cfg, out, strlen(out));
    free(text);
    free(cfg);
    return dir;
}

/* A client of @p keys_dir's merchant aimed at @p m, sending without validation. */
static wx_client_t *client_for(const wxt_mock *m, const char *keys_dir)
{
    wx_client_options_t o = WX_CLIENT_OPTIONS_INIT;
    o.base_url = m->base_url;
    o.validation = WX_VALIDATION_OFF;
    char *cfg = wxt_path(keys_dir, "CONFIG.json");
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new_from_config(cfg, &o, &c, &err) != WX_OK)
        fail_msg("%s: %s", cfg, err.message);
    free(cfg);
    return c;
}

static wx_response_t *post(wx_client_t *c, const char *path, const char *body)
{
    return wx_chain(c, path)->post(&(wx_request_options_t){.json_text = body});
}

static void test_strict_sandbox(void **state)
{
    wxt_mock m;
    wxt_mock_start(&m, NULL);
    wx_client_t *c = client_for(&m, m.keys_dir);
    wx_response_t *r = post(c, "v3/industry-coupon/tokens", BROKEN);
    assert_int_equal(wx_response_status(r), 400);
    assert_string_equal(wx_response_error_detail(r)->server_code, "PARAM_ERROR");
    wx_response_free(r);
    r = post(c, "v3/industry-coupon/tokenz", "{}");
    assert_int_equal(wx_response_status(r), 404);
    assert_string_equal(wx_response_error_detail(r)->server_code, "NOT_FOUND");
    const char *msg = wx_response_error_detail(r)->message;
    if (!strstr(msg, "/v3/industry-coupon/tokenz") ||
        !strstr(msg, "did you mean POST /v3/industry-coupon/tokens?"))
        fail_msg("404 message: %s", msg);
    wx_response_free(r);
    wx_client_free(c);
    assert_int_equal(wxt_mock_stop(&m), 0);
}

static void test_off_sandbox(void **state)
{
    char *dir = keys_with("mock-validation-off", "off");
    wxt_mock m;
    wxt_mock_start(&m, (const char *const[]){"--keys", dir, NULL});
    wx_client_t *c = client_for(&m, dir);
    wx_response_t *r = post(c, "v3/industry-coupon/tokens", BROKEN);
    if (wx_response_err(r) != WX_OK)
        fail_msg("off sandbox: %s", wx_response_error_detail(r)->message);
    assert_int_equal(wx_response_status(r), 200);
    wx_response_free(r);
    /* there is still nothing to answer a path no spec describes with */
    r = post(c, "v3/industry-coupon/tokenz", "{}");
    assert_int_equal(wx_response_status(r), 404);
    wx_response_free(r);
    wx_client_free(c);
    assert_int_equal(wxt_mock_stop(&m), 0);
    free(dir);
}

/* A query parameter the spec marks sensitive that arrives in clear is 400 PARAM_ERROR
 * naming it; the client that knows the spec encrypts it and is answered. */
static void test_sensitive_param_in_clear(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/data/spec/sensitive-params", WX_SOURCE_DIR);
    wxt_mock m;
    wxt_mock_start(&m, (const char *const[]){"--spec-dir", dir, NULL});
    const char *path = "v3/capital/capitallhh/banks/search-banks-by-bank-account";
    const wx_request_options_t o = {
        .query = (wx_kv_t[]){{"account_number", "6222021234567890123"}, {NULL, NULL}}};
    wx_client_t *c = client_for(&m, m.keys_dir); /* knows no spec for it: sends in clear */
    wx_response_t *r = wx_request(wx_chain(c, path), WX_GET, &o);
    assert_int_equal(wx_response_status(r), 400);
    assert_string_equal(wx_response_error_detail(r)->server_code, "PARAM_ERROR");
    assert_non_null(strstr(wx_response_error_detail(r)->message, "query.account_number"));
    wx_response_free(r);
    wx_client_free(c);
    wx_client_options_t knows = WX_CLIENT_OPTIONS_INIT;
    knows.base_url = m.base_url;
    knows.spec_dirs = (const char *[]){dir, NULL};
    assert_int_equal(wx_client_new_from_config(m.config, &knows, &c, NULL), WX_OK);
    r = wx_request(wx_chain(c, path), WX_GET, &o);
    if (wx_response_err(r) != WX_OK)
        fail_msg("%s", wx_response_error_detail(r)->message);
    wx_response_free(r);
    wx_client_free(c);
    assert_int_equal(wxt_mock_stop(&m), 0);
}

static void test_bad_mode(void **state)
{
    char *dir = keys_with("mock-validation-bad", "strikt");
    char *argv[] = {WXPAY_BIN, "mock", "--port", "0", "--keys", dir, NULL};
    char *err = NULL;
    assert_int_not_equal(wxt_run(argv, NULL, 0, NULL, &err), 0);
    if (!err || !strstr(err, "\"validation\" is \"strikt\""))
        fail_msg("stderr: %s", err ? err : "(none)");
    free(err);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strict_sandbox),
        cmocka_unit_test(test_off_sandbox),
        cmocka_unit_test(test_sensitive_param_in_clear),
        cmocka_unit_test(test_bad_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
