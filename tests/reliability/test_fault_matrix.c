/* The fault matrix: every way the sandbox can misbehave (`Wxpay-Mock-Fault`) and every
 * way a raw misbehaving server can (tests/support/bad_server.c: reset, clean close,
 * stall, endless body, garbage, endless or huge headers, nobody listening), through the
 * sync and the async path. Each case must end with its own error code within its time
 * limit, never report success nor expose a byte of body, and leave no descriptor open.
 * Async requests in flight alongside a failing one complete normally. A POST that is not
 * retry_safe, sent on a reused connection the server reads it from and then drops, is
 * WX_E_OUTCOME_UNKNOWN and reaches the server exactly once, sync and async (issue 16). */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

#include "bad_server.h"
#include "testutil.h"

#define SEED_BODY                                                                             \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":[{\"stock_id\":16474341," \
    "\"coupon_id\":\"11004999626\"}]}"
#define SLACK_MS 3000 /* scheduling, valgrind */

static wxt_mock g_mock;

typedef struct fault_case {
    const char *name;
    const char *mock_fault;   /* a sandbox fault, or NULL ... */
    int bad;                  /* ... a bad_server mode (+1; 0 = none) */
    int refused;              /* ... or nobody listening */
    long timeout_ms;          /* client's total time limit (0: 5000) */
    size_t max_bytes;         /* client's max_response_bytes (0: default) */
    wx_err want;
} fault_case;

static const fault_case k_cases[] = {
    {"mock bad-signature", "bad-signature", 0, 0, 0, 0, WX_E_VERIFY_SIGNATURE},
    {"mock unknown-serial", "unknown-serial", 0, 0, 0, 0, WX_E_VERIFY_SERIAL},
    {"mock stale-timestamp", "stale-timestamp", 0, 0, 0, 0, WX_E_VERIFY_TIME},
    {"mock missing-headers", "missing-headers", 0, 0, 0, 0, WX_E_VERIFY_HEADER},
    {"mock http-500", "http-500", 0, 0, 0, 0, WX_E_HTTP},
    {"mock drop-connection", "drop-connection", 0, 0, 0, 0, WX_E_TRANSPORT},
    {"mock truncated-body", "truncated-body", 0, 0, 0, 0, WX_E_TRANSPORT},
    {"mock slow-body past the timeout", "slow-body", 0, 0, 600, 0, WX_E_TIMEOUT},
    {"server resets", NULL, WXT_BAD_RESET + 1, 0, 0, 0, WX_E_TRANSPORT},
    {"server closes", NULL, WXT_BAD_CLOSE + 1, 0, 0, 0, WX_E_TRANSPORT},
    {"server stalls", NULL, WXT_BAD_STALL + 1, 0, 700, 0, WX_E_TIMEOUT},
    {"endless body past max_response_bytes", NULL, WXT_BAD_ENDLESS_BODY + 1, 0, 0, 1 << 20,
     WX_E_TOO_LARGE},
    {"endless body past the default maximum", NULL, WXT_BAD_ENDLESS_BODY + 1, 0, 0, 0,
     WX_E_TOO_LARGE},
    {"trickled endless body past the timeout", NULL, WXT_BAD_TRICKLE + 1, 0, 700, 0,
     WX_E_TIMEOUT},
    {"garbage instead of HTTP", NULL, WXT_BAD_GARBAGE + 1, 0, 0, 0, WX_E_TRANSPORT},
    /* libcurl's own limits on a response head (300 KiB in all, 100 KiB a line) end
       these before max_response_bytes is looked at: a transport error */
    {"endless headers", NULL, WXT_BAD_HUGE_HEADERS + 1, 0, 0, 1 << 20, WX_E_TOO_LARGE},
    {"one 1 MiB header", NULL, WXT_BAD_HUGE_HEADER + 1, 0, 3000, 0, WX_E_TOO_LARGE},
    {"nobody listening", NULL, 0, 1, 0, 0, WX_E_CONNECT},
};
#define N_CASES (sizeof k_cases / sizeof k_cases[0])

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n - 1; /* the directory's own descriptor */
}

static wx_client_t *client_for(const char *base_url, long timeout_ms, size_t max_bytes)
{
    wx_client_options_t o = {.base_url = base_url, .timeout_ms = timeout_ms,
                             .connect_timeout_ms = 2000, .max_response_bytes = max_bytes};
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new_from_config(g_mock.config, &o, &c, &err) != WX_OK)
        fail_msg("client: %s", err.message);
    return c;
}

