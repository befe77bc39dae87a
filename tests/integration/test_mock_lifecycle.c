/* The payment lifecycle through the library against `wxpay mock`: create, pay through the
 * control API, the callback received and verified, query SUCCESS, refund, the refund
 * callback, refund query; every business error with its code and the state unchanged;
 * retries until a 2xx; callbacks only to loopback hosts. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callback_sink.h"
#include "lifecycle_util.h"

static wxt_mock g_mock;
static wx_client_t *g_client;
static sink *g_sink;
static char g_notify[128];

static int setup(void **state)
{
    (void)state;
    g_sink = sink_start();
    sink_url(g_sink, "wxpay/notify", g_notify, sizeof g_notify);
    wxt_mock_start(&g_mock, (const char *const[]){"--notify-backoff", "0.2", NULL});
    g_client = lc_client(&g_mock);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wx_client_free(g_client);
    assert_int_equal(wxt_mock_stop(&g_mock), 0);
    sink_stop(g_sink);
    return 0;
}

/* The callback at @p index, verified and decrypted by the library (n_out: free it). */
static wx_notification_t *verified_callback(size_t index, const char *event_type)
{
    if (sink_wait(g_sink, index + 1, 10000) < index + 1)
        fail_msg("callback %zu never came", index);
    const sink_item *it = sink_at(g_sink, index);
    wx_notification_t *n = NULL;
    wx_error_t err = {0};
    if (wx_notify_verify(g_client, it->headers, it->body, it->body_len, &n, &err) != WX_OK)
        fail_msg("callback %zu does not verify: %s", index, err.message);
    assert_string_equal(n->event_type, event_type);
    assert_string_equal(n->algorithm, "AEAD_AES_256_GCM");
    return n;
}

/* The decrypted resource satisfies the shipped callback schema. */
static void assert_schema(const char *file, struct json_object *resource)
{
    char path[512];
    snprintf(path, sizeof path, "%s/spec/callbacks/%s", WX_SOURCE_DIR, file);
    struct json_object *schema = json_object_from_file(path);
    assert_non_null(schema);
    wx_violations_t *v = NULL;
    wx_err rc = wx_schema_validate(schema, resource, &v, NULL);
    if (rc != WX_OK)
        fail_msg("%s: %s: %s", file, wx_violations_at(v, 0)->path, wx_violations_at(v, 0)->reason);
    wx_violations_free(v);
    json_object_put(schema);
}

static void pay(const char *out_trade_no, long want_status)
{
    char body[128];
    snprintf(body, sizeof body, "{\"out_trade_no\":\"%s\"}", out_trade_no);
    assert_int_equal(lc_control(&g_mock, "POST", "/mock/pay", body, NULL), want_status);
}

static void refund_succeed(const char *out_refund_no)
{
    char body[128];
    snprintf(body, sizeof body, "{\"out_refund_no\":\"%s\"}", out_refund_no);
    assert_int_equal(lc_control(&g_mock, "POST", "/mock/refund/succeed", body, NULL), 200);
}

static void assert_state(const char *out_trade_no, const char *want)
{
    char *st = lc_trade_state(g_client, out_trade_no);
    assert_string_equal(st, want);
    free(st);
}

/* GET /mock/notifications once its last callback is recorded as delivered (the record
 * follows the merchant's answer by a moment). */
static struct json_object *wait_last_delivered(void)
{
    struct json_object *list = NULL;
    for (int i = 0; i < 500; i++) {
        json_object_put(list);
        assert_int_equal(lc_control(&g_mock, "GET", "/mock/notifications", NULL, &list), 200);
        struct json_object *data = lc_get(list, "data");
        size_t n = json_object_array_length(data);
        if (n && json_object_get_boolean(lc_get(json_object_array_get_idx(data, n - 1), "delivered")))
            break;
        usleep(10000);
    }
    return list;
}

/* The number of callbacks received once every callback queued so far is delivered (or
 * given up: not loopback), so that a test counts only its own. */
static size_t settled_count(void)
{
    for (int i = 0; i < 1000; i++) {
        struct json_object *list = NULL;
        assert_int_equal(lc_control(&g_mock, "GET", "/mock/notifications", NULL, &list), 200);
        struct json_object *data = lc_get(list, "data");
        int pending = 0;
        for (size_t k = 0; k < json_object_array_length(data); k++) {
            struct json_object *n = json_object_array_get_idx(data, k);
            pending += !json_object_get_boolean(lc_get(n, "delivered")) &&
                       strstr(json_object_get_string(lc_get(n, "url")), "127.0.0.1") != NULL;
        }
        json_object_put(list);
        if (!pending)
            return sink_wait(g_sink, 0, 0);
        usleep(10000);
    }
    fail_msg("callbacks still pending after 10 s");
    return 0;
}

