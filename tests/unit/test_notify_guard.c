/* The replay guard of notifications (issue 16, defect 9): a repeat is told apart from
 * the first delivery (handled: WX_E_REPLAY; still being handled: WX_E_PENDING), a
 * failed handling is forgotten, timestamps outside the window are refused, ids expire
 * after their retention, the memory is bounded by the capacity (oldest dropped first),
 * and many threads admitting the same ids admit each exactly once. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <wechatpay/wechatpay.h>

#include "testutil.h"

#define T0 1700000000LL

static wx_notify_guard_t *guard(size_t capacity, int64_t window_s, int64_t retain_s)
{
    wx_notify_guard_options_t o = WX_NOTIFY_GUARD_OPTIONS_INIT;
    o.capacity = capacity;
    o.window_s = window_s;
    o.retain_s = retain_s;
    wx_notify_guard_t *g = NULL;
    assert_int_equal(wx_notify_guard_new(&o, &g, NULL), WX_OK);
    return g;
}

/* The merchant's handler: credits an order once per admitted notification. */
static wx_err deliver(wx_notify_guard_t *g, const char *id, int64_t now, int *credits)
{
    wx_err rc = wx_notify_guard_admit(g, id, now, now, NULL);
    if (rc == WX_OK) {
        (*credits)++;
        wx_notify_guard_finish(g, id, 1);
    }
    return rc;
}

static void test_three_deliveries_credit_once(void **state)
{
    (void)state;
    wx_notify_guard_t *g = guard(0, 0, 0);
    int credits = 0;
    assert_int_equal(deliver(g, "EV-2018022511223320873", T0, &credits), WX_OK);
    assert_int_equal(deliver(g, "EV-2018022511223320873", T0 + 15, &credits), WX_E_REPLAY);
    wx_error_t err = {0};
    assert_int_equal(wx_notify_guard_admit(g, "EV-2018022511223320873", T0 + 30, T0 + 30, &err),
                     WX_E_REPLAY);
    assert_string_equal(err.where, "id");
    assert_non_null(strstr(err.message, "EV-2018022511223320873"));
    assert_int_equal(credits, 1);
    /* another notification is its own */
    assert_int_equal(deliver(g, "EV-2018022511223320874", T0 + 30, &credits), WX_OK);
    assert_int_equal(credits, 2);
    assert_int_equal(wx_notify_guard_count(g), 2);
    wx_notify_guard_free(g);
}

static void test_pending_and_failed_handling(void **state)
{
    (void)state;
    wx_notify_guard_t *g = guard(0, 0, 0);
    assert_int_equal(wx_notify_guard_admit(g, "EV-1", T0, T0, NULL), WX_OK);
    /* a second delivery while the first is being handled */
    assert_int_equal(wx_notify_guard_admit(g, "EV-1", T0, T0 + 1, NULL), WX_E_PENDING);
    /* the first failed (say the database was down): the next delivery is admitted */
    wx_notify_guard_finish(g, "EV-1", 0);
    assert_int_equal(wx_notify_guard_count(g), 0);
    assert_int_equal(wx_notify_guard_admit(g, "EV-1", T0 + 15, T0 + 15, NULL), WX_OK);
    wx_notify_guard_finish(g, "EV-1", 1);
    assert_int_equal(wx_notify_guard_admit(g, "EV-1", T0 + 30, T0 + 30, NULL), WX_E_REPLAY);
    wx_notify_guard_finish(g, "EV-unknown", 1); /* ignored */
    /* the answers WeChat Pay gets: success for a repeat, failure for a pending one */
    int status = 0;
    char *body = NULL;
    assert_int_equal(wx_notify_reply(WX_E_REPLAY, NULL, &status, &body), WX_OK);
    assert_int_equal(status, 204);
    assert_null(body);
    assert_int_equal(wx_notify_reply(WX_E_PENDING, NULL, &status, &body), WX_OK);
    assert_int_equal(status, 500);
    wx_free(body);
    wx_notify_guard_free(g);
}

static void test_window_and_retention(void **state)
{
    (void)state;
    wx_notify_guard_t *g = guard(0, 0, 0); /* window 300 s, retention 600 s */
    wx_error_t err = {0};
    assert_int_equal(wx_notify_guard_admit(g, "EV-old", T0 - 301, T0, &err), WX_E_VERIFY_TIME);
    assert_string_equal(err.where, "id");
    assert_int_equal(wx_notify_guard_admit(g, "EV-new", T0 + 301, T0, NULL), WX_E_VERIFY_TIME);
    assert_int_equal(wx_notify_guard_count(g), 0);
    /* a replay of a notification signed at T0 passes the time check until T0 + 300; it
       was admitted at T0 - 300 at the earliest: remembered for 600 s covers it */
    assert_int_equal(wx_notify_guard_admit(g, "EV-1", T0, T0 - 300, NULL), WX_OK);
    wx_notify_guard_finish(g, "EV-1", 1);
    assert_int_equal(wx_notify_guard_admit(g, "EV-1", T0, T0 + 299, NULL), WX_E_REPLAY);
    /* after its retention the id is forgotten (the verifier refuses its old timestamp) */
    assert_int_equal(wx_notify_guard_admit(g, "EV-1", T0 + 300, T0 + 300, NULL), WX_OK);
    wx_notify_guard_free(g);

    /* a longer retention catches WeChat Pay's later redeliveries (new timestamps) */
    g = guard(0, 0, 90000);
    int credits = 0;
    assert_int_equal(deliver(g, "EV-2", T0, &credits), WX_OK);
    assert_int_equal(deliver(g, "EV-2", T0 + 3 * 3600, &credits), WX_E_REPLAY);
    assert_int_equal(credits, 1);
    wx_notify_guard_free(g);
}

