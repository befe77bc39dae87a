/* The sandbox's store on its own: records round-trip, a rolled-back change leaves
 * nothing, keys are unique, callbacks come due in order, a file survives reopening,
 * and concurrent transactions do not lose updates. */
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "testutil.h"

static wx_mock_store *open_store(const char *path)
{
    char why[256] = "";
    wx_mock_store *s = wx_mock_store_open(path, why, sizeof why);
    if (!s)
        fail_msg("open %s: %s", path ? path : "(memory)", why);
    return s;
}

/* A store in a new file under test-tmp/NAME (the path in *path, malloc'd). */
static wx_mock_store *open_file_store(const char *name, char **path)
{
    char *dir = wxt_tmpdir(name);
    *path = wxt_path(dir, "state.db");
    free(dir);
    return open_store(*path);
}

static void make_order(wx_mock_order *o, const char *out_trade_no, int64_t total)
{
    memset(o, 0, sizeof *o);
    o->api_version = 3;
    snprintf(o->out_trade_no, sizeof o->out_trade_no, "%s", out_trade_no);
    snprintf(o->transaction_id, sizeof o->transaction_id, "tx-%s", out_trade_no);
    snprintf(o->trade_state, sizeof o->trade_state, "NOTPAY");
    snprintf(o->description, sizeof o->description, "Image形象店-深圳腾大-QQ公仔");
    wx_mock_time_rfc3339(-1, o->create_time);
    o->total = total;
    o->extra = strdup("{\"k\":1}");
}

static void test_order_roundtrip_and_rollback(void **state)
{
    (void)state;
    wx_mock_store *s = open_store(NULL);
    wx_mock_order o, got = {0};
    make_order(&o, "order-0001", 100);
    assert_int_equal(wx_mock_store_begin(s), WX_STORE_OK);
    assert_int_equal(wx_mock_order_insert(s, &o), WX_STORE_OK);
    assert_int_equal(wx_mock_order_insert(s, &o), WX_STORE_EXISTS);
    assert_int_equal(wx_mock_store_commit(s), WX_STORE_OK);

    /* a change rolled back is not there */
    assert_int_equal(wx_mock_store_begin(s), WX_STORE_OK);
    snprintf(o.trade_state, sizeof o.trade_state, "SUCCESS");
    assert_int_equal(wx_mock_order_update(s, &o), WX_STORE_OK);
    wx_mock_store_rollback(s);

    assert_int_equal(wx_mock_store_begin(s), WX_STORE_OK);
    assert_int_equal(wx_mock_order_find(s, "order-0001", &got), WX_STORE_OK);
    assert_string_equal(got.trade_state, "NOTPAY");
    assert_string_equal(got.description, o.description);
    assert_string_equal(got.extra, "{\"k\":1}");
    assert_int_equal(got.total, 100);
    wx_mock_order_clear(&got);
    assert_int_equal(wx_mock_order_find_by_transaction(s, "tx-order-0001", &got), WX_STORE_OK);
    assert_string_equal(got.out_trade_no, "order-0001");
    wx_mock_order_clear(&got);
    assert_int_equal(wx_mock_order_find(s, "nope-000", &got), WX_STORE_NOT_FOUND);
    wx_mock_store_rollback(s);
    /* outside a transaction nothing is read */
    assert_int_equal(wx_mock_order_find(s, "order-0001", &got), WX_STORE_ERROR);
    wx_mock_order_clear(&o);
    wx_mock_store_close(s);
}

static int count_order(void *ud, const wx_mock_order *o)
{
    (void)o;
    ++*(int *)ud;
    return 0;
}

static int sum_refund(void *ud, const wx_mock_refund *r)
{
    *(int64_t *)ud += r->refund;
    return 0;
}