static wx_request_options_t seed_options(const fault_case *fc)
{
    static wx_kv_t fault_header[2];
    wx_request_options_t o = {.json_text = SEED_BODY};
    if (fc && fc->mock_fault) {
        fault_header[0] = (wx_kv_t){"Wxpay-Mock-Fault", fc->mock_fault};
        fault_header[1] = (wx_kv_t){NULL, NULL};
        o.headers = fault_header;
    }
    return o;
}

/* Where a case's request goes: the sandbox, a bad server, or a closed port. */
typedef struct target {
    wxt_bad_server *bad;
    char url[64];
} target;

static void target_open(target *t, const fault_case *fc)
{
    memset(t, 0, sizeof *t);
    if (fc->bad) {
        t->bad = wxt_bad_start((wxt_bad_mode)(fc->bad - 1));
        snprintf(t->url, sizeof t->url, "%s", wxt_bad_url(t->bad));
    } else if (fc->refused) {
        /* A port that was just free: bind, note it, close. */
        wxt_bad_server *b = wxt_bad_start(WXT_BAD_CLOSE);
        snprintf(t->url, sizeof t->url, "%s", wxt_bad_url(b));
        wxt_bad_stop(b);
    } else {
        snprintf(t->url, sizeof t->url, "%s", g_mock.base_url);
    }
}

static void check_failure(const fault_case *fc, const wx_response_t *r, long elapsed,
                          const char *how)
{
    wx_err got = wx_response_err(r);
    if (got != fc->want)
        fail_msg("%s (%s): want %s, got %s: %s", fc->name, how, wx_err_name(fc->want),
                 wx_err_name(got), wx_response_error_detail(r)->message);
    long limit = (fc->timeout_ms ? fc->timeout_ms : 5000) + SLACK_MS;
    if (elapsed > limit)
        fail_msg("%s (%s): took %ld ms, limit %ld ms", fc->name, how, elapsed, limit);
    assert_int_not_equal(got, WX_OK);
    assert_true(wx_response_error_detail(r)->message[0] != 0);
    if (got == WX_E_HTTP) {
        /* A verified error answer: its body is the server's, and it is no success. */
        assert_int_equal(wx_response_status(r), 500);
        assert_string_equal(wx_response_error_detail(r)->server_code, "SYSTEM_ERROR");
    } else {
        assert_null(wx_response_body(r, NULL));
        assert_null(wx_response_json(r));
    }
    printf("  %-40s %-6s %-22s %5ld ms  %s\n", fc->name, how, wx_err_name(got), elapsed,
           wx_response_error_detail(r)->message);
}

static void run_case(const fault_case *fc)
{
    int fds_before = open_fds();
    target t;
    target_open(&t, fc);
    wx_client_t *c = client_for(t.url, fc->timeout_ms ? fc->timeout_ms : 5000, fc->max_bytes);
    wx_request_options_t o = seed_options(fc);

    long t0 = now_ms();
    wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")->post(&o);
    check_failure(fc, r, now_ms() - t0, "sync");
    wx_response_free(r);

    t0 = now_ms();
    r = wx_chain(c, "v3/industry-coupon/tokens")->post_async(&o)->wait();
    check_failure(fc, r, now_ms() - t0, "async");
    wx_response_free(r);

    wx_client_free(c);
    wxt_bad_stop(t.bad);
    int fds_after = open_fds();
    if (fds_after != fds_before)
        fail_msg("%s: %d descriptors open before, %d after", fc->name, fds_before, fds_after);
}

static void test_fault_matrix(void **state)
{
    printf("fault matrix: %zu cases, sync and async\n", N_CASES);
    for (size_t i = 0; i < N_CASES; i++)
        run_case(&k_cases[i]);
}

/* ------------------------------------------------------------ alongside */

typedef struct outcome {
    int fired;
    wx_err err;
} outcome;

static void on_done(const wx_response_t *r, void *ud)
{
    outcome *o = ud;
    o->fired++;
    o->err = wx_response_err(r);
}

/* Six good requests on a healthy client and one failing request (on the same client
 * for sandbox faults, on a second client for raw-server faults), all in flight at once
 * on this thread; the engine is driven until every callback has fired. */
