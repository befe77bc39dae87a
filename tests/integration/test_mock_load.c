/* Load on the stateful sandbox: 16 clients create, pay and query orders at once for 10 s
 * (WXPAY_LOAD_SECONDS) against one `wxpay mock --state FILE`. Afterwards every order reads
 * as it was made and paid, and every payment's callback was delivered exactly once per
 * notification id. Labelled `load`: the valgrind stage skips it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callback_sink.h"
#include "lifecycle_util.h"

#define CLIENTS 16
#define MAX_PER_CLIENT 20000

static wxt_mock g_mock;
static char g_url[128];
static double g_seconds = 10;

typedef struct worker {
    int index;
    int orders;       /* made and paid */
    char failure[512];
} worker;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t amount_of(int index, int n) { return 1 + (index * 7919 + n) % 100000; }

/* One order's life: create, pay, query SUCCESS. 0, or -1 with w->failure. */
static int one_order(worker *w, wx_client_t *c, int n)
{
    char otn[40], body[80];
    snprintf(otn, sizeof otn, "load_%02d_%06d", w->index, n);
    wx_response_t *r = lc_create(c, "jsapi", otn, amount_of(w->index, n), g_url);
    int ok = wx_response_err(r) == WX_OK;
    if (!ok)
        snprintf(w->failure, sizeof w->failure, "create %s: %.300s", otn, wx_response_error_detail(r)->message);
    wx_response_free(r);
    snprintf(body, sizeof body, "{\"out_trade_no\":\"%s\"}", otn);
    if (ok && lc_control(&g_mock, "POST", "/mock/pay", body, NULL) != 200) {
        snprintf(w->failure, sizeof w->failure, "pay %s failed", otn);
        ok = 0;
    }
    if (ok) {
        r = lc_query(c, otn);
        ok = wx_response_err(r) == WX_OK && !strcmp(lc_field(r, "trade_state"), "SUCCESS");
        if (!ok)
            snprintf(w->failure, sizeof w->failure, "query %s: %.300s %.20s", otn,
                     wx_response_error_detail(r)->message, lc_field(r, "trade_state"));
        wx_response_free(r);
    }
    return ok ? 0 : -1;
}

static void *work(void *ud)
{
    worker *w = ud;
    wx_client_t *c = lc_client(&g_mock);
    double end = now_s() + g_seconds;
    while (now_s() < end && w->orders < MAX_PER_CLIENT && !w->failure[0])
        if (one_order(w, c, w->orders) == 0)
            w->orders++;
    wx_client_free(c);
    return NULL;
}

static void check_orders(const worker *workers)
{
    wx_client_t *c = lc_client(&g_mock);
    for (int i = 0; i < CLIENTS; i++)
        for (int n = 0; n < workers[i].orders; n++) {
            char otn[40];
            snprintf(otn, sizeof otn, "load_%02d_%06d", i, n);
            wx_response_t *r = lc_query(c, otn);
            lc_ok(r);
            assert_string_equal(lc_field(r, "trade_state"), "SUCCESS");
            assert_int_equal(json_object_get_int64(lc_get(wx_response_json(r), "amount.total")),
                             amount_of(i, n));
            wx_response_free(r);
        }
    wx_client_free(c);
}

static void test_sixteen_clients(void **state)
{
    (void)state;
    const char *env = getenv("WXPAY_LOAD_SECONDS");
    if (env && atof(env) > 0)
        g_seconds = atof(env);
    char *dir = wxt_tmpdir("mock-load");
    char *db = wxt_path(dir, "state.db");
    sink *snk = sink_start();
    sink_url(snk, "notify", g_url, sizeof g_url);
    wxt_mock_start(&g_mock, (const char *const[]){"--state", db, "--quiet", NULL});

    worker workers[CLIENTS];
    pthread_t threads[CLIENTS];
    memset(workers, 0, sizeof workers);
    double t0 = now_s();
    for (int i = 0; i < CLIENTS; i++) {
        workers[i].index = i;
        pthread_create(&threads[i], NULL, work, &workers[i]);
    }
    int total = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(threads[i], NULL);
        if (workers[i].failure[0])
            fail_msg("client %d: %s", i, workers[i].failure);
        total += workers[i].orders;
    }
    double took = now_s() - t0;
    printf("load: %d orders (create+pay+query) by %d clients in %.1f s: %.0f orders/s\n", total,
           CLIENTS, took, total / took);
    assert_true(total > CLIENTS);
    check_orders(workers);

    /* every payment's callback delivered, once per id */
    size_t got = sink_wait(snk, (size_t)total, 120000);
    assert_int_equal(got, (size_t)total);
    struct json_object *list = NULL, *data = NULL;
    int delivered = 0;
    for (int tries = 0; tries < 500 && delivered < total; tries++) {
        json_object_put(list);
        assert_int_equal(lc_control(&g_mock, "GET", "/mock/notifications", NULL, &list), 200);
        data = lc_get(list, "data");
        assert_int_equal(json_object_array_length(data), (size_t)total);
        delivered = 0;
        for (int i = 0; i < total; i++)
            delivered += json_object_get_boolean(
                lc_get(json_object_array_get_idx(data, (size_t)i), "delivered"));
        if (delivered < total)
            usleep(10000); /* the last records follow the answers by a moment */
    }
    assert_int_equal(delivered, total);
    json_object_put(list);
    sleep(1); /* nothing more arrives: no callback is sent twice */
    assert_int_equal(sink_wait(snk, (size_t)total + 1, 0), (size_t)total);
    assert_int_equal(wxt_mock_stop(&g_mock), 0);
    sink_stop(snk);
    free(db);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sixteen_clients),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