static void test_whole_flow(void **state)
{
    (void)state;
    size_t base = sink_wait(g_sink, 0, 0);
    wx_response_t *r = lc_create(g_client, "jsapi", "flow_order_0001", 100, g_notify);
    assert_int_equal(lc_ok(r), 200);
    assert_true(!strncmp(lc_field(r, "prepay_id"), "wx", 2));
    wx_response_free(r);
    assert_state("flow_order_0001", "NOTPAY");

    pay("flow_order_0001", 200);
    wx_notification_t *n = verified_callback(base, "TRANSACTION.SUCCESS");
    assert_string_equal(n->summary, "支付成功");
    assert_string_equal(n->original_type, "transaction");
    assert_string_equal(lc_get(n->resource, "out_trade_no") ? json_object_get_string(
                            lc_get(n->resource, "out_trade_no")) : "", "flow_order_0001");
    assert_string_equal(json_object_get_string(lc_get(n->resource, "trade_state")), "SUCCESS");
    assert_int_equal(json_object_get_int(lc_get(n->resource, "amount.payer_total")), 100);
    assert_schema("transaction.json", n->resource);
    char txn[33];
    snprintf(txn, sizeof txn, "%s", json_object_get_string(lc_get(n->resource, "transaction_id")));
    assert_int_equal(strlen(txn), 28);
    wx_notification_free(n);

    r = lc_query(g_client, "flow_order_0001");
    lc_ok(r);
    assert_string_equal(lc_field(r, "trade_state"), "SUCCESS");
    assert_string_equal(lc_field(r, "transaction_id"), txn);
    assert_string_equal(lc_field(r, "payer.openid"), "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
    assert_true(strstr(lc_field(r, "success_time"), "+08:00") != NULL);
    wx_response_free(r);
    r = lc_query_id(g_client, txn);
    lc_ok(r);
    assert_string_equal(lc_field(r, "out_trade_no"), "flow_order_0001");
    wx_response_free(r);

    /* a partial refund with its own notify_url, then the rest */
    char refund_url[160];
    sink_url(g_sink, "wxpay/refund-notify", refund_url, sizeof refund_url);
    r = lc_refund(g_client, "flow_order_0001", "flow_refund_0001", 30, 100, refund_url);
    lc_ok(r);
    assert_string_equal(lc_field(r, "status"), "PROCESSING");
    assert_int_equal(strlen(lc_field(r, "refund_id")), 29);
    assert_string_equal(lc_field(r, "transaction_id"), txn);
    wx_response_free(r);
    assert_state("flow_order_0001", "REFUND");
    r = lc_refund_query(g_client, "flow_refund_0001");
    lc_ok(r);
    assert_string_equal(lc_field(r, "status"), "PROCESSING");
    wx_response_free(r);

    refund_succeed("flow_refund_0001");
    n = verified_callback(base + 1, "REFUND.SUCCESS");
    assert_string_equal(n->summary, "退款成功");
    assert_string_equal(json_object_get_string(lc_get(n->resource, "refund_status")), "SUCCESS");
    assert_int_equal(json_object_get_int(lc_get(n->resource, "amount.refund")), 30);
    assert_schema("refund.json", n->resource);
    wx_notification_free(n);
    assert_non_null(strstr(sink_at(g_sink, base + 1)->body, "\"resource\""));
    r = lc_refund_query(g_client, "flow_refund_0001");
    lc_ok(r);
    assert_string_equal(lc_field(r, "status"), "SUCCESS");
    assert_true(strstr(lc_field(r, "success_time"), "+08:00") != NULL);
    wx_response_free(r);

    /* the rest of the amount; the refund callback goes to the order's notify_url */
    r = lc_refund(g_client, "flow_order_0001", "flow_refund_0002", 70, 100, NULL);
    lc_ok(r);
    wx_response_free(r);
    refund_succeed("flow_refund_0002");
    n = verified_callback(base + 2, "REFUND.SUCCESS");
    assert_int_equal(json_object_get_int(lc_get(n->resource, "amount.refund")), 70);
    wx_notification_free(n);

    struct json_object *list = wait_last_delivered();
    struct json_object *data = lc_get(list, "data");
    size_t count = json_object_array_length(data);
    assert_true(count >= 3);
    struct json_object *last = json_object_array_get_idx(data, count - 1);
    assert_string_equal(json_object_get_string(lc_get(last, "event_type")), "REFUND.SUCCESS");
    assert_string_equal(json_object_get_string(lc_get(last, "url")), g_notify);
    assert_true(json_object_get_boolean(lc_get(last, "delivered")));
    assert_int_equal(json_object_get_int(lc_get(last, "attempts")), 1);
    assert_int_equal(json_object_get_int(lc_get(last, "last_status")), 204);
    json_object_put(list);
}

static void test_order_kinds(void **state)
{
    (void)state;
    const char *kinds[] = {"native", "app", "h5"};
    const char *fields[] = {"code_url", "prepay_id", "h5_url"};
    for (int i = 0; i < 3; i++) {
        char otn[32];
        snprintf(otn, sizeof otn, "kind_order_%s", kinds[i]);
        wx_response_t *r = lc_create(g_client, kinds[i], otn, 5, g_notify);
        lc_ok(r);
        assert_true(strlen(lc_field(r, fields[i])) > 10);
        wx_response_free(r);
        pay(otn, 200);
        r = lc_query(g_client, otn);
        lc_ok(r);
        assert_string_equal(lc_field(r, "trade_type"),
                            i == 0 ? "NATIVE" : i == 1 ? "APP" : "MWEB");
        assert_string_equal(lc_field(r, "trade_state"), "SUCCESS");
        wx_response_free(r);
    }
}

/* Each business error: its status and code, signed, and nothing changed. */
static void test_business_errors(void **state)
{
    (void)state;
    wx_response_t *r = lc_query(g_client, "no_such_order_1");
    lc_expect_error(r, 404, "ORDER_NOT_EXIST");
    wx_response_free(r);
    r = lc_query_id(g_client, "4200000000202612030000009999");
    lc_expect_error(r, 404, "ORDER_NOT_EXIST");
    wx_response_free(r);

    /* the same order again answers the same prepay_id; other content is refused */
    r = lc_create(g_client, "jsapi", "err_order_0001", 100, g_notify);
    lc_ok(r);
    char prepay[80];
    snprintf(prepay, sizeof prepay, "%s", lc_field(r, "prepay_id"));
    wx_response_free(r);
    r = lc_create(g_client, "jsapi", "err_order_0001", 100, g_notify);
    lc_ok(r);
    assert_string_equal(lc_field(r, "prepay_id"), prepay);
    wx_response_free(r);
    r = lc_create(g_client, "jsapi", "err_order_0001", 999, g_notify);
    lc_expect_error(r, 400, "INVALID_REQUEST");
    wx_response_free(r);
    r = lc_query(g_client, "err_order_0001");
    lc_ok(r);
    assert_int_equal(json_object_get_int(lc_get(wx_response_json(r), "amount.total")), 100);
    assert_null(lc_get(wx_response_json(r), "transaction_id")); /* unpaid: not shown */
    wx_response_free(r);

    /* refunding an unpaid order */
    r = lc_refund(g_client, "err_order_0001", "err_refund_0001", 10, 100, NULL);
    lc_expect_error(r, 400, "INVALID_REQUEST");
    wx_response_free(r);
    assert_state("err_order_0001", "NOTPAY");
    r = lc_refund_query(g_client, "err_refund_0001");
    lc_expect_error(r, 404, "RESOURCE_NOT_EXISTS");
    wx_response_free(r);
    r = lc_refund(g_client, "no_such_order_2", "err_refund_0002", 10, 100, NULL);
    lc_expect_error(r, 404, "RESOURCE_NOT_EXISTS");
    wx_response_free(r);

    /* a closed order cannot be paid, refunded or made again */
    r = lc_close(g_client, "err_order_0001");
    assert_int_equal(lc_ok(r), 204);
    wx_response_free(r);
    assert_state("err_order_0001", "CLOSED");
    pay("err_order_0001", 400);
    r = lc_refund(g_client, "err_order_0001", "err_refund_0003", 10, 100, NULL);
    lc_expect_error(r, 400, "INVALID_REQUEST");
    wx_response_free(r);
    r = lc_create(g_client, "jsapi", "err_order_0001", 100, g_notify);
    lc_expect_error(r, 400, "ORDER_CLOSED");
    wx_response_free(r);
    assert_state("err_order_0001", "CLOSED");
    r = lc_close(g_client, "no_such_order_3");
    lc_expect_error(r, 404, "ORDER_NOT_EXIST");
    wx_response_free(r);

    /* a paid order cannot be closed, paid again or made again */
    r = lc_create(g_client, "native", "err_order_0002", 50, g_notify);
    lc_ok(r);
    wx_response_free(r);
    pay("err_order_0002", 200);
    r = lc_close(g_client, "err_order_0002");
    lc_expect_error(r, 400, "ORDERPAID");
    wx_response_free(r);
    pay("err_order_0002", 400);
    r = lc_create(g_client, "native", "err_order_0002", 50, g_notify);
    lc_expect_error(r, 400, "ORDERPAID");
    wx_response_free(r);
    assert_state("err_order_0002", "SUCCESS");

    /* more than was paid, a total that is not the order's, and a reused refund number */
    r = lc_refund(g_client, "err_order_0002", "err_refund_0004", 51, 50, NULL);
    lc_expect_error(r, 400, "INVALID_REQUEST");
    wx_response_free(r);
    r = lc_refund(g_client, "err_order_0002", "err_refund_0004", 10, 60, NULL);
    lc_expect_error(r, 400, "INVALID_REQUEST");
    wx_response_free(r);
    assert_state("err_order_0002", "SUCCESS");
    r = lc_refund_query(g_client, "err_refund_0004");
    lc_expect_error(r, 404, "RESOURCE_NOT_EXISTS");
    wx_response_free(r);
    r = lc_refund(g_client, "err_order_0002", "err_refund_0005", 40, 50, NULL);
    lc_ok(r);
    wx_response_free(r);
    r = lc_refund(g_client, "err_order_0002", "err_refund_0005", 40, 50, NULL);
    lc_ok(r); /* the same refund asked again answers as it stands */
    assert_string_equal(lc_field(r, "status"), "PROCESSING");
    wx_response_free(r);
    r = lc_refund(g_client, "err_order_0002", "err_refund_0005", 5, 50, NULL);
    lc_expect_error(r, 400, "INVALID_REQUEST");
    wx_response_free(r);
    r = lc_refund(g_client, "err_order_0002", "err_refund_0006", 11, 50, NULL);
    lc_expect_error(r, 400, "INVALID_REQUEST"); /* 10 left */
    wx_response_free(r);
    r = lc_refund(g_client, "err_order_0002", "err_refund_0006", 10, 50, NULL);
    lc_ok(r);
    wx_response_free(r);
}

/* The control API decides how the next payment ends. */
static void test_payment_outcomes(void **state)
{
    (void)state;
    size_t before = settled_count();
    wx_response_t *r = lc_create(g_client, "jsapi", "outcome_order_1", 10, g_notify);
    lc_ok(r);
    wx_response_free(r);
    assert_int_equal(lc_control(&g_mock, "POST", "/mock/next-payment", "{\"outcome\":\"PAYERROR\"}",
                                NULL), 200);
    pay("outcome_order_1", 200);
    assert_state("outcome_order_1", "PAYERROR");
    assert_int_equal(lc_control(&g_mock, "POST", "/mock/next-payment", "{\"outcome\":\"USERPAYING\"}",
                                NULL), 200);
    pay("outcome_order_1", 200);
    assert_state("outcome_order_1", "USERPAYING");
    pay("outcome_order_1", 200); /* the setting was for one payment */
    assert_state("outcome_order_1", "SUCCESS");
    assert_int_equal(sink_wait(g_sink, before + 1, 10000), before + 1); /* one callback only */
    assert_int_equal(lc_control(&g_mock, "POST", "/mock/next-payment", "{\"outcome\":\"LATER\"}",
                                NULL), 400);
    assert_int_equal(lc_control(&g_mock, "POST", "/mock/pay", "{}", NULL), 400);
    assert_int_equal(lc_control(&g_mock, "POST", "/mock/pay", "{\"out_trade_no\":\"nope_0001\"}",
                                NULL), 404);
    assert_int_equal(lc_control(&g_mock, "GET", "/mock/nothing-here", NULL, NULL), 404);
}

/* A merchant that answers 500 twice is called a third time, on the scaled schedule. */
static void test_retries_until_2xx(void **state)
{
    (void)state;
    size_t before = settled_count();
    sink_script(g_sink, (const int[]){500, 503}, 2);
    wx_response_t *r = lc_create(g_client, "jsapi", "retry_order_01", 10, g_notify);
    lc_ok(r);
    wx_response_free(r);
    pay("retry_order_01", 200);
    assert_int_equal(sink_wait(g_sink, before + 3, 15000), before + 3);
    const sink_item *a = sink_at(g_sink, before), *c = sink_at(g_sink, before + 2);
    assert_int_equal(a->answered, 500);
    assert_int_equal(c->answered, 204);
    /* the same notification (same id) each time, each freshly signed */
    struct json_object *ja = json_tokener_parse(a->body), *jc = json_tokener_parse(c->body);
    assert_string_equal(json_object_get_string(lc_get(ja, "id")),
                        json_object_get_string(lc_get(jc, "id")));
    json_object_put(ja);
    json_object_put(jc);
    struct json_object *list = wait_last_delivered();
    struct json_object *data = lc_get(list, "data");
    struct json_object *last = json_object_array_get_idx(data, json_object_array_length(data) - 1);
    assert_true(json_object_get_boolean(lc_get(last, "delivered")));
    assert_int_equal(json_object_get_int(lc_get(last, "attempts")), 3);
    assert_int_equal(json_object_get_int(lc_get(last, "last_status")), 204);
    json_object_put(list);
}

/* A notify_url on another host is recorded but never called. */
static void test_loopback_only(void **state)
{
    (void)state;
    /* plain http is for loopback hosts only: the client refuses it before sending */
    const char *refused[] = {"http://merchant.example.com/notify", "http://127.0.0.1.example.com/n",
                             "http://localhost@evil.example.com/n", "http://127.0.0.1/n?x=1"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        wx_response_t *v = lc_create(g_client, "jsapi", "far_order_0000", 10, refused[i]);
        if (wx_response_err(v) != WX_E_VALIDATION)
            fail_msg("%s: %s", refused[i], wx_err_name(wx_response_err(v)));
        wx_response_free(v);
    }
    wx_response_t *r = lc_create(g_client, "jsapi", "far_order_0001", 10,
                                 "https://merchant.example.com/notify");
    lc_ok(r);
    wx_response_free(r);
    pay("far_order_0001", 200);
    struct json_object *list = NULL, *last = NULL;
    for (int i = 0; i < 100; i++) {
        json_object_put(list);
        lc_control(&g_mock, "GET", "/mock/notifications", NULL, &list);
        struct json_object *data = lc_get(list, "data");
        last = json_object_array_get_idx(data, json_object_array_length(data) - 1);
        if (json_object_get_int(lc_get(last, "attempts")) > 0)
            break;
        usleep(20000);
    }
    assert_string_equal(json_object_get_string(lc_get(last, "url")),
                        "https://merchant.example.com/notify");
    assert_false(json_object_get_boolean(lc_get(last, "delivered")));
    assert_int_equal(json_object_get_int(lc_get(last, "last_status")), 0);
    json_object_put(list);
    char *log = wxt_read_file(g_mock.log, NULL);
    assert_non_null(strstr(log, "is not a loopback URL"));
    free(log);
}

static wx_response_t *create_combine(const char *id, const char *sub1, const char *sub2)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"combine_appid\":\"wxd678efh567hg6787\",\"combine_mchid\":\"%s\","
             "\"combine_out_trade_no\":\"%s\",\"notify_url\":\"%s\","
             "\"combine_payer_info\":{\"openid\":\"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\"},"
             "\"sub_orders\":[{\"mchid\":\"%s\",\"attach\":\"a1\",\"out_trade_no\":\"%s\","
             "\"description\":\"part one\",\"amount\":{\"total_amount\":10,\"currency\":\"CNY\"}},"
             "{\"mchid\":\"%s\",\"attach\":\"a2\",\"out_trade_no\":\"%s\","
             "\"description\":\"part two\",\"amount\":{\"total_amount\":20,\"currency\":\"CNY\"}}]}",
             wx_client_mchid(g_client), id, g_notify, wx_client_mchid(g_client), sub1,
             wx_client_mchid(g_client), sub2);
    return wx_chain(g_client, "v3/combine-transactions/jsapi")
        ->post(&(wx_request_options_t){.json_text = body});
}

