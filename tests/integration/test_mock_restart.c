/* --state survives a crash: orders, refunds and pending callbacks are still there after
 * `kill -9` and a restart on the same file, and the callbacks that were pending are
 * delivered by the new process (signed with the public key there: --sign-with pubkey). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "callback_sink.h"
#include "lifecycle_util.h"

#define ORDERS 20
#define PAID 10

static void kill9(wxt_mock *m)
{
    int status = 0;
    assert_int_equal(kill(m->pid, SIGKILL), 0);
    assert_int_equal(waitpid(m->pid, &status, 0), m->pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    m->pid = -1;
    wxt_mock_stop(m);
}

static int pending_count(const wxt_mock *m, int *delivered)
{
    struct json_object *list = NULL;
    assert_int_equal(lc_control(m, "GET", "/mock/notifications", NULL, &list), 200);
    struct json_object *data = lc_get(list, "data");
    int n = (int)json_object_array_length(data), d = 0;
    for (int i = 0; i < n; i++)
        d += json_object_get_boolean(lc_get(json_object_array_get_idx(data, i), "delivered"));
    json_object_put(list);
    *delivered = d;
    return n;
}

static void test_kill9_restart(void **state)
{
    (void)state;
    char *dir = wxt_tmpdir("mock-restart");
    char *db = wxt_path(dir, "state.db");
    sink *snk = sink_start();
    sink_always(snk, 500); /* the merchant is down: callbacks stay pending */
    char url[128];
    sink_url(snk, "notify", url, sizeof url);
    const char *const args[] = {"--state", db, "--notify-backoff", "0.3", NULL};

    wxt_mock m;
    wxt_mock_start(&m, args);
    wx_client_t *c = lc_client(&m);
    char otn[ORDERS][32], txn[PAID][33];
    for (int i = 0; i < ORDERS; i++) {
        snprintf(otn[i], sizeof otn[i], "restart_order_%03d", i);
        wx_response_t *r = lc_create(c, i % 2 ? "native" : "jsapi", otn[i], 100 + i, url);
        lc_ok(r);
        wx_response_free(r);
    }
    for (int i = 0; i < PAID; i++) {
        char body[96];
        struct json_object *o = NULL;
        snprintf(body, sizeof body, "{\"out_trade_no\":\"%.31s\"}", otn[i]);
        assert_int_equal(lc_control(&m, "POST", "/mock/pay", body, &o), 200);
        snprintf(txn[i], sizeof txn[i], "%.32s", json_object_get_string(lc_get(o, "transaction_id")));
        json_object_put(o);
    }
    wx_response_t *r = lc_refund(c, otn[0], "restart_refund_1", 40, 100, NULL);
    lc_ok(r);
    wx_response_free(r);
    /* every callback has been tried (and refused) at least once before the crash */
    assert_true(sink_wait(snk, PAID, 20000) >= PAID);
    int delivered = -1;
    assert_int_equal(pending_count(&m, &delivered), PAID);
    assert_int_equal(delivered, 0);
    wx_client_free(c);
    kill9(&m);

    /* a new process on the same file, the merchant back up */
    sink_always(snk, 204);
    size_t before = sink_wait(snk, 0, 0);
    /* (the new process signs with the WeChat Pay public key: the client knows both) */
    const char *const args2[] = {"--state", db, "--notify-backoff", "0.3", "--sign-with", "pubkey",
                                 NULL};
    wxt_mock_start(&m, args2);
    c = lc_client(&m);
    for (int i = 0; i < ORDERS; i++) {
        wx_response_t *q = lc_query(c, otn[i]);
        lc_ok(q);
        const char *want = i == 0 ? "REFUND" : i < PAID ? "SUCCESS" : "NOTPAY";
        assert_string_equal(lc_field(q, "trade_state"), want);
        assert_int_equal(json_object_get_int(lc_get(wx_response_json(q), "amount.total")), 100 + i);
        if (i < PAID)
            assert_string_equal(lc_field(q, "transaction_id"), txn[i]);
        wx_response_free(q);
    }
    r = lc_refund_query(c, "restart_refund_1");
    lc_ok(r);
    assert_string_equal(lc_field(r, "status"), "PROCESSING");
    wx_response_free(r);
    /* the pending callbacks arrive, each verified */
    for (int i = 0; i < 200; i++) {
        if (pending_count(&m, &delivered) == PAID && delivered == PAID)
            break;
        usleep(50000);
    }
    assert_int_equal(delivered, PAID);
    size_t now = sink_wait(snk, before + PAID, 10000);
    assert_true(now >= before + PAID);
    for (size_t i = before; i < now; i++) {
        const sink_item *it = sink_at(snk, i);
        wx_notification_t *n = NULL;
        wx_error_t err = {0};
        if (wx_notify_verify(c, it->headers, it->body, it->body_len, &n, &err) != WX_OK)
            fail_msg("resumed callback %zu: %s", i, err.message);
        assert_string_equal(n->event_type, "TRANSACTION.SUCCESS");
        assert_true(!strncmp(n->serial, "PUB_KEY_ID_", 11));
        wx_notification_free(n);
    }
    /* new orders continue with new ids */
    r = lc_create(c, "jsapi", "restart_order_new", 1, url);
    lc_ok(r);
    wx_response_free(r);
    struct json_object *o = NULL;
    assert_int_equal(lc_control(&m, "POST", "/mock/pay", "{\"out_trade_no\":\"restart_order_new\"}",
                                &o), 200);
    for (int i = 0; i < PAID; i++)
        assert_string_not_equal(json_object_get_string(lc_get(o, "transaction_id")), txn[i]);
    json_object_put(o);
    wx_client_free(c);
    assert_int_equal(wxt_mock_stop(&m), 0);
    sink_stop(snk);
    free(db);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
