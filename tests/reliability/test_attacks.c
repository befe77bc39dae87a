/* Attacks on what the library sends (issue 16), each against a raw loopback server that
 * counts the requests that reach it:
 * - a POST that is not retry_safe reaches the server once, even when the reused
 *   connection it went out on dies (libcurl would resend it by itself);
 * - encoded slashes and backslashes, fragments, CR/LF in an upload's content type or
 *   file name: refused, nothing sent;
 * - a header over 8 KiB is reported as too long, a URL over libcurl's limit as such, and
 *   neither is a transport error (so never retried). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/wechatpay.h>

#include "bad_server.h"
#include "testutil.h"

#define SEED_PATH "v3/industry-coupon/tokens"
#define SEED_BODY                                                                             \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":[{\"stock_id\":16474341," \
    "\"coupon_id\":\"11004999626\"}]}"

static wx_client_t *client_for(const char *base_url, int max_retries)
{
    char *config = wxt_path(wxt_keys_dir(), "CONFIG.json");
    wx_client_options_t o = {.base_url = base_url, .timeout_ms = 5000,
                             .connect_timeout_ms = 2000, .max_retries = max_retries};
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new_from_config(config, &o, &c, &err) != WX_OK)
        fail_msg("client: %s", err.message);
    free(config);
    return c;
}

/* A GET answered on a fresh connection, then a POST on the same (reused) connection,
 * which the server reads and drops. Returns the POST's result; *arrivals how many
 * times the POST reached the server. */
static wx_err post_on_dying_connection(int retry_safe, int *arrivals)
{
    wxt_bad_server *s = wxt_bad_start(WXT_BAD_DROP_REUSED);
    wx_client_t *c = client_for(wxt_bad_url(s), 3);
    wx_request_options_t get = {.query = (const wx_kv_t[]){{"offset", "0"}, {NULL, NULL}}};
    wx_response_free(wx_chain(c, "v3/certificates")->get(&get));
    assert_int_equal(wxt_bad_requests(s), 1);
    assert_int_equal(wxt_bad_connections(s), 1);
    wx_request_options_t post = {.json_text = SEED_BODY, .retry_safe = retry_safe};
    wx_response_t *r = wx_chain(c, SEED_PATH)->post(&post);
    wx_err rc = wx_response_err(r);
    if (rc == WX_E_OUTCOME_UNKNOWN)
        assert_non_null(strstr(wx_response_error_detail(r)->message, "not resent"));
    *arrivals = wxt_bad_requests(s) - 1;
    wx_response_free(r);
    wx_client_free(c);
    wxt_bad_stop(s);
    return rc;
}

static void test_post_not_resent(void **state)
{
    int arrivals = 0;
    assert_int_equal(post_on_dying_connection(0, &arrivals), WX_E_OUTCOME_UNKNOWN);
    assert_int_equal(arrivals, 1);
    /* The same server and flow, with a request that may be resent: it is (by libcurl,
       on a fresh connection), which shows that the case above is the dangerous one. */
    assert_int_not_equal(post_on_dying_connection(1, &arrivals), WX_E_OUTCOME_UNKNOWN);
    assert_true(arrivals >= 2);
}

/* Run one request and expect it refused with @p want and a message holding @p fragment. */
static void refused(wx_node_t *node, wx_method m, wx_request_options_t *o, wx_err want,
                    const char *fragment)
{
    wx_response_t *r = wx_request(node, m, o);
    if (wx_response_err(r) != want)
        fail_msg("want %s, got %s: %s", wx_err_name(want), wx_err_name(wx_response_err(r)),
                 wx_response_error_detail(r)->message);
    if (fragment && !strstr(wx_response_error_detail(r)->message, fragment))
        fail_msg("message \"%s\" lacks \"%s\"", wx_response_error_detail(r)->message, fragment);
    wx_response_free(r);
}