static void test_refunds_and_days(void **state)
{
    (void)state;
    wx_mock_store *s = open_store(NULL);
    wx_mock_order o;
    make_order(&o, "order-0002", 300);
    assert_int_equal(wx_mock_store_begin(s), WX_STORE_OK);
    assert_int_equal(wx_mock_order_insert(s, &o), WX_STORE_OK);
    for (int i = 0; i < 3; i++) {
        wx_mock_refund r = {0};
        snprintf(r.out_refund_no, sizeof r.out_refund_no, "refund-%d", i);
        snprintf(r.out_trade_no, sizeof r.out_trade_no, "order-0002");
        r.refund = 10 * (i + 1);
        assert_int_equal(wx_mock_refund_insert(s, &r), WX_STORE_OK);
    }
    int64_t sum = 0;
    assert_int_equal(wx_mock_refund_each_of_order(s, "order-0002", sum_refund, &sum), WX_STORE_OK);
    assert_int_equal(sum, 60);
    int count = 0;
    char today[11];
    wx_mock_today(today);
    assert_int_equal(wx_mock_order_each_of_day(s, today, count_order, &count), WX_STORE_OK);
    assert_int_equal(count, 1);
    count = 0;
    assert_int_equal(wx_mock_order_each_of_day(s, "1999-01-01", count_order, &count), WX_STORE_OK);
    assert_int_equal(count, 0);
    assert_int_equal(wx_mock_store_commit(s), WX_STORE_OK);
    wx_mock_order_clear(&o);
    wx_mock_store_close(s);
}

static void test_notifications_due_in_order(void **state)
{
    (void)state;
    wx_mock_store *s = open_store(NULL);
    assert_int_equal(wx_mock_store_begin(s), WX_STORE_OK);
    for (int i = 0; i < 3; i++) {
        wx_mock_notification n = {0};
        snprintf(n.id, sizeof n.id, "ev-%d", i);
        snprintf(n.url, sizeof n.url, "http://127.0.0.1:1/n");
        snprintf(n.event_type, sizeof n.event_type, "TRANSACTION.SUCCESS");
        n.payload = strdup("{}");
        n.next_attempt_ms = 1000 - i * 100; /* the last added is due first */
        assert_int_equal(wx_mock_notification_add(s, &n), WX_STORE_OK);
        wx_mock_notification_clear(&n);
    }
    wx_mock_notification d = {0};
    int64_t next = 0;
    assert_int_equal(wx_mock_notification_due(s, 500, &d, &next), WX_STORE_NOT_FOUND);
    assert_int_equal(next, 800);
    assert_int_equal(wx_mock_notification_due(s, 900, &d, &next), WX_STORE_OK);
    assert_string_equal(d.id, "ev-2");
    assert_string_equal(d.payload, "{}");
    wx_mock_notification_clear(&d);
    assert_int_equal(wx_mock_notification_record(s, "ev-2", 500, 0, 2000), WX_STORE_OK);
    assert_int_equal(wx_mock_notification_record(s, "ev-1", 204, 1, 0), WX_STORE_OK);
    assert_int_equal(wx_mock_notification_due(s, 1500, &d, &next), WX_STORE_OK);
    assert_string_equal(d.id, "ev-0");
    wx_mock_notification_clear(&d);
    struct json_object *list = NULL;
    assert_int_equal(wx_mock_notification_list(s, &list), WX_STORE_OK);
    assert_int_equal(json_object_array_length(list), 3);
    struct json_object *first = json_object_array_get_idx(list, 0), *v;
    json_object_object_get_ex(first, "id", &v);
    assert_string_equal(json_object_get_string(v), "ev-0"); /* oldest first */
    struct json_object *third = json_object_array_get_idx(list, 2);
    json_object_object_get_ex(third, "attempts", &v);
    assert_int_equal(json_object_get_int(v), 1);
    json_object_object_get_ex(third, "last_status", &v);
    assert_int_equal(json_object_get_int(v), 500);
    json_object_put(list);
    assert_int_equal(wx_mock_store_reset(s), WX_STORE_OK);
    assert_int_equal(wx_mock_notification_due(s, 1 << 30, &d, &next), WX_STORE_NOT_FOUND);
    assert_int_equal(next, -1);
    assert_int_equal(wx_mock_store_commit(s), WX_STORE_OK);
    wx_mock_store_close(s);
}

