/* Request validation modes on the in-memory transport: strict refuses a path no spec
 * describes (naming it and the nearest known path) and a method the spec lacks (naming
 * the methods it has), sending nothing; on lets them through; off sends an invalid body;
 * CONFIG.json `validation` selects the mode and a bad value is named. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>

#include "fake_server.h"
#include "testutil.h"

#define RECEIVER                                                                              \
    "{\"appid\":\"wx8888888888888888\",\"type\":\"MERCHANT_ID\",\"account\":\"86693852\","   \
    "\"name\":\"n\",\"relation_type\":\"STORE\"}"
#define NO_RELATION                                                                           \
    "{\"appid\":\"wx8888888888888888\",\"type\":\"MERCHANT_ID\",\"account\":\"86693852\","   \
    "\"name\":\"n\"}"

static wxt_fake g_fake;

static int before_each(void **state)
{
    wxt_fake_init(&g_fake);
    return 0;
}

static int after_each(void **state)
{
    wxt_fake_free(&g_fake);
    return 0;
}

static wx_client_t *client_with(int mode)
{
    wx_client_options_t o = wxt_fake_options(&g_fake);
    o.version = WX_CLIENT_OPTIONS_VERSION;
    o.validation = mode;
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    return c;
}

/* The request's code; when @p part is given, the message must hold it. */
static wx_err send(wx_client_t *c, const char *path, wx_method m, const char *body,
                   const char *part)
{
    wx_response_t *r =
        wx_request(wx_chain(c, path), m, &(wx_request_options_t){.json_text = body});
    wx_err rc = wx_response_err(r);
    if (part && !strstr(wx_response_error_detail(r)->message, part))
        fail_msg("%s: want \"%s\" in: %s", path, part, wx_response_error_detail(r)->message);
    wx_response_free(r);
    return rc;
}

static void test_strict(void **state)
{
    wx_client_t *c = client_with(WX_VALIDATION_STRICT);
    assert_int_equal(send(c, "v3/profitsharing/receivers/addz", WX_POST, RECEIVER,
                          "/v3/profitsharing/receivers/addz; did you mean "
                          "POST /v3/profitsharing/receivers/add?"),
                     WX_E_VALIDATION);
    assert_int_equal(send(c, "v3/profitsharing/receivers/add", WX_GET, NULL,
                          "the spec has POST /v3/profitsharing/receivers/add"),
                     WX_E_VALIDATION);
    assert_int_equal(send(c, "v3/nowhere/at/all", WX_POST, "{}", "nearest known path is /v3"),
                     WX_E_VALIDATION);
    /* misspelt segments, one or several, are matched against their siblings */
    assert_int_equal(send(c, "v3/pay/transactions/natve", WX_POST, "{}",
                          "did you mean POST /v3/pay/transactions/native?"),
                     WX_E_VALIDATION);
    assert_int_equal(send(c, "v3/industry-coupon/tokenz", WX_POST, "{}",
                          "did you mean POST /v3/industry-coupon/tokens?"),
                     WX_E_VALIDATION);
    assert_int_equal(send(c, "v3/pay/transaction/natives", WX_POST, "{}",
                          "did you mean POST /v3/pay/transactions/native?"),
                     WX_E_VALIDATION);
    /* a known segment under a misspelt one: the deepest known path, not a guess */
    assert_int_equal(send(c, "v3/profitsharing/receiverz/nothing-like-it", WX_POST, "{}",
                          "the nearest known path is /v3/profitsharing"),
                     WX_E_VALIDATION);
    assert_int_equal(g_fake.requests, 0);
    /* what the spec describes goes, and is still validated */
    assert_int_equal(send(c, "v3/profitsharing/receivers/add", WX_POST, RECEIVER, NULL), WX_OK);
    assert_int_equal(send(c, "v3/profitsharing/receivers/add", WX_POST, NO_RELATION,
                          "relation_type"),
                     WX_E_VALIDATION);
    assert_int_equal(g_fake.requests, 1);
    wx_client_free(c);
}

/* no_validation skips checking what a request holds, not where it goes: strict still
 * refuses a path no spec describes. */
static void test_strict_without_validation(void **state)
{
    wx_client_t *c = client_with(WX_VALIDATION_STRICT);
    wx_response_t *r = wx_chain(c, "v3/pay/transactions/natve")->post(&(wx_request_options_t){
        .json_text = "{}", .no_validation = 1});
    assert_int_equal(wx_response_err(r), WX_E_VALIDATION);
    assert_non_null(strstr(wx_response_error_detail(r)->message, "strict validation"));
    wx_response_free(r);
    assert_int_equal(g_fake.requests, 0);
    /* a described endpoint with a body that breaks it goes, as asked */
    r = wx_chain(c, "v3/profitsharing/receivers/add")->post(&(wx_request_options_t){
        .json_text = NO_RELATION, .no_validation = 1});
    assert_int_equal(wx_response_err(r), WX_OK);
    wx_response_free(r);
    assert_int_equal(g_fake.requests, 1);
    wx_client_free(c);
}