static wx_response_t *query_combine(const char *id)
{
    return wx_chain(g_client, "v3/combine-transactions/out-trade-no/{combine_out_trade_no}")
        ->get(&(wx_request_options_t){.vars = (wx_kv_t[]){{"combine_out_trade_no", id}, {NULL, NULL}}});
}

static wx_response_t *close_combine(const char *id, const char *sub1, const char *sub2)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"combine_appid\":\"wxd678efh567hg6787\",\"sub_orders\":[{\"mchid\":\"%s\","
             "\"out_trade_no\":\"%s\"},{\"mchid\":\"%s\",\"out_trade_no\":\"%s\"}]}",
             wx_client_mchid(g_client), sub1, wx_client_mchid(g_client), sub2);
    return wx_chain(g_client, "v3/combine-transactions/out-trade-no/{combine_out_trade_no}/close")
        ->post(&(wx_request_options_t){
            .vars = (wx_kv_t[]){{"combine_out_trade_no", id}, {NULL, NULL}}, .json_text = body});
}

/* Combined orders: one prepay, one payment and one callback for all sub-orders, which
 * are orders of their own for queries and refunds. */
static void test_combined_order(void **state)
{
    (void)state;
    size_t before = settled_count();
    wx_response_t *r = create_combine("combine_0001", "combine_sub_0001", "combine_sub_0002");
    lc_ok(r);
    assert_true(!strncmp(lc_field(r, "prepay_id"), "wx", 2));
    wx_response_free(r);
    r = query_combine("combine_0001");
    lc_ok(r);
    struct json_object *subs = lc_get(wx_response_json(r), "sub_orders");
    assert_int_equal(json_object_array_length(subs), 2);
    assert_string_equal(json_object_get_string(lc_get(json_object_array_get_idx(subs, 1), "trade_state")),
                        "NOTPAY");
    wx_response_free(r);
    assert_int_equal(lc_control(&g_mock, "POST", "/mock/pay", "{\"combine_out_trade_no\":\"combine_0001\"}",
                                NULL), 200);
    wx_notification_t *n = verified_callback(before, "TRANSACTION.SUCCESS");
    assert_string_equal(json_object_get_string(lc_get(n->resource, "combine_out_trade_no")), "combine_0001");
    subs = lc_get(n->resource, "sub_orders");
    assert_int_equal(json_object_array_length(subs), 2);
    assert_int_equal(json_object_get_int(lc_get(json_object_array_get_idx(subs, 1), "amount.payer_amount")), 20);
    wx_notification_free(n);
    assert_state("combine_sub_0002", "SUCCESS");
    r = close_combine("combine_0001", "combine_sub_0001", "combine_sub_0002");
    lc_expect_error(r, 400, "ORDERPAID");
    wx_response_free(r);
    assert_int_equal(lc_control(&g_mock, "POST", "/mock/pay", "{\"combine_out_trade_no\":\"combine_0001\"}",
                                NULL), 400);
    r = lc_refund(g_client, "combine_sub_0001", "combine_refund_01", 10, 10, NULL);
    lc_ok(r);
    wx_response_free(r);

    /* another, closed before payment: every sub-order is closed */
    r = create_combine("combine_0002", "combine_sub_0003", "combine_sub_0004");
    lc_ok(r);
    wx_response_free(r);
    r = close_combine("combine_0002", "combine_sub_0003", "combine_sub_0004");
    assert_int_equal(lc_ok(r), 204);
    wx_response_free(r);
    assert_state("combine_sub_0004", "CLOSED");
    r = query_combine("combine_0003");
    lc_expect_error(r, 404, "ORDER_NOT_EXIST");
    wx_response_free(r);
    r = create_combine("combine_0001", "combine_sub_0001", "combine_sub_0009");
    lc_expect_error(r, 400, "INVALID_REQUEST");
    wx_response_free(r);
}