static void test_capacity_bounds_memory(void **state)
{
    (void)state;
    wx_notify_guard_t *g = guard(64, 0, 0);
    char id[32];
    int credits = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "EV-%04d", i);
        assert_int_equal(deliver(g, id, T0 + i / 100, &credits), WX_OK);
        assert_true(wx_notify_guard_count(g) <= 64);
    }
    assert_int_equal(wx_notify_guard_count(g), 64);
    /* the newest 64 are remembered, the oldest were dropped first */
    assert_int_equal(deliver(g, "EV-0999", T0 + 10, &credits), WX_E_REPLAY);
    assert_int_equal(deliver(g, "EV-0936", T0 + 10, &credits), WX_E_REPLAY);
    assert_int_equal(deliver(g, "EV-0935", T0 + 10, &credits), WX_OK);
    assert_int_equal(credits, 1001);
    assert_int_equal(wx_notify_guard_count(g), 64);
    /* expired ids leave as time passes */
    assert_int_equal(deliver(g, "EV-late", T0 + 1000, &credits), WX_OK);
    assert_int_equal(wx_notify_guard_count(g), 1);
    wx_notify_guard_free(g);
}

#define THREADS 8
#define IDS 2000

typedef struct worker {
    wx_notify_guard_t *g;
    int admitted;
    int repeats;
} worker;

static void *admit_all(void *arg)
{
    worker *w = arg;
    char id[32];
    for (int i = 0; i < IDS; i++) {
        snprintf(id, sizeof id, "EV-%05d", i);
        wx_err rc = wx_notify_guard_admit(w->g, id, T0, T0, NULL);
        if (rc == WX_OK) {
            w->admitted++;
            wx_notify_guard_finish(w->g, id, 1);
        } else if (rc == WX_E_REPLAY || rc == WX_E_PENDING) {
            w->repeats++;
        }
    }
    return NULL;
}

static void test_threads_admit_each_once(void **state)
{
    (void)state;
    wx_notify_guard_t *g = guard(IDS, 0, 0);
    pthread_t t[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){g, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, admit_all, &w[i]), 0);
    }
    int admitted = 0, repeats = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        admitted += w[i].admitted;
        repeats += w[i].repeats;
    }
    assert_int_equal(admitted, IDS);
    assert_int_equal(repeats, (THREADS - 1) * IDS);
    assert_int_equal(wx_notify_guard_count(g), IDS);
    wx_notify_guard_free(g);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    wx_notify_guard_t *g = NULL;
    wx_notify_guard_options_t o = WX_NOTIFY_GUARD_OPTIONS_INIT;
    o.version = 99;
    assert_int_equal(wx_notify_guard_new(&o, &g, NULL), WX_E_INVALID_ARG);
    o = (wx_notify_guard_options_t)WX_NOTIFY_GUARD_OPTIONS_INIT;
    o.window_s = -1;
    assert_int_equal(wx_notify_guard_new(&o, &g, NULL), WX_E_INVALID_ARG);
    assert_null(g);
    assert_int_equal(wx_notify_guard_new(NULL, NULL, NULL), WX_E_INVALID_ARG);
    assert_int_equal(wx_notify_guard_new(NULL, &g, NULL), WX_OK);
    char long_key[WX_NOTIFY_GUARD_KEY_MAX + 2];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = 0;
    assert_int_equal(wx_notify_guard_admit(g, long_key, T0, T0, NULL), WX_E_INVALID_ARG);
    long_key[WX_NOTIFY_GUARD_KEY_MAX] = 0;
    assert_int_equal(wx_notify_guard_admit(g, long_key, T0, T0, NULL), WX_OK);
    assert_int_equal(wx_notify_guard_admit(g, "", T0, T0, NULL), WX_E_INVALID_ARG);
    assert_int_equal(wx_notify_guard_admit(NULL, "EV-1", T0, T0, NULL), WX_E_INVALID_ARG);
    assert_int_equal(wx_notify_guard_count(NULL), 0);
    wx_notify_guard_finish(NULL, "EV-1", 1);
    wx_notify_guard_free(g);
    wx_notify_guard_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_deliveries_credit_once),
        cmocka_unit_test(test_pending_and_failed_handling),
        cmocka_unit_test(test_window_and_retention),
        cmocka_unit_test(test_capacity_bounds_memory),
        cmocka_unit_test(test_threads_admit_each_once),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
