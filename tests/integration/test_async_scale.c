/* One thread holds 1,000 signed requests in flight against the sandbox, driven by
 * wx_client_wait_all() and, through the epoll example, by an application event loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/wechatpay.h>

#include "testutil.h"

/* 1,000, or WX_TEST_IN_FLIGHT (fewer under valgrind: every request is signed before the
 * first is sent, and the sandbox refuses a timestamp over 300 s old, as WeChat Pay does). */
static int g_n = 1000;

static wxt_mock g_mock;

static int setup(void **state)
{
    const char *n = getenv("WX_TEST_IN_FLIGHT");
    if (n && atoi(n) > 0)
        g_n = atoi(n);
    wxt_mock_start(&g_mock, (const char *const[]){"--quiet", NULL});
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(wxt_mock_stop(&g_mock), 0);
    return 0;
}

static int g_ok, g_done;

static void on_done(const wx_response_t *r, void *ud)
{
    g_done++;
    if (wx_response_err(r) == WX_OK)
        g_ok++;
    else if (g_done - g_ok < 3)
        print_message("failed: %s\n", wx_response_error_detail(r)->message);
}

static void test_thousand_in_flight(void **state)
{
    wx_client_options_t o = {.base_url = g_mock.base_url, .timeout_ms = 120000};
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new_from_config(g_mock.config, &o, &c, NULL), WX_OK);
    const wx_request_options_t opts = {
        .json_text = "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\","
                     "\"coupon_list\":[{\"stock_id\":16474341,\"coupon_id\":\"11004999626\"}]}"};
    g_ok = g_done = 0;
    for (int i = 0; i < g_n; i++)
        wx_future_release(wx_chain(c, "v3/industry-coupon/tokens")->post_async(&opts)
                              ->then(on_done, NULL));
    /* all of them are in flight at once on this thread */
    assert_int_equal(wx_client_perform(c, 0), g_n);
    assert_int_equal(g_done, 0);
    wx_client_wait_all(c);
    assert_int_equal(g_done, g_n);
    assert_int_equal(g_ok, g_n);
    assert_int_equal(wx_client_perform(c, 0), 0);
    wx_client_free(c);
}

static void test_epoll_example(void **state)
{
    char *out = NULL, *err = NULL;
    char n[16];
    snprintf(n, sizeof n, "%d", g_n);
    char *argv[] = {WX_BINARY_DIR "/examples/async_epoll", g_mock.config, g_mock.base_url, n, NULL};
    int rc = wxt_run(argv, NULL, 0, &out, &err);
    if (rc != 0)
        fail_msg("async_epoll exited %d: %s %s", rc, out, err);
    char want[64];
    snprintf(want, sizeof want, "%d of %d verified", g_n, g_n);
    assert_non_null(strstr(out, want));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thousand_in_flight),
        cmocka_unit_test(test_epoll_example),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