static void test_on_and_off(void **state)
{
    wx_client_t *c = client_with(WX_VALIDATION_ON);
    assert_int_equal(send(c, "v3/profitsharing/receivers/addz", WX_POST, RECEIVER, NULL), WX_OK);
    assert_int_equal(send(c, "v3/profitsharing/receivers/add", WX_POST, NO_RELATION, NULL),
                     WX_E_VALIDATION);
    assert_int_equal(g_fake.requests, 1);
    wx_client_free(c);
    c = client_with(WX_VALIDATION_OFF);
    assert_int_equal(send(c, "v3/profitsharing/receivers/add", WX_POST, NO_RELATION, NULL), WX_OK);
    assert_int_equal(g_fake.requests, 2);
    wx_client_free(c);
}

/* CONFIG.json `validation`, with the identity from the overrides. */
static wx_err from_config(const char *json, wx_client_t **c, wx_error_t *err)
{
    char *dir = wxt_tmpdir("strict"), *file = wxt_path(dir, "CONFIG.json");
    wxt_write_file(file, json, strlen(json));
    wx_client_options_t o = wxt_fake_options(&g_fake);
    o.validation = WX_VALIDATION_ON; /* zero: no override, the file decides */
    wx_err rc = wx_client_new_from_config(file, &o, c, err);
    if (rc != WX_OK)
        wx_transport_free(o.transport); /* still the caller's after a failure */
    free(file);
    free(dir);
    return rc;
}

static void test_config(void **state)
{
    wx_client_t *c = NULL;
    assert_int_equal(from_config("{\"validation\":\"strict\"}", &c, NULL), WX_OK);
    assert_int_equal(send(c, "v3/profitsharing/receivers/addz", WX_POST, RECEIVER, "addz"),
                     WX_E_VALIDATION);
    wx_client_free(c);
    assert_int_equal(from_config("{\"validation\":\"off\"}", &c, NULL), WX_OK);
    assert_int_equal(send(c, "v3/profitsharing/receivers/add", WX_POST, NO_RELATION, NULL), WX_OK);
    wx_client_free(c);
    assert_int_equal(g_fake.requests, 1);
    wx_error_t err = {0};
    c = NULL;
    assert_int_equal(from_config("{\"validation\":\"strikt\"}", &c, &err), WX_E_CONFIG);
    assert_null(c);
    assert_string_equal(err.where, "validation");
    assert_non_null(strstr(err.message, "strikt"));
}

static int g_warnings;

static void count_warnings(void *ud, const char *text, size_t len)
{
    (void)ud;
    (void)len;
    if (!strncmp(text, "! warning: answers to GET /v3/broken-answer are not validated", 61) &&
        strstr(text, "minLength must be a non-negative integer"))
        g_warnings++;
}

/* A defect in a response schema costs only that operation's response validation, and
 * the application hears of it once, through the debug hook. */
static void test_broken_response_schema_warns_once(void **state)
{
    char *dir = wxt_tmpdir("broken-answer-spec");
    char *v3 = wxt_path(dir, "v3");
    char *file = wxt_path(v3, "broken-answer.json");
    static const char spec[] =
        "{\"get\": {\"responses\": {\"200\": {\"schema\": {\"type\": \"object\", "
        "\"properties\": {\"x\": {\"minLength\": -2}}}}}}}";
    assert_int_equal(mkdir(v3, 0700), 0);
    wxt_write_file(file, spec, sizeof spec - 1);
    const char *dirs[] = {dir, NULL};
    wx_client_options_t o = wxt_fake_options(&g_fake);
    o.version = WX_CLIENT_OPTIONS_VERSION;
    o.spec_dirs = dirs;
    o.validate_responses = 1;
    o.debug = count_warnings;
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    g_warnings = 0;
    for (int i = 0; i < 3; i++) /* answered, not validated, said once */
        assert_int_equal(send(c, "v3/broken-answer", WX_GET, NULL, NULL), WX_OK);
    assert_int_equal(g_warnings, 1);
    wx_client_free(c);
    assert_int_equal(wxt_sh(NULL, NULL, "rm -rf '%s'", dir), 0);
    free(file);
    free(v3);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_strict, before_each, after_each),
        cmocka_unit_test_setup_teardown(test_strict_without_validation, before_each, after_each),
        cmocka_unit_test_setup_teardown(test_on_and_off, before_each, after_each),
        cmocka_unit_test_setup_teardown(test_config, before_each, after_each),
        cmocka_unit_test_setup_teardown(test_broken_response_schema_warns_once, before_each,
                                        after_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