static wx_response_t *post_json(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static wx_response_t *post_json(const char *path, const char *fmt, ...)
{
    char body[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return wx_chain(g_client, path)->post(&(wx_request_options_t){.json_text = body});
}

static wx_response_t *share(const char *txn, const char *out_order_no, int amount, int unfreeze)
{
    return post_json("v3/profitsharing/orders",
                     "{\"appid\":\"wxd678efh567hg6787\",\"transaction_id\":\"%s\","
                     "\"out_order_no\":\"%s\",\"unfreeze_unsplit\":%s,\"receivers\":[{\"type\":"
                     "\"MERCHANT_ID\",\"account\":\"86693852\",\"amount\":%d,\"description\":"
                     "\"分给商户A\"}]}", txn, out_order_no, unfreeze ? "true" : "false", amount);
}

static long long unsplit_amount(const char *txn)
{
    wx_response_t *r = wx_chain(g_client, "v3/profitsharing/transactions/{transaction_id}/amounts")
        ->get(&(wx_request_options_t){.vars = (wx_kv_t[]){{"transaction_id", txn}, {NULL, NULL}}});
    lc_ok(r);
    long long v = json_object_get_int64(lc_get(wx_response_json(r), "unsplit_amount"));
    wx_response_free(r);
    return v;
}

/* Profit sharing acts on a paid order made with settle_info.profit_sharing. */
static void test_profit_sharing(void **state)
{
    (void)state;
    wx_response_t *r = post_json("v3/pay/transactions/jsapi",
        "{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"%s\",\"description\":\"ps\","
        "\"out_trade_no\":\"ps_order_0001\",\"notify_url\":\"%s\",\"amount\":{\"total\":1000},"
        "\"payer\":{\"openid\":\"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\"},\"settle_info\":{\"profit_sharing\":true}}",
        wx_client_mchid(g_client), g_notify);
    lc_ok(r);
    wx_response_free(r);
    pay("ps_order_0001", 200);
    r = lc_query(g_client, "ps_order_0001");
    char txn[33];
    snprintf(txn, sizeof txn, "%s", lc_field(r, "transaction_id"));
    wx_response_free(r);
    assert_int_equal(unsplit_amount(txn), 1000);

    r = share(txn, "ps_share_0001", 300, 0);
    lc_expect_error(r, 400, "INVALID_REQUEST"); /* the receiver was never added */
    wx_response_free(r);
    r = post_json("v3/profitsharing/receivers/add",
                  "{\"appid\":\"wxd678efh567hg6787\",\"type\":\"MERCHANT_ID\",\"account\":"
                  "\"86693852\",\"relation_type\":\"STORE\"}");
    lc_ok(r);
    wx_response_free(r);
    r = share(txn, "ps_share_0001", 300, 0);
    lc_ok(r);
    assert_string_equal(lc_field(r, "state"), "FINISHED");
    assert_string_equal(json_object_get_string(lc_get(json_object_array_get_idx(
                            lc_get(wx_response_json(r), "receivers"), 0), "result")), "SUCCESS");
    char order_id[65];
    snprintf(order_id, sizeof order_id, "%s", lc_field(r, "order_id"));
    wx_response_free(r);
    assert_int_equal(unsplit_amount(txn), 700);
    r = share(txn, "ps_share_0002", 800, 0);
    lc_expect_error(r, 403, "NOT_ENOUGH");
    wx_response_free(r);
    assert_int_equal(unsplit_amount(txn), 700);

    r = wx_chain(g_client, "v3/profitsharing/orders/{out_order_no}")->get(&(wx_request_options_t){
        .vars = (wx_kv_t[]){{"out_order_no", "ps_share_0001"}, {NULL, NULL}},
        .query = (wx_kv_t[]){{"transaction_id", txn}, {NULL, NULL}}});
    lc_ok(r);
    assert_string_equal(lc_field(r, "order_id"), order_id);
    wx_response_free(r);
    r = wx_chain(g_client, "v3/profitsharing/orders/{out_order_no}")->get(&(wx_request_options_t){
        .vars = (wx_kv_t[]){{"out_order_no", "ps_share_0002"}, {NULL, NULL}},
        .query = (wx_kv_t[]){{"transaction_id", txn}, {NULL, NULL}}});
    lc_expect_error(r, 404, "RESOURCE_NOT_EXISTS");
    wx_response_free(r);

    /* returns, up to what the receiver got */
    r = post_json("v3/profitsharing/return-orders",
                  "{\"out_order_no\":\"ps_share_0001\",\"out_return_no\":\"ps_return_0001\","
                  "\"return_mchid\":\"86693852\",\"amount\":100,\"description\":\"退回\"}");
    lc_ok(r);
    assert_string_equal(lc_field(r, "result"), "SUCCESS");
    wx_response_free(r);
    r = post_json("v3/profitsharing/return-orders",
                  "{\"out_order_no\":\"ps_share_0001\",\"out_return_no\":\"ps_return_0002\","
                  "\"return_mchid\":\"86693852\",\"amount\":300,\"description\":\"退回\"}");
    lc_expect_error(r, 403, "NOT_ENOUGH");
    wx_response_free(r);
    r = wx_chain(g_client, "v3/profitsharing/return-orders/{out_return_no}")->get(&(wx_request_options_t){
        .vars = (wx_kv_t[]){{"out_return_no", "ps_return_0001"}, {NULL, NULL}},
        .query = (wx_kv_t[]){{"out_order_no", "ps_share_0001"}, {NULL, NULL}}});
    lc_ok(r);
    assert_int_equal(json_object_get_int(lc_get(wx_response_json(r), "amount")), 100);
    wx_response_free(r);

    /* unfreezing ends the sharing of that order */
    r = post_json("v3/profitsharing/orders/unfreeze",
                  "{\"transaction_id\":\"%s\",\"out_order_no\":\"ps_unfreeze_01\","
                  "\"description\":\"解冻全部剩余资金\"}", txn);
    lc_ok(r);
    wx_response_free(r);
    assert_int_equal(unsplit_amount(txn), 0);
    r = share(txn, "ps_share_0003", 10, 0);
    lc_expect_error(r, 400, "INVALID_REQUEST");
    wx_response_free(r);

    /* an order made without profit_sharing cannot be shared */
    r = lc_create(g_client, "jsapi", "ps_order_0002", 100, g_notify);
    lc_ok(r);
    wx_response_free(r);
    pay("ps_order_0002", 200);
    r = lc_query(g_client, "ps_order_0002");
    snprintf(txn, sizeof txn, "%s", lc_field(r, "transaction_id"));
    wx_response_free(r);
    r = share(txn, "ps_share_0004", 10, 0);
    lc_expect_error(r, 400, "INVALID_REQUEST");
    wx_response_free(r);
}

/* The trade bill is built from today's orders (+08:00), gzip when asked, and its digest
 * is the one announced. */
static void test_trade_bill(void **state)
{
    (void)state;
    time_t t = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    char today[16];
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    char *dir = wxt_tmpdir("lifecycle-bill");
    for (int gz = 0; gz < 2; gz++) {
        wx_kv_t q[] = {{"bill_date", today}, {"bill_type", "ALL"},
                       {gz ? "tar_type" : NULL, "GZIP"}, {NULL, NULL}};
        wx_response_t *r = wx_chain(g_client, "v3/bill/tradebill")->get(&(wx_request_options_t){.query = q});
        lc_ok(r);
        assert_string_equal(lc_field(r, "hash_type"), "SHA1");
        assert_int_equal(strstr(lc_field(r, "download_url"), "tartype=GZIP") != NULL, gz);
        char *path = wxt_path(dir, gz ? "bill-gz.csv" : "bill.csv");
        wx_download_options_t d = {.download_url = lc_field(r, "download_url"), .hash_type = "SHA1",
                                   .hash_value = lc_field(r, "hash_value"), .path = path};
        wx_error_t err = {0};
        if (wx_download(g_client, &d, NULL, &err) != WX_OK)
            fail_msg("download: %s", err.message);
        wx_response_free(r);
        char *csv = wxt_read_file(path, NULL);
        assert_true(!strncmp(csv, "交易时间,公众账号ID,商户号", strlen("交易时间,公众账号ID,商户号")));
        /* the paid order, its two refunds, and the summary */
        assert_non_null(strstr(csv, ",`flow_order_0001,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,"));
        assert_non_null(strstr(csv, ",`flow_refund_0001,`0.30,"));
        assert_non_null(strstr(csv, ",`flow_refund_0002,`0.70,"));
        assert_non_null(strstr(csv, "总交易单数,应结订单总金额,退款总金额"));
        assert_null(strstr(csv, "err_order_0001")); /* never paid */
        free(csv);
        free(path);
    }
    free(dir);
}

/* A sensitive field of an answer is encrypted with the merchant certificate: the merchant
 * private key of the generated keys decrypts it. */
static void test_sensitive_answer(void **state)
{
    (void)state;
    wx_response_t *r = wx_chain(g_client, "v3/transfer/batches/batch-id/{batch_id}/details/detail-id/{detail_id}")
        ->get(&(wx_request_options_t){.vars = (wx_kv_t[]){
                  {"batch_id", "1030000071100999991182020050700019480001"},
                  {"detail_id", "1040000071100999991182020050700019500100"}, {NULL, NULL}}});
    lc_ok(r);
    char *key_path = wxt_path(g_mock.keys_dir, "merchant_key.pem");
    wx_privkey_t *key = NULL;
    wx_error_t err = {0};
    assert_int_equal(wx_privkey_load_file(key_path, NULL, &key, &err), WX_OK);
    char *plain = NULL;
    size_t len = 0;
    if (wx_rsa_oaep_decrypt(key, lc_field(r, "user_name"), &plain, &len, &err) != WX_OK)
        fail_msg("user_name does not decrypt with the merchant key: %s", err.message);
    assert_string_equal(plain, "沙箱示例 user_name");
    wx_free_secret(plain, len);
    wx_privkey_free(key);
    free(key_path);
    wx_response_free(r);

    /* decrypt_response: the client decrypts the marked fields itself; the body text stays
       what was received and verified */
    r = wx_chain(g_client, "v3/transfer/batches/batch-id/{batch_id}/details/detail-id/{detail_id}")
        ->get(&(wx_request_options_t){
            .version = WX_REQUEST_OPTIONS_VERSION, .decrypt_response = 1,
            .vars = (wx_kv_t[]){{"batch_id", "1030000071100999991182020050700019480001"},
                                {"detail_id", "1040000071100999991182020050700019500100"},
                                {NULL, NULL}}});
    lc_ok(r);
    assert_string_equal(lc_field(r, "user_name"), "沙箱示例 user_name");
    assert_null(strstr(wx_response_body(r, NULL), "沙箱示例 user_name"));
    wx_response_free(r);
}

/* Reset forgets orders; it runs last. */
static void test_reset(void **state)
{
    (void)state;
    assert_int_equal(lc_control(&g_mock, "POST", "/mock/reset", NULL, NULL), 200);
    wx_response_t *r = lc_query(g_client, "flow_order_0001");
    lc_expect_error(r, 404, "ORDER_NOT_EXIST");
    wx_response_free(r);
    struct json_object *list = NULL;
    assert_int_equal(lc_control(&g_mock, "GET", "/mock/notifications", NULL, &list), 200);
    assert_int_equal(json_object_array_length(lc_get(list, "data")), 0);
    json_object_put(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_flow),
        cmocka_unit_test(test_order_kinds),
        cmocka_unit_test(test_business_errors),
        cmocka_unit_test(test_payment_outcomes),
        cmocka_unit_test(test_retries_until_2xx),
        cmocka_unit_test(test_loopback_only),
        cmocka_unit_test(test_combined_order),
        cmocka_unit_test(test_profit_sharing),
        cmocka_unit_test(test_trade_bill),
        cmocka_unit_test(test_sensitive_answer),
        cmocka_unit_test(test_reset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