static void test_file_survives_reopen(void **state)
{
    (void)state;
    char *path;
    wx_mock_store *s = open_file_store("mock-store", &path);
    wx_mock_order o;
    make_order(&o, "order-0003", 42);
    int64_t seq = 0;
    assert_int_equal(wx_mock_store_begin(s), WX_STORE_OK);
    assert_int_equal(wx_mock_order_insert(s, &o), WX_STORE_OK);
    assert_int_equal(wx_mock_store_setting_set(s, "next_payment", "PAYERROR"), WX_STORE_OK);
    assert_int_equal(wx_mock_store_next(s, "txn", &seq), WX_STORE_OK);
    assert_int_equal(wx_mock_store_commit(s), WX_STORE_OK);
    wx_mock_store_close(s);
    wx_mock_order_clear(&o);

    s = open_store(path);
    wx_mock_order got = {0};
    char *v = NULL;
    assert_int_equal(wx_mock_store_begin(s), WX_STORE_OK);
    assert_int_equal(wx_mock_order_find(s, "order-0003", &got), WX_STORE_OK);
    assert_int_equal(got.total, 42);
    assert_int_equal(wx_mock_store_setting_get(s, "next_payment", &v), WX_STORE_OK);
    assert_string_equal(v, "PAYERROR");
    free(v);
    assert_int_equal(wx_mock_store_next(s, "txn", &seq), WX_STORE_OK);
    assert_int_equal(seq, 2); /* counters continue after a restart */
    assert_int_equal(wx_mock_store_setting_set(s, "next_payment", NULL), WX_STORE_OK);
    assert_int_equal(wx_mock_store_setting_get(s, "next_payment", &v), WX_STORE_OK);
    assert_null(v);
    assert_int_equal(wx_mock_store_commit(s), WX_STORE_OK);
    wx_mock_order_clear(&got);
    wx_mock_store_close(s);
    char why[256];
    assert_null(wx_mock_store_open("/nonexistent-dir/x/state.db", why, sizeof why));
    assert_non_null(strstr(why, "/nonexistent-dir/x/state.db"));
    free(path);
}

/* Read-modify-write of one order from 8 threads: with transactions no increment is lost. */
static void *bump(void *ud)
{
    wx_mock_store *s = ud;
    for (int i = 0; i < 200; i++) {
        wx_mock_order o = {0};
        if (wx_mock_store_begin(s) != WX_STORE_OK)
            return (void *)1;
        if (wx_mock_order_find(s, "order-0004", &o) == WX_STORE_OK) {
            o.refunded++;
            wx_mock_order_update(s, &o);
        }
        wx_mock_order_clear(&o);
        if (wx_mock_store_commit(s) != WX_STORE_OK)
            return (void *)1;
    }
    return NULL;
}

static void test_concurrent_updates(void **state)
{
    (void)state;
    char *path;
    wx_mock_store *s = open_file_store("mock-store-threads", &path);
    wx_mock_order o;
    make_order(&o, "order-0004", 1);
    assert_int_equal(wx_mock_store_begin(s), WX_STORE_OK);
    assert_int_equal(wx_mock_order_insert(s, &o), WX_STORE_OK);
    assert_int_equal(wx_mock_store_commit(s), WX_STORE_OK);
    wx_mock_order_clear(&o);
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, bump, s);
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        assert_null(r);
    }
    assert_int_equal(wx_mock_store_begin(s), WX_STORE_OK);
    assert_int_equal(wx_mock_order_find(s, "order-0004", &o), WX_STORE_OK);
    assert_int_equal(o.refunded, 1600);
    wx_mock_store_rollback(s);
    wx_mock_order_clear(&o);
    wx_mock_store_close(s);
    free(path);
}

static void test_ids_look_like_wechat_pay(void **state)
{
    (void)state;
    char t[33], r[33], p[65], e[64], now[32];
    wx_mock_transaction_id(7, t);
    wx_mock_refund_id(7, r);
    wx_mock_prepay_id(p);
    wx_mock_event_id(e);
    wx_mock_time_rfc3339(0, now);
    assert_int_equal(strlen(t), 28);
    assert_int_equal(strspn(t, "0123456789"), 28);
    assert_true(!strncmp(t, "4200", 4) && !strcmp(t + 18, "0000000007"));
    assert_int_equal(strlen(r), 29);
    assert_int_equal(strspn(r, "0123456789"), 29);
    assert_int_equal(strlen(p), 36);
    assert_true(!strncmp(p, "wx", 2));
    assert_int_equal(strlen(e), 36);
    assert_int_equal(e[14], '4');
    assert_string_equal(now, "1970-01-01T08:00:00+08:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_roundtrip_and_rollback),
        cmocka_unit_test(test_refunds_and_days),
        cmocka_unit_test(test_notifications_due_in_order),
        cmocka_unit_test(test_file_survives_reopen),
        cmocka_unit_test(test_concurrent_updates),
        cmocka_unit_test(test_ids_look_like_wechat_pay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