static void test_encoded_slashes(void **state)
{
    wxt_bad_server *s = wxt_bad_start(WXT_BAD_CLOSE);
    wx_client_t *c = client_for(wxt_bad_url(s), 3);
    wx_request_options_t none = {0};
    const char *segs[] = {"..%2F..%2Fpay%2Ftransactions", "a%2fb", "a%5Cb", "%5c..%5c"};
    for (size_t i = 0; i < sizeof segs / sizeof segs[0]; i++)
        refused(wx_chain(c, "v3/billdownload")->seg(segs[i]), WX_GET, &none, WX_E_INVALID_ARG,
                "encoded");
    const char *vals[] = {"..%2F..%2Fpay%2Ftransactions%2Fout-trade-no%2F1", "x%5C..", "%2F"};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        wx_request_options_t o = {.vars = (const wx_kv_t[]){{"p", vals[i]}, {NULL, NULL}},
                                  .no_validation = 1};
        refused(wx_chain(c, "v3/merchant-service/images/{+p}"), WX_GET, &o, WX_E_INVALID_ARG,
                "encoded");
    }
    assert_int_equal(wxt_bad_requests(s), 0);
    wx_client_free(c);
    wxt_bad_stop(s);
}

static void test_fragments(void **state)
{
    wxt_bad_server *s = wxt_bad_start(WXT_BAD_CLOSE);
    wx_client_t *c = client_for(wxt_bad_url(s), 3);
    wx_request_options_t o = {.vars = (const wx_kv_t[]){{"f", "f"}, {"p", "a#f"}, {NULL, NULL}},
                              .query = (const wx_kv_t[]){{"mchid", "1900000001"}, {NULL, NULL}},
                              .no_validation = 1};
    refused(wx_chain(c, "v3/pay/transactions/id/1{#f}"), WX_GET, &o, WX_E_TEMPLATE, "fragment");
    refused(wx_chain(c, "v3/pay/transactions/{f}{#f}"), WX_GET, &o, WX_E_TEMPLATE, "fragment");
    assert_int_equal(wxt_bad_requests(s), 0);
    wx_client_free(c);
    wxt_bad_stop(s);
}

static void test_upload_header_injection(void **state)
{
    wxt_bad_server *s = wxt_bad_start(WXT_BAD_CLOSE);
    wx_client_t *c = client_for(wxt_bad_url(s), 3);
    static const char png[] = "\x89PNG\r\n\x1a\n";
    wx_upload_t ups[] = {
        {.filename = "a.png", .data = png, .data_len = 8,
         .content_type = "image/png\r\nContent-Disposition: form-data; name=\"meta\""},
        {.filename = "a.png", .data = png, .data_len = 8, .content_type = "image/png\n"},
        {.filename = "a\r\nX-Evil: 1\r\n.png", .data = png, .data_len = 8},
        {.filename = "a.png", .data = png, .data_len = 8, .content_type = "image/\x01png"},
    };
    for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
        wx_request_options_t o = {.upload = &ups[i], .no_validation = 1};
        refused(wx_chain(c, "v3/merchant/media/upload"), WX_POST, &o, WX_E_HEADER_VALUE,
                "control character");
    }
    assert_int_equal(wxt_bad_requests(s), 0);
    wx_client_free(c);
    wxt_bad_stop(s);
}

static void test_honest_errors(void **state)
{
    wxt_bad_server *s = wxt_bad_start(WXT_BAD_CLOSE);
    wx_client_t *c = client_for(wxt_bad_url(s), 3);
    size_t n = 9000;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = 0;
    wx_request_options_t o = {.json_text = SEED_BODY, .retry_safe = 1,
                              .headers = (const wx_kv_t[]){{"X-Big", big}, {NULL, NULL}}};
    refused(wx_chain(c, SEED_PATH), WX_POST, &o, WX_E_INVALID_ARG, "too long");
    /* A URL over libcurl's 8,000,000-byte limit: too long, not a broken connection, and
       not retried although the request may be. */
    n = 8u << 20;
    big = realloc(big, n + 1);
    memset(big, 'q', n);
    big[n] = 0;
    wx_request_options_t q = {.retry_safe = 1, .no_validation = 1,
                              .query = (const wx_kv_t[]){{"q", big}, {NULL, NULL}}};
    refused(wx_chain(c, "v3/certificates"), WX_GET, &q, WX_E_INVALID_ARG, "URL is too long");
    free(big);
    assert_int_equal(wxt_bad_requests(s), 0);
    assert_int_equal(wxt_bad_connections(s), 0);
    wx_client_free(c);
    wxt_bad_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_not_resent),
        cmocka_unit_test(test_encoded_slashes),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_upload_header_injection),
        cmocka_unit_test(test_honest_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