static void run_alongside(const fault_case *fc)
{
    target t;
    target_open(&t, fc);
    wx_client_t *good = client_for(g_mock.base_url, 10000, 0);
    wx_client_t *bad = fc->mock_fault ? good : client_for(t.url, fc->timeout_ms ? fc->timeout_ms : 5000,
                                                           fc->max_bytes);
    wx_request_options_t ok_opts = seed_options(NULL), bad_opts = seed_options(fc);
    bad_opts.timeout_ms = fc->timeout_ms;
    outcome good_out[6] = {{0}}, bad_out = {0};
    long t0 = now_ms();
    for (int i = 0; i < 3; i++)
        wx_future_release(wx_chain(good, "v3/industry-coupon/tokens")->post_async(&ok_opts)
                              ->then(on_done, &good_out[i]));
    wx_future_release(wx_chain(bad, "v3/industry-coupon/tokens")->post_async(&bad_opts)
                          ->then(on_done, &bad_out));
    for (int i = 3; i < 6; i++)
        wx_future_release(wx_chain(good, "v3/industry-coupon/tokens")->post_async(&ok_opts)
                              ->then(on_done, &good_out[i]));
    for (;;) {
        size_t left = wx_client_perform(good, 20);
        if (bad != good)
            left += wx_client_perform(bad, 20);
        if (left == 0)
            break;
        if (now_ms() - t0 > 30000)
            fail_msg("%s: requests still in flight after 30 s", fc->name);
    }
    /* fire-and-forget futures call back from inside perform; let the last ones out */
    wx_client_wait_all(good);
    if (bad != good)
        wx_client_wait_all(bad);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(good_out[i].fired, 1);
        if (good_out[i].err != WX_OK)
            fail_msg("%s: good request %d alongside got %s", fc->name, i,
                     wx_err_name(good_out[i].err));
    }
    assert_int_equal(bad_out.fired, 1);
    if (bad_out.err != fc->want)
        fail_msg("%s alongside: want %s, got %s", fc->name, wx_err_name(fc->want),
                 wx_err_name(bad_out.err));
    if (bad != good)
        wx_client_free(bad);
    wx_client_free(good);
    wxt_bad_stop(t.bad);
}

static void test_alongside(void **state)
{
    for (size_t i = 0; i < N_CASES; i++)
        run_alongside(&k_cases[i]);
    printf("alongside: %zu failing cases, 6 good requests each, all good ones verified\n",
           N_CASES);
}

/* The connection dies after the server read the POST: never resent by anyone. */
static void test_post_dropped_after_read(void **state)
{
    for (int async = 0; async < 2; async++) {
        int fds_before = open_fds();
        wxt_bad_server *s = wxt_bad_start(WXT_BAD_DROP_REUSED);
        wx_client_t *c = client_for(wxt_bad_url(s), 5000, 0);
        /* a first request opens the connection the POST will reuse */
        wx_request_options_t get = {.query = (const wx_kv_t[]){{"offset", "0"}, {NULL, NULL}}};
        wx_response_free(wx_chain(c, "v3/certificates")->get(&get));
        assert_int_equal(wxt_bad_connections(s), 1);
        wx_request_options_t o = seed_options(NULL);
        wx_response_t *r = async ? wx_chain(c, "v3/industry-coupon/tokens")->post_async(&o)->wait()
                                 : wx_chain(c, "v3/industry-coupon/tokens")->post(&o);
        if (wx_response_err(r) != WX_E_OUTCOME_UNKNOWN)
            fail_msg("%s: want WX_E_OUTCOME_UNKNOWN, got %s: %s", async ? "async" : "sync",
                     wx_err_name(wx_response_err(r)), wx_response_error_detail(r)->message);
        assert_null(wx_response_body(r, NULL));
        wx_response_free(r);
        assert_int_equal(wxt_bad_requests(s), 2); /* the GET and the POST, once */
        wx_client_free(c);
        wxt_bad_stop(s);
        assert_int_equal(open_fds(), fds_before);
    }
}

/* After all of that, one client still works: failures do not poison the pool. */
static void test_recovers(void **state)
{
    wx_client_t *c = client_for(g_mock.base_url, 5000, 0);
    wx_request_options_t ok = seed_options(NULL);
    for (size_t i = 0; i < N_CASES; i++) {
        if (!k_cases[i].mock_fault)
            continue;
        wx_request_options_t o = seed_options(&k_cases[i]);
        o.timeout_ms = k_cases[i].timeout_ms;
        wx_response_free(wx_chain(c, "v3/industry-coupon/tokens")->post(&o));
        wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")->post(&ok);
        if (wx_response_err(r) != WX_OK)
            fail_msg("after %s: %s", k_cases[i].name, wx_response_error_detail(r)->message);
        wx_response_free(r);
    }
    wx_client_free(c);
}

static int setup(void **state)
{
    wxt_mock_start(&g_mock, (const char *const[]){"--quiet", NULL});
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(wxt_mock_stop(&g_mock), 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_matrix),
        cmocka_unit_test(test_alongside),
        cmocka_unit_test(test_recovers),
        cmocka_unit_test(test_post_dropped_after_read),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
